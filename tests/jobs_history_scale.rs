//! The job history at scale: `jobs list` and `jobs show` read the history alone (no
//! passphrase, no inventory), a record's size does not grow with the inventory, and the full
//! list of excluded tokens lives sealed beside the job's output (`jobs show --exclusions`).
//! (Speed and memory at 1,000,000 tokens are measured by `benches/history.rs`, not here.)

use crate::jobs_common::workspace as ws;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use tokendist::jobs::{self, History, JobSpec, Protection, RunResult, SelectionCriteria};
use tokendist::token::Serial;
use tokendist::workspace::Workspace;

struct Scene {
    _temp: tempfile::TempDir,
    root: PathBuf,
    passphrase: PathBuf,
    out: PathBuf,
}

impl Scene {
    fn new(count: u64) -> Scene {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path().join("ws");
        drop(ws::create(&root, 1000, count));
        let out = temp.path().join("out");
        std::fs::create_dir(&out).unwrap();
        Scene {
            passphrase: ws::passphrase_file(temp.path()),
            root,
            out,
            _temp: temp,
        }
    }

    /// `tokendist --workspace WS ARGS`, stdin closed, no passphrase unless `with_passphrase`.
    fn run(&self, args: &[&str], with_passphrase: bool, env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tokendist"));
        command.arg("--workspace").arg(&self.root);
        if with_passphrase {
            command.arg("--passphrase-file").arg(&self.passphrase);
        }
        command
            .args(args)
            .current_dir(&self.out)
            .env_remove("TOKENDIST_HOME")
            .env_remove("TOKENDIST_PASSPHRASE_FILE")
            .env_remove("TOKENDIST_CRASH_AT")
            .env_remove("TOKENDIST_CRASH_TRACE")
            .stdin(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().unwrap()
    }

    fn ok(&self, args: &[&str], with_passphrase: bool) -> (String, String) {
        let output = self.run(args, with_passphrase, &[]);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(
            output.status.success(),
            "tokendist {args:?} failed: {stderr}"
        );
        (stdout, stderr)
    }

    fn submit(&self, name: &str, serials: &str, protection: &str, env: &[(&str, &str)]) -> Output {
        self.run(
            &[
                "jobs",
                "submit",
                "--profile",
                "Android",
                "--serials",
                serials,
                "--protection",
                protection,
                "--name",
                name,
                "--yes",
            ],
            true,
            env,
        )
    }
}

#[test]
fn jobs_list_and_show_read_the_history_without_a_passphrase_or_the_inventory() {
    let scene = Scene::new(5);
    let submitted = scene.submit("Phones", "1000-1004", "none", &[]);
    assert!(submitted.status.success(), "{submitted:?}");
    // Unreadable as an inventory: a command that decrypted it would fail.
    let vault = scene.root.join("inventory.vault");
    let original = std::fs::read(&vault).unwrap();
    std::fs::write(&vault, b"not an inventory at all").unwrap();

    let (table, _) = scene.ok(&["jobs", "list"], false);
    assert!(
        table.contains("completed") && table.contains("Phones"),
        "{table}"
    );
    let (json, _) = scene.ok(&["jobs", "list", "--json"], false);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(rows[0]["status"], "completed");
    let (shown, _) = scene.ok(&["jobs", "show", "phones"], false);
    assert!(shown.contains("Status          completed"), "{shown}");
    assert!(shown.contains("5 selected, 5 done, 0 excluded"), "{shown}");
    let (record, _) = scene.ok(&["jobs", "show", "phones", "--json"], false);
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(record["token_count"], 5);

    // The inventory is needed elsewhere, and still refused there.
    let tokens = scene.run(&["tokens", "list"], true, &[]);
    assert!(!tokens.status.success());
    std::fs::write(&vault, original).unwrap();
}

#[test]
fn a_job_whose_process_died_is_listed_unsettled_until_jobs_recover_settles_it() {
    let scene = Scene::new(5);
    let crashed = scene.submit(
        "Crashed",
        "1000-1004",
        "none",
        &[("TOKENDIST_CRASH_AT", "job.finish.inventory-saved")],
    );
    assert_eq!(crashed.status.signal(), Some(6), "{crashed:?}");

    let (table, warning) = scene.ok(&["jobs", "list"], false);
    assert!(table.contains("unsettled"), "{table}");
    assert!(!table.contains("running"), "{table}");
    assert!(warning.contains("tokendist jobs recover"), "{warning}");
    let (json, _) = scene.ok(&["jobs", "list", "--json"], false);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(rows[0]["status"], "unsettled");
    let (shown, _) = scene.ok(&["jobs", "show", "Crashed"], false);
    assert!(
        shown.contains("Status          unsettled") && shown.contains("tokendist jobs recover"),
        "{shown}"
    );
    let (record, _) = scene.ok(&["jobs", "show", "Crashed", "--json"], false);
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(record["status"], "unsettled");
    assert_eq!(record["settle_with"], "tokendist jobs recover");
    // Listing changed nothing: the staged output the inventory committed to is still there.
    assert_eq!(
        std::fs::read_dir(scene.root.join("jobs/staged"))
            .unwrap()
            .count(),
        1
    );

    scene.ok(&["jobs", "recover"], true);
    let (table, warning) = scene.ok(&["jobs", "list"], false);
    assert!(table.contains("completed"), "{table}");
    assert!(!warning.contains("jobs recover"), "{warning}");
    let zip = scene.out.join("crashed.zip");
    scene.ok(
        &[
            "jobs",
            "download",
            "Crashed",
            "--output",
            zip.to_str().unwrap(),
        ],
        true,
    );
}

/// The history file's size after one job that selects `selected` tokens and leaves the rest of
/// an inventory of `inventory` tokens out (they have no user, and the job protects each file
/// with its user's login); returns it with the number of tokens the sealed list holds.
fn history_bytes_after_one_job(inventory: u64, selected: u64) -> (u64, usize) {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("ws");
    let mut workspace = ws::create(&root, 1000, inventory);
    workspace
        .update_inventory(|tokens| {
            for value in 1000 + selected..1000 + inventory {
                tokens
                    .get_mut(&Serial::from_value(value).unwrap())
                    .unwrap()
                    .user = None;
            }
            Ok(())
        })
        .unwrap();
    let mut history = History::open(&workspace).unwrap();
    let spec = JobSpec {
        name: "Everyone with a user".into(),
        profile: "Android".into(),
        binding: jobs::Binding::DeviceClass,
        nickname: None,
        protection: Protection::UserId,
        password: None,
        selection: SelectionCriteria::default(),
    };
    let now = time::OffsetDateTime::now_utc();
    let job = jobs::prepare(&workspace, &history, spec, now.date()).unwrap();
    assert_eq!(job.token_count() as u64, selected);
    let handle = jobs::start(&workspace, &mut history, job, now).unwrap();
    let outcome = handle.wait(|_| {});
    assert!(matches!(outcome.result, RunResult::Completed(_)));
    let record = jobs::finish(&mut workspace, &mut history, outcome, now).unwrap();
    let bytes = std::fs::metadata(root.join("jobs/history.jsonl"))
        .unwrap()
        .len();
    let listed = list_exclusions(&workspace, &record.id);
    (bytes, listed)
}

fn list_exclusions(workspace: &Workspace, job_id: &str) -> usize {
    let mut serials = Vec::new();
    jobs::exclusions::read_job(workspace, job_id, |excluded| {
        assert_eq!(excluded.code, "not-assigned");
        serials.push(excluded.serial);
        Ok(())
    })
    .unwrap();
    let mut sorted = serials.clone();
    sorted.sort();
    assert_eq!(serials, sorted, "the list is in serial order");
    serials.len()
}

#[test]
fn history_bytes_per_job_do_not_grow_with_the_inventory() {
    let (small, small_listed) = history_bytes_after_one_job(100, 10);
    let (large, large_listed) = history_bytes_after_one_job(3_000, 10);
    // The sealed list beside the output holds every excluded token...
    assert_eq!((small_listed, large_listed), (90, 2_990));
    // ...and the history only counts them: a few more digits, nothing per token.
    assert!(
        large <= small + 16,
        "history {small} bytes with 90 exclusions, {large} bytes with 2,990"
    );
}

#[test]
fn jobs_show_exclusions_prints_the_whole_sealed_list_escaped_and_delete_removes_it() {
    let scene = Scene::new(30);
    {
        let mut workspace = ws::open(&scene.root);
        workspace
            .update_inventory(|tokens| {
                for value in 1005..1030 {
                    tokens
                        .get_mut(&Serial::from_value(value).unwrap())
                        .unwrap()
                        .user = None;
                }
                let evil = tokens.get_mut(&Serial::from_value(1001).unwrap()).unwrap();
                evil.user.as_mut().unwrap().set_login("evil\u{1b}[2Jlogin");
                Ok(())
            })
            .unwrap();
    }
    let submitted = scene.submit("Partial", "1000-1029", "user-id", &[]);
    assert!(submitted.status.success(), "{submitted:?}");
    let sealed = scene.staged_file("exclusions.sealed");
    // Past the history's sample of 20, and not a range bound of the job's spec.
    ws::assert_nowhere(&scene.root, b"000000001028", "an excluded serial");
    assert!(sealed.is_file());

    // The summary says where the whole list is; the list needs the passphrase.
    let (shown, _) = scene.ok(&["jobs", "show", "Partial"], false);
    assert!(shown.contains("26 excluded"), "{shown}");
    assert!(shown.contains("--exclusions"), "{shown}");
    let refused = scene.run(&["jobs", "show", "Partial", "--exclusions"], false, &[]);
    assert!(!refused.status.success());

    let output = scene.run(&["jobs", "show", "Partial", "--exclusions"], true, &[]);
    assert!(output.status.success(), "{output:?}");
    assert!(
        !output.stdout.contains(&0x1b),
        "a raw escape reached the terminal"
    );
    let listed = String::from_utf8(output.stdout).unwrap();
    let rows: Vec<&str> = listed.lines().skip(1).collect();
    assert_eq!(rows.len(), 26, "{listed}");
    assert!(rows[0].starts_with("000000001001") && rows[0].contains("evil\\u{1b}[2Jlogin"));
    assert!(rows[25].starts_with("000000001029") && rows[25].contains("not assigned"));
    let (json, _) = scene.ok(&["jobs", "show", "Partial", "--exclusions", "--json"], true);
    let records: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(records.len(), 26);
    assert_eq!(records[1]["code"], "not-assigned");

    scene.ok(&["jobs", "delete", "Partial"], true);
    assert!(!sealed.exists(), "deleted with the output");
    let gone = scene.run(&["jobs", "show", "Partial", "--exclusions"], true, &[]);
    assert!(!gone.status.success());
    let error = String::from_utf8_lossy(&gone.stderr);
    assert!(error.contains("deleted with the job's output"), "{error}");
    // The summary stays in the history.
    let (shown, _) = scene.ok(&["jobs", "show", "Partial"], false);
    assert!(shown.contains("26 excluded"), "{shown}");
}

impl Scene {
    /// The one job's staged file `name`.
    fn staged_file(&self, name: &str) -> PathBuf {
        let staged = self.root.join("jobs/staged");
        let job = std::fs::read_dir(&staged)
            .unwrap()
            .flatten()
            .next()
            .expect("a staged job")
            .path();
        job.join(name)
    }
}
