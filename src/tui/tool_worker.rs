//! The real backend's worker for a workspace tool (the Tools screen): it holds the workspace
//! while the task runs (a passphrase change derives keys for seconds, a directory search
//! waits on the network, a removal or an assignment saves the inventory whole), and when the
//! task changed the inventory it also does, off the UI thread, what the UI then needs: the
//! header's counts (a scan of the inventory) and a request to index the new inventory. It
//! leaves both where [`ToolWorker::take`] finds them and answers with [`Answer::Admin`];
//! the index is built on the counting worker, which announces it ([`Answer::Indexed`]).

use super::admin::port::{AdminAnswer, AdminTask, TaskKind};
use super::backend::Answer;
use super::counter::{Indexer, SharedIndex};
use crate::workspace::{Inventory, Workspace};
use crossbeam_channel::Sender;
use std::sync::{Arc, Mutex};

/// The name of the pause site while the worker holds the workspace, before the task (tests
/// make a tool slow with `TOKENDIST_PAUSE_AT`, to watch the screen meanwhile).
pub const PAUSE_POINT: &str = "tui.workspace-tool";

/// What the worker hands back when its task changed the inventory.
pub struct Changed {
    /// The inventory as the task left it (shared, not copied).
    pub inventory: Inventory,
    /// Its index, being built on the counting worker.
    pub index: SharedIndex,
    /// Tokens in it, and how many are assigned.
    pub tokens: usize,
    pub assigned: usize,
}

/// Where the worker leaves what it hands back.
#[derive(Default, Clone)]
pub struct ToolWorker {
    handed_back: Arc<Mutex<Option<Changed>>>,
}

/// Everything the worker needs, owned so it can travel to its thread.
pub struct Work {
    pub workspace: Arc<Mutex<Workspace>>,
    pub task: AdminTask,
    pub today: time::Date,
    pub indexer: Indexer,
    pub outbox: Sender<Answer>,
}

impl ToolWorker {
    /// Starts the task on a worker; the answer comes on `work.outbox`.
    pub fn start(&self, work: Work) -> Result<(), String> {
        let handed_back = Arc::clone(&self.handed_back);
        std::thread::Builder::new()
            .name("ui-workspace-tool".into())
            .spawn(move || perform(work, &handed_back))
            .map(|_| ())
            .map_err(|error| format!("cannot start the worker: {error}"))
    }

    /// What the worker handed back with its answer, if the task changed the inventory
    /// (taken: once per change).
    pub fn take(&self) -> Option<Changed> {
        self.handed_back
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}

fn perform(work: Work, handed_back: &Mutex<Option<Changed>>) {
    super::counter::behind_the_screen();
    let Work {
        workspace,
        task,
        today,
        indexer,
        outbox,
    } = work;
    let mut guard = AnswerOnDrop {
        outbox: outbox.clone(),
        kind: task.kind(),
        armed: true,
    };
    let mut workspace = workspace.lock().unwrap_or_else(|p| p.into_inner());
    crate::crashpoint::pause(PAUSE_POINT);
    let answer = super::admin::tasks::perform(&mut workspace, task, today);
    if answer.changed_inventory() {
        let inventory = workspace.inventory().clone();
        drop(workspace);
        let assigned = inventory.iter().filter(|t| t.user.is_some()).count();
        let changed = Changed {
            tokens: inventory.len(),
            assigned,
            index: indexer.reindex(inventory.clone()),
            inventory,
        };
        *handed_back.lock().unwrap_or_else(|p| p.into_inner()) = Some(changed);
    } else {
        drop(workspace);
    }
    guard.armed = false;
    let _ = outbox.send(Answer::Admin(answer));
}

/// Answers when dropped unless disarmed, so a task that panics still ends the Tools
/// screen's "at work" (which takes no keys but Ctrl-C, and that waits for the answer).
struct AnswerOnDrop {
    outbox: Sender<Answer>,
    kind: TaskKind,
    armed: bool,
}

impl Drop for AnswerOnDrop {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.outbox.send(Answer::Admin(AdminAnswer::refused(
                self.kind,
                "the tool stopped unexpectedly; every change it makes is saved whole or not \
                 at all, so the workspace is as before or as after it: check it (Check the \
                 workspace) and try again",
            )));
        }
    }
}
