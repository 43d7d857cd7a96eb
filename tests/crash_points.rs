//! Crash points as data, after SQLite's crash testing: every point, not random luck.
//!
//! Each operation of [`operations`] runs once with `TOKENDIST_CRASH_TRACE` to list the durable
//! steps it passes (`src/crashpoint.rs`), with how often it passes each. Then, for every
//! (point, n), it runs again from the same starting state and is stopped the n-th time it
//! reaches the point (`TOKENDIST_CRASH_AT=point#n`: an abort, no destructor, no flush — what
//! `kill -9` leaves). The operator's next commands then run (the operation's `settle` list,
//! usually `jobs list`), and the invariants are checked:
//!
//! - the workspace opens (an interrupted `init` can be run again);
//! - the inventory is the old state or the new one, nothing in between;
//! - the history tells the truth about it: no job left running, a completed job's tokens (and
//!   only a completed job's) are marked distributed by it, and its output downloads and checks;
//! - no temporary file, no plaintext ZIP in the workspace, no `.tokendist-download-*` beside a
//!   download; a file at the download target is the job's ZIP and its download is recorded;
//! - every staging folder is explained by a job with output.
//!
//! To add an operation (passphrase rotation, backup, token removal, …), add an [`Operation`]
//! to [`operations`] and a `#[test]` calling [`crash_everywhere`] with it. A random `kill -9`
//! test stays as well ([`random_kills_during_submit_and_download_leave_the_truth`]).

use crate::jobs_common::workspace as ws;
use sha2::Digest;
use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use tokendist::jobs::{History, JobStatus};
use tokendist::secret::SecretString;
use tokendist::workspace::{Workspace, WorkspaceError};

/// A scratch directory: the workspace (`ws/`, possibly not created yet), the passphrase file
/// and whatever files an operation reads or writes next to it (`out/`).
pub struct Lab {
    _temp: tempfile::TempDir,
    pub root: PathBuf,
    /// The passphrase the operator uses (after a committed rotation, the new one).
    pub passphrase: PathBuf,
    /// The passphrase a rotation changes to ([`NEW_PASSPHRASE`]).
    pub new_passphrase: PathBuf,
    pub out: PathBuf,
}

/// What the `passphrase` operation changes the workspace passphrase to.
const NEW_PASSPHRASE: &str = "the new passphrase of the crash lab";

impl Lab {
    fn new() -> Lab {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let new_passphrase = temp.path().join("new-passphrase.txt");
        write_private(&new_passphrase, NEW_PASSPHRASE);
        Lab {
            root: temp.path().join("ws"),
            passphrase: ws::passphrase_file(temp.path()),
            new_passphrase,
            out,
            _temp: temp,
        }
    }

    /// `tokendist --workspace WS --passphrase-file FILE ARGS` (`sdtid` commands, which use no
    /// workspace, without those), stdin closed, run in `out/`.
    pub fn command(&self, args: &[String]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tokendist"));
        if args.first().is_none_or(|first| first != "sdtid") {
            command
                .arg("--workspace")
                .arg(&self.root)
                .arg("--passphrase-file")
                .arg(&self.passphrase);
        }
        command
            .args(args)
            .current_dir(&self.out)
            .env_remove("TOKENDIST_HOME")
            .env_remove("TOKENDIST_PASSPHRASE_FILE")
            .env_remove("TOKENDIST_CRASH_AT")
            .env_remove("TOKENDIST_CRASH_TRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs `args` to the end (with a deadline) and returns its output.
    pub fn run(&self, args: &[String], env: &[(&str, &str)]) -> Output {
        let mut command = self.command(args);
        for (key, value) in env {
            command.env(key, value);
        }
        wait_with_deadline(command.spawn().unwrap(), args)
    }

    /// Runs `args` and insists on success.
    pub fn ok(&self, args: &[&str]) -> String {
        let args = strings(args);
        let output = self.run(&args, &[]);
        assert!(
            output.status.success(),
            "tokendist {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    pub fn out_path(&self, name: &str) -> String {
        self.out.join(name).to_str().unwrap().to_owned()
    }

    /// The folder holding the workspace, `out/` and the passphrase files.
    pub fn base(&self) -> &Path {
        self._temp.path()
    }

    /// The passphrase the operator now uses.
    fn passphrase_text(&self) -> String {
        std::fs::read_to_string(&self.passphrase)
            .unwrap()
            .trim_end()
            .to_owned()
    }
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, format!("{text}\n")).unwrap();
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
}

fn wait_with_deadline(mut child: std::process::Child, args: &[String]) -> Output {
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "tokendist {args:?} hung");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.wait_with_output().unwrap()
}

pub fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

/// One durable operation, as data.
pub struct Operation {
    pub name: &'static str,
    /// Whether the operation, left alone, ends in success (a refused one still has points).
    pub succeeds: bool,
    /// Extra environment of the operation's runs, e.g. `TOKENDIST_FAIL_AT` to drive a failure
    /// path (`src/crashpoint.rs`); not passed to the `settle` commands.
    pub env: &'static [(&'static str, &'static str)],
    /// Builds the state the operation starts from.
    pub setup: fn(&Lab),
    /// The operation's arguments (after the workspace and passphrase options).
    pub args: fn(&Lab) -> Vec<String>,
    /// What the operator runs next after a crash (each must succeed) before the invariants
    /// are checked; usually `jobs list`, which settles the job history.
    pub settle: &'static [&'static [&'static str]],
    /// Files the operation writes in `out/` (its own checks judge them; any other new file
    /// there must be a recorded download).
    pub outputs: &'static [&'static str],
    /// The operation's own checks after a crash, run before `settle` (they may also do what an
    /// operator does next, such as running a restore again).
    pub after_crash: Option<fn(&Lab, &str)>,
}

const LIST: &[&[&str]] = &[&["jobs", "list"]];

/// Small workspaces keep the whole table fast: five tokens, cheap key derivation.
const TOKENS: u64 = 5;
const FIRST: u64 = 1000;

fn workspace(lab: &Lab) {
    drop(ws::create(&lab.root, FIRST, TOKENS));
}

fn submit_args(name: &str) -> Vec<String> {
    strings(&[
        "jobs",
        "submit",
        "--profile",
        "Android",
        "--serials",
        "1000-1004",
        "--protection",
        "none",
        "--name",
        name,
        "--yes",
    ])
}

fn with_completed_job(lab: &Lab) {
    workspace(lab);
    let output = lab.run(&submit_args("Done"), &[]);
    assert!(output.status.success(), "{output:?}");
}

/// A job whose process died at `point`: the state recovery starts from.
fn with_job_crashed_at(lab: &Lab, point: &str) {
    workspace(lab);
    let output = lab.run(&submit_args("Crashed"), &[("TOKENDIST_CRASH_AT", point)]);
    assert_eq!(output.status.signal(), Some(6), "{point} was not reached");
}

/// Every operation that writes the workspace. Each entry's setup must be deterministic so the
/// same points are reached in the same order on every run.
pub fn operations() -> Vec<Operation> {
    vec![
        Operation {
            name: "init",
            succeeds: true,
            env: &[],
            setup: |_| {},
            args: |_| strings(&["init"]),
            settle: &[],
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "tokens import",
            succeeds: true,
            env: &[],
            setup: |lab| {
                workspace(lab);
                let other = tempfile::tempdir().unwrap();
                let source = ws::create(&other.path().join("ws"), 2000, 3);
                let document = tokendist::workspace::export::export_record_file(
                    source.inventory(),
                    &source.config().header,
                    &[],
                    &"file-pw".into(),
                )
                .unwrap()
                .document;
                std::fs::write(lab.out.join("batch.sdtid"), document).unwrap();
                std::fs::write(lab.out.join("file-pw"), "file-pw\n").unwrap();
            },
            args: |lab| {
                strings(&[
                    "tokens",
                    "import",
                    &lab.out_path("batch.sdtid"),
                    "--file-password-file",
                    &lab.out_path("file-pw"),
                ])
            },
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "tokens assign",
            succeeds: true,
            env: &[],
            setup: |lab| {
                workspace(lab);
                std::fs::write(
                    lab.out.join("users.csv"),
                    "serial,user_login,first_name,last_name\n000000001000,alice,Alice,Liddell\n000000001001,bob,Bob,Builder\n",
                )
                .unwrap();
            },
            args: |lab| strings(&["tokens", "assign", &lab.out_path("users.csv")]),
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "tokens unassign",
            succeeds: true,
            env: &[],
            setup: workspace,
            args: |_| strings(&["tokens", "unassign", "000000001002", "000000001003"]),
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "jobs submit",
            succeeds: true,
            env: &[],
            setup: workspace,
            args: |_| submit_args("Crash"),
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "jobs submit, two sealed chunks",
            succeeds: true,
            env: &[],
            setup: |lab| drop(ws::create(&lab.root, FIRST, 250)),
            args: |_| {
                let mut args = submit_args("Crash");
                args[5] = "1000-1249".into();
                args
            },
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "jobs submit that fails",
            succeeds: false,
            // The staged output cannot be synced (a failing disk): the failed ending records
            // its error, then disposes of the key and the staged files.
            env: &[("TOKENDIST_FAIL_AT", "job.run.output-sync")],
            setup: workspace,
            args: |_| submit_args("Crash"),
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "jobs submit, cancelled",
            succeeds: false,
            // The operator cancels once the output exists (deterministically, in test builds).
            env: &[("TOKENDIST_FAIL_AT", "job.run.cancel")],
            setup: workspace,
            args: |_| submit_args("Crash"),
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "jobs submit whose inventory cannot be saved",
            succeeds: false,
            // The files were generated but the commit point fails: nothing is marked, the
            // record says failed, and the generated files are discarded.
            env: &[("TOKENDIST_FAIL_AT", "inventory.rename")],
            setup: workspace,
            args: |_| submit_args("Crash"),
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "jobs submit that cannot stage",
            succeeds: false,
            // The job key cannot be written (disk full) right after the record exists.
            env: &[("TOKENDIST_FAIL_AT", "job.start.key.rename")],
            setup: workspace,
            args: |_| submit_args("Crash"),
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "jobs download that fails",
            succeeds: false,
            env: &[],
            setup: with_completed_job,
            args: |lab| {
                strings(&[
                    "jobs",
                    "download",
                    "Done",
                    "--output",
                    &lab.out_path("no-such-folder/done.zip"),
                ])
            },
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "jobs download, cancelled",
            succeeds: false,
            // The operator cancels at the first write (as Esc in the TUI does): the temporary
            // file goes and the pending note is cleared, the job downloadable again.
            env: &[("TOKENDIST_FAIL_AT", "job.download.cancel")],
            setup: with_completed_job,
            args: |lab| {
                strings(&[
                    "jobs",
                    "download",
                    "Done",
                    "--output",
                    &lab.out_path("done.zip"),
                ])
            },
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "jobs download",
            succeeds: true,
            env: &[],
            setup: with_completed_job,
            args: |lab| {
                strings(&[
                    "jobs",
                    "download",
                    "Done",
                    "--output",
                    &lab.out_path("done.zip"),
                ])
            },
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "jobs download --force",
            succeeds: true,
            env: &[],
            setup: |lab| {
                with_completed_job(lab);
                std::fs::write(lab.out.join("done.zip"), b"an older file").unwrap();
            },
            args: |lab| {
                strings(&[
                    "jobs",
                    "download",
                    "Done",
                    "--output",
                    &lab.out_path("done.zip"),
                    "--force",
                ])
            },
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "jobs delete",
            succeeds: true,
            env: &[],
            setup: with_completed_job,
            args: |_| strings(&["jobs", "delete", "Done"]),
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "recovery of a job that committed",
            succeeds: true,
            env: &[],
            setup: |lab| with_job_crashed_at(lab, "job.finish.inventory-saved"),
            // `jobs list` reads the history without the inventory and leaves such a job
            // unsettled; `jobs recover` (or any command opening the inventory) settles it.
            args: |_| strings(&["jobs", "recover"]),
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "recovery of a job that did not commit",
            succeeds: true,
            env: &[],
            setup: |lab| with_job_crashed_at(lab, "job.run.output-dir-synced"),
            // `jobs list` reads the history without the inventory and leaves such a job
            // unsettled; `jobs recover` (or any command opening the inventory) settles it.
            args: |_| strings(&["jobs", "recover"]),
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "recovery of a download",
            succeeds: true,
            env: &[],
            setup: |lab| {
                with_completed_job(lab);
                let args = strings(&[
                    "jobs",
                    "download",
                    "Done",
                    "--output",
                    &lab.out_path("done.zip"),
                ]);
                let output = lab.run(&args, &[("TOKENDIST_CRASH_AT", "job.download.temp-synced")]);
                assert_eq!(output.status.signal(), Some(6));
            },
            args: |_| strings(&["jobs", "list"]),
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "jobs recover",
            succeeds: true,
            env: &[],
            setup: |lab| {
                with_completed_job(lab);
                let history = lab.root.join("jobs/history.jsonl");
                let mut text = std::fs::read_to_string(&history).unwrap();
                text.push_str("{\"id\": \"garbage\n");
                std::fs::write(&history, text).unwrap();
            },
            args: |_| strings(&["jobs", "recover"]),
            // What the operator does after a crash during recovery: run it again.
            settle: &[&["jobs", "recover"], &["jobs", "list"]],
            outputs: &[],
            after_crash: None,
        },
        // The operator's year (issue 10): rotation, retiring tokens, backup and restore.
        Operation {
            name: "passphrase",
            succeeds: true,
            env: &[],
            setup: with_completed_job,
            args: |lab| {
                strings(&[
                    "passphrase",
                    "--new-passphrase-file",
                    lab.new_passphrase.to_str().unwrap(),
                ])
            },
            settle: LIST,
            outputs: &[],
            after_crash: Some(rotation_after_crash),
        },
        Operation {
            name: "tokens remove",
            succeeds: true,
            env: &[],
            // Two of the completed job's tokens: its record stays, they leave the inventory.
            setup: with_completed_job,
            args: |_| strings(&["tokens", "remove", "000000001003", "000000001004", "--yes"]),
            settle: LIST,
            outputs: &[],
            after_crash: None,
        },
        Operation {
            name: "backup",
            succeeds: true,
            env: &[],
            setup: with_completed_job,
            args: |lab| strings(&["backup", &lab.out_path(BACKUP)]),
            settle: LIST,
            outputs: &[BACKUP],
            after_crash: Some(backup_after_crash),
        },
        Operation {
            name: "backup --force",
            succeeds: true,
            env: &[],
            setup: |lab| {
                with_completed_job(lab);
                std::fs::write(lab.out.join(BACKUP), OLDER_FILE).unwrap();
            },
            args: |lab| strings(&["backup", &lab.out_path(BACKUP), "--force"]),
            settle: LIST,
            outputs: &[BACKUP],
            // Replacing needs a name for the new file before the rename: a kill in that one
            // step (`backup.temp-linked`) leaves it as `.FILE.XXXXXX.tmp`, which the operator's
            // next backup to FILE removes.
            after_crash: Some(|lab, context| {
                backup_after_crash(lab, context);
                let args = strings(&["backup", &lab.out_path(BACKUP), "--force"]);
                let output = lab.run(&args, &[]);
                assert!(
                    output.status.success(),
                    "{context}: backup again: {output:?}"
                );
            }),
        },
        Operation {
            name: "restore",
            succeeds: true,
            env: &[],
            // The workspace is backed up and moved away; the restore recreates it in place.
            setup: |lab| {
                with_completed_job(lab);
                lab.ok(&["backup", &lab.out_path(BACKUP)]);
                std::fs::rename(&lab.root, lab.base().join("moved-away")).unwrap();
            },
            args: |lab| strings(&["restore", &lab.out_path(BACKUP)]),
            settle: LIST,
            outputs: &[],
            after_crash: Some(restore_after_crash),
        },
        Operation {
            name: "recovery of a passphrase change that did not commit",
            succeeds: true,
            env: &[],
            // The next open rolls the change back: `.next` files, then the journal.
            setup: |lab| rotation_crashed_at(lab, "passphrase.inventory-staged"),
            // `jobs list` reads only the history now; opening the inventory settles a rotation.
            args: |_| strings(&["tokens", "list"]),
            settle: &[&["tokens", "list"]],
            outputs: &[],
            after_crash: Some(rotation_after_crash),
        },
        Operation {
            name: "recovery of a passphrase change that committed",
            succeeds: true,
            env: &[],
            // The next open rolls the change forward (with the new passphrase).
            setup: |lab| {
                rotation_crashed_at(lab, "passphrase.committed");
                write_private(&lab.passphrase, NEW_PASSPHRASE);
            },
            args: |_| strings(&["tokens", "list"]),
            settle: &[&["tokens", "list"]],
            outputs: &[],
            after_crash: Some(rotation_after_crash),
        },
        Operation {
            name: "restore after an interrupted restore",
            succeeds: true,
            env: &[],
            // The hidden staging directory of the first restore is removed by the second.
            setup: |lab| {
                with_completed_job(lab);
                lab.ok(&["backup", &lab.out_path(BACKUP)]);
                std::fs::rename(&lab.root, lab.base().join("moved-away")).unwrap();
                let args = strings(&["restore", &lab.out_path(BACKUP)]);
                let output = lab.run(&args, &[("TOKENDIST_CRASH_AT", "restore.verified")]);
                assert_eq!(output.status.signal(), Some(6), "{output:?}");
            },
            args: |lab| strings(&["restore", &lab.out_path(BACKUP)]),
            settle: LIST,
            outputs: &[],
            after_crash: Some(restore_after_crash),
        },
        // Files written outside the workspace: no temporary file may outlive a crash.
        Operation {
            name: "tokens export",
            succeeds: true,
            env: &[],
            setup: export_setup,
            args: |lab| export_args(lab, false),
            settle: LIST,
            outputs: &[EXPORT],
            after_crash: Some(export_after_crash),
        },
        Operation {
            name: "tokens export --force",
            succeeds: true,
            env: &[],
            setup: |lab| {
                export_setup(lab);
                std::fs::write(lab.out.join(EXPORT), OLDER_FILE).unwrap();
            },
            args: |lab| export_args(lab, true),
            settle: LIST,
            outputs: &[EXPORT],
            // As for `backup --force`: the next export of the file removes what a kill at
            // `tokens.export.temp-linked` left.
            after_crash: Some(|lab, context| {
                export_after_crash(lab, context);
                let output = lab.run(&export_args(lab, true), &[]);
                assert!(
                    output.status.success(),
                    "{context}: export again: {output:?}"
                );
            }),
        },
        Operation {
            name: "tokens export without O_TMPFILE",
            succeeds: true,
            // The fallback of file systems without unnamed files: a named temporary, which a
            // crash can leave and the next export of that file removes.
            env: &[("TOKENDIST_FAIL_AT", "publish.no-tmpfile")],
            setup: export_setup,
            args: |lab| export_args(lab, false),
            settle: LIST,
            outputs: &[EXPORT],
            after_crash: Some(|lab, context| {
                export_after_crash(lab, context);
                let output = lab.run(&export_args(lab, true), &[]);
                assert!(
                    output.status.success(),
                    "{context}: export again: {output:?}"
                );
            }),
        },
        Operation {
            name: "sdtid issue",
            succeeds: true,
            env: &[],
            setup: workspace,
            args: |lab| issue_args(lab, false),
            settle: LIST,
            outputs: &[ISSUED],
            after_crash: Some(issue_after_crash),
        },
        Operation {
            name: "sdtid issue --force",
            succeeds: true,
            env: &[],
            setup: |lab| {
                workspace(lab);
                std::fs::write(lab.out.join(ISSUED), OLDER_FILE).unwrap();
            },
            args: |lab| issue_args(lab, true),
            settle: LIST,
            outputs: &[ISSUED],
            after_crash: Some(|lab, context| {
                issue_after_crash(lab, context);
                let output = lab.run(&issue_args(lab, true), &[]);
                assert!(
                    output.status.success(),
                    "{context}: issue again: {output:?}"
                );
            }),
        },
        Operation {
            name: "sdtid issue without O_TMPFILE",
            succeeds: true,
            env: &[("TOKENDIST_FAIL_AT", "publish.no-tmpfile")],
            setup: workspace,
            args: |lab| issue_args(lab, false),
            settle: LIST,
            outputs: &[ISSUED],
            after_crash: Some(|lab, context| {
                issue_after_crash(lab, context);
                let output = lab.run(&issue_args(lab, true), &[]);
                assert!(
                    output.status.success(),
                    "{context}: issue again: {output:?}"
                );
            }),
        },
    ]
}

const BACKUP: &str = "backup.tdbackup";
const EXPORT: &str = "export.sdtid";
const ISSUED: &str = "issued.sdtid";
/// What an operator had at a target before a `--force` replaced it.
const OLDER_FILE: &[u8] = b"an older file";

/// After a crash in `passphrase`: exactly one of the two passphrases opens the workspace (the
/// first open also settles the change); from then on the operator uses that one. Nothing of
/// the change is left.
fn rotation_after_crash(lab: &Lab, context: &str) {
    let opens = |text: &str| match Workspace::open(&lab.root, &SecretString::from(text)) {
        Ok(_) => true,
        Err(WorkspaceError::WrongPassphrase { .. }) => false,
        Err(error) => panic!("{context}: the workspace does not open: {error}"),
    };
    let (old_opens, new_opens) = (opens(ws::PASSPHRASE), opens(NEW_PASSPHRASE));
    assert!(
        old_opens != new_opens,
        "{context}: old passphrase opens: {old_opens}, new: {new_opens}"
    );
    write_private(
        &lab.passphrase,
        if new_opens {
            NEW_PASSPHRASE
        } else {
            ws::PASSPHRASE
        },
    );
    for file in ws::all_files(&lab.root) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name != "rotation.journal" && !name.ends_with(".next"),
            "{context}: {name} of the change is left"
        );
    }
}

/// A workspace with a completed job whose passphrase change died at `point`.
fn rotation_crashed_at(lab: &Lab, point: &str) {
    with_completed_job(lab);
    let args = strings(&[
        "passphrase",
        "--new-passphrase-file",
        lab.new_passphrase.to_str().unwrap(),
    ]);
    let output = lab.run(&args, &[("TOKENDIST_CRASH_AT", point)]);
    assert_eq!(output.status.signal(), Some(6), "{point}: {output:?}");
}

/// After a crash in `backup`: the target is what was there before, or a whole backup that
/// restores to the workspace as it is.
fn backup_after_crash(lab: &Lab, context: &str) {
    let path = lab.out.join(BACKUP);
    let Ok(bytes) = std::fs::read(&path) else {
        return;
    };
    if bytes == OLDER_FILE {
        return;
    }
    let target = tempfile::tempdir().unwrap();
    let restored = target.path().join("restored");
    let mut command = Command::new(env!("CARGO_BIN_EXE_tokendist"));
    command
        .args(["restore", path.to_str().unwrap(), "--workspace"])
        .arg(&restored)
        .arg("--passphrase-file")
        .arg(&lab.passphrase)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = wait_with_deadline(command.spawn().unwrap(), &[]);
    assert!(
        output.status.success(),
        "{context}: {BACKUP} is there but does not restore: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let source = open(lab).unwrap();
    let copy = Workspace::open(
        &restored,
        &SecretString::from(lab.passphrase_text().as_str()),
    )
    .unwrap();
    assert_eq!(
        inventory_of(&copy),
        inventory_of(&source),
        "{context}: the backup holds another inventory"
    );
}

/// After a crash in `restore`: the target holds no workspace (then the operator restores
/// again) or the whole one; no staging directory of the restore is left beside it.
fn restore_after_crash(lab: &Lab, context: &str) {
    if !Workspace::is_initialised(&lab.root) {
        if let Ok(mut entries) = std::fs::read_dir(&lab.root) {
            assert!(
                entries.next().is_none(),
                "{context}: a half workspace at the target"
            );
        }
        let output = lab.run(&strings(&["restore", &lab.out_path(BACKUP)]), &[]);
        assert!(
            output.status.success(),
            "{context}: restore again: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    for entry in std::fs::read_dir(lab.base()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            !name.starts_with(".ws.restore-"),
            "{context}: the restore's staging directory {name} is left"
        );
    }
}

fn export_setup(lab: &Lab) {
    workspace(lab);
    write_private(&lab.out.join("file-pw"), "file-pw");
}

fn export_args(lab: &Lab, force: bool) -> Vec<String> {
    let mut args = strings(&[
        "tokens",
        "export",
        &lab.out_path(EXPORT),
        "--file-password-file",
        &lab.out_path("file-pw"),
    ]);
    if force {
        args.push("--force".into());
    }
    args
}

fn issue_args(lab: &Lab, force: bool) -> Vec<String> {
    let mut args = strings(&[
        "sdtid",
        "issue",
        "--out",
        &lab.out_path(ISSUED),
        "--serial",
        "000000009999",
    ]);
    if force {
        args.push("--force".into());
    }
    args
}

/// A token file at `name` in `out/` is the older file or a whole one with `tokens` tokens.
fn check_token_file(lab: &Lab, name: &str, tokens: usize, password: Option<&str>, context: &str) {
    let Ok(bytes) = std::fs::read(lab.out.join(name)) else {
        return;
    };
    if bytes == OLDER_FILE {
        return;
    }
    let batch = tokendist::sdtid::parse(&bytes)
        .unwrap_or_else(|error| panic!("{context}: {name} is there but incomplete: {error}"));
    let password = password.map(SecretString::from);
    let decrypted = batch
        .decrypt(password.as_ref())
        .unwrap_or_else(|error| panic!("{context}: {name} does not decrypt: {error}"));
    assert_eq!(decrypted.tokens.len(), tokens, "{context}: {name}");
}

fn export_after_crash(lab: &Lab, context: &str) {
    check_token_file(lab, EXPORT, TOKENS as usize, Some("file-pw"), context);
}

fn issue_after_crash(lab: &Lab, context: &str) {
    check_token_file(lab, ISSUED, 1, None, context);
}

/// What a workspace holds, in terms that do not depend on random job ids.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Inventory(Vec<String>);

fn inventory_of(workspace: &Workspace) -> Inventory {
    let mut rows: Vec<String> = workspace
        .inventory()
        .iter()
        .map(|token| {
            let user = token
                .user
                .as_ref()
                .map(|user| {
                    format!(
                        "{} {} {}",
                        user.login(),
                        user.first_name(),
                        user.last_name()
                    )
                })
                .unwrap_or_default();
            let jobs: Vec<&str> = token
                .distributions
                .iter()
                .map(|distribution| distribution.job_name.as_str())
                .collect();
            format!("{} [{user}] {jobs:?}", token.serial)
        })
        .collect();
    rows.sort();
    Inventory(rows)
}

/// The workspace, opened with the passphrase the operator now uses (for the reference run of
/// a rotation, the new one once the old one no longer opens it).
fn open(lab: &Lab) -> Option<Workspace> {
    if !Workspace::is_initialised(&lab.root) {
        return None;
    }
    let current = SecretString::from(lab.passphrase_text().as_str());
    match Workspace::open(&lab.root, &current) {
        Err(WorkspaceError::WrongPassphrase { .. }) => Some(
            Workspace::open(&lab.root, &SecretString::from(NEW_PASSPHRASE))
                .expect("the workspace opens with neither passphrase"),
        ),
        opened => Some(opened.expect("the workspace does not open")),
    }
}

/// Files next to the workspace and their SHA-256, before the operation.
fn out_files(lab: &Lab) -> BTreeMap<PathBuf, String> {
    std::fs::read_dir(&lab.out)
        .unwrap()
        .flatten()
        .map(|entry| (entry.path(), sha256_file(&entry.path())))
        .collect()
}

fn sha256_file(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    crate::common::hex(&sha2::Sha256::digest(&bytes))
}

/// The points an operation passes, each with how often: (name, n) for every n.
fn trace(op: &Operation) -> (Vec<(String, u64)>, Option<Inventory>) {
    let lab = Lab::new();
    (op.setup)(&lab);
    let trace = lab.out.join("..").join("crash-trace");
    let mut env = op.env.to_vec();
    env.push(("TOKENDIST_CRASH_TRACE", trace.to_str().unwrap()));
    let output = lab.run(&(op.args)(&lab), &env);
    assert_eq!(
        output.status.success(),
        op.succeeds,
        "{} without a crash: {}",
        op.name,
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&trace).unwrap_or_default();
    let mut counts: Vec<(String, u64)> = Vec::new();
    let mut points = Vec::new();
    for name in text.lines() {
        let count = match counts.iter_mut().find(|(known, _)| known == name) {
            Some((_, count)) => {
                *count += 1;
                *count
            }
            None => {
                counts.push((name.to_owned(), 1));
                1
            }
        };
        points.push((name.to_owned(), count));
    }
    let after = open(&lab).map(|workspace| inventory_of(&workspace));
    (points, after)
}

/// Runs `op` killed at each of its crash points in turn and checks the invariants after each.
/// Returns the number of (point, n) crashes tried.
pub fn crash_everywhere(op: &Operation) -> usize {
    let (points, after) = trace(op);
    assert!(
        points.iter().any(|(name, _)| name == "process.start"),
        "the binary under test was built without crash points"
    );
    assert!(
        points.len() > 1,
        "{}: no durable step is named (points: {points:?})",
        op.name
    );
    // The starting state, from a lab of its own: opening a workspace settles what a crash in
    // the setup left (as for the recovery operations), which the runs below must do
    // themselves.
    let before = {
        let lab = Lab::new();
        (op.setup)(&lab);
        open(&lab).map(|workspace| inventory_of(&workspace))
    };
    for (point, n) in &points {
        let lab = Lab::new();
        (op.setup)(&lab);
        let files_before = out_files(&lab);
        let at = format!("{point}#{n}");
        let mut env = op.env.to_vec();
        env.push(("TOKENDIST_CRASH_AT", &at));
        let output = lab.run(&(op.args)(&lab), &env);
        assert_eq!(
            output.status.signal(),
            Some(6),
            "{}: the run did not stop at {at} (stderr: {})",
            op.name,
            String::from_utf8_lossy(&output.stderr)
        );
        let context = format!("{} killed at {at}", op.name);
        check_after_crash(&lab, op, &context, &before, &after, &files_before);
    }
    let names: Vec<String> = points
        .iter()
        .map(|(point, n)| format!("{point}#{n}"))
        .collect();
    eprintln!(
        "{}: {} crash points checked: {}",
        op.name,
        points.len(),
        names.join(" ")
    );
    points.len()
}

/// The invariants after a crash (see the module documentation).
fn check_after_crash(
    lab: &Lab,
    op: &Operation,
    context: &str,
    before: &Option<Inventory>,
    after: &Option<Inventory>,
    files_before: &BTreeMap<PathBuf, String>,
) {
    if op.name == "init" && !Workspace::is_initialised(&lab.root) {
        // An interrupted init leaves no workspace, and init runs again (and tidies up).
        lab.ok(&["init"]);
        assert!(open(lab).is_some(), "{context}: init again");
        no_temporaries(&lab.root, context);
        return;
    }
    if let Some(after_crash) = op.after_crash {
        after_crash(lab, context);
    }
    for args in op.settle {
        let output = lab.run(&strings(args), &[]);
        assert!(
            output.status.success(),
            "{context}: `{}` afterwards failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.contains("not in the job history"),
            "{context}: unexplained staged output after `{}`: {stderr}",
            args.join(" ")
        );
    }
    check_workspace(lab, op.outputs, context, before, after, files_before);
}

fn check_workspace(
    lab: &Lab,
    outputs: &[&str],
    context: &str,
    before: &Option<Inventory>,
    after: &Option<Inventory>,
    files_before: &BTreeMap<PathBuf, String>,
) {
    let workspace = open(lab).unwrap_or_else(|| panic!("{context}: no workspace"));
    let state = inventory_of(&workspace);
    assert!(
        Some(&state) == before.as_ref() || Some(&state) == after.as_ref(),
        "{context}: the inventory is neither the old nor the new state:\n{state:#?}\nold: {before:#?}\nnew: {after:#?}"
    );
    let mut history = History::open(&workspace)
        .unwrap_or_else(|error| panic!("{context}: the history does not open: {error}"));
    let removed_tokens = [before, after]
        .into_iter()
        .flatten()
        .any(|state| state.0.len() > workspace.inventory().len());
    assert!(
        history.unexplained().is_empty(),
        "{context}: unexplained staged output {:?}",
        history.unexplained()
    );
    // The history tells the truth about the inventory.
    let mut marked: BTreeMap<String, usize> = BTreeMap::new();
    for token in workspace.inventory().iter() {
        for distribution in &token.distributions {
            *marked.entry(distribution.job_id.clone()).or_default() += 1;
        }
    }
    for (job, count) in &marked {
        let record = history.get(job).unwrap_or_else(|| {
            panic!("{context}: tokens marked by job {job}, which has no record")
        });
        assert_eq!(
            record.status,
            JobStatus::Completed,
            "{context}: {count} tokens marked by a job recorded {:?}",
            record.status
        );
    }
    for record in history.records() {
        let count = marked.get(&record.id).copied().unwrap_or(0);
        assert!(record.pending_download.is_none(), "{context}: {record:?}");
        match record.status {
            // Retired tokens leave the inventory; the job keeps its record of them.
            JobStatus::Completed if removed_tokens => assert!(
                count > 0 && count <= record.token_count,
                "{context}: a completed job's remaining tokens are not marked"
            ),
            JobStatus::Completed => assert_eq!(
                count, record.token_count,
                "{context}: a completed job's tokens are not all marked"
            ),
            JobStatus::Running => panic!("{context}: a job is still recorded running"),
            _ => assert_eq!(count, 0, "{context}: {record:?} marked tokens"),
        }
    }
    // Every staging folder belongs to a job with output.
    if let Ok(entries) = std::fs::read_dir(lab.root.join("jobs/staged")) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                history.get(&name).is_some_and(|record| record.has_output()),
                "{context}: staging folder {name} is left without a job that has output"
            );
        }
    }
    no_temporaries(&lab.root, context);
    for file in ws::all_files(&lab.root) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(4).any(|window| window == b"PK\x03\x04"),
            "{context}: plaintext ZIP data in {}",
            file.display()
        );
    }
    // Beside the download target: no plaintext temporary; a file there is either as it was or
    // a download the history records.
    for entry in std::fs::read_dir(&lab.out).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            !name.starts_with(".tokendist-download-"),
            "{context}: plaintext temporary {name} left beside the download"
        );
        let sha = sha256_file(&path);
        if files_before.get(&path) == Some(&sha) {
            continue;
        }
        // No temporary file of any writer is left beside its target.
        assert!(
            !name.starts_with('.'),
            "{context}: {name} left in the output folder"
        );
        if outputs.contains(&name.as_str()) {
            continue;
        }
        let recorded = history.records().iter().any(|record| {
            record
                .downloads
                .iter()
                .any(|download| download.path == path && download.sha256 == sha)
        });
        assert!(recorded, "{context}: {name} is not a recorded download");
    }
    // Each output the history offers downloads and matches its recorded SHA-256.
    let offered: Vec<String> = history
        .records()
        .iter()
        .filter(|record| record.has_output())
        .map(|record| record.id.clone())
        .collect();
    let check_dir = tempfile::tempdir().unwrap();
    for id in offered {
        let target = check_dir.path().join(format!("{id}.zip"));
        tokendist::jobs::download(
            &workspace,
            &mut history,
            &id,
            &target,
            false,
            time::OffsetDateTime::now_utc(),
        )
        .unwrap_or_else(|error| panic!("{context}: job {id} offers an output that fails: {error}"));
    }
}

fn no_temporaries(root: &Path, context: &str) {
    if !root.exists() {
        return;
    }
    for file in ws::all_files(root) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.ends_with(".tmp"),
            "{context}: temporary file {} left",
            file.display()
        );
    }
}

fn run(name: &str) -> usize {
    let op = operations()
        .into_iter()
        .find(|op| op.name == name)
        .unwrap_or_else(|| panic!("no operation {name}"));
    crash_everywhere(&op)
}

#[test]
fn the_binary_under_test_is_built_with_crash_points() {
    let lab = Lab::new();
    let trace = lab.out.join("trace");
    let output = lab.run(
        &strings(&["--version"]),
        &[("TOKENDIST_CRASH_TRACE", trace.to_str().unwrap())],
    );
    assert!(output.status.success());
    let text = std::fs::read_to_string(&trace).expect("the binary wrote no crash trace");
    assert_eq!(text.lines().next(), Some("process.start"));
    let output = lab.run(
        &strings(&["--version"]),
        &[("TOKENDIST_CRASH_AT", "process.start")],
    );
    assert_eq!(output.status.signal(), Some(6), "the binary did not stop");
}

#[test]
fn every_crash_point_of_init_leaves_no_workspace_or_a_whole_one() {
    run("init");
}

#[test]
fn every_crash_point_of_tokens_import_leaves_the_old_or_new_inventory() {
    run("tokens import");
}

#[test]
fn every_crash_point_of_tokens_assign_leaves_the_old_or_new_inventory() {
    run("tokens assign");
}

#[test]
fn every_crash_point_of_tokens_unassign_leaves_the_old_or_new_inventory() {
    run("tokens unassign");
}

#[test]
fn every_crash_point_of_a_job_leaves_a_history_that_tells_the_truth() {
    run("jobs submit");
}

#[test]
fn every_crash_point_of_a_failed_job_leaves_a_failed_record_and_no_staged_files() {
    run("jobs submit that fails");
    run("jobs submit whose inventory cannot be saved");
    run("jobs submit that cannot stage");
}

#[test]
fn every_crash_point_of_a_cancelled_job_leaves_no_token_marked_and_no_staged_files() {
    run("jobs submit, cancelled");
}

#[test]
fn every_crash_point_of_a_download_leaves_no_plaintext_and_a_true_record() {
    run("jobs download");
    run("jobs download --force");
    run("jobs download that fails");
    run("jobs download, cancelled");
}

#[test]
fn every_crash_point_of_a_job_writing_two_sealed_chunks_tells_the_truth() {
    run("jobs submit, two sealed chunks");
}

#[test]
fn every_crash_point_of_delete_leaves_no_output_offered_that_is_gone() {
    run("jobs delete");
}

#[test]
fn every_crash_point_of_recovery_leaves_what_recovery_finishes() {
    run("recovery of a job that committed");
    run("recovery of a job that did not commit");
    run("recovery of a download");
}

#[test]
fn every_crash_point_of_jobs_recover_can_be_run_again() {
    run("jobs recover");
}

#[test]
fn every_crash_point_of_a_passphrase_change_leaves_exactly_one_passphrase_working() {
    run("passphrase");
}

#[test]
fn every_crash_point_of_settling_an_interrupted_passphrase_change_leaves_one_passphrase() {
    run("recovery of a passphrase change that did not commit");
    run("recovery of a passphrase change that committed");
}

#[test]
fn every_crash_point_of_a_restore_after_an_interrupted_one_leaves_no_half_workspace() {
    run("restore after an interrupted restore");
}

#[test]
fn every_crash_point_of_tokens_remove_leaves_the_old_or_new_inventory_and_the_records() {
    run("tokens remove");
}

#[test]
fn every_crash_point_of_a_backup_leaves_the_old_file_or_a_whole_backup_and_no_temporary() {
    run("backup");
    run("backup --force");
}

#[test]
fn every_crash_point_of_a_restore_leaves_no_half_workspace_and_no_staging_directory() {
    run("restore");
}

#[test]
fn every_crash_point_of_tokens_export_leaves_no_temporary_file_beside_the_target() {
    run("tokens export");
    run("tokens export --force");
    run("tokens export without O_TMPFILE");
}

#[test]
fn every_crash_point_of_sdtid_issue_leaves_no_temporary_file_beside_the_target() {
    run("sdtid issue");
    run("sdtid issue --force");
    run("sdtid issue without O_TMPFILE");
}

/// The same invariants after `kill -9` at random moments of a larger job and its download
/// (the seed is printed, so a failure can be replayed).
#[test]
fn random_kills_during_submit_and_download_leave_the_truth() {
    let seed = crate::support::rng::TestRng::seed_from_env_or_clock();
    eprintln!("random kills: seed {seed} (replay with TOKENDIST_TEST_SEED={seed})");
    let mut rng = crate::support::rng::TestRng::new(seed);
    let mut args = submit_args("Crash");
    args[5] = "1000-2499".into();
    // The state a run left alone ends in.
    let reference = Lab::new();
    drop(ws::create(&reference.root, FIRST, 1500));
    let timed = Instant::now();
    let output = reference.run(&args, &[]);
    // Kills land within the time a whole submit takes on this machine (a fixed window let
    // every run on a fast, idle machine finish before its kill).
    let window = u64::try_from(timed.elapsed().as_millis())
        .unwrap_or(u64::MAX)
        .max(2);
    assert!(output.status.success(), "{output:?}");
    let after = open(&reference).map(|workspace| inventory_of(&workspace));
    let mut killed = 0;
    for round in 0..6 {
        let lab = Lab::new();
        drop(ws::create(&lab.root, FIRST, 1500));
        let before = open(&lab).map(|workspace| inventory_of(&workspace));
        let started = Instant::now();
        let child = lab.command(&args).spawn().unwrap();
        let delay = Duration::from_millis(rng.range(0, window));
        killed += usize::from(kill_after(child, delay, started));
        let context = format!("submit killed after {delay:?} (round {round})");
        let files_before = out_files(&lab);
        lab.ok(&["jobs", "list"]);
        check_workspace(&lab, &[], &context, &before, &after, &files_before);

        // Download whatever completed, killed at a random moment too.
        let listed = lab.ok(&["jobs", "list"]);
        if listed.contains("completed") {
            let target = lab.out_path("crash.zip");
            let child = lab
                .command(&strings(&[
                    "jobs", "download", "Crash", "--output", &target,
                ]))
                .spawn()
                .unwrap();
            let delay = Duration::from_millis(rng.range(0, 60));
            kill_after(child, delay, Instant::now());
            let context = format!("download killed after {delay:?} (round {round})");
            lab.ok(&["jobs", "list"]);
            check_workspace(&lab, &[], &context, &after, &after, &files_before);
        }
    }
    eprintln!("random kills: {killed} of 6 submits killed while running (window {window} ms)");
    assert!(killed > 0, "no submit was still running when killed");
}

/// Kills `child` (SIGKILL) once `delay` has passed since `started`; true when it was still
/// running then. A child that ended first must have succeeded.
fn kill_after(mut child: std::process::Child, delay: Duration, started: Instant) -> bool {
    while started.elapsed() < delay {
        if let Some(status) = child.try_wait().unwrap() {
            let output = child.wait_with_output().unwrap();
            assert!(status.success(), "ended before the kill: {output:?}");
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill();
    let _ = child.wait();
    true
}
