//! End to end: the real binary in a pseudo-terminal, read through a vt100 screen parser.
//!
//! 1. `--demo` on a temporary workspace with `NO_COLOR=1`: walk every wizard panel with keys,
//!    submit, wait for the job, download the ZIP from Jobs › Completed, quit; then every file
//!    in the ZIP decodes (our codec, with the job password) to the inventory's seed.
//! 2. A large job stopped with SIGHUP (and SIGTERM) while it runs: the terminal is restored
//!    (alternate screen left, cursor shown) and the job is cancelled and recorded so.
//! 3. `--demo` alone: no CPU used while idle, a resize redraws; a wrong passphrase fails before
//!    the full screen; without a terminal the wizard refuses to start.
//!
//! 4. A job's end recorded on a worker (made slow with the test build's `TOKENDIST_PAUSE_AT`):
//!    help, the Jobs and Tokens screens answer meanwhile while a download waits; quitting
//!    waits for the recording with a message; a failure to record is shown as it is and the
//!    next start settles the job as the message said.
//!
//!    The Tokens browser opened while the inventory is indexed (at start, after a tool
//!    changed it; made slow the same way) says so and fills itself when the index is ready.
//!
//! 5. "Download Output File" on a worker (made slow with `TOKENDIST_PAUSE_AT` at the download's
//!    write): help, hiding the dialog and the Tokens screen answer while the ZIP is written,
//!    and the download ends saved and recorded; Esc cancels it (nothing at the target, no
//!    temporary file, no note left in the history, the job downloadable again); quitting
//!    cancels it with a message.
//!
//!    A job's start on a worker (made slow the same way): the message closes, help and the
//!    Jobs view answer meanwhile, a second submit is refused in one line, and the job then
//!    runs; quitting while it starts waits for the start and cancels the job.
//!
//! 6. Workspace tools (F5): the passphrase changed in the full screen, then the workspace opens
//!    with the new one only (the library and the wizard itself); tokens assigned from a real
//!    OpenLDAP server (the slapd the directory tests start), the bind password typed masked;
//!    tokens retired after a review and a declined then given confirmation; a check listing
//!    what it found, scrolled to its end.
//!
//! The screen is polled until the expected text shows (generous timeouts); the only fixed
//! waits measure idle CPU and let the reader thread drain the last output.

use crate::jobs_common;

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokendist::jobs::{History, JobStatus};
use tokendist::secret::SecretString;
use tokendist::workspace::{Workspace, demo};

const ROWS: u16 = 24;
const COLS: u16 = 80;
const WAIT: Duration = Duration::from_secs(120);

const UP: &str = "\x1b[A";
const DOWN: &str = "\x1b[B";
const ENTER: &str = "\r";
const TAB: &str = "\t";
const CTRL_U: &str = "\x15";
const F4: &str = "\x1b[14~";
const F5: &str = "\x1b[15~";

/// The program running in a pseudo-terminal, its output parsed as a screen.
struct Session {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    master: Box<dyn MasterPty + Send>,
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
}

impl Session {
    fn start(args: &[&str], cwd: &Path, no_color: bool) -> Session {
        Self::start_with(args, cwd, no_color, &[])
    }

    /// As [`Session::start`], with environment variables (test hooks such as
    /// `TOKENDIST_PAUSE_AT`).
    fn start_with(args: &[&str], cwd: &Path, no_color: bool, env: &[(&str, &str)]) -> Session {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_tokendist"));
        command.args(args);
        command.cwd(cwd);
        command.env("TERM", "xterm-256color");
        command.env_remove("TOKENDIST_HOME");
        command.env_remove("TOKENDIST_PASSPHRASE_FILE");
        if no_color {
            command.env("NO_COLOR", "1");
        } else {
            command.env_remove("NO_COLOR");
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let child = pty.slave.spawn_command(command).expect("tokendist starts");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let writer = pty.master.take_writer().unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (screen_in, raw_in) = (Arc::clone(&screen), Arc::clone(&raw));
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                screen_in.lock().unwrap().process(&buffer[..n]);
                raw_in.lock().unwrap().extend_from_slice(&buffer[..n]);
            }
        });
        Session {
            child,
            writer,
            master: pty.master,
            screen,
            raw,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows `text`; fails with the screen when it does not.
    fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if self.contents().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "waited for {text:?}; the screen shows:\n{}",
            self.contents()
        );
    }

    /// Resizes the terminal (the program gets SIGWINCH) and the screen parser alike.
    fn resize(&mut self, rows: u16, cols: u16) {
        self.screen
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(rows, cols);
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }

    /// Waits until row `row` shows `text`.
    fn wait_for_row(&self, row: u16, text: &str) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            let line = self
                .screen
                .lock()
                .unwrap()
                .screen()
                .contents_between(row, 0, row, 200);
            if line.contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("row {row} never showed {text:?}:\n{}", self.contents());
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Waits until the screen no longer shows `text`.
    fn wait_gone(&self, text: &str) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if !self.contents().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "waited for {text:?} to go; the screen shows:\n{}",
            self.contents()
        );
    }

    /// Sends keys, then waits for the screen to show `text`.
    fn press(&mut self, keys: &str, then: &str) {
        self.send(keys);
        self.wait_for(then);
    }

    /// The row (0-based) whose text contains `text`, and whether its first cell is reversed.
    fn row_reversed(&self, text: &str) -> bool {
        let parser = self.screen.lock().unwrap();
        let screen = parser.screen();
        for row in 0..ROWS {
            let line = screen.contents_between(row, 0, row, COLS);
            if let Some(col) = line.find(text) {
                let col = line[..col].chars().count() as u16;
                return screen.cell(row, col).is_some_and(|cell| cell.inverse());
            }
        }
        panic!("no row shows {text:?}:\n{}", screen.contents());
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "tokendist did not exit:\n{}",
                self.contents()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything the program wrote after it last entered the alternate screen.
    fn output_after_last_enter(&self) -> Vec<u8> {
        // The reader thread may still be draining the pty.
        std::thread::sleep(Duration::from_millis(200));
        let raw = self.raw.lock().unwrap();
        let enter = b"\x1b[?1049h";
        let at = raw
            .windows(enter.len())
            .rposition(|w| w == enter)
            .expect("the alternate screen was entered");
        raw[at..].to_vec()
    }
}

/// User plus system CPU time of a process, in clock ticks (Linux `/proc`).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 2..].split(' ').collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn open_workspace(dir: &Path) -> Workspace {
    Workspace::open(dir, &SecretString::from(demo::DEMO_PASSPHRASE)).expect("the workspace opens")
}

#[test]
fn wizard_submit_download_and_the_files_decode_to_the_inventory_seeds() {
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    let zip_path = temp.path().join("out").join("pilot.zip");
    std::fs::create_dir_all(zip_path.parent().unwrap()).unwrap();
    let mut s = Session::start(
        &["--demo", "--workspace", workspace.to_str().unwrap()],
        temp.path(),
        true,
    );

    s.wait_for("Step 1 of 8: Job name");
    s.send(CTRL_U);
    s.press("qa pilot", "qa pilot");
    s.press(ENTER, "Step 2 of 8");
    // The highlighted profile is visible without colour: reverse video and a marker.
    assert!(s.contents().contains("> "));
    s.press(DOWN, "Step 2 of 8");
    s.press(UP, "Step 2 of 8");
    s.press(ENTER, "Step 3 of 8: DeviceSerialNumber");
    s.wait_for("In effect: device class");
    s.press(ENTER, "Step 4 of 8: Nickname");
    s.press("Pilot", "Pilot");
    s.press(ENTER, "Step 5 of 8: Password protection");
    assert!(
        s.row_reversed("> Password"),
        "focused option not reversed:\n{}",
        s.contents()
    );
    s.press(ENTER, "Step 6 of 8: Password");
    s.send("Pilot-2026");
    s.press(TAB, "confirmation not typed yet");
    s.send("Pilot-2026");
    s.wait_for("the two entries match");
    assert!(
        !s.contents().contains("Pilot-2026"),
        "the password reached the screen"
    );
    s.press(ENTER, "Step 7 of 8: Token selection");
    s.press("500000001-500000020", "500000001-500000020");
    s.wait_for("tokens match");
    s.press(ENTER, "Step 8 of 8: Review");
    s.wait_for("Submit Job");
    s.press(ENTER, "Completed");
    // The demo's own "Pilot rollout" job is the other completed one.
    s.press(ENTER, "Completed (2)");
    s.press(ENTER, "Download Output File");
    s.press(DOWN, "Download Output File");
    s.press(ENTER, "Save the ZIP");
    s.send(CTRL_U);
    s.press(zip_path.to_str().unwrap(), "pilot.zip");
    s.press(ENTER, "Output ZIP saved");
    s.wait_for("SHA-256");
    // Esc alone: wait for the dialog to close before the next key, or the terminal would
    // read the two as one Alt-key.
    s.send("\x1b");
    s.wait_gone("Output ZIP saved");
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let tail = s.output_after_last_enter();
    assert!(contains(&tail, b"\x1b[?1049l"), "alternate screen not left");
    assert!(contains(&tail, b"\x1b[?25h"), "cursor not shown again");
    assert!(
        contains(&tail, b"\x1b[?2004h") && contains(&tail, b"\x1b[?2004l"),
        "bracketed paste not turned on, or not off again"
    );

    let ws = open_workspace(&workspace);
    let password = SecretString::from("Pilot-2026");
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut decoded = 0;
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).unwrap();
        if !file.name().unwrap().ends_with(".sdtid") {
            continue;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        let batch = tokendist::sdtid::parse(&bytes)
            .unwrap()
            .decrypt(Some(&password))
            .unwrap();
        for token in &batch.tokens {
            let held = ws
                .inventory()
                .get(&token.serial)
                .expect("a token of the inventory");
            assert_eq!(
                token.seed.expose(),
                held.seed.expose(),
                "seed of {}",
                token.serial
            );
            assert_eq!(token.nickname, "Pilot");
            decoded += 1;
        }
    }
    assert!(decoded > 0 && decoded <= 20, "{decoded} files decoded");
    drop(ws);
    let history = History::open(&open_workspace(&workspace)).unwrap();
    let record = history.find("qa pilot").expect("the job is in the history");
    assert_eq!(record.status, JobStatus::Completed);
    assert_eq!(record.downloads.len(), 1);
}

/// Adds `count` assigned 128-bit tokens so a job runs long enough to be interrupted.
fn add_bulk_tokens(dir: &Path, count: u64) {
    let tokens = jobs_common::workspace::inventory_tokens(700_000_000, count);
    open_workspace(dir)
        .update_inventory(|inventory| {
            inventory.insert_new(tokens);
            Ok(())
        })
        .unwrap();
}

#[test]
fn sighup_mid_job_restores_the_terminal_and_records_the_job_as_cancelled() {
    stop_mid_job("-HUP");
}

#[test]
fn sigterm_mid_job_restores_the_terminal_and_records_the_job_as_cancelled() {
    stop_mid_job("-TERM");
}

/// Starts a long job, sends `signal` (a `kill` flag) while it runs, and checks the terminal
/// and the history afterwards.
fn stop_mid_job(signal: &str) {
    let temp = tempfile::tempdir().unwrap();
    let workspace: PathBuf = temp.path().join("ws");
    drop(demo::create_demo(&workspace).unwrap());
    add_bulk_tokens(&workspace, 40_000);
    let passphrase_file = temp.path().join("passphrase");
    std::fs::write(&passphrase_file, "demo\n").unwrap();
    let mut s = Session::start(
        &[
            "--workspace",
            workspace.to_str().unwrap(),
            "--passphrase-file",
            passphrase_file.to_str().unwrap(),
        ],
        temp.path(),
        false,
    );
    s.wait_for("Step 1 of 8");
    s.send(CTRL_U);
    s.press("bulk run", "bulk run");
    s.press(ENTER, "Step 2 of 8");
    s.press(ENTER, "Step 3 of 8");
    s.press(ENTER, "Step 4 of 8");
    s.press(ENTER, "Step 5 of 8");
    // user-id: one password per file, the slowest protection.
    s.press(DOWN, "Step 5 of 7");
    s.press(DOWN, "logins longer than");
    s.press(ENTER, "Step 6 of 7: Token selection");
    s.press("700000000-700039999", "700039999");
    s.wait_for("tokens match");
    s.press(ENTER, "Step 7 of 7: Review");
    s.wait_for("Submit Job");
    s.press(ENTER, "Generating token files");
    let pid = s.child.process_id().expect("a pid");
    // The shell's own `kill`: no procps needed on a minimal CI image.
    let killed = std::process::Command::new("sh")
        .args(["-c", &format!("kill {signal} {pid}")])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = s.wait_exit();
    assert!(
        !status.success(),
        "a signal ends the session with a failure status"
    );
    let tail = s.output_after_last_enter();
    assert!(
        contains(&tail, b"\x1b[?1049l"),
        "alternate screen not left after {signal}"
    );
    assert!(
        contains(&tail, b"\x1b[?25h"),
        "cursor not shown after {signal}"
    );
    assert!(
        contains(&tail, b"\x1b[?2004l"),
        "bracketed paste not turned off after {signal}"
    );

    let history = History::open(&open_workspace(&workspace)).unwrap();
    let record = history.find("bulk run").expect("the job is in the history");
    assert!(
        record.status == JobStatus::Cancelled,
        "job recorded as {:?}",
        record.status
    );
    assert!(
        !record.has_output(),
        "a stopped job offers nothing to download"
    );
}

#[test]
fn demo_without_a_directory_opens_and_quits_cleanly() {
    let temp = tempfile::tempdir().unwrap();
    let mut s = Session::start(&["--demo"], temp.path(), false);
    s.wait_for("Step 1 of 8");
    // Idle, the wizard sleeps on its channels: no busy loop over a slow SSH link.
    if let Some(pid) = s.child.process_id() {
        std::thread::sleep(Duration::from_millis(300));
        if let Some(before) = cpu_ticks(pid) {
            std::thread::sleep(Duration::from_secs(2));
            let used = cpu_ticks(pid).unwrap() - before;
            assert!(used < 20, "{used} clock ticks of CPU in 2 s of idling");
        } else {
            eprintln!("idle CPU not measured: no /proc/{pid}/stat on this system");
        }
    }
    // A resize redraws at once, to the new size.
    s.resize(30, 100);
    s.wait_for_row(29, "Enter next");
    s.press("\u{1b}OR", "Completed (1)");
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn a_wrong_passphrase_is_refused_before_the_full_screen_starts() {
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    drop(demo::create_demo(&workspace).unwrap());
    let passphrase_file = temp.path().join("wrong");
    std::fs::write(&passphrase_file, "not the passphrase\n").unwrap();
    let mut s = Session::start(
        &[
            "--workspace",
            workspace.to_str().unwrap(),
            "--passphrase-file",
            passphrase_file.to_str().unwrap(),
        ],
        temp.path(),
        false,
    );
    let status = s.wait_exit();
    assert!(!status.success());
    std::thread::sleep(Duration::from_millis(200));
    let raw = s.raw.lock().unwrap().clone();
    assert!(
        contains(&raw, b"passphrase"),
        "{}",
        String::from_utf8_lossy(&raw)
    );
    assert!(!contains(&raw, b"\x1b[?1049h"), "the full screen started");
}

#[test]
fn without_a_terminal_the_wizard_says_to_use_the_commands() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tokendist"))
        .arg("--demo")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("needs a terminal"));
    assert!(output.stdout.is_empty());
}

/// Waits until the screen shows `text`, then sends `keys` (so keys never race a redraw).
fn after(s: &mut Session, text: &str, keys: &str) {
    s.wait_for(text);
    s.send(keys);
}

#[test]
fn the_passphrase_changed_in_the_tools_screen_opens_the_workspace_and_the_old_one_does_not() {
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    let new = "a longer passphrase 2026";
    let mut s = Session::start(
        &["--demo", "--workspace", workspace.to_str().unwrap()],
        temp.path(),
        true,
    );
    after(&mut s, "Step 1 of 8: Job name", F5);
    after(&mut s, "Workspace tools", ENTER);
    s.wait_for("Current passphrase");
    // The focus shows without colour: the `>` marker on the first field.
    assert!(
        s.contents().contains("> Current passphrase"),
        "{}",
        s.contents()
    );
    // A mismatch is refused on the form, naming the field.
    s.send("demo");
    s.send(TAB);
    s.send(new);
    s.send(TAB);
    s.send("something else entirely");
    s.press(ENTER, "Repeat passphrase: the two new passphrases differ");
    // Both new ones are typed again, from the first of them; the current one stays.
    s.wait_for("> New passphrase");
    s.send(new);
    s.send(TAB);
    s.send(new);
    assert!(
        !s.contents().contains(new),
        "a passphrase reached the screen"
    );
    s.press(ENTER, "Passphrase changed");
    s.wait_for("1 staged job key(s)");
    assert!(!s.contents().contains(new));
    after(&mut s, "back to the tools", ENTER);
    // In the same session, the staged pilot output still downloads (its key moved too).
    let zip_path = temp.path().join("pilot-in-session.zip");
    after(&mut s, "Workspace tools", "2");
    s.wait_for("Pilot rollout");
    s.press(ENTER, "Download Output File");
    s.press(DOWN, "Download Output File");
    s.press(ENTER, "Save the ZIP");
    s.send(CTRL_U);
    s.press(zip_path.to_str().unwrap(), "pilot-in-session.zip");
    s.press(ENTER, "Output ZIP saved");
    s.send("\x1b");
    s.wait_gone("Output ZIP saved");
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    assert!(zip_path.metadata().unwrap().len() > 0);

    assert!(Workspace::open(&workspace, &SecretString::from(new)).is_ok());
    assert!(Workspace::open(&workspace, &SecretString::from(demo::DEMO_PASSPHRASE)).is_err());
    // The staged pilot output moved to the new key too.
    let ws = Workspace::open(&workspace, &SecretString::from(new)).unwrap();
    let mut history = History::open(&ws).unwrap();
    let pilot_id = history
        .records()
        .iter()
        .find(|r| r.name == demo::PILOT_JOB)
        .unwrap()
        .id
        .clone();
    let zip = temp.path().join("pilot.zip");
    tokendist::jobs::download(
        &ws,
        &mut history,
        &pilot_id,
        &zip,
        false,
        time::OffsetDateTime::now_utc(),
    )
    .expect("the staged output decrypts under the new passphrase");
    drop(ws);

    // The wizard itself opens with the new passphrase.
    let passphrase_file = temp.path().join("new-passphrase");
    std::fs::write(&passphrase_file, format!("{new}\n")).unwrap();
    let mut s = Session::start(
        &[
            "--workspace",
            workspace.to_str().unwrap(),
            "--passphrase-file",
            passphrase_file.to_str().unwrap(),
        ],
        temp.path(),
        true,
    );
    after(&mut s, "Step 1 of 8: Job name", F5);
    after(&mut s, "Workspace tools", "q");
    assert!(s.wait_exit().success());
}

#[test]
fn users_from_a_real_directory_get_tokens_through_the_tools_screen() {
    use crate::directory_ldap::{PASSPHRASE, VPN_FILTER, people, slapd_or_skip, workspace};
    use crate::support::slapd::{self, PEOPLE, READER_DN, READER_PASSWORD};
    let Some(slapd) = slapd_or_skip() else { return };
    let server = slapd.start(&slapd::base_ldif(&people()), None);
    let env = workspace(3);
    // No bind_password_file: the screen asks for it, masked.
    let config = env.dir.join(tokendist::workspace::CONFIG_FILE);
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[directory]\nurl = \"{}\"\nbind_dn = \"{READER_DN}\"\nbase_dn = \"{PEOPLE}\"\nfilter = \"{VPN_FILTER}\"\n",
        server.ldap_url()
    ));
    std::fs::write(&config, text).unwrap();

    let mut s = Session::start(
        &[
            "--workspace",
            env.dir.to_str().unwrap(),
            "--passphrase-file",
            env.passphrase_file.to_str().unwrap(),
        ],
        env.dir.parent().unwrap(),
        true,
    );
    after(&mut s, "Step 1 of", F5);
    s.wait_for(&server.ldap_url());
    s.send(DOWN);
    s.send(DOWN);
    after(&mut s, "> Assign tokens to users from the directory", ENTER);
    s.wait_for("Bind password");
    s.send(TAB);
    s.send(TAB);
    // A wrong password: the server's refusal, on the field.
    s.send("not the password");
    s.press(ENTER, "Bind password:");
    s.wait_for("invalid credentials");
    s.send(READER_PASSWORD);
    assert!(!s.contents().contains(READER_PASSWORD));
    s.press(ENTER, "user(s) get a 128-bit token");
    for text in [
        "bob",
        "jgarcia",
        "José García (Jose Garcia)",
        "alice",
        "no uid attribute",
    ] {
        s.wait_for(text);
    }
    s.press(ENTER, "Assign 2 token(s) as listed?");
    s.press("y", "2 token(s) assigned.");
    after(&mut s, "back to the tools", "q");
    assert!(s.wait_exit().success());

    let holders: Vec<(String, String)> = env
        .list_json(&[])
        .iter()
        .map(|t| {
            (
                t["serial"].as_str().unwrap().to_owned(),
                t["user_login"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect();
    let login = |serial: &str| {
        holders
            .iter()
            .find(|(s, _)| s.ends_with(serial))
            .map(|(_, l)| l.as_str())
            .unwrap()
    };
    assert_eq!(login("1001"), "alice");
    assert_eq!(login("1003"), "bob");
    assert_eq!(login("1004"), "jgarcia");
    assert_eq!(login("1005"), "-");
    let _ = PASSPHRASE;
}

#[test]
fn tokens_retired_and_a_workspace_checked_through_the_tools_screen() {
    use std::os::unix::fs::PermissionsExt;
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    let mut s = Session::start(
        &["--demo", "--workspace", workspace.to_str().unwrap()],
        temp.path(),
        true,
    );
    after(&mut s, "Step 1 of 8: Job name", F5);
    after(&mut s, "> Change the passphrase", DOWN);
    after(&mut s, "> Retire tokens", ENTER);
    s.wait_for("Only expired");
    s.press("000500000003-000500000004", "000500000003-000500000004");
    s.press(ENTER, "2 token(s) will be removed");
    s.wait_for("Pilot rollout");
    // The confirmation is a question of its own; "n" leaves the review as it was.
    s.press(ENTER, "Remove 2 token(s) from the inventory?");
    s.send("n");
    s.wait_gone("Remove 2 token(s) from the inventory?");
    assert!(s.contents().contains("2 token(s) will be removed"));
    s.press(ENTER, "Remove 2 token(s) from the inventory?");
    s.press("y", "2 token(s) removed; 298 remain.");
    after(&mut s, "back to the tools", ENTER);

    // Stray files beside the workspace's own: the check lists them and changes nothing.
    for at in 1..=20 {
        let path = workspace.join(format!("notes-{at:02}.txt"));
        std::fs::write(&path, "by hand\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    after(&mut s, "Workspace tools", "G");
    after(&mut s, "> Check the workspace", ENTER);
    s.wait_for("> Passphrase");
    s.send(demo::DEMO_PASSPHRASE);
    s.press(
        ENTER,
        "0 error(s), 20 warning(s) (298 token(s)); nothing was changed",
    );
    s.wait_for("warning: notes-01.txt: not a tokendist file");
    s.wait_for("more below");
    s.press("G", "Enter or Esc: back to the tools");
    s.wait_for("warning: notes-20.txt");
    s.wait_gone("more below");
    s.send(ENTER);
    s.wait_for("Workspace tools");
    s.send("q");
    assert!(s.wait_exit().success());

    let ws = Workspace::open(&workspace, &SecretString::from(demo::DEMO_PASSPHRASE)).unwrap();
    assert_eq!(ws.inventory().len(), 298);
    assert!(
        ws.inventory()
            .iter()
            .all(|t| !["000500000003", "000500000004"].contains(&t.serial.as_str()))
    );
    let history = History::open(&ws).unwrap();
    assert!(history.records().iter().any(|r| r.name == demo::PILOT_JOB));
    assert!(workspace.join("notes-20.txt").exists());
}

/// How long the test build pauses a workspace tool's worker (holding the workspace) and
/// every indexing of the inventory (at start, after a tool changed it): long enough to use
/// the screen meanwhile on a loaded machine.
const TOOL_AND_INDEX_PAUSE: &str = "tui.workspace-tool=3000,tui.index-inventory=5000";

#[test]
fn the_tokens_browser_says_indexing_and_fills_itself_at_start_and_after_a_tool() {
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    let env = [("TOKENDIST_PAUSE_AT", TOOL_AND_INDEX_PAUSE)];
    let mut s = Session::start_with(
        &["--demo", "--workspace", workspace.to_str().unwrap()],
        temp.path(),
        true,
        &env,
    );
    // At start the inventory is still being indexed: the browser opens at once and says so,
    // the filter takes keys meanwhile, and the list fills itself when the index is ready.
    s.wait_for("Step 1 of 8: Job name");
    s.press(F4, "indexing the inventory…");
    s.press("/", "Filter (/)");
    s.send("00050000000");
    s.wait_for("00050000000");
    assert!(
        s.contents().contains("indexing the inventory…"),
        "the index was built before the filter was typed:\n{}",
        s.contents()
    );
    s.send(ENTER);
    s.wait_for("9 of 300 tokens shown");

    // A tool retires two tokens; while its worker holds the workspace the screen says what
    // it does and answers Ctrl-C with a line.
    s.press(F5, "> Change the passphrase");
    s.press(DOWN, "> Retire tokens");
    s.press(ENTER, "Only expired");
    s.press("000500000003-000500000004", "000500000003-000500000004");
    s.press(ENTER, "Reading the inventory…");
    s.send("\x03");
    s.wait_for("A workspace tool is at work: quit when it has ended.");
    s.wait_for("2 token(s) will be removed");
    s.press(ENTER, "Remove 2 token(s) from the inventory?");
    s.press("y", "Removing 2 token(s)…");
    s.wait_for("2 token(s) removed; 298 remain.");
    // The new inventory is being indexed: the browser says so, no old count passes for
    // the new inventory's, and it fills itself when the index is ready.
    s.send(ENTER);
    s.press("3", "indexing the inventory…");
    assert!(
        !s.contents().contains("of 300 tokens shown"),
        "{}",
        s.contents()
    );
    s.wait_for("7 of 298 tokens shown");
    s.send("q");
    assert!(s.wait_exit().success());
}

/// How long the test build pauses before recording a job's end: long enough to use the
/// screen meanwhile on a loaded machine.
const RECORDING_PAUSE: &str = "tui.record-job-end=6000";

/// `--demo` on `workspace` with `env`, walked to the submit of a job of 20 tokens, which
/// runs at once; returns when the panel shows `then`.
fn submit_small_job(workspace: &Path, cwd: &Path, env: &[(&str, &str)], then: &str) -> Session {
    let mut s = Session::start_with(
        &["--demo", "--workspace", workspace.to_str().unwrap()],
        cwd,
        true,
        env,
    );
    s.wait_for("Step 1 of 8: Job name");
    s.send(CTRL_U);
    s.press("recorded run", "recorded run");
    for step in ["Step 2 of 8", "Step 3 of 8", "Step 4 of 8", "Step 5 of 8"] {
        s.press(ENTER, step);
    }
    s.press(ENTER, "Step 6 of 8: Password");
    s.send("Record-2026");
    s.press(TAB, "confirmation not typed yet");
    s.send("Record-2026");
    s.wait_for("the two entries match");
    s.press(ENTER, "Step 7 of 8: Token selection");
    s.press("500000001-500000020", "500000001-500000020");
    s.wait_for("tokens match");
    s.press(ENTER, "Step 8 of 8: Review");
    s.wait_for("Submit Job");
    s.press(ENTER, then);
    s
}

/// Sends `keys` and waits for `then`, checking the screen still says the end is being
/// recorded: the keystroke was answered during the recording, not after it.
fn answered_while_recording(s: &mut Session, keys: &str, then: &str) {
    s.press(keys, then);
    assert!(
        s.contents().contains("● recording"),
        "the recording ended before {then:?} showed:\n{}",
        s.contents()
    );
}

#[test]
fn the_screen_answers_while_a_job_s_end_is_recorded_and_shows_the_job_after() {
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    let env = [("TOKENDIST_PAUSE_AT", RECORDING_PAUSE)];
    let mut s = submit_small_job(&workspace, temp.path(), &env, "Recording the job's end…");
    answered_while_recording(&mut s, "?", "(Esc closes)");
    s.send("\x1b");
    s.wait_gone("(Esc closes)");
    // `c` is refused in one line: the run is over.
    answered_while_recording(&mut s, "c", "there is nothing to cancel");
    // The Jobs view opens with the list as it was, and says it follows.
    answered_while_recording(&mut s, "2", "the list follows when it is done");
    // A download waits: refused in the prompt, in one line.
    s.wait_for("Completed (1)");
    answered_while_recording(&mut s, ENTER, "Download Output File");
    s.press(DOWN, "Download Output File");
    answered_while_recording(&mut s, ENTER, "Save the ZIP");
    answered_while_recording(&mut s, ENTER, "being recorded");
    s.send("\x1b");
    s.wait_gone("Save the ZIP");
    // The Tokens browser opens and scrolls.
    answered_while_recording(&mut s, "3", "tokens shown");
    // Then the recording ends: the list shows the new job as completed.
    s.wait_gone("● recording");
    s.press("2", "Completed (2)");
    s.wait_for("recorded run");
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let ws = open_workspace(&workspace);
    let record = History::open(&ws)
        .unwrap()
        .find("recorded run")
        .cloned()
        .expect("the job is in the history");
    assert_eq!(record.status, JobStatus::Completed);
    let distributed = ws
        .inventory()
        .iter()
        .filter(|t| t.distributions.iter().any(|d| d.job_id == record.id))
        .count();
    assert_eq!(
        distributed, record.done_count,
        "the inventory records the job"
    );
}

#[test]
fn quitting_while_a_job_s_end_is_recorded_waits_for_it_and_says_so() {
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    let env = [("TOKENDIST_PAUSE_AT", RECORDING_PAUSE)];
    let mut s = submit_small_job(&workspace, temp.path(), &env, "Recording the job's end…");
    s.send("q");
    s.wait_for("Recording the job's end before leaving…");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let ws = open_workspace(&workspace);
    let record = History::open(&ws)
        .unwrap()
        .find("recorded run")
        .cloned()
        .expect("the job is in the history");
    assert_eq!(
        record.status,
        JobStatus::Completed,
        "recorded to the end before leaving"
    );
}

#[test]
fn a_failure_to_record_a_job_s_end_is_shown_and_the_next_start_does_what_it_said() {
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    // Made before: the fault below would stop the demo's own pilot job.
    drop(demo::create_demo(&workspace).unwrap());
    // The history cannot be written; the inventory (the commit point) was saved before.
    let env = [("TOKENDIST_FAIL_AT", "job.finish.history.rename")];
    let mut s = submit_small_job(&workspace, temp.path(), &env, "✗ Failed");
    s.wait_for("could not be recorded");
    s.wait_for("files stay staged");
    s.wait_for("settles it from the inventory");
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    // The next start: the inventory recorded the distribution, so the job is completed and
    // its output offered, as the message said.
    let history = History::open(&open_workspace(&workspace)).unwrap();
    let record = history
        .find("recorded run")
        .expect("the job is in the history");
    assert_eq!(record.status, JobStatus::Completed);
    assert!(record.has_output());
}

/// Each piece of a download waits this long (a small ZIP is one piece): time to use the
/// screen meanwhile on a loaded machine.
const DOWNLOAD_PAUSE: &str = "job.download.write=6000";

/// `--demo` on `workspace` with the download slowed, walked to Jobs › "Pilot rollout" (the
/// demo's completed job) › Download Output File with `target` typed and Enter pressed;
/// returns once the progress dialog shows.
fn start_slow_download(workspace: &Path, cwd: &Path, target: &Path) -> Session {
    let env = [("TOKENDIST_PAUSE_AT", DOWNLOAD_PAUSE)];
    let mut s = Session::start_with(
        &["--demo", "--workspace", workspace.to_str().unwrap()],
        cwd,
        true,
        &env,
    );
    s.wait_for("Step 1 of 8: Job name");
    // F3 (a `2` would be typed into the job name).
    s.press("\x1bOR", "Completed (1)");
    s.wait_for("Pilot rollout");
    s.press(ENTER, "Download Output File");
    s.press(DOWN, "Download Output File");
    s.press(ENTER, "Save the ZIP");
    s.send(CTRL_U);
    s.press(target.to_str().unwrap(), "pilot.zip");
    s.press(ENTER, "Saving the ZIP");
    s
}

/// Sends `keys` and waits for `then`, checking the download is still under way: the keystroke
/// was answered while the ZIP was being written, not after.
fn answered_while_downloading(s: &mut Session, keys: &str, then: &str) {
    s.press(keys, then);
    assert!(
        s.contents().contains("● download"),
        "the download ended before {then:?} showed:\n{}",
        s.contents()
    );
}

/// Files beside the download target whose names the download's temporary files have.
fn download_temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".tokendist-download-"))
        .collect()
}

fn pilot_record(workspace: &Path) -> tokendist::jobs::JobRecord {
    History::open(&open_workspace(workspace))
        .unwrap()
        .find("Pilot rollout")
        .cloned()
        .expect("the demo's pilot job")
}

#[test]
fn keys_answer_while_a_download_is_written_and_it_ends_saved_and_recorded() {
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    let target = temp.path().join("out").join("pilot.zip");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let mut s = start_slow_download(&workspace, temp.path(), &target);
    s.wait_for("0 bytes of");
    answered_while_downloading(&mut s, "?", "(Esc closes)");
    s.send("\x1b");
    s.wait_gone("(Esc closes)");
    assert!(s.contents().contains("Saving the ZIP"), "{}", s.contents());
    // Hidden: the download goes on; the Tokens screen opens and scrolls meanwhile.
    answered_while_downloading(&mut s, ENTER, "The download goes on");
    answered_while_downloading(&mut s, "3", "tokens shown");
    answered_while_downloading(&mut s, "j", "tokens shown");
    // The end pops up the saved report (nothing else is open).
    s.wait_for("Output ZIP saved");
    s.wait_for("SHA-256");
    s.send("\x1b");
    s.wait_gone("Output ZIP saved");
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    assert!(target.is_file());
    let record = pilot_record(&workspace);
    assert_eq!(record.downloads.len(), 1);
    assert_eq!(record.downloads[0].path, target);
    assert!(record.pending_download.is_none());
}

#[test]
fn esc_cancels_a_download_leaving_nothing_and_the_job_downloads_after() {
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    let out = temp.path().join("out");
    let target = out.join("pilot.zip");
    std::fs::create_dir_all(&out).unwrap();
    let mut s = start_slow_download(&workspace, temp.path(), &target);
    s.send("\x1b");
    s.wait_for("Cancelling…");
    s.wait_for("Download cancelled");
    s.wait_for("Nothing was saved at");
    assert!(!target.exists(), "nothing at the target");
    assert_eq!(download_temporaries(&out), Vec::<String>::new());
    s.send("\x1b");
    s.wait_gone("Download cancelled");
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let record = pilot_record(&workspace);
    assert!(record.pending_download.is_none(), "the note is cleared");
    assert!(record.downloads.is_empty(), "no download recorded");
    // Downloadable again, to the very same path.
    let ws = open_workspace(&workspace);
    let mut history = History::open(&ws).unwrap();
    let report = tokendist::jobs::download(
        &ws,
        &mut history,
        "Pilot rollout",
        &target,
        false,
        time::OffsetDateTime::now_utc(),
    )
    .expect("the job downloads after the cancel");
    assert_eq!(Some(report.sha256), record.output.map(|o| o.sha256));
}

#[test]
fn quitting_while_a_download_is_written_cancels_it_and_says_so() {
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    let out = temp.path().join("out");
    let target = out.join("pilot.zip");
    std::fs::create_dir_all(&out).unwrap();
    let mut s = start_slow_download(&workspace, temp.path(), &target);
    s.press("q", "A download is under way. Quit and cancel it?");
    s.send("y");
    s.wait_for("Cancelling the download before leaving…");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    assert!(!target.exists());
    assert_eq!(download_temporaries(&out), Vec::<String>::new());
    let record = pilot_record(&workspace);
    assert!(record.pending_download.is_none() && record.downloads.is_empty());
}

#[test]
fn jobs_download_on_a_terminal_shows_its_progress_on_stderr() {
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    drop(demo::create_demo(&workspace).unwrap());
    let passphrase = temp.path().join("passphrase");
    std::fs::write(&passphrase, demo::DEMO_PASSPHRASE).unwrap();
    std::fs::set_permissions(
        &passphrase,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let target = temp.path().join("pilot.zip");
    let mut s = Session::start(
        &[
            "--workspace",
            workspace.to_str().unwrap(),
            "--passphrase-file",
            passphrase.to_str().unwrap(),
            "jobs",
            "download",
            "Pilot rollout",
            "--output",
            target.to_str().unwrap(),
        ],
        temp.path(),
        true,
    );
    let status = s.wait_exit();
    std::thread::sleep(Duration::from_millis(200));
    let raw = String::from_utf8_lossy(&s.raw.lock().unwrap()).into_owned();
    assert!(status.success(), "exit status {status:?}: {raw}");
    assert!(raw.contains("saving: 0 of "), "{raw}");
    assert!(raw.contains("bytes (100%)"), "{raw}");
    assert!(raw.contains("saved "), "{raw}");
    assert!(target.is_file());
}

#[test]
fn delete_from_the_jobs_view_removes_the_staged_output_on_the_worker() {
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    let mut s = Session::start(
        &["--demo", "--workspace", workspace.to_str().unwrap()],
        temp.path(),
        true,
    );
    s.wait_for("Step 1 of 8: Job name");
    s.press("\x1bOR", "Completed (1)");
    s.wait_for("Pilot rollout");
    s.press(ENTER, "Download Output File");
    s.send("\x1b[F");
    s.press(ENTER, "Delete the output of job");
    s.press("y", "┌ Deleted ");
    s.send("\x1b");
    s.wait_gone("┌ Deleted ");
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let record = pilot_record(&workspace);
    assert!(
        record
            .output
            .as_ref()
            .is_some_and(|o| o.deleted_at.is_some()),
        "{record:?}"
    );
    let staged = workspace.join("jobs").join("staged").join(&record.id);
    assert!(!staged.exists(), "{} is left", staged.display());
}

/// How long the test build pauses before starting a job (the worker holds the history and
/// the workspace meanwhile): long enough to use the screen on a loaded machine.
const START_PAUSE: &str = "tui.start-job=6000";

/// Sends `keys` and waits for `then`, checking the header still says the job is being
/// started: the keystroke was answered during the start, not after it.
fn answered_while_starting(s: &mut Session, keys: &str, then: &str) {
    s.press(keys, then);
    assert!(
        s.contents().contains("● starting"),
        "the start ended before {then:?} showed:\n{}",
        s.contents()
    );
}

#[test]
fn keys_answer_while_a_job_starts_on_the_worker_and_the_job_runs_after() {
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    let env = [("TOKENDIST_PAUSE_AT", START_PAUSE)];
    let mut s = submit_small_job(&workspace, temp.path(), &env, "Starting the job");
    assert!(s.contents().contains("● starting"), "{}", s.contents());
    // The message closes, help opens, the Jobs view opens and comes back.
    s.send("\x1b");
    s.wait_gone("writing its history record");
    answered_while_starting(&mut s, "?", "(Esc closes)");
    s.send("\x1b");
    s.wait_gone("(Esc closes)");
    answered_while_starting(&mut s, "\x1bOR", "the list follows when it has started");
    answered_while_starting(&mut s, "\x1bOQ", "Submit Job");
    // A second submit is refused in one line.
    answered_while_starting(&mut s, ENTER, "A job is being started");
    // Then the job starts and runs: its panel, its end recorded.
    s.wait_for("┌ Job \"recorded run\"");
    s.wait_gone("● starting");
    s.wait_for("✓ Completed");
    s.wait_gone("● recording");
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let ws = open_workspace(&workspace);
    let history = History::open(&ws).unwrap();
    let records: Vec<_> = history
        .records()
        .iter()
        .filter(|r| r.name == "recorded run")
        .collect();
    assert_eq!(records.len(), 1, "one job started");
    assert_eq!(records[0].status, JobStatus::Completed);
}

#[test]
fn quitting_while_a_job_starts_waits_for_the_start_then_cancels_the_job() {
    let temp = tempfile::tempdir().unwrap();
    let workspace = temp.path().join("ws");
    let env = [("TOKENDIST_PAUSE_AT", START_PAUSE)];
    let mut s = submit_small_job(&workspace, temp.path(), &env, "Starting the job");
    s.send("\x03");
    s.press("y", "Starting the job before leaving");
    let status = s.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    let ws = open_workspace(&workspace);
    let record = History::open(&ws)
        .unwrap()
        .find("recorded run")
        .cloned()
        .expect("the job was started before leaving");
    // Cancelled as soon as it started (a job of 20 tokens may have finished by then):
    // either way recorded to its end, never left running.
    assert!(
        matches!(record.status, JobStatus::Cancelled | JobStatus::Completed),
        "{record:?}"
    );
}
