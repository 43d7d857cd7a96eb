//! `tokendist passphrase`: the change itself, its refusals, and a crash at every one of its
//! durable steps (enumerated from a traced run, then each one aborted at in turn).

use crate::ops_common::{
    NEW, OLD, copy_dir, crash_at, download_all, open, secret_file, tokendist, trace_points,
    workspace_with_jobs,
};
use std::path::Path;
use tokendist::workspace::WorkspaceError;

fn args<'a>(ws: &'a str, old: &'a str, new: &'a str) -> Vec<&'a str> {
    vec![
        "passphrase",
        "--workspace",
        ws,
        "--passphrase-file",
        old,
        "--new-passphrase-file",
        new,
    ]
}

/// The workspace opens with exactly one of the two passphrases, everything sealed in it
/// unseals (every staged output downloads and matches its recorded SHA-256), and no file of
/// the change is left. Returns the passphrase that opened it.
fn assert_whole(dir: &Path, downloads: &Path, jobs: usize) -> &'static str {
    let old = open(dir, OLD);
    let old_works = old.is_ok();
    drop(old);
    let new = open(dir, NEW);
    let new_works = new.is_ok();
    drop(new);
    assert!(
        old_works != new_works,
        "old opens: {old_works}, new opens: {new_works}"
    );
    let working = if old_works { OLD } else { NEW };
    let other = if old_works { NEW } else { OLD };
    assert!(matches!(
        open(dir, other),
        Err(WorkspaceError::WrongPassphrase { .. })
    ));
    let workspace = open(dir, working).unwrap();
    assert_eq!(workspace.inventory().len(), 40);
    assert_eq!(download_all(&workspace, downloads), jobs);
    let leftovers: Vec<_> = crate::jobs_common::workspace::all_files(dir)
        .into_iter()
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            name.ends_with(".next") || name == "rotation.journal" || name.ends_with(".tmp")
        })
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    working
}

#[test]
fn the_passphrase_changes_everything_sealed_and_nothing_else() {
    let temp = tempfile::tempdir().unwrap();
    let ws = temp.path().join("ws");
    drop(workspace_with_jobs(&ws, 40, 2, 5));
    let old = secret_file(temp.path(), "old", OLD);
    let new = secret_file(temp.path(), "new", NEW);
    let before = crate::ops_common::snapshot(&ws);
    let output = tokendist(
        temp.path(),
        &args(
            ws.to_str().unwrap(),
            old.to_str().unwrap(),
            new.to_str().unwrap(),
        ),
        None,
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("40 token(s)) and 2 staged job key(s)"),
        "{stdout}"
    );
    assert_eq!(assert_whole(&ws, temp.path(), 2), NEW);
    // Only the sealed files changed: outputs, history and configuration are as they were.
    let after = crate::ops_common::snapshot(&ws);
    let changed: Vec<String> = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.0.display().to_string())
        .collect();
    assert!(
        changed.iter().all(|p| p == "inventory.vault"
            || p.ends_with("key.sealed")
            || p.ends_with("history.jsonl")),
        "{changed:?}"
    );
    assert!(changed.iter().filter(|p| p.ends_with("key.sealed")).count() == 2);
}

#[test]
fn refusals_change_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let ws = temp.path().join("ws");
    drop(workspace_with_jobs(&ws, 40, 1, 5));
    let old = secret_file(temp.path(), "old", OLD);
    let wrong = secret_file(temp.path(), "wrong", "not the passphrase");
    let empty = secret_file(temp.path(), "empty", "");
    let before = crate::ops_common::snapshot(&ws);
    let ws_text = ws.to_str().unwrap();
    for (current, new, needle) in [
        (&wrong, &empty, "wrong passphrase"),
        (&old, &empty, "must not be empty"),
        (&old, &old, "is the current one"),
    ] {
        let output = tokendist(
            temp.path(),
            &args(ws_text, current.to_str().unwrap(), new.to_str().unwrap()),
            None,
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(needle), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    // No terminal and no --new-passphrase-*: a usage error, not a hang.
    let output = tokendist(
        temp.path(),
        &[
            "passphrase",
            "--workspace",
            ws_text,
            "--passphrase-file",
            old.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(crate::ops_common::snapshot(&ws), before);
}

#[test]
fn a_damaged_job_key_stops_the_change_before_anything_is_written() {
    let temp = tempfile::tempdir().unwrap();
    let ws = temp.path().join("ws");
    drop(workspace_with_jobs(&ws, 40, 1, 5));
    let key = crate::jobs_common::workspace::all_files(&ws)
        .into_iter()
        .find(|p| p.ends_with("key.sealed"))
        .unwrap();
    let mut bytes = std::fs::read(&key).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&key, bytes).unwrap();
    let before = crate::ops_common::snapshot(&ws);
    let old = secret_file(temp.path(), "old", OLD);
    let new = secret_file(temp.path(), "new", NEW);
    let output = tokendist(
        temp.path(),
        &args(
            ws.to_str().unwrap(),
            old.to_str().unwrap(),
            new.to_str().unwrap(),
        ),
        None,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("key.sealed") && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert_eq!(crate::ops_common::snapshot(&ws), before);
    assert!(open(&ws, OLD).is_ok());
}

#[test]
fn a_crash_at_every_step_of_a_passphrase_change_leaves_exactly_one_passphrase_working() {
    let temp = tempfile::tempdir().unwrap();
    let template = temp.path().join("template");
    drop(workspace_with_jobs(&template, 40, 2, 5));
    let old = secret_file(temp.path(), "old", OLD);
    let new = secret_file(temp.path(), "new", NEW);
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());

    let traced = temp.path().join("traced");
    copy_dir(&template, &traced);
    let points = trace_points(temp.path(), &args(traced.to_str().unwrap(), old, new));
    for expected in [
        "passphrase.journal-written#1",
        "passphrase.sealed-file-staged#2",
        "passphrase.inventory-staged#1",
        "passphrase.commit-renamed#1",
        "passphrase.committed#1",
        "passphrase.sealed-file-switched#2",
        "passphrase.journal-removed#1",
    ] {
        assert!(
            points.iter().any(|p| p == expected),
            "{expected} not in {points:?}"
        );
    }
    let commit = points
        .iter()
        .position(|p| p == "passphrase.commit-renamed#1")
        .unwrap();

    for (index, point) in points.iter().enumerate() {
        let dir = temp.path().join(format!("crash-{index}"));
        copy_dir(&template, &dir);
        crash_at(temp.path(), &args(dir.to_str().unwrap(), old, new), point);
        let expected = if index < commit { OLD } else { NEW };
        // Before anything settles it, check sees an interrupted change as a warning only.
        let pending = dir.join("rotation.journal").exists();
        // A crash inside an atomic write leaves its temporary file: check warns about it (the
        // next open removes it).
        let stray = std::fs::read_dir(&dir).unwrap().flatten().any(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.starts_with('.') && name.ends_with(".tmp")
        });
        let pass = if expected == OLD { old } else { new };
        let checked = tokendist(
            temp.path(),
            &[
                "check",
                "--workspace",
                dir.to_str().unwrap(),
                "--passphrase-file",
                pass,
            ],
            None,
        );
        let report = String::from_utf8_lossy(&checked.stdout);
        assert_eq!(
            checked.status.code(),
            Some(if pending || stray { 3 } else { 0 }),
            "check after a crash at {point}: {report}"
        );
        let working = assert_whole(&dir, temp.path(), 2);
        assert_eq!(working, expected, "after a crash at {point}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
