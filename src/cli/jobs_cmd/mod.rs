//! `tokendist jobs submit|list|show|download|delete`: the job engine for scripts.
//!
//! `submit` lives in `submit.rs`, `list` and `show` in `listing.rs`; this file dispatches and
//! holds what they share.

mod listing;
mod submit;

use super::{CliError, GlobalArgs, JobsCommand};
use crate::jobs::{History, JobRecord};
use crate::workspace::Workspace;

pub fn run(global: &GlobalArgs, command: JobsCommand) -> Result<(), CliError> {
    match command {
        JobsCommand::Submit(args) => submit::submit(global, args),
        JobsCommand::List { json } => listing::list(global, json),
        JobsCommand::Show { job, json } => listing::show(global, &job, json),
        JobsCommand::Download { job, output, force } => download(global, &job, &output, force),
        JobsCommand::Delete { job } => delete(global, &job),
    }
}

fn open(global: &GlobalArgs) -> Result<(Workspace, History), CliError> {
    let workspace = super::workspace_cmd::open_workspace(global)?;
    let history = History::open(&workspace).map_err(CliError::failed)?;
    Ok((workspace, history))
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
    let (workspace, mut history) = open(global)?;
    find(&history, job)?;
    let report = crate::jobs::download(&workspace, &mut history, job, output, force, now())
        .map_err(CliError::failed)?;
    crate::cli_outln!(
        "saved {} ({} bytes, SHA-256 {})",
        report.path.display(),
        report.bytes,
        report.sha256
    );
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
