//! Messages into the update (keys, signals, answers from the backend, job progress) and the
//! effects it asks the runtime to perform.

use super::admin::port::{AdminAnswer, AdminTask, DirectoryInfo};
use super::backend::{
    Answer, DownloadError, DownloadReport, FieldIssue, JobOutcome, JobRow, Progress, ReviewSummary,
    Rows, SelectionPreview, TokenInventory,
};
use super::wizard::Step;
use crate::jobs::JobSpec;
use crossterm::event::KeyEvent;
use std::path::PathBuf;

/// Something that happened.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// Text pasted into the terminal (bracketed paste): one edit, however long. Wiped on drop,
    /// since it may be a password.
    Paste(zeroize::Zeroizing<String>),
    /// The terminal's size (at start and on every change): redraw, page by the new size.
    Resize {
        width: u16,
        height: u16,
    },
    /// A periodic tick while a job runs (elapsed time).
    Tick,
    /// SIGTERM, SIGHUP, SIGINT or SIGQUIT: end cleanly, cancelling a running job.
    Signal(&'static str),
    /// The job engine's verdict on the fields of `step`; `advance` moves on if it is clean.
    Validated {
        issues: Vec<FieldIssue>,
        step: Step,
        advance: bool,
    },
    /// The live selection for request `generation` (older answers are dropped), or why the
    /// criteria cannot be counted.
    Previewed {
        generation: u64,
        result: Result<SelectionPreview, String>,
    },
    /// The review for request `generation` (older answers are dropped), or what is still
    /// wrong.
    Reviewed {
        generation: u64,
        result: Result<ReviewSummary, Vec<FieldIssue>>,
    },
    /// A fresh wizard may start (after a submit): its default name.
    WizardReady {
        default_name: String,
    },
    JobStarted {
        id: String,
        name: String,
        total: u64,
    },
    JobStartFailed(String),
    /// The backend's worker is done starting the job (or failed to): take it up.
    StartDone,
    JobProgress(Progress),
    /// The job's thread reported its end; not recorded yet.
    JobEnded(JobOutcome),
    /// The job's end is recorded in the history (or could not be: the outcome says so).
    JobFinished(JobOutcome),
    JobsLoaded(Result<Vec<JobRow>, String>),
    TokensLoaded(TokenInventory),
    /// The browser asked for the inventory while it is being indexed: "indexing…" until
    /// [`Msg::Indexed`].
    TokensIndexing,
    /// An inventory's index is ready (the browser asks again if it waits for one).
    Indexed,
    /// The Tokens filter's rows for request `generation`.
    TokensFiltered {
        generation: u64,
        rows: Rows,
    },
    DownloadPathSuggested {
        job_id: String,
        path: PathBuf,
    },
    /// How far the download under way is.
    DownloadProgress {
        job_id: String,
        written: u64,
        total: u64,
    },
    DownloadDone {
        job_id: String,
        result: Result<DownloadReport, DownloadError>,
    },
    Deleted {
        job_name: String,
        result: Result<(), String>,
    },
    /// The Workspace screen opened: the `[directory]` table, if configured.
    AdminLoaded(Option<DirectoryInfo>),
    /// A workspace tool's task ended.
    Admin(AdminAnswer),
    /// The inventory changed under a tool: the header's counts now.
    WorkspaceChanged(super::backend::WorkspaceInfo),
    /// The backend took up a recorded job's end (history, inventory): the header's counts.
    RecordingTakenUp(super::backend::WorkspaceInfo),
}

/// Work the runtime does for the update.
#[derive(Debug)]
pub enum Effect {
    /// Check the fields of `step`; with `advance`, move on from it if they are clean.
    Validate {
        spec: Box<JobSpec>,
        step: Step,
        advance: bool,
    },
    /// Count the selection; the answer carries `generation`.
    Preview {
        spec: Box<JobSpec>,
        generation: u64,
    },
    /// Filter the Tokens browser; the answer carries `generation`.
    FilterTokens {
        needle: String,
        generation: u64,
    },
    /// Prepare the job for the review; the answer carries `generation`.
    Review {
        spec: Box<JobSpec>,
        generation: u64,
    },
    StartJob(Box<JobSpec>),
    /// The job's start on the worker is over: the runtime takes up the started job (and
    /// watches its events) or its failure.
    TakeUpStartedJob,
    /// Record a job's end (inventory and history), on the backend's worker.
    RecordJobEnd(JobOutcome),
    /// The job's end is recorded: the backend takes up the changed history and inventory.
    TakeUpRecording,
    CancelJob,
    NewWizard,
    LoadJobs,
    LoadTokens,
    SuggestDownloadPath(Box<JobRow>),
    /// Start the download on the backend's worker (progress and the end come as answers).
    Download {
        job_id: String,
        path: PathBuf,
        overwrite: bool,
    },
    /// Ask the download under way to stop.
    CancelDownload,
    DeleteOutput {
        job_id: String,
        job_name: String,
    },
    /// Read the `[directory]` table for the Workspace screen.
    LoadAdmin,
    /// Run a workspace tool's task on the backend's worker.
    Admin(AdminTask),
    /// A tool changed the inventory: the backend takes up the new one.
    InventoryChanged,
    /// Leave: cancel a running job first and wait for it to record itself.
    Quit,
}

impl From<Answer> for Msg {
    fn from(answer: Answer) -> Self {
        match answer {
            Answer::Previewed { generation, result } => Msg::Previewed { generation, result },
            Answer::Filtered { generation, rows } => Msg::TokensFiltered { generation, rows },
            Answer::Admin(answer) => Msg::Admin(answer),
            Answer::Reviewed { generation, result } => Msg::Reviewed { generation, result },
            Answer::Recorded(outcome) => Msg::JobFinished(outcome),
            Answer::DownloadProgress {
                job_id,
                written,
                total,
            } => Msg::DownloadProgress {
                job_id,
                written,
                total,
            },
            Answer::Downloaded { job_id, result } => Msg::DownloadDone { job_id, result },
            Answer::Deleted { job_name, result } => Msg::Deleted { job_name, result },
            Answer::Indexed => Msg::Indexed,
            Answer::StartDone => Msg::StartDone,
        }
    }
}
