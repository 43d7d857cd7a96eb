//! The air-gapped bundle `scripts/dist` builds (`target/bundle/`): a fully static binary whose
//! checksum matches, that runs in an empty environment (no `HOME`, no `PATH`, `TERM=dumb`):
//! version, the demo workspace, a job over it and the download of its ZIP.
//!
//! Ignored in a plain `cargo test`: they need the slow release build first. `.ci/run` runs
//! `scripts/dist` and then `cargo test --test integration -- --ignored --skip skip_probe`.
//! `TOKENDIST_BUNDLE=DIR` points them at a bundle elsewhere.

use crate::jobs_common::unzip;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use tokendist::secret::SecretString;
use tokendist::workspace::{Workspace, demo};

fn bundle() -> PathBuf {
    if let Some(dir) = std::env::var_os("TOKENDIST_BUNDLE").filter(|dir| !dir.is_empty()) {
        return PathBuf::from(dir);
    }
    // The test build's binary is TARGET/debug/tokendist; scripts/dist writes TARGET/bundle.
    let test_binary = Path::new(env!("CARGO_BIN_EXE_tokendist"));
    let target = test_binary
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in TARGET/PROFILE/");
    target.join("bundle")
}

fn bundled_binary() -> PathBuf {
    let binary = bundle().join("tokendist");
    assert!(
        binary.is_file(),
        "{} does not exist: run scripts/dist first",
        binary.display()
    );
    binary
}

/// Runs the bundled binary with nothing in its environment but `TERM=dumb`, in `dir`, with
/// stdin closed and a time limit.
fn run_bare(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(bundled_binary());
    command
        .args(args)
        .env_clear()
        .env("TERM", "dumb")
        .current_dir(dir)
        .stdin(Stdio::null());
    run_with_timeout(command, Duration::from_secs(120))
}

fn run_with_timeout(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let started = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{command:?} ran longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let output = run_bare(dir, args);
    assert!(
        output.status.success(),
        "tokendist {args:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

fn u16_at(bytes: &[u8], at: usize) -> usize {
    u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap()).into()
}

fn u64_at(bytes: &[u8], at: usize) -> usize {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
        .try_into()
        .unwrap()
}

/// What the ELF program headers say about dynamic linking: (has an interpreter, libraries it
/// needs). A static binary (static-pie included) has neither.
fn dynamic_linking(elf: &[u8]) -> (bool, usize) {
    const PT_DYNAMIC: u32 = 2;
    const PT_INTERP: u32 = 3;
    const DT_NEEDED: u64 = 1;
    assert_eq!(&elf[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(elf[4], 2, "not a 64-bit ELF");
    assert_eq!(elf[5], 1, "not little-endian");
    assert_eq!(u16_at(elf, 18), 62, "not x86-64");
    let (table, entry_size, count) = (u64_at(elf, 32), u16_at(elf, 54), u16_at(elf, 56));
    let mut interpreter = false;
    let mut needed = 0;
    for index in 0..count {
        let header = &elf[table + index * entry_size..][..entry_size];
        let kind = u32::from_le_bytes(header[..4].try_into().unwrap());
        let (offset, size) = (u64_at(header, 8), u64_at(header, 32));
        match kind {
            PT_INTERP => interpreter = true,
            PT_DYNAMIC => {
                for entry in elf[offset..offset + size].chunks_exact(16) {
                    match u64::from_le_bytes(entry[..8].try_into().unwrap()) {
                        0 => break,
                        DT_NEEDED => needed += 1,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    (interpreter, needed)
}

#[test]
fn elf_reader_sees_a_dynamic_binary() {
    // The check below must be able to fail: the test build's own binary is dynamic.
    let elf = std::fs::read(env!("CARGO_BIN_EXE_tokendist")).unwrap();
    let (interpreter, needed) = dynamic_linking(&elf);
    assert!(interpreter && needed > 0, "{interpreter} {needed}");
}

#[test]
#[ignore = "needs `scripts/dist` first (a release build); .ci/run runs it"]
fn the_bundled_binary_is_static_and_matches_its_checksum() {
    let binary = bundled_binary();
    let bytes = std::fs::read(&binary).unwrap();
    assert_eq!(
        dynamic_linking(&bytes),
        (false, 0),
        "{} is dynamically linked",
        binary.display()
    );
    let ldd = Command::new("ldd").arg(&binary).output();
    if let Ok(ldd) = ldd {
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&ldd.stdout),
            String::from_utf8_lossy(&ldd.stderr)
        );
        assert!(
            said.contains("statically linked") || said.contains("not a dynamic executable"),
            "ldd: {said}"
        );
    }

    let recorded = std::fs::read_to_string(bundle().join("tokendist.sha256")).unwrap();
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(recorded, format!("{digest}  tokendist\n"));

    let dir = tempfile::tempdir().unwrap();
    let version = ok(dir.path(), &["--version"]);
    assert_eq!(
        version,
        format!("tokendist {}\n", env!("CARGO_PKG_VERSION"))
    );

    // The man pages and completions in the bundle are the ones this binary writes.
    let man_dir = bundle().join("man/man1");
    let top = std::fs::read(man_dir.join("tokendist.1")).unwrap();
    assert_eq!(top, ok(dir.path(), &["man"]).into_bytes());
    assert!(man_dir.join("tokendist-jobs-download.1").is_file());
    for (shell, file) in [
        ("bash", "tokendist.bash"),
        ("zsh", "_tokendist"),
        ("fish", "tokendist.fish"),
    ] {
        let script = std::fs::read(bundle().join("completions").join(file)).unwrap();
        assert_eq!(script, ok(dir.path(), &["completions", shell]).into_bytes());
    }
}

#[test]
#[ignore = "needs `scripts/dist` first (a release build); .ci/run runs it"]
fn the_bundled_binary_runs_the_demo_job_in_an_empty_environment() {
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path();

    // No HOME and no TOKENDIST_HOME: a clear error, not a lookup in the password database.
    let output = run_bare(here, &["tokens", "list"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no workspace directory") && stderr.contains("--workspace"),
        "{stderr}"
    );

    let created = ok(here, &["demo", "--workspace", "ws"]);
    assert!(created.contains("demo tokens"), "{created}");
    std::fs::write(
        here.join("passphrase"),
        format!("{}\n", demo::DEMO_PASSPHRASE),
    )
    .unwrap();
    fn command<'a>(args: &[&'a str]) -> Vec<&'a str> {
        [
            &["--workspace", "ws", "--passphrase-file", "passphrase"],
            args,
        ]
        .concat()
    }

    let submitted = ok(
        here,
        &command(&[
            "jobs",
            "submit",
            "--profile",
            "Android",
            "--serials",
            "500000001-500000300",
            "--protection",
            "user-id",
            "--name",
            "Static binary check",
            "--yes",
        ]),
    );
    assert!(submitted.contains("completed"), "{submitted}");
    let saved = ok(
        here,
        &command(&[
            "jobs",
            "download",
            "Static binary check",
            "--output",
            "out.zip",
        ]),
    );
    assert!(saved.contains("SHA-256"), "{saved}");

    // Every file in the ZIP opens with its user's login and holds that token's seed.
    let opened =
        Workspace::open(&here.join("ws"), &SecretString::from(demo::DEMO_PASSPHRASE)).unwrap();
    let entries = unzip(&here.join("out.zip"));
    let mut files = 0;
    for (name, bytes) in &entries {
        let Some(serial) = name.strip_suffix(".sdtid") else {
            continue;
        };
        let token = opened
            .inventory()
            .get(&serial.parse().unwrap())
            .unwrap_or_else(|| panic!("{name} is not in the inventory"));
        let login = token.user.as_ref().expect("an assigned token").login();
        let decrypted = tokendist::sdtid::parse(bytes)
            .unwrap()
            .decrypt(Some(&SecretString::from(login)))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(decrypted.tokens[0].seed, token.seed, "{name}");
        files += 1;
    }
    assert!(files > 100, "only {files} token files");
    assert!(
        submitted.contains(&format!("{files} file(s)")),
        "{submitted}"
    );
    assert_eq!(entries.last().unwrap().0, "manifest.csv");
}
