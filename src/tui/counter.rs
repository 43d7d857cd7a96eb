//! The adapter's counting worker: live selection counts and the Tokens filter run on their
//! own thread over a shared [`InventoryIndex`], so no keystroke waits for a scan of the
//! inventory. The newest request of each kind wins: requests queued behind a slow one are
//! skipped, and the UI drops any answer whose generation is not its newest.
//!
//! The worker also builds the index (about a second at a million tokens): when the workspace
//! opens, so the first panel does not wait for it, and after a job changed the inventory, so
//! the screen does not freeze then. Counts asked meanwhile queue behind it ("counting…"),
//! and each index built is announced ([`Answer::Indexed`]) so that a Tokens browser that
//! found it missing loads itself then, without ever waiting for it.

use super::backend::{Answer, RowSource, Rows, SelectionPreview, TokenRow};
use crate::jobs::index::{ContextReasons, IndexedRow, InventoryIndex, REASON_CODES};
use crate::jobs::select::label_for_code;
use crate::jobs::{Protection, SelectionContext, SelectionCriteria};
use crate::secret::SecretString;
use crate::workspace::{Inventory, Profile};
use crossbeam_channel::{Receiver, Sender, unbounded};
use std::sync::{Arc, OnceLock};

/// The index the worker builds, shared with the UI thread, which only looks
/// ([`OnceLock::get`]) and never waits: [`Answer::Indexed`] says when another one is there.
/// The workers that need it built (the recording of a job's end) wait ([`OnceLock::wait`]).
pub type SharedIndex = Arc<OnceLock<Arc<InventoryIndex>>>;

/// The name of the pause site before the worker indexes an inventory (tests make indexing
/// slow with `TOKENDIST_PAUSE_AT`, to watch the Tokens browser wait for it).
pub const INDEX_PAUSE_POINT: &str = "tui.index-inventory";

/// The job context a count depends on, owned so it can travel to the worker.
pub struct CountContext {
    pub profile: Profile,
    pub protection: Protection,
    pub password: Option<SecretString>,
    pub origin: String,
    pub today: time::Date,
}

impl CountContext {
    fn borrow(&self) -> SelectionContext<'_> {
        SelectionContext {
            profile: &self.profile,
            protection: self.protection,
            password: self.password.as_ref(),
            origin: &self.origin,
            today: self.today,
        }
    }
}

/// Sizes the thread pool the counts and the Tokens filter spread over (rayon's global pool)
/// to one thread fewer than the machine's cores, so that a search over a million tokens
/// never takes every core from the thread that draws the screen: the typed key shows within
/// a frame while its count is still out. Called once, before the first search; rayon's own
/// `RAYON_NUM_THREADS`, when set, is left to decide.
pub fn leave_a_core_to_the_screen() {
    if std::env::var_os("RAYON_NUM_THREADS").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    // Fails only when the pool already exists (a second wizard in one process): keep it.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(cores.saturating_sub(1).max(1))
        .thread_name(|n| format!("ui-search-{n}"))
        .start_handler(|_| behind_the_screen())
        .build_global();
}

/// How many nice levels a background thread of the wizard runs below the thread that draws.
const BACKGROUND_NICENESS: i32 = 5;

/// Lowers the calling thread's scheduling priority (its nice value, up to 19) so that on a
/// busy machine the thread that draws the screen is scheduled first when a key arrives,
/// while a count, a filter or a review keeps the other cores busy. Called at the start of
/// every background thread of the wizard. On Linux the nice value is per thread (this one
/// only); elsewhere it would lower the whole process, so nothing is done there.
pub fn behind_the_screen() {
    #[cfg(target_os = "linux")]
    if let Ok(nice) = rustix::process::getpriority_process(None) {
        let _ = rustix::process::setpriority_process(None, (nice + BACKGROUND_NICENESS).min(19));
    }
}

/// Drops `value` on a background thread. A replaced inventory snapshot or index can be the
/// last reference to a million tokens: freeing them (a user's text and a key each) takes
/// about 20 ms, which on the thread that draws would hold the next key that long.
pub fn let_go<T: Send + 'static>(value: T) {
    // If the system refuses a thread, the value is freed here with the closure, as before.
    let _ = std::thread::Builder::new()
        .name("ui-let-go".into())
        .spawn(move || {
            behind_the_screen();
            drop(value);
        });
}

enum Request {
    Preview {
        generation: u64,
        criteria: SelectionCriteria,
        context: Box<CountContext>,
    },
    Filter {
        generation: u64,
        needle: String,
        today: time::Date,
    },
    /// Index this inventory (at start, and after a job recorded its distributions) into
    /// `into`.
    Index {
        inventory: Inventory,
        into: SharedIndex,
    },
}

/// The worker's handle: requests in, answers out. Dropping it ends the thread.
pub struct Counter {
    requests: Sender<Request>,
    answers: Receiver<Answer>,
    /// Where the answers go, for other workers answering the same UI.
    outbox: Sender<Answer>,
}

impl Counter {
    /// Starts the worker, which first indexes `inventory` into the returned index.
    pub fn start(inventory: Inventory) -> Result<(Self, SharedIndex), String> {
        let (requests, inbox) = unbounded();
        let (outbox, answers) = unbounded();
        let worker_outbox = outbox.clone();
        std::thread::Builder::new()
            .name("ui-counter".into())
            .spawn(move || {
                behind_the_screen();
                work(&inbox, &worker_outbox)
            })
            .map_err(|e| format!("cannot start the counting thread: {e}"))?;
        let counter = Self {
            requests,
            answers,
            outbox,
        };
        let index = counter.reindex(inventory);
        Ok((counter, index))
    }

    pub fn answers(&self) -> Receiver<Answer> {
        self.answers.clone()
    }

    /// A sender onto the same answers channel.
    pub fn outbox(&self) -> Sender<Answer> {
        self.outbox.clone()
    }

    pub fn preview(&self, generation: u64, criteria: SelectionCriteria, context: CountContext) {
        let _ = self.requests.send(Request::Preview {
            generation,
            criteria,
            context: Box::new(context),
        });
    }

    pub fn filter(&self, generation: u64, needle: String, today: time::Date) {
        let _ = self.requests.send(Request::Filter {
            generation,
            needle,
            today,
        });
    }

    /// The inventory changed: the worker indexes it (before any request sent after this
    /// one) into the returned index.
    pub fn reindex(&self, inventory: Inventory) -> SharedIndex {
        self.indexer().reindex(inventory)
    }

    /// A handle that asks for indexing from another thread (the worker recording a job's
    /// end, which waits for the new index before it answers).
    pub fn indexer(&self) -> Indexer {
        Indexer {
            requests: self.requests.clone(),
        }
    }
}

/// Asks the counting worker to index an inventory ([`Counter::indexer`]).
pub struct Indexer {
    requests: Sender<Request>,
}

impl Indexer {
    /// As [`Counter::reindex`].
    pub fn reindex(&self, inventory: Inventory) -> SharedIndex {
        let into = SharedIndex::default();
        let _ = self.requests.send(Request::Index {
            inventory,
            into: Arc::clone(&into),
        });
        into
    }
}

fn work(inbox: &Receiver<Request>, outbox: &Sender<Answer>) {
    let mut index = Arc::new(InventoryIndex::default());
    let mut reasons: Option<ContextReasons> = None;
    while let Ok(first) = inbox.recv() {
        // Only the newest request of each kind is worth answering.
        let (mut preview, mut filter) = (None, None);
        for request in std::iter::once(first).chain(inbox.try_iter()) {
            match request {
                Request::Preview { .. } => preview = Some(request),
                Request::Filter { .. } => filter = Some(request),
                Request::Index { inventory, into } => {
                    crate::crashpoint::pause(INDEX_PAUSE_POINT);
                    index = Arc::new(InventoryIndex::build(inventory.iter()));
                    let _ = into.set(Arc::clone(&index));
                    reasons = None;
                    // A browser that found the index missing waits for this, never for
                    // the index itself.
                    if outbox.send(Answer::Indexed).is_err() {
                        return;
                    }
                }
            }
        }
        if let Some(Request::Preview {
            generation,
            criteria,
            context,
        }) = preview
        {
            let result = count(&index, &mut reasons, &criteria, &context);
            if outbox
                .send(Answer::Previewed { generation, result })
                .is_err()
            {
                return;
            }
        }
        if let Some(Request::Filter {
            generation,
            needle,
            today,
        }) = filter
        {
            let rows = Rows::new(IndexRows {
                positions: Some(index.filter(&needle)),
                index: Arc::clone(&index),
                today,
            });
            if outbox.send(Answer::Filtered { generation, rows }).is_err() {
                return;
            }
        }
    }
}

/// One count: the per-token reasons are reused while the job context stays the same.
fn count(
    index: &Arc<InventoryIndex>,
    reasons: &mut Option<ContextReasons>,
    criteria: &SelectionCriteria,
    context: &CountContext,
) -> Result<SelectionPreview, String> {
    let borrowed = context.borrow();
    let current = match reasons.take() {
        Some(held) if held.holds_for(criteria, &borrowed) => held,
        _ => index.reasons(criteria, &borrowed),
    };
    let selection = index.select(&current, criteria);
    *reasons = Some(current);
    let selection = selection.map_err(|message| format!("token selection: {message}"))?;
    let excluded_groups = selection
        .exclusion_groups()
        .into_iter()
        .map(|(code, n)| (label_for_code(code).unwrap_or(code).to_owned(), n))
        .collect();
    debug_assert_eq!(REASON_CODES.len(), selection.excluded_by_kind.len());
    Ok(SelectionPreview {
        selected_count: selection.selected.len(),
        excluded_count: selection.excluded(),
        excluded_groups,
        selected: Rows::new(IndexRows {
            positions: Some(selection.selected),
            index: Arc::clone(index),
            today: context.today,
        }),
    })
}

/// One count with nothing reused (the test fake's demo answers this way, at once).
pub fn count_once(
    index: &Arc<InventoryIndex>,
    criteria: &SelectionCriteria,
    context: &CountContext,
) -> Result<SelectionPreview, String> {
    count(index, &mut None, criteria, context)
}

/// Rows of the index: all of them, or those at `positions`. Built one at a time, on demand.
pub struct IndexRows {
    pub index: Arc<InventoryIndex>,
    pub positions: Option<Vec<u32>>,
    pub today: time::Date,
}

impl RowSource for IndexRows {
    fn len(&self) -> usize {
        self.positions.as_ref().map_or(self.index.len(), Vec::len)
    }

    fn row(&self, at: usize) -> TokenRow {
        let position = self
            .positions
            .as_ref()
            .map_or(at, |positions| positions[at] as usize);
        token_row(self.index.row(position), self.today)
    }
}

fn token_row(row: IndexedRow, today: time::Date) -> TokenRow {
    TokenRow {
        expired: today > row.expires,
        serial: row.serial,
        login: row.login,
        full_name: row.full_name,
        expires: row.expires,
        key_bits: row.key_size.bits(),
        digits: u32::from(row.digits.get()),
        interval_secs: row.interval.seconds(),
        distributed_count: row.distributed_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Seed;
    use crate::token::{Digits, Interval, KeySize, PinMode, Serial};
    use crate::workspace::{Distributions, InventoryToken};
    use std::time::Duration;
    use time::macros::date;

    /// Tells on which thread it was dropped.
    struct Tell(crossbeam_channel::Sender<std::thread::ThreadId>);

    impl Drop for Tell {
        fn drop(&mut self) {
            let _ = self.0.send(std::thread::current().id());
        }
    }

    #[test]
    fn a_value_let_go_is_freed_on_another_thread_than_the_one_that_draws() {
        let (sender, dropped_on) = crossbeam_channel::unbounded();
        let_go(Tell(sender));
        let thread = dropped_on
            .recv_timeout(Duration::from_secs(10))
            .expect("the value is freed");
        assert_ne!(thread, std::thread::current().id());
    }

    fn inventory(size: u64) -> Inventory {
        let tokens = (0..size)
            .map(|i| InventoryToken {
                serial: Serial::from_value(700_000_000 + i).unwrap(),
                seed: Seed::random(),
                key_size: KeySize::Bits128,
                digits: Digits::EIGHT,
                interval: Interval::Seconds60,
                pin_mode: PinMode::from_flags(true, true),
                birth: date!(2025 - 01 - 01),
                expires: date!(2035 - 12 - 31),
                user: None,
                distributions: Distributions::new(),
            })
            .collect();
        Inventory::from_tokens(tokens).unwrap()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_background_thread_runs_nicer_than_the_thread_that_started_it() {
        let nice = || rustix::process::getpriority_process(None).unwrap();
        let screen = nice();
        let background = std::thread::spawn(move || {
            behind_the_screen();
            nice()
        })
        .join()
        .unwrap();
        assert_eq!(background, (screen + BACKGROUND_NICENESS).min(19));
        assert_eq!(nice(), screen, "the calling thread keeps its priority");
    }

    #[test]
    fn the_worker_builds_the_index_and_answers_from_the_newest_one() {
        let (counter, first) = Counter::start(inventory(10)).unwrap();
        assert_eq!(first.wait().len(), 10);
        // A job changed the inventory: requests after the rebuild see the new index.
        let second = counter.reindex(inventory(25));
        counter.filter(1, "7000000".into(), date!(2026 - 11 - 30));
        // Each index built is announced before the answers asked after it.
        let answers = counter.answers();
        let next = || answers.recv_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(next(), Answer::Indexed, "the first index");
        assert_eq!(next(), Answer::Indexed, "the second index");
        let answer = next();
        match answer {
            Answer::Filtered { generation, rows } => {
                assert_eq!(generation, 1);
                assert_eq!(rows.len(), 25);
            }
            other => panic!("not a filter answer: {other:?}"),
        }
        assert_eq!(second.wait().len(), 25);
        assert_eq!(first.wait().len(), 10, "the old index stays as it was");
    }
}
