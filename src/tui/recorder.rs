//! The adapter's recording worker: when a job ends, its end is recorded (the inventory saved
//! with the new distributions, the history written: about 0.3 s at a million tokens) and the
//! changed inventory indexed again (about a second more) on this thread, so no keystroke
//! waits for either.
//!
//! While it works, the worker holds the workspace and the history. The UI never waits for
//! them: its state is in the "recording the job's end" phase and asks nothing that reads or
//! changes them (see `State::recording`); the backend answers the rest from what it keeps
//! (the configuration, the job names). The worker answers with [`Answer::Recorded`] once
//! both locks are released and the new index is built, and leaves that index where
//! [`Recorder::take`] finds it.

use super::backend::{Answer, JobOutcome};
use super::counter::{Indexer, SharedIndex};
use crate::jobs::{self, History, JobError, JobRecord, JobStatus};
use crate::workspace::{Inventory, Workspace};
use crossbeam_channel::Sender;
use std::sync::{Arc, Mutex};

/// The name of the pause site before the recording (tests make the recording slow with
/// `TOKENDIST_PAUSE_AT`, to watch the screen meanwhile).
pub const PAUSE_POINT: &str = "tui.record-job-end";

/// What the worker hands back besides its answer: the changed inventory (shared, not
/// copied) and its index (built).
pub struct Recorded {
    pub inventory: Inventory,
    pub index: SharedIndex,
}

/// Where the worker leaves what it hands back.
#[derive(Default, Clone)]
pub struct Recorder {
    handed_back: Arc<Mutex<Option<Recorded>>>,
}

/// Everything the worker needs, owned so it can travel to its thread.
pub struct Work {
    pub workspace: Arc<Mutex<Workspace>>,
    pub history: Arc<Mutex<History>>,
    pub outcome: jobs::JobOutcome,
    pub indexer: Indexer,
    pub outbox: Sender<Answer>,
}

impl Recorder {
    /// Starts recording on a worker; the answer comes on `work.outbox`.
    pub fn start(&self, work: Work) -> Result<(), String> {
        let handed_back = Arc::clone(&self.handed_back);
        std::thread::Builder::new()
            .name("ui-recorder".into())
            .spawn(move || record(work, &handed_back))
            .map(|_| ())
            .map_err(|e| format!("cannot start the thread that records the job's end: {e}"))
    }

    /// What the worker handed back with its answer (taken: once per recording).
    pub fn take(&self) -> Option<Recorded> {
        self.handed_back
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

/// Answers when dropped unless disarmed, so a worker that panics still ends the UI's
/// recording phase, and says so.
struct AnswerOnDrop {
    outbox: Sender<Answer>,
    armed: bool,
}

impl Drop for AnswerOnDrop {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.outbox.send(Answer::Recorded(JobOutcome::Failed(
                "recording the job's end stopped unexpectedly; its files stay staged and the next \
                 start of tokendist settles the job from the inventory"
                    .into(),
            )));
        }
    }
}

fn record(work: Work, handed_back: &Mutex<Option<Recorded>>) {
    super::counter::behind_the_screen();
    let Work {
        workspace,
        history,
        outcome,
        indexer,
        outbox,
    } = work;
    let mut guard = AnswerOnDrop {
        outbox: outbox.clone(),
        armed: true,
    };
    let reported = reported_words(&outcome);
    let (result, inventory) = {
        let mut workspace = workspace.lock().unwrap_or_else(|p| p.into_inner());
        let mut history = history.lock().unwrap_or_else(|p| p.into_inner());
        crate::crashpoint::pause(PAUSE_POINT);
        let result = jobs::finish(
            &mut *workspace,
            &mut history,
            outcome,
            time::OffsetDateTime::now_utc(),
        );
        (result, workspace.inventory().clone())
    };
    // Distributions changed "distributed before" for the tokens of the job: the counts and
    // the Tokens browser take up the new index once it is built, never waiting for it.
    let index = indexer.reindex(inventory.clone());
    index.wait();
    *handed_back.lock().unwrap_or_else(|p| p.into_inner()) = Some(Recorded { inventory, index });
    guard.armed = false;
    let _ = outbox.send(Answer::Recorded(recorded_outcome(result, &reported)));
}

/// How the engine reported the run (before recording), for the words of a failure.
pub fn reported_words(outcome: &jobs::JobOutcome) -> JobOutcome {
    match &outcome.result {
        jobs::RunResult::Completed(_) => JobOutcome::Completed {
            tokens: outcome.done,
        },
        jobs::RunResult::Failed(error) => JobOutcome::Failed(error.clone()),
        jobs::RunResult::Cancelled => JobOutcome::Cancelled,
    }
}

/// How the job ended for good, in the UI's words. A failure to record is said as it is: what
/// is on disk and what the next start does with it.
pub fn recorded_outcome(result: Result<JobRecord, JobError>, reported: &JobOutcome) -> JobOutcome {
    match result {
        Ok(record) => match record.status {
            JobStatus::Completed => JobOutcome::Completed {
                tokens: record.done_count,
            },
            JobStatus::Cancelled => JobOutcome::Cancelled,
            _ => JobOutcome::Failed(record.error.unwrap_or_else(|| "the job failed".into())),
        },
        Err(error) => {
            let next = match reported {
                JobOutcome::Completed { .. } => {
                    "the next start of tokendist settles it from the inventory: completed and \
                     offered for download if the inventory recorded its distribution, otherwise \
                     marked interrupted and its files removed"
                }
                _ => "the next start of tokendist marks it interrupted and removes its files",
            };
            JobOutcome::Failed(format!(
                "the job ended but its end could not be recorded ({error}); its files stay \
                 staged and {next}"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_to_record_a_completed_run_says_what_the_next_start_does() {
        let error = JobError::NotFound("20261201-050000-abcd".into());
        let JobOutcome::Failed(text) =
            recorded_outcome(Err(error), &JobOutcome::Completed { tokens: 3 })
        else {
            panic!("a failure to record is a failure");
        };
        assert!(text.contains("could not be recorded"), "{text}");
        assert!(text.contains("20261201-050000-abcd"), "{text}");
        assert!(text.contains("files stay staged"), "{text}");
        assert!(text.contains("settles it from the inventory"), "{text}");
    }

    #[test]
    fn a_failure_to_record_a_cancelled_run_says_its_files_go() {
        let error = JobError::NotFound("x".into());
        let JobOutcome::Failed(text) = recorded_outcome(Err(error), &JobOutcome::Cancelled) else {
            panic!("a failure to record is a failure");
        };
        assert!(text.contains("marks it interrupted"), "{text}");
    }
}
