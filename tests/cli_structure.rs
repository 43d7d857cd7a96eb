//! Which options each command takes: workspace options only on workspace commands, and a
//! seed never taken from argv unless a test insists.

use assert_cmd::Command;
use std::time::Duration;

fn tokendist() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tokendist"));
    command
        .env_remove("TOKENDIST_HOME")
        .env_remove("TOKENDIST_PASSPHRASE_FILE")
        .timeout(Duration::from_secs(60));
    command
}

fn help(args: &[&str]) -> String {
    let output = tokendist().args(args).arg("--help").output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn sdtid_commands_do_not_offer_workspace_options() {
    for command in ["inspect", "code", "issue"] {
        let text = help(&["sdtid", command]);
        assert!(!text.contains("--workspace"), "sdtid {command}: {text}");
        assert!(
            !text.contains("--passphrase-file"),
            "sdtid {command}: {text}"
        );
    }
    for args in [
        &["tokens", "list"][..],
        &["jobs", "submit"],
        &["check"],
        &["backup"],
    ] {
        let text = help(args);
        assert!(
            text.contains("--workspace") && text.contains("--passphrase-file"),
            "{args:?}"
        );
    }
    let output = tokendist()
        .args(["sdtid", "inspect", "x.sdtid", "--workspace", "ws"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = tokendist()
        .args(["--workspace", "ws", "sdtid", "inspect", "x.sdtid"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("use no workspace"));
}

#[test]
fn workspace_options_work_before_and_after_the_command() {
    let env = crate::common::WorkspaceEnv::initialised("a passphrase for this");
    for args in [
        vec!["--workspace", env.dir.to_str().unwrap(), "tokens", "list"],
        vec!["tokens", "--workspace", env.dir.to_str().unwrap(), "list"],
        vec!["tokens", "list", "--workspace", env.dir.to_str().unwrap()],
    ] {
        tokendist()
            .args(&args)
            .arg("--passphrase-file")
            .arg(&env.passphrase_file)
            .write_stdin("")
            .assert()
            .success();
    }
}

#[test]
fn issue_reads_the_seed_from_a_file_or_stdin_and_refuses_it_on_argv() {
    let dir = tempfile::tempdir().unwrap();
    let seed = "00112233445566778899aabbccddeeff";
    let inspect_seed = |file: &std::path::Path| {
        let output = tokendist()
            .args(["sdtid", "inspect", "--json", "--show-seed"])
            .arg(file)
            .write_stdin("")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        value["tokens"][0]["seed_hex"]
            .as_str()
            .unwrap()
            .to_lowercase()
    };
    let from_stdin = dir.path().join("stdin.sdtid");
    tokendist()
        .args(["sdtid", "issue", "--seed-file", "-", "--out"])
        .arg(&from_stdin)
        .write_stdin(format!("{seed}\n"))
        .assert()
        .success();
    assert_eq!(inspect_seed(&from_stdin), seed);

    let seed_file = dir.path().join("seed.txt");
    std::fs::write(&seed_file, format!("{}\n", seed.to_uppercase())).unwrap();
    let from_file = dir.path().join("file.sdtid");
    tokendist()
        .args(["sdtid", "issue", "--seed-file"])
        .arg(&seed_file)
        .arg("--out")
        .arg(&from_file)
        .write_stdin("")
        .assert()
        .success();
    assert_eq!(inspect_seed(&from_file), seed);

    let refused = dir.path().join("argv.sdtid");
    let output = tokendist()
        .args(["sdtid", "issue", "--seed-hex", seed, "--out"])
        .arg(&refused)
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--seed-file") && !stderr.contains(seed),
        "{stderr}"
    );
    assert!(!refused.exists());
    tokendist()
        .args([
            "sdtid",
            "issue",
            "--insecure-seed-argv",
            "--seed-hex",
            seed,
            "--out",
        ])
        .arg(&refused)
        .write_stdin("")
        .assert()
        .success();

    let output = tokendist()
        .args([
            "sdtid",
            "issue",
            "--seed-file",
            "-",
            "--password-stdin",
            "--out",
        ])
        .arg(dir.path().join("both.sdtid"))
        .write_stdin(format!("{seed}\n"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}
