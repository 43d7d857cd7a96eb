//! The password prompts of `tokendist sdtid`, driven through a pseudo-terminal.
#![cfg(unix)]

use crate::common;

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs tokendist on a terminal, answers each prompt in turn, returns (exit code, output).
fn on_terminal(args: &[&str], answers: &[&str]) -> (u32, String) {
    let pty = native_pty_system();
    let pair = pty
        .openpty(PtySize {
            rows: 24,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_tokendist"));
    cmd.args(args);
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let tty = pair.master.tty_name();
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut output = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut answered = 0;
    loop {
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(50)) {
            output.push_str(&String::from_utf8_lossy(&chunk));
        }
        // Every prompt mentions the password; answer each one once, in order.
        let prompts = output.matches("assword").count();
        if answered < answers.len() && prompts > answered {
            // The prompt is printed before echo is switched off: typing earlier would echo.
            wait_for_echo_off(tty.as_deref());
            writer
                .write_all(format!("{}\r", answers[answered]).as_bytes())
                .unwrap();
            writer.flush().unwrap();
            answered += 1;
        }
        if let Some(status) = child.try_wait().unwrap() {
            while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
                output.push_str(&String::from_utf8_lossy(&chunk));
            }
            return (status.exit_code(), output);
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("timed out; output so far: {output:?}");
        }
    }
}

/// Waits (at most 10 s) until the terminal's line discipline no longer echoes input.
fn wait_for_echo_off(tty: Option<&std::path::Path>) {
    let Some(tty) = tty else {
        std::thread::sleep(Duration::from_millis(500));
        return;
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let settings = std::process::Command::new("stty")
            .arg("-F")
            .arg(tty)
            .arg("-a")
            .stdin(std::process::Stdio::null())
            .output();
        match settings {
            Ok(out) if out.status.success() => {
                let text = String::from_utf8_lossy(&out.stdout);
                if text.split_whitespace().any(|flag| flag == "-echo") {
                    return;
                }
            }
            _ => {
                std::thread::sleep(Duration::from_millis(500));
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn code_asks_for_the_password_on_a_terminal_without_echo() {
    let v2 = common::fixture_dir().join("v2.sdtid").display().to_string();
    let (code, output) = on_terminal(
        &["sdtid", "code", &v2, "--time", "1700000000"],
        &["Tr0ub4dor&3-horse"],
    );
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("Password: "), "{output}");
    assert!(output.contains("30528949"), "{output}");
    assert!(
        !output.contains("Tr0ub4dor"),
        "the password is not echoed: {output}"
    );
}

#[test]
fn issue_asks_twice_and_refuses_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.sdtid").display().to_string();
    let (code, output) = on_terminal(
        &["sdtid", "issue", "--out", &out],
        &["first-pw", "other-pw"],
    );
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("differ"), "{output}");
    assert!(!dir.path().join("t.sdtid").exists());

    let (code, output) = on_terminal(&["sdtid", "issue", "--out", &out], &["same-pw", "same-pw"]);
    assert_eq!(code, 0, "{output}");
    let batch =
        tokendist::sdtid::parse(&std::fs::read(dir.path().join("t.sdtid")).unwrap()).unwrap();
    let decrypted = batch
        .decrypt(Some(&tokendist::secret::SecretString::from("same-pw")))
        .unwrap();
    assert!(decrypted.password_protected);
}
