//! Issue 8, hostile input: the real binary against a workspace an attacker (or an accident)
//! has been at, a closed standard output, and files that try to fool the reader, the terminal
//! or a spreadsheet. One test per defect, named for what it proves.

use crate::common::fixture_text;
use crate::jobs_common::workspace as ws;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Env {
    dir: tempfile::TempDir,
    root: PathBuf,
    passphrase: PathBuf,
}

/// A workspace with `count` assigned tokens from serial 1000 (cheap key derivation).
fn env(count: u64) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    drop(ws::create(&root, 1000, count));
    let passphrase = ws::passphrase_file(dir.path());
    Env {
        root,
        passphrase,
        dir,
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Env {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tokendist"));
        // sdtid commands work on single files and take no workspace options.
        if args.first() != Some(&"sdtid") {
            command
                .arg("--workspace")
                .arg(&self.root)
                .arg("--passphrase-file")
                .arg(&self.passphrase);
        }
        command
            .args(args)
            .env_remove("TOKENDIST_HOME")
            .env_remove("TOKENDIST_PASSPHRASE_FILE")
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Run {
        finish(self.command(args).stdout(Stdio::piped()), args)
    }

    /// Runs with standard output a pipe whose reading end is already closed.
    fn run_with_closed_stdout(&self, args: &[&str]) -> Run {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        finish(self.command(args).stdout(writer), args)
    }

    fn chmod(&self, name: &str, mode: u32) {
        std::fs::set_permissions(self.root.join(name), std::fs::Permissions::from_mode(mode))
            .unwrap();
    }
}

fn finish(command: &mut Command, args: &[&str]) -> Run {
    let mut child = command.stderr(Stdio::piped()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "tokendist {args:?} hangs");
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Gives token `serial` a user as an imported token file can (import takes what the reader
/// accepts; `tokens assign` is stricter), through the library.
fn set_user(env: &Env, serial: u64, login: &str, first: &str, last: &str) {
    let mut workspace = ws::open(&env.root);
    let serial = tokendist::token::Serial::from_value(serial).unwrap();
    workspace
        .update_inventory(|inventory| {
            inventory.get_mut(&serial).unwrap().user =
                Some(tokendist::workspace::AssignedUser::new(login, first, last));
            Ok(())
        })
        .unwrap();
}

fn mode_of(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

// Defect 4: the workspace trusts its own permissions.

#[test]
fn a_workspace_directory_others_can_write_is_refused_with_the_chmod_that_fixes_it() {
    let env = env(2);
    env.chmod(".", 0o777);
    let run = env.run(&["tokens", "list"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("other users can write it (mode 0777)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("chmod 700"), "{}", run.stderr);
    assert_eq!(run.stdout, "", "nothing was listed");
    assert_eq!(mode_of(&env.root), 0o777, "refused, not silently changed");
    env.chmod(".", 0o700);
    assert_eq!(env.run(&["tokens", "list"]).code, Some(0));
}

#[test]
fn an_inventory_or_configuration_others_can_write_is_refused() {
    let env = env(2);
    for name in ["inventory.vault", "tokendist.toml"] {
        env.chmod(name, 0o666);
        let run = env.run(&["tokens", "list"]);
        assert_eq!(run.code, Some(1), "{name}: {}", run.stderr);
        assert!(run.stderr.contains(name), "{}", run.stderr);
        assert!(run.stderr.contains("chmod 600"), "{}", run.stderr);
        env.chmod(name, 0o600);
    }
    // `profiles list` reads the configuration without the passphrase: the same rule.
    env.chmod("tokendist.toml", 0o664);
    let run = env.run(&["profiles", "list"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("chmod 600"), "{}", run.stderr);
}

#[test]
fn a_symlink_at_the_lock_is_refused_and_its_target_is_not_truncated() {
    let env = env(2);
    let victim = env.path("victim.txt");
    std::fs::write(&victim, "an administrator's file\n").unwrap();
    let lock = env.root.join("lock");
    let _ = std::fs::remove_file(&lock);
    std::os::unix::fs::symlink(&victim, &lock).unwrap();
    let run = env.run(&["tokens", "list"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "an administrator's file\n"
    );
}

#[test]
fn a_symlink_for_the_inventory_or_configuration_is_refused_not_followed() {
    let env = env(2);
    for name in ["inventory.vault", "tokendist.toml"] {
        let real = env.path(&format!("real-{name}"));
        std::fs::rename(env.root.join(name), &real).unwrap();
        std::os::unix::fs::symlink(&real, env.root.join(name)).unwrap();
        let run = env.run(&["tokens", "list"]);
        assert_eq!(run.code, Some(1), "{name}: {}", run.stderr);
        assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
        std::fs::remove_file(env.root.join(name)).unwrap();
        std::fs::rename(&real, env.root.join(name)).unwrap();
    }
    assert_eq!(env.run(&["tokens", "list"]).code, Some(0));
}

#[test]
fn a_symlinked_jobs_directory_is_refused_and_its_target_keeps_its_mode() {
    let env = env(2);
    let elsewhere = env.path("shared-dir");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::remove_dir_all(env.root.join("jobs")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, env.root.join("jobs")).unwrap();
    let run = env.run(&["jobs", "list"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert_eq!(mode_of(&elsewhere), 0o755, "the link's target was re-moded");
}

#[test]
fn a_passphrase_file_others_can_read_draws_a_warning_and_a_private_one_none() {
    let env = env(2);
    std::fs::set_permissions(&env.passphrase, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = env.run(&["tokens", "list"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("warning"), "{}", run.stderr);
    assert!(
        run.stderr.contains("can be read by other users"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("chmod 600"), "{}", run.stderr);
    std::fs::set_permissions(&env.passphrase, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = env.run(&["tokens", "list"]);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}

// Defect 6: a closed standard output.

fn assert_quiet_success(run: &Run, what: &str) {
    assert!(
        !run.stderr.contains("panicked"),
        "{what} panicked: {}",
        run.stderr
    );
    assert_eq!(run.code, Some(0), "{what}: {}", run.stderr);
}

#[test]
fn a_closed_stdout_ends_every_command_quietly_with_the_status_of_its_work() {
    let env = env(6);
    let job = |name: &str, serials: &str| {
        let run = env.run(&[
            "jobs",
            "submit",
            "--profile",
            "Android",
            "--serials",
            serials,
            "--protection",
            "user-id",
            "--name",
            name,
        ]);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
    };
    job("first", "1000-1001");

    // The job is done although nothing could be printed, and the status says so.
    let run = env.run_with_closed_stdout(&[
        "jobs",
        "submit",
        "--profile",
        "Android",
        "--serials",
        "1002-1003",
        "--protection",
        "user-id",
        "--name",
        "second",
    ]);
    assert_quiet_success(&run, "jobs submit");
    let listed = env.run(&["jobs", "list", "--json"]);
    assert!(listed.stdout.contains("\"second\""), "{}", listed.stdout);
    assert!(listed.stdout.contains("\"completed\""), "{}", listed.stdout);

    for args in [
        &["jobs", "list"][..],
        &["jobs", "list", "--json"],
        &["jobs", "show", "first"],
        &["jobs", "show", "first", "--json"],
        &["tokens", "list"],
        &["tokens", "list", "--json"],
        &["profiles", "list"],
    ] {
        assert_quiet_success(&env.run_with_closed_stdout(args), &args.join(" "));
    }

    let zip = env.path("first.zip");
    let run = env.run_with_closed_stdout(&[
        "jobs",
        "download",
        "first",
        "--output",
        zip.to_str().unwrap(),
    ]);
    assert_quiet_success(&run, "jobs download");
    assert!(zip.is_file(), "the download happened");
    assert_quiet_success(
        &env.run_with_closed_stdout(&["jobs", "delete", "second"]),
        "jobs delete",
    );

    let csv = env.path("assign.csv");
    std::fs::write(
        &csv,
        "serial,user_login,first_name,last_name\n000000001004,newuser,New,User\n",
    )
    .unwrap();
    assert_quiet_success(
        &env.run_with_closed_stdout(&["tokens", "assign", csv.to_str().unwrap()]),
        "tokens assign",
    );
    assert_quiet_success(
        &env.run_with_closed_stdout(&["tokens", "unassign", "1005"]),
        "tokens unassign",
    );
    let password = env.path("export-password");
    std::fs::write(&password, "export pw\n").unwrap();
    std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).unwrap();
    let export = env.path("backup.sdtid");
    assert_quiet_success(
        &env.run_with_closed_stdout(&[
            "tokens",
            "export",
            export.to_str().unwrap(),
            "--file-password-file",
            password.to_str().unwrap(),
        ]),
        "tokens export",
    );
    assert!(export.is_file(), "the export happened");

    let single = env.path("single.sdtid");
    assert_quiet_success(
        &env.run_with_closed_stdout(&["sdtid", "issue", "--out", single.to_str().unwrap()]),
        "sdtid issue",
    );
    assert!(single.is_file(), "the file was issued");
    assert_quiet_success(
        &env.run_with_closed_stdout(&["sdtid", "code", single.to_str().unwrap()]),
        "sdtid code",
    );
    assert_quiet_success(
        &env.run_with_closed_stdout(&["sdtid", "inspect", single.to_str().unwrap()]),
        "sdtid inspect",
    );

    // A failure stays a failure, with its message, when stdout is closed.
    let run = env.run_with_closed_stdout(&["jobs", "show", "no-such-job"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("no job with id or name"),
        "{}",
        run.stderr
    );
}

// Defect 7: `sdtid inspect` size.

#[test]
fn sdtid_inspect_refuses_a_file_over_its_size_limit_with_a_clear_error() {
    let env = env(1);
    let huge = env.path("huge.sdtid");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(100 * 1024 * 1024).unwrap();
    let run = env.run(&["sdtid", "inspect", huge.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("100.0 MiB"), "{}", run.stderr);
    assert!(
        run.stderr.contains("over the 64 MiB limit"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn sdtid_inspect_streams_a_multi_token_report_that_is_still_one_json_document() {
    let env = env(1);
    let file = env.path("v7.sdtid");
    std::fs::write(&file, fixture_text("v7.sdtid")).unwrap();
    let run = env.run(&["sdtid", "inspect", "--json", file.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["token_count"], 3);
    assert_eq!(report["tokens"].as_array().unwrap().len(), 3);
    assert!(report["elements"].as_array().unwrap().len() > 30);
    assert_eq!(report["status"], "password-required");
}

// Defect 8: a damaged inventory header.

#[test]
fn a_damaged_inventory_header_is_reported_as_damage_not_as_a_wrong_passphrase() {
    let env = env(1);
    let path = env.root.join("inventory.vault");
    let original = std::fs::read(&path).unwrap();
    // The salt, the key check, a KDF parameter, the checksum: each would have read as a wrong
    // passphrase (or run the key derivation on a damaged memory size) before.
    for at in [12, 30, 60, 72] {
        let mut damaged = original.clone();
        damaged[at] ^= 0x04;
        std::fs::write(&path, &damaged).unwrap();
        let started = Instant::now();
        let run = env.run(&["tokens", "list"]);
        assert_eq!(run.code, Some(1), "byte {at}: {}", run.stderr);
        assert!(
            !run.stderr.contains("wrong passphrase"),
            "byte {at}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("damaged"), "byte {at}: {}", run.stderr);
        assert!(
            run.stderr.contains("restore it from a backup"),
            "{}",
            run.stderr
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "reported at once"
        );
    }
    std::fs::write(&path, &original).unwrap();
    assert_eq!(env.run(&["tokens", "list"]).code, Some(0));
}

/// Found by fuzzing `inventory_header`: a body length near `u64::MAX` overflowed the "truncated
/// (N of M bytes)" arithmetic (a panic in a checked build, a wrong size otherwise).
#[test]
fn an_inventory_length_field_beyond_any_file_is_reported_as_damage_not_a_panic() {
    let env = env(1);
    let path = env.root.join("inventory.vault");
    let original = std::fs::read(&path).unwrap();
    let mut damaged = original.clone();
    // The body length (u64 LE) follows the 78-byte format 2 header.
    let length_at = 78;
    damaged[length_at..length_at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(&path, &damaged).unwrap();
    let run = env.run(&["tokens", "list"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("length field"), "{}", run.stderr);
    assert!(run.stderr.contains("damaged"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    std::fs::write(&path, &original).unwrap();
    assert_eq!(env.run(&["tokens", "list"]).code, Some(0));
}

// Defect 9: control characters from files.

#[test]
fn names_from_files_reach_the_terminal_escaped_in_tokens_list_and_the_review() {
    let env = env(2);
    // C1 CSI and DEL are valid XML characters; a bidi override reorders what is shown.
    set_user(&env, 1000, "evil\u{9b}2J", "Ann\u{7f}", "Smith\u{202e}gpj");
    let run = env.run(&["tokens", "list"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    for raw in ['\u{9b}', '\u{7f}', '\u{202e}'] {
        assert!(!run.stdout.contains(raw), "{raw:?} in {}", run.stdout);
    }
    assert!(run.stdout.contains("evil\\u{9b}2J"), "{}", run.stdout);
    assert!(run.stdout.contains("Smith\\u{202e}gpj"), "{}", run.stdout);
    let run = env.run(&[
        "jobs",
        "submit",
        "--profile",
        "Android",
        "--serials",
        "1000",
        "--protection",
        "none",
        "--yes",
    ]);
    for raw in ['\u{9b}', '\u{7f}', '\u{202e}'] {
        assert!(
            !run.stdout.contains(raw),
            "{raw:?} in the review: {}",
            run.stdout
        );
        assert!(!run.stderr.contains(raw), "{raw:?} in: {}", run.stderr);
    }
}

#[test]
fn an_import_error_quoting_the_file_is_escaped() {
    let env = env(1);
    let file = env.path("bad.sdtid");
    std::fs::write(
        &file,
        "<?xml version=\"1.0\"?>\n<TKNBatch>\u{1b}]0;pwned\u{7}<",
    )
    .unwrap();
    let run = env.run(&["tokens", "import", file.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    assert!(!run.stderr.contains('\u{7}'), "{:?}", run.stderr);
}

// Defect 11: non-ASCII names and the backup.

#[test]
fn the_whole_inventory_exports_with_ascii_spellings_and_a_note_for_non_ascii_names() {
    let env = env(3);
    set_user(&env, 1001, "jose", "José", "Pérez");
    set_user(&env, 1002, "wang", "王", "伟");
    let password = env.path("pw");
    std::fs::write(&password, "backup pw\n").unwrap();
    std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).unwrap();
    let export = env.path("backup.sdtid");
    let run = env.run(&[
        "tokens",
        "export",
        export.to_str().unwrap(),
        "--file-password-file",
        password.to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("3 token(s) exported"), "{}", run.stdout);
    assert!(run.stdout.contains("note: 2 token(s)"), "{}", run.stdout);
    assert!(run.stdout.contains("000000001001"), "{}", run.stdout);
    let tokens = tokendist::workspace::import::decode_record_file(
        &std::fs::read(&export).unwrap(),
        Some(&tokendist::secret::SecretString::from("backup pw")),
    )
    .unwrap();
    assert_eq!(tokens.len(), 3);
    let jose = tokens[1].user.as_ref().unwrap();
    assert_eq!(
        (jose.login(), jose.first_name(), jose.last_name()),
        ("jose", "Jose", "Perez")
    );
    let wang = tokens[2].user.as_ref().unwrap();
    assert_eq!(wang.login(), "wang");
    assert_eq!(
        wang.first_name(),
        "",
        "no ASCII spelling: left out, with the note"
    );
}

// Item 12.

#[test]
fn a_duplicate_serial_says_nothing_was_imported_once() {
    let env = env(1);
    let serial = tokendist::token::Serial::parse("000444000101").unwrap();
    let token = crate::common::sdtid_token(
        serial,
        [1; 16],
        time::macros::date!(2025 - 01 - 01),
        time::macros::date!(2035 - 12 - 31),
    );
    let single =
        tokendist::sdtid::write(&tokendist::sdtid::BatchHeader::default(), &[token], None).unwrap();
    // The same token twice: each TKN keeps its own valid MAC (our writer refuses to do this).
    let (begin, end) = (
        single.find("<TKN>").unwrap(),
        single.find("</TKN>").unwrap() + 6,
    );
    let document = format!(
        "{}{}{}",
        &single[..end],
        &single[begin..end],
        &single[end..]
    );
    let file = env.path("dup.sdtid");
    std::fs::write(&file, document).unwrap();
    let run = env.run(&["tokens", "import", file.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("appears more than once"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches("nothing was imported").count(),
        1,
        "{}",
        run.stderr
    );
}

#[test]
fn sdtid_issue_takes_the_nickname_rule_of_jobs() {
    let env = env(1);
    let out = env.path("nick.sdtid");
    let run = env.run(&[
        "sdtid",
        "issue",
        "--out",
        out.to_str().unwrap(),
        "--nickname",
        &"n".repeat(25),
    ]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("--nickname"), "{}", run.stderr);
    assert!(run.stderr.contains("at most 24"), "{}", run.stderr);
    assert!(!out.exists());
    let run = env.run(&[
        "sdtid",
        "issue",
        "--out",
        out.to_str().unwrap(),
        "--nickname",
        &"n".repeat(24),
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

#[test]
fn token_files_with_octal_looking_integers_or_impossible_digits_are_refused() {
    let env = env(1);
    for (from, to, expect) in [
        (
            "<DefDigits>8</DefDigits>",
            "<DefDigits>08</DefDigits>",
            "leading zero",
        ),
        (
            "<DefInterval>60</DefInterval>",
            "<DefInterval>060</DefInterval>",
            "leading zero",
        ),
        (
            "<DefDigits>8</DefDigits>",
            "<DefDigits>7</DefDigits>",
            "6 or 8",
        ),
        (
            "<DefDigits>8</DefDigits>",
            "<DefDigits>1</DefDigits>",
            "6 or 8",
        ),
    ] {
        let text = fixture_text("v1.sdtid");
        assert!(text.contains(from), "fixture has {from}");
        let file = env.path("edited.sdtid");
        std::fs::write(&file, text.replace(from, to)).unwrap();
        let run = env.run(&["sdtid", "inspect", file.to_str().unwrap()]);
        assert_eq!(run.code, Some(1), "{to}: {}", run.stderr);
        assert!(run.stderr.contains(expect), "{to}: {}", run.stderr);
    }
}
