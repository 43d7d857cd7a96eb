//! Saving a completed job's ZIP: decrypt the staged stream into a temporary file beside the
//! target, check its size and SHA-256 against the history, sync, and rename it into place.
//! A failure at any point leaves nothing at the target path.

use super::engine::staged_dir;
use super::error::JobError;
use super::history::{DownloadRecord, History, JobRecord, JobStatus};
use super::staging::{self, CopyError, JobKey, SealedReader};
use super::store::JobStore;
use std::path::{Path, PathBuf};

/// What was saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: String,
}

/// The default download path: `template` (config `output_path_template`) with `{job}`
/// replaced by the job name made safe as a file name.
pub fn default_output_path(template: &str, job_name: &str) -> PathBuf {
    PathBuf::from(template.replace("{job}", &file_name_safe(job_name)))
}

/// Letters, digits, `.`, `-` and `_` kept; runs of anything else become one `_`.
pub fn file_name_safe(name: &str) -> String {
    let mut safe = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
            safe.push(c);
        } else if !safe.ends_with('_') {
            safe.push('_');
        }
    }
    let safe = safe.trim_matches(|c| c == '_' || c == '.').to_owned();
    if safe.is_empty() {
        "job".to_owned()
    } else {
        safe
    }
}

/// Writes the job's ZIP to `target` (mode 0600), refusing to replace an existing file unless
/// `force`, and records the download in the history.
pub fn download(
    store: &impl JobStore,
    history: &mut History,
    job: &str,
    target: &Path,
    force: bool,
    now: time::OffsetDateTime,
) -> Result<DownloadReport, JobError> {
    let mut record = history
        .find(job)
        .cloned()
        .ok_or_else(|| JobError::NotFound(job.to_owned()))?;
    let output = downloadable(&record)?;
    if !force && target.exists() {
        return Err(JobError::TargetExists {
            path: target.to_owned(),
        });
    }
    let dir = staged_dir(&store.jobs_dir(), &record.id);
    let output_path = dir.join(staging::OUTPUT_FILE);
    let damaged = |reason: String| JobError::StagedOutputDamaged {
        name: record.name.clone(),
        path: output_path.clone(),
        reason,
    };
    let key = open_key(store, &dir, &record.id).map_err(&damaged)?;
    let mut reader = SealedReader::open(&output_path, &key, &record.id)
        .map_err(|error| damaged(error.to_string()))?;

    let parent = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".tokendist-download-")
        .tempfile_in(&parent)
        .map_err(|error| JobError::io("create a temporary file in", &parent, error))?;
    // One pass: each chunk is decrypted in place, hashed and written from the same buffer.
    let (bytes, sha256) =
        reader
            .copy_hashing_to(temp.as_file_mut())
            .map_err(|error| match error {
                CopyError::Read(error) => damaged(error.to_string()),
                CopyError::Write(error) => JobError::io("write", target, error),
            })?;
    if bytes != output.0 || sha256 != output.1 {
        return Err(damaged(
            "its size or SHA-256 differs from the one recorded when the job completed".into(),
        ));
    }
    temp.as_file()
        .sync_all()
        .map_err(|error| JobError::io("write", target, error))?;
    let persisted = if force {
        temp.persist(target)
    } else {
        temp.persist_noclobber(target)
    };
    persisted.map_err(|error| {
        if error.error.kind() == std::io::ErrorKind::AlreadyExists {
            JobError::TargetExists {
                path: target.to_owned(),
            }
        } else {
            JobError::io("write", target, error.error)
        }
    })?;
    if let Ok(directory) = std::fs::File::open(&parent) {
        let _ = directory.sync_all();
    }

    let path = std::path::absolute(target).unwrap_or_else(|_| target.to_owned());
    record.downloads.push(DownloadRecord {
        at: now,
        path: path.clone(),
        bytes,
        sha256: sha256.clone(),
    });
    history.put(record)?;
    Ok(DownloadReport {
        path,
        bytes,
        sha256,
    })
}

/// The recorded size and SHA-256 when the job has a downloadable output.
fn downloadable(record: &JobRecord) -> Result<(u64, String), JobError> {
    if record.status != JobStatus::Completed {
        return Err(JobError::NotCompleted {
            name: record.name.clone(),
            status: record.status.label(),
        });
    }
    let Some(output) = &record.output else {
        return Err(JobError::NotCompleted {
            name: record.name.clone(),
            status: record.status.label(),
        });
    };
    if let Some(deleted_at) = output.deleted_at {
        return Err(JobError::OutputDeleted {
            name: record.name.clone(),
            deleted_at: deleted_at.date().to_string(),
        });
    }
    Ok((output.bytes, output.sha256.clone()))
}

fn open_key(store: &impl JobStore, dir: &Path, job_id: &str) -> Result<JobKey, String> {
    let path = dir.join(staging::KEY_FILE);
    let sealed = std::fs::read(&path)
        .map_err(|error| format!("cannot read its key {}: {error}", path.display()))?;
    let plain = store
        .open_sealed(&sealed, &staging::key_context(job_id))
        .map_err(|error| format!("its key does not open: {error}"))?;
    let bytes: [u8; 32] = plain
        .as_slice()
        .try_into()
        .map_err(|_| "its key has the wrong length".to_owned())?;
    Ok(JobKey::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_paths_use_a_safe_job_name() {
        assert_eq!(
            default_output_path("./{job}.zip", "Distribution 2026-11-29 16:40"),
            PathBuf::from("./Distribution_2026-11-29_16_40.zip")
        );
        assert_eq!(file_name_safe("../../etc/passwd"), "etc_passwd");
        assert_eq!(file_name_safe("   "), "job");
    }
}
