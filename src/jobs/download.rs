//! Saving a completed job's ZIP: decrypt the staged stream into a temporary file beside the
//! target, check its size and SHA-256 against the history, sync, and rename it into place.
//! A failure at any point leaves nothing at the target path.
//!
//! The temporary file holds plaintext seeds (in password-protected token files, or not), so
//! the history records it as a pending download *before* it is created: if the process dies,
//! the next open of the workspace removes it, or records the download when the rename had
//! already happened ([`settle_pending`]).

use super::error::JobError;
use super::history::{DownloadRecord, History, JobRecord, JobStatus, PendingDownload};
use super::job_id;
use super::staging::{self, CopyError, JobKey, SealedReader, StagedDigest};
use super::store::JobStore;
use super::writeback::BackgroundSync;
use crate::jobs::CancelToken;
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

/// How far a download is: bytes of the ZIP written to the temporary file, of its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadProgress {
    pub written: u64,
    pub total: u64,
}

/// How often a download reports its progress (as the job engine does).
pub const DOWNLOAD_PROGRESS_INTERVAL: std::time::Duration = super::engine::PROGRESS_INTERVAL;

/// The name of the pause site after each chunk of a download is written (tests make a small
/// download slow with `TOKENDIST_PAUSE_AT`, to watch the screen and cancel meanwhile).
pub const DOWNLOAD_PAUSE_POINT: &str = "job.download.write";

/// The fault site that cancels a download at its first write (test builds,
/// `TOKENDIST_FAIL_AT`): the cancelled ending's own steps can be crashed in turn.
const CANCEL_FAULT: &str = "job.download.cancel";

/// What the caller of a long download watches it with: where its progress goes (at most
/// every [`DOWNLOAD_PROGRESS_INTERVAL`], and at its start and end) and how it is cancelled.
pub struct DownloadWatch<'a> {
    cancel: Option<CancelToken>,
    on_progress: Box<dyn FnMut(DownloadProgress) + 'a>,
}

impl<'a> DownloadWatch<'a> {
    pub fn new(cancel: CancelToken, on_progress: impl FnMut(DownloadProgress) + 'a) -> Self {
        Self {
            cancel: Some(cancel),
            on_progress: Box::new(on_progress),
        }
    }

    /// No progress and no cancel (the CLI without a terminal).
    pub fn unwatched() -> Self {
        Self {
            cancel: None,
            on_progress: Box::new(|_| {}),
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(CancelToken::is_cancelled)
            || crate::crashpoint::injected(CANCEL_FAULT)
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
    download_watched(
        store,
        history,
        job,
        target,
        force,
        now,
        &mut DownloadWatch::unwatched(),
    )
}

/// [`download`], reporting progress to `watch` and stopping when it is cancelled (the same
/// ending as a failure: nothing at the target, the temporary file removed, the pending note
/// cleared; the job can be downloaded again).
pub fn download_watched(
    store: &impl JobStore,
    history: &mut History,
    job: &str,
    target: &Path,
    force: bool,
    now: time::OffsetDateTime,
    watch: &mut DownloadWatch,
) -> Result<DownloadReport, JobError> {
    let mut begun = begin_download(store, history, job, target, force, now)?;
    let written = begun.write(watch);
    end_download(history, begun, written)
}

/// A download begun by [`begin_download`]: the staged output is open and the history holds
/// the pending note naming the temporary file. [`BegunDownload::write`] needs neither the
/// workspace nor the history, so a caller that shares them (the TUI's worker) holds them
/// only for the short first and last steps.
pub struct BegunDownload {
    job_id: String,
    name: String,
    output_path: PathBuf,
    output: (u64, String),
    reader: SealedReader,
    temp_path: PathBuf,
    target: PathBuf,
    target_path: PathBuf,
    parent: PathBuf,
    force: bool,
    now: time::OffsetDateTime,
}

/// The first step of [`download`]: checks the job and the target, opens the staged output
/// with its key and writes the pending note (ahead of the temporary file, so a crash leaves a
/// record naming the file to clean up).
pub fn begin_download(
    store: &impl JobStore,
    history: &mut History,
    job: &str,
    target: &Path,
    force: bool,
    now: time::OffsetDateTime,
) -> Result<BegunDownload, JobError> {
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
    let dir = job_id::staged_dir(&store.jobs_dir(), &record.id)
        .ok_or_else(|| JobError::NotFound(record.id.clone()))?;
    let output_path = dir.join(staging::OUTPUT_FILE);
    let damaged = |reason: String| JobError::StagedOutputDamaged {
        name: record.name.clone(),
        path: output_path.clone(),
        reason,
    };
    let key = open_key(store, &dir, &record.id).map_err(damaged)?;
    let reader = SealedReader::open(&output_path, &key, &record.id)
        .map_err(|error| damaged(error.to_string()))?;

    let parent = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let parent = std::path::absolute(&parent).unwrap_or(parent);
    let temp_path = parent.join(temporary_name());
    let target_path = std::path::absolute(target).unwrap_or_else(|_| target.to_owned());
    record.pending_download = Some(PendingDownload {
        at: now,
        temp: temp_path.clone(),
        target: target_path.clone(),
    });
    let job_id = record.id.clone();
    let name = record.name.clone();
    history.put_at("job.download.pending", record)?;
    Ok(BegunDownload {
        job_id,
        name,
        output_path,
        output,
        reader,
        temp_path,
        target: target.to_owned(),
        target_path,
        parent,
        force,
        now,
    })
}

impl BegunDownload {
    /// The ZIP's size, as recorded when the job completed.
    pub fn total(&self) -> u64 {
        self.output.0
    }

    /// The long step: decrypts into the temporary file, checks size and SHA-256, syncs and
    /// renames it into place; on any error or a cancel the temporary file is removed.
    pub fn write(&mut self, watch: &mut DownloadWatch) -> Result<(u64, String), JobError> {
        let name = self.name.clone();
        let output_path = self.output_path.clone();
        let damaged = move |reason: String| JobError::StagedOutputDamaged {
            name: name.clone(),
            path: output_path.clone(),
            reason,
        };
        write_checked(
            &mut self.reader,
            &self.temp_path,
            &self.target,
            &self.parent,
            self.force,
            self.output.clone(),
            &damaged,
            watch,
        )
    }
}

/// The last step of [`download`]: records what [`BegunDownload::write`] did. A download
/// written is recorded; one that failed or was cancelled (its temporary file already gone)
/// has its pending note cleared, and the error is returned.
pub fn end_download(
    history: &mut History,
    begun: BegunDownload,
    written: Result<(u64, String), JobError>,
) -> Result<DownloadReport, JobError> {
    // The record as it is now (read again: the history may have changed meanwhile).
    let mut record = history
        .find(&begun.job_id)
        .cloned()
        .ok_or_else(|| JobError::NotFound(begun.job_id.clone()))?;
    record.pending_download = None;
    let (bytes, sha256) = match written {
        Ok(digest) => digest,
        Err(error) => {
            // The temporary file is gone (dropped); the pending note can go too.
            let _ = history.put_at("job.download.abandoned", record);
            return Err(error);
        }
    };
    record.downloads.push(DownloadRecord {
        at: begun.now,
        path: begun.target_path.clone(),
        bytes,
        sha256: sha256.clone(),
    });
    history.put_at("job.download.history", record)?;
    Ok(DownloadReport {
        path: begun.target_path,
        bytes,
        sha256,
    })
}

/// The download as the unsealing threads write it: each chunk, once written and hashed,
/// passes the pause site and a look at the cancel, and counts for the progress and the
/// background sync.
struct Watched<'w, 'a> {
    watch: &'w mut DownloadWatch<'a>,
    background: Option<BackgroundSync>,
    written: u64,
    total: u64,
    last_report: std::time::Instant,
    cancelled: bool,
}

impl Watched<'_, '_> {
    fn report(&mut self) {
        (self.watch.on_progress)(DownloadProgress {
            written: self.written,
            total: self.total,
        });
        self.last_report = std::time::Instant::now();
    }

    fn wrote(&mut self, bytes: usize) -> std::io::Result<()> {
        crate::crashpoint::pause(DOWNLOAD_PAUSE_POINT);
        if self.watch.cancelled() {
            self.cancelled = true;
            return Err(std::io::Error::other("the download was cancelled"));
        }
        self.written += bytes as u64;
        if let Some(background) = &mut self.background {
            background.wrote(bytes);
        }
        if self.last_report.elapsed() >= DOWNLOAD_PROGRESS_INTERVAL {
            self.report();
        }
        Ok(())
    }
}

/// `.tokendist-download-<16 hex>.tmp`: a name only we make, so recovery may remove it.
fn temporary_name() -> String {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).expect("the operating system CSPRNG is unavailable");
    format!("{TEMP_PREFIX}{}{TEMP_SUFFIX}", staging::hex(&random))
}

const TEMP_PREFIX: &str = ".tokendist-download-";
const TEMP_SUFFIX: &str = ".tmp";

/// True for a temporary file name [`download`] makes.
fn is_download_temporary(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.strip_prefix(TEMP_PREFIX))
        .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX))
        .is_some_and(|random| {
            random.len() == 16
                && random
                    .bytes()
                    .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

/// Decrypts into `temp_path` (created new, 0600), checks it against the recorded size and
/// SHA-256, syncs, and renames it to `target`; on any error the temporary file is removed.
#[allow(clippy::too_many_arguments)]
fn write_checked(
    reader: &mut SealedReader,
    temp_path: &Path,
    target: &Path,
    parent: &Path,
    force: bool,
    output: (u64, String),
    damaged: &dyn Fn(String) -> JobError,
    watch: &mut DownloadWatch,
) -> Result<(u64, String), JobError> {
    let cancelled = || JobError::DownloadCancelled {
        path: target.to_owned(),
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(temp_path)
        .map_err(|error| JobError::io("create a temporary file in", parent, error))?;
    // Removes the file when dropped, unless persisted.
    let temp_path = tempfile::TempPath::try_from_path(temp_path)
        .map_err(|error| JobError::io("create a temporary file in", parent, error))?;
    let temp = tempfile::NamedTempFile::from_parts(file, temp_path);
    crate::crashpoint::reached("job.download.temp-created");
    // One pass: each chunk is decrypted in place and written from that buffer at its place
    // by the unsealing threads, and hashed in order here, where progress is reported and a
    // cancel noticed; the file is synced in the background as it grows, so the sync below
    // has little left to write.
    let mut watched = Watched {
        watch: &mut *watch,
        background: BackgroundSync::start(temp.as_file()),
        written: 0,
        total: output.0,
        last_report: std::time::Instant::now(),
        cancelled: false,
    };
    watched.report();
    let copied = reader.copy_hashing_into_file(temp.as_file(), |bytes| watched.wrote(bytes));
    let synced = watched
        .background
        .take()
        .map_or(Ok(()), BackgroundSync::stop);
    if watched.cancelled {
        return Err(cancelled());
    }
    let (bytes, sha256) = copied.map_err(|error| match error {
        CopyError::Read(error) => damaged(error.to_string()),
        CopyError::Write(error) => JobError::io("write", target, error),
    })?;
    synced.map_err(|error| JobError::io("write", target, error))?;
    watched.report();
    crate::crashpoint::reached("job.download.temp-written");
    if bytes != output.0 || sha256 != output.1 {
        return Err(damaged(
            "its size or SHA-256 differs from the one recorded when the job completed".into(),
        ));
    }
    temp.as_file()
        .sync_all()
        .map_err(|error| JobError::io("write", target, error))?;
    crate::crashpoint::reached("job.download.temp-synced");
    // The last moment a cancel is honoured: after the rename the ZIP is in place.
    if watch.cancelled() {
        return Err(cancelled());
    }
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
    crate::crashpoint::reached("job.download.renamed");
    if let Ok(directory) = std::fs::File::open(parent) {
        let _ = directory.sync_all();
    }
    crate::crashpoint::reached("job.download.dir-synced");
    Ok((bytes, sha256))
}

/// Settles a download the process did not finish recording: removes its temporary file
/// (plaintext) if it is still there, or records the download when the rename had happened
/// (the target holds exactly the job's ZIP). Only a file with the name [`download`] makes
/// is ever removed.
pub(crate) fn settle_pending(record: &mut JobRecord) {
    let Some(pending) = record.pending_download.clone() else {
        return;
    };
    let temp_left = std::fs::symlink_metadata(&pending.temp).is_ok_and(|meta| meta.is_file());
    if temp_left && is_download_temporary(&pending.temp) {
        if std::fs::remove_file(&pending.temp).is_ok() {
            crate::crashpoint::reached("recovery.download-temp-removed");
        }
    } else if !temp_left
        && let Some(output) = &record.output
        && let Ok((bytes, sha256)) = hash_file(&pending.target)
        && bytes == output.bytes
        && sha256 == output.sha256
    {
        record.downloads.push(DownloadRecord {
            at: pending.at,
            path: pending.target.clone(),
            bytes,
            sha256,
        });
    }
    record.pending_download = None;
}

fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    use sha2::{Digest, Sha256};
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hasher)?;
    Ok((bytes, staging::hex(&hasher.finalize())))
}

/// Reads a job's staged output to the end with its sealed key: the size and SHA-256 of the
/// ZIP it holds, or why it cannot be read (recovery uses this to check an output).
pub(crate) fn read_staged_digest(
    store: &impl JobStore,
    jobs_dir: &Path,
    job_id: &str,
) -> Result<StagedDigest, String> {
    let dir = job_id::staged_dir(jobs_dir, job_id).ok_or("not a tokendist job id")?;
    let key = open_key(store, &dir, job_id)?;
    let output_path = dir.join(staging::OUTPUT_FILE);
    let mut reader = SealedReader::open(&output_path, &key, job_id)
        .map_err(|error| format!("{}: {error}", output_path.display()))?;
    let (bytes, sha256) =
        reader
            .copy_hashing_to(&mut std::io::sink())
            .map_err(|error| match error {
                CopyError::Read(error) | CopyError::Write(error) => {
                    format!("{}: {error}", output_path.display())
                }
            })?;
    Ok(StagedDigest { bytes, sha256 })
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

pub(crate) fn open_key(store: &impl JobStore, dir: &Path, job_id: &str) -> Result<JobKey, String> {
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
