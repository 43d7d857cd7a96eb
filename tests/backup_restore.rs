//! `tokendist backup` and `tokendist restore`: a lossless round trip at 100,000 tokens,
//! damage and tampering detected, refusals, and a crash at every durable step of both.

use crate::ops_common::{
    OLD, crash_at, download_all, open, secret_file, snapshot, tokendist, trace_points,
    workspace_with_jobs,
};
use std::path::Path;

fn backup_args<'a>(ws: &'a str, pass: &'a str, file: &'a str) -> Vec<&'a str> {
    vec!["backup", file, "--workspace", ws, "--passphrase-file", pass]
}

fn restore_args<'a>(target: &'a str, pass: &'a str, file: &'a str) -> Vec<&'a str> {
    vec![
        "restore",
        file,
        "--workspace",
        target,
        "--passphrase-file",
        pass,
    ]
}

fn run_ok(cwd: &Path, args: &[&str]) -> String {
    let output = tokendist(cwd, args, None);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn run_fails(cwd: &Path, args: &[&str]) -> String {
    let output = tokendist(cwd, args, None);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr
}

/// Nothing at `target` and no restore leftovers beside it.
fn assert_nothing_restored(target: &Path) {
    assert!(!target.exists(), "{} was created", target.display());
    let parent = target.parent().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(parent)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".restore-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_backup_of_100k_tokens_restores_byte_for_byte() {
    let temp = tempfile::tempdir().unwrap();
    let ws = temp.path().join("ws");
    let original = workspace_with_jobs(&ws, 100_000, 2, 5);
    let inventory = original.inventory().clone();
    drop(original);
    let pass = secret_file(temp.path(), "pass", OLD);
    let pass = pass.to_str().unwrap();
    let file = temp.path().join("site.tdbackup");
    let stdout = run_ok(
        temp.path(),
        &backup_args(ws.to_str().unwrap(), pass, file.to_str().unwrap()),
    );
    assert!(
        stdout.contains("(100000 token(s)); read back and verified"),
        "{stdout}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Sealed: neither names from the inventory nor the history show in the file.
    let sealed = std::fs::read(&file).unwrap();
    for needle in ["Ødegård".as_bytes(), b"Batch 0", b"Android", b"user001"] {
        assert!(!sealed.windows(needle.len()).any(|w| w == needle));
    }

    let restored = temp.path().join("restored");
    let stdout = run_ok(
        temp.path(),
        &restore_args(restored.to_str().unwrap(), pass, file.to_str().unwrap()),
    );
    assert!(
        stdout.contains("checked before it was put in place"),
        "{stdout}"
    );
    assert_eq!(snapshot(&restored), snapshot(&ws));
    let workspace = open(&restored, OLD).unwrap();
    assert_eq!(workspace.inventory(), &inventory);
    let user = workspace
        .inventory()
        .iter()
        .nth(1)
        .unwrap()
        .user
        .clone()
        .unwrap();
    assert_eq!(user.last_name(), "Ødegård-Łukasiewicz 山田");
    assert_eq!(download_all(&workspace, temp.path()), 2);
}

#[test]
fn damage_tampering_and_a_wrong_passphrase_restore_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let ws = temp.path().join("ws");
    drop(workspace_with_jobs(&ws, 40, 1, 5));
    let pass = secret_file(temp.path(), "pass", OLD);
    let pass = pass.to_str().unwrap();
    let file = temp.path().join("good.tdbackup");
    run_ok(
        temp.path(),
        &backup_args(ws.to_str().unwrap(), pass, file.to_str().unwrap()),
    );
    let good = std::fs::read(&file).unwrap();
    let target = temp.path().join("target");
    let target_text = target.to_str().unwrap();
    let bad = temp.path().join("bad.tdbackup");
    let bad_text = bad.to_str().unwrap();

    let mut variants: Vec<(String, Vec<u8>)> = Vec::new();
    for at in [30, 60, 120, good.len() / 2, good.len() - 20, good.len() - 1] {
        let mut copy = good.clone();
        copy[at] ^= 0x20;
        variants.push((format!("byte {at} flipped"), copy));
    }
    variants.push(("last byte cut".into(), good[..good.len() - 1].to_vec()));
    variants.push(("cut in half".into(), good[..good.len() / 2].to_vec()));
    variants.push(("a byte appended".into(), [good.as_slice(), b"x"].concat()));
    variants.push(("not a backup".into(), b"hello".to_vec()));
    for (what, bytes) in variants {
        std::fs::write(&bad, bytes).unwrap();
        let stderr = run_fails(temp.path(), &restore_args(target_text, pass, bad_text));
        assert!(
            [
                "damaged",
                "truncated",
                "modified",
                "not a tokendist backup",
                "too short",
                "ends early",
                "after its end",
                "authentic"
            ]
            .iter()
            .any(|needle| stderr.contains(needle)),
            "{what}: {stderr}"
        );
        assert_nothing_restored(&target);
    }

    let wrong = secret_file(temp.path(), "wrong", "not it");
    let stderr = run_fails(
        temp.path(),
        &restore_args(target_text, wrong.to_str().unwrap(), file.to_str().unwrap()),
    );
    assert!(stderr.contains("wrong passphrase"), "{stderr}");
    assert_nothing_restored(&target);
}

#[test]
fn backup_and_restore_refuse_to_overwrite() {
    let temp = tempfile::tempdir().unwrap();
    let ws = temp.path().join("ws");
    drop(workspace_with_jobs(&ws, 40, 0, 0));
    let pass = secret_file(temp.path(), "pass", OLD);
    let pass = pass.to_str().unwrap();
    let file = temp.path().join("b.tdbackup");
    let file_text = file.to_str().unwrap();
    std::fs::write(&file, "keep me").unwrap();
    let stderr = run_fails(
        temp.path(),
        &backup_args(ws.to_str().unwrap(), pass, file_text),
    );
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
    run_ok(
        temp.path(),
        &[
            &backup_args(ws.to_str().unwrap(), pass, file_text)[..],
            &["--force"],
        ]
        .concat(),
    );

    let before = snapshot(&ws);
    let stderr = run_fails(
        temp.path(),
        &restore_args(ws.to_str().unwrap(), pass, file_text),
    );
    assert!(
        stderr.contains("already holds a tokendist workspace"),
        "{stderr}"
    );
    assert_eq!(snapshot(&ws), before);
    let occupied = temp.path().join("occupied");
    std::fs::create_dir(&occupied).unwrap();
    std::fs::write(occupied.join("notes.txt"), "mine").unwrap();
    let stderr = run_fails(
        temp.path(),
        &restore_args(occupied.to_str().unwrap(), pass, file_text),
    );
    assert!(stderr.contains("not empty"), "{stderr}");
    assert_eq!(std::fs::read(occupied.join("notes.txt")).unwrap(), b"mine");
    // An empty directory is fine.
    let empty = temp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    run_ok(
        temp.path(),
        &restore_args(empty.to_str().unwrap(), pass, file_text),
    );
    assert!(open(&empty, OLD).is_ok());
}

#[test]
fn a_crash_at_every_step_of_a_backup_leaves_no_file_or_a_complete_one() {
    let temp = tempfile::tempdir().unwrap();
    let ws = temp.path().join("ws");
    drop(workspace_with_jobs(&ws, 40, 1, 5));
    let before = snapshot(&ws);
    let pass = secret_file(temp.path(), "pass", OLD);
    let pass = pass.to_str().unwrap();
    let ws_text = ws.to_str().unwrap();
    let traced = temp.path().join("traced.tdbackup");
    let points = trace_points(
        temp.path(),
        &backup_args(ws_text, pass, traced.to_str().unwrap()),
    );
    for expected in ["backup.written#1", "backup.verified#1", "backup.renamed#1"] {
        assert!(
            points.iter().any(|p| p == expected),
            "{expected} not in {points:?}"
        );
    }
    for (index, point) in points.iter().enumerate() {
        let file = temp.path().join(format!("crash-{index}.tdbackup"));
        crash_at(
            temp.path(),
            &backup_args(ws_text, pass, file.to_str().unwrap()),
            point,
        );
        assert_eq!(snapshot(&ws), before, "the workspace changed at {point}");
        if file.exists() {
            // Published: it must be the whole backup.
            let target = temp.path().join(format!("restored-{index}"));
            run_ok(
                temp.path(),
                &restore_args(target.to_str().unwrap(), pass, file.to_str().unwrap()),
            );
            assert_eq!(snapshot(&target), before, "{point}");
            std::fs::remove_dir_all(&target).unwrap();
        }
        // The backup has no name until it is whole: nothing is left beside the target.
        for entry in std::fs::read_dir(temp.path()).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                !name.starts_with('.'),
                "{name} left beside the backup at {point}"
            );
        }
    }
}

#[test]
fn a_crash_at_every_step_of_a_restore_leaves_nothing_or_the_whole_workspace() {
    let temp = tempfile::tempdir().unwrap();
    let ws = temp.path().join("ws");
    drop(workspace_with_jobs(&ws, 40, 1, 5));
    let before = snapshot(&ws);
    let pass = secret_file(temp.path(), "pass", OLD);
    let pass = pass.to_str().unwrap();
    let file = temp.path().join("b.tdbackup");
    let file_text = file.to_str().unwrap();
    run_ok(
        temp.path(),
        &backup_args(ws.to_str().unwrap(), pass, file_text),
    );

    let traced = temp.path().join("traced");
    let points = trace_points(
        temp.path(),
        &restore_args(traced.to_str().unwrap(), pass, file_text),
    );
    for expected in [
        "restore.extracted#1",
        "restore.verified#1",
        "restore.renamed#1",
    ] {
        assert!(
            points.iter().any(|p| p == expected),
            "{expected} not in {points:?}"
        );
    }
    for (index, point) in points.iter().enumerate() {
        let parent = temp.path().join(format!("crash-{index}"));
        std::fs::create_dir(&parent).unwrap();
        let target = parent.join("ws");
        crash_at(
            temp.path(),
            &restore_args(target.to_str().unwrap(), pass, file_text),
            point,
        );
        if target.exists() {
            assert_eq!(snapshot(&target), before, "{point}");
            assert!(open(&target, OLD).is_ok());
        } else {
            // Only an unfinished hidden directory may be there, and a new restore works (and
            // removes it).
            run_ok(
                temp.path(),
                &restore_args(target.to_str().unwrap(), pass, file_text),
            );
            assert_eq!(snapshot(&target), before, "{point}");
        }
        let left: Vec<String> = std::fs::read_dir(&parent)
            .unwrap()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name != "ws")
            .collect();
        assert!(
            left.is_empty(),
            "{left:?} left beside the restored workspace at {point}"
        );
    }
}
