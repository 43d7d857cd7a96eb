//! The adapter's review worker: the review step prepares the whole job (every rule, the
//! selection over the inventory, the exclusions and the redistribution list) with
//! `jobs::prepare_snapshot` on its own thread, over a snapshot of the inventory, so the UI
//! keeps answering (Esc goes back at once) while a million tokens are checked.
//!
//! The newest request wins: requests queued behind a running one are skipped, and the UI
//! drops an answer whose generation is not its newest. The prepared job of the answer is
//! kept, so Submit starts exactly what the review showed without preparing it again.

use super::backend::{Answer, FieldIssue};
use crate::jobs::{self, JobSpec, PreparedJob};
use crate::workspace::{Config, Inventory};
use crossbeam_channel::{Receiver, Sender, unbounded};
use std::sync::{Arc, Mutex};

/// What a review depends on, owned so it can travel to the worker.
pub struct Snapshot {
    pub config: Config,
    /// The inventory as it is now (shared, not copied).
    pub inventory: Inventory,
    /// Names of the jobs in the history (a new job's name must differ).
    pub job_names: Vec<String>,
    pub today: time::Date,
    /// The backend's count of inventory and history changes when the snapshot was taken: a
    /// prepared job from an older one is not started.
    pub epoch: u64,
}

struct Request {
    generation: u64,
    spec: JobSpec,
    snapshot: Snapshot,
}

/// A job the worker prepared, with what it was prepared from.
struct Prepared {
    /// The specification as the wizard sent it (before the engine trims it).
    spec: JobSpec,
    today: time::Date,
    epoch: u64,
    job: PreparedJob,
}

/// The worker's handle: requests in (answers go out on the channel given to `start`).
/// Dropping it ends the thread.
pub struct Preparer {
    requests: Sender<Request>,
    /// The newest request, until [`Preparer::dispatch`].
    held: Option<Request>,
    /// The newest job prepared cleanly, for [`Preparer::take`].
    kept: Arc<Mutex<Option<Prepared>>>,
}

impl Preparer {
    /// Starts the worker; it answers on `outbox` (the channel the UI already listens to).
    pub fn start(outbox: Sender<Answer>) -> Result<Self, String> {
        let (requests, inbox) = unbounded();
        let kept = Arc::default();
        let shared = Arc::clone(&kept);
        std::thread::Builder::new()
            .name("ui-preparer".into())
            .spawn(move || {
                super::counter::behind_the_screen();
                work(&inbox, &outbox, &shared)
            })
            .map_err(|e| format!("cannot start the review thread: {e}"))?;
        Ok(Self {
            requests,
            held: None,
            kept,
        })
    }

    /// Asks for the review of `spec`; the answer carries `generation`. Held until
    /// [`Preparer::dispatch`] (a newer request replaces it).
    pub fn review(&mut self, generation: u64, spec: JobSpec, snapshot: Snapshot) {
        self.held = Some(Request {
            generation,
            spec,
            snapshot,
        });
    }

    /// Sends the held request to the worker.
    pub fn dispatch(&mut self) {
        if let Some(request) = self.held.take() {
            let _ = self.requests.send(request);
        }
    }

    /// The job the newest review prepared, if it was prepared from `spec` on `today` and
    /// nothing changed since (`epoch`). Taken: a job is started once.
    pub fn take(&self, spec: &JobSpec, today: time::Date, epoch: u64) -> Option<PreparedJob> {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let fits = kept
            .as_ref()
            .is_some_and(|p| p.spec == *spec && p.today == today && p.epoch == epoch);
        if !fits {
            return None;
        }
        kept.take().map(|prepared| prepared.job)
    }
}

fn work(inbox: &Receiver<Request>, outbox: &Sender<Answer>, kept: &Mutex<Option<Prepared>>) {
    while let Ok(first) = inbox.recv() {
        // Only the newest request is worth answering.
        let Some(Request {
            generation,
            spec,
            snapshot,
        }) = std::iter::once(first).chain(inbox.try_iter()).last()
        else {
            continue;
        };
        let prepared = jobs::prepare_snapshot(
            &snapshot.config,
            &snapshot.inventory,
            snapshot.job_names.iter().map(String::as_str),
            spec.clone(),
            snapshot.today,
        );
        let result = match prepared {
            Ok(job) => {
                let summary = super::adapter::review_summary(&job.review);
                *kept.lock().unwrap_or_else(|p| p.into_inner()) = Some(Prepared {
                    spec,
                    today: snapshot.today,
                    epoch: snapshot.epoch,
                    job,
                });
                Ok(summary)
            }
            Err(rejected) => Err(rejected
                .errors
                .iter()
                .map(|error| FieldIssue::new(error.field, error.to_string()))
                .collect()),
        };
        if outbox
            .send(Answer::Reviewed { generation, result })
            .is_err()
        {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::{Binding, Protection, SelectionCriteria};
    use crate::secret::Seed;
    use crate::token::{Digits, Interval, KeySize, PinMode, Serial};
    use crate::workspace::{AssignedUser, Distributions, InventoryToken};
    use std::time::Duration;
    use time::macros::date;

    fn inventory(size: u64) -> Inventory {
        let tokens = (0..size)
            .map(|i| InventoryToken {
                serial: Serial::from_value(500_000_000 + i).unwrap(),
                seed: Seed::random(),
                key_size: KeySize::Bits128,
                digits: Digits::EIGHT,
                interval: Interval::Seconds60,
                pin_mode: PinMode::from_flags(true, true),
                birth: date!(2025 - 01 - 01),
                expires: date!(2035 - 12 - 31),
                user: Some(AssignedUser::new(&format!("user{i:03}"), "Given", "Family")),
                distributions: Distributions::new(),
            })
            .collect();
        Inventory::from_tokens(tokens).unwrap()
    }

    fn spec(name: &str) -> JobSpec {
        JobSpec {
            name: name.into(),
            profile: "Android".into(),
            binding: Binding::DeviceClass,
            nickname: None,
            protection: Protection::None,
            password: None,
            selection: SelectionCriteria::default(),
        }
    }

    fn snapshot(epoch: u64, names: &[&str]) -> Snapshot {
        Snapshot {
            config: Config::default_config(),
            inventory: inventory(20),
            job_names: names.iter().map(|n| (*n).to_owned()).collect(),
            today: date!(2026 - 11 - 30),
            epoch,
        }
    }

    fn answer(answers: &Receiver<Answer>) -> (u64, Result<usize, Vec<FieldIssue>>) {
        match answers.recv_timeout(Duration::from_secs(30)).unwrap() {
            Answer::Reviewed { generation, result } => {
                (generation, result.map(|summary| summary.selected_count))
            }
            other => panic!("not a review: {other:?}"),
        }
    }

    #[test]
    fn the_review_is_prepared_on_the_worker_and_submit_takes_that_very_job() {
        let (outbox, answers) = unbounded();
        let mut preparer = Preparer::start(outbox).unwrap();
        let today = date!(2026 - 11 - 30);
        preparer.review(7, spec("Batch"), snapshot(3, &[]));
        preparer.dispatch();
        assert_eq!(answer(&answers), (7, Ok(20)));
        // Another spec, another day or a changed workspace: not the job reviewed.
        assert!(preparer.take(&spec("Other"), today, 3).is_none());
        assert!(
            preparer
                .take(&spec("Batch"), date!(2026 - 12 - 01), 3)
                .is_none()
        );
        assert!(preparer.take(&spec("Batch"), today, 4).is_none());
        let job = preparer
            .take(&spec("Batch"), today, 3)
            .expect("the job reviewed");
        assert_eq!(job.token_count(), 20);
        // Taken once: a second Submit prepares again.
        assert!(preparer.take(&spec("Batch"), today, 3).is_none());
    }

    #[test]
    fn a_request_waits_for_dispatch_and_only_the_newest_is_sent() {
        let (outbox, answers) = unbounded();
        let mut preparer = Preparer::start(outbox).unwrap();
        preparer.review(1, spec("First"), snapshot(0, &[]));
        preparer.review(2, spec("Second"), snapshot(0, &[]));
        assert!(
            answers.recv_timeout(Duration::from_millis(200)).is_err(),
            "nothing is prepared before the frame is out"
        );
        preparer.dispatch();
        assert_eq!(answer(&answers), (2, Ok(20)));
        preparer.dispatch();
        assert!(answers.recv_timeout(Duration::from_millis(200)).is_err());
    }

    #[test]
    fn a_rejected_review_says_why_and_keeps_no_job() {
        let (outbox, answers) = unbounded();
        let mut preparer = Preparer::start(outbox).unwrap();
        preparer.review(1, spec("Taken"), snapshot(0, &["Taken"]));
        preparer.dispatch();
        let (generation, result) = answer(&answers);
        assert_eq!(generation, 1);
        let issues = result.unwrap_err();
        assert!(
            issues.iter().any(|i| i.message.contains("already exists")),
            "{issues:?}"
        );
        assert!(
            preparer
                .take(&spec("Taken"), date!(2026 - 11 - 30), 0)
                .is_none()
        );
    }
}
