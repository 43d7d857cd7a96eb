//! The update: one message in, the state changed, effects out. No I/O here.

use super::app::{ConfirmKind, DownloadRun, Overlay, RunningJob, Screen, State};
use super::backend::{DownloadError, JobOutcome, Progress};
use super::keymap::{Action, KeyContext};
use super::msg::{Effect, Msg};
use super::wizard::{self, Step, Wizard};
use super::{admin, dialog, jobs_view, progress, tokens_view};
use crossterm::event::{KeyEvent, KeyEventKind};

/// The notice of a request refused while a job's end is being recorded.
pub const RECORDING_NOTICE: &str =
    "The last job's end is being recorded (history, inventory): try again when it is done.";

/// The notice of a request refused while a workspace tool's worker holds the workspace.
pub const TOOL_AT_WORK_NOTICE: &str =
    "A workspace tool is at work (Tools): try again when it shows its result.";

/// Applies one message to the state; returns what the runtime must do.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let effects = apply(state, msg);
    let effects = hold_while_recording(state, effects);
    let effects = refuse_while_a_tool_works(state, effects);
    start_on_the_worker(state, effects)
}

/// The notice of a request refused while a job is being started.
pub const STARTING_NOTICE: &str =
    "A job is being started (history, exclusion list): try again when its panel shows.";

/// A job's start (the history record, its key and the sealed list of every excluded token)
/// runs on the backend's worker: the state says so ([`State::starting`]) until
/// [`Msg::StartDone`]. Meanwhile the worker holds the history and the workspace: a second
/// start, a download, a delete or a workspace tool is refused in one line, and the job list
/// is asked again once the job started.
fn start_on_the_worker(state: &mut State, effects: Vec<Effect>) -> Vec<Effect> {
    let mut kept = Vec::new();
    for effect in effects {
        if state.starting.is_none() {
            if let Effect::StartJob(spec) = &effect {
                state.starting = Some(spec.name.clone());
                state.overlay = Some(Overlay::Message {
                    title: super::app::STARTING_TITLE.into(),
                    text: format!(
                        "Starting the job {:?}: writing its history record and its list of excluded tokens…",
                        spec.name
                    ),
                    error: false,
                });
            }
            kept.push(effect);
            continue;
        }
        match effect {
            // A second submit: the first one's message is on screen; a notice says why.
            Effect::StartJob(_) => state.notice = Some(STARTING_NOTICE.into()),
            Effect::LoadJobs => {}
            other => kept.extend(refused(state, other, STARTING_NOTICE)),
        }
    }
    kept
}

/// Closes the "Starting the job…" message, if it is still the dialog on screen.
fn close_starting_message(state: &mut State) {
    if matches!(
        &state.overlay,
        Some(Overlay::Message { title, .. }) if title == super::app::STARTING_TITLE
    ) {
        state.overlay = None;
    }
}

/// While a workspace tool's worker runs, it holds the workspace: a new job, a download or a
/// delete (which write to it) would wait for it on the UI thread, so they are refused where
/// their answer would show, saying why. The Tools screen takes no keys meanwhile, so this
/// is the state's own guard for a request that comes any other way; what reads no workspace
/// (counts, the review, which the backend prepares from its own copy of the inventory, the
/// job list, the browser) goes on.
fn refuse_while_a_tool_works(state: &mut State, effects: Vec<Effect>) -> Vec<Effect> {
    if !state.admin.is_busy() {
        return effects;
    }
    let mut kept = Vec::new();
    for effect in effects {
        match effect {
            // The Tools screen's own requests: it shows the busy state and takes none.
            Effect::Admin(task) => kept.push(Effect::Admin(task)),
            other => kept.extend(refused(state, other, TOOL_AT_WORK_NOTICE)),
        }
    }
    kept
}

/// While a job's end is being recorded, nothing reads or changes the history or the
/// inventory the worker holds: the UI thread would wait for it (or read it half-changed).
/// The job list and the review are asked again when the recording is done; a request of the
/// administrator's (a new job, a download, a delete, a workspace tool) is refused where its
/// answer would show, saying why.
fn hold_while_recording(state: &mut State, effects: Vec<Effect>) -> Vec<Effect> {
    if !state.recording() {
        return effects;
    }
    let mut kept = Vec::new();
    for effect in effects {
        match effect {
            // Asked again once the end is recorded (`JobFinished`, `WorkspaceChanged`).
            Effect::LoadJobs | Effect::Review { .. } | Effect::InventoryChanged => {}
            other => kept.extend(refused(state, other, RECORDING_NOTICE)),
        }
    }
    // What the refusals asked for in turn (a job list) waits too.
    kept.retain(|effect| {
        !matches!(
            effect,
            Effect::LoadJobs | Effect::Review { .. } | Effect::InventoryChanged
        )
    });
    kept
}

/// An administrator's request (a new job, a download, a delete, a workspace tool) refused
/// while a worker holds what it needs (the history, the workspace), answered where its answer
/// would show, saying why; any other effect is kept as it is.
fn refused(state: &mut State, effect: Effect, notice: &str) -> Vec<Effect> {
    match effect {
        Effect::StartJob(_) => apply(state, Msg::JobStartFailed(notice.into())),
        Effect::Download { job_id, .. } => {
            download_done(state, job_id, Err(DownloadError::Failed(notice.into())))
        }
        Effect::DeleteOutput { job_name, .. } => apply(
            state,
            Msg::Deleted {
                job_name,
                result: Err(format!("Nothing was deleted. {notice}")),
            },
        ),
        Effect::Admin(task) => admin::answered(
            state,
            admin::port::AdminAnswer::refused(task.kind(), notice),
        ),
        other => vec![other],
    }
}

fn apply(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(state, key),
        Msg::Resize { width, height } => {
            state.viewport = ratatui::layout::Rect::new(0, 0, width, height);
            Vec::new()
        }
        Msg::Tick => Vec::new(),
        Msg::Signal(_) => {
            state.quitting = true;
            vec![Effect::Quit]
        }
        Msg::Validated {
            issues,
            step,
            advance,
        } => state
            .wizard
            .validated(issues, step, advance, &state.profiles),
        Msg::Paste(text) => on_paste(state, &text),
        Msg::Previewed { generation, result } => {
            state.wizard.previewed(generation, result, &state.profiles)
        }
        Msg::TokensFiltered { generation, rows } => {
            tokens_view::filtered(state, generation, rows);
            Vec::new()
        }
        Msg::Reviewed { generation, result } => {
            state.wizard.reviewed(generation, result);
            Vec::new()
        }
        Msg::WizardReady { default_name } => {
            state.wizard = Wizard::new(default_name, &state.profiles);
            state.run = None;
            state.screen = Screen::Wizard;
            Vec::new()
        }
        Msg::StartDone => vec![Effect::TakeUpStartedJob],
        Msg::JobStarted { id, name, total } => {
            state.starting = None;
            close_starting_message(state);
            state.run = Some(RunningJob {
                id,
                name,
                progress: Progress {
                    total,
                    ..Progress::default()
                },
                outcome: None,
            });
            state.wizard.dirty = false;
            vec![Effect::LoadJobs]
        }
        Msg::JobStartFailed(error) => {
            let was_starting = state.starting.take().is_some();
            state.overlay = Some(Overlay::Message {
                title: "The job did not start".into(),
                text: error,
                error: true,
            });
            // The job list was not asked while the worker held the history.
            if was_starting {
                vec![Effect::LoadJobs]
            } else {
                Vec::new()
            }
        }
        Msg::JobProgress(progress) => {
            if let Some(run) = state.run.as_mut().filter(|r| r.is_running()) {
                run.progress = progress;
            }
            Vec::new()
        }
        Msg::JobEnded(reported) => {
            if let Some(run) = state.run.as_mut() {
                if let JobOutcome::Completed { tokens } = reported {
                    run.progress.done = tokens as u64;
                }
                // The run is over: no ETA that would read as still generating.
                run.progress.eta = None;
            }
            // Nothing is left to cancel.
            if matches!(
                state.overlay,
                Some(Overlay::Confirm {
                    kind: ConfirmKind::CancelJob,
                    ..
                })
            ) {
                state.overlay = None;
            }
            state.recording = Some(reported.clone());
            vec![Effect::RecordJobEnd(reported)]
        }
        Msg::JobFinished(outcome) => {
            state.recording = None;
            if let Some(run) = state.run.as_mut() {
                if let JobOutcome::Completed { tokens } = outcome {
                    run.progress.done = tokens as u64;
                }
                // Nothing is left to wait for, however it ended.
                run.progress.eta = None;
                run.outcome = Some(outcome);
            }
            if matches!(
                state.overlay,
                Some(Overlay::Confirm {
                    kind: ConfirmKind::CancelJob,
                    ..
                })
            ) {
                state.overlay = None;
            }
            // The distributions changed the inventory: counts, a prepared review and the
            // Tokens browser follow (`WorkspaceChanged`); the job list shows the new job.
            vec![Effect::TakeUpRecording, Effect::LoadJobs]
        }
        Msg::JobsLoaded(result) => {
            jobs_view::loaded(state, result);
            Vec::new()
        }
        Msg::TokensLoaded(inventory) => tokens_view::loaded(state, inventory),
        Msg::TokensIndexing => {
            tokens_view::indexing(state);
            Vec::new()
        }
        Msg::Indexed => tokens_view::indexed(state),
        Msg::DownloadPathSuggested { job_id, path } => {
            dialog::path_suggested(state, &job_id, path);
            Vec::new()
        }
        Msg::DownloadProgress {
            job_id,
            written,
            total,
        } => {
            if let Some(run) = state.download.as_mut().filter(|r| r.job.id == job_id) {
                run.written = written;
                run.total = total;
            }
            Vec::new()
        }
        Msg::DownloadDone { job_id, result } => download_done(state, job_id, result),
        Msg::AdminLoaded(directory) => {
            admin::loaded(state, directory);
            Vec::new()
        }
        Msg::Admin(answer) => admin::answered(state, answer),
        Msg::WorkspaceChanged(info) => workspace_changed(state, info),
        Msg::RecordingTakenUp(info) => workspace_changed(state, info),
        Msg::Deleted { job_name, result } => {
            state.deleting = None;
            let waiting = match &state.overlay {
                None => true,
                Some(Overlay::Message { title, .. }) => title == super::app::DELETING_TITLE,
                Some(_) => false,
            };
            if !waiting {
                // Another dialog took over meanwhile: its keys stay its own.
                state.notice = Some(match &result {
                    Ok(()) => format!("The output of job {job_name:?} was deleted."),
                    Err(error) => format!("Delete failed: {error}"),
                });
                return vec![Effect::LoadJobs];
            }
            state.overlay = Some(match result {
                Ok(()) => Overlay::Message {
                    title: "Deleted".into(),
                    text: format!(
                        "The output of job {job_name:?} was deleted; its history record stays."
                    ),
                    error: false,
                },
                Err(error) => Overlay::Message {
                    title: "Delete failed".into(),
                    text: error,
                    error: true,
                },
            });
            vec![Effect::LoadJobs]
        }
    }
}

/// The inventory changed (a tool, a job's distributions): the header's counts now.
fn workspace_changed(state: &mut State, info: super::backend::WorkspaceInfo) -> Vec<Effect> {
    state.workspace = info;
    // The browser reloads the changed inventory when it is opened next; one on screen asks
    // for it now (it says "indexing…" until the backend's worker has indexed it, and loads
    // itself then: nothing waits for the index).
    state.tokens.all = None;
    let mut effects = Vec::new();
    if state.screen == Screen::Tokens {
        effects.push(Effect::LoadTokens);
    }
    // A count or review the wizard holds was made on the old inventory (a token retired or
    // assigned since from the Tools screen, a job's distributions): made again, so what
    // Submit starts is what the screen last showed. A wizard already submitted (a job's
    // panel on screen) is left as it is: the next job starts from a new one.
    if matches!(state.wizard.step, Step::Selection | Step::Review) && state.run.is_none() {
        effects.extend(state.wizard.enter(state.wizard.step, &state.profiles));
    }
    effects
}

/// A download ended (or was refused before it started). Its dialog, if on screen (also under
/// the help opened over it) or if nothing else is, shows the outcome: the saved file, the
/// overwrite question, the prompt again with the error, or that nothing was saved after a
/// cancel. Over another dialog the outcome is a one-line notice instead, so no key meant for
/// that dialog lands in this one.
fn download_done(
    state: &mut State,
    job_id: String,
    result: Result<super::backend::DownloadReport, DownloadError>,
) -> Vec<Effect> {
    let Some(run) = state.download.take_if(|run| run.job.id == job_id) else {
        return Vec::new();
    };
    let DownloadRun {
        job,
        typed,
        default,
        ..
    } = run;
    let (shown, notice) = match result {
        Ok(saved) => {
            let notice = format!(
                "Saved {} ({}); its SHA-256 is in the job's details.",
                saved.path.display(),
                super::view::bytes_words(saved.bytes)
            );
            (Overlay::Saved(saved), notice)
        }
        Err(DownloadError::Exists(path)) => {
            let notice = format!(
                "Nothing was saved: {} already exists (download again to replace it).",
                path.display()
            );
            let question = format!("{} already exists. Overwrite it?", path.display());
            let kind = ConfirmKind::Overwrite { job, path, default };
            (Overlay::Confirm { question, kind }, notice)
        }
        Err(DownloadError::Failed(error)) => {
            let notice = format!("The download failed: {error}");
            let prompt = Overlay::DownloadPrompt {
                job,
                input: tui_input::Input::new(typed),
                default,
                error: Some(error),
            };
            (prompt, notice)
        }
        Err(DownloadError::Cancelled(path)) => {
            let notice = format!(
                "Download cancelled: nothing was saved at {}.",
                path.display()
            );
            let message = Overlay::Message {
                title: "Download cancelled".into(),
                text: format!(
                    "Nothing was saved at {}; the temporary file was removed. The job can be downloaded again.",
                    path.display()
                ),
                error: false,
            };
            (message, notice)
        }
    };
    match &mut state.overlay {
        None | Some(Overlay::Downloading) => state.overlay = Some(shown),
        Some(Overlay::Help {
            under: Some(under), ..
        }) if matches!(**under, Overlay::Downloading) => **under = shown,
        Some(_) => state.notice = Some(notice),
    }
    // The job's downloads (a new one, or none: the list says which).
    vec![Effect::LoadJobs]
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    // A refusal's notice stays until the next key.
    state.notice = None;
    let context = state.key_context();
    match context.action_for(&key) {
        Some(action) => on_action(state, context, action),
        None if context.is_text() => on_text(state, context, key),
        None => Vec::new(),
    }
}

fn on_action(state: &mut State, context: KeyContext, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => return quit(state),
        Action::Help if !context.is_modal() => {
            state.overlay = Some(Overlay::Help {
                under: None,
                scroll: 0,
            });
            return Vec::new();
        }
        Action::GoWizard => {
            state.screen = Screen::Wizard;
            return Vec::new();
        }
        Action::GoJobs => {
            state.screen = Screen::Jobs;
            return vec![Effect::LoadJobs];
        }
        Action::GoTokens => {
            state.screen = Screen::Tokens;
            return vec![Effect::LoadTokens];
        }
        Action::GoAdmin => {
            state.screen = Screen::Admin;
            return vec![Effect::LoadAdmin];
        }
        _ => {}
    }
    if context == KeyContext::AdminBusy {
        return Vec::new();
    }
    if context.is_modal() {
        return dialog::on_action(state, action);
    }
    match state.screen {
        Screen::Wizard if state.run.is_some() => progress::on_action(state, action),
        Screen::Wizard => wizard_action(state, action),
        Screen::Jobs => jobs_view::on_action(state, action),
        Screen::Tokens => tokens_view::on_action(state, action),
        Screen::Admin => {
            let page = super::view::page_rows(state, context);
            admin::on_action(state, action, page)
        }
    }
}

/// `q` or Ctrl-C: ask first when a job runs or the wizard holds input.
fn quit(state: &mut State) -> Vec<Effect> {
    let asked = matches!(
        state.overlay,
        Some(Overlay::Confirm {
            kind: ConfirmKind::Quit,
            ..
        })
    );
    if state.admin.is_busy() {
        // Leaving in the middle of a change would only make the next open finish it.
        state.admin.notice = Some("A workspace tool is at work: quit when it has ended.".into());
        return Vec::new();
    }
    // While the job's end is being recorded there is nothing to cancel: leaving waits for
    // the recording (the screen says so), which is never abandoned half-way.
    // A job being started counts as running: leaving waits for the start, then cancels it.
    let job_running = (state.job_running() || state.starting.is_some()) && !state.recording();
    let downloading = state.downloading();
    if !asked && (job_running || downloading || state.wizard.dirty) {
        let question = match (job_running, downloading) {
            (true, true) => {
                "A job is running and a download is under way. Quit and cancel both? Nothing is saved at the download's target."
            }
            (true, false) => "A job is running. Quit and cancel it?",
            (false, true) => {
                "A download is under way. Quit and cancel it? Nothing is saved at its target."
            }
            _ => "The wizard holds input that is not submitted. Quit anyway?",
        };
        state.overlay = Some(Overlay::Confirm {
            kind: ConfirmKind::Quit,
            question: question.into(),
        });
        return Vec::new();
    }
    state.quitting = true;
    vec![Effect::Quit]
}

fn wizard_action(state: &mut State, action: Action) -> Vec<Effect> {
    let page = super::view::page_rows(state, state.screen_context());
    if state.wizard.step == Step::Review {
        match action {
            Action::Submit => return wizard::review::submit(state),
            action if super::list::is_movement(action) => {
                wizard::review::scroll(state, action, page);
                return Vec::new();
            }
            _ => {}
        }
    }
    let State {
        wizard, profiles, ..
    } = state;
    match action {
        Action::Next => wizard.try_next(profiles),
        Action::Back => wizard.back(profiles),
        Action::RestoreDefault => match wizard.step {
            Step::Name => wizard::name::restore(wizard, profiles),
            Step::Binding => wizard::binding::restore(wizard, profiles),
            Step::Nickname => wizard::nickname::restore(wizard, profiles),
            _ => Vec::new(),
        },
        _ => match wizard.step {
            Step::Profile => wizard::profile::on_action(wizard, profiles, action),
            Step::Protection => wizard::protection::on_action(wizard, profiles, action),
            Step::Password => wizard::password::on_action(wizard, action),
            Step::Selection => wizard::selection::on_action(wizard, profiles, action, page),
            Step::Review => wizard::review::on_action(wizard, action),
            _ => Vec::new(),
        },
    }
}

/// Pasted text goes, as one edit, into the focused text field; elsewhere it is ignored (a
/// paste is never taken as keys, so it cannot trigger commands).
fn on_paste(state: &mut State, text: &str) -> Vec<Effect> {
    let context = state.key_context();
    if !context.is_text() {
        return Vec::new();
    }
    match context {
        KeyContext::Prompt => {
            dialog::on_paste(state, text);
            Vec::new()
        }
        KeyContext::TokensFilter => tokens_view::on_paste(state, text),
        KeyContext::AdminForm => admin::on_paste(state, text),
        _ => {
            let State {
                wizard, profiles, ..
            } = state;
            wizard::paste(wizard, profiles, text)
        }
    }
}

fn on_text(state: &mut State, context: KeyContext, key: KeyEvent) -> Vec<Effect> {
    match context {
        KeyContext::Prompt => {
            dialog::on_text(state, key);
            Vec::new()
        }
        KeyContext::TokensFilter => tokens_view::on_text(state, key),
        KeyContext::AdminForm => admin::on_text(state, key),
        KeyContext::JobsFilter => {
            jobs_view::on_text(state, key);
            Vec::new()
        }
        _ => {
            let State {
                wizard, profiles, ..
            } = state;
            match wizard.step {
                Step::Name => wizard::name::on_text(wizard, profiles, key),
                Step::Binding => wizard::binding::on_text(wizard, profiles, key),
                Step::Nickname => wizard::nickname::on_text(wizard, profiles, key),
                Step::Password => wizard::password::on_text(wizard, profiles, key),
                Step::Selection => wizard::selection::on_text(wizard, profiles, key),
                _ => Vec::new(),
            }
        }
    }
}
