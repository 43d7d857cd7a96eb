//! The adapter's start worker: starting a job writes its history record, its sealed key and
//! the sealed list of every token it excludes (one line each, synced), hundreds of
//! milliseconds when it excludes most of a million-token inventory. The worker prepares the
//! job when the review's preparation cannot be used, calls [`jobs::start`] holding the
//! workspace and the history, starts the thread that forwards the job's events, leaves the
//! [`JobHandle`] (or why the job did not start) in its slot and answers
//! [`Answer::StartDone`]; the UI thread takes the handle up with
//! [`super::backend::Backend::take_started_job`].

use super::backend::{Answer, CancelHandle, JobEvent, JobHandle, JobOutcome, Progress};
use crate::jobs::{self, History, JobSpec, PreparedJob};
use crate::workspace::Workspace;
use crossbeam_channel::{Sender, unbounded};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// Pause site before the job is started (test builds, `TOKENDIST_PAUSE_AT`).
pub const PAUSE_POINT: &str = "tui.start-job";

/// Where the worker leaves the started job (or why it did not start) for the UI thread.
pub type Slot = Arc<Mutex<Option<Result<JobHandle, String>>>>;

/// Everything the worker needs, owned so it can travel to its thread.
pub struct Work {
    pub workspace: Arc<Mutex<Workspace>>,
    pub history: Arc<Mutex<History>>,
    pub spec: JobSpec,
    /// The job the review prepared, when it still holds.
    pub prepared: Option<PreparedJob>,
    pub started: OffsetDateTime,
    /// Where the job's forwarding thread leaves the engine's report of its end.
    pub ended: Arc<Mutex<Option<jobs::JobOutcome>>>,
    pub slot: Slot,
    pub outbox: Sender<Answer>,
}

/// Starts the job on a worker; its end always comes on `work.outbox` (also when the thread
/// cannot start or panics), with the result in `work.slot`.
pub fn start(work: Work) {
    let outbox = work.outbox.clone();
    let slot = Arc::clone(&work.slot);
    let spawned = std::thread::Builder::new()
        .name("ui-start".into())
        .spawn(move || run(work));
    if let Err(error) = spawned {
        answer(
            &slot,
            &outbox,
            Err(format!(
                "cannot start the thread that starts the job: {error}"
            )),
        );
    }
}

fn answer(slot: &Slot, outbox: &Sender<Answer>, result: Result<JobHandle, String>) {
    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
    let _ = outbox.send(Answer::StartDone);
}

/// Answers when dropped unless disarmed, so a worker that panics still ends the UI's wait.
struct AnswerOnDrop {
    slot: Slot,
    outbox: Sender<Answer>,
    armed: bool,
}

impl Drop for AnswerOnDrop {
    fn drop(&mut self) {
        if self.armed {
            answer(
                &self.slot,
                &self.outbox,
                Err("the start stopped unexpectedly; the next start of tokendist settles the job's record".into()),
            );
        }
    }
}

fn run(work: Work) {
    super::counter::behind_the_screen();
    let Work {
        workspace,
        history,
        spec,
        prepared,
        started,
        ended,
        slot,
        outbox,
    } = work;
    let mut guard = AnswerOnDrop {
        slot: Arc::clone(&slot),
        outbox: outbox.clone(),
        armed: true,
    };
    let result = {
        let workspace = workspace.lock().unwrap_or_else(|p| p.into_inner());
        let mut history = history.lock().unwrap_or_else(|p| p.into_inner());
        crate::crashpoint::pause(PAUSE_POINT);
        // Prepared again here only when the review's preparation no longer holds (rarely: a
        // day boundary passed).
        let prepared = match prepared {
            Some(prepared) => Ok(prepared),
            None => jobs::prepare(&workspace, &history, spec, started.date())
                .map_err(|rejected| rejected.to_string()),
        };
        prepared.and_then(|prepared| {
            jobs::start(&*workspace, &mut history, prepared, started).map_err(|e| e.to_string())
        })
    };
    let result = result.and_then(|handle| watch(handle, ended));
    guard.armed = false;
    answer(&slot, &outbox, result);
}

/// Forwards the engine's events as the UI's on a small thread; the engine's report of the
/// end is kept in `ended` for the recording.
fn watch(
    handle: jobs::JobHandle,
    ended: Arc<Mutex<Option<jobs::JobOutcome>>>,
) -> Result<JobHandle, String> {
    let token = handle.cancel_token();
    let (sender, events) = unbounded();
    let engine_events = handle.events.clone();
    std::thread::Builder::new()
        .name(format!("ui-{}", handle.id))
        .spawn(move || {
            for event in engine_events.iter() {
                let forwarded = match event {
                    jobs::JobEvent::Progress(p) => JobEvent::Progress(Progress {
                        done: p.done as u64,
                        total: p.total as u64,
                        rate: p.rate(),
                        eta: p.eta(),
                    }),
                    jobs::JobEvent::Finished(outcome) => {
                        let reported = match &outcome.result {
                            jobs::RunResult::Completed(_) => JobOutcome::Completed {
                                tokens: outcome.done,
                            },
                            jobs::RunResult::Failed(error) => JobOutcome::Failed(error.clone()),
                            jobs::RunResult::Cancelled => JobOutcome::Cancelled,
                        };
                        *ended.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
                        let _ = sender.send(JobEvent::Finished(reported));
                        return;
                    }
                };
                if sender.send(forwarded).is_err() {
                    return;
                }
            }
        })
        .map_err(|e| format!("cannot watch the job: {e}"))?;
    Ok(JobHandle {
        id: handle.id.clone(),
        name: handle.name.clone(),
        total: handle.total as u64,
        events,
        cancel: CancelHandle::with_hook(move || token.cancel()),
    })
}
