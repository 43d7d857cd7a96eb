//! Named crash points: every durable step (a write, rename, directory sync, delete, and the
//! moments between the steps of an operation) calls [`reached`] with a stable name, so a test
//! can stop the process exactly there and prove that reopening the workspace tells the truth.
//!
//! This follows SQLite's crash testing: the points are data, enumerated by a test, not found by
//! random kills. Only builds with the `crash-points` feature (enabled for tests through the
//! crate's own dev-dependency) read the environment; release builds compile [`reached`] to
//! nothing.
//!
//! Test-build environment:
//! * `TOKENDIST_CRASH_TRACE=FILE` appends each reached point's name to `FILE`, one per line, so
//!   a test can list every point an operation passes through (and how often).
//! * `TOKENDIST_CRASH_AT=NAME` or `NAME#N` aborts the process (no destructors, no buffered
//!   output flushed, like `kill -9`) when `NAME` is reached for the first (or `N`th) time.
//! * `TOKENDIST_FAIL_AT=NAME[,NAME…]` makes the fault sites `NAME` fail ([`fault`] returns an
//!   I/O error, as a full or failing disk would; [`injected`] returns true, e.g. for an
//!   operator's cancel at a chosen moment), so the failure and cancel paths — and their own
//!   durable steps — run deterministically and can be crashed in turn.
//! * `TOKENDIST_PAUSE_AT=NAME=MS[,NAME=MS…]` makes the pause sites `NAME` sleep `MS`
//!   milliseconds ([`pause`]), so a test can watch the screen while slow work is under way
//!   (a job's end being recorded) on a small workspace.

/// Marks the durable step `name` (lowercase, dot-separated: `operation.step`, e.g.
/// `job.finish.inventory-saved`). In test builds this may record the point or abort the
/// process here; otherwise it does nothing.
#[inline(always)]
pub fn reached(name: &'static str) {
    #[cfg(feature = "crash-points")]
    armed::reached(name);
    #[cfg(not(feature = "crash-points"))]
    let _ = name;
}

/// Marks step `step` of the durable operation `operation` (the point `operation.step`), for
/// shared code that serves many operations, such as an atomic file write labelled by its
/// caller (`job.finish.history` + `renamed`). The name is built only in test builds.
#[inline(always)]
pub fn reached_step(operation: &str, step: &'static str) {
    #[cfg(feature = "crash-points")]
    armed::reached(&format!("{operation}.{step}"));
    #[cfg(not(feature = "crash-points"))]
    let _ = (operation, step);
}

/// A fault site: in test builds with `NAME` listed in `TOKENDIST_FAIL_AT`, an I/O error here
/// (as from a full disk); otherwise `Ok`. Named like crash points (`job.run.output-sync`).
#[inline(always)]
pub fn fault(name: &'static str) -> std::io::Result<()> {
    if injected(name) {
        return Err(std::io::Error::other(format!("injected fault at {name}")));
    }
    Ok(())
}

/// The fault site `operation.step` (see [`reached_step`]): an I/O error in test builds with it
/// listed in `TOKENDIST_FAIL_AT`.
#[inline(always)]
pub fn fault_step(operation: &str, step: &'static str) -> std::io::Result<()> {
    #[cfg(feature = "crash-points")]
    if armed::any_faults() {
        let name = format!("{operation}.{step}");
        if injected(&name) {
            return Err(std::io::Error::other(format!("injected fault at {name}")));
        }
    }
    let _ = (operation, step);
    Ok(())
}

/// A pause site: in test builds with `NAME=MS` listed in `TOKENDIST_PAUSE_AT`, sleeps that
/// long; otherwise does nothing. Named like crash points (`tui.record-job-end`).
#[inline(always)]
pub fn pause(name: &'static str) {
    #[cfg(feature = "crash-points")]
    armed::pause(name);
    #[cfg(not(feature = "crash-points"))]
    let _ = name;
}

/// True in test builds when `name` is listed in `TOKENDIST_FAIL_AT`; always false otherwise.
#[cfg(feature = "crash-points")]
pub fn injected(name: &str) -> bool {
    armed::injected(name)
}

/// True in test builds when `name` is listed in `TOKENDIST_FAIL_AT`; always false here.
#[cfg(not(feature = "crash-points"))]
#[inline(always)]
pub fn injected(_name: &str) -> bool {
    false
}

#[cfg(feature = "crash-points")]
mod armed {
    use std::io::Write;
    use std::sync::Mutex;
    use std::sync::OnceLock;

    struct Plan {
        trace: Option<std::path::PathBuf>,
        crash_at: Option<(String, u64)>,
        faults: Vec<String>,
        pauses: Vec<(String, u64)>,
        hits: Mutex<std::collections::HashMap<String, u64>>,
    }

    fn plan() -> &'static Plan {
        static PLAN: OnceLock<Plan> = OnceLock::new();
        PLAN.get_or_init(|| Plan {
            trace: std::env::var_os("TOKENDIST_CRASH_TRACE").map(Into::into),
            crash_at: std::env::var("TOKENDIST_CRASH_AT").ok().map(|spec| {
                match spec.rsplit_once('#') {
                    Some((name, n)) => (name.to_owned(), n.parse().unwrap_or(1)),
                    None => (spec, 1),
                }
            }),
            faults: std::env::var("TOKENDIST_FAIL_AT")
                .map(|list| list.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
            pauses: std::env::var("TOKENDIST_PAUSE_AT")
                .unwrap_or_default()
                .split(',')
                .filter_map(|pair| pair.split_once('='))
                .filter_map(|(name, ms)| Some((name.to_owned(), ms.parse().ok()?)))
                .collect(),
            hits: Mutex::new(std::collections::HashMap::new()),
        })
    }

    pub(super) fn any_faults() -> bool {
        !plan().faults.is_empty()
    }

    pub(super) fn injected(name: &str) -> bool {
        plan().faults.iter().any(|fault| fault == name)
    }

    pub(super) fn pause(name: &str) {
        if let Some((_, ms)) = plan().pauses.iter().find(|(at, _)| at == name) {
            std::thread::sleep(std::time::Duration::from_millis(*ms));
        }
    }

    pub(super) fn reached(name: &str) {
        let plan = plan();
        if plan.trace.is_none() && plan.crash_at.is_none() {
            return;
        }
        let count = {
            let mut hits = plan
                .hits
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let count = hits.entry(name.to_owned()).or_insert(0);
            *count += 1;
            *count
        };
        if let Some(path) = &plan.trace
            && let Ok(mut file) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
        {
            let _ = writeln!(file, "{name}");
        }
        if let Some((at, nth)) = &plan.crash_at
            && at == name
            && *nth == count
        {
            std::process::abort();
        }
    }
}
