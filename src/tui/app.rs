//! The whole UI state. Views read it; only the update changes it.

pub use super::backend::WorkspaceInfo;
use super::backend::{DownloadReport, JobOutcome, JobRow, JobStatus, Progress, Rows};
use super::keymap::KeyContext;
use super::theme::Theme;
use super::wizard::Wizard;
use crate::workspace::Profile;
use ratatui::layout::Rect;
use tui_input::Input;

/// The top-level screens (F2, F3, F4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The wizard, or the running job's progress once submitted.
    Wizard,
    Jobs,
    Tokens,
    /// Workspace tools: passphrase, retiring tokens, users from the directory, check.
    Admin,
}

/// A job started from this session.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningJob {
    pub id: String,
    pub name: String,
    pub progress: Progress,
    /// Set once the job ends; the panel then shows the outcome.
    pub outcome: Option<JobOutcome>,
}

impl RunningJob {
    pub fn is_running(&self) -> bool {
        self.outcome.is_none()
    }
}

/// A download on the backend's worker, from its start to its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRun {
    pub job: Box<JobRow>,
    /// The path as the prompt held it, and the prompt's default: a failure brings the prompt
    /// back as it was.
    pub typed: String,
    pub default: String,
    /// Bytes of the ZIP written so far, of its size.
    pub written: u64,
    pub total: u64,
    /// Esc was pressed: the worker is removing what it wrote.
    pub cancelling: bool,
}

impl DownloadRun {
    /// Whole percent written.
    pub fn percent(&self) -> u64 {
        (self.written.min(self.total) * 100)
            .checked_div(self.total)
            .unwrap_or(0)
    }
}

/// The Jobs tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobsTab {
    InProgress,
    Completed,
    Failed,
}

impl JobsTab {
    pub const ALL: [JobsTab; 3] = [JobsTab::InProgress, JobsTab::Completed, JobsTab::Failed];

    pub fn title(self) -> &'static str {
        match self {
            Self::InProgress => "In progress",
            Self::Completed => "Completed",
            Self::Failed => "Failed",
        }
    }

    pub fn holds(self, status: JobStatus) -> bool {
        match self {
            Self::InProgress => status == JobStatus::Running,
            Self::Completed => status == JobStatus::Completed,
            Self::Failed => {
                matches!(
                    status,
                    JobStatus::Failed | JobStatus::Cancelled | JobStatus::Interrupted
                )
            }
        }
    }

    pub fn index(self) -> usize {
        Self::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// The Jobs screen.
#[derive(Debug, Clone)]
pub struct JobsState {
    pub tab: JobsTab,
    pub rows: Vec<JobRow>,
    /// Cursor per tab.
    pub cursor: [usize; 3],
    pub error: Option<String>,
    /// A job to put the cursor on once the list is (re)loaded.
    pub focus_id: Option<String>,
    /// `/`: only jobs whose name, profile or status contains this text.
    pub filter: Input,
    pub filtering: bool,
}

impl JobsState {
    /// True when `row` passes the filter (any tab).
    pub fn passes(&self, row: &JobRow) -> bool {
        let needle = self.filter.value().trim().to_lowercase();
        needle.is_empty()
            || row.name.to_lowercase().contains(&needle)
            || row.profile.to_lowercase().contains(&needle)
            || row.status.label().contains(&needle)
    }

    /// The rows of `tab` that pass the filter.
    pub fn rows_of(&self, tab: JobsTab) -> Vec<&JobRow> {
        self.rows
            .iter()
            .filter(|r| tab.holds(r.status) && self.passes(r))
            .collect()
    }

    pub fn visible(&self) -> Vec<&JobRow> {
        self.rows_of(self.tab)
    }

    pub fn selected(&self) -> Option<&JobRow> {
        let visible = self.visible();
        visible.get(self.cursor[self.tab.index()]).copied()
    }
}

/// The Tokens browser. The rows are shared with the backend (read a window at a time), never
/// copied whole.
#[derive(Debug, Clone, Default)]
pub struct TokensState {
    /// The whole inventory; `None` until loaded.
    pub all: Option<Rows>,
    /// The backend is indexing the inventory (at start, or after a tool changed it): no rows
    /// and no counts until it is ready, then the browser loads itself ([`Msg::Indexed`]).
    ///
    /// [`Msg::Indexed`]: super::msg::Msg::Indexed
    pub indexing: bool,
    pub assigned: usize,
    /// The rows the filter lets through (all of them without a filter).
    pub shown: Rows,
    pub filter: Input,
    pub filtering: bool,
    /// A filter request is out: the list and its count would be stale.
    pub counting: bool,
    /// The newest filter request; older answers are dropped.
    pub generation: u64,
    pub cursor: usize,
}

impl TokensState {
    /// Tokens in the inventory (0 until loaded).
    pub fn total(&self) -> usize {
        self.all.as_ref().map_or(0, Rows::len)
    }
}

/// An entry of the job actions menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuItem {
    ViewDetails,
    Download,
    Delete,
}

impl MenuItem {
    pub fn label(self) -> &'static str {
        match self {
            Self::ViewDetails => "View details",
            Self::Download => "Download Output File",
            Self::Delete => "Delete",
        }
    }
}

/// What a yes/no question is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmKind {
    Quit,
    CancelJob,
    /// Submit a job whose review carries warnings (like the CLI's y/N).
    Submit,
    Overwrite {
        job: Box<JobRow>,
        path: std::path::PathBuf,
        /// The configured default path, for Ctrl-R back at the prompt.
        default: String,
    },
    Delete {
        job_id: String,
        job_name: String,
    },
    /// Remove the reviewed tokens (Workspace › Retire tokens).
    Remove,
    /// Assign the reviewed plan (Workspace › Assign tokens).
    Assign,
}

/// A dialog above the screen; it takes the keys while open.
#[derive(Debug, Clone)]
pub enum Overlay {
    /// The keys of the screen, or of the dialog it was opened over (which comes back on close).
    Help {
        under: Option<Box<Overlay>>,
        scroll: usize,
    },
    Menu {
        job: Box<JobRow>,
        items: Vec<MenuItem>,
        cursor: usize,
    },
    Details {
        job: Box<JobRow>,
        scroll: usize,
    },
    DownloadPrompt {
        job: Box<JobRow>,
        input: Input,
        default: String,
        error: Option<String>,
    },
    Confirm {
        kind: ConfirmKind,
        question: String,
    },
    /// The download under way ([`State::download`]): progress, Esc cancels, Enter hides it.
    Downloading,
    Saved(DownloadReport),
    Message {
        title: String,
        text: String,
        error: bool,
    },
}

/// Everything on screen.
pub struct State {
    pub screen: Screen,
    pub profiles: Vec<Profile>,
    pub wizard: Wizard,
    pub run: Option<RunningJob>,
    pub jobs: JobsState,
    pub tokens: TokensState,
    pub admin: super::admin::AdminState,
    pub overlay: Option<Overlay>,
    pub theme: Theme,
    pub quitting: bool,
    /// The terminal's size: lists page by the rows they show.
    pub viewport: Rect,
    pub workspace: WorkspaceInfo,
    /// The job's end as its run reported it, while the backend records it (the history
    /// written, the inventory saved with the new distributions, the selection index built
    /// again: over a second at a million tokens, on a worker). Meanwhile keys that move,
    /// scroll, type or open help answer at once, and what would read or change the history
    /// or the inventory (a new job, a download, a delete, the workspace tools, the review,
    /// the job list) is refused with a notice or waits, visibly, until the answer.
    pub recording: Option<JobOutcome>,
    /// The download under way on the backend's worker, if any (one at a time). Keys answer
    /// meanwhile; its dialog can be hidden (the header then shows its progress) and shown
    /// again from the job's menu.
    pub download: Option<DownloadRun>,
    /// The job whose output the backend's worker is deleting, if any (one at a time; a
    /// "Deleting…" message shows until its answer).
    pub deleting: Option<String>,
    /// The job the backend's worker is starting, if any (its name): the history record, the
    /// sealed key and the sealed list of every excluded token are written (hundreds of
    /// milliseconds at a million tokens). A "Starting the job…" message shows until its
    /// answer; keys answer meanwhile, and a second submit, a download, a delete or a tool is
    /// refused in one line.
    pub starting: Option<String>,
    /// A one-line message in place of the footer's keys, until the next key (a refusal).
    pub notice: Option<String>,
}

/// The title of the message shown while a job is being started (its panel or its failure
/// replaces it).
pub const STARTING_TITLE: &str = "Starting the job";

/// The title of the message shown while a job's output is being deleted (its answer replaces
/// it).
pub const DELETING_TITLE: &str = "Deleting";

/// Up to this many tokens a review is usually prepared within the runtime's wait for an
/// answer (4 ms): measured 23–35 ms for 100,000 tokens and 0.25 s for a million on 2 cores.
pub const QUICK_REVIEW_TOKENS: usize = 10_000;

impl State {
    pub fn new(profiles: Vec<Profile>, default_name: String, theme: Theme) -> Self {
        let wizard = Wizard::new(default_name, &profiles);
        Self {
            screen: Screen::Wizard,
            profiles,
            wizard,
            run: None,
            jobs: JobsState {
                tab: JobsTab::Completed,
                rows: Vec::new(),
                cursor: [0; 3],
                error: None,
                focus_id: None,
                filter: Input::default(),
                filtering: false,
            },
            tokens: TokensState::default(),
            admin: super::admin::AdminState::default(),
            overlay: None,
            theme,
            quitting: false,
            viewport: Rect::new(0, 0, 80, 24),
            workspace: WorkspaceInfo::default(),
            recording: None,
            download: None,
            deleting: None,
            starting: None,
            notice: None,
        }
    }

    /// True while a count, filter or review the screen shows is being computed and may come
    /// within a moment: the runtime gives its answer that moment before drawing "counting…".
    /// A review of more than [`QUICK_REVIEW_TOKENS`] never comes that quickly, so
    /// "Preparing the review…" is drawn at once, before the preparer takes the CPU.
    pub fn awaits_answer(&self) -> bool {
        match self.screen {
            Screen::Wizard => {
                self.run.is_none()
                    && (self.wizard.preparing() && self.workspace.tokens <= QUICK_REVIEW_TOKENS
                        || self.wizard.step == super::wizard::Step::Selection
                            && self.wizard.preview == super::wizard::PreviewState::Counting)
            }
            Screen::Tokens => self.tokens.counting,
            Screen::Jobs | Screen::Admin => false,
        }
    }

    pub fn job_running(&self) -> bool {
        self.run.as_ref().is_some_and(RunningJob::is_running)
    }

    /// True while a download runs (see [`State::download`]).
    pub fn downloading(&self) -> bool {
        self.download.is_some()
    }

    /// True while the job's end is being recorded (see [`State::recording`]).
    pub fn recording(&self) -> bool {
        self.recording.is_some()
    }

    /// True when the wizard screen shows the job's progress instead of the wizard.
    pub fn shows_progress(&self) -> bool {
        self.screen == Screen::Wizard && self.run.is_some()
    }

    /// The key table in effect now.
    pub fn key_context(&self) -> KeyContext {
        match &self.overlay {
            Some(overlay) => overlay.key_context(),
            None => self.screen_context(),
        }
    }

    /// The key table of the screen itself, ignoring any dialog.
    pub fn screen_context(&self) -> KeyContext {
        match self.screen {
            Screen::Wizard if self.recording() => KeyContext::Recording,
            Screen::Wizard if self.job_running() => KeyContext::Progress,
            Screen::Wizard if self.run.is_some() => KeyContext::Finished,
            Screen::Wizard => self.wizard.key_context(),
            Screen::Jobs if self.jobs.filtering => KeyContext::JobsFilter,
            Screen::Jobs => KeyContext::Jobs,
            Screen::Tokens if self.tokens.filtering => KeyContext::TokensFilter,
            Screen::Tokens => KeyContext::Tokens,
            Screen::Admin => self.admin.key_context(),
        }
    }
}

impl Overlay {
    /// The key table of the dialog.
    pub fn key_context(&self) -> KeyContext {
        match self {
            Self::Help { .. } => KeyContext::Help,
            Self::Menu { .. } => KeyContext::Menu,
            Self::Confirm { .. } => KeyContext::Confirm,
            Self::DownloadPrompt { .. } => KeyContext::Prompt,
            Self::Downloading => KeyContext::Downloading,
            Self::Details { .. } | Self::Saved(_) | Self::Message { .. } => KeyContext::Info,
        }
    }
}
