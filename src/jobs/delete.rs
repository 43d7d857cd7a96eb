//! Removing a job's staged output while keeping its history record.

use super::engine::is_live;
use super::error::JobError;
use super::history::{History, JobRecord};
use super::job_id;
use super::store::JobStore;

/// Notes the deletion in the history, then deletes the job's staged files (if any); the
/// record stays. In that order, so a crash between the two leaves a record saying the output
/// is gone and files the next open removes — never a record offering a download that is gone.
pub fn delete_output(
    store: &impl JobStore,
    history: &mut History,
    job: &str,
    now: time::OffsetDateTime,
) -> Result<JobRecord, JobError> {
    let (record, dir) = mark_output_deleted(store, history, job, now)?;
    remove_staged(&dir)?;
    Ok(record)
}

/// The first step of [`delete_output`] (short: the history written): the record says the
/// output is gone. Returns it and the staged folder [`remove_staged`] removes — a gigabyte at
/// a million tokens, which a caller sharing the history (the TUI's worker) removes without
/// holding it.
pub fn mark_output_deleted(
    store: &impl JobStore,
    history: &mut History,
    job: &str,
    now: time::OffsetDateTime,
) -> Result<(JobRecord, std::path::PathBuf), JobError> {
    let mut record = history
        .find(job)
        .cloned()
        .ok_or_else(|| JobError::NotFound(job.to_owned()))?;
    if is_live(&record.id) {
        return Err(JobError::StillRunning { name: record.name });
    }
    let dir = job_id::staged_dir(&store.jobs_dir(), &record.id)
        .ok_or_else(|| JobError::NotFound(record.id.clone()))?;
    if let Some(output) = record.output.as_mut()
        && output.deleted_at.is_none()
    {
        output.deleted_at = Some(now);
        history.put_at("job.delete.history", record.clone())?;
    }
    Ok((record, dir))
}

/// The second step of [`delete_output`]: the job's staged folder removed (its key first).
pub fn remove_staged(dir: &std::path::Path) -> Result<(), JobError> {
    super::staging::dispose(dir, "job.delete").map_err(|error| JobError::io("remove", dir, error))
}
