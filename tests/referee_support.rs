//! Tests of the shared test support (`tests/support/`): the guarded runner, the skip/require
//! rule, and the python-securid driver.

use crate::support;

use std::process::Command;
use std::time::{Duration, Instant};
use support::runner::{self, RunError};
use support::{Decision, Referee, decide};

/// Tells [`skip_probe`] which referee to look for.
const PROBE_ENV: &str = "TOKENDIST_SUPPORT_PROBE";

#[test]
fn decision_runs_skips_or_fails() {
    assert_eq!(decide(Referee::Stoken, Ok(()), false), Decision::Run);
    assert_eq!(decide(Referee::Stoken, Ok(()), true), Decision::Run);
    let Decision::Skip(line) = decide(Referee::Stoken, Err("not on PATH".into()), false) else {
        panic!("a missing referee must be skipped when not required");
    };
    assert!(
        line.starts_with("SKIPPED: stoken not installed (not on PATH)"),
        "{line}"
    );
    let Decision::Fail(message) = decide(Referee::PythonSecurid, Err("no securid".into()), true)
    else {
        panic!("a missing referee must fail the test when required");
    };
    assert!(message.contains("python-securid") && message.contains("TOKENDIST_REQUIRE_INTEROP=1"));
}

/// Not a test of its own: [`a_missing_referee_skips_or_fails_as_configured`] runs it in a child
/// process with a controlled environment (hence ignored in normal runs).
#[test]
#[ignore = "probe run in a child process by a_missing_referee_skips_or_fails_as_configured"]
fn skip_probe() {
    let referee = std::env::var(PROBE_ENV).expect("run by the parent test, which sets the env");
    let referee = match referee.as_str() {
        "stoken" => Referee::Stoken,
        _ => Referee::PythonSecurid,
    };
    println!("PROBE RESULT: {}", support::require_or_skip(referee));
}

/// Runs [`skip_probe`] in this test binary with an empty `PATH` and an unusable
/// `TOKENDIST_PYTHON`; returns (exit success, stdout + stderr).
fn probe(referee: &str, require: bool, python: &str) -> (bool, String) {
    let empty = tempfile::tempdir().expect("temporary directory");
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command
        .args([
            "--exact",
            "referee_support::skip_probe",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PATH", empty.path())
        .env("TOKENDIST_PYTHON", python)
        .env(PROBE_ENV, referee)
        .env_remove("RUST_BACKTRACE");
    if require {
        command.env("TOKENDIST_REQUIRE_INTEROP", "1");
    } else {
        command.env_remove("TOKENDIST_REQUIRE_INTEROP");
    }
    let output = runner::run(command).expect("the test binary runs");
    (
        output.success(),
        format!("{}{}", output.stdout, output.stderr),
    )
}

#[test]
fn a_missing_referee_skips_or_fails_as_configured() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // An interpreter that exists but cannot import securid.
    let fake_python = dir.path().join("python");
    std::fs::write(&fake_python, "#!/bin/sh\nexit 1\n").expect("write fake python");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake_python, std::fs::Permissions::from_mode(0o755)).unwrap();
    let fake_python = fake_python.to_str().expect("UTF-8 temp path");

    let (ok, out) = probe("stoken", false, fake_python);
    assert!(ok, "skipping must not fail the test:\n{out}");
    assert!(out.contains("SKIPPED: stoken not installed"), "{out}");
    assert!(out.contains("PROBE RESULT: false"), "{out}");
    // The summary line printed when the test binary exits, after libtest's result line.
    let summary = out
        .find("INTEROP SKIPPED: 1 test did not run against a referee: stoken 1 (not on PATH)")
        .unwrap_or_else(|| panic!("no skip summary:\n{out}"));
    assert!(
        out.find("test result:")
            .is_some_and(|result| result < summary),
        "{out}"
    );

    let (ok, out) = probe("stoken", true, fake_python);
    assert!(!ok, "a required but missing stoken must fail:\n{out}");
    assert!(
        out.contains("stoken is required (TOKENDIST_REQUIRE_INTEROP=1)"),
        "{out}"
    );
    assert!(!out.contains("PROBE RESULT"), "{out}");

    let (ok, out) = probe("python", false, fake_python);
    assert!(
        ok && out.contains("SKIPPED: python-securid not installed"),
        "{out}"
    );
    assert!(out.contains("cannot import securid"), "{out}");

    let (ok, out) = probe("python", true, "/nonexistent/python3");
    assert!(!ok && out.contains("python-securid is required"), "{out}");
}

#[test]
fn skip_summary_counts_per_referee_with_the_reason() {
    use support::skip_summary;
    assert_eq!(skip_summary(&[]), None);
    let skips = [
        (Referee::Stoken, "not on PATH".to_owned()),
        (
            Referee::PythonSecurid,
            "python3 cannot import securid".to_owned(),
        ),
        (Referee::Stoken, "not on PATH".to_owned()),
    ];
    let line = skip_summary(&skips).expect("a summary");
    assert!(
        line.starts_with(
            "INTEROP SKIPPED: 3 tests did not run against a referee: stoken 2 (not on PATH), python-securid 1 (python3 cannot import securid);"
        ),
        "{line}"
    );
    assert!(
        line.contains("TOKENDIST_REQUIRE_INTEROP=1") && !line.contains('\n'),
        "{line}"
    );
}

#[test]
fn runner_closes_stdin() {
    // `cat` with a closed stdin ends at once with no output instead of waiting for input.
    let output = runner::run(Command::new("cat")).expect("cat runs");
    assert!(output.success());
    assert_eq!(output.stdout, "");
}

#[test]
fn runner_feeds_input_then_closes_stdin() {
    let output = runner::run_with(
        Command::new("cat"),
        Some(b"line\n"),
        runner::DEFAULT_TIMEOUT,
    )
    .expect("cat runs");
    assert_eq!(output.stdout, "line\n");
}

#[test]
fn runner_kills_a_child_that_overstays() {
    let mut command = Command::new("sleep");
    command.arg("30");
    let started = Instant::now();
    let result = runner::run_with(command, None, Duration::from_millis(300));
    assert!(
        matches!(result, Err(RunError::TimedOut { .. })),
        "{result:?}"
    );
    // Generous bound: only shows that we did not wait for `sleep` to finish by itself.
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn runner_kills_a_child_that_floods_its_output() {
    // Like stoken re-prompting forever: `yes` never stops writing.
    let result = runner::run(Command::new("yes"));
    assert!(
        matches!(result, Err(RunError::TooMuchOutput { .. })),
        "{result:?}"
    );
}

#[test]
fn runner_reports_a_missing_program() {
    let result = runner::run(Command::new("/nonexistent/tokendist-no-such-tool"));
    assert!(matches!(result, Err(RunError::Spawn { .. })), "{result:?}");
}

/// The driver against a spec vector, independent of our codec: V2 at t = 1700000000 gives
/// 30528949, and 30529173 with PIN 1234 (spec §6.8).
#[test]
fn python_driver_decodes_a_spec_vector() {
    if !support::require_or_skip(Referee::PythonSecurid) {
        return;
    }
    let python = support::python_securid().expect("located");
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sdtid");
    let requests = [
        support::DecodeRequest {
            file: fixtures.join("v2.sdtid"),
            password: Some("Tr0ub4dor&3-horse".into()),
            times: vec![1_700_000_000],
            pins: vec![None, Some(1234)],
        },
        support::DecodeRequest {
            file: fixtures.join("v2.sdtid"),
            password: Some("wrong".into()),
            times: vec![1_700_000_000],
            pins: vec![None],
        },
    ];
    let results = python.decode(&requests).expect("driver runs");
    let decoded = results[0].as_ref().expect("V2 decodes");
    assert_eq!(decoded.serial, "261234567890");
    assert_eq!(decoded.seed, "0123456789abcdeffedcba9876543210");
    assert_eq!(
        decoded.codes,
        vec![vec!["30528949".to_owned(), "30529173".to_owned()]]
    );
    let error = results[1].as_ref().expect_err("a wrong password fails");
    assert!(error.contains("MAC"), "{error}");
}

/// stoken through the support wrapper against the same vector, and its refusal (not a hang) on
/// a missing password.
#[test]
fn stoken_wrapper_reads_a_spec_vector() {
    if !support::require_or_skip(Referee::Stoken) {
        return;
    }
    let stoken = support::stoken().expect("located");
    let v2 = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sdtid/v2.sdtid");
    let password = Some("Tr0ub4dor&3-horse");
    assert_eq!(
        stoken
            .tokencode(&v2, password, "0000", 1_700_000_000)
            .unwrap(),
        "30528949"
    );
    assert_eq!(
        stoken
            .tokencode(&v2, password, "1234", 1_700_000_000)
            .unwrap(),
        "30529173"
    );
    let show = stoken.show_seed(&v2, password).unwrap();
    assert_eq!(
        show.seed_hex.as_deref(),
        Some("0123456789abcdeffedcba9876543210")
    );
    assert_eq!((show.digits, show.interval, show.pin_mode), (8, 60, 3));
    assert!(show.password_protected);
    let error = stoken
        .tokencode(&v2, None, "0000", 1_700_000_000)
        .unwrap_err();
    assert!(!error.contains("Tr0ub4dor"), "{error}");
}
