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
use tokendist::workspace::Workspace;

/// A scratch directory: the workspace (`ws/`, possibly not created yet), the passphrase file
/// and whatever files an operation reads or writes next to it (`out/`).
pub struct Lab {
    _temp: tempfile::TempDir,
    pub root: PathBuf,
    pub passphrase: PathBuf,
    pub out: PathBuf,
}

impl Lab {
    fn new() -> Lab {
        let temp = tempfile::tempdir().unwrap();
        let out = temp.path().join("out");
        std::fs::create_dir(&out).unwrap();
        Lab {
            root: temp.path().join("ws"),
            passphrase: ws::passphrase_file(temp.path()),
            out,
            _temp: temp,
        }
    }

    /// `tokendist --workspace WS --passphrase-file FILE ARGS`, stdin closed, run in `out/`.
    pub fn command(&self, args: &[String]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tokendist"));
        command
            .arg("--workspace")
            .arg(&self.root)
            .arg("--passphrase-file")
            .arg(&self.passphrase)
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
    /// Builds the state the operation starts from.
    pub setup: fn(&Lab),
    /// The operation's arguments (after the workspace and passphrase options).
    pub args: fn(&Lab) -> Vec<String>,
    /// What the operator runs next after a crash (each must succeed) before the invariants
    /// are checked; usually `jobs list`, which settles the job history.
    pub settle: &'static [&'static [&'static str]],
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
            setup: |_| {},
            args: |_| strings(&["init"]),
            settle: &[],
        },
        Operation {
            name: "tokens import",
            succeeds: true,
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
        },
        Operation {
            name: "tokens assign",
            succeeds: true,
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
        },
        Operation {
            name: "tokens unassign",
            succeeds: true,
            setup: workspace,
            args: |_| strings(&["tokens", "unassign", "000000001002", "000000001003"]),
            settle: LIST,
        },
        Operation {
            name: "jobs submit",
            succeeds: true,
            setup: workspace,
            args: |_| submit_args("Crash"),
            settle: LIST,
        },
        Operation {
            name: "jobs submit, two sealed chunks",
            succeeds: true,
            setup: |lab| drop(ws::create(&lab.root, FIRST, 250)),
            args: |_| {
                let mut args = submit_args("Crash");
                args[5] = "1000-1249".into();
                args
            },
            settle: LIST,
        },
        Operation {
            name: "jobs download that fails",
            succeeds: false,
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
        },
        Operation {
            name: "jobs download",
            succeeds: true,
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
        },
        Operation {
            name: "jobs download --force",
            succeeds: true,
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
        },
        Operation {
            name: "jobs delete",
            succeeds: true,
            setup: with_completed_job,
            args: |_| strings(&["jobs", "delete", "Done"]),
            settle: LIST,
        },
        Operation {
            name: "recovery of a job that committed",
            succeeds: true,
            setup: |lab| with_job_crashed_at(lab, "job.finish.inventory-saved"),
            // `jobs list` reads the history without the inventory and leaves such a job
            // unsettled; `jobs recover` (or any command opening the inventory) settles it.
            args: |_| strings(&["jobs", "recover"]),
            settle: LIST,
        },
        Operation {
            name: "recovery of a job that did not commit",
            succeeds: true,
            setup: |lab| with_job_crashed_at(lab, "job.run.output-dir-synced"),
            // `jobs list` reads the history without the inventory and leaves such a job
            // unsettled; `jobs recover` (or any command opening the inventory) settles it.
            args: |_| strings(&["jobs", "recover"]),
            settle: LIST,
        },
        Operation {
            name: "recovery of a download",
            succeeds: true,
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
        },
        Operation {
            name: "jobs recover",
            succeeds: true,
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
        },
    ]
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
                .map(|user| format!("{} {} {}", user.login, user.first_name, user.last_name))
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

fn open(lab: &Lab) -> Option<Workspace> {
    Workspace::is_initialised(&lab.root).then(|| ws::open(&lab.root))
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
    let output = lab.run(
        &(op.args)(&lab),
        &[("TOKENDIST_CRASH_TRACE", trace.to_str().unwrap())],
    );
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
    for (point, n) in &points {
        let lab = Lab::new();
        (op.setup)(&lab);
        let before = open(&lab).map(|workspace| inventory_of(&workspace));
        let files_before = out_files(&lab);
        let at = format!("{point}#{n}");
        let output = lab.run(&(op.args)(&lab), &[("TOKENDIST_CRASH_AT", &at)]);
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
    check_workspace(lab, context, before, after, files_before);
}

fn check_workspace(
    lab: &Lab,
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
fn every_crash_point_of_a_download_leaves_no_plaintext_and_a_true_record() {
    run("jobs download");
    run("jobs download --force");
    run("jobs download that fails");
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
    let output = reference.run(&args, &[]);
    assert!(output.status.success(), "{output:?}");
    let after = open(&reference).map(|workspace| inventory_of(&workspace));
    let mut killed = 0;
    for round in 0..6 {
        let lab = Lab::new();
        drop(ws::create(&lab.root, FIRST, 1500));
        let before = open(&lab).map(|workspace| inventory_of(&workspace));
        let started = Instant::now();
        let child = lab.command(&args).spawn().unwrap();
        let delay = Duration::from_millis(rng.range(0, 400));
        killed += usize::from(kill_after(child, delay, started));
        let context = format!("submit killed after {delay:?} (round {round})");
        let files_before = out_files(&lab);
        lab.ok(&["jobs", "list"]);
        check_workspace(&lab, &context, &before, &after, &files_before);

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
            check_workspace(&lab, &context, &after, &after, &files_before);
        }
    }
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
