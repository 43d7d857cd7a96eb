//! The workspace commands through the real binary: init, demo, tokens list/assign/unassign,
//! profiles list, a locked workspace, a broken configuration and a missing workspace.

use crate::common;

use assert_cmd::Command;
use common::WorkspaceEnv;
use predicates::prelude::*;
use serde_json::Value;
use tokendist::secret::SecretString;
use tokendist::workspace::{KdfParams, Workspace, demo};

fn stderr_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn init_creates_a_workspace_that_opens_with_its_passphrase() {
    let env = WorkspaceEnv::new("a long enough passphrase");
    env.cmd(&["init"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Created workspace"));
    assert!(env.dir.join("tokendist.toml").is_file());
    assert!(env.dir.join("inventory.vault").is_file());
    assert_eq!(env.list_json(&[]).len(), 0);
    env.cmd(&["init"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "already holds a tokendist workspace",
        ));
    let config = std::fs::read_to_string(env.dir.join("tokendist.toml")).unwrap();
    assert_eq!(config, tokendist::workspace::DEFAULT_CONFIG);
}

#[test]
fn init_refuses_an_empty_passphrase_and_needs_one_without_a_terminal() {
    let env = WorkspaceEnv::new("");
    env.cmd(&["init"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("must not be empty"));
    assert!(!env.dir.join("inventory.vault").exists());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tokendist"));
    cmd.env_remove("TOKENDIST_PASSPHRASE_FILE")
        .arg("--workspace")
        .arg(&env.dir)
        .arg("init")
        .write_stdin("");
    cmd.assert()
        .code(2)
        .stderr(predicate::str::contains("--passphrase-file"));
}

#[test]
fn the_passphrase_file_can_come_from_the_environment_and_the_workspace_from_tokendist_home() {
    let env = WorkspaceEnv::demo();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tokendist"));
    cmd.env("TOKENDIST_HOME", &env.dir)
        .env("TOKENDIST_PASSPHRASE_FILE", &env.passphrase_file)
        .args(["tokens", "list", "--json", "--serials", "000500000001"])
        .write_stdin("");
    let output = cmd.assert().success();
    let value: Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    assert_eq!(value[0]["serial"], "000500000001");
}

#[test]
fn every_command_on_a_missing_workspace_says_how_to_create_one() {
    let env = WorkspaceEnv::new("x");
    let hint = format!(
        "create one with `tokendist init --workspace {}`",
        env.dir.display()
    );
    for args in [
        vec!["tokens", "list"],
        vec!["tokens", "unassign", "1"],
        vec!["tokens", "assign", "/dev/null"],
        vec!["profiles", "list"],
    ] {
        env.cmd(&args)
            .assert()
            .code(1)
            .stderr(predicate::str::contains(hint.clone()));
    }
}

#[test]
fn the_demo_workspace_is_ready_to_use() {
    let env = WorkspaceEnv::new("demo");
    env.cmd(&["demo"])
        .assert()
        .success()
        .stdout(predicate::str::contains("passphrase: demo"));
    let tokens = env.list_json(&[]);
    assert_eq!(tokens.len() as u64, demo::DEMO_TOKEN_COUNT);
    let first = &tokens[0];
    for key in [
        "serial",
        "user_login",
        "first_name",
        "last_name",
        "expires",
        "digits",
        "interval",
        "distributed_count",
    ] {
        assert!(first.get(key).is_some(), "missing {key}: {first}");
    }
    assert!(tokens.iter().all(|t| t.get("seed").is_none()));
    let expires = first["expires"].as_str().unwrap();
    assert!(
        time::Date::parse(
            expires,
            &time::format_description::well_known::Iso8601::DATE
        )
        .is_ok(),
        "{expires}"
    );
    // demo refuses to overwrite and insists on an explicit directory
    env.cmd(&["demo"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("already holds"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tokendist"));
    cmd.env("TOKENDIST_HOME", &env.dir)
        .arg("demo")
        .write_stdin("");
    cmd.assert()
        .code(2)
        .stderr(predicate::str::contains("--workspace DIR"));
}

#[test]
fn list_filters_combine() {
    let env = WorkspaceEnv::demo();
    let all = env.list_json(&[]);
    let assigned = env.list_json(&["--assigned"]);
    let unassigned = env.list_json(&["--unassigned"]);
    assert_eq!(assigned.len() + unassigned.len(), all.len());
    assert!(unassigned.iter().all(|t| t["user_login"].is_null()));
    let range = env.list_json(&[
        "--serials",
        "000500000010-000500000019",
        "--serials",
        "500000100",
    ]);
    assert_eq!(range.len(), 11);
    let login = assigned[0]["user_login"].as_str().unwrap().to_owned();
    let by_user = env.list_json(&["--user", &login]);
    assert_eq!(by_user.len(), 1);
    assert_eq!(by_user[0]["user_login"], login.as_str());
    let glob = format!("{}*", &login[..2]);
    let globbed = env.list_json(&["--user", &glob]);
    assert!(
        globbed
            .iter()
            .all(|t| t["user_login"].as_str().unwrap().starts_with(&login[..2]))
    );
    env.cmd(&["tokens", "list", "--serials", "9-1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("comes after"));
    env.cmd(&["tokens", "list", "--serials", "12x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("12x"));
}

#[test]
fn the_table_shows_the_issue_columns_and_no_seed() {
    let env = WorkspaceEnv::demo();
    let output = env.cmd(&["tokens", "list"]).assert().success();
    let text = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    let header = text.lines().next().unwrap();
    for column in [
        "SERIAL",
        "USER",
        "FIRST NAME",
        "LAST NAME",
        "EXPIRES",
        "DIGITS",
        "INTERVAL",
        "DISTRIBUTED",
    ] {
        assert!(header.contains(column), "{header}");
    }
    assert_eq!(text.lines().count() as u64, demo::DEMO_TOKEN_COUNT + 1);
    assert!(text.contains("(expired)"));
}

#[test]
fn assign_reports_every_bad_row_with_its_line_and_applies_nothing() {
    let env = WorkspaceEnv::demo();
    let before = env.list_json(&[]);
    let csv = env.write(
        "users.csv",
        "serial,user_login,first_name,last_name\n\
         000500000006,newuser,New,User\n\
         12a,someone,Some,One\n\
         999999999999,ghost,Gh,Ost\n\
         000500000018,,No,Login\n\
         000500000006,again,Ag,Ain\n\
         000500000020,short\n\
         000500000021,jose,José,Perez\n",
    );
    let assert = env
        .cmd(&["tokens", "assign", csv.to_str().unwrap()])
        .assert()
        .code(1);
    let stderr = stderr_of(&assert);
    let at = |line: u32| format!("{}:{line}:", csv.display());
    for (line, message) in [
        (3, "malformed serial"),
        (4, "serial 999999999999 is not in the inventory"),
        (5, "user_login is empty"),
        (6, "serial 000500000006 is already assigned on line 2"),
        (7, "expected 4 fields"),
        (8, "first_name contains 'é'"),
    ] {
        assert!(
            stderr.contains(&format!("{} {message}", at(line))),
            "{stderr}"
        );
    }
    assert!(stderr.contains("nothing was assigned"), "{stderr}");
    assert_eq!(env.list_json(&[]), before, "nothing may change");

    let bad_header = env.write("bad.csv", "serial,login\n000500000006,x\n");
    env.cmd(&["tokens", "assign", bad_header.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            ":1: the header must be `serial,user_login,first_name,last_name`",
        ));
}

#[test]
fn assign_then_unassign() {
    let env = WorkspaceEnv::demo();
    let csv = env.write(
        "users.csv",
        "\u{feff}Serial,User_Login,First_Name,Last_Name\r\n000500000006, jdoe ,Jane,Doe\r\n000500000001,aandersen0,Alice,Andersen\r\n",
    );
    env.cmd(&["tokens", "assign", csv.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1 newly assigned, 0 reassigned to another user, 1 unchanged",
        ));
    let token = &env.list_json(&["--serials", "000500000006"])[0];
    assert_eq!(
        (token["user_login"].as_str(), token["first_name"].as_str()),
        (Some("jdoe"), Some("Jane"))
    );

    env.cmd(&["tokens", "unassign", "000500000006", "999"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "not in the inventory: 000000000999",
        ));
    assert_eq!(
        env.list_json(&["--serials", "000500000006"])[0]["user_login"],
        "jdoe"
    );
    env.cmd(&["tokens", "unassign", "000500000006", "500000001"])
        .assert()
        .success();
    assert!(env.list_json(&["--serials", "000500000006"])[0]["user_login"].is_null());
    assert!(env.list_json(&["--serials", "000500000001"])[0]["user_login"].is_null());
}

#[test]
fn a_second_process_on_a_locked_workspace_is_told_who_holds_it() {
    let env = WorkspaceEnv::new("pass");
    let held = Workspace::init_with_kdf(
        &env.dir,
        &SecretString::from("pass"),
        KdfParams::INSECURE_FOR_TESTS,
    )
    .unwrap();
    let expected = format!(
        "workspace {} is in use by process {}",
        env.dir.display(),
        std::process::id()
    );
    env.cmd(&["tokens", "list"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(expected));
    drop(held);
    env.cmd(&["tokens", "list"]).assert().success();
}

#[test]
fn a_wrong_passphrase_is_a_clear_error() {
    let env = WorkspaceEnv::demo();
    std::fs::write(&env.passphrase_file, "Demo\n").unwrap();
    env.cmd(&["tokens", "list"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("wrong passphrase"));
}

#[test]
fn a_broken_configuration_names_file_line_and_column() {
    let env = WorkspaceEnv::initialised("pass");
    let path = env.dir.join("tokendist.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let broken = text.replacen("interval = 60", "interval = 45", 1);
    let line = broken
        .lines()
        .position(|l| l.contains("interval = 45"))
        .unwrap()
        + 1;
    std::fs::write(&path, &broken).unwrap();
    let expected = format!(
        "{}:{line}:12: interval must be 30 or 60 seconds (got 45)",
        path.display()
    );
    env.cmd(&["profiles", "list"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(expected.clone()));
    env.cmd(&["tokens", "list"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(expected));
    std::fs::write(
        &path,
        text.replacen("pin_type = \"pinpad\"", "pin_typ = \"pinpad\"", 1),
    )
    .unwrap();
    env.cmd(&["profiles", "list"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unknown field `pin_typ`"));
}

#[test]
fn profiles_list_json_has_the_documented_fields() {
    let env = WorkspaceEnv::initialised("pass");
    // No passphrase is needed to read the profiles.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tokendist"));
    cmd.env_remove("TOKENDIST_PASSPHRASE_FILE")
        .arg("--workspace")
        .arg(&env.dir)
        .args(["profiles", "list", "--json"])
        .write_stdin("");
    let output = cmd.assert().success();
    let profiles: Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
    let android = profiles
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Android")
        .unwrap();
    assert_eq!(android["delivery"], "file");
    assert_eq!(android["device_type"], "Android");
    assert_eq!(
        android["device_class_id"],
        "a01c4380-fc01-4df0-b113-7fb98ec74694"
    );
    assert_eq!(android["key_bits"], 128);
    assert_eq!(android["digits"], 8);
    assert_eq!(android["interval"], 60);
    assert_eq!(android["pin_type"], "pinpad");
    assert!(
        profiles
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["delivery"] == "ct-kip" && p["distributable"] == false)
    );
}
