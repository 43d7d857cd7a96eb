//! The job history: one JSON object per line in `jobs/history.jsonl`, readable with any pager
//! and `jq`. It holds every job's specification (never a password or seed), its status and
//! timestamps, counts, exclusions, output size and SHA-256, and its downloads.
//!
//! The file is rewritten whole and atomically on every change, by the process that holds the
//! workspace lock. A damaged file is never silently replaced: it is moved aside and reported,
//! and [`salvage`] reads what it still holds for `tokendist jobs recover`.

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

/// Why a job left tokens out, in a size that does not grow with the inventory: a count per
/// reason and the first few tokens. A 10-token job on a 1,000,000-token inventory can leave
/// 999,990 out; listing them all made every command that reads the history pay for them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusionSummary {
    /// Tokens left out, all reasons together.
    pub total: usize,
    /// One entry per reason, in the order the reasons first occurred.
    pub by_reason: Vec<ReasonCount>,
    /// The first [`EXCLUSION_SAMPLE`] tokens left out, in serial order.
    pub sample: Vec<ExcludedRecord>,
}

/// How many excluded tokens a record lists by serial.
pub const EXCLUSION_SAMPLE: usize = 20;

/// How many tokens one reason left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonCount {
    /// Stable reason code (e.g. `expired`), for scripts.
    pub code: String,
    /// The reason in words.
    pub reason: String,
    pub count: usize,
}

impl ExclusionSummary {
    /// Summarises exclusions given in serial order.
    pub fn of(excluded: impl IntoIterator<Item = ExcludedRecord>) -> Self {
        let mut summary = Self::default();
        for record in excluded {
            summary.total += 1;
            match summary
                .by_reason
                .iter_mut()
                .find(|entry| entry.code == record.code)
            {
                Some(entry) => entry.count += 1,
                None => summary.by_reason.push(ReasonCount {
                    code: record.code.clone(),
                    reason: record.reason.clone(),
                    count: 1,
                }),
            }
            if summary.sample.len() < EXCLUSION_SAMPLE {
                summary.sample.push(record);
            }
        }
        summary
    }
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

/// A download in progress: written to the history before the first plaintext byte goes to
/// `temp`, so a process that dies mid-download leaves a record saying which file to remove
/// (or, when the rename already happened, which download to record) on the next open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDownload {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The temporary file beside the target (`.tokendist-download-<16 hex>.tmp`).
    pub temp: PathBuf,
    pub target: PathBuf,
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
    /// Tokens that matched the selection but were left out: counts by reason and a sample.
    #[serde(default)]
    pub exclusions: ExclusionSummary,
    /// Histories written before exclusions were summarised listed every excluded token here;
    /// loading turns the list into [`JobRecord::exclusions`] and the next save drops it.
    #[serde(default, skip_serializing)]
    pub(super) excluded: Vec<ExcludedRecord>,
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
    /// A download that was under way (see [`PendingDownload`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_download: Option<PendingDownload>,
    /// How recovery settled this record (after a crash or from a damaged history), in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovered: Option<String>,
    /// True when the record was rebuilt without its settings (profile, protection, …): they
    /// were lost with a damaged history, and `spec` holds placeholders, not the truth.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub settings_lost: bool,
}

impl JobRecord {
    /// True when the record says running but no job of this process runs it: the process
    /// that ran it ended (every job runs under the workspace lock, so a caller holding the
    /// lock knows no other process runs it either). Whether it committed is recorded in the
    /// inventory only, so settling it needs the inventory (`tokendist jobs recover`).
    pub fn needs_settling(&self) -> bool {
        !self.status.is_finished() && !super::engine::is_live(&self.id)
    }

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
    /// Staging folders under `jobs/staged/` that no record explains (see
    /// [`History::unexplained`]).
    pub(crate) unexplained: Vec<String>,
}

impl History {
    /// Reads the history at `path`; a missing file is an empty history.
    ///
    /// A line that does not parse moves the file aside to `<path>.damaged-<UTC time>` and
    /// returns [`HistoryError::Damaged`] naming the file, the line and the kept copy.
    pub fn load_from(path: &Path) -> Result<History, HistoryError> {
        let mut text = match std::fs::read_to_string(path) {
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
        // A byte-order mark (an editor's) is not damage.
        if let Some(rest) = text.strip_prefix('\u{feff}') {
            text = rest.to_owned();
        }
        let mut records: Vec<JobRecord> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let record = serde_json::from_str::<JobRecord>(line)
                .map_err(|error| describe_json_error(&error))
                .and_then(checked);
            match record {
                Ok(record) if records.iter().any(|known| known.id == record.id) => {
                    let reason = format!("job id {} appears twice", record.id);
                    return Err(move_aside(path, index + 1, reason));
                }
                Ok(mut record) => {
                    if !record.excluded.is_empty() {
                        let listed = std::mem::take(&mut record.excluded);
                        record.exclusions = ExclusionSummary::of(listed);
                    }
                    records.push(record);
                }
                Err(reason) => return Err(move_aside(path, index + 1, reason)),
            }
        }
        Ok(History {
            path: path.to_owned(),
            records,
            unexplained: Vec::new(),
        })
    }

    /// Staging folders in `jobs/staged/` that no record explains (a damaged or replaced
    /// history): kept, never deleted; `tokendist jobs recover` rebuilds their records.
    pub fn unexplained(&self) -> &[String] {
        &self.unexplained
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
    ///
    /// The write reports the crash points `<point>.temp-synced`, `<point>.renamed` and
    /// `<point>.dir-synced`; `point` names the step (e.g. `job.finish.history`).
    pub(crate) fn put_at(&mut self, point: &str, record: JobRecord) -> Result<(), HistoryError> {
        debug_assert!(super::job_id::is_valid(&record.id), "{}", record.id);
        let mut next = self.records.clone();
        match next.iter_mut().find(|existing| existing.id == record.id) {
            Some(existing) => *existing = record,
            None => next.push(record),
        }
        self.save(point, &next)?;
        self.records = next;
        Ok(())
    }

    /// Adds records (rebuilt by recovery) in one write, keeping the history in creation order.
    pub(crate) fn put_all(
        &mut self,
        point: &str,
        records: Vec<JobRecord>,
    ) -> Result<(), HistoryError> {
        let mut next = self.records.clone();
        for record in records {
            match next.iter_mut().find(|existing| existing.id == record.id) {
                Some(existing) => *existing = record,
                None => next.push(record),
            }
        }
        next.sort_by_key(|record| record.created_at);
        self.save(point, &next)?;
        self.records = next;
        Ok(())
    }

    fn save(&self, point: &str, records: &[JobRecord]) -> Result<(), HistoryError> {
        let mut text = String::new();
        for record in records {
            let line = serde_json::to_string(record).expect("a job record always serialises");
            text.push_str(&line);
            text.push('\n');
        }
        crate::workspace::write_atomic_as(point, &self.path, text.as_bytes()).map_err(|source| {
            HistoryError::Io {
                action: "write",
                path: self.path.clone(),
                source,
            }
        })
    }
}

/// A parsed record is ours only if its id is one of our ids (ids become paths).
fn checked(record: JobRecord) -> Result<JobRecord, String> {
    if super::job_id::is_valid(&record.id) {
        Ok(record)
    } else {
        Err(format!(
            "{:?} is not a tokendist job id",
            record.id.chars().take(40).collect::<String>()
        ))
    }
}

/// Prefix of the names damaged histories are kept under, beside the history.
pub const DAMAGED_PREFIX: &str = "history.jsonl.damaged-";

/// What a damaged history file still holds, read leniently: not-UTF-8 bytes replaced, a BOM
/// ignored, each line on its own. A line that is a whole record is kept as it is; a line with
/// at least a valid job id gives a record with what else it has, its status unknown (so
/// recovery settles it from the inventory and the staged output, as after a crash). Lines
/// without a valid id are counted in `skipped`.
#[derive(Debug, Default)]
pub struct Salvage {
    pub records: Vec<JobRecord>,
    pub skipped: usize,
}

/// Reads a damaged history (see [`Salvage`]); `now` stands in for a lost creation time.
pub fn salvage(path: &Path, now: OffsetDateTime) -> std::io::Result<Salvage> {
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut salvage = Salvage::default();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        match salvage_line(line, now) {
            Some(record) => {
                salvage.records.retain(|known| known.id != record.id);
                salvage.records.push(record);
            }
            None => salvage.skipped += 1,
        }
    }
    Ok(salvage)
}

fn salvage_line(line: &str, now: OffsetDateTime) -> Option<JobRecord> {
    if let Ok(record) = serde_json::from_str::<JobRecord>(line) {
        return checked(record).ok();
    }
    let mut value: serde_json::Value = serde_json::from_str(line).ok()?;
    let object = value.as_object_mut()?;
    let id = object.get("id")?.as_str()?.to_owned();
    if !super::job_id::is_valid(&id) {
        return None;
    }
    // Unknown (or damaged) status: settled like a job whose process died.
    object.insert("status".into(), "running".into());
    object.remove("pid");
    if let Ok(record) = serde_json::from_value::<JobRecord>(value.clone()) {
        return Some(record);
    }
    let object = value.as_object()?;
    let text = |key: &str| object.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let spec = object
        .get("spec")
        .and_then(|spec| serde_json::from_value::<JobSpec>(spec.clone()).ok());
    let created_at = text("created_at")
        .and_then(|at| {
            OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339).ok()
        })
        .unwrap_or(now);
    let name = text("name").unwrap_or_else(|| format!("recovered {id}"));
    Some(JobRecord {
        name: name.clone(),
        status: JobStatus::Running,
        settings_lost: spec.is_none(),
        spec: spec.unwrap_or_else(|| placeholder_spec(&name)),
        created_at,
        started_at: None,
        finished_at: None,
        token_count: object
            .get("token_count")
            .and_then(|v| v.as_u64())
            .map_or(0, |n| n as usize),
        done_count: 0,
        exclusions: ExclusionSummary::default(),
        excluded: Vec::new(),
        output: None,
        error: None,
        downloads: Vec::new(),
        pid: None,
        pending_download: None,
        recovered: None,
        id,
    })
}

/// The spec of a record rebuilt without its settings (`settings_lost` says so; listings show
/// that instead of these values).
pub(crate) fn placeholder_spec(name: &str) -> JobSpec {
    JobSpec {
        name: name.to_owned(),
        profile: "(unknown)".into(),
        binding: super::spec::Binding::DeviceClass,
        nickname: None,
        protection: super::spec::Protection::None,
        password: None,
        selection: super::spec::SelectionCriteria::default(),
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
    crate::crashpoint::reached("history.damaged.moved-aside");
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

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(index: usize) -> ExcludedRecord {
        let (code, reason) = if index.is_multiple_of(3) {
            ("expired", "expired")
        } else {
            ("distributed-before", "distributed before")
        };
        ExcludedRecord {
            serial: format!("{:012}", 500_000_000 + index),
            login: Some(format!("user{index}")),
            code: code.into(),
            reason: reason.into(),
        }
    }

    #[test]
    fn a_record_costs_the_same_whatever_the_number_of_exclusions() {
        let size = |count: usize| {
            let summary = ExclusionSummary::of((0..count).map(excluded));
            serde_json::to_string(&summary).unwrap().len()
        };
        let small = size(100);
        let large = size(1_000_000);
        // Only the counts' digits grow.
        assert!(large <= small + 16, "{small} vs {large}");
        let summary = ExclusionSummary::of((0..1_000).map(excluded));
        assert_eq!(summary.total, 1_000);
        assert_eq!(summary.sample.len(), EXCLUSION_SAMPLE);
        assert_eq!(summary.sample[0].serial, "000500000000");
        let counts: Vec<(&str, usize)> = summary
            .by_reason
            .iter()
            .map(|entry| (entry.code.as_str(), entry.count))
            .collect();
        assert_eq!(counts, vec![("expired", 334), ("distributed-before", 666)]);
    }

    #[test]
    fn a_history_that_listed_every_exclusion_loads_as_a_summary_and_saves_without_the_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(HISTORY_FILE);
        let old: serde_json::Value = serde_json::json!({
            "id": "20261130-120000-0001",
            "name": "January rollout",
            "status": "completed",
            "spec": serde_json::to_value(placeholder_spec("January rollout")).unwrap(),
            "created_at": "2026-11-30T12:00:00Z",
            "token_count": 2,
            "done_count": 2,
            "excluded": (0..50).map(excluded).collect::<Vec<_>>(),
        });
        std::fs::write(&path, format!("{old}\n")).unwrap();
        let history = History::load_from(&path).unwrap();
        let record = &history.records()[0];
        assert_eq!(record.exclusions.total, 50);
        assert_eq!(record.exclusions.sample.len(), EXCLUSION_SAMPLE);
        let written = serde_json::to_string(record).unwrap();
        assert!(!written.contains("\"excluded\""), "{written}");
        assert!(written.contains("\"by_reason\""));
    }
}
