//! Removing a job's staged output while keeping its history record.

use super::engine::{is_live, staged_dir};
use super::error::JobError;
use super::history::{History, JobRecord};
use super::store::JobStore;

/// Deletes the job's staged files (if any) and notes the deletion; the record stays.
pub fn delete_output(
    store: &impl JobStore,
    history: &mut History,
    job: &str,
    now: time::OffsetDateTime,
) -> Result<JobRecord, JobError> {
    let mut record = history
        .find(job)
        .cloned()
        .ok_or_else(|| JobError::NotFound(job.to_owned()))?;
    if is_live(&record.id) {
        return Err(JobError::StillRunning { name: record.name });
    }
    let dir = staged_dir(&store.jobs_dir(), &record.id);
    match std::fs::remove_dir_all(&dir) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(JobError::io("remove", dir, error)),
    }
    if let Some(output) = record.output.as_mut()
        && output.deleted_at.is_none()
    {
        output.deleted_at = Some(now);
        history.put(record.clone())?;
    }
    Ok(record)
}
