//! `tokens remove` (review, confirmation, the history kept) and `tokens list --state` /
//! `--expiring-within`.

use crate::ops_common::{OLD, run_job, secret_file, tokendist};
use serde_json::Value;
use std::path::PathBuf;
use tokendist::secret::SecretString;
use tokendist::workspace::{KdfParams, Workspace};

struct Env {
    temp: tempfile::TempDir,
    ws: PathBuf,
    pass: PathBuf,
}

/// 20 tokens from serial 1000; 1000-1004 expired, 1005-1006 expire within 10 days, 1010-1014
/// distributed by a completed job, 1015-1019 unassigned.
fn env() -> Env {
    let temp = tempfile::tempdir().unwrap();
    let ws = temp.path().join("ws");
    let today = time::OffsetDateTime::now_utc().date();
    let mut workspace =
        Workspace::init_with_kdf(&ws, &SecretString::from(OLD), KdfParams::INSECURE_FOR_TESTS)
            .unwrap();
    let mut tokens = crate::jobs_common::workspace::inventory_tokens(1000, 20);
    for token in &mut tokens {
        let n = token.serial.value() - 1000;
        if n < 5 {
            token.expires = today - time::Duration::days(1 + n as i64);
        } else if n < 7 {
            token.expires = today + time::Duration::days(5 * (n as i64 - 4));
        }
        if n >= 15 {
            token.user = None;
        }
    }
    workspace
        .update_inventory(|inventory| {
            inventory.insert_new(tokens);
            Ok(())
        })
        .unwrap();
    run_job(&mut workspace, "Pilot", 1010, 5);
    drop(workspace);
    let pass = secret_file(temp.path(), "pass", OLD);
    Env { temp, ws, pass }
}

impl Env {
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let all = [
            &[
                "--workspace",
                self.ws.to_str().unwrap(),
                "--passphrase-file",
                self.pass.to_str().unwrap(),
            ][..],
            args,
        ]
        .concat();
        let output = tokendist(self.temp.path(), &all, None);
        (
            output.status.code().unwrap(),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    }

    fn serials(&self, args: &[&str]) -> Vec<u64> {
        let (code, stdout, stderr) = self.run(&[&["tokens", "list", "--json"][..], args].concat());
        assert_eq!(code, 0, "{stderr}");
        let value: Value = serde_json::from_str(&stdout).unwrap();
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["serial"].as_str().unwrap().parse().unwrap())
            .collect()
    }

    fn jobs(&self) -> Value {
        let (code, stdout, stderr) = self.run(&["jobs", "list", "--json"]);
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str(&stdout).unwrap()
    }
}

#[test]
fn list_filters_by_state_and_expiry() {
    let env = env();
    assert_eq!(
        env.serials(&["--state", "expired"]),
        [1000, 1001, 1002, 1003, 1004]
    );
    assert_eq!(
        env.serials(&["--state", "distributed"]),
        [1010, 1011, 1012, 1013, 1014]
    );
    assert_eq!(
        env.serials(&["--state", "unassigned"]),
        [1015, 1016, 1017, 1018, 1019]
    );
    assert_eq!(env.serials(&["--state", "assigned"]).len(), 15);
    assert_eq!(
        env.serials(&["--state", "expired", "--state", "unassigned"])
            .len(),
        10
    );
    assert_eq!(env.serials(&["--expiring-within", "5"]), [1005]);
    assert_eq!(env.serials(&["--expiring-within", "10"]), [1005, 1006]);
    assert_eq!(
        env.serials(&["--state", "unassigned", "--expiring-within", "10"]),
        [0u64; 0]
    );
    let (code, _, stderr) = env.run(&["tokens", "list", "--state", "lost"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn remove_reviews_asks_and_keeps_the_history() {
    let env = env();
    // Without a terminal to ask on, only --yes removes.
    let (code, _, stderr) = env.run(&["tokens", "remove", "--expired"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");
    assert_eq!(env.serials(&[]).len(), 20);

    let (code, _, stderr) = env.run(&["tokens", "remove", "999999", "--yes"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("not in the inventory: 000000999999; nothing was removed"),
        "{stderr}"
    );
    let (code, _, _) = env.run(&["tokens", "remove", "--yes"]);
    assert_eq!(code, 2, "SERIALS or --expired is required");

    let (code, stdout, stderr) = env.run(&["tokens", "remove", "--expired", "--yes"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("5 token(s) will be removed"), "{stdout}");
    assert!(stdout.contains("000000001000"), "{stdout}");
    assert!(
        stdout.contains("warning: 5 of them are assigned"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(
            "5 token(s) removed; 15 remain. The job history keeps its records of them.\n"
        ),
        "{stdout}"
    );
    assert_eq!(env.serials(&["--state", "expired"]), [0u64; 0]);

    let jobs_before = env.jobs();
    let (code, stdout, stderr) = env.run(&["tokens", "remove", "1010-1012", "--yes"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("3 of them were distributed and have not expired"),
        "{stdout}"
    );
    assert_eq!(env.serials(&["--state", "distributed"]), [1013, 1014]);
    // The job and its output outlive the tokens.
    assert_eq!(env.jobs(), jobs_before);
    let zip = env.temp.path().join("pilot.zip");
    let (code, _, stderr) = env.run(&[
        "jobs",
        "download",
        "Pilot",
        "--output",
        zip.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");

    let (code, stdout, _) = env.run(&["tokens", "remove", "1000-1004", "--expired", "--yes"]);
    assert_eq!(code, 0);
    assert_eq!(stdout, "No token matches; nothing was removed.\n");
}
