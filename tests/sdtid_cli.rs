//! `tokendist sdtid inspect|code|issue` from the outside: output, exit status, files.

use crate::common;

use assert_cmd::Command;
use common::*;
use serde_json::Value;
use std::path::Path;
use tokendist::sdtid::{self, BatchHeader};
use tokendist::secret::{SecretString, Seed};
use tokendist::token::{KeySize, tokencode};

fn tokendist() -> Command {
    let mut cmd = Command::cargo_bin("tokendist").unwrap();
    cmd.env_remove("TOKENDIST_HOME").write_stdin("");
    cmd
}

fn fixture_path(name: &str) -> String {
    fixture_dir().join(name).display().to_string()
}

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn one_line_error(out: &Output, code: i32, needle: &str) {
    assert_eq!(out.code, code, "stderr: {}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "one line: {:?}", out.stderr);
    assert!(
        out.stderr.contains(needle),
        "{:?} should mention {needle:?}",
        out.stderr
    );
}

#[test]
fn code_prints_only_the_tokencode() {
    let v1 = fixture_path("v1.sdtid");
    let out = run(tokendist().args(["sdtid", "code", &v1, "--time", "1700000000"]));
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "05592345\n", "")
    );
    let out = run(tokendist().args([
        "sdtid",
        "code",
        &v1,
        "--time",
        "1700000000",
        "--pin",
        "1234",
    ]));
    assert_eq!(out.stdout, "05593579\n");
}

#[test]
fn code_reads_the_password_from_stdin_or_a_file() {
    let v2 = fixture_path("v2.sdtid");
    let out = run(tokendist()
        .args([
            "sdtid",
            "code",
            &v2,
            "--time",
            "1700000000",
            "--password-stdin",
        ])
        .write_stdin("Tr0ub4dor&3-horse\n"));
    assert_eq!(out.stdout, "30528949\n");
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "Tr0ub4dor&3-horse\r\n").unwrap();
    let out = run(tokendist()
        .args([
            "sdtid",
            "code",
            &v2,
            "--time",
            "1700000000",
            "--pin",
            "1234",
            "--password-file",
        ])
        .arg(&pw));
    assert_eq!(out.stdout, "30529173\n");
    let out = run(tokendist()
        .args(["sdtid", "code", &v2, "--password-stdin"])
        .write_stdin("nope\n"));
    one_line_error(&out, 1, "wrong password");
    assert!(!out.stderr.contains("nope"));
    let out = run(tokendist().args(["sdtid", "code", &v2]));
    one_line_error(&out, 1, "password is required");
    assert!(out.stdout.is_empty());
}

#[test]
fn code_ignores_a_pin_for_tokens_without_pin_addition_and_says_so() {
    let out = run(tokendist().args([
        "sdtid",
        "code",
        &fixture_path("v5.sdtid"),
        "--time",
        "1699999940",
        "--pin",
        "1234",
    ]));
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "716872\n");
    assert!(out.stderr.contains("PIN ignored"));
}

#[test]
fn code_refuses_what_it_cannot_compute() {
    let out = run(tokendist()
        .args([
            "sdtid",
            "code",
            &fixture_path("v7.sdtid"),
            "--password-stdin",
        ])
        .write_stdin("HwBatch#42\n"));
    one_line_error(&out, 1, "3 tokens");
    let out = run(tokendist().args(["sdtid", "code", &fixture_path("v1.sdtid"), "--pin", "12"]));
    one_line_error(&out, 2, "--pin");
    let out = run(tokendist().args([
        "sdtid",
        "code",
        &fixture_path("v1.sdtid"),
        "--time",
        "999999999999999",
    ]));
    one_line_error(&out, 2, "--time");
    let out = run(tokendist().args(["sdtid", "code", "/nonexistent/dir/x.sdtid"]));
    one_line_error(&out, 1, "/nonexistent/dir/x.sdtid");

    // A 64-bit token decrypts but gets no code.
    let dir = tempfile::tempdir().unwrap();
    let mut token = sdtid::parse(&fixture("v1.sdtid"))
        .unwrap()
        .decrypt(None)
        .unwrap()
        .tokens
        .remove(0);
    token.attributes.key_size = KeySize::Bits64;
    let file = dir.path().join("sid64.sdtid");
    std::fs::write(
        &file,
        sdtid::write(&BatchHeader::default(), &[token], None).unwrap(),
    )
    .unwrap();
    let out = run(tokendist().args(["sdtid", "code"]).arg(&file));
    one_line_error(&out, 1, "64-bit");

    let broken = dir.path().join("broken.sdtid");
    std::fs::write(
        &broken,
        "<?xml version=\"1.0\"?>\n<TKNBatch>\n  <TKNHeader>\n</TKNBatch>\n",
    )
    .unwrap();
    let out = run(tokendist().args(["sdtid", "code"]).arg(&broken));
    one_line_error(&out, 1, "line 4");
}

#[test]
fn inspect_reports_fields_macs_and_protection() {
    let out = run(tokendist().args(["sdtid", "inspect", &fixture_path("v3.sdtid")]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    for needle in [
        "none (Origin is the key)",
        "000155667788",
        "Grace's R&D token",
        "Header MAC:     valid",
        "Token MAC:      valid",
    ] {
        assert!(out.stdout.contains(needle), "{needle}\n{}", out.stdout);
    }
    assert!(!out.stdout.contains("Seed:"));
    assert!(
        !out.stdout.contains("HQfxOdcGqBUqABd6Kk7lcQ"),
        "the encrypted seed is not shown"
    );
}

#[test]
fn inspect_hides_a_seed_element_nested_inside_the_token() {
    // v1 has no password, so its encrypted seed is as good as the seed. The reader takes a
    // token's Seed wherever it sits in the TKN, so inspect must hide it there too.
    let seed_line = "<Seed>=Xos8OprMUbBNc8vhPI0KLQ==</Seed>";
    let dir = tempfile::tempdir().unwrap();
    let path = write_edited_fixture(
        dir.path(),
        "nested.sdtid",
        "v1.sdtid",
        seed_line,
        &format!("<Extra>{seed_line}</Extra>"),
    );
    let path = path.display().to_string();
    for json in [true, false] {
        let mut cmd = tokendist();
        cmd.args(["sdtid", "inspect", &path]);
        if json {
            cmd.arg("--json");
        }
        let out = run(&mut cmd);
        assert!(!out.stdout.is_empty(), "{}", out.stderr);
        assert!(
            !out.stdout.contains("Xos8OprMUbBNc8vhPI0KLQ"),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn inspect_json_is_stable_and_hides_the_seed_unless_asked() {
    let v2 = fixture_path("v2.sdtid");
    let out = run(tokendist()
        .args(["sdtid", "inspect", &v2, "--json", "--password-stdin"])
        .write_stdin("Tr0ub4dor&3-horse\n"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["status"], "ok");
    assert_eq!(report["protection"], "password");
    assert_eq!(report["header"]["mac"], "valid");
    assert_eq!(report["header"]["name"], "Batch 2024-Q3 #7");
    assert_eq!(report["signature"], "other");
    assert_eq!(report["token_count"], 1);
    let token = &report["tokens"][0];
    assert_eq!(token["serial"], "261234567890");
    assert_eq!(token["mac"], "valid");
    assert_eq!(token["pin_mode"], 3);
    assert_eq!(token["expires_at"], "2036-01-01T00:00:00Z");
    assert!(token.get("seed_hex").is_none());
    let seed_element = report["elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "TKN.Seed")
        .unwrap();
    assert!(seed_element["value"].is_null());

    let out = run(tokendist()
        .args([
            "sdtid",
            "inspect",
            &v2,
            "--json",
            "--show-seed",
            "--password-stdin",
        ])
        .write_stdin("Tr0ub4dor&3-horse\n"));
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        report["tokens"][0]["seed_hex"],
        "0123456789abcdeffedcba9876543210"
    );

    // Without the password: the report still comes out, the status says why, exit 1.
    let out = run(tokendist().args(["sdtid", "inspect", &v2, "--json"]));
    assert_eq!(out.code, 1);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["status"], "password-required");
    assert_eq!(report["header"]["mac"], "unknown");
    assert_eq!(out.stderr.lines().count(), 1);
}

#[test]
fn inspect_lists_unknown_elements_and_reports_damage() {
    let dir = tempfile::tempdir().unwrap();
    let extra = write_edited_fixture(
        dir.path(),
        "extra.sdtid",
        "v1.sdtid",
        "    <TokenAttributes>",
        "    <Vendor>x</Vendor>\n    <TokenAttributes>",
    );
    let out = run(tokendist().args(["sdtid", "inspect"]).arg(&extra));
    // The unknown leaf is hashed like the others, so the TokenMAC no longer matches.
    one_line_error(&out, 1, "token MAC");
    assert!(out.stdout.contains("TKN.Vendor"), "{}", out.stdout);
    assert!(out.stdout.contains("Token MAC:      invalid"));
    assert!(out.stdout.contains("Header MAC:     valid"));
}

fn issue(dir: &Path, extra: &[&str]) -> Output {
    run(tokendist()
        .args(["sdtid", "issue", "--out"])
        .arg(dir.join("t.sdtid"))
        .args(extra))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn issue_writes_a_private_file_and_prints_the_serial() {
    let dir = tempfile::tempdir().unwrap();
    let out = issue(
        dir.path(),
        &[
            "--user-login",
            "ada",
            "--nickname",
            "Ada's token",
            "--digits",
            "6",
            "--interval",
            "30",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let serial = out.stdout.trim().to_owned();
    assert_eq!(serial.len(), 12);
    assert!(serial.bytes().all(|b| b.is_ascii_digit()));
    let file = dir.path().join("t.sdtid");
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);
    let decrypted = sdtid::parse(&std::fs::read(&file).unwrap())
        .unwrap()
        .decrypt(None)
        .unwrap();
    let token = &decrypted.tokens[0];
    assert_eq!(token.serial.as_str(), serial);
    assert_eq!(token.user.login, "ada");
    assert_eq!(token.nickname, "Ada's token");
    assert_eq!(
        (
            token.attributes.digits.get(),
            token.attributes.interval.seconds()
        ),
        (6, 30)
    );
    let today = time::OffsetDateTime::now_utc().date();
    assert_eq!(token.attributes.birth, today);
    assert_eq!(token.attributes.death.year(), today.year() + 5);
    assert_eq!(token.attributes.death.month(), today.month());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file is left behind"
    );
}

#[test]
fn issue_with_given_serial_seed_and_password_gives_the_expected_codes() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "s3cret-pw\n").unwrap();
    let seed = dir.path().join("seed");
    std::fs::write(&seed, "00112233445566778899AABBCCDDEEFF\n").unwrap();
    let out = issue(
        dir.path(),
        &[
            "--serial",
            "123456789",
            "--seed-file",
            seed.to_str().unwrap(),
            "--pin-mode",
            "2",
            "--expires",
            "2035/12/31",
            "--password-file",
            pw.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "000123456789\n");
    let file = dir.path().join("t.sdtid");
    let out = run(tokendist()
        .args(["sdtid", "code"])
        .arg(&file)
        .args(["--time", "1700000000", "--pin", "1234", "--password-file"])
        .arg(&pw));
    let seed = Seed::new(unhex16("00112233445566778899aabbccddeeff"));
    let serial = tokendist::token::Serial::parse("000123456789").unwrap();
    let expected = tokencode(
        &seed,
        &serial,
        tokendist::token::Digits::EIGHT,
        tokendist::token::Interval::Seconds60,
        Some("1234"),
        1_700_000_000,
    );
    assert_eq!(out.stdout.trim(), expected);
    let batch = sdtid::parse(&std::fs::read(&file).unwrap()).unwrap();
    assert!(
        batch
            .decrypt(Some(&SecretString::from("s3cret-pw")))
            .unwrap()
            .password_protected
    );
    assert_eq!(
        sdtid::format_date(batch.tokens()[0].attributes.death),
        "2035/12/31"
    );
}

#[test]
fn issue_never_overwrites_without_force() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(issue(dir.path(), &["--serial", "1"]).code, 0);
    let file = dir.path().join("t.sdtid");
    let before = std::fs::read(&file).unwrap();
    let out = issue(dir.path(), &["--serial", "2"]);
    one_line_error(&out, 1, "--force");
    assert_eq!(std::fs::read(&file).unwrap(), before);
    let out = issue(dir.path(), &["--serial", "2", "--force"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let batch = sdtid::parse(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(batch.tokens()[0].serial.as_str(), "000000000002");
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);
}

#[test]
fn issue_rejects_bad_flags_as_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (&["--serial", "1234567890123"][..], "--serial"),
        (
            &["--seed-hex", "0011", "--insecure-seed-argv"][..],
            "--seed-hex",
        ),
        (
            &["--seed-hex", "00112233445566778899AABBCCDDEEFF"][..],
            "--seed-file",
        ),
        (&["--expires", "2020/01/01"][..], "--expires"),
        (&["--expires", "2035/02/30"][..], "--expires"),
        (&["--nickname", "Jos\u{e9}"][..], "--nickname"),
        (&["--user-login", "a\tb"][..], "--user-login"),
    ] {
        let out = issue(dir.path(), args);
        one_line_error(&out, 2, needle);
    }
    assert_eq!(issue(dir.path(), &["--digits", "7"]).code, 2);
    assert_eq!(issue(dir.path(), &["--pin-mode", "4"]).code, 2);
    let out = run(tokendist().args(["sdtid", "issue", "--out", "/nonexistent/dir/t.sdtid"]));
    one_line_error(&out, 1, "/nonexistent/dir/t.sdtid");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn inspect_never_sends_control_characters_from_a_file_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_edited_fixture(
        dir.path(),
        "esc.sdtid",
        "v1.sdtid",
        "<Nickname> </Nickname>",
        "<Nickname>&#x1B;[2J&#x7;</Nickname>",
    );
    let out = run(tokendist().args(["sdtid", "inspect"]).arg(&file));
    assert_eq!(out.code, 1, "the nickname is covered by the token MAC");
    assert!(!out.stdout.contains('\u{1b}') && !out.stdout.contains('\u{7}'));
    assert!(out.stdout.contains("\\u{1b}[2J"), "{}", out.stdout);
    let out = run(tokendist().args(["sdtid", "inspect", "--json"]).arg(&file));
    assert!(!out.stdout.contains('\u{1b}'));
}

#[test]
fn oversized_files_are_refused_without_reading_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("huge.sdtid");
    let handle = std::fs::File::create(&file).unwrap();
    handle
        .set_len(sdtid::MAX_DOCUMENT_BYTES as u64 + 1)
        .unwrap(); // sparse: no disk used
    let out = run(tokendist().args(["sdtid", "inspect"]).arg(&file));
    one_line_error(&out, 1, "limit");
}
