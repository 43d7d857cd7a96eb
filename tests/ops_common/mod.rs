//! Helpers for the tests of the operator's year (passphrase change, backup and restore,
//! check, retiring tokens): a workspace with completed jobs, directory copies, running the
//! binary with crash points, and proving a workspace is whole.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use tokendist::jobs::{
    self, Binding, History, JobSpec, Protection, SelectionCriteria, SerialRange,
};
use tokendist::secret::SecretString;
use tokendist::workspace::{KdfParams, Workspace, WorkspaceError};

pub const OLD: &str = "old passphrase, long enough";
pub const NEW: &str = "new passphrase, also long";

/// A workspace (cheap key derivation) with `tokens` assigned tokens from serial 1000 and
/// `jobs` completed jobs of `per_job` tokens each, whose staged outputs are kept.
pub fn workspace_with_jobs(dir: &Path, tokens: u64, jobs: u64, per_job: u64) -> Workspace {
    let mut workspace =
        Workspace::init_with_kdf(dir, &SecretString::from(OLD), KdfParams::INSECURE_FOR_TESTS)
            .unwrap();
    let mut list = crate::jobs_common::workspace::inventory_tokens(1000, tokens);
    // Names beyond ASCII must survive every copy, byte for byte.
    if let Some(user) = list.get_mut(1).and_then(|t| t.user.as_mut()) {
        user.set_first_name("Zoë");
        user.set_last_name("Ødegård-Łukasiewicz 山田");
    }
    workspace
        .update_inventory(|inventory| {
            inventory.insert_new(list);
            Ok(())
        })
        .unwrap();
    for job in 0..jobs {
        run_job(
            &mut workspace,
            &format!("Batch {job}"),
            1000 + job * per_job,
            per_job,
        );
    }
    workspace
}

/// Runs a real job over `count` tokens from `first` and keeps its output.
pub fn run_job(workspace: &mut Workspace, name: &str, first: u64, count: u64) {
    let mut history = History::open(&*workspace).unwrap();
    let range = |value: u64| tokendist::token::Serial::from_value(value).unwrap();
    let spec = JobSpec {
        name: name.into(),
        profile: "Android".into(),
        binding: Binding::DeviceClass,
        nickname: None,
        protection: Protection::Password,
        password: Some(SecretString::from("job password")),
        selection: SelectionCriteria {
            serial_ranges: vec![SerialRange {
                from: range(first),
                to: range(first + count - 1),
            }],
            ..SelectionCriteria::default()
        },
    };
    let today = time::OffsetDateTime::now_utc().date();
    let prepared = jobs::prepare(workspace, &history, spec, today).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let handle = jobs::start(&*workspace, &mut history, prepared, now).unwrap();
    let outcome = handle.wait(|_| {});
    let record = jobs::finish(workspace, &mut history, outcome, now).unwrap();
    assert!(record.has_output(), "{record:?}");
}

/// Copies a directory tree (files and directories only), directories private (0700) as a
/// workspace's are; files keep their modes.
pub fn copy_dir(from: &Path, to: &Path) {
    tokendist::workspace::create_private_dir(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file under `dir` (relative path, content), sorted; the lock file left out.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = crate::jobs_common::workspace::all_files(dir)
        .into_iter()
        .filter(|path| path.file_name().is_some_and(|name| name != "lock"))
        .map(|path| {
            let content = std::fs::read(&path).unwrap();
            (path.strip_prefix(dir).unwrap().to_path_buf(), content)
        })
        .collect();
    files.sort();
    files
}

/// Writes `text` and a newline to `dir/name`; returns the path.
pub fn secret_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{text}\n")).unwrap();
    // Private, as an operator keeps secret files (a readable one draws a warning).
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    path
}

/// The binary with a clean environment, closed stdin and crash-point settings.
pub fn tokendist(cwd: &Path, args: &[&str], crash: Option<(&str, &str)>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tokendist"));
    command
        .current_dir(cwd)
        .env_remove("TOKENDIST_HOME")
        .env_remove("TOKENDIST_PASSPHRASE_FILE")
        .env_remove("TOKENDIST_CRASH_AT")
        .env_remove("TOKENDIST_CRASH_TRACE")
        .args(args)
        .stdin(Stdio::null());
    if let Some((variable, value)) = crash {
        command.env(variable, value);
    }
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_with_timeout(child)
}

fn wait_with_timeout(mut child: std::process::Child) -> Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("tokendist did not finish within 120 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Runs `args` once with a trace and returns each crash point reached as `NAME#N`, in order.
pub fn trace_points(cwd: &Path, args: &[&str]) -> Vec<String> {
    let trace = cwd.join("crash-trace.txt");
    let _ = std::fs::remove_file(&trace);
    let output = tokendist(
        cwd,
        args,
        Some(("TOKENDIST_CRASH_TRACE", trace.to_str().unwrap())),
    );
    assert!(
        output.status.success(),
        "traced run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&trace).unwrap_or_default();
    let mut seen = std::collections::HashMap::<String, usize>::new();
    text.lines()
        .map(|name| {
            let count = seen.entry(name.to_owned()).or_default();
            *count += 1;
            format!("{name}#{count}")
        })
        .collect()
}

/// Runs `args` with `TOKENDIST_CRASH_AT=point` and checks the process really stopped there.
pub fn crash_at(cwd: &Path, args: &[&str], point: &str) {
    let output = tokendist(cwd, args, Some(("TOKENDIST_CRASH_AT", point)));
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            output.status.signal(),
            Some(6),
            "expected an abort at {point}; status {:?}, stderr {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    #[cfg(not(unix))]
    assert!(!output.status.success());
}

/// Opens with `passphrase`: Ok, or the error (wrong passphrase, damage, …).
pub fn open(dir: &Path, passphrase: &str) -> Result<Workspace, WorkspaceError> {
    Workspace::open(dir, &SecretString::from(passphrase))
}

/// Downloads every downloadable job of an open workspace and checks each ZIP against the
/// size and SHA-256 the history recorded; returns how many.
pub fn download_all(workspace: &Workspace, into: &Path) -> usize {
    let mut history = History::open(workspace).unwrap();
    let ids: Vec<String> = history
        .records()
        .iter()
        .filter(|record| record.has_output())
        .map(|record| record.id.clone())
        .collect();
    for id in &ids {
        let target = into.join(format!("{id}.zip"));
        let _ = std::fs::remove_file(&target);
        jobs::download(
            workspace,
            &mut history,
            id,
            &target,
            false,
            time::OffsetDateTime::now_utc(),
        )
        .unwrap_or_else(|error| panic!("job {id}: {error}"));
    }
    ids.len()
}
