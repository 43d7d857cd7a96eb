//! Runs an external tool the safe way for tests: stdin closed (or fed a fixed input and then
//! closed), a hard timeout after which the child is killed, and bounded output capture.
//!
//! All three guards matter with `stoken`: on a wrong or missing password it prompts again and
//! again, even with stdin at EOF, and writes each prompt to stdout — unbounded output in a loop.

use std::fmt;
use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Default time limit for one referee call; generous, a call normally takes milliseconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// Most bytes kept from each of stdout and stderr; the child is killed when it writes more.
pub const MAX_CAPTURE_BYTES: usize = 4 * 1024 * 1024;

/// What a finished child left behind.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// True when the child exited with status 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }
}

/// Why a child did not produce a normal [`Output`].
#[derive(Debug)]
pub enum RunError {
    /// The program could not be started (not found, not executable...).
    Spawn {
        program: String,
        error: std::io::Error,
    },
    /// The child ran longer than allowed and was killed.
    TimedOut {
        program: String,
        after: Duration,
        stdout: String,
        stderr: String,
    },
    /// The child wrote more than [`MAX_CAPTURE_BYTES`] to one stream and was killed.
    TooMuchOutput { program: String },
    /// Talking to the child failed (stdin write, wait).
    Io {
        program: String,
        error: std::io::Error,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Spawn { program, error } => write!(f, "cannot start {program}: {error}"),
            Self::TimedOut {
                program,
                after,
                stdout,
                stderr,
            } => write!(
                f,
                "{program} did not finish within {after:?} and was killed \
                 (stdout so far: {:?}, stderr so far: {:?})",
                excerpt(stdout),
                excerpt(stderr)
            ),
            Self::TooMuchOutput { program } => {
                write!(
                    f,
                    "{program} wrote more than {MAX_CAPTURE_BYTES} bytes and was killed"
                )
            }
            Self::Io { program, error } => write!(f, "talking to {program} failed: {error}"),
        }
    }
}

impl std::error::Error for RunError {}

fn excerpt(text: &str) -> String {
    text.chars().take(300).collect()
}

/// Runs `command` with stdin closed and the [`DEFAULT_TIMEOUT`].
pub fn run(command: Command) -> Result<Output, RunError> {
    run_with(command, None, DEFAULT_TIMEOUT)
}

/// Runs `command`, writes `input` (if any) to its stdin and closes it, and waits at most
/// `timeout`. Without `input` the child's stdin is `/dev/null`, so a prompt reads EOF at once.
pub fn run_with(
    mut command: Command,
    input: Option<&[u8]>,
    timeout: Duration,
) -> Result<Output, RunError> {
    let program = command.get_program().to_string_lossy().into_owned();
    command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|error| RunError::Spawn {
        program: program.clone(),
        error,
    })?;

    let overflow = Arc::new(AtomicBool::new(false));
    let stdout = child
        .stdout
        .take()
        .map(|s| capture(s, Arc::clone(&overflow)));
    let stderr = child
        .stderr
        .take()
        .map(|s| capture(s, Arc::clone(&overflow)));
    // Fed from a thread so that a child which never reads cannot block us past the timeout.
    let feeder = input.map(|input| {
        let mut stdin = child.stdin.take().expect("stdin was requested as a pipe");
        let input = input.to_vec();
        thread::spawn(move || stdin.write_all(&input))
    });

    let waited = wait_until(&mut child, Instant::now() + timeout, &overflow);
    let stdout = stdout.map(join_capture).unwrap_or_default();
    let stderr = stderr.map(join_capture).unwrap_or_default();
    if let Some(Ok(Err(error))) = feeder.map(|feeder| feeder.join()) {
        // A child that exits without reading all of its input closes the pipe: not our error.
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(RunError::Io { program, error });
        }
    }
    if overflow.load(Ordering::Relaxed) {
        return Err(RunError::TooMuchOutput { program });
    }
    let status = match waited {
        Ok(Some(status)) => status,
        Ok(None) => {
            return Err(RunError::TimedOut {
                program,
                after: timeout,
                stdout,
                stderr,
            });
        }
        Err(error) => return Err(RunError::Io { program, error }),
    };
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Polls the child until it exits, `deadline` passes or it has written too much; in the last two
/// cases it is killed and reaped and `None` is returned.
fn wait_until(
    child: &mut Child,
    deadline: Instant,
    overflow: &AtomicBool,
) -> std::io::Result<Option<ExitStatus>> {
    // Referee calls take a few milliseconds and a test makes thousands: poll often at first.
    let mut pause = Duration::from_micros(250);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline || overflow.load(Ordering::Relaxed) {
            kill(child);
            return Ok(None);
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(5));
    }
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Reads a stream to its end on a thread, keeping at most [`MAX_CAPTURE_BYTES`].
///
/// Past the cap it raises `overflow` (the waiting loop then kills the child) and keeps reading,
/// dropping the rest, so that the child never blocks on a full pipe.
fn capture(
    mut stream: impl Read + Send + 'static,
    overflow: Arc<AtomicBool>,
) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buffer = [0u8; 8192];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = MAX_CAPTURE_BYTES - kept.len();
                    kept.extend_from_slice(&buffer[..n.min(room)]);
                    if n > room {
                        overflow.store(true, Ordering::Relaxed);
                    }
                }
            }
        }
        String::from_utf8_lossy(&kept).into_owned()
    })
}

fn join_capture(handle: thread::JoinHandle<String>) -> String {
    handle.join().unwrap_or_default()
}
