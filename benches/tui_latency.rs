//! Keystroke-to-frame latency of the wizard on large inventories: the real binary in a
//! pseudo-terminal (portable-pty), its output parsed as a screen (vt100), on generated
//! workspaces of 100,000 (and, on request, 1,000,000) tokens.
//!
//! Measured per keystroke, from writing the key to the pty to the moment the parsed screen
//! shows its final answer (the reader thread checks after every chunk of output, so there is
//! no polling delay):
//! - startup: program start to the first wizard panel (passphrase read, inventory decrypted);
//! - typing: a serial range typed into the selection step, one key at a time, until the field
//!   shows the key and the count is final (not "counting…");
//! - glob: a user glob typed the same way (many exclusions: half the tokens were distributed);
//! - pasting: the same range pasted (bracketed when the program asked for it, as a terminal
//!   does; key by key otherwise), until the count is final;
//! - tokens open: F4 until the Tokens browser lists the inventory;
//! - scrolling: Down in the Tokens browser until the cursor row moved;
//! - filtering: a filter typed into the Tokens browser until the list is final.
//!
//! Run: `cargo bench --bench tui_latency` (100k). `TUI_BENCH_SIZES=100000,1000000` adds 1M.
//! `TUI_BENCH_BASELINE=/path/to/older/tokendist` measures that binary too, interleaved with
//! this one in the same run (the machine is noisy: compare within one run).

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use tokendist::secret::{SecretString, Seed};
use tokendist::token::{Digits, Interval, KeySize, PinMode, Serial};
use tokendist::workspace::{AssignedUser, Distribution, InventoryToken, KdfParams, Workspace};

const ROWS: u16 = 24;
const COLS: u16 = 80;
const FIRST_SERIAL: u64 = 100_000_000;
const PASSPHRASE: &str = "benchmark passphrase";
const TIMEOUT: Duration = Duration::from_secs(120);

fn main() {
    let sizes: Vec<usize> = std::env::var("TUI_BENCH_SIZES")
        .unwrap_or_else(|_| "100000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let mut binaries = vec![(
        "this build".to_owned(),
        PathBuf::from(env!("CARGO_BIN_EXE_tokendist")),
    )];
    if let Ok(baseline) = std::env::var("TUI_BENCH_BASELINE") {
        binaries.insert(0, ("baseline".to_owned(), PathBuf::from(baseline)));
    }
    let rounds: usize = std::env::var("TUI_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(2);
    println!(
        "tui latency benchmark: {ROWS}x{COLS} pty, {} core(s), load: {}",
        std::thread::available_parallelism().map_or(1, usize::from),
        load()
    );
    for size in sizes {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let workspace = generate(dir.path(), size);
        println!(
            "\n{size} tokens (half distributed before), generated in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let mut results: Vec<(String, Results)> = binaries
            .iter()
            .map(|(name, _)| (name.clone(), Results::default()))
            .collect();
        // Interleaved rounds, so both binaries see the same machine.
        for _ in 0..rounds {
            for ((_, binary), (_, results)) in binaries.iter().zip(results.iter_mut()) {
                run_round(binary, &workspace, dir.path(), size, results);
            }
        }
        for (name, results) in &results {
            println!("  {name}:");
            results.print();
        }
        println!("  load after: {}", load());
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// A workspace of `size` tokens: all assigned, every other one distributed before.
fn generate(dir: &Path, size: usize) -> PathBuf {
    let root = dir.join("ws");
    let passphrase = SecretString::from(PASSPHRASE);
    let mut workspace =
        Workspace::init_with_kdf(&root, &passphrase, KdfParams::INSECURE_FOR_TESTS).unwrap();
    let at = time::OffsetDateTime::now_utc();
    let tokens: Vec<InventoryToken> = (0..size)
        .map(|i| InventoryToken {
            serial: Serial::from_value(FIRST_SERIAL + i as u64).unwrap(),
            seed: Seed::random(),
            key_size: KeySize::Bits128,
            digits: Digits::EIGHT,
            interval: Interval::Seconds60,
            pin_mode: PinMode::from_flags(true, true),
            birth: time::macros::date!(2025 - 01 - 01),
            expires: time::macros::date!(2035 - 12 - 31),
            user: Some(AssignedUser {
                login: format!("user{i:07}"),
                first_name: format!("Given{i}"),
                last_name: format!("Family{i}"),
            }),
            distributions: if i % 2 == 1 {
                vec![Distribution {
                    job_id: "bench-earlier".into(),
                    job_name: "Earlier batch".into(),
                    at,
                }]
            } else {
                Vec::new()
            }
            .into(),
        })
        .collect();
    workspace
        .update_inventory(|inventory| {
            inventory.insert_new(tokens);
            Ok(())
        })
        .unwrap();
    drop(workspace);
    std::fs::write(dir.join("passphrase"), PASSPHRASE).unwrap();
    root
}

/// Latencies of one kind, in milliseconds.
#[derive(Default)]
struct Results {
    kinds: Vec<(&'static str, Vec<f64>)>,
}

impl Results {
    fn add(&mut self, kind: &'static str, latency: Duration) {
        let ms = latency.as_secs_f64() * 1000.0;
        match self.kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, values)) => values.push(ms),
            None => self.kinds.push((kind, vec![ms])),
        }
    }

    fn print(&self) {
        for (kind, values) in &self.kinds {
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let pick = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
            println!(
                "    {kind:<14} n={:<4} p50 {:>8.1} ms   p99 {:>8.1} ms   max {:>8.1} ms",
                sorted.len(),
                pick(0.5),
                pick(0.99),
                sorted[sorted.len() - 1]
            );
        }
    }
}

/// The program in a pty; a reader thread feeds the screen parser and wakes waiters.
struct Pty {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    _master: Box<dyn MasterPty + Send>,
    shared: Arc<(Mutex<Screen>, Condvar)>,
}

struct Screen {
    parser: vt100::Parser,
    bracketed_paste: bool,
    closed: bool,
}

impl Pty {
    fn start(binary: &Path, workspace: &Path, dir: &Path) -> Pty {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut command = CommandBuilder::new(binary);
        command.args([
            "--workspace".as_ref(),
            workspace.as_os_str(),
            "--passphrase-file".as_ref(),
            dir.join("passphrase").as_os_str(),
        ]);
        command.cwd(dir);
        command.env("TERM", "xterm-256color");
        command.env("NO_COLOR", "1");
        command.env_remove("TOKENDIST_HOME");
        command.env_remove("TOKENDIST_PASSPHRASE_FILE");
        let child = pty.slave.spawn_command(command).unwrap();
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let writer = pty.master.take_writer().unwrap();
        let shared = Arc::new((
            Mutex::new(Screen {
                parser: vt100::Parser::new(ROWS, COLS, 0),
                bracketed_paste: false,
                closed: false,
            }),
            Condvar::new(),
        ));
        let feed = Arc::clone(&shared);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 65536];
            loop {
                let n = reader.read(&mut buffer).unwrap_or(0);
                let (lock, wake) = &*feed;
                let mut screen = lock.lock().unwrap();
                if n == 0 {
                    screen.closed = true;
                    wake.notify_all();
                    return;
                }
                let chunk = &buffer[..n];
                if chunk.windows(8).any(|w| w == b"\x1b[?2004h") {
                    screen.bracketed_paste = true;
                }
                screen.parser.process(chunk);
                wake.notify_all();
            }
        });
        Pty {
            child,
            writer,
            _master: pty.master,
            shared,
        }
    }

    fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Waits until `done` holds for the screen's text; the time it took from `since`.
    fn until(&self, since: Instant, what: &str, done: impl Fn(&str) -> bool) -> Duration {
        let (lock, wake) = &*self.shared;
        let mut screen = lock.lock().unwrap();
        loop {
            let text = screen.parser.screen().contents();
            if done(&text) {
                return since.elapsed();
            }
            assert!(
                !screen.closed && since.elapsed() < TIMEOUT,
                "waited for {what}; the screen shows:\n{text}"
            );
            screen = wake
                .wait_timeout(screen, Duration::from_millis(50))
                .unwrap()
                .0;
        }
    }

    /// Sends keys and waits for `done`; the keystroke-to-frame latency.
    fn key(&mut self, keys: &str, what: &str, done: impl Fn(&str) -> bool) -> Duration {
        let sent = Instant::now();
        self.send(keys);
        self.until(sent, what, done)
    }

    fn bracketed_paste(&self) -> bool {
        self.shared.0.lock().unwrap().bracketed_paste
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The field labelled `label` holds exactly `value`.
fn field_shows(text: &str, label: &str, value: &str) -> bool {
    text.lines().any(|line| {
        line.find(label)
            .is_some_and(|at| line[at + label.len()..].trim_matches([' ', '│']) == value)
    })
}

/// The count line is final: a count (or, for criteria that do not parse, the reason there is
/// none) shows and nothing is being counted.
fn counted(text: &str) -> bool {
    (text.contains("tokens match") || text.contains("no count:"))
        && !text.to_lowercase().contains("counting…")
}

fn run_round(binary: &Path, workspace: &Path, dir: &Path, size: usize, results: &mut Results) {
    let started = Instant::now();
    let mut pty = Pty::start(binary, workspace, dir);
    results.add(
        "startup",
        pty.until(started, "the first panel", |t| t.contains("Step 1 of 8")),
    );
    // Defaults up to the password, then the password twice, to the selection step.
    for (keys, then) in [
        ("\r", "Step 2 of 8"),
        ("\r", "Step 3 of 8"),
        ("\r", "Step 4 of 8"),
        ("\r", "Step 5 of 8"),
        ("\r", "Step 6 of 8"),
        ("Bench123\tBench123\r", "Step 7 of 8"),
    ] {
        pty.key(keys, then, |t| t.contains(then));
    }
    pty.until(Instant::now(), "the first count", counted);

    // Typing a range of 50,000 serials (the field shows the text typed so far).
    let range = format!("{FIRST_SERIAL}-{}", FIRST_SERIAL + 49_999);
    for end in 1..=range.len() {
        let typed = &range[..end];
        let latency = pty.key(&range[end - 1..end], "the typed range", |t| {
            field_shows(t, "Serial ranges", typed) && counted(t)
        });
        results.add("typing", latency);
    }
    // Every other token was distributed before: half the range is left.
    let expected = "25000 tokens match".to_owned();
    pty.until(Instant::now(), "the range's count", |t| {
        t.contains(&expected)
    });
    pty.key("\x15", "the cleared range", |t| {
        field_shows(t, "Serial ranges", "") && counted(t)
    });

    // Pasting the same range.
    for _ in 0..3 {
        let keys = if pty.bracketed_paste() {
            format!("\x1b[200~{range}\x1b[201~")
        } else {
            range.clone()
        };
        let latency = pty.key(&keys, "the pasted range", |t| {
            field_shows(t, "Serial ranges", &range) && t.contains(&expected) && counted(t)
        });
        results.add("pasting", latency);
        pty.key("\x15", "the cleared range", |t| {
            field_shows(t, "Serial ranges", "") && counted(t)
        });
    }

    // A user glob: most keystrokes change the match set over the whole inventory.
    pty.key("\t", "the user field", |t| t.contains("User filter"));
    let glob = "user00*1";
    for end in 1..=glob.len() {
        let typed = &glob[..end];
        let latency = pty.key(&glob[end - 1..end], "the typed glob", |t| {
            field_shows(t, "User filter", typed) && counted(t)
        });
        results.add("glob", latency);
    }

    // The Tokens browser: open, scroll, filter.
    let total = format!("of {size} tokens shown");
    let latency = pty.key("\x1bOS", "the Tokens browser", |t| t.contains(&total));
    results.add("tokens open", latency);
    for row in 1..=60u64 {
        let serial = format!("> {:012}", FIRST_SERIAL + row);
        let latency = pty.key("\x1b[B", "the next row", |t| t.contains(&serial));
        results.add("scrolling", latency);
    }
    pty.key("/", "the filter", |t| t.contains("Filter"));
    let needle = "user00012";
    for end in 1..=needle.len() {
        let typed = &needle[..end];
        let latency = pty.key(&needle[end - 1..end], "the filtered list", |t| {
            field_shows(t, "Filter (/)", typed) && t.contains(&total) && !t.contains("filtering")
        });
        results.add("filtering", latency);
    }
}
