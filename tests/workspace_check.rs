//! `tokendist check`: a clean workspace passes; each kind of damage is one finding naming the
//! file; warnings alone exit 3, errors 1; and the check never changes the workspace.

use crate::ops_common::{OLD, secret_file, snapshot, tokendist, workspace_with_jobs};
use std::path::Path;

struct Checked {
    code: i32,
    stdout: String,
}

fn check(cwd: &Path, ws: &Path, pass: &Path) -> Checked {
    let before = snapshot(ws);
    let output = tokendist(
        cwd,
        &[
            "check",
            "--workspace",
            ws.to_str().unwrap(),
            "--passphrase-file",
            pass.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(snapshot(ws), before, "check changed the workspace");
    Checked {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
    }
}

fn staged(ws: &Path, file: &str) -> std::path::PathBuf {
    crate::jobs_common::workspace::all_files(ws)
        .into_iter()
        .find(|p| p.ends_with(file))
        .unwrap()
}

#[test]
fn a_clean_workspace_and_the_demo_check_out() {
    let temp = tempfile::tempdir().unwrap();
    let ws = temp.path().join("ws");
    drop(workspace_with_jobs(&ws, 40, 2, 5));
    let pass = secret_file(temp.path(), "pass", OLD);
    let checked = check(temp.path(), &ws, &pass);
    assert_eq!(checked.code, 0, "{}", checked.stdout);
    assert!(
        checked
            .stdout
            .ends_with("0 error(s), 0 warning(s) (40 token(s)); nothing was changed\n"),
        "{}",
        checked.stdout
    );

    // The demo's pilot job is in its history, so its distributions name a job that exists.
    let env = crate::common::WorkspaceEnv::demo();
    let checked = check(temp.path(), &env.dir, &env.passphrase_file);
    assert_eq!(checked.code, 0, "{}", checked.stdout);
}

#[test]
fn warnings_alone_exit_3() {
    let temp = tempfile::tempdir().unwrap();
    let ws = temp.path().join("ws");
    drop(workspace_with_jobs(&ws, 40, 1, 5));
    let pass = secret_file(temp.path(), "pass", OLD);
    tokendist::workspace::write_atomic(&ws.join(".inventory.vault.abc123.tmp"), b"half").unwrap();
    tokendist::workspace::create_private_dir(&ws.join("jobs/staged/20990101-000000-dead")).unwrap();
    let checked = check(temp.path(), &ws, &pass);
    assert_eq!(checked.code, 3, "{}", checked.stdout);
    let lines: Vec<&str> = checked.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", checked.stdout);
    assert!(
        lines[0].starts_with("warning: .inventory.vault.abc123.tmp: a temporary file"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("warning: jobs/staged/20990101-000000-dead: staged files of a job the history does not hold; fix: "), "{}", lines[1]);
    assert!(lines[2].contains("0 error(s), 2 warning(s)"));
}

/// Something done to a workspace to damage it.
type Damage = Box<dyn Fn(&Path)>;

#[test]
fn each_kind_of_damage_is_an_error_naming_the_file() {
    let temp = tempfile::tempdir().unwrap();
    let pass = secret_file(temp.path(), "pass", OLD);
    let cases: Vec<(&str, Damage, &str)> = vec![
        (
            "output tampered",
            Box::new(|ws: &Path| {
                let path = staged(ws, "output.sealed");
                let mut bytes = std::fs::read(&path).unwrap();
                let at = bytes.len() / 2;
                bytes[at] ^= 1;
                std::fs::write(&path, bytes).unwrap();
            }),
            "error: jobs/staged/",
        ),
        (
            "output missing",
            Box::new(|ws: &Path| std::fs::remove_file(staged(ws, "output.sealed")).unwrap()),
            "is missing; fix: delete the job's output record",
        ),
        (
            "history line damaged",
            Box::new(|ws: &Path| {
                let path = ws.join("jobs/history.jsonl");
                let text = std::fs::read_to_string(&path).unwrap();
                std::fs::write(&path, format!("{text}{{not json\n")).unwrap();
            }),
            "error: jobs/history.jsonl: line 2: not a job record",
        ),
        (
            "configuration broken",
            Box::new(|ws: &Path| {
                let path = ws.join("tokendist.toml");
                let text = std::fs::read_to_string(&path).unwrap();
                std::fs::write(&path, format!("{text}\nnot toml = = \n")).unwrap();
            }),
            "error: tokendist.toml: ",
        ),
        (
            "inventory tampered",
            Box::new(|ws: &Path| {
                let path = ws.join("inventory.vault");
                let mut bytes = std::fs::read(&path).unwrap();
                let at = bytes.len() - 5;
                bytes[at] ^= 1;
                std::fs::write(&path, bytes).unwrap();
            }),
            "error: inventory.vault: ",
        ),
        (
            "world-writable file",
            Box::new(|ws: &Path| {
                use std::os::unix::fs::PermissionsExt;
                let path = ws.join("jobs/history.jsonl");
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
            }),
            "error: jobs/history.jsonl: mode 0666 lets other users change it; fix: chmod 600",
        ),
        (
            "symbolic link",
            Box::new(|ws: &Path| {
                std::os::unix::fs::symlink("/etc/passwd", ws.join("jobs/link")).unwrap();
            }),
            "error: jobs/link: is a symbolic link",
        ),
    ];
    for (index, (what, damage, needle)) in cases.into_iter().enumerate() {
        let ws = temp.path().join(format!("ws{index}"));
        drop(workspace_with_jobs(&ws, 40, 1, 5));
        damage(&ws);
        let checked = check(temp.path(), &ws, &pass);
        assert_eq!(checked.code, 1, "{what}: {}", checked.stdout);
        assert!(
            checked.stdout.contains(needle),
            "{what}: {}",
            checked.stdout
        );
        for line in checked.stdout.lines() {
            assert!(
                line.starts_with("error: ")
                    || line.starts_with("warning: ")
                    || line.contains(" error(s), "),
                "{what}: {line}"
            );
        }
    }
}

#[test]
fn a_wrong_passphrase_is_a_failure_of_the_check_itself() {
    let temp = tempfile::tempdir().unwrap();
    let ws = temp.path().join("ws");
    drop(workspace_with_jobs(&ws, 40, 0, 0));
    let wrong = secret_file(temp.path(), "wrong", "nope");
    let output = tokendist(
        temp.path(),
        &[
            "check",
            "--workspace",
            ws.to_str().unwrap(),
            "--passphrase-file",
            wrong.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("wrong passphrase"));
    assert!(output.stdout.is_empty());
}
