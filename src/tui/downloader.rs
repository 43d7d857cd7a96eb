//! The adapter's download worker: "Download Output File" writes the job's ZIP (1.2 KB a
//! token: over a gigabyte and seconds at a million tokens) on this thread, so no keystroke
//! waits for it.
//!
//! The worker holds the workspace and the history only for the download's short first step
//! (the job's key opened, the pending note written) and its last (the download recorded, or
//! the note cleared after a failure or a cancel); the UI thread, which only tries the
//! history, meanwhile finds it free. Progress goes out as [`Answer::DownloadProgress`] (at
//! most ten a second), the end as one [`Answer::Downloaded`].

use super::backend::{Answer, DownloadError};
use crate::jobs::{self, CancelToken, DownloadWatch, History, JobError};
use crate::workspace::Workspace;
use crossbeam_channel::Sender;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Everything the worker needs, owned so it can travel to its thread.
pub struct Work {
    pub workspace: Arc<Mutex<Workspace>>,
    pub history: Arc<Mutex<History>>,
    pub job_id: String,
    /// The target, resolved (a directory's own file name added, `~` expanded).
    pub path: PathBuf,
    pub overwrite: bool,
    pub cancel: CancelToken,
    pub outbox: Sender<Answer>,
}

/// Starts the download on a worker; its end always comes on `work.outbox` (also when the
/// thread cannot start).
pub fn start(work: Work) {
    let outbox = work.outbox.clone();
    let job_id = work.job_id.clone();
    let spawned = std::thread::Builder::new()
        .name("ui-download".into())
        .spawn(move || download(work));
    if let Err(error) = spawned {
        let _ = outbox.send(Answer::Downloaded {
            job_id,
            result: Err(DownloadError::Failed(format!(
                "cannot start the thread that writes the download: {error}"
            ))),
        });
    }
}

/// Answers when dropped unless disarmed, so a worker that panics still ends the UI's
/// download, and says what the next start does.
struct AnswerOnDrop {
    outbox: Sender<Answer>,
    job_id: String,
    armed: bool,
}

impl Drop for AnswerOnDrop {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.outbox.send(Answer::Downloaded {
                job_id: std::mem::take(&mut self.job_id),
                result: Err(DownloadError::Failed(
                    "the download stopped unexpectedly; its temporary file is removed and the \
                     next start of tokendist clears its note in the job history"
                        .into(),
                )),
            });
        }
    }
}

fn download(work: Work) {
    super::counter::behind_the_screen();
    let Work {
        workspace,
        history,
        job_id,
        path,
        overwrite,
        cancel,
        outbox,
    } = work;
    let mut guard = AnswerOnDrop {
        outbox: outbox.clone(),
        job_id: job_id.clone(),
        armed: true,
    };
    let now = time::OffsetDateTime::now_utc();
    let begun = {
        let workspace = workspace.lock().unwrap_or_else(|p| p.into_inner());
        let mut history = history.lock().unwrap_or_else(|p| p.into_inner());
        jobs::begin_download(&*workspace, &mut history, &job_id, &path, overwrite, now)
    };
    let result = begun.and_then(|mut begun| {
        let progress = outbox.clone();
        let id = job_id.clone();
        let mut watch = DownloadWatch::new(cancel, move |p: jobs::DownloadProgress| {
            let _ = progress.send(Answer::DownloadProgress {
                job_id: id.clone(),
                written: p.written,
                total: p.total,
            });
        });
        let written = begun.write(&mut watch);
        let mut history = history.lock().unwrap_or_else(|p| p.into_inner());
        jobs::end_download(&mut history, begun, written)
    });
    let result = result.map_err(|error| match error {
        JobError::TargetExists { path } => DownloadError::Exists(path),
        JobError::DownloadCancelled { path } => DownloadError::Cancelled(path),
        error => DownloadError::Failed(error.to_string()),
    });
    guard.armed = false;
    let _ = outbox.send(Answer::Downloaded { job_id, result });
}
