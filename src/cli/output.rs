//! The command line's one way to standard output (and standard error).
//!
//! Every line the CLI prints goes through [`stdout`] (or the `outln!`/`out!` macros). A reader
//! that went away — a closed pipe, as in `tokendist jobs list | head -1` — is not a failure of
//! the command: the rest of the output is dropped and the command finishes its work and exits
//! with that work's status, so a script never sees a failure for a job that was done. Any other
//! write error (a full disk behind a redirection) is remembered and reported once, by
//! [`finish`], which makes the exit status 1 when the work itself succeeded.
//!
//! `println!` would panic (exit status 101) on the first failed write, possibly after the work
//! was done, which is why the CLI does not use it.

pub use crate::text::{printable, printable_text};
use std::io::{self, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output cannot take more (closed pipe or another write error).
static STOPPED: AtomicBool = AtomicBool::new(false);
/// The first write error that was not a closed pipe, reported by [`finish`].
static FAILURE: Mutex<Option<io::Error>> = Mutex::new(None);

/// Writes `text` to standard output (see the module documentation for failures).
#[macro_export]
#[doc(hidden)]
macro_rules! cli_out {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::write!($crate::cli::output::stdout(), $($arg)*);
    }};
}

/// Writes a line to standard output (see the module documentation for failures).
#[macro_export]
#[doc(hidden)]
macro_rules! cli_outln {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!($crate::cli::output::stdout(), $($arg)*);
    }};
}

/// Writes to standard error, ignoring failures (there is nowhere left to report them).
#[macro_export]
#[doc(hidden)]
macro_rules! cli_err {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::write!(::std::io::stderr(), $($arg)*);
    }};
}

/// Writes a line to standard error, ignoring failures.
#[macro_export]
#[doc(hidden)]
macro_rules! cli_errln {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stderr(), $($arg)*);
    }};
}

/// Standard output that never fails: a closed reader or a write error stops the output (see
/// the module documentation) instead of failing the command or panicking.
pub struct Stdout {
    inner: io::StdoutLock<'static>,
}

/// The CLI's standard output; holds the lock while it lives.
pub fn stdout() -> Stdout {
    Stdout {
        inner: io::stdout().lock(),
    }
}

/// True once standard output has stopped taking output; long listings stop producing it.
pub fn stopped() -> bool {
    STOPPED.load(Ordering::Relaxed)
}

fn absorb(error: io::Error) {
    if !STOPPED.swap(true, Ordering::Relaxed) && error.kind() != io::ErrorKind::BrokenPipe {
        let mut failure = FAILURE
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        failure.get_or_insert(error);
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if stopped() {
            return Ok(buf.len());
        }
        loop {
            match self.inner.write(buf) {
                Ok(written) => return Ok(written),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => {
                    absorb(error);
                    return Ok(buf.len());
                }
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if stopped() {
            return Ok(());
        }
        if let Err(error) = self.inner.flush() {
            absorb(error);
        }
        Ok(())
    }
}

/// Flushes standard output and turns the command's result into the exit status: the result's
/// own status, or 1 when it succeeded but its output could not be written (a closed pipe is
/// not such a failure).
pub fn finish(result: Result<(), super::CliError>) -> i32 {
    let _ = stdout().flush();
    let failure = FAILURE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    match (result, failure) {
        // The command printed its own outcome and chose its exit status (`check`).
        (Err(super::CliError::Status(code)), _) => code,
        (Err(error), _) => {
            // Messages quote file content (names, element text): escaped like all such text
            // (a multi-line message, such as the list of a CSV's bad rows, keeps its lines).
            cli_errln!("tokendist: {}", printable_text(&error.to_string(), true));
            error.exit_code()
        }
        (Ok(()), Some(failure)) => {
            cli_errln!("tokendist: cannot write to standard output: {failure}");
            1
        }
        (Ok(()), None) => 0,
    }
}
