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
//! - filtering: a filter typed into the Tokens browser until the list is final (and "filter
//!   echo": until the typed character shows, with "filtering…" or the list; likewise "glob
//!   echo" for the user glob);
//! - review open: Enter on the selection step (all tokens, half excluded) until the review
//!   step is on screen (its "preparing" state counts), and review ready until the summary
//!   shows; review back: Esc until the selection step is back.
//! - keys while a job's end is recorded ("recording keys"): on a copy of the workspace, a job
//!   of 100 tokens is submitted; from the moment its panel shows until the header no longer
//!   marks a job ("● job N%" or "● recording": the run, then the recording of its end — the
//!   inventory saved whole and indexed again), `2` and `1` switch between the Jobs view and
//!   the job's panel, each key timed until its screen shows. "recording span" is how long
//!   that lasted (submit to the end recorded); the keys are the point. "submit key" is the
//!   key that starts the job (Enter, or `y` to the warning's question) until the screen
//!   answers (its "Starting the job…" phase or its panel).
//! - the start of a big job ("start" scenario): on a copy of the workspace, every serial is
//!   selected (half the inventory distributed before: at 1M, 500,000 tokens excluded, each
//!   written to the job's sealed exclusion list when it starts); "big submit key" is the key
//!   that starts it (Enter, or `y`) until the screen answers (its "Starting the job…" phase
//!   or its panel), "big start span" until the job's panel shows; then `c` cancels the job.
//! - keys while a download is written ("download keys"): on a copy of the workspace, a job of
//!   every selectable token (half the inventory) is submitted and recorded, then Jobs ›
//!   Download Output File to the default path; `?` is sent right after the Enter that starts
//!   the download ("download 1st key": until the help shows), then `Esc` and `?` alternate,
//!   each timed, while the header marks the download ("● download N%"). "download span" is
//!   Enter to the download's end (the mark gone; for a program that writes the ZIP on the UI
//!   thread, the first key's answer, which waited for it).
//! - keys while a tool changes the inventory ("tool" scenario): on a copy of the workspace,
//!   Tools › Retire tokens removes one token (the inventory saved whole on the tool's
//!   worker, "tool span" from the confirming `y` to the result); then Enter back to the
//!   tools ("tool back") and `3` into the Tokens browser while the changed inventory is
//!   indexed ("tokens after tool": until the browser shows anything, "indexing…" or rows);
//!   while it says "indexing…", a filter character typed and erased, each timed until the
//!   field shows it ("indexing keys"); "index span" is the tool's result to the rows shown.
//!
//! Run: `cargo bench --bench tui_latency` (100k). `TUI_BENCH_SIZES=100000,1000000` adds 1M.
//! `TUI_BENCH_BASELINE=/path/to/older/tokendist` measures that binary too, interleaved with
//! this one in the same run (the machine is noisy: compare within one run);
//! `TUI_BENCH_BASELINE_ENV=NAME=VALUE,…` sets environment variables for the baseline only
//! (e.g. this build again as the baseline with `RAYON_NUM_THREADS=2`, to compare a setting).
//! `TUI_BENCH_VERBOSE=1` also prints every sample in the order taken.
//! `TUI_BENCH_ONLY=recording`, `start`, `download` or `tool` runs only that scenario (with startup).
//!
//! The workspaces are written through the library (no import), once: they are kept under
//! Cargo's target temporary directory and reused by later runs (`TUI_BENCH_FRESH=1` writes
//! them again). A run never changes them: the wizard only reads until a job is submitted, and
//! the recording, download and tool scenarios change a copy.

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
    let mut binaries = vec![Binary {
        name: "this build".to_owned(),
        path: PathBuf::from(env!("CARGO_BIN_EXE_tokendist")),
        env: Vec::new(),
    }];
    if let Ok(baseline) = std::env::var("TUI_BENCH_BASELINE") {
        let env = std::env::var("TUI_BENCH_BASELINE_ENV")
            .unwrap_or_default()
            .split(',')
            .filter_map(|pair| pair.split_once('='))
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
            .collect();
        binaries.insert(
            0,
            Binary {
                name: "baseline".to_owned(),
                path: PathBuf::from(baseline),
                env,
            },
        );
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
        let (dir, workspace, generated) = cached(size);
        println!(
            "\n{size} tokens (half distributed before), {generated}; load: {}",
            load()
        );
        if std::env::var_os("TUI_BENCH_NO_BREAKDOWN").is_none() {
            breakdown(&workspace);
        }
        let mut results: Vec<(String, Results)> = binaries
            .iter()
            .map(|binary| (binary.name.clone(), Results::default()))
            .collect();
        // Interleaved rounds, so both binaries see the same machine.
        for _ in 0..rounds {
            let only = std::env::var("TUI_BENCH_ONLY").unwrap_or_default();
            for (binary, (_, results)) in binaries.iter().zip(results.iter_mut()) {
                if only.is_empty() {
                    run_round(binary, &workspace, &dir, size, results);
                }
                if only.is_empty() || only == "recording" {
                    recording_round(binary, &workspace, &dir, results);
                }
                if only.is_empty() || only == "start" {
                    start_round(binary, &workspace, &dir, size, results);
                }
                if only.is_empty() || only == "download" {
                    download_round(binary, &workspace, &dir, size, results);
                }
                if only.is_empty() || only == "tool" {
                    tool_round(binary, &workspace, &dir, results);
                }
            }
        }
        for (name, results) in &results {
            println!("  {name}:");
            results.print();
        }
        println!("  load after: {}", load());
    }
}

/// A program measured, with the environment variables it gets on top of the bench's own.
struct Binary {
    name: String,
    path: PathBuf,
    env: Vec<(String, String)>,
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Where the time of the slow steps goes, measured in this process with the library (no
/// terminal, no drawing): opening the workspace, building the selection index, the Tokens
/// filter for each prefix of the typed needle, a glob count, and preparing the review of
/// every token (what the review worker runs).
fn breakdown(dir: &Path) {
    use tokendist::jobs::index::InventoryIndex;
    use tokendist::jobs::{
        self, Binding, JobSpec, Protection, SelectionContext, SelectionCriteria,
    };
    let ms = |since: Instant| since.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let workspace = Workspace::open(dir, &SecretString::from(PASSPHRASE)).unwrap();
    let open = ms(started);
    let started = Instant::now();
    let index = InventoryIndex::build(workspace.inventory().iter());
    let build = ms(started);
    println!("  in process: open {open:.0} ms (cheap key derivation), index {build:.0} ms");
    let needle = "user00012";
    let filters: Vec<String> = (1..=needle.len())
        .map(|end| {
            let started = Instant::now();
            let found = index.filter(&needle[..end]).len();
            format!("{}→{found} {:.1}", &needle[..end], ms(started))
        })
        .collect();
    println!("  in process: filter ms {}", filters.join(", "));
    let config = workspace.config().clone();
    let profile = config.profiles[0].clone();
    let context = SelectionContext {
        profile: &profile,
        protection: Protection::None,
        password: None,
        origin: &config.header.origin,
        today: time::OffsetDateTime::now_utc().date(),
    };
    let criteria = SelectionCriteria::default();
    let started = Instant::now();
    let reasons = index.reasons(&criteria, &context);
    let reasons_ms = ms(started);
    let globs: Vec<String> = ["user00*1", "*00012*", "?ser*1"]
        .iter()
        .map(|glob| {
            let criteria = SelectionCriteria {
                user_glob: Some((*glob).to_owned()),
                ..SelectionCriteria::default()
            };
            let started = Instant::now();
            let matched = index.select(&reasons, &criteria).unwrap().matched;
            format!("{glob}→{matched} {:.1}", ms(started))
        })
        .collect();
    println!(
        "  in process: reasons per context {reasons_ms:.0} ms; glob count ms {}",
        globs.join(", ")
    );
    let spec = JobSpec {
        name: "Breakdown".into(),
        profile: profile.name.clone(),
        binding: Binding::DeviceClass,
        nickname: None,
        protection: Protection::None,
        password: None,
        selection: criteria,
    };
    let started = Instant::now();
    let prepared = jobs::prepare_snapshot(
        &config,
        workspace.inventory(),
        std::iter::empty(),
        spec,
        context.today,
    );
    let prepare = ms(started);
    let tokens = prepared.map_or(0, |job| job.token_count());
    println!("  in process: review of every token prepared in {prepare:.0} ms ({tokens} tokens)");
}

/// Bumped when [`generate`] makes a different workspace, so an older cache is not reused.
const CACHE_VERSION: u32 = 1;

/// The workspace of `size` tokens under Cargo's target temporary directory, generated on the
/// first run only: (its directory, the workspace, how it was obtained).
fn cached(size: usize) -> (PathBuf, PathBuf, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tui-latency-{size}"));
    let ready = dir.join("ready");
    let stamp = format!("version {CACHE_VERSION}\n");
    let fresh = std::env::var_os("TUI_BENCH_FRESH").is_some();
    if !fresh && std::fs::read_to_string(&ready).is_ok_and(|s| s == stamp) {
        return (dir.clone(), dir.join("ws"), "cached workspace".into());
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    let started = Instant::now();
    let workspace = generate(&dir, size);
    // Written last: a run cut off while generating leaves no "ready", so the next starts over.
    std::fs::write(&ready, stamp).unwrap();
    let how = format!("generated in {:.1} s", started.elapsed().as_secs_f64());
    (dir, workspace, how)
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
            user: Some(AssignedUser::new(
                &format!("user{i:07}"),
                &format!("Given{i}"),
                &format!("Family{i}"),
            )),
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
            if std::env::var_os("TUI_BENCH_VERBOSE").is_some() {
                let each: Vec<String> = values.iter().map(|v| format!("{v:.1}")).collect();
                println!("      in order: {}", each.join(" "));
            }
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
    fn start(binary: &Binary, workspace: &Path, dir: &Path) -> Pty {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut command = CommandBuilder::new(&binary.path);
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
        for (name, value) in &binary.env {
            command.env(name, value);
        }
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

    /// The screen's text now.
    fn screen_text(&self) -> String {
        self.shared.0.lock().unwrap().parser.screen().contents()
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

fn run_round(binary: &Binary, workspace: &Path, dir: &Path, size: usize, results: &mut Results) {
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
        let sent = Instant::now();
        pty.send(&glob[end - 1..end]);
        let echo = pty.until(sent, "the typed glob", |t| {
            field_shows(t, "User filter", typed)
        });
        results.add("glob echo", echo);
        let latency = pty.until(sent, "the glob's count", |t| {
            field_shows(t, "User filter", typed) && counted(t)
        });
        results.add("glob", latency);
    }

    // The review of every token (half of them excluded as distributed before), and back.
    pty.key("\x15", "the cleared glob", |t| {
        field_shows(t, "User filter", "") && counted(t)
    });
    let all_selected = format!("{} tokens match", size / 2);
    pty.until(Instant::now(), "the count of all tokens", |t| {
        t.contains(&all_selected)
    });
    let sent = Instant::now();
    pty.send("\r");
    results.add(
        "review open",
        pty.until(sent, "the review step", |t| t.contains("Step 8 of 8")),
    );
    let will = format!("{} tokens will be distributed", size / 2);
    results.add(
        "review ready",
        pty.until(sent, "the review", |t| t.contains(&will)),
    );
    let latency = pty.key("\x1b", "back to the selection", |t| {
        t.contains("Step 7 of 8") && counted(t)
    });
    results.add("review back", latency);

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
        let sent = Instant::now();
        pty.send(&needle[end - 1..end]);
        let echo = pty.until(sent, "the typed filter", |t| {
            field_shows(t, "Filter (/)", typed)
        });
        results.add("filter echo", echo);
        let latency = pty.until(sent, "the filtered list", |t| {
            field_shows(t, "Filter (/)", typed) && t.contains(&total) && !t.contains("filtering")
        });
        results.add("filtering", latency);
    }
}

/// Keys while a job's end is recorded (see the module's doc), on a fresh copy of the
/// workspace (the job changes it).
fn recording_round(binary: &Binary, workspace: &Path, dir: &Path, results: &mut Results) {
    let copy = dir.join("recording-copy");
    if copy.exists() {
        std::fs::remove_dir_all(&copy).unwrap();
    }
    copy_dir(workspace, &copy);
    let started = Instant::now();
    let mut pty = Pty::start(binary, &copy, dir);
    results.add(
        "startup",
        pty.until(started, "the first panel", |t| t.contains("Step 1 of 8")),
    );
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
    // 200 serials, every other one distributed before: a job of 100 tokens, so the time is
    // the recording's (the inventory is saved whole whatever the job's size).
    let range = format!("{FIRST_SERIAL}-{}", FIRST_SERIAL + 199);
    pty.send(&range);
    pty.until(Instant::now(), "the range's count", |t| {
        t.contains("100 tokens match") && counted(t)
    });
    pty.key("\r", "the review", |t| {
        t.contains("100 tokens will be distributed")
    });
    let submitted = Instant::now();
    pty.send("\r");
    let panel = |t: &str| t.contains("┌ Job \"");
    let starting = |t: &str| t.contains("Starting the job");
    let first = pty.until(submitted, "the job's panel or a question", |t| {
        panel(t) || starting(t) || t.contains("y yes")
    });
    // The key that starts the job, until the screen answers ("submit key": its "Starting
    // the job…" phase or its panel).
    if pty.screen_text().contains("y yes") && !starting(&pty.screen_text()) {
        let confirmed = Instant::now();
        pty.send("y");
        let answered = pty.until(confirmed, "the start answered", |t| panel(t) || starting(t));
        results.add("submit key", answered);
    } else {
        results.add("submit key", first);
    }
    pty.until(submitted, "the job's panel", |t| panel(t) && !starting(t));
    // The header marks the job until its end is recorded ("● job N%", "● recording").
    let marked = |t: &str| t.lines().next().is_some_and(|header| header.contains('●'));
    let mut on_jobs = false;
    while marked(&pty.screen_text()) {
        let (keys, what): (&str, &str) = if on_jobs {
            ("1", "the job's panel")
        } else {
            ("2", "the Jobs view")
        };
        let latency = if on_jobs {
            pty.key(keys, what, panel)
        } else {
            pty.key(keys, what, |t| t.contains("In progress ("))
        };
        results.add("recording keys", latency);
        on_jobs = !on_jobs;
    }
    results.add("recording span", submitted.elapsed());
    drop(pty);
    std::fs::remove_dir_all(&copy).unwrap();
}

/// The start of a job that excludes half the inventory (see the module's doc), on a fresh copy
/// of the workspace (the job changes it).
fn start_round(binary: &Binary, workspace: &Path, dir: &Path, size: usize, results: &mut Results) {
    let copy = dir.join("start-copy");
    if copy.exists() {
        std::fs::remove_dir_all(&copy).unwrap();
    }
    copy_dir(workspace, &copy);
    let started = Instant::now();
    let mut pty = Pty::start(binary, &copy, dir);
    results.add(
        "startup",
        pty.until(started, "the first panel", |t| t.contains("Step 1 of 8")),
    );
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
    // Every serial: half were distributed before and are excluded.
    let range = format!("{FIRST_SERIAL}-{}", FIRST_SERIAL + size as u64 - 1);
    pty.send(&range);
    pty.until(Instant::now(), "the range's count", |t| {
        t.contains("tokens match") && counted(t)
    });
    pty.key("\r", "the review", |t| {
        t.contains("will be distributed") && !t.contains("preparing")
    });
    let panel = |t: &str| t.contains("┌ Job \"");
    let starting = |t: &str| t.contains("Starting the job");
    let mut submitted = Instant::now();
    pty.send("\r");
    pty.until(submitted, "the job's panel or a question", |t| {
        panel(t) || starting(t) || t.contains("y yes")
    });
    if pty.screen_text().contains("y yes") && !panel(&pty.screen_text()) {
        submitted = Instant::now();
        pty.send("y");
    }
    results.add(
        "big submit key",
        pty.until(submitted, "the start answered", |t| panel(t) || starting(t)),
    );
    pty.until(submitted, "the job's panel", |t| panel(t) && !starting(t));
    results.add("big start span", submitted.elapsed());
    pty.send("c");
    pty.until(Instant::now(), "the cancel's question", |t| {
        t.contains("y yes")
    });
    pty.send("y");
    let marked = |t: &str| t.lines().next().is_some_and(|header| header.contains('●'));
    pty.until(Instant::now(), "the job's end recorded", |t| {
        panel(t) && !marked(t)
    });
    drop(pty);
    std::fs::remove_dir_all(&copy).unwrap();
}

/// Keys while a tool changes the inventory (see the module's doc), on a fresh copy of the
/// workspace (the tool changes it).
fn tool_round(binary: &Binary, workspace: &Path, dir: &Path, results: &mut Results) {
    let copy = dir.join("tool-copy");
    if copy.exists() {
        std::fs::remove_dir_all(&copy).unwrap();
    }
    copy_dir(workspace, &copy);
    let started = Instant::now();
    let mut pty = Pty::start(binary, &copy, dir);
    results.add(
        "startup",
        pty.until(started, "the first panel", |t| t.contains("Step 1 of 8")),
    );
    // The startup's own index is built before the tool starts: only the tool's is measured.
    // F-keys: the first panel's text field takes digits.
    pty.key("\x1b[14~", "the browser", |t| t.contains("tokens shown"));
    pty.key("\x1b[15~", "the tools", |t| {
        t.contains("> Change the passphrase")
    });
    pty.key("\x1b[B", "Retire tokens", |t| t.contains("> Retire tokens"));
    pty.key("\r", "its form", |t| t.contains("Only expired"));
    let serial = FIRST_SERIAL.to_string();
    pty.send(&serial);
    pty.until(Instant::now(), "the serial typed", |t| t.contains(&serial));
    pty.key("\r", "the review", |t| {
        t.contains("1 token(s) will be removed")
    });
    pty.key("\r", "the question", |t| t.contains("y yes"));
    let confirmed = Instant::now();
    pty.send("y");
    let result = |t: &str| t.contains("token(s) removed;");
    pty.until(confirmed, "the tool's result", result);
    let done = Instant::now();
    results.add("tool span", confirmed.elapsed());
    results.add(
        "tool back",
        pty.key("\r", "the tools", |t| t.contains("Enter opens a tool")),
    );
    let indexing = |t: &str| t.contains("indexing the inventory…");
    let rows = |t: &str| t.contains("tokens shown");
    results.add(
        "tokens after tool",
        pty.key("3", "the browser", |t| indexing(t) || rows(t)),
    );
    if indexing(&pty.screen_text()) {
        pty.key("/", "the filter", |t| t.contains("Filter (/)"));
        let filter_is = |value: &'static str| {
            move |t: &str| {
                t.lines()
                    .nth(1)
                    .is_some_and(|l| l.trim_end().ends_with(value))
            }
        };
        while indexing(&pty.screen_text()) {
            results.add(
                "indexing keys",
                pty.key("9", "the typed character", filter_is("9")),
            );
            results.add(
                "indexing keys",
                pty.key("\x7f", "the character erased", filter_is("Filter (/)")),
            );
        }
    }
    pty.until(done, "the browser's rows", rows);
    results.add("index span", done.elapsed());
    drop(pty);
    std::fs::remove_dir_all(&copy).unwrap();
}

/// Keys while a download is written (see the module's doc), on a fresh copy of the
/// workspace (the job changes it); the ZIP goes to the default path in `dir` and is removed.
fn download_round(
    binary: &Binary,
    workspace: &Path,
    dir: &Path,
    size: usize,
    results: &mut Results,
) {
    let copy = dir.join("download-copy");
    if copy.exists() {
        std::fs::remove_dir_all(&copy).unwrap();
    }
    copy_dir(workspace, &copy);
    let started = Instant::now();
    let mut pty = Pty::start(binary, &copy, dir);
    results.add(
        "startup",
        pty.until(started, "the first panel", |t| t.contains("Step 1 of 8")),
    );
    // The job's name, so its default path is known: `./{job}.zip` in `dir`.
    pty.send("\x15bench download");
    pty.until(Instant::now(), "the name", |t| t.contains("bench download"));
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
    // Every serial: half were distributed before and are left out.
    let range = format!("{FIRST_SERIAL}-{}", FIRST_SERIAL + size as u64 - 1);
    pty.send(&range);
    pty.until(Instant::now(), "the range's count", |t| {
        t.contains("tokens match") && counted(t)
    });
    pty.key("\r", "the review", |t| t.contains("will be distributed"));
    pty.send("\r");
    let panel = |t: &str| t.contains("┌ Job \"");
    pty.until(Instant::now(), "the job's panel or a question", |t| {
        panel(t) || t.contains("y yes")
    });
    if pty.screen_text().contains("y yes") {
        pty.send("y");
        pty.until(Instant::now(), "the job's panel", panel);
    }
    let marked = |t: &str| t.lines().next().is_some_and(|header| header.contains('●'));
    pty.until(Instant::now(), "the job's end recorded", |t| {
        panel(t) && !marked(t) && t.contains("Enter")
    });
    pty.key("\r", "the job in Jobs", |t| t.contains("Completed ("));
    pty.key("\r", "the job's menu", |t| {
        t.contains("Download Output File")
    });
    pty.send("\x1b[B");
    pty.key("\r", "the download prompt", |t| t.contains("Save the ZIP"));
    let help = |t: &str| t.contains("(Esc closes)");
    let enter = Instant::now();
    pty.send("\r");
    results.add("download 1st key", pty.key("?", "the help", help));
    let mut span = None;
    let mut help_open = true;
    loop {
        if !marked(&pty.screen_text()) {
            span.get_or_insert(enter.elapsed());
            break;
        }
        let latency = if help_open {
            pty.key("\x1b", "the help closed", |t| !help(t))
        } else {
            pty.key("?", "the help", help)
        };
        results.add("download keys", latency);
        help_open = !help_open;
    }
    results.add("download span", span.unwrap_or_else(|| enter.elapsed()));
    drop(pty);
    std::fs::remove_dir_all(&copy).unwrap();
    let _ = std::fs::remove_file(dir.join("bench_download.zip"));
}

/// Copies a workspace directory (files and folders; nothing else is in one).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
