//! The adapter's delete worker: a job's staged output is over a gigabyte at a million tokens,
//! and unlinking it (about 80 ms per 300 MiB on ext4) is no work for the UI thread. The
//! worker holds the workspace and the history only while the history says the output is
//! gone (`jobs::mark_output_deleted`), then removes the folder holding neither, and answers
//! with [`Answer::Deleted`].

use super::backend::Answer;
use crate::jobs::{self, History};
use crate::workspace::Workspace;
use crossbeam_channel::Sender;
use std::sync::{Arc, Mutex};

/// Everything the worker needs, owned so it can travel to its thread.
pub struct Work {
    pub workspace: Arc<Mutex<Workspace>>,
    pub history: Arc<Mutex<History>>,
    pub job_id: String,
    pub job_name: String,
    pub outbox: Sender<Answer>,
}

/// Starts the delete on a worker; its end always comes on `work.outbox` (also when the thread
/// cannot start or panics).
pub fn start(work: Work) {
    let outbox = work.outbox.clone();
    let job_name = work.job_name.clone();
    let spawned = std::thread::Builder::new()
        .name("ui-delete".into())
        .spawn(move || delete(work));
    if let Err(error) = spawned {
        let _ = outbox.send(Answer::Deleted {
            job_name,
            result: Err(format!(
                "Nothing was deleted: cannot start the thread that deletes: {error}"
            )),
        });
    }
}

/// Answers when dropped unless disarmed, so a worker that panics still ends the UI's wait.
struct AnswerOnDrop {
    outbox: Sender<Answer>,
    job_name: String,
    armed: bool,
}

impl Drop for AnswerOnDrop {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.outbox.send(Answer::Deleted {
                job_name: std::mem::take(&mut self.job_name),
                result: Err(
                    "the delete stopped unexpectedly; the next start of tokendist removes what is left"
                        .into(),
                ),
            });
        }
    }
}

fn delete(work: Work) {
    super::counter::behind_the_screen();
    let Work {
        workspace,
        history,
        job_id,
        job_name,
        outbox,
    } = work;
    let mut guard = AnswerOnDrop {
        outbox: outbox.clone(),
        job_name: job_name.clone(),
        armed: true,
    };
    let marked = {
        let workspace = workspace.lock().unwrap_or_else(|p| p.into_inner());
        let mut history = history.lock().unwrap_or_else(|p| p.into_inner());
        jobs::mark_output_deleted(
            &*workspace,
            &mut history,
            &job_id,
            time::OffsetDateTime::now_utc(),
        )
    };
    let result = marked
        .and_then(|(_, dir)| jobs::remove_staged(&dir))
        .map_err(|error| error.to_string());
    guard.armed = false;
    let _ = outbox.send(Answer::Deleted { job_name, result });
}
