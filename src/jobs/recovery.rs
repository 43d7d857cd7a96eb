//! Settling what a dead process or a damaged history left behind, so the history tells the
//! truth about the inventory and the staged outputs (see `docs/architecture.md`, "Failure
//! model"):
//!
//! - a job still marked running whose process is gone is settled by asking the inventory,
//!   which is the commit record of a job: if it records the job's distribution, the job
//!   completed (its staged output is read back and checked) — otherwise it was interrupted,
//!   nothing was distributed and its staged files go;
//! - a download under way is finished (the rename happened: the download is recorded) or
//!   undone (its plaintext temporary file is removed);
//! - a staging folder is removed only when a record says its job has no output; one that no
//!   record explains is kept and reported, and [`recover`] rebuilds its record.

use super::download::{self, read_staged_digest};
use super::engine::is_live;
use super::error::HistoryError;
use super::history::{
    self, DAMAGED_PREFIX, HISTORY_FILE, History, JobRecord, JobStatus, OutputRecord,
};
use super::job_id::{self, STAGED_DIR};
use super::store::JobStore;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

impl History {
    /// Loads the workspace's history and settles what a process that died left behind.
    ///
    /// A damaged history is moved aside and reported ([`HistoryError::Damaged`]); the next
    /// open starts a new history and keeps every staged output, listing them in
    /// [`History::unexplained`] until `tokendist jobs recover` rebuilds their records.
    pub fn open(store: &impl JobStore) -> Result<History, HistoryError> {
        let jobs_dir = store.jobs_dir();
        let mut history = History::load_tidied(&jobs_dir)?;
        let now = OffsetDateTime::now_utc();
        let settle_job = |record| settle_unfinished(store, &jobs_dir, record, now);
        // Only the inventory can say whether a job left running committed; without it, the
        // record stays for the next command that opens the inventory.
        let settle_job: Option<&dyn Fn(JobRecord) -> JobRecord> =
            store.knows_distributions().then_some(&settle_job);
        history.settle(&jobs_dir, settle_job)?;
        Ok(history)
    }

    /// Loads the history of `jobs_dir` for reading it (`jobs list`, `jobs show`) without the
    /// inventory or the vault key: what needs neither is settled (a download a dead process
    /// left, staging folders of jobs without output); a job left running by a dead process
    /// stays as it is, [`JobRecord::needs_settling`] says so, and the caller tells the
    /// operator to run a command that opens the inventory (`tokendist jobs recover`).
    ///
    /// Callers hold the workspace lock ([`crate::workspace::JobsFolder`]).
    pub fn open_without_inventory(jobs_dir: &Path) -> Result<History, HistoryError> {
        let mut history = History::load_tidied(jobs_dir)?;
        history.settle(jobs_dir, None)?;
        Ok(history)
    }

    fn load_tidied(jobs_dir: &Path) -> Result<History, HistoryError> {
        crate::workspace::remove_temporaries(jobs_dir, &[HISTORY_FILE]);
        History::load_from(&jobs_dir.join(HISTORY_FILE))
    }

    fn settle(
        &mut self,
        jobs_dir: &Path,
        settle_job: Option<&dyn Fn(JobRecord) -> JobRecord>,
    ) -> Result<(), HistoryError> {
        if let Some(settle_job) = settle_job {
            let unfinished: Vec<JobRecord> = self
                .records()
                .iter()
                .filter(|record| record.needs_settling())
                .cloned()
                .collect();
            for record in unfinished {
                self.put_at("recovery.job", settle_job(record))?;
            }
        }
        let downloading: Vec<JobRecord> = self
            .records()
            .iter()
            .filter(|record| record.pending_download.is_some())
            .cloned()
            .collect();
        for mut record in downloading {
            download::settle_pending(&mut record);
            self.put_at("recovery.download", record)?;
        }
        self.unexplained = sweep_staging(self, jobs_dir);
        Ok(())
    }
}

/// Settles a job whose process ended while it was running; the inventory decides.
fn settle_unfinished(
    store: &impl JobStore,
    jobs_dir: &Path,
    mut record: JobRecord,
    now: OffsetDateTime,
) -> JobRecord {
    let process = record
        .pid
        .map(|pid| format!(" (pid {pid})"))
        .unwrap_or_default();
    record.finished_at = Some(now);
    record.pending_download = None;
    let Some(distribution) = store.job_distribution(&record.id) else {
        record.status = JobStatus::Interrupted;
        record.output = None;
        record.error = Some(format!(
            "the tokendist process{process} ended before the job finished; no file was kept and the inventory was not changed"
        ));
        return record;
    };
    let count = distribution.tokens;
    record.token_count = record.token_count.max(count);
    match read_staged_digest(store, jobs_dir, &record.id) {
        Ok(digest)
            if record.output.as_ref().is_none_or(|output| {
                output.bytes == digest.bytes && output.sha256 == digest.sha256
            }) =>
        {
            record.status = JobStatus::Completed;
            record.done_count = record.token_count;
            record.output = Some(OutputRecord {
                bytes: digest.bytes,
                sha256: digest.sha256,
                deleted_at: None,
            });
            record.error = None;
            record.recovered = Some(format!(
                "the tokendist process{process} ended after the inventory recorded the distribution of {count} tokens; the staged output was read back and checked, and the job recorded as completed"
            ));
        }
        result => {
            let reason = match result {
                Ok(_) => "it differs from the output the job recorded".to_owned(),
                Err(reason) => reason,
            };
            record.status = JobStatus::Failed;
            record.output = None;
            record.error = Some(format!(
                "the inventory records this job's distribution of {count} tokens, but its staged output cannot be used ({reason}); no file can be downloaded: submit the tokens again with --include-distributed"
            ));
        }
    }
    record
}

/// Removes staging folders whose record says the job has no output (failed, cancelled,
/// interrupted, deleted); returns the folders no record explains, which are kept.
fn sweep_staging(history: &History, jobs_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(jobs_dir.join(STAGED_DIR)) else {
        return Vec::new();
    };
    let mut unexplained = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
        if !job_id::is_valid(&name) || !is_dir {
            // Not ours to judge, and never ours to remove.
            unexplained.push(name);
            continue;
        }
        if is_live(&name) {
            continue;
        }
        match history.get(&name) {
            Some(record) if record.has_output() => {
                crate::workspace::remove_temporaries(&entry.path(), &[super::staging::KEY_FILE]);
            }
            // Not settled yet (the inventory was not open to ask): its output may be the
            // only copy of a committed job's files.
            Some(record) if !record.status.is_finished() => {}
            Some(_) => {
                // Best effort: a folder that stays is removed by the next open.
                let _ = super::staging::dispose(&entry.path(), "recovery");
            }
            None => unexplained.push(name),
        }
    }
    unexplained.sort();
    unexplained
}

/// What `tokendist jobs recover` did.
#[derive(Debug, Default)]
pub struct RecoveryReport {
    /// Records added to the history, as they now stand.
    pub restored: Vec<JobRecord>,
    /// Damaged histories read (kept; the operator may delete them once satisfied).
    pub damaged_files: Vec<PathBuf>,
    /// Lines of those files with no usable job id.
    pub skipped_lines: usize,
    /// Entries of `jobs/staged/` that are not ours (left alone).
    pub foreign: Vec<String>,
}

/// Rebuilds the records a damaged or lost history no longer has, from the damaged copies kept
/// beside it (`history.jsonl.damaged-*`), the staged outputs (read back with their sealed
/// keys) and the inventory's record of each job's distribution. Settles each one as after a
/// crash, writes them in one step, and removes staged files of jobs that turn out to have no
/// output. Running it again changes nothing.
pub fn recover(
    store: &impl JobStore,
    history: &mut History,
    now: OffsetDateTime,
) -> Result<RecoveryReport, HistoryError> {
    let jobs_dir = store.jobs_dir();
    let mut report = RecoveryReport::default();
    let mut damaged: Vec<PathBuf> = std::fs::read_dir(&jobs_dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|entry| {
                    entry
                        .file_name()
                        .to_string_lossy()
                        .starts_with(DAMAGED_PREFIX)
                        && entry.file_type().is_ok_and(|kind| kind.is_file())
                })
                .map(|entry| entry.path())
                .collect()
        })
        .unwrap_or_default();
    // The names carry the time they were moved aside: oldest first, so later copies win.
    damaged.sort();
    let mut found: Vec<JobRecord> = Vec::new();
    for path in &damaged {
        let salvage = history::salvage(path, now).map_err(|source| HistoryError::Io {
            action: "read",
            path: path.clone(),
            source,
        })?;
        report.skipped_lines += salvage.skipped;
        for record in salvage.records {
            found.retain(|known| known.id != record.id);
            found.push(record);
        }
    }
    report.damaged_files = damaged;
    found.retain(|record| history.get(&record.id).is_none());
    for name in history.unexplained().to_vec() {
        if !job_id::is_valid(&name) {
            report.foreign.push(name);
        } else if !found.iter().any(|record| record.id == name) {
            found.push(rebuilt_record(store, &name, now));
        }
    }
    let mut settled = Vec::new();
    for record in found {
        let source = if record.settings_lost {
            "the staged output and the inventory (its settings were lost)"
        } else {
            "a damaged copy of the history"
        };
        let mut record = if record.status.is_finished() {
            check_finished(store, &jobs_dir, record, now)
        } else {
            settle_unfinished(store, &jobs_dir, record, now)
        };
        let note = format!("rebuilt by `tokendist jobs recover` from {source}");
        record.recovered = Some(match record.recovered.take() {
            Some(earlier) => format!("{note}; {earlier}"),
            None => note,
        });
        settled.push(record);
    }
    if !settled.is_empty() {
        history.put_all("recover.history", settled.clone())?;
    }
    history.unexplained = sweep_staging(history, &jobs_dir);
    report.restored = settled
        .iter()
        .filter_map(|record| history.get(&record.id).cloned())
        .collect();
    Ok(report)
}

/// A record for a staging folder the history lost: what the inventory and the id still say.
fn rebuilt_record(store: &impl JobStore, id: &str, now: OffsetDateTime) -> JobRecord {
    let distribution = store.job_distribution(id);
    let name = distribution
        .as_ref()
        .map_or_else(|| format!("recovered {id}"), |d| d.name.clone());
    JobRecord {
        id: id.to_owned(),
        spec: history::placeholder_spec(&name),
        name,
        status: JobStatus::Running,
        created_at: created_at_of(id).unwrap_or(now),
        started_at: None,
        finished_at: None,
        token_count: distribution.map_or(0, |d| d.tokens),
        done_count: 0,
        exclusions: Default::default(),
        excluded: Vec::new(),
        output: None,
        error: None,
        downloads: Vec::new(),
        pid: None,
        pending_download: None,
        recovered: None,
        settings_lost: true,
    }
}

/// The creation time a job id encodes (`YYYYMMDD-HHMMSS-…`, UTC).
fn created_at_of(id: &str) -> Option<OffsetDateTime> {
    let number = |range: std::ops::Range<usize>| id.get(range)?.parse::<u32>().ok();
    let date = time::Date::from_calendar_date(
        number(0..4)? as i32,
        time::Month::try_from(number(4..6)? as u8).ok()?,
        number(6..8)? as u8,
    )
    .ok()?;
    let clock = time::Time::from_hms(
        number(9..11)? as u8,
        number(11..13)? as u8,
        number(13..15)? as u8,
    )
    .ok()?;
    Some(date.with_time(clock).assume_utc())
}

/// A finished record from a damaged copy: a completed job's output must still be there.
fn check_finished(
    store: &impl JobStore,
    jobs_dir: &Path,
    mut record: JobRecord,
    now: OffsetDateTime,
) -> JobRecord {
    record.pending_download = None;
    if !record.has_output() {
        return record;
    }
    let recorded = record.output.clone().expect("has_output");
    match read_staged_digest(store, jobs_dir, &record.id) {
        Ok(digest) if digest.bytes == recorded.bytes && digest.sha256 == recorded.sha256 => {}
        result => {
            let reason = match result {
                Ok(_) => "it differs from the one recorded".to_owned(),
                Err(reason) => reason,
            };
            if let Some(output) = record.output.as_mut() {
                output.deleted_at = Some(now);
            }
            record.recovered = Some(format!(
                "its staged output was lost ({reason}); the tokens stay marked distributed"
            ));
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_id_gives_its_creation_time() {
        assert_eq!(
            created_at_of("20261129-164005-0a9f"),
            Some(time::macros::datetime!(2026-11-29 16:40:05 UTC))
        );
        assert_eq!(created_at_of("20261399-164005-0a9f"), None);
    }
}
