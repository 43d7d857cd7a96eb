//! `jobs list` and `jobs show`: the history as a table, as JSON, or one job in detail.

use super::{find, open_history};
use crate::cli::output::printable;
use crate::cli::{CliError, GlobalArgs};
use crate::jobs::{self, Binding, JobRecord, JobStatus};

/// What an operator runs to settle a job left running by a process that ended.
const SETTLE_WITH: &str = "tokendist jobs recover";

/// The status as listings show it: a job left running by a process that ended is not
/// running, and whether it completed only the inventory knows (see
/// [`JobRecord::needs_settling`]).
fn status_label(record: &JobRecord) -> &'static str {
    if record.needs_settling() {
        "unsettled"
    } else {
        record.status.label()
    }
}

/// One line on stderr after a listing when jobs wait to be settled.
fn warn_unsettled(history: &crate::jobs::History) {
    let count = history
        .records()
        .iter()
        .filter(|record| record.needs_settling())
        .count();
    if count > 0 {
        crate::cli_errln!(
            "tokendist: {count} job(s) were running when their process ended; whether they completed is recorded in the inventory: run `{SETTLE_WITH}` (asks for the passphrase) to settle them"
        );
    }
}

pub(super) fn list(global: &GlobalArgs, json: bool) -> Result<(), CliError> {
    let (_folder, history) = open_history(global)?;
    warn_unsettled(&history);
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
            status_label(record),
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
        "status": status_label(record),
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
    let (_folder, history) = open_history(global)?;
    let record = find(&history, job)?;
    if json {
        let mut value = serde_json::to_value(record).expect("a job record serialises");
        if record.needs_settling() {
            value["status"] = "unsettled".into();
            value["settle_with"] = SETTLE_WITH.into();
        }
        crate::cli_outln!(
            "{}",
            serde_json::to_string_pretty(&value).expect("JSON values serialise")
        );
        return Ok(());
    }
    let spec = &record.spec;
    // Values come from the history file: escaped for the terminal.
    let line = |label: &str, value: &str| crate::cli_outln!("{label:<15} {}", printable(value));
    line("Job", &format!("{} ({})", record.name, record.id));
    if record.needs_settling() {
        line(
            "Status",
            &format!(
                "unsettled: its process{} ended before the job was recorded as finished; whether it completed is recorded in the inventory: run `{SETTLE_WITH}` (asks for the passphrase) to settle it",
                record
                    .pid
                    .map(|pid| format!(" (pid {pid})"))
                    .unwrap_or_default()
            ),
        );
    } else {
        line("Status", record.status.label());
    }
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

/// `jobs show JOB --exclusions`: the full list, read from the job's sealed staged files
/// (only the job's key is opened; the inventory is not decrypted). Streams: memory stays flat
/// however many tokens the job left out. Every file-derived value is escaped for the terminal.
pub(super) fn show_exclusions(global: &GlobalArgs, job: &str, json: bool) -> Result<(), CliError> {
    let vault = crate::cli::workspace_cmd::unlock_vault(global)?;
    let history = crate::jobs::History::open(&vault).map_err(CliError::failed)?;
    let record = find(&history, job)?;
    if record.exclusions.total == 0 {
        if json {
            crate::cli_outln!("[]");
        } else {
            crate::cli_outln!(
                "job {} {} left no matching token out",
                record.id,
                printable(&format!("{:?}", record.name))
            );
        }
        return Ok(());
    }
    if json {
        crate::cli_out!("[");
    } else {
        crate::cli_outln!("{:<12}  {:<20}  REASON", "SERIAL", "LOGIN");
    }
    let mut first = true;
    let listed = crate::jobs::exclusions::read_job(&vault, &record.id, |excluded| {
        if json {
            let separator = if first { "\n  " } else { ",\n  " };
            let value = serde_json::to_string(&excluded).map_err(std::io::Error::other)?;
            crate::cli_out!("{separator}{value}");
        } else {
            crate::cli_outln!(
                "{:<12}  {:<20}  {}",
                printable(&excluded.serial),
                printable(excluded.login.as_deref().unwrap_or("-")),
                printable(&excluded.reason)
            );
        }
        first = false;
        Ok(())
    });
    if json {
        crate::cli_outln!("{}]", if first { "" } else { "\n" });
    }
    match listed {
        Ok(_) => Ok(()),
        Err(crate::jobs::exclusions::ExclusionsError::Missing) => {
            Err(CliError::failed(missing_list(record)))
        }
        Err(crate::jobs::exclusions::ExclusionsError::Unreadable(reason)) => {
            Err(CliError::failed(format!(
                "the list of tokens job {} left out cannot be read ({reason}); what was printed is incomplete. `tokendist jobs show {}` still gives the counts per reason",
                record.id, record.id
            )))
        }
    }
}

/// Why a job has no full list of its exclusions, and what is still known.
fn missing_list(record: &JobRecord) -> String {
    let why = match record.output.as_ref().and_then(|output| output.deleted_at) {
        Some(at) => format!(
            "was deleted with the job's output on {}",
            short_time(Some(at))
        ),
        None if record.status != JobStatus::Completed && !record.needs_settling() => format!(
            "is kept only with a completed job's output (this job: {})",
            record.status.label()
        ),
        None => "is not among the job's staged files (jobs run before tokendist kept it have none)"
            .to_owned(),
    };
    format!(
        "the full list of the {} tokens job {} left out {why}; `tokendist jobs show {}` gives the counts per reason and the first {}",
        record.exclusions.total,
        record.id,
        record.id,
        record.exclusions.sample.len()
    )
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
        if record.has_output() {
            line(
                "Excluded, all",
                &format!("tokendist jobs show {} --exclusions", record.id),
            );
        }
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
