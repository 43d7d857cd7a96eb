//! `tokendist init` on a terminal: the passphrase is typed twice, without echo, and a mismatch
//! or an empty passphrase creates nothing.

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Session {
    output: Arc<Mutex<String>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Session {
    fn start(workspace: &Path) -> Session {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 100,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_tokendist"));
        command.args(["init", "--workspace"]);
        command.arg(workspace);
        command.env_remove("TOKENDIST_PASSPHRASE_FILE");
        let child = pair.slave.spawn_command(command).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 1024];
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Session {
            output,
            writer,
            child,
            _master: pair.master,
        }
    }

    fn wait_for(&self, text: &str) {
        let started = Instant::now();
        while !self.output.lock().unwrap().contains(text) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "timed out waiting for {text:?}; output so far: {:?}",
                self.output.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types a line. rpassword prints the prompt before it turns echo off, so give it a moment
    /// after the prompt appears; typing into that window would echo for real.
    fn type_line(&mut self, text: &str) {
        std::thread::sleep(Duration::from_millis(300));
        self.writer
            .write_all(format!("{text}\r").as_bytes())
            .unwrap();
        self.writer.flush().unwrap();
    }

    fn finish(mut self) -> (bool, String) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                return (status.success(), self.output.lock().unwrap().clone());
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                panic!(
                    "tokendist init did not finish: {:?}",
                    self.output.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn the_passphrase_is_asked_twice_and_not_echoed() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("ws");
    let mut session = Session::start(&dir);
    session.wait_for("New workspace passphrase:");
    session.type_line("terminal typed passphrase");
    session.wait_for("Repeat the passphrase:");
    session.type_line("terminal typed passphrase");
    let (ok, output) = session.finish();
    assert!(ok, "{output}");
    assert!(output.contains("Created workspace"), "{output}");
    assert!(
        !output.contains("terminal typed passphrase"),
        "the passphrase was echoed: {output}"
    );
    assert!(dir.join("inventory.vault").is_file());
}

#[test]
fn a_mismatch_or_an_empty_passphrase_creates_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("ws");
    let mut session = Session::start(&dir);
    session.wait_for("New workspace passphrase:");
    session.type_line("first passphrase");
    session.wait_for("Repeat the passphrase:");
    session.type_line("second passphrase");
    let (ok, output) = session.finish();
    assert!(!ok);
    assert!(output.contains("the two passphrases differ"), "{output}");
    assert!(!dir.join("inventory.vault").exists());

    let mut session = Session::start(&dir);
    session.wait_for("New workspace passphrase:");
    session.type_line("");
    let (ok, output) = session.finish();
    assert!(!ok);
    assert!(output.contains("must not be empty"), "{output}");
    assert!(!dir.join("inventory.vault").exists());
}
