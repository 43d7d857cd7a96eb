//! `tokens assign --from-directory` against a real OpenLDAP server (started per test on a free
//! loopback port, see `support::slapd`), and `tokens assign --auto users.csv`.

use crate::common::WorkspaceEnv;
use crate::jobs_common;
use crate::support::slapd::{
    self, PEOPLE, READER_DN, READER_PASSWORD, SIZE_LIMIT, Slapd, SlapdServer, TestUser,
};
use crate::support::{self, Referee};
use serde_json::Value;
use std::fmt::Write as _;
use tokendist::workspace::{CONFIG_FILE, INVENTORY_FILE};

pub(crate) const PASSPHRASE: &str = "directory tests";
pub(crate) const VPN_FILTER: &str =
    "(&(objectClass=inetOrgPerson)(memberOf=cn=vpn,ou=groups,dc=example,dc=org))";

pub(crate) fn slapd_or_skip() -> Option<Slapd> {
    support::require_or_skip(Referee::Slapd).then(|| Slapd::locate().expect("located"))
}

/// The usual tree: alice (holds a token), bob, José García and an entry without a uid in the
/// `vpn` group; carol outside it.
pub(crate) fn people() -> Vec<TestUser<'static>> {
    vec![
        TestUser {
            uid: Some("alice"),
            cn: "Alice Adams",
            given_name: Some("Alice"),
            sn: "Adams",
            groups: &["vpn"],
        },
        TestUser {
            uid: Some("bob"),
            cn: "Bob Brown",
            given_name: Some("Bob"),
            sn: "Brown",
            groups: &["vpn", "staff"],
        },
        TestUser {
            uid: Some("jgarcia"),
            cn: "José García",
            given_name: Some("José"),
            sn: "García",
            groups: &["vpn"],
        },
        TestUser {
            uid: None,
            cn: "Printer Room 2",
            given_name: None,
            sn: "Printer",
            groups: &["vpn"],
        },
        TestUser {
            uid: Some("carol"),
            cn: "Carol Clark",
            given_name: Some("Carol"),
            sn: "Clark",
            groups: &["staff"],
        },
    ]
}

/// A workspace with token 1001 held by `alice`, 1002 expired, and `free` free tokens from 1003.
pub(crate) fn workspace(free: u64) -> WorkspaceEnv {
    let env = WorkspaceEnv::initialised(PASSPHRASE);
    let mut tokens = vec![jobs_common::token(1001, Some("alice"))];
    let mut expired = jobs_common::token(1002, None);
    expired.expires = time::macros::date!(2020 - 01 - 01);
    tokens.push(expired);
    tokens.extend((0..free).map(|i| jobs_common::token(1003 + i, None)));
    env.open()
        .update_inventory(|inventory| {
            inventory.insert_new(tokens);
            Ok(())
        })
        .unwrap();
    env
}

/// Appends a `[directory]` table for `url` (bind as the reader, password from a file) and the
/// extra lines.
fn configure(env: &WorkspaceEnv, url: &str, extra: &str) {
    let password_file = env.write("bind-password", format!("{READER_PASSWORD}\n"));
    let config = env.dir.join(CONFIG_FILE);
    let mut text = std::fs::read_to_string(&config).unwrap();
    write!(
        text,
        "\n[directory]\nurl = \"{url}\"\nbind_dn = \"{READER_DN}\"\nbind_password_file = \"{}\"\nbase_dn = \"{PEOPLE}\"\n{extra}",
        password_file.display()
    )
    .unwrap();
    std::fs::write(config, text).unwrap();
}

/// Login of each token's user, by serial (`-` for none).
fn holders(env: &WorkspaceEnv) -> Vec<(String, String)> {
    env.list_json(&[])
        .iter()
        .map(|t| {
            (
                t["serial"].as_str().unwrap().to_owned(),
                t["user_login"].as_str().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `tokens assign ARGS`, expecting failure; returns stderr. The inventory must be unchanged.
fn refused(env: &WorkspaceEnv, args: &[&str]) -> String {
    let before = std::fs::read(env.dir.join(INVENTORY_FILE)).unwrap();
    let output = env
        .cmd(&[&["tokens", "assign"], args].concat())
        .assert()
        .failure()
        .get_output()
        .clone();
    assert_eq!(
        std::fs::read(env.dir.join(INVENTORY_FILE)).unwrap(),
        before,
        "a refused assignment changed the inventory"
    );
    stderr(&output)
}

#[test]
fn group_members_without_a_token_get_the_next_free_ones() {
    let Some(slapd) = slapd_or_skip() else { return };
    let server = slapd.start(&slapd::base_ldif(&people()), None);
    let env = workspace(3);
    configure(
        &env,
        &server.ldap_url(),
        &format!("filter = \"{VPN_FILTER}\"\n"),
    );

    // --json alone is a dry run that shows the plan.
    let output = env
        .cmd(&["tokens", "assign", "--from-directory", "--json"])
        .assert()
        .success()
        .get_output()
        .clone();
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan["applied"], false);
    assert_eq!(plan["source"]["kind"], "directory");
    assert_eq!(plan["source"]["entries"], 4, "{plan}");
    assert_eq!(plan["key_size"], 128);
    let given: Vec<(&str, &str)> = plan["assign"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["login"].as_str().unwrap(), a["serial"].as_str().unwrap()))
        .collect();
    // 1002 has expired: the first free tokens are 1003 and 1004, in login order.
    assert_eq!(
        given,
        [("bob", "000000001003"), ("jgarcia", "000000001004")]
    );
    assert_eq!(plan["assign"][1]["first_name"], "José");
    assert_eq!(plan["assign"][1]["last_name_in_files"], "Garcia");
    assert_eq!(plan["already_holding"][0]["login"], "alice");
    assert_eq!(plan["skipped"][0]["reason"], "no uid attribute");
    assert_eq!(holders(&env)[2], ("000000001003".into(), "-".into()));

    let output = env
        .cmd(&["tokens", "assign", "--from-directory", "--yes"])
        .assert()
        .success()
        .get_output()
        .clone();
    let review = stdout(&output);
    for expected in [
        "Directory ldap://127.0.0.1:",
        "4 entries under ou=people,dc=example,dc=org matching (&(objectClass=inetOrgPerson)(memberOf=cn=vpn",
        "2 user(s) get a 128-bit token (3 free now, 1 after)",
        "000000001004  jgarcia  José        García     Jose Garcia",
        "1 user(s) already hold a token (not changed):\n  alice  000000001001",
        "cn=Printer Room 2,ou=people,dc=example,dc=org: no uid attribute",
        "2 token(s) assigned.",
    ] {
        assert!(
            review.contains(expected),
            "missing {expected:?} in:\n{review}"
        );
    }
    let tokens = env.list_json(&["--assigned"]);
    let jose = tokens
        .iter()
        .find(|t| t["user_login"] == "jgarcia")
        .unwrap();
    assert_eq!(jose["serial"], "000000001004");
    assert_eq!(jose["first_name"], "José", "names are kept in UTF-8");
    assert_eq!(jose["last_name"], "García");
    assert!(
        !tokens.iter().any(|t| t["user_login"] == "carol"),
        "carol is not in the group"
    );

    // Everyone in the group holds a token now: a second run changes nothing.
    let output = env
        .cmd(&["tokens", "assign", "--from-directory", "--yes"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(
        stdout(&output).contains("Nothing to assign"),
        "{}",
        stdout(&output)
    );
    drop(server);
}

#[test]
fn without_yes_and_without_a_terminal_nothing_is_assigned() {
    let Some(slapd) = slapd_or_skip() else { return };
    let server = slapd.start(&slapd::base_ldif(&people()), None);
    let env = workspace(3);
    configure(&env, &server.ldap_url(), "");
    let error = refused(&env, &["--from-directory"]);
    assert!(
        error.contains("rerun with --yes; nothing was assigned"),
        "{error}"
    );
}

#[test]
fn a_users_csv_gets_the_same_treatment_without_a_directory() {
    let env = workspace(2);
    let csv = env.write(
        "new-staff.csv",
        "user_login,first_name,last_name\nALICE,Alice,Adams\nzoe,Zoë,Ångström\ndan,Dan,Dunn\n",
    );
    let output = env
        .cmd(&["tokens", "assign", "--auto", csv.to_str().unwrap(), "--yes"])
        .assert()
        .success()
        .get_output()
        .clone();
    let review = stdout(&output);
    assert!(
        review.contains("new-staff.csv: 3 user(s) listed"),
        "{review}"
    );
    assert!(
        review.contains("ALICE  000000001001"),
        "logins compare ignoring case: {review}"
    );
    assert!(review.contains("Zoe Angstrom"), "{review}");
    let held = holders(&env);
    assert_eq!(held[2], ("000000001003".into(), "dan".into()));
    assert_eq!(held[3], ("000000001004".into(), "zoe".into()));

    // A bad line refuses the whole file, with its line number.
    let bad = env.write("bad.csv", "user_login\nerin\nfrançois\n");
    let error = refused(&env, &["--auto", bad.to_str().unwrap(), "--yes"]);
    assert!(
        error.contains("bad.csv:3: user_login \"françois\""),
        "{error}"
    );
}

#[test]
fn too_few_free_tokens_refuse_everything_with_the_count() {
    let Some(slapd) = slapd_or_skip() else { return };
    let server = slapd.start(&slapd::base_ldif(&people()), None);
    let env = workspace(1);
    configure(
        &env,
        &server.ldap_url(),
        &format!("filter = \"{VPN_FILTER}\"\n"),
    );
    let error = refused(&env, &["--from-directory", "--yes"]);
    assert!(
        error.contains("not enough free 128-bit tokens: 2 user(s) need one but only 1 are free (unassigned and not expired); nothing was assigned"),
        "{error}"
    );
    // 64-bit tokens are not a substitute.
    let error = refused(&env, &["--from-directory", "--yes", "--key-size", "64"]);
    assert!(
        error.contains("not enough free 64-bit tokens: 2 user(s) need one but only 0"),
        "{error}"
    );
}

#[test]
fn a_server_that_is_down_is_named_in_the_error() {
    let env = workspace(3);
    let url = format!("ldap://127.0.0.1:{}", slapd::free_port());
    configure(&env, &url, "timeout_seconds = 5\n");
    let error = refused(&env, &["--from-directory", "--yes"]);
    assert!(
        error.contains(&format!("cannot connect to the directory at {url}:")),
        "{error}"
    );
    assert_eq!(error.lines().count(), 1, "one line: {error}");
}

#[test]
fn a_wrong_bind_password_is_refused() {
    let Some(slapd) = slapd_or_skip() else { return };
    let server = slapd.start(&slapd::base_ldif(&people()), None);
    let env = workspace(3);
    configure(&env, &server.ldap_url(), "");
    let wrong = env.write("wrong", "not-the-password\n");
    let error = refused(
        &env,
        &[
            "--from-directory",
            "--yes",
            "--bind-password-file",
            wrong.to_str().unwrap(),
        ],
    );
    assert!(
        error.contains(&format!(
            "the directory at {} refused the bind as \"{READER_DN}\": invalid credentials",
            server.ldap_url()
        )),
        "{error}"
    );
    assert!(!error.contains("not-the-password"), "{error}");
    // An empty password would be an anonymous bind: refused before it is sent.
    let empty = env.write("empty", "\n");
    let error = refused(
        &env,
        &[
            "--from-directory",
            "--yes",
            "--bind-password-file",
            empty.to_str().unwrap(),
        ],
    );
    assert!(error.contains("bind password for"), "{error}");
}

#[test]
fn ldaps_and_starttls_work_with_the_site_ca() {
    let Some(slapd) = slapd_or_skip() else { return };
    if !support::require_or_skip(Referee::Openssl) {
        return;
    }
    let certs_dir = tempfile::tempdir().unwrap();
    let tls = slapd::make_certificates(certs_dir.path(), &["localhost", "127.0.0.1"]);
    let server = slapd.start(&slapd::base_ldif(&people()), Some(&tls));
    let ca = format!("ca_file = \"{}\"\n", tls.ca.display());
    let env = workspace(3);
    let plan_from = |url: &str, extra: &str| {
        let env = workspace(3);
        configure(&env, url, extra);
        let output = env
            .cmd(&["tokens", "assign", "--from-directory", "--json"])
            .assert()
            .get_output()
            .clone();
        assert!(
            output.status.success(),
            "{url}: {}\n{}",
            stderr(&output),
            server.log()
        );
        let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
        plan["assign"].as_array().unwrap().len()
    };
    assert_eq!(plan_from(&server.ldaps_url("localhost"), &ca), 3);
    assert_eq!(plan_from(&server.ldaps_url("127.0.0.1"), &ca), 3);
    assert_eq!(
        plan_from(&server.ldap_url(), &format!("starttls = true\n{ca}")),
        3
    );

    // Without the site CA the system roots do not know the server.
    configure(&env, &server.ldaps_url("localhost"), "");
    let error = refused(&env, &["--from-directory", "--yes"]);
    assert!(error.contains(&server.ldaps_url("localhost")), "{error}");
    assert!(error.contains("certificate"), "{error}");
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let Some(slapd) = slapd_or_skip() else { return };
    if !support::require_or_skip(Referee::Openssl) {
        return;
    }
    let certs_dir = tempfile::tempdir().unwrap();
    let tls = slapd::make_certificates(certs_dir.path(), &["ldap.wrong.example"]);
    let server = slapd.start(&slapd::base_ldif(&people()), Some(&tls));
    let ca = format!("ca_file = \"{}\"\n", tls.ca.display());
    for (url, extra) in [
        (server.ldaps_url("localhost"), ca.clone()),
        (server.ldap_url(), format!("starttls = true\n{ca}")),
    ] {
        let env = workspace(3);
        configure(&env, &url, &extra);
        let error = refused(&env, &["--from-directory", "--yes"]);
        assert!(
            error.contains(&format!("cannot connect to the directory at {url}")),
            "{error}"
        );
        assert!(
            error.contains("NotValidForName") || error.contains("not valid for"),
            "{error}"
        );
        assert!(
            error.contains("host name"),
            "the hint names the likely cause: {error}"
        );
    }
}

#[test]
fn a_filter_with_no_result_assigns_nothing() {
    let Some(slapd) = slapd_or_skip() else { return };
    let server = slapd.start(&slapd::base_ldif(&people()), None);
    let env = workspace(3);
    configure(&env, &server.ldap_url(), "");
    let before = holders(&env);
    let output = env
        .cmd(&[
            "tokens",
            "assign",
            "--from-directory",
            "--filter",
            "(memberOf=cn=nobody,ou=groups,dc=example,dc=org)",
            "--yes",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let review = stdout(&output);
    assert!(review.contains("0 entries under"), "{review}");
    assert!(review.contains("Nothing to assign"), "{review}");
    assert_eq!(holders(&env), before);
    // A malformed filter is a usage error before anything is asked.
    let output = env
        .cmd(&[
            "tokens",
            "assign",
            "--from-directory",
            "--filter",
            "(&(uid=a)",
            "--yes",
        ])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(
        stderr(&output).contains("--filter \"(&(uid=a)\" is not a valid LDAP filter"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn ten_thousand_users_are_read_with_paged_results() {
    let Some(slapd) = slapd_or_skip() else { return };
    const USERS: usize = 10_000;
    let uids: Vec<String> = (0..USERS).map(|i| format!("user{i:05}")).collect();
    let users: Vec<TestUser<'_>> = uids
        .iter()
        .map(|uid| TestUser {
            uid: Some(uid.as_str()),
            cn: uid.as_str(),
            given_name: Some("Given"),
            sn: uid.as_str(),
            groups: &[],
        })
        .collect();
    let server = slapd.start(&slapd::base_ldif(&users), None);
    assert!(SIZE_LIMIT < USERS as u32);
    let plain = plain_search_result(&server);
    assert_eq!(
        plain, 4,
        "a search without paging must hit the size limit (sizeLimitExceeded)"
    );

    let env = WorkspaceEnv::initialised(PASSPHRASE);
    let tokens = (0..USERS as u64)
        .map(|i| jobs_common::token(100_000 + i, None))
        .collect();
    env.open()
        .update_inventory(|inventory| {
            inventory.insert_new(tokens);
            Ok(())
        })
        .unwrap();
    configure(&env, &server.ldap_url(), "page_size = 400\n");
    let output = env
        .cmd(&["tokens", "assign", "--from-directory", "--yes", "--json"])
        .timeout(std::time::Duration::from_secs(300))
        .assert()
        .get_output()
        .clone();
    assert!(output.status.success(), "{}", stderr(&output));
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(plan["applied"], true);
    assert_eq!(plan["source"]["entries"], USERS);
    assert_eq!(plan["assign"].as_array().unwrap().len(), USERS);
    let assigned = env.list_json(&["--assigned"]);
    assert_eq!(assigned.len(), USERS);
    assert_eq!(assigned[USERS - 1]["user_login"], "user09999");
}

/// The result code of a non-paged search of every user, as the reader.
fn plain_search_result(server: &SlapdServer) -> u32 {
    let mut conn = ldap3::LdapConn::new(&server.ldap_url()).unwrap();
    conn.with_timeout(std::time::Duration::from_secs(30))
        .simple_bind(READER_DN, READER_PASSWORD)
        .unwrap()
        .success()
        .unwrap();
    let result = conn
        .with_timeout(std::time::Duration::from_secs(30))
        .search(
            PEOPLE,
            ldap3::Scope::Subtree,
            "(objectClass=inetOrgPerson)",
            vec!["uid"],
        )
        .unwrap();
    result.1.rc
}

#[test]
fn a_crash_around_the_save_leaves_all_or_nothing() {
    let trace = tempfile::NamedTempFile::new().unwrap();
    let env = workspace(2);
    let csv = env.write("users.csv", "user_login\nbob\ncarol\n");
    env.cmd(&["tokens", "assign", "--auto", csv.to_str().unwrap(), "--yes"])
        .env("TOKENDIST_CRASH_TRACE", trace.path())
        .assert()
        .success();
    let points = std::fs::read_to_string(trace.path()).unwrap();
    let ours: Vec<&str> = points
        .lines()
        .filter(|p| p.starts_with("auto-assign."))
        .collect();
    assert_eq!(
        ours,
        ["auto-assign.confirmed", "auto-assign.saved"],
        "{points}"
    );

    for (point, expect_assigned) in [
        ("auto-assign.confirmed", false),
        ("auto-assign.saved", true),
    ] {
        let env = workspace(2);
        let csv = env.write("users.csv", "user_login\nbob\ncarol\n");
        env.cmd(&["tokens", "assign", "--auto", csv.to_str().unwrap(), "--yes"])
            .env("TOKENDIST_CRASH_AT", point)
            .assert()
            .failure();
        let assigned: Vec<String> = holders(&env)
            .into_iter()
            .filter(|(_, login)| login == "bob" || login == "carol")
            .map(|(serial, _)| serial)
            .collect();
        if expect_assigned {
            assert_eq!(
                assigned,
                ["000000001003", "000000001004"],
                "crash at {point}"
            );
        } else {
            assert!(assigned.is_empty(), "crash at {point}: {assigned:?}");
        }
    }
}
