//! `tokendist jobs submit|list|show|download|delete|recover`: the job engine for scripts.
//!
//! `submit` lives in `submit.rs`, `list` and `show` in `listing.rs`; this file dispatches and
//! holds what they share.

mod listing;
mod submit;

use super::{CliError, GlobalArgs, JobsCommand};
use crate::jobs::{History, JobRecord};
use crate::workspace::{JobsFolder, Workspace};

pub fn run(global: &GlobalArgs, command: JobsCommand) -> Result<(), CliError> {
    match command {
        JobsCommand::Submit(args) => submit::submit(global, args),
        JobsCommand::List { json } => listing::list(global, json),
        JobsCommand::Show {
            job,
            json,
            exclusions: true,
        } => listing::show_exclusions(global, &job, json),
        JobsCommand::Show { job, json, .. } => listing::show(global, &job, json),
        JobsCommand::Download { job, output, force } => download(global, &job, &output, force),
        JobsCommand::Delete { job } => delete(global, &job),
        JobsCommand::Recover => recover(global),
    }
}

fn open(global: &GlobalArgs) -> Result<(Workspace, History), CliError> {
    let workspace = super::workspace_cmd::open_workspace(global)?;
    let history = History::open(&workspace).map_err(CliError::failed)?;
    warn_unexplained(&workspace.jobs_dir(), &history);
    Ok((workspace, history))
}

/// The history alone, for reading (`jobs list`, `jobs show`): no passphrase, nothing
/// decrypted. The lock is held (and so returned) while the history is read and tidied.
fn open_history(global: &GlobalArgs) -> Result<(JobsFolder, History), CliError> {
    let dir = super::workspace_cmd::workspace_dir(global)?;
    let folder = JobsFolder::open(&dir).map_err(CliError::failed)?;
    let history = History::open_without_inventory(&folder.jobs_dir()).map_err(CliError::failed)?;
    warn_unexplained(&folder.jobs_dir(), &history);
    Ok((folder, history))
}

/// Staged outputs the history does not explain are kept; say so on every jobs command until
/// the operator runs `jobs recover`.
fn warn_unexplained(jobs_dir: &std::path::Path, history: &History) {
    let unexplained = history.unexplained();
    if unexplained.is_empty() {
        return;
    }
    let shown: Vec<String> = unexplained
        .iter()
        .take(5)
        .map(|name| format!("{:?}", name))
        .collect();
    let more = if unexplained.len() > shown.len() {
        format!(" and {} more", unexplained.len() - shown.len())
    } else {
        String::new()
    };
    eprintln!(
        "tokendist: warning: {} staged job output(s) in {} are not in the job history ({}{more}); they are kept: run `tokendist jobs recover` to rebuild their records",
        unexplained.len(),
        jobs_dir.join(crate::jobs::job_id::STAGED_DIR).display(),
        shown.join(", ")
    );
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn find<'a>(history: &'a History, job: &str) -> Result<&'a JobRecord, CliError> {
    history.find(job).ok_or_else(|| {
        CliError::failed(format!(
            "no job with id or name {job:?} (see `tokendist jobs list`)"
        ))
    })
}

fn download(
    global: &GlobalArgs,
    job: &str,
    output: &std::path::Path,
    force: bool,
) -> Result<(), CliError> {
    // Only the job's key is needed: the inventory is not decrypted.
    let vault = super::workspace_cmd::unlock_vault(global)?;
    let mut history = History::open(&vault).map_err(CliError::failed)?;
    find(&history, job)?;
    // On a terminal, the bytes written so far on stderr (a million-token ZIP is over a
    // gigabyte); nothing otherwise, so scripts read stdout as before.
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let drawn = std::cell::Cell::new(false);
    let mut watch = crate::jobs::DownloadWatch::new(
        crate::jobs::CancelToken::default(),
        |progress: crate::jobs::DownloadProgress| {
            if terminal {
                let percent = (progress.written.min(progress.total) * 100)
                    .checked_div(progress.total)
                    .unwrap_or(100);
                crate::cli_err!(
                    "\r\x1b[2Ksaving: {} of {} bytes ({percent}%)",
                    progress.written,
                    progress.total
                );
                let _ = std::io::Write::flush(&mut std::io::stderr());
                drawn.set(true);
            }
        },
    );
    let result =
        crate::jobs::download_watched(&vault, &mut history, job, output, force, now(), &mut watch);
    if drawn.get() {
        crate::cli_err!("\r\x1b[2K");
        let _ = std::io::Write::flush(&mut std::io::stderr());
    }
    let report = result.map_err(CliError::failed)?;
    crate::cli_outln!(
        "saved {} ({} bytes, SHA-256 {})",
        report.path.display(),
        report.bytes,
        report.sha256
    );
    Ok(())
}

fn recover(global: &GlobalArgs) -> Result<(), CliError> {
    let workspace = super::workspace_cmd::open_workspace(global)?;
    let mut history = match History::open(&workspace) {
        Ok(history) => history,
        // Moved aside just now; the new history starts empty and recovery reads the copy.
        Err(error @ crate::jobs::HistoryError::Damaged { .. }) => {
            eprintln!("tokendist: {error}");
            History::open(&workspace).map_err(CliError::failed)?
        }
        Err(error) => return Err(CliError::failed(error)),
    };
    let report = crate::jobs::recover(&workspace, &mut history, now()).map_err(CliError::failed)?;
    for record in &report.restored {
        let output = if record.has_output() {
            "output available"
        } else {
            "no output"
        };
        crate::cli_outln!(
            "recovered job {} {:?}: {}, {output}",
            record.id,
            record.name,
            record.status.label()
        );
    }
    if report.restored.is_empty() {
        crate::cli_outln!("nothing to recover: the job history explains every staged output");
    }
    if report.skipped_lines > 0 {
        crate::cli_outln!(
            "{} line(s) of the damaged history held no job id and could not be used",
            report.skipped_lines
        );
    }
    for name in &report.foreign {
        crate::cli_outln!(
            "left alone: {:?} in the staging folder is not a tokendist job",
            name
        );
    }
    for path in &report.damaged_files {
        crate::cli_outln!(
            "read {}; it is kept: delete it once the recovered jobs look right",
            path.display()
        );
    }
    Ok(())
}

fn delete(global: &GlobalArgs, job: &str) -> Result<(), CliError> {
    let (workspace, mut history) = open(global)?;
    find(&history, job)?;
    let record = crate::jobs::delete_output(&workspace, &mut history, job, now())
        .map_err(CliError::failed)?;
    crate::cli_outln!(
        "deleted the staged output of job {} {:?}; its history record stays",
        record.id,
        record.name
    );
    Ok(())
}
