//! `tokendist jobs …` as a script runs it: submit in every protection mode, list, show,
//! download, delete; warnings without a terminal; a crash mid-job; a write failure during
//! download. Tokens are decoded with our codec to the inventory's seeds.

use crate::jobs_common;

use jobs_common::unzip;
use jobs_common::workspace::{self as ws, assert_nowhere};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use tokendist::jobs::{History, JobStatus};
use tokendist::secret::SecretString;

const JOB_PASSWORD: &str = "Cli-pass-42";

struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
    passphrase: PathBuf,
    out: PathBuf,
}

fn env(count: u64) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    drop(ws::create(&root, 1000, count));
    let passphrase = ws::passphrase_file(dir.path());
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    Env {
        root,
        passphrase,
        out,
        _dir: dir,
    }
}

impl Env {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tokendist"));
        command
            .arg("--workspace")
            .arg(&self.root)
            .arg("--passphrase-file")
            .arg(&self.passphrase)
            .args(args)
            .env_remove("TOKENDIST_HOME")
            .env_remove("TOKENDIST_PASSPHRASE_FILE")
            .stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = self.command(args);
        command.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        if let Some(text) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if child.try_wait().unwrap().is_some() {
                return child.wait_with_output().unwrap();
            }
            assert!(
                Instant::now() < deadline,
                "tokendist {args:?} did not finish in time"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let output = self.run(args, stdin);
        assert!(
            output.status.success(),
            "tokendist {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    fn fails(&self, args: &[&str], stdin: Option<&str>) -> (i32, String) {
        let output = self.run(args, stdin);
        assert!(!output.status.success(), "tokendist {args:?} should fail");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn workspace(&self) -> tokendist::workspace::Workspace {
        ws::open(&self.root)
    }
}

/// The id printed by a successful submit.
fn job_id(stdout: &str) -> String {
    let line = stdout
        .lines()
        .find(|line| line.starts_with("job "))
        .expect("a 'job … completed' line");
    line.split_whitespace().nth(1).unwrap().to_owned()
}

fn check_zip(env: &Env, zip: &Path, password_for: impl Fn(&str) -> Option<String>) -> usize {
    let workspace = env.workspace();
    let entries = unzip(zip);
    let mut files = 0;
    for (name, bytes) in &entries {
        let Some(serial) = name.strip_suffix(".sdtid") else {
            continue;
        };
        let token = workspace.inventory().get(&serial.parse().unwrap()).unwrap();
        let login = &token.user.as_ref().unwrap().login();
        let password = password_for(login).map(SecretString::new);
        let decrypted = tokendist::sdtid::parse(bytes)
            .unwrap()
            .decrypt(password.as_ref())
            .unwrap();
        let written = &decrypted.tokens[0];
        assert_eq!(written.seed, token.seed, "{name}");
        assert_eq!(written.user.login, *login);
        assert_eq!(written.attributes.death, token.expires);
        if password.is_none() {
            assert_eq!(written.device_serial_number, "PHONE-0042");
            assert_eq!(written.nickname, "Work phone");
        } else {
            assert_eq!(
                written.device_serial_number,
                "a01c4380-fc01-4df0-b113-7fb98ec74694"
            );
        }
        files += 1;
    }
    assert_eq!(entries.last().unwrap().0, "manifest.csv");
    files
}

#[test]
fn submit_download_and_decode_in_every_protection_mode() {
    let env = env(40);
    let password_file = env.out.join("pw.txt");
    std::fs::write(&password_file, format!("{JOB_PASSWORD}\n")).unwrap();
    let pw_file = password_file.to_str().unwrap();
    let cases: [(&str, &str, Vec<&str>, Option<&str>); 4] = [
        (
            "none",
            "1000-1009",
            vec![
                "--yes",
                "--device-id",
                "PHONE-0042",
                "--nickname",
                "Work phone",
            ],
            None,
        ),
        (
            "password",
            "1010-1019",
            vec!["--password-stdin"],
            Some("Cli-pass-42\n"),
        ),
        ("user-id", "1020-1029", vec![], None),
        (
            "user-id+password",
            "1030-1039",
            vec!["--password-file", pw_file],
            None,
        ),
    ];
    for (protection, range, extra, stdin) in cases {
        let name = format!("CLI {protection}");
        let mut args = vec![
            "jobs",
            "submit",
            "--profile",
            "Android",
            "--serials",
            range,
            "--protection",
            protection,
            "--name",
            &name,
        ];
        args.extend(extra);
        let stdout = env.ok(&args, stdin);
        assert!(
            stdout.contains("Review") && stdout.contains("10 to distribute"),
            "{stdout}"
        );
        assert!(!stdout.contains(JOB_PASSWORD));
        let id = job_id(&stdout);
        assert!(stdout.contains(&name));
        let zip = env.out.join(format!("{protection}.zip"));
        let saved = env.ok(
            &["jobs", "download", &name, "--output", zip.to_str().unwrap()],
            None,
        );
        assert!(saved.contains("SHA-256"), "{saved}");
        let files = check_zip(&env, &zip, |login| match protection {
            "none" => None,
            "password" => Some(JOB_PASSWORD.into()),
            "user-id" => Some(login.into()),
            _ => Some(format!("{login}{JOB_PASSWORD}")),
        });
        assert_eq!(files, 10);
        // Same bytes again, but never over an existing file without --force.
        let (code, error) = env.fails(
            &["jobs", "download", &id, "--output", zip.to_str().unwrap()],
            None,
        );
        assert_eq!(code, 1);
        assert!(
            error.contains("already exists") && error.contains("--force"),
            "{error}"
        );
        env.ok(
            &[
                "jobs",
                "download",
                &id,
                "--output",
                zip.to_str().unwrap(),
                "--force",
            ],
            None,
        );
    }

    let list: serde_json::Value =
        serde_json::from_str(&env.ok(&["jobs", "list", "--json"], None)).unwrap();
    let jobs = list.as_array().unwrap();
    assert_eq!(jobs.len(), 4);
    for job in jobs {
        for key in [
            "id",
            "name",
            "status",
            "profile",
            "token_count",
            "created_at",
            "finished_at",
            "output_sha256",
        ] {
            assert!(job.get(key).is_some(), "{key} missing in {job}");
        }
        assert_eq!(job["status"], "completed");
        assert_eq!(job["token_count"], 10);
        assert_eq!(job["profile"], "Android");
    }
    let table = env.ok(&["jobs", "list"], None);
    assert!(table.contains("CLI user-id+password"), "{table}");
    let shown = env.ok(&["jobs", "show", "cli NONE"], None);
    assert!(
        shown.contains("completed") && shown.contains("Downloaded"),
        "{shown}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["jobs", "show", "CLI password", "--json"], None)).unwrap();
    assert_eq!(json["downloads"].as_array().unwrap().len(), 2);

    env.ok(&["jobs", "delete", "CLI none"], None);
    let (_, error) = env.fails(
        &[
            "jobs",
            "download",
            "CLI none",
            "--output",
            env.out.join("again.zip").to_str().unwrap(),
        ],
        None,
    );
    assert!(error.contains("deleted"), "{error}");
    let (_, error) = env.fails(&["jobs", "show", "no such job"], None);
    assert!(error.contains("no job with id or name"), "{error}");

    assert_nowhere(&env.root, JOB_PASSWORD.as_bytes(), "the job password");
}

#[test]
fn submit_refuses_bad_input_and_unconfirmed_warnings() {
    let env = env(5);
    let (code, error) = env.fails(
        &[
            "jobs",
            "submit",
            "--profile",
            "Android",
            "--serials",
            "9-1",
            "--protection",
            "none",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(error.contains("--serials"), "{error}");
    let (code, error) = env.fails(
        &[
            "jobs",
            "submit",
            "--profile",
            "Android",
            "--serials",
            "1000-1004",
            "--protection",
            "password",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(error.contains("needs a job password"), "{error}");
    let (code, error) = env.fails(
        &[
            "jobs",
            "submit",
            "--profile",
            "Android CT-KIP",
            "--serials",
            "1000",
            "--protection",
            "user-id",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(
        error.contains("--profile") && error.contains("by file"),
        "{error}"
    );
    let (code, error) = env.fails(
        &[
            "jobs",
            "submit",
            "--profile",
            "Android",
            "--serials",
            "1000",
            "--protection",
            "password",
            "--password-stdin",
        ],
        Some("pässword\n"),
    );
    assert_eq!(code, 2);
    assert!(
        error.contains("printable ASCII") && !error.contains("pässword"),
        "{error}"
    );
    // Protection none carries a warning: refused without a terminal unless --yes.
    let (code, error) = env.fails(
        &[
            "jobs",
            "submit",
            "--profile",
            "Android",
            "--serials",
            "1000",
            "--protection",
            "none",
        ],
        None,
    );
    assert_eq!(code, 1);
    assert!(error.contains("--yes"), "{error}");
    // Nothing was recorded for refused jobs.
    assert!(
        History::open(&env.workspace())
            .unwrap()
            .records()
            .is_empty()
    );
    // No token left: refused with the reasons printed.
    let output = env.run(
        &[
            "jobs",
            "submit",
            "--profile",
            "Windows legacy 64-bit",
            "--serials",
            "1000-1004",
            "--protection",
            "user-id",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Excluded (5): key size different from the profile's"),
        "{stdout}"
    );
}

#[test]
fn a_job_killed_mid_run_is_interrupted_and_leaves_the_inventory_untouched() {
    let env = env(20_000);
    let mut child = env
        .command(&[
            "jobs",
            "submit",
            "--profile",
            "Android",
            "--serials",
            "1000-20999",
            "--protection",
            "user-id",
            "--name",
            "Doomed",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once files are being staged (the first sealed chunk is on disk): mid-job.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !staged_output_started(&env.root) {
        assert!(Instant::now() < deadline, "the job never started");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the job ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();

    let workspace = env.workspace();
    let history = History::open(&workspace).unwrap();
    let record = history.find("Doomed").unwrap();
    assert_eq!(record.status, JobStatus::Interrupted, "{record:?}");
    assert!(!record.has_output());
    assert!(
        workspace
            .inventory()
            .iter()
            .all(|token| token.distributions.is_empty())
    );
    assert!(
        !env.root
            .join("jobs")
            .join("staged")
            .join(&record.id)
            .exists()
    );
    drop(history);
    drop(workspace); // release the workspace lock for the CLI
    let listed = env.ok(&["jobs", "list", "--json"], None);
    assert!(listed.contains("\"interrupted\""), "{listed}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_write_failure_during_download_leaves_no_partial_zip() {
    let env = env(300);
    let stdout = env.ok(
        &[
            "jobs",
            "submit",
            "--profile",
            "Android",
            "--serials",
            "1000-1299",
            "--protection",
            "user-id",
            "--name",
            "Big",
        ],
        None,
    );
    let id = job_id(&stdout);
    let target = env.out.join("big.zip");
    // A file-size limit makes writes past 64 KiB fail with EFBIG (SIGXFSZ ignored), in the
    // middle of the ZIP, like a full disk.
    let output = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 128; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_tokendist"))
        .arg("--workspace")
        .arg(&env.root)
        .arg("--passphrase-file")
        .arg(&env.passphrase)
        .args(["jobs", "download", &id, "--output"])
        .arg(&target)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("cannot write") && error.contains("big.zip"),
        "{error}"
    );
    assert!(!target.exists(), "no partial ZIP at the target");
    let leftovers: Vec<_> = std::fs::read_dir(&env.out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // The download was not recorded, and works without the limit.
    assert!(
        History::open(&env.workspace())
            .unwrap()
            .get(&id)
            .unwrap()
            .downloads
            .is_empty()
    );
    env.ok(
        &[
            "jobs",
            "download",
            &id,
            "--output",
            target.to_str().unwrap(),
        ],
        None,
    );
    assert!(unzip(&target).len() == 301);
}

#[cfg(unix)]
#[test]
fn ctrl_c_cancels_the_job_cleanly() {
    let env = env(20_000);
    let child = env
        .command(&[
            "jobs",
            "submit",
            "--profile",
            "Android",
            "--serials",
            "1000-20999",
            "--protection",
            "user-id",
            "--name",
            "Interrupted by hand",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !staged_output_started(&env.root) {
        assert!(Instant::now() < deadline, "the job never started");
        std::thread::sleep(Duration::from_millis(2));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("was cancelled") && error.contains("nothing was kept"),
        "{error}"
    );
    let workspace = env.workspace();
    let history = History::open(&workspace).unwrap();
    let record = history.find("Interrupted by hand").unwrap();
    assert_eq!(record.status, JobStatus::Cancelled);
    assert!(
        workspace
            .inventory()
            .iter()
            .all(|token| token.distributions.is_empty())
    );
}

/// True once some job's sealed output holds more than its header line.
fn staged_output_started(root: &Path) -> bool {
    let Ok(jobs) = std::fs::read_dir(root.join("jobs").join("staged")) else {
        return false;
    };
    jobs.flatten().any(|job| {
        std::fs::metadata(job.path().join("output.sealed")).is_ok_and(|meta| meta.len() > 1024)
    })
}

#[test]
fn jobs_commands_on_a_missing_workspace_say_how_to_create_one_before_asking_a_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-workspace-here");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tokendist"))
        .arg("--workspace")
        .arg(&missing)
        .args(["jobs", "list"])
        .env_remove("TOKENDIST_PASSPHRASE_FILE")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("tokendist init --workspace"), "{stderr}");
    assert!(!stderr.contains("passphrase"), "{stderr}");
}
