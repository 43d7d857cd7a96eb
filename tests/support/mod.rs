//! Shared helpers for integration tests: running external tools safely and finding the two
//! referee implementations (`stoken`, python-securid) that our SDTID files are checked against.
//!
//! Use from a test file with `mod support;`. The usual pattern:
//!
//! ```ignore
//! if !support::require_or_skip(Referee::Stoken) { return; }
//! let stoken = support::stoken().unwrap();
//! ```
//!
//! A missing referee makes a test print `SKIPPED: <referee> not installed (...)` and pass; with
//! `TOKENDIST_REQUIRE_INTEROP=1` it panics instead, so CI cannot go green without the referees.
//! When the test binary exits, one line sums up the skips (see [`skip_summary`]), so a skip is
//! seen after libtest's result line rather than lost in the scroll-back.
#![allow(dead_code)] // each test crate uses a different part of this module

pub mod python_securid;
pub mod rng;
pub mod runner;
pub mod slapd;
pub mod stoken;

#[allow(unused_imports)] // likewise for the re-exports
pub use python_securid::{DecodeRequest, PythonSecurid};
#[allow(unused_imports)]
pub use stoken::Stoken;

use std::io::Write as _;
use std::sync::{Mutex, Once, OnceLock};

/// Set to `1` to turn "referee missing, test skipped" into a test failure.
pub const REQUIRE_ENV: &str = "TOKENDIST_REQUIRE_INTEROP";

/// The independent SDTID implementations we check against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Referee {
    Stoken,
    PythonSecurid,
    /// Not a referee of the format but a real component: OpenLDAP's server (`slapd`,
    /// `slapadd`) for the directory tests, and the `openssl` CLI for their certificates.
    Slapd,
    Openssl,
}

impl Referee {
    pub fn name(self) -> &'static str {
        match self {
            Self::Stoken => "stoken",
            Self::PythonSecurid => "python-securid",
            Self::Slapd => "slapd",
            Self::Openssl => "openssl",
        }
    }

    /// `Ok` when the referee can be used, else why not.
    fn availability(self) -> Result<(), String> {
        match self {
            Self::Stoken => stoken().map(|_| ()).ok_or_else(|| "not on PATH".to_owned()),
            Self::PythonSecurid => python_securid_located()
                .as_ref()
                .map(|_| ())
                .map_err(Clone::clone),
            Self::Slapd => slapd::Slapd::locate().map(|_| ()),
            Self::Openssl => stoken::find_on_path("openssl")
                .map(|_| ())
                .ok_or_else(|| "not on PATH".to_owned()),
        }
    }
}

/// `stoken` from `PATH`, or `None`.
pub fn stoken() -> Option<Stoken> {
    Stoken::locate()
}

/// python-securid through `$TOKENDIST_PYTHON` or `python3`, or `None` (see
/// [`python_securid::PythonSecurid::locate`]). Looked up once per test binary.
pub fn python_securid() -> Option<PythonSecurid> {
    python_securid_located().as_ref().ok().cloned()
}

fn python_securid_located() -> &'static Result<PythonSecurid, String> {
    static LOCATED: OnceLock<Result<PythonSecurid, String>> = OnceLock::new();
    LOCATED.get_or_init(PythonSecurid::locate)
}

/// What a test does about a referee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Run,
    /// Skip, printing this line.
    Skip(String),
    /// Fail, with this message.
    Fail(String),
}

/// The pure rule behind [`require_or_skip`]: `availability` is `Err(reason)` when the referee
/// is missing; `require` is whether `TOKENDIST_REQUIRE_INTEROP=1`.
pub fn decide(referee: Referee, availability: Result<(), String>, require: bool) -> Decision {
    match availability {
        Ok(()) => Decision::Run,
        Err(reason) if require => Decision::Fail(format!(
            "{} is required ({REQUIRE_ENV}=1) but not installed: {reason}",
            referee.name()
        )),
        Err(reason) => Decision::Skip(format!(
            "SKIPPED: {} not installed ({reason}); set {REQUIRE_ENV}=1 to make this a failure",
            referee.name()
        )),
    }
}

/// True when `TOKENDIST_REQUIRE_INTEROP` is `1`.
pub fn interop_required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|value| value.trim() == "1")
}

/// True when `referee` is usable. Otherwise prints a `SKIPPED:` line naming the test and
/// returns false, or panics when `TOKENDIST_REQUIRE_INTEROP=1`.
///
/// The line goes straight to the process's stderr: the test harness captures `println!` and
/// `eprintln!` of passing tests, and a skip must be visible in a plain `cargo test`.
pub fn require_or_skip(referee: Referee) -> bool {
    let availability = referee.availability();
    let reason = availability.clone().err().unwrap_or_default();
    match decide(referee, availability, interop_required()) {
        Decision::Run => true,
        Decision::Skip(line) => {
            let test = std::thread::current().name().unwrap_or("?").to_owned();
            let _ = writeln!(std::io::stderr().lock(), "{line} [test {test}]");
            record_skip(referee, reason);
            false
        }
        Decision::Fail(message) => panic!("{message}"),
    }
}

/// Skips so far in this test binary: (referee, why it is missing), one entry per skipped test.
static SKIPS: Mutex<Vec<(Referee, String)>> = Mutex::new(Vec::new());

fn record_skip(referee: Referee, reason: String) {
    static AT_EXIT: Once = Once::new();
    if let Ok(mut skips) = SKIPS.lock() {
        skips.push((referee, reason));
    }
    // libtest has no hook after the last test; the C library's exit handlers run once it
    // returns from main (or calls `exit` after failures), after its `test result:` line.
    AT_EXIT.call_once(|| {
        unsafe extern "C" {
            fn atexit(callback: extern "C" fn()) -> std::os::raw::c_int;
        }
        // SAFETY: registers a plain function with no arguments; it only reads a static.
        unsafe { atexit(print_skip_summary) };
    });
}

extern "C" fn print_skip_summary() {
    // Must not panic (it would abort across the C boundary): no unwraps here.
    let Ok(skips) = SKIPS.lock() else { return };
    if let Some(line) = skip_summary(&skips) {
        let _ = writeln!(std::io::stderr().lock(), "\n{line}");
    }
}

/// The one line printed at exit: how many tests skipped, per referee with its reason. `None`
/// when nothing was skipped.
pub fn skip_summary(skips: &[(Referee, String)]) -> Option<String> {
    if skips.is_empty() {
        return None;
    }
    let mut per_referee: Vec<(Referee, usize, &str)> = Vec::new();
    for (referee, reason) in skips {
        match per_referee.iter_mut().find(|(seen, _, _)| seen == referee) {
            Some((_, count, _)) => *count += 1,
            None => per_referee.push((*referee, 1, reason)),
        }
    }
    let details: Vec<String> = per_referee
        .iter()
        .map(|(referee, count, reason)| format!("{} {count} ({reason})", referee.name()))
        .collect();
    let total = skips.len();
    let tests = if total == 1 { "test" } else { "tests" };
    Some(format!(
        "INTEROP SKIPPED: {total} {tests} did not run against a referee: {}; install the referees (bash .ci/run does) or set {REQUIRE_ENV}=1 to make this a failure",
        details.join(", ")
    ))
}
