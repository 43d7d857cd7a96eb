//! `jobs list` and `jobs show`: the history as a table, as JSON, or one job in detail.

use super::{find, open};
use crate::cli::output::printable;
use crate::cli::{CliError, GlobalArgs};
use crate::jobs::{self, Binding, JobRecord, JobStatus};

pub(super) fn list(global: &GlobalArgs, json: bool) -> Result<(), CliError> {
    let (_workspace, history) = open(global)?;
    if json {
        let rows: Vec<serde_json::Value> = history.records().iter().map(list_json).collect();
        crate::cli_outln!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("JSON values serialise")
        );
        return Ok(());
    }
    if history.records().is_empty() {
        crate::cli_outln!("no jobs yet (submit one with `tokendist jobs submit`)");
        return Ok(());
    }
    crate::cli_outln!(
        "{:<20}  {:<11}  {:>7}  {:<16}  {:<16}  {:<3}  NAME",
        "ID",
        "STATUS",
        "TOKENS",
        "CREATED",
        "FINISHED",
        "DL"
    );
    for record in history.records() {
        crate::cli_outln!(
            "{:<20}  {:<11}  {:>7}  {:<16}  {:<16}  {:<3}  {}",
            record.id,
            record.status.label(),
            record.token_count,
            short_time(Some(record.created_at)),
            short_time(record.finished_at),
            if record.downloads.is_empty() {
                "no"
            } else {
                "yes"
            },
            printable(&record.name)
        );
    }
    Ok(())
}

fn list_json(record: &JobRecord) -> serde_json::Value {
    serde_json::json!({
        "id": record.id,
        "name": record.name,
        "status": record.status,
        "profile": record.spec.profile,
        "token_count": record.token_count,
        "created_at": rfc3339(Some(record.created_at)),
        "finished_at": rfc3339(record.finished_at),
        "output_sha256": record.output.as_ref().filter(|_| record.status == JobStatus::Completed).map(|output| output.sha256.clone()),
        "downloaded": !record.downloads.is_empty(),
        "output_available": record.has_output(),
    })
}

pub(super) fn show(global: &GlobalArgs, job: &str, json: bool) -> Result<(), CliError> {
    let (_workspace, history) = open(global)?;
    let record = find(&history, job)?;
    if json {
        crate::cli_outln!(
            "{}",
            serde_json::to_string_pretty(record).expect("a job record serialises")
        );
        return Ok(());
    }
    let spec = &record.spec;
    // Values come from the history file: escaped for the terminal.
    let line = |label: &str, value: &str| crate::cli_outln!("{label:<15} {}", printable(value));
    line("Job", &format!("{} ({})", record.name, record.id));
    line("Status", record.status.label());
    if let Some(error) = &record.error {
        line("Error", error);
    }
    if let Some(recovered) = &record.recovered {
        line("Recovered", recovered);
    }
    if record.settings_lost {
        line("Settings", "unknown: lost with a damaged job history");
        show_counts_and_output(record);
        return Ok(());
    }
    line("Profile", &spec.profile);
    line(
        "Binding",
        &match &spec.binding {
            Binding::DeviceClass => "the profile's device class".to_owned(),
            Binding::Device(id) => format!("one device: {id}"),
        },
    );
    line("Nickname", spec.nickname.as_deref().unwrap_or("(none)"));
    line("Protection", spec.protection.describe());
    let ranges: Vec<String> = spec
        .selection
        .serial_ranges
        .iter()
        .map(ToString::to_string)
        .collect();
    line(
        "Serials",
        &if ranges.is_empty() {
            "all".to_owned()
        } else {
            ranges.join(", ")
        },
    );
    if let Some(glob) = &spec.selection.user_glob {
        line("Users", glob);
    }
    show_counts_and_output(record);
    Ok(())
}

/// The lines `show` prints for every record, settings known or not.
fn show_counts_and_output(record: &JobRecord) {
    let line = |label: &str, value: &str| crate::cli_outln!("{label:<15} {}", printable(value));
    line(
        "Tokens",
        &format!(
            "{} selected, {} done, {} excluded",
            record.token_count, record.done_count, record.exclusions.total
        ),
    );
    line("Created", &short_time(Some(record.created_at)));
    line("Started", &short_time(record.started_at));
    line("Finished", &short_time(record.finished_at));
    if let Some(output) = &record.output {
        let state = match output.deleted_at {
            Some(at) => format!(" (deleted {})", short_time(Some(at))),
            None => String::new(),
        };
        line(
            "Output",
            &format!("{} bytes, SHA-256 {}{state}", output.bytes, output.sha256),
        );
    }
    for entry in &record.exclusions.by_reason {
        let reason = crate::jobs::select::label_for_code(&entry.code).unwrap_or(&entry.reason);
        line("Excluded", &format!("{}: {reason}", entry.count));
    }
    let sample = &record.exclusions.sample;
    if !sample.is_empty() {
        let more = record.exclusions.total.saturating_sub(sample.len());
        let serials: Vec<&str> = sample.iter().map(|e| e.serial.as_str()).collect();
        let tail = if more > 0 {
            format!(" … and {more} more")
        } else {
            String::new()
        };
        line("Excluded first", &format!("{}{tail}", serials.join(" ")));
    }
    for download in &record.downloads {
        line(
            "Downloaded",
            &format!(
                "{} to {}",
                short_time(Some(download.at)),
                download.path.display()
            ),
        );
    }
}

fn rfc3339(at: Option<time::OffsetDateTime>) -> Option<String> {
    at.and_then(|at| {
        at.format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
}

fn short_time(at: Option<time::OffsetDateTime>) -> String {
    match at {
        Some(at) => jobs::minute_text(at),
        None => "-".to_owned(),
    }
}
