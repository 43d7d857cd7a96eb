//! `jobs submit`: build the job from flags, print the review, confirm warnings, run it with a
//! progress bar, and record how it ended.

use super::{now, open};
use crate::cli::output::printable_text;
use crate::cli::secrets;
use crate::cli::{CliError, GlobalArgs, SubmitArgs};
use crate::jobs::engine::Progress;
use crate::jobs::validate::{FieldError, default_job_name, validate_password_confirmation};
use crate::jobs::{
    Binding, JobEvent, JobField, JobSpec, JobStatus, Protection, RunResult, SelectionCriteria,
    SerialRange,
};
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub(super) fn submit(global: &GlobalArgs, args: SubmitArgs) -> Result<(), CliError> {
    let protection = parse_protection(&args.protection)?;
    let serial_ranges = args
        .serials
        .iter()
        .map(|text| {
            SerialRange::parse(text).map_err(|error| CliError::usage(format!("--serials: {error}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let password_given = args.password.password_stdin || args.password.password_file.is_some();
    if password_given && !protection.needs_password() {
        return Err(CliError::usage(format!(
            "--protection {} takes no job password; drop --password-stdin/--password-file",
            protection.label()
        )));
    }
    let (mut workspace, mut history) = open(global)?;
    let password = if protection.needs_password() {
        let password = secrets::password(&args.password, "Job password: ")?.ok_or_else(|| {
            CliError::usage(format!(
                "--protection {} needs a job password: give --password-stdin or --password-file PATH",
                protection.label()
            ))
        })?;
        if !password_given {
            let again = secrets::prompt("Repeat the job password: ")?.unwrap_or_default();
            validate_password_confirmation(&password, &again)
                .map_err(|error| field_error(&error))?;
        }
        Some(password)
    } else {
        None
    };
    let started = now();
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| default_job_name(started, history.names()));
    let spec = JobSpec {
        name,
        profile: args.profile.clone(),
        binding: args
            .device_id
            .clone()
            .map_or(Binding::DeviceClass, Binding::Device),
        nickname: args.nickname.clone(),
        protection,
        password,
        selection: SelectionCriteria {
            serial_ranges,
            user_glob: args.user.clone(),
            include_distributed: args.include_distributed,
            exclude_expired: true,
            max_count: args.max_count,
        },
    };
    let job = match crate::jobs::prepare(&workspace, &history, spec, started.date()) {
        Ok(job) => job,
        Err(rejected) => {
            if let Some(review) = &rejected.review {
                crate::cli_out!("{}", printable_text(&review.render_text(), true));
            }
            return Err(refusal(&rejected.errors, rejected.review.is_some()));
        }
    };
    crate::cli_out!("{}", printable_text(&job.review.render_text(), true));
    let _ = crate::cli::output::stdout().flush();
    if job.review.has_warnings() && !args.yes {
        confirm_warnings()?;
    }

    let interrupted = Arc::new(AtomicBool::new(false));
    for signal in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        let _ = signal_hook::flag::register(signal, interrupted.clone());
    }
    let handle =
        crate::jobs::start(&workspace, &mut history, job, now()).map_err(CliError::failed)?;
    let mut bar = ProgressBar::new(std::io::stderr().is_terminal());
    let outcome = loop {
        if interrupted.load(Ordering::Relaxed) {
            handle.cancel();
        }
        match handle.events.recv_timeout(Duration::from_millis(100)) {
            Ok(JobEvent::Progress(progress)) => bar.draw(&progress),
            Ok(JobEvent::Finished(outcome)) => break outcome,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                break handle.wait(|_| {});
            }
        }
    };
    bar.clear();
    let result = outcome.result.clone();
    let record = crate::jobs::finish(&mut workspace, &mut history, outcome, now())
        .map_err(CliError::failed)?;
    match result {
        RunResult::Completed(_) if record.status == JobStatus::Completed => {
            crate::cli_outln!(
                "job {} completed: {:?}, {} file(s), ZIP {} bytes, SHA-256 {}",
                record.id,
                record.name,
                record.done_count,
                record.output.as_ref().map_or(0, |output| output.bytes),
                record
                    .output
                    .as_ref()
                    .map_or("", |output| output.sha256.as_str()),
            );
            crate::cli_outln!(
                "save it with: tokendist jobs download {} --output PATH",
                record.id
            );
            Ok(())
        }
        RunResult::Cancelled => Err(CliError::failed(format!(
            "job {} {:?} was cancelled after {} of {} file(s); nothing was kept",
            record.id, record.name, record.done_count, record.token_count
        ))),
        _ => Err(CliError::failed(format!(
            "job {} {:?} failed: {}",
            record.id,
            record.name,
            record.error.as_deref().unwrap_or("unknown error")
        ))),
    }
}

fn parse_protection(text: &str) -> Result<Protection, CliError> {
    Protection::ALL
        .into_iter()
        .find(|protection| protection.label() == text)
        .ok_or_else(|| {
            CliError::usage(format!(
                "--protection: unknown value {text:?} (none, password, user-id, user-id+password)"
            ))
        })
}

/// The flag an administrator changes to fix a field.
fn flag(field: JobField) -> &'static str {
    match field {
        JobField::Name => "--name",
        JobField::Profile => "--profile",
        JobField::DeviceId => "--device-id",
        JobField::Nickname => "--nickname",
        JobField::Protection => "--protection",
        JobField::Password => "job password",
        JobField::Selection => {
            "token selection (--serials, --user, --max-count, --include-distributed)"
        }
    }
}

fn field_error(error: &FieldError) -> CliError {
    CliError::usage(format!("{}: {}", flag(error.field), error.message))
}

/// One line per broken field on stderr, then the refusal.
fn refusal(errors: &[FieldError], no_tokens_left: bool) -> CliError {
    if no_tokens_left || errors.len() == 1 {
        let error = &errors[0];
        let message = format!("{}: {}", flag(error.field), error.message);
        return if no_tokens_left {
            CliError::failed(message)
        } else {
            CliError::usage(message)
        };
    }
    for error in errors {
        crate::cli_errln!(
            "tokendist: {}: {}",
            flag(error.field),
            crate::cli::output::printable(&error.message)
        );
    }
    CliError::usage(format!(
        "the job was not submitted: {} fields are invalid (see above)",
        errors.len()
    ))
}

fn confirm_warnings() -> Result<(), CliError> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(CliError::failed(
            "the review has warnings (above) and there is no terminal to confirm on; rerun with --yes to accept them",
        ));
    }
    crate::cli_err!("Submit the job despite the warnings above? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(CliError::failed)?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(())
    } else {
        Err(CliError::failed(
            "the job was not submitted (warnings not accepted)",
        ))
    }
}

/// A one-line progress bar on stderr, redrawn in place; silent when stderr is not a terminal.
struct ProgressBar {
    enabled: bool,
    drawn: bool,
}

impl ProgressBar {
    fn new(enabled: bool) -> Self {
        Self {
            enabled,
            drawn: false,
        }
    }

    fn draw(&mut self, progress: &Progress) {
        if !self.enabled {
            return;
        }
        const WIDTH: usize = 30;
        let filled = ((progress.fraction() * WIDTH as f64).round() as usize).min(WIDTH);
        crate::cli_err!(
            "\r\x1b[2K[{}{}] {}",
            "#".repeat(filled),
            ".".repeat(WIDTH - filled),
            progress.describe()
        );
        let _ = std::io::stderr().flush();
        self.drawn = true;
    }

    fn clear(&mut self) {
        if self.drawn {
            crate::cli_err!("\r\x1b[2K");
            let _ = std::io::stderr().flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protection_label_parses_back() {
        for protection in Protection::ALL {
            assert_eq!(parse_protection(protection.label()).unwrap(), protection);
        }
        assert!(parse_protection("pin").is_err());
    }
}
