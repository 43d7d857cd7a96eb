//! The job history: one JSON object per line in `jobs/history.jsonl`, readable with any pager
//! and `jq`. It holds every job's specification (never a password or seed), its status and
//! timestamps, counts, exclusions, output size and SHA-256, and its downloads.
//!
//! The file is rewritten whole and atomically on every change, by the process that holds the
//! workspace lock. A damaged file is never silently replaced: it is moved aside and reported.

use super::error::HistoryError;
use super::spec::JobSpec;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// File name of the history inside the workspace's jobs directory.
pub const HISTORY_FILE: &str = "history.jsonl";

/// A time as jobs show it to people, `YYYY-MM-DD HH:MM`: in listings, the UI and default job
/// names alike, so an administrator can match one against the other.
pub fn minute_text(at: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// A job's life: running → completed | failed | cancelled; `interrupted` when the
/// process running it ended before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobStatus {
    Running,
    Completed,
    Failed,
    Cancelled,
    Interrupted,
}

impl JobStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
        }
    }

    /// True once the job can no longer change (other than downloads and deletion).
    pub fn is_finished(self) -> bool {
        self != Self::Running
    }
}

/// One token a job left out, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludedRecord {
    pub serial: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    /// Stable reason code (e.g. `expired`), for scripts.
    pub code: String,
    /// The reason in words.
    pub reason: String,
}

/// The staged output of a completed job: the exact bytes a download writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRecord {
    /// Size of the ZIP in bytes.
    pub bytes: u64,
    /// SHA-256 of the ZIP, lowercase hex.
    pub sha256: String,
    /// Set when `jobs delete` removed the staged output (the record stays).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub deleted_at: Option<OffsetDateTime>,
}

/// One download of a job's ZIP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadRecord {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: String,
}

/// Everything the history knows about one job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    pub name: String,
    pub status: JobStatus,
    /// The job as submitted; its password field is never serialised.
    pub spec: JobSpec,
    /// When the job was submitted (queued).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub started_at: Option<OffsetDateTime>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub finished_at: Option<OffsetDateTime>,
    /// Tokens the job set out to distribute.
    pub token_count: usize,
    /// Files written and verified (equals `token_count` once completed).
    pub done_count: usize,
    /// Tokens that matched the selection but were left out, with reasons.
    #[serde(default)]
    pub excluded: Vec<ExcludedRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputRecord>,
    /// Why the job failed or was interrupted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub downloads: Vec<DownloadRecord>,
    /// The process that ran the job (to explain an interruption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
}

impl JobRecord {
    /// True when a ZIP can be downloaded: completed and not deleted.
    pub fn has_output(&self) -> bool {
        self.status == JobStatus::Completed
            && self
                .output
                .as_ref()
                .is_some_and(|output| output.deleted_at.is_none())
    }
}

/// The job history as loaded from the workspace.
#[derive(Debug, Clone)]
pub struct History {
    path: PathBuf,
    records: Vec<JobRecord>,
}

impl History {
    /// Reads the history at `path`; a missing file is an empty history.
    ///
    /// A line that does not parse moves the file aside to `<path>.damaged-<UTC time>` and
    /// returns [`HistoryError::Damaged`] naming the file, the line and the kept copy.
    pub fn load_from(path: &Path) -> Result<History, HistoryError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) if error.kind() == std::io::ErrorKind::InvalidData => {
                return Err(move_aside(path, 0, "not UTF-8 text".into()));
            }
            Err(source) => {
                return Err(HistoryError::Io {
                    action: "read",
                    path: path.into(),
                    source,
                });
            }
        };
        let mut records = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<JobRecord>(line) {
                Ok(record) => records.push(record),
                Err(error) => return Err(move_aside(path, index + 1, describe_json_error(&error))),
            }
        }
        Ok(History {
            path: path.to_owned(),
            records,
        })
    }

    /// Where the history lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// All jobs, oldest first.
    pub fn records(&self) -> &[JobRecord] {
        &self.records
    }

    /// The job with this id, else the one with this name (case-insensitively).
    pub fn find(&self, id_or_name: &str) -> Option<&JobRecord> {
        let wanted = id_or_name.trim();
        self.records
            .iter()
            .find(|record| record.id == wanted)
            .or_else(|| {
                let folded = wanted.to_lowercase();
                self.records
                    .iter()
                    .find(|record| record.name.to_lowercase() == folded)
            })
    }

    pub fn get(&self, id: &str) -> Option<&JobRecord> {
        self.records.iter().find(|record| record.id == id)
    }

    /// Names of all jobs, for the uniqueness rule.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.records.iter().map(|record| record.name.as_str())
    }

    /// Inserts or replaces (by id) a record and saves the whole history atomically.
    /// Callers hold the workspace (and so its lock).
    pub(crate) fn put(&mut self, record: JobRecord) -> Result<(), HistoryError> {
        let mut next = self.records.clone();
        match next.iter_mut().find(|existing| existing.id == record.id) {
            Some(existing) => *existing = record,
            None => next.push(record),
        }
        self.save(&next)?;
        self.records = next;
        Ok(())
    }

    fn save(&self, records: &[JobRecord]) -> Result<(), HistoryError> {
        let mut text = String::new();
        for record in records {
            let line = serde_json::to_string(record).expect("a job record always serialises");
            text.push_str(&line);
            text.push('\n');
        }
        crate::workspace::write_atomic(&self.path, text.as_bytes()).map_err(|source| {
            HistoryError::Io {
                action: "write",
                path: self.path.clone(),
                source,
            }
        })
    }
}

fn move_aside(path: &Path, line: usize, reason: String) -> HistoryError {
    let stamp = OffsetDateTime::now_utc();
    let suffix = format!(
        "damaged-{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        stamp.year(),
        u8::from(stamp.month()),
        stamp.day(),
        stamp.hour(),
        stamp.minute(),
        stamp.second()
    );
    let kept_as = (1..)
        .map(|attempt| {
            let mut name = path.as_os_str().to_owned();
            name.push(format!(".{suffix}"));
            if attempt > 1 {
                name.push(format!("-{attempt}"));
            }
            PathBuf::from(name)
        })
        .find(|candidate| !candidate.exists())
        .expect("an unbounded counter always finds a free name");
    if let Err(source) = std::fs::rename(path, &kept_as) {
        return HistoryError::Io {
            action: "move aside the damaged",
            path: path.into(),
            source,
        };
    }
    HistoryError::Damaged {
        path: path.into(),
        line,
        reason,
        kept_as,
    }
}

/// serde_json's message names "line 1" of the one-line string; keep only the column.
fn describe_json_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let message = message.split(" at line ").next().unwrap_or(&message);
    format!("{message} (column {})", error.column())
}
