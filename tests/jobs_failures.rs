//! Issue 8's failure-model defects, each reproduced: a damaged history never deletes staged
//! outputs and `jobs recover` brings them back; a crash after the inventory save completes the
//! job instead of lying about it; ids from the history never become paths outside the
//! workspace; a killed download leaves no plaintext; cleanup removes only our own temporaries.

use crate::jobs_common;

use jobs_common::now;
use jobs_common::workspace::{self as ws};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use tokendist::jobs::{
    self, History, HistoryError, JobSpec, JobStatus, Protection, RunResult, SelectionCriteria,
    SerialRange,
};
use tokendist::workspace::Workspace;

fn spec(name: &str, range: &str) -> JobSpec {
    JobSpec {
        name: name.into(),
        profile: "Android".into(),
        binding: jobs::Binding::DeviceClass,
        nickname: None,
        protection: Protection::UserId,
        password: None,
        selection: SelectionCriteria {
            serial_ranges: vec![SerialRange::parse(range).unwrap()],
            ..SelectionCriteria::default()
        },
    }
}

/// Runs a job to completion in-process; returns its record.
fn complete_job(
    workspace: &mut Workspace,
    history: &mut History,
    name: &str,
    range: &str,
) -> jobs::JobRecord {
    let job = jobs::prepare(workspace, history, spec(name, range), now().date()).unwrap();
    let handle = jobs::start(&*workspace, history, job, now()).unwrap();
    let outcome = handle.wait(|_| {});
    assert!(matches!(outcome.result, RunResult::Completed(_)));
    let record = jobs::finish(workspace, history, outcome, now()).unwrap();
    assert_eq!(record.status, JobStatus::Completed);
    record
}

struct Scene {
    _dir: tempfile::TempDir,
    root: PathBuf,
    out: PathBuf,
    passphrase: PathBuf,
}

/// A workspace with two completed jobs, closed again.
fn two_completed_jobs() -> (Scene, Vec<jobs::JobRecord>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut workspace = ws::create(&root, 1000, 8);
    let mut history = History::open(&workspace).unwrap();
    let first = complete_job(&mut workspace, &mut history, "First", "1000-1003");
    let second = complete_job(&mut workspace, &mut history, "Second", "1004-1007");
    let passphrase = ws::passphrase_file(dir.path());
    (
        Scene {
            _dir: dir,
            root,
            out,
            passphrase,
        },
        vec![first, second],
    )
}

impl Scene {
    fn history_path(&self) -> PathBuf {
        self.root.join("jobs/history.jsonl")
    }

    fn staged(&self, id: &str) -> PathBuf {
        self.root.join("jobs/staged").join(id)
    }

    fn tokendist(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tokendist"));
        command
            .arg("--workspace")
            .arg(&self.root)
            .arg("--passphrase-file")
            .arg(&self.passphrase)
            .args(args)
            .env_remove("TOKENDIST_HOME")
            .env_remove("TOKENDIST_PASSPHRASE_FILE")
            .env_remove("TOKENDIST_CRASH_AT")
            .stdin(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().unwrap()
    }
}

/// Opens the history as every front end does: the first open after the damage reports it
/// (and moves the file aside); the next one starts a new history.
fn open_after_damage(workspace: &Workspace) -> (HistoryError, History) {
    let error = History::open(workspace).expect_err("the damage is reported");
    (error, History::open(workspace).unwrap())
}

fn damage_kinds(text: &str) -> Vec<(&'static str, Vec<u8>)> {
    let bytes = text.as_bytes();
    vec![
        ("truncated mid-line", bytes[..bytes.len() - 40].to_vec()),
        ("emptied", Vec::new()),
        ("a garbage line", [bytes, b"this is not json\n"].concat()),
        ("a BOM", [b"\xef\xbb\xbf".as_slice(), bytes].concat()),
        ("not UTF-8", [bytes, b"{\"id\": \"\xff\xfe\"}\n"].concat()),
        (
            "an unknown status",
            text.replacen("\"completed\"", "\"archived\"", 1)
                .into_bytes(),
        ),
    ]
}

#[test]
fn a_damaged_history_of_any_kind_never_deletes_staged_outputs_and_recover_restores_them() {
    for kind in [
        "truncated mid-line",
        "emptied",
        "a garbage line",
        "a BOM",
        "not UTF-8",
        "an unknown status",
    ] {
        let (scene, records) = two_completed_jobs();
        let text = std::fs::read_to_string(scene.history_path()).unwrap();
        let (_, damaged) = damage_kinds(&text)
            .into_iter()
            .find(|(known, _)| *known == kind)
            .unwrap();
        std::fs::write(scene.history_path(), &damaged).unwrap();
        let workspace = ws::open(&scene.root);
        let history = match History::open(&workspace) {
            Ok(history) => history,
            Err(HistoryError::Damaged { .. }) => History::open(&workspace).unwrap(),
            Err(other) => panic!("{kind}: {other}"),
        };
        let staged: Vec<String> = std::fs::read_dir(scene.root.join("jobs/staged"))
            .unwrap()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(staged.len(), 2, "{kind}: staged outputs were deleted");
        // Reopening again (as every later command does) still keeps them.
        drop(history);
        let mut history = History::open(&workspace).unwrap();
        assert_eq!(
            std::fs::read_dir(scene.root.join("jobs/staged"))
                .unwrap()
                .count(),
            2,
            "{kind}: a later open deleted staged outputs"
        );
        let explained = history
            .records()
            .iter()
            .filter(|record| record.has_output())
            .count();
        assert_eq!(
            explained + history.unexplained().len(),
            2,
            "{kind}: every staged output is either in the history or reported"
        );

        let report = jobs::recover(&workspace, &mut history, now()).unwrap();
        assert!(history.unexplained().is_empty(), "{kind}");
        for name in ["First", "Second"] {
            let record = history
                .find(name)
                .cloned()
                .unwrap_or_else(|| panic!("{kind}: job {name} not recovered ({report:?})"));
            assert_eq!(record.status, JobStatus::Completed, "{kind}: {record:?}");
            assert!(record.has_output(), "{kind}");
            // The sealed per-job key still opens the output, and it is the job's ZIP.
            let zip = scene.out.join(format!("{kind}-{name}.zip"));
            let saved = jobs::download(&workspace, &mut history, name, &zip, false, now())
                .unwrap_or_else(|error| panic!("{kind}: {error}"));
            let original = records.iter().find(|r| r.name == name).unwrap();
            assert_eq!(saved.bytes, zip.metadata().unwrap().len());
            assert_eq!(record.token_count, original.token_count, "{kind}");
        }
        // Recovering again changes nothing.
        let again = jobs::recover(&workspace, &mut history, now()).unwrap();
        assert!(again.restored.is_empty(), "{kind}: {again:?}");
    }
}

#[test]
fn jobs_recover_on_the_command_line_rebuilds_records_from_outputs_and_the_inventory() {
    let (scene, records) = two_completed_jobs();
    // The history is lost entirely: only the staged outputs and the inventory remain.
    std::fs::write(scene.history_path(), b"\x00\x00garbage").unwrap();
    let first = scene.tokendist(&["jobs", "list"], &[]);
    assert!(!first.status.success());
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains("jobs recover"), "{stderr}");
    let listed = scene.tokendist(&["jobs", "list"], &[]);
    assert!(listed.status.success());
    let stderr = String::from_utf8_lossy(&listed.stderr);
    assert!(
        stderr.contains("2 staged job output(s)") && stderr.contains("jobs recover"),
        "{stderr}"
    );
    let recovered = scene.tokendist(&["jobs", "recover"], &[]);
    let stdout = String::from_utf8_lossy(&recovered.stdout);
    assert!(recovered.status.success(), "{recovered:?}");
    for record in &records {
        assert!(
            stdout.contains(&format!(
                "recovered job {} {:?}: completed, output available",
                record.id, record.name
            )),
            "{stdout}"
        );
    }
    let shown = scene.tokendist(&["jobs", "show", "First"], &[]);
    let stdout = String::from_utf8_lossy(&shown.stdout);
    assert!(stdout.contains("Settings        unknown"), "{stdout}");
    assert!(stdout.contains("Recovered"), "{stdout}");
    let zip = scene.out.join("first.zip");
    let saved = scene.tokendist(
        &[
            "jobs",
            "download",
            "First",
            "--output",
            zip.to_str().unwrap(),
        ],
        &[],
    );
    assert!(saved.status.success(), "{saved:?}");
    assert_eq!(
        jobs_common::unzip(&zip).len(),
        5,
        "four token files and the manifest"
    );
}

#[test]
fn a_crash_right_after_the_inventory_save_completes_the_job_instead_of_calling_it_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    drop(ws::create(&root, 1000, 6));
    let scene = Scene {
        passphrase: ws::passphrase_file(dir.path()),
        out: dir.path().to_owned(),
        root,
        _dir: dir,
    };
    let submit = [
        "jobs",
        "submit",
        "--profile",
        "Android",
        "--serials",
        "1000-1005",
        "--protection",
        "user-id",
        "--name",
        "Committed",
    ];
    let crashed = scene.tokendist(
        &submit,
        &[("TOKENDIST_CRASH_AT", "job.finish.inventory-saved")],
    );
    assert_eq!(crashed.status.signal(), Some(6));
    let workspace = ws::open(&scene.root);
    let marked = workspace
        .inventory()
        .iter()
        .filter(|token| !token.distributions.is_empty())
        .count();
    assert_eq!(marked, 6, "the inventory committed before the crash");
    let mut history = History::open(&workspace).unwrap();
    let record = history.find("Committed").unwrap().clone();
    assert_eq!(record.status, JobStatus::Completed, "{record:?}");
    assert!(record.recovered.is_some());
    let zip = scene.out.join("committed.zip");
    jobs::download(&workspace, &mut history, "Committed", &zip, false, now()).unwrap();
    assert_eq!(jobs_common::unzip(&zip).len(), 7);
}

#[test]
fn a_crash_before_the_inventory_save_marks_no_token_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    drop(ws::create(&root, 1000, 6));
    let scene = Scene {
        passphrase: ws::passphrase_file(dir.path()),
        out: dir.path().to_owned(),
        root,
        _dir: dir,
    };
    let crashed = scene.tokendist(
        &[
            "jobs",
            "submit",
            "--profile",
            "Android",
            "--serials",
            "1000-1005",
            "--protection",
            "user-id",
            "--name",
            "Uncommitted",
        ],
        &[("TOKENDIST_CRASH_AT", "inventory.temp-synced")],
    );
    assert_eq!(crashed.status.signal(), Some(6));
    let workspace = ws::open(&scene.root);
    assert!(
        workspace
            .inventory()
            .iter()
            .all(|token| token.distributions.is_empty())
    );
    let history = History::open(&workspace).unwrap();
    let record = history.find("Uncommitted").unwrap();
    assert_eq!(record.status, JobStatus::Interrupted);
    assert!(
        record
            .error
            .as_deref()
            .unwrap()
            .contains("the inventory was not changed")
    );
    assert!(!scene.staged(&record.id).exists());
}

#[test]
fn a_job_id_from_the_history_never_becomes_a_path_outside_the_workspace() {
    let (scene, records) = two_completed_jobs();
    let victim = scene.root.parent().unwrap().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("precious"), b"keep me").unwrap();
    let text = std::fs::read_to_string(scene.history_path()).unwrap();
    let hostile = text.lines().next().unwrap().replace(
        &format!("\"id\":\"{}\"", records[0].id),
        "\"id\":\"../../victim\"",
    );
    let hostile = hostile.replace("\"completed\"", "\"running\"");
    assert!(hostile.contains("../../victim"));
    std::fs::write(scene.history_path(), format!("{hostile}\n")).unwrap();
    let workspace = ws::open(&scene.root);
    let (error, mut history) = open_after_damage(&workspace);
    assert!(
        error.to_string().contains("is not a tokendist job id"),
        "{error}"
    );
    assert!(victim.join("precious").exists());
    // Recovery reads the damaged copy and skips the hostile record.
    let report = jobs::recover(&workspace, &mut history, now()).unwrap();
    assert!(victim.join("precious").exists());
    assert!(
        history
            .records()
            .iter()
            .all(|record| !record.id.contains('/'))
    );
    assert_eq!(report.skipped_lines, 1, "{report:?}");
    // A folder in staged/ that is not one of ours is left alone too.
    let foreign = scene.root.join("jobs/staged/not-a-job");
    std::fs::create_dir(&foreign).unwrap();
    drop(history);
    let history = History::open(&workspace).unwrap();
    assert!(foreign.exists());
    assert_eq!(history.unexplained(), ["not-a-job"]);
}

#[test]
fn a_killed_download_leaves_no_plaintext_and_a_finished_one_is_recorded() {
    let (scene, records) = two_completed_jobs();
    let target = scene.out.join("first.zip");
    let download = [
        "jobs",
        "download",
        "First",
        "--output",
        target.to_str().unwrap(),
    ];
    let leftovers = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(".tokendist-download-"))
            .collect()
    };
    // Killed with the whole decrypted ZIP in the temporary file.
    let crashed = scene.tokendist(
        &download,
        &[("TOKENDIST_CRASH_AT", "job.download.temp-synced")],
    );
    assert_eq!(crashed.status.signal(), Some(6));
    assert_eq!(
        leftovers(&scene.out).len(),
        1,
        "the crash left the temporary"
    );
    let listed = scene.tokendist(&["jobs", "list"], &[]);
    assert!(listed.status.success());
    assert!(leftovers(&scene.out).is_empty(), "the next open removed it");
    assert!(!target.exists());
    // Killed after the rename, before the history recorded it: the download is recorded.
    let crashed = scene.tokendist(&download, &[("TOKENDIST_CRASH_AT", "job.download.renamed")]);
    assert_eq!(crashed.status.signal(), Some(6));
    let workspace = ws::open(&scene.root);
    let history = History::open(&workspace).unwrap();
    let record = history.find("First").unwrap();
    assert_eq!(record.downloads.len(), 1, "{record:?}");
    assert_eq!(
        record.downloads[0].sha256,
        records[0].output.as_ref().unwrap().sha256
    );
    assert!(record.pending_download.is_none());
}

#[test]
fn cleanup_removes_only_temporaries_we_create_in_the_workspace_and_its_jobs_folder() {
    let (scene, _) = two_completed_jobs();
    let ours = [
        scene.root.join(".inventory.vault.a1B2c3.tmp"),
        scene.root.join(".tokendist.toml.Zz9yY8.tmp"),
        scene.root.join("jobs/.history.jsonl.q1w2e3.tmp"),
    ];
    let theirs = [
        scene.root.join(".notes.tmp"),
        scene.root.join("jobs/.draft.tmp"),
        scene.root.join(".inventory.vault.tmp"),
    ];
    for path in ours.iter().chain(&theirs) {
        std::fs::write(path, b"x").unwrap();
    }
    let workspace = ws::open(&scene.root);
    drop(History::open(&workspace).unwrap());
    for path in &ours {
        assert!(!path.exists(), "{} was left", path.display());
    }
    for path in &theirs {
        assert!(path.exists(), "{} (not ours) was removed", path.display());
    }
}

/// `jobs download` opens only the vault key, so it cannot ask the inventory whether a job left
/// running by a dead process committed: it must leave that record and its staged output alone
/// (the output may be the only copy of a committed job's files), and the next command that
/// opens the inventory settles it.
#[test]
fn a_download_without_the_inventory_leaves_an_unsettled_job_and_its_output_alone() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    let mut workspace = ws::create(&root, 1000, 8);
    let mut history = History::open(&workspace).unwrap();
    let first = complete_job(&mut workspace, &mut history, "First", "1000-1003");
    drop((workspace, history));
    let scene = Scene {
        passphrase: ws::passphrase_file(dir.path()),
        out: dir.path().to_owned(),
        root,
        _dir: dir,
    };
    let submit = [
        "jobs",
        "submit",
        "--profile",
        "Android",
        "--serials",
        "1006-1007",
        "--protection",
        "user-id",
        "--name",
        "Committed",
    ];
    let crashed = scene.tokendist(
        &submit,
        &[("TOKENDIST_CRASH_AT", "job.finish.inventory-saved")],
    );
    assert_eq!(crashed.status.signal(), Some(6));
    let staged_before = std::fs::read_dir(scene.root.join("jobs/staged"))
        .unwrap()
        .count();

    let target = scene.out.join("first-again.zip");
    let downloaded = scene.tokendist(
        &[
            "jobs",
            "download",
            &first.id,
            "--output",
            target.to_str().unwrap(),
        ],
        &[],
    );
    assert!(downloaded.status.success(), "{downloaded:?}");
    assert_eq!(
        std::fs::read_dir(scene.root.join("jobs/staged"))
            .unwrap()
            .count(),
        staged_before,
        "no staging folder was removed"
    );

    let workspace = ws::open(&scene.root);
    let history = History::open(&workspace).unwrap();
    let record = history.find("Committed").unwrap();
    assert_eq!(record.status, JobStatus::Completed, "{record:?}");
    assert!(record.has_output());
}
