//! The port between the wizard and the layers below it (workspace and job engine).
//!
//! The UI asks for what it shows and hands over what the administrator decided through this
//! one trait, so screens can be built and tested against [`FakeBackend`](super::fake) while the
//! real adapter ([`super::adapter`]) maps it onto `crate::jobs` and `crate::workspace`. The view
//! types here carry no seeds and no passwords: the UI never needs them.

/// The job engine's own types, shown as they are: a port copy would only need translating.
pub use crate::jobs::{DownloadReport, JobStatus};
use crate::jobs::{JobField, JobSpec};
use crate::token::Serial;
use crate::workspace::Profile;
use crossbeam_channel::Receiver;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// One inventory token as the browser and the selection table show it (never its seed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub serial: Serial,
    /// The assigned user's login, if any.
    pub login: Option<String>,
    /// "First Last" of the assigned user, empty when unassigned.
    pub full_name: String,
    pub expires: time::Date,
    pub expired: bool,
    pub key_bits: u32,
    /// Tokencode length and interval (seconds): a profile with others excludes the token.
    pub digits: u32,
    pub interval_secs: u32,
    /// How many jobs distributed this token before.
    pub distributed_count: usize,
}

/// A list of token rows read one row at a time: the screens build only the rows they show,
/// so a million-token list is never copied into the UI.
pub trait RowSource: Send + Sync {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The row at `at` (below `len`).
    fn row(&self, at: usize) -> TokenRow;
}

impl RowSource for Vec<TokenRow> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn row(&self, at: usize) -> TokenRow {
        self[at].clone()
    }
}

/// A shared, read-only list of rows (cheap to clone).
#[derive(Clone)]
pub struct Rows(Arc<dyn RowSource>);

impl Rows {
    pub fn new(source: impl RowSource + 'static) -> Self {
        Self(Arc::new(source))
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn row(&self, at: usize) -> TokenRow {
        self.0.row(at)
    }
    /// Rows `start..end` (clamped to the list).
    pub fn window(&self, start: usize, end: usize) -> Vec<TokenRow> {
        (start.min(self.len())..end.min(self.len()))
            .map(|at| self.row(at))
            .collect()
    }
}

impl Default for Rows {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl From<Vec<TokenRow>> for Rows {
    fn from(rows: Vec<TokenRow>) -> Self {
        Self::new(rows)
    }
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rows({})", self.len())
    }
}

/// The same rows in the same order (tests compare small lists).
impl PartialEq for Rows {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && (0..self.len()).all(|at| self.row(at) == other.row(at))
    }
}

impl Eq for Rows {}

/// The inventory for the Tokens browser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenInventory {
    pub rows: Rows,
    pub assigned: usize,
}

/// Which workspace is open, for the header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkspaceInfo {
    /// Its directory, absolute.
    pub path: String,
    /// A demo workspace (made-up tokens), not a real one.
    pub demo: bool,
    /// Tokens in the inventory, and how many are assigned to a user.
    pub tokens: usize,
    pub assigned: usize,
}

/// A validation failure on one field, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    pub field: JobField,
    pub message: String,
}

impl FieldIssue {
    pub fn new(field: JobField, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// A token left out of a job, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    pub serial: Serial,
    /// The assigned user's login, if any.
    pub login: Option<String>,
    /// This token's own detail of the reason (e.g. the date it expired); empty when the
    /// group's reason says it all.
    pub detail: String,
}

/// Tokens the review carries per exclusion reason, and of the tokens distributed before: the
/// screen lists no more, and a million-token review would otherwise copy (and later free, on
/// the UI thread) every one of them. The rest are counted.
pub const REVIEW_LISTED: usize = 50;

/// Excluded tokens sharing one reason (as the CLI's review groups them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExclusionGroup {
    pub reason: String,
    /// How many tokens this reason left out.
    pub count: usize,
    /// The first of them (at most [`REVIEW_LISTED`]).
    pub tokens: Vec<Exclusion>,
}

/// A selected token that an earlier job distributed: its user stops working until they
/// import the new file, so the review names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redistributed {
    pub serial: Serial,
    pub login: String,
    /// How many jobs distributed it before.
    pub times: usize,
    pub last_job: String,
    /// "YYYY-MM-DD" of the last distribution.
    pub last_at: String,
}

/// What a selection criteria picks right now: for the live count and table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectionPreview {
    /// The selected tokens, in serial order (read a window at a time).
    pub selected: Rows,
    pub selected_count: usize,
    /// Matching tokens left out.
    pub excluded_count: usize,
    /// (reason, count) of the tokens left out, grouped by reason in the order they are checked.
    pub excluded_groups: Vec<(String, usize)>,
}

impl SelectionPreview {
    /// Tokens that matched the serial ranges and the user filter.
    pub fn matched(&self) -> usize {
        self.selected_count + self.excluded_count
    }
}

/// An answer the backend computed away from the UI thread. `generation` is the request's:
/// the UI keeps only the answer to its newest request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The live selection, or why the criteria cannot be counted.
    Previewed {
        generation: u64,
        result: Result<SelectionPreview, String>,
    },
    /// The Tokens browser's filter result.
    Filtered { generation: u64, rows: Rows },
    /// A workspace tool's task ended.
    Admin(super::admin::port::AdminAnswer),
    /// The review summary, or what is still wrong.
    Reviewed {
        generation: u64,
        result: Result<ReviewSummary, Vec<FieldIssue>>,
    },
    /// The job's end is recorded (history, inventory): how it ended for good.
    Recorded(JobOutcome),
    /// A download's progress: bytes of the ZIP written so far, of its size.
    DownloadProgress {
        job_id: String,
        written: u64,
        total: u64,
    },
    /// A job's output was deleted (or could not be).
    Deleted {
        job_name: String,
        result: Result<(), String>,
    },
    /// A download ended: saved, refused, failed or cancelled (nothing saved then).
    Downloaded {
        job_id: String,
        result: Result<DownloadReport, DownloadError>,
    },
    /// The worker finished indexing an inventory: a browser waiting for it asks again.
    Indexed,
    /// The job's start on the worker is over (started or failed): the UI takes it up with
    /// [`Backend::take_started_job`].
    StartDone,
}

/// The review summary shown before Submit (built by the job engine, shared with the CLI).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewSummary {
    /// (label, value) pairs: every choice of the wizard. Never the password itself.
    pub choices: Vec<(String, String)>,
    pub selected_count: usize,
    /// Matched tokens left out, grouped by reason.
    pub exclusions: Vec<ExclusionGroup>,
    /// How many selected tokens an earlier job distributed; 0 when there is nothing to warn
    /// about.
    pub redistributed_count: usize,
    /// The first of them (at most [`REVIEW_LISTED`]).
    pub redistributed: Vec<Redistributed>,
    /// What the administrator must accept before submitting (the redistribution warning
    /// among them), one sentence each.
    pub warnings: Vec<String>,
}

impl ReviewSummary {
    pub fn excluded_count(&self) -> usize {
        self.exclusions.iter().map(|g| g.count).sum()
    }
}

/// One job of the history, for the Jobs tabs and the details view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub id: String,
    pub name: String,
    pub profile: String,
    pub status: JobStatus,
    pub token_count: usize,
    /// "YYYY-MM-DD HH:MM" (UTC), as recorded.
    pub created_at: String,
    pub finished_at: Option<String>,
    pub error: Option<String>,
    pub output_size: Option<u64>,
    pub output_sha256: Option<String>,
    /// True while the staged output is still there to be downloaded.
    pub output_available: bool,
    /// (when, path) of every download so far.
    pub downloads: Vec<(String, String)>,
    /// Protection mode and binding in words, for the details view.
    pub protection: String,
    pub binding: String,
    pub nickname: Option<String>,
    /// The serial ranges asked for, in words ("all" when none).
    pub serials: String,
    /// The user login glob, if one was given.
    pub users: Option<String>,
    /// Files written and verified.
    pub done_count: usize,
    /// (reason, how many) of the tokens the job left out.
    pub excluded: Vec<(String, usize)>,
    /// "YYYY-MM-DD HH:MM" (UTC) when the run started.
    pub started_at: Option<String>,
}

impl JobRow {
    pub fn downloaded(&self) -> bool {
        !self.downloads.is_empty()
    }
}

/// Progress of a running job.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    /// Tokens per second so far.
    pub rate: f64,
    /// Time left at the current rate.
    pub eta: Option<Duration>,
}

impl Progress {
    /// Whole percent done (0 while the total is unknown).
    pub fn percent(&self) -> u64 {
        (self.done * 100).checked_div(self.total).unwrap_or(0)
    }
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    Completed { tokens: usize },
    Failed(String),
    Cancelled,
}

/// What a running job reports, in order: any number of `Progress`, then one `Finished`.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEvent {
    Progress(Progress),
    Finished(JobOutcome),
}

/// Asks a running job to stop; it finishes its current files, reports `Finished(Cancelled)`
/// and is recorded `cancelled`.
#[derive(Clone, Default)]
pub struct CancelHandle {
    flag: Arc<AtomicBool>,
    /// The job engine's own cancel, when there is one.
    hook: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl std::fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CancelHandle(cancelled: {})", self.is_cancelled())
    }
}

impl CancelHandle {
    /// A handle that also calls `hook` (e.g. the engine's cancel token) when cancelled.
    pub fn with_hook(hook: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            flag: Arc::default(),
            hook: Some(Arc::new(hook)),
        }
    }
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
        if let Some(hook) = &self.hook {
            hook();
        }
    }
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

/// A job that has been started.
pub struct JobHandle {
    pub id: String,
    pub name: String,
    pub total: u64,
    pub events: Receiver<JobEvent>,
    pub cancel: CancelHandle,
}

/// Why a download did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadError {
    /// The target exists; ask before overwriting.
    Exists(PathBuf),
    Failed(String),
    /// The administrator cancelled it: nothing is at the target (this path), the temporary
    /// file is removed and the job can be downloaded again.
    Cancelled(PathBuf),
}

/// Everything the wizard needs from the workspace and the job engine.
pub trait Backend {
    /// All profiles, distributable or not, in configuration order.
    fn profiles(&self) -> Vec<Profile>;
    /// Which workspace is open and how full its inventory is.
    fn workspace_info(&self) -> WorkspaceInfo;
    /// The whole inventory for the browser, in serial order (shared, not copied); `None`
    /// while the backend's worker indexes it (at start, after a tool changed it), never
    /// waited for: [`Answer::Indexed`] says when it is ready.
    fn tokens(&self) -> Option<TokenInventory>;
    /// A fresh, unused default job name.
    fn default_job_name(&self) -> String;
    /// The job engine's rules for `fields` (the current step's), one message per failure.
    fn validate(&self, spec: &JobSpec, fields: &[JobField]) -> Vec<FieldIssue>;
    /// Asks for the tokens `spec.selection` picks for `spec.profile` right now. A backend
    /// that can answer at once returns the answer; one that counts on a worker returns `None`
    /// and sends the answer on [`Backend::answers`] later.
    fn preview(&mut self, spec: &JobSpec, generation: u64) -> Option<Answer>;
    /// Asks for the inventory rows whose serial, login or name contains `needle`; answered like
    /// [`Backend::preview`].
    fn filter_tokens(&mut self, needle: &str, generation: u64) -> Option<Answer>;
    /// Where answers computed in the background arrive (never, for a backend that answers at
    /// once).
    fn answers(&self) -> Receiver<Answer> {
        crossbeam_channel::never()
    }
    /// Asks for the review summary (or what is still wrong): the job engine prepares the
    /// whole job, a pass over the inventory. Answered like [`Backend::preview`].
    fn review(&mut self, spec: &JobSpec, generation: u64) -> Option<Answer>;
    /// Starts the job in the background (the job its newest review prepared, when `spec` is
    /// the one reviewed and nothing changed since). Starting writes the history record, the
    /// sealed key and the sealed list of every excluded token (hundreds of milliseconds at a
    /// million tokens), so a backend may do it on a worker: it returns `None` and sends
    /// [`Answer::StartDone`] when it is over; one that starts at once returns the result.
    fn start_job(&mut self, spec: JobSpec) -> Option<Result<JobHandle, String>>;
    /// The job a worker started (or why it did not start), once [`Answer::StartDone`] came.
    fn take_started_job(&mut self) -> Option<Result<JobHandle, String>> {
        None
    }
    /// The job reported its end: record it (inventory, history), on a worker when that takes
    /// long (a million-token inventory is saved whole). Answered like [`Backend::preview`]
    /// with [`Answer::Recorded`]: how the job ended for good (a completed run can still fail
    /// to be recorded). Until the answer, the UI asks nothing that reads or changes the
    /// history or the inventory.
    fn record_job_end(&mut self, reported: JobOutcome) -> Option<Answer>;
    /// The recording answered: take up what it changed (the job list, the inventory's
    /// distributions, so the counts and any prepared review are made again); the header's
    /// info.
    fn job_recorded(&mut self) -> WorkspaceInfo;
    /// Sends the requests held since the last call to the workers that run longer than a
    /// frame (the review's preparation, the recording of a job's end). The runtime calls it
    /// once the frame showing the request's waiting state is drawn, or before it waits for
    /// an answer: a worker woken by a request never takes the core from the drawing thread
    /// before that frame is out.
    fn dispatch(&mut self) {}
    /// The job history, newest first.
    fn jobs(&self) -> Result<Vec<JobRow>, String>;
    /// Where a job's ZIP goes unless the administrator says otherwise.
    fn default_download_path(&self, job: &JobRow) -> PathBuf;
    /// Starts writing the job's ZIP to `path` (refused when a file is there, unless
    /// `overwrite`): over a gigabyte at a million tokens, so a backend that works on a worker
    /// returns `None` and sends [`Answer::DownloadProgress`] on the way and one
    /// [`Answer::Downloaded`] at the end; one that answers at once returns the end. One
    /// download at a time (the UI asks for no second one meanwhile).
    fn download(&mut self, job_id: &str, path: &Path, overwrite: bool) -> Option<Answer>;
    /// Asks the download under way to stop; it answers `Downloaded` with
    /// [`DownloadError::Cancelled`] (or how it ended, if it was already past its last step).
    fn cancel_download(&mut self) {}
    /// Removes a job's staged output; its history record stays. The output of a million-token
    /// job is over a gigabyte to unlink, so a backend may do it on a worker: answered like
    /// [`Backend::preview`], with [`Answer::Deleted`].
    fn delete_output(&mut self, job_id: &str, job_name: &str) -> Option<Answer>;
    /// The `[directory]` table of the configuration, if there is one.
    fn directory(&self) -> Option<super::admin::port::DirectoryInfo>;
    /// Starts a workspace tool's task; answered like [`Backend::preview`] (a worker sends
    /// `Answer::Admin` later, never blocking the UI thread).
    fn start_admin(&mut self, task: super::admin::port::AdminTask) -> Option<Answer>;
    /// A task changed the inventory: take up the new one (browser, counts); the header's info.
    fn inventory_changed(&mut self) -> WorkspaceInfo;
}
