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

#[cfg(feature = "crash-points")]
mod armed {
    use std::io::Write;
    use std::sync::Mutex;
    use std::sync::OnceLock;

    struct Plan {
        trace: Option<std::path::PathBuf>,
        crash_at: Option<(String, u64)>,
        hits: Mutex<std::collections::HashMap<&'static str, u64>>,
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
            hits: Mutex::new(std::collections::HashMap::new()),
        })
    }

    pub(super) fn reached(name: &'static str) {
        let plan = plan();
        if plan.trace.is_none() && plan.crash_at.is_none() {
            return;
        }
        let count = {
            let mut hits = plan
                .hits
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let count = hits.entry(name).or_insert(0);
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
