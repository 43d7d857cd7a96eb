//! The real [`Backend`]: the open workspace (it holds the lock for the whole session) and the
//! job engine. What can take longer than a frame runs on workers: live counts and the Tokens
//! filter ([`super::counter`]), the review's preparation of the job ([`super::preparer`]) and
//! the job itself, whose events are translated on a small forwarding thread, the recording
//! of its end ([`super::recorder`]), the workspace tools ([`super::tool_worker`]), a
//! download ([`super::downloader`]), a delete ([`super::deleter`]) and a job's start
//! ([`super::starter`]).
//!
//! The UI thread never waits for a worker: it keeps its own copies of what does not need
//! the workspace (configuration, job names, the inventory's shared handle, the header's
//! counts), takes up what a worker hands back once it has answered, and only tries the locks
//! ([`Mutex::try_lock`]) for what writes to the workspace or the history, refusing in one
//! line when a worker holds them.

use super::admin::port::{AdminAnswer, AdminTask, DirectoryInfo};
use super::backend::{
    Answer, Backend, DownloadError, Exclusion, ExclusionGroup, FieldIssue, JobHandle, JobOutcome,
    JobRow, REVIEW_LISTED, Redistributed, ReviewSummary, Rows, TokenInventory, WorkspaceInfo,
};
use super::counter::{CountContext, Counter, IndexRows, SharedIndex};
use super::download_path;
use super::preparer::{Preparer, Snapshot};
use super::recorder::{Recorder, Work};
use super::tool_worker::{self, ToolWorker};
use crate::jobs::{self, History, JobError, JobField, JobRecord, JobSpec};
use crate::secret::SecretString;
use crate::workspace::{Config, Inventory, Profile, Workspace, demo};
use crossbeam_channel::Receiver;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// The workspace and job engine behind the UI.
pub struct RealBackend {
    /// Shared with a workspace tool's worker and the recording worker, which hold it while
    /// they work. The UI thread only tries it ([`try_workspace`]): it never waits for them.
    workspace: Arc<Mutex<Workspace>>,
    /// The workspace's inventory (shared, not copied), for the review's preparation without
    /// the workspace; replaced by what the tool or recording worker that changed it hands
    /// back.
    inventory: Inventory,
    /// The header's info, kept up to date the same way (no scan on the UI thread).
    info: WorkspaceInfo,
    /// The workspace's configuration, which nothing changes while it is open: kept here so
    /// that typing (validation, counts) never needs the workspace.
    config: Config,
    /// Shared with the recording worker, which holds it while it writes a job's end. The UI
    /// thread only tries it ([`Mutex::try_lock`]): it never waits for the worker.
    history: Arc<Mutex<History>>,
    /// The history's job names (a new job's must differ), kept here so that validation and
    /// default names never need the history; they change when a job starts.
    job_names: Vec<String>,
    /// The engine's report of the running job's end, kept for [`Backend::record_job_end`].
    ended: Arc<Mutex<Option<jobs::JobOutcome>>>,
    /// The job's end is being recorded on the worker; refused meanwhile: what would read or
    /// change the history or the inventory.
    recording: bool,
    recorder: Recorder,
    tools: ToolWorker,
    /// The recording's work, until [`Backend::dispatch`] starts it.
    held_recording: Option<Work>,
    /// A download's work, until [`Backend::dispatch`] starts it on its worker.
    held_download: Option<super::downloader::Work>,
    /// Cancels the newest download.
    download_cancel: Option<jobs::CancelToken>,
    /// A delete's work, until [`Backend::dispatch`] starts it on its worker.
    held_delete: Option<super::deleter::Work>,
    /// A job's start, until [`Backend::dispatch`] starts it on its worker.
    held_start: Option<super::starter::Work>,
    /// Where the start worker leaves the started job for [`Backend::take_started_job`].
    started_job: super::starter::Slot,
    /// The inventory's selection columns (no seeds), built by the counting worker and shared
    /// with the Tokens browser; built again when a job or a tool changes the inventory.
    index: SharedIndex,
    counter: Counter,
    preparer: Preparer,
    /// Counts changes to the inventory and the history (a job started or recorded): a job
    /// the review prepared before one is prepared again on Submit.
    epoch: u64,
    /// A demo workspace in a temporary directory lives as long as the session.
    _demo_dir: Option<tempfile::TempDir>,
}

/// Opens the configured workspace (asking for the passphrase on the terminal, before the
/// full screen starts), or a demo workspace.
pub fn open(
    workspace: Option<&Path>,
    passphrase_file: Option<&Path>,
    demo: bool,
) -> Result<RealBackend, String> {
    let (workspace, demo_dir) = if demo {
        open_demo(workspace)?
    } else {
        (open_configured(workspace, passphrase_file)?, None)
    };
    let history = History::open(&workspace).map_err(|e| e.to_string())?;
    let (counter, index) = Counter::start(workspace.inventory().clone())?;
    let preparer = Preparer::start(counter.outbox())?;
    let root = workspace.root();
    let inventory = workspace.inventory().clone();
    // Before the full screen starts: the one scan of the inventory the UI thread makes.
    let info = WorkspaceInfo {
        path: std::path::absolute(root)
            .unwrap_or_else(|_| root.to_owned())
            .display()
            .to_string(),
        demo,
        tokens: inventory.len(),
        assigned: inventory.iter().filter(|t| t.user.is_some()).count(),
    };
    Ok(RealBackend {
        inventory,
        info,
        tools: ToolWorker::default(),
        config: workspace.config().clone(),
        job_names: history.names().map(str::to_owned).collect(),
        workspace: Arc::new(Mutex::new(workspace)),
        history: Arc::new(Mutex::new(history)),
        ended: Arc::default(),
        recording: false,
        recorder: Recorder::default(),
        held_recording: None,
        held_download: None,
        download_cancel: None,
        held_delete: None,
        held_start: None,
        started_job: Arc::default(),
        index,
        counter,
        preparer,
        epoch: 0,
        _demo_dir: demo_dir,
    })
}

fn open_configured(
    workspace: Option<&Path>,
    passphrase_file: Option<&Path>,
) -> Result<Workspace, String> {
    let dir = Workspace::resolve_dir(workspace).map_err(|e| e.to_string())?;
    Workspace::check_initialised(&dir).map_err(|e| e.to_string())?;
    crate::secret_input::with_passphrase(
        passphrase_file,
        |passphrase| Workspace::open(&dir, passphrase),
        |error| {
            matches!(
                error,
                crate::workspace::WorkspaceError::WrongPassphrase { .. }
            )
        },
    )
    .map_err(|error| match error {
        crate::secret_input::PassphraseError::Input(input) => input.to_string(),
        crate::secret_input::PassphraseError::Open(refused) => refused.to_string(),
    })
}

/// `--demo`: a fresh demo workspace in `--workspace DIR` (reopened with the demo passphrase if
/// DIR already holds one) or in a temporary directory removed at exit.
fn open_demo(workspace: Option<&Path>) -> Result<(Workspace, Option<tempfile::TempDir>), String> {
    match workspace {
        Some(dir) if Workspace::is_initialised(dir) => {
            let passphrase = SecretString::from(demo::DEMO_PASSPHRASE);
            let workspace = Workspace::open(dir, &passphrase).map_err(|e| {
                format!("{e} (--demo reopens a workspace only with the demo passphrase)")
            })?;
            Ok((workspace, None))
        }
        Some(dir) => Ok((demo::create_demo(dir).map_err(|e| e.to_string())?, None)),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("tokendist-demo-")
                .tempdir()
                .map_err(|e| format!("cannot create a temporary demo workspace: {e}"))?;
            let workspace = demo::create_demo(temp.path()).map_err(|e| e.to_string())?;
            Ok((workspace, Some(temp)))
        }
    }
}

/// What the UI is told when it asks, while a job's end is being recorded, for what the
/// recording holds (the UI's state refuses such requests first; this is the backstop).
const RECORDING: &str =
    "the last job's end is being recorded: try again when the screen says it is done";

/// What the UI is told when it asks, while a workspace tool's worker holds the workspace, for
/// what writes to it (the UI's state refuses such requests first; this is the backstop).
const TOOL_AT_WORK: &str =
    "a workspace tool is at work on the workspace: try again when Tools shows its result";

/// The workspace, unless a worker holds it (never waited for); also after a worker panicked
/// while holding it (its files are whole either way: every change is an atomic replace).
fn try_workspace(
    workspace: &Mutex<Workspace>,
) -> Result<std::sync::MutexGuard<'_, Workspace>, String> {
    match workspace.try_lock() {
        Ok(workspace) => Ok(workspace),
        Err(std::sync::TryLockError::Poisoned(poisoned)) => Ok(poisoned.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => Err(TOOL_AT_WORK.to_owned()),
    }
}

/// What the UI is told when the download worker holds the history for a moment (its first
/// or last step) just as the UI thread asks for it.
const HISTORY_BUSY: &str =
    "the job history is being written (a download records itself): try again in a moment";

/// The history, unless a worker holds it (never waited for): the recording worker while a
/// job's end is recorded (`recording`), otherwise the download worker for a moment.
fn try_history(
    history: &Mutex<History>,
    recording: bool,
) -> Result<std::sync::MutexGuard<'_, History>, String> {
    match history.try_lock() {
        Ok(history) => Ok(history),
        Err(std::sync::TryLockError::Poisoned(poisoned)) => Ok(poisoned.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) if recording => Err(RECORDING.to_owned()),
        Err(std::sync::TryLockError::WouldBlock) => Err(HISTORY_BUSY.to_owned()),
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn issue(error: &jobs::FieldError) -> FieldIssue {
    FieldIssue::new(error.field, error.to_string())
}

pub(crate) fn job_row(record: &JobRecord) -> JobRow {
    let spec = &record.spec;
    let binding = match &spec.binding {
        jobs::Binding::DeviceClass => "device class of the profile".to_owned(),
        jobs::Binding::Device(id) => format!("one device: {id}"),
    };
    let ranges: Vec<String> = spec
        .selection
        .serial_ranges
        .iter()
        .map(ToString::to_string)
        .collect();
    // The history keeps counts by reason (and a sample), not every excluded token.
    let excluded: Vec<(String, usize)> = record
        .exclusions
        .by_reason
        .iter()
        .map(|group| (group.reason.clone(), group.count))
        .collect();
    JobRow {
        id: record.id.clone(),
        name: record.name.clone(),
        profile: record.spec.profile.clone(),
        status: record.status,
        token_count: record.token_count,
        created_at: jobs::minute_text(record.created_at),
        finished_at: record.finished_at.map(jobs::minute_text),
        error: record.error.clone(),
        output_size: record.output.as_ref().map(|o| o.bytes),
        output_sha256: record.output.as_ref().map(|o| o.sha256.clone()),
        output_available: record.has_output(),
        downloads: record
            .downloads
            .iter()
            .map(|d| (jobs::minute_text(d.at), d.path.display().to_string()))
            .collect(),
        protection: spec.protection.describe().to_owned(),
        binding,
        nickname: spec.nickname.clone(),
        serials: if ranges.is_empty() {
            "all".to_owned()
        } else {
            ranges.join(", ")
        },
        users: spec.selection.user_glob.clone(),
        done_count: record.done_count,
        excluded,
        started_at: record.started_at.map(jobs::minute_text),
    }
}

/// The job engine's review in the port's words (shared with the test fake's demo mode, so
/// the user guide shows what the program shows).
pub(crate) fn review_summary(review: &jobs::ReviewSummary) -> ReviewSummary {
    let mut choices = vec![
        ("Job name".to_owned(), review.job_name.clone()),
        (
            "Profile".to_owned(),
            format!("{} ({})", review.profile, review.profile_details),
        ),
        ("DeviceSerialNumber".to_owned(), review.binding.clone()),
        (
            "Nickname".to_owned(),
            review.nickname.clone().unwrap_or_else(|| "(none)".into()),
        ),
        ("Protection".to_owned(), review.protection_text.clone()),
    ];
    if review.protection.needs_password() {
        let set = if review.password_set {
            "set (not shown)"
        } else {
            "NOT set"
        };
        choices.push(("Password".to_owned(), set.to_owned()));
    }
    for (index, criterion) in review.criteria.iter().enumerate() {
        choices.push((
            if index == 0 { "Selection" } else { "" }.to_owned(),
            criterion.clone(),
        ));
    }
    choices.push((
        "Tokens".to_owned(),
        format!(
            "{} matched, {} excluded",
            review.matched,
            review.excluded_count()
        ),
    ));
    ReviewSummary {
        choices,
        selected_count: review.token_count,
        exclusions: review
            .exclusions
            .iter()
            .map(|group| ExclusionGroup {
                reason: group.reason.to_owned(),
                count: group.tokens.len(),
                tokens: group
                    .tokens
                    .iter()
                    .take(REVIEW_LISTED)
                    .map(|t| Exclusion {
                        serial: t.serial.clone(),
                        login: t.login.clone(),
                        // The heading already says it when a token has no detail of its own.
                        detail: if t.detail == group.reason {
                            String::new()
                        } else {
                            t.detail.clone()
                        },
                    })
                    .collect(),
            })
            .collect(),
        redistributed_count: review.redistributed.len(),
        redistributed: review
            .redistributed
            .iter()
            .take(REVIEW_LISTED)
            .map(|t| Redistributed {
                serial: t.serial.clone(),
                login: t.login.clone(),
                times: t.times,
                last_job: t.last_job.clone(),
                last_at: t.last_at.date().to_string(),
            })
            .collect(),
        warnings: review.warnings.clone(),
    }
}

impl Backend for RealBackend {
    fn profiles(&self) -> Vec<Profile> {
        self.config.profiles.clone()
    }

    fn workspace_info(&self) -> WorkspaceInfo {
        self.info.clone()
    }

    fn tokens(&self) -> Option<TokenInventory> {
        // Built by the counting worker (about a second at a million tokens, at start and
        // after a tool changed the inventory): until then the browser says "indexing…".
        let index = Arc::clone(self.index.get()?);
        Some(TokenInventory {
            assigned: index.assigned(),
            rows: Rows::new(IndexRows {
                index,
                positions: None,
                today: now().date(),
            }),
        })
    }

    fn default_job_name(&self) -> String {
        jobs::default_job_name(now(), self.job_names.iter().map(String::as_str))
    }

    fn validate(&self, spec: &JobSpec, fields: &[JobField]) -> Vec<FieldIssue> {
        let config = &self.config;
        // Whether any token is left comes from the live count (`preview`), which runs on
        // the counting worker: no scan of the inventory here.
        jobs::validate_fields(
            spec,
            &config.profiles,
            self.job_names.iter().map(String::as_str),
            &config.header.origin,
            fields,
        )
        .iter()
        .map(issue)
        .collect()
    }

    fn preview(&mut self, spec: &JobSpec, generation: u64) -> Option<Answer> {
        let config = &self.config;
        let checked =
            jobs::validate::validate_profile(&spec.profile, &config.profiles).and_then(|profile| {
                jobs::validate::validate_criteria(&spec.selection).map(|()| profile)
            });
        match checked {
            Ok(profile) => {
                let context = CountContext {
                    profile: profile.clone(),
                    protection: spec.protection,
                    password: spec.password.clone(),
                    origin: config.header.origin.clone(),
                    today: now().date(),
                };
                self.counter
                    .preview(generation, spec.selection.clone(), context);
                None
            }
            Err(error) => Some(Answer::Previewed {
                generation,
                result: Err(error.to_string()),
            }),
        }
    }

    fn filter_tokens(&mut self, needle: &str, generation: u64) -> Option<Answer> {
        self.counter
            .filter(generation, needle.to_owned(), now().date());
        None
    }

    fn answers(&self) -> Receiver<Answer> {
        self.counter.answers()
    }

    fn review(&mut self, spec: &JobSpec, generation: u64) -> Option<Answer> {
        if self.recording {
            // The inventory is being changed: the UI asks again once it is recorded.
            return None;
        }
        // The inventory as the last worker that changed it handed it back: a tool at work
        // meanwhile does not hold the review up (what it changes makes the review again).
        let snapshot = Snapshot {
            config: self.config.clone(),
            inventory: self.inventory.clone(),
            job_names: self.job_names.clone(),
            today: now().date(),
            epoch: self.epoch,
        };
        self.preparer.review(generation, spec.clone(), snapshot);
        None
    }

    fn start_job(&mut self, spec: JobSpec) -> Option<Result<JobHandle, String>> {
        if self.recording {
            return Some(Err(RECORDING.to_owned()));
        }
        // Refused at once when another worker holds them (a tool, a download's first step):
        // the start would wait for it behind a "Starting the job…" that says nothing of why.
        if let Err(error) = try_history(&self.history, self.recording) {
            return Some(Err(error));
        }
        if let Err(error) = try_workspace(&self.workspace) {
            return Some(Err(error));
        }
        let started = now();
        // The job the review prepared, unless something changed since; then (rarely: a day
        // boundary passed) the worker prepares it again.
        let prepared = self.preparer.take(&spec, started.date(), self.epoch);
        self.epoch += 1;
        self.held_start = Some(super::starter::Work {
            workspace: Arc::clone(&self.workspace),
            history: Arc::clone(&self.history),
            spec,
            prepared,
            started,
            ended: Arc::clone(&self.ended),
            slot: Arc::clone(&self.started_job),
            outbox: self.counter.outbox(),
        });
        None
    }

    fn take_started_job(&mut self) -> Option<Result<JobHandle, String>> {
        let started = self
            .started_job
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()?;
        if let Ok(handle) = &started {
            // The history's names now: the new job's is taken.
            self.job_names.push(handle.name.clone());
        }
        Some(started)
    }

    fn record_job_end(&mut self, reported: JobOutcome) -> Option<Answer> {
        let Some(outcome) = self.ended.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return Some(Answer::Recorded(reported));
        };
        // A review prepared before is stale from here on: the inventory is changing.
        self.epoch += 1;
        self.recording = true;
        self.held_recording = Some(Work {
            workspace: Arc::clone(&self.workspace),
            history: Arc::clone(&self.history),
            outcome,
            indexer: self.counter.indexer(),
            outbox: self.counter.outbox(),
        });
        None
    }

    fn dispatch(&mut self) {
        self.preparer.dispatch();
        if let Some(work) = self.held_download.take() {
            super::downloader::start(work);
        }
        if let Some(work) = self.held_delete.take() {
            super::deleter::start(work);
        }
        if let Some(work) = self.held_start.take() {
            super::starter::start(work);
        }
        if let Some(work) = self.held_recording.take() {
            let reported = super::recorder::reported_words(&work.outcome);
            let outbox = work.outbox.clone();
            if let Err(error) = self.recorder.start(work) {
                // Nothing was recorded: the record stays running, which the next start
                // settles; the answer says so.
                let _ = outbox.send(Answer::Recorded(super::recorder::recorded_outcome(
                    Err(JobError::Invalid(error)),
                    &reported,
                )));
            }
        }
    }

    fn job_recorded(&mut self) -> WorkspaceInfo {
        self.recording = false;
        self.epoch += 1;
        if let Some(recorded) = self.recorder.take() {
            let replaced = (
                std::mem::replace(&mut self.index, recorded.index),
                std::mem::replace(&mut self.inventory, recorded.inventory),
            );
            super::counter::let_go(replaced);
        }
        // Built by the worker before it answered: nothing to wait for here.
        if let Some(info) = self.info_from_index() {
            self.info = info;
        }
        self.info.clone()
    }

    fn jobs(&self) -> Result<Vec<JobRow>, String> {
        Ok(try_history(&self.history, self.recording)?
            .records()
            .iter()
            .rev()
            .map(job_row)
            .collect())
    }

    fn default_download_path(&self, job: &JobRow) -> PathBuf {
        let configured = jobs::default_output_path(&self.config.output_path_template, &job.name);
        let typed = configured.display().to_string();
        download_path::absolute(&typed, &download_path::RealFs).unwrap_or(configured)
    }

    fn download(&mut self, job_id: &str, path: &Path, overwrite: bool) -> Option<Answer> {
        let refused = |error: DownloadError| {
            Some(Answer::Downloaded {
                job_id: job_id.to_owned(),
                result: Err(error),
            })
        };
        if self.recording {
            return refused(DownloadError::Failed(RECORDING.to_owned()));
        }
        let name = match try_history(&self.history, self.recording) {
            Ok(history) => history
                .records()
                .iter()
                .find(|r| r.id == job_id)
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            Err(error) => return refused(DownloadError::Failed(error)),
        };
        let file_name = format!("{}.zip", jobs::file_name_safe(&name));
        let path = match download_path::target(
            &path.display().to_string(),
            &file_name,
            &download_path::RealFs,
        ) {
            Ok(path) => path,
            Err(error) => return refused(DownloadError::Failed(error)),
        };
        let cancel = jobs::CancelToken::default();
        self.download_cancel = Some(cancel.clone());
        self.held_download = Some(super::downloader::Work {
            workspace: Arc::clone(&self.workspace),
            history: Arc::clone(&self.history),
            job_id: job_id.to_owned(),
            path,
            overwrite,
            cancel,
            outbox: self.counter.outbox(),
        });
        None
    }

    fn cancel_download(&mut self) {
        if let Some(cancel) = self.download_cancel.take() {
            cancel.cancel();
        }
        // Not started yet: nothing was written, not even the pending note.
        if let Some(work) = self.held_download.take() {
            let _ = work.outbox.send(Answer::Downloaded {
                job_id: work.job_id,
                result: Err(DownloadError::Cancelled(work.path)),
            });
        }
    }

    fn delete_output(&mut self, job_id: &str, job_name: &str) -> Option<Answer> {
        if self.recording {
            return Some(Answer::Deleted {
                job_name: job_name.to_owned(),
                result: Err(RECORDING.to_owned()),
            });
        }
        self.held_delete = Some(super::deleter::Work {
            workspace: Arc::clone(&self.workspace),
            history: Arc::clone(&self.history),
            job_id: job_id.to_owned(),
            job_name: job_name.to_owned(),
            outbox: self.counter.outbox(),
        });
        None
    }

    fn directory(&self) -> Option<DirectoryInfo> {
        self.config.directory.as_ref().map(directory_info)
    }

    fn start_admin(&mut self, task: AdminTask) -> Option<Answer> {
        let kind = task.kind();
        let started = self.tools.start(tool_worker::Work {
            workspace: Arc::clone(&self.workspace),
            task,
            today: now().date(),
            indexer: self.counter.indexer(),
            outbox: self.counter.outbox(),
        });
        match started {
            Ok(()) => None,
            Err(error) => Some(Answer::Admin(AdminAnswer::refused(kind, error))),
        }
    }

    fn inventory_changed(&mut self) -> WorkspaceInfo {
        // A tool retired or assigned tokens: its worker counted them and asked the counting
        // worker to index the new inventory (the browser says "indexing…" and the counts
        // "counting…" until it is built); a review prepared before is stale.
        if let Some(changed) = self.tools.take() {
            let replaced = (
                std::mem::replace(&mut self.index, changed.index),
                std::mem::replace(&mut self.inventory, changed.inventory),
            );
            super::counter::let_go(replaced);
            self.info.tokens = changed.tokens;
            self.info.assigned = changed.assigned;
            self.epoch += 1;
        }
        self.info.clone()
    }
}

impl RealBackend {
    /// The header's info from the selection index (no scan of the inventory), once built.
    fn info_from_index(&self) -> Option<WorkspaceInfo> {
        let index = self.index.get()?;
        Some(WorkspaceInfo {
            tokens: index.len(),
            assigned: index.assigned(),
            ..self.info.clone()
        })
    }
}

/// The `[directory]` table in the port's words (no secret in it).
pub(crate) fn directory_info(settings: &crate::directory::DirectorySettings) -> DirectoryInfo {
    DirectoryInfo {
        url: settings.url.clone(),
        base_dn: settings.base_dn.clone(),
        filter: settings.filter.clone(),
        bind_dn: settings.bind_dn.clone(),
        password_file: settings
            .bind_password_file
            .as_ref()
            .map(|p| p.display().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::{Binding, Protection, SelectionCriteria};
    use crate::tui::backend::JobEvent;
    use crossbeam_channel::bounded;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    const WAIT: Duration = Duration::from_secs(60);

    /// The next answer of `kind` (others, such as an index announced, are passed over).
    fn next_admin(backend: &RealBackend) -> AdminAnswer {
        loop {
            match backend
                .answers()
                .recv_timeout(WAIT)
                .expect("the worker answers")
            {
                Answer::Admin(answer) => return answer,
                _ => continue,
            }
        }
    }

    fn next_indexed(backend: &RealBackend) {
        while backend
            .answers()
            .recv_timeout(WAIT)
            .expect("an index is announced")
            != Answer::Indexed
        {}
    }

    /// Holds the workspace on another thread, as a tool's worker does, while `calls` run on
    /// this one; true if they all returned before it let go (it does after a minute, so a
    /// call that waited makes the test fail instead of hang).
    fn while_held(backend: &mut RealBackend, calls: impl FnOnce(&mut RealBackend)) -> bool {
        let workspace = Arc::clone(&backend.workspace);
        let released = Arc::new(AtomicBool::new(false));
        let (held, is_held) = bounded(0);
        let (release, let_go) = bounded::<()>(0);
        let flag = Arc::clone(&released);
        let holder = std::thread::spawn(move || {
            let guard = workspace.lock().unwrap();
            held.send(()).unwrap();
            let _ = let_go.recv_timeout(WAIT);
            flag.store(true, Ordering::SeqCst);
            drop(guard);
        });
        is_held.recv().unwrap();
        calls(backend);
        let answered_while_held = !released.load(Ordering::SeqCst);
        let _ = release.send(());
        holder.join().unwrap();
        answered_while_held
    }

    fn spec(backend: &RealBackend) -> JobSpec {
        JobSpec {
            name: "While a tool works".into(),
            profile: backend.config.profiles[0].name.clone(),
            binding: Binding::DeviceClass,
            nickname: None,
            protection: Protection::None,
            password: None,
            selection: SelectionCriteria::default(),
        }
    }

    #[test]
    fn the_ui_thread_never_waits_for_a_tool_s_worker_and_takes_up_what_it_changed() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("ws");
        let mut backend = open(Some(&dir), None, true).unwrap();
        next_indexed(&backend);
        let before = backend.workspace_info();
        assert_eq!(before.tokens, 300);

        // What the UI thread may ask while a tool's worker holds the workspace: the reads
        // answer from the backend's own copies, a new job is refused in one line, and a
        // download or a delete is handed to its worker (which waits there, not here).
        let answered = while_held(&mut backend, |backend| {
            assert_eq!(backend.workspace_info(), before);
            assert_eq!(backend.tokens().expect("indexed").rows.len(), 300);
            assert_eq!(
                backend.review(&spec(backend), 1),
                None,
                "sent to the preparer"
            );
            backend.dispatch();
            let refused = backend.start_job(spec(backend)).and_then(Result::err);
            assert_eq!(refused.as_deref(), Some(TOOL_AT_WORK));
            let target = temp.path().join("out");
            assert_eq!(backend.download("no-such-job", &target, false), None);
            assert_eq!(backend.delete_output("no-such-job", "no such job"), None);
            // Both workers start and wait for the lock on their own threads.
            backend.dispatch();
            // The review is prepared from the backend's copy of the inventory meanwhile.
            loop {
                match backend.answers().recv_timeout(WAIT).unwrap() {
                    Answer::Reviewed { generation, result } => {
                        assert_eq!(generation, 1);
                        assert!(result.is_ok(), "{result:?}");
                        break;
                    }
                    _ => continue,
                }
            }
        });
        assert!(answered, "a call on the UI thread waited for the workspace");

        // A tool retires two tokens: its worker counts them and asks for the new index.
        let ranges =
            crate::tui::wizard::selection::parse_ranges("000500000003-000500000004").unwrap();
        assert_eq!(
            backend.start_admin(AdminTask::PlanRemoval {
                ranges,
                expired_only: false
            }),
            None
        );
        let AdminAnswer::RemovalPlanned(Ok(review)) = next_admin(&backend) else {
            panic!("the removal is planned");
        };
        assert_eq!(backend.start_admin(AdminTask::Remove(review.plan)), None);
        assert!(matches!(next_admin(&backend), AdminAnswer::Removed(Ok(2))));
        let mut info = WorkspaceInfo::default();
        let answered = while_held(&mut backend, |backend| {
            info = backend.inventory_changed();
        });
        assert!(
            answered,
            "taking up a tool's change waited for the workspace"
        );
        assert_eq!((info.tokens, info.path), (298, before.path));
        let assigned = (backend.workspace.lock().unwrap().inventory().iter())
            .filter(|t| t.user.is_some())
            .count();
        assert_eq!(info.assigned, assigned);
        // The browser never waits for the new index: it is there once announced (maybe
        // announced already, before the tool's answer).
        let inventory = loop {
            match backend.tokens() {
                Some(inventory) => break inventory,
                None => next_indexed(&backend),
            }
        };
        assert_eq!(
            (inventory.rows.len(), inventory.assigned),
            (298, info.assigned)
        );
    }

    #[test]
    fn a_job_is_started_on_the_worker_and_taken_up_once_it_answers() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("ws");
        let mut backend = open(Some(&dir), None, true).unwrap();
        next_indexed(&backend);
        let spec = spec(&backend);
        // Nothing is started until the frame is drawn (`dispatch`), and the UI thread gets
        // no handle yet.
        assert!(
            backend.start_job(spec.clone()).is_none(),
            "held for the worker"
        );
        assert!(backend.take_started_job().is_none());
        backend.dispatch();
        loop {
            match backend.answers().recv_timeout(WAIT).unwrap() {
                Answer::StartDone => break,
                _ => continue,
            }
        }
        let handle = backend
            .take_started_job()
            .expect("the worker left its result")
            .expect("the job started");
        assert_eq!(handle.name, spec.name);
        assert!(backend.take_started_job().is_none(), "taken up once");
        // The new job's name is taken: a second job of that name is refused.
        let issues = backend.validate(&spec, &[JobField::Name]);
        assert!(!issues.is_empty(), "{issues:?}");
        // The runtime watches the job's events as before: it runs to its end.
        let ended = loop {
            match handle.events.recv_timeout(WAIT).unwrap() {
                JobEvent::Finished(outcome) => break outcome,
                JobEvent::Progress(_) => continue,
            }
        };
        assert!(matches!(ended, JobOutcome::Completed { .. }), "{ended:?}");
    }
}
