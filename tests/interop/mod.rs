//! Pieces of the interoperability tests in `tests/interop_sdtid.rs`.

pub mod check;
pub mod generate;
pub mod split;
pub mod stoken_written;

use std::thread;

/// Referee calls run on this many threads (CI has 2 cores; the referees are single-threaded).
pub const WORKERS: usize = 2;

/// Runs `check` on `WORKERS` threads, each given a contiguous share of `items`, and collects
/// the failure lines in item order.
pub fn in_parallel<T: Sync>(
    items: &[T],
    check: impl Fn(&[T]) -> Vec<String> + Sync,
) -> Vec<String> {
    let share = items.len().div_ceil(WORKERS).max(1);
    thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(share)
            .map(|chunk| scope.spawn(|| check(chunk)))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| vec!["a checker thread panicked".into()])
            })
            .collect()
    })
}

/// Fails the test with every disagreement (the first 25 in full), the seed to replay it with
/// and the directory that keeps the files.
pub fn assert_no_failures(failures: &[String], seed: u64, files: tempfile::TempDir) {
    if failures.is_empty() {
        return;
    }
    let kept = files.keep();
    let shown: Vec<&str> = failures.iter().take(25).map(String::as_str).collect();
    panic!(
        "{} interoperability failure(s); replay with {}={seed}; files kept in {}\n{}{}",
        failures.len(),
        crate::support::rng::SEED_ENV,
        kept.display(),
        shown.join("\n"),
        if failures.len() > shown.len() {
            "\n..."
        } else {
            ""
        }
    );
}
