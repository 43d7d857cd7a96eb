//! Token record files in and out of the workspace through the real binary: multi-token files
//! written by our codec, single-token files written by `stoken`, wrong passwords, damaged
//! files (nothing imported), export and re-import, and no seed left on disk.

use crate::common;
use crate::support;

use base64::Engine;
use common::WorkspaceEnv;
use predicates::prelude::*;
use std::path::Path;
use support::{Referee, Stoken};
use time::macros::date;
use tokendist::sdtid::{self, BatchHeader, SdtidToken, UserInfo};
use tokendist::secret::{SecretString, Seed};
use tokendist::token::{KeySize, Serial};

const PASSPHRASE: &str = "workspace passphrase";

/// What these tests do with a workspace besides running commands.
trait ImportEnv {
    /// `tokens import FILE --file-password-file` with `password` (or none).
    fn import(
        &self,
        file: &Path,
        password: Option<&str>,
        extra: &[&str],
    ) -> assert_cmd::assert::Assert;
    /// Imports [`five_tokens`] (file password `pw`) and returns their seeds.
    fn import_five_tokens(&self) -> Vec<[u8; 16]>;
    /// Every token's serial and seed, in inventory order.
    fn seeds(&self) -> Vec<(String, [u8; 16])>;
}

impl ImportEnv for WorkspaceEnv {
    fn import(
        &self,
        file: &Path,
        password: Option<&str>,
        extra: &[&str],
    ) -> assert_cmd::assert::Assert {
        let mut args = vec!["tokens", "import", file.to_str().unwrap()];
        let password_file;
        if let Some(password) = password {
            password_file = self.write("file-password", format!("{password}\n"));
            args.extend(["--file-password-file", password_file.to_str().unwrap()]);
        }
        args.extend(extra);
        self.cmd(&args).assert()
    }

    fn import_five_tokens(&self) -> Vec<[u8; 16]> {
        let (tokens, seeds) = five_tokens();
        self.import(
            &self.write("batch.sdtid", record_file(&tokens, "pw")),
            Some("pw"),
            &[],
        )
        .success();
        seeds
    }

    fn seeds(&self) -> Vec<(String, [u8; 16])> {
        self.open()
            .inventory()
            .iter()
            .map(|t| (t.serial.to_string(), *t.seed.expose()))
            .collect()
    }
}

fn new_env() -> WorkspaceEnv {
    WorkspaceEnv::initialised(PASSPHRASE)
}

fn sdtid_token(serial: u64, seed: [u8; 16], login: &str) -> SdtidToken {
    SdtidToken {
        user: UserInfo {
            login: login.into(),
            first_name: "First".into(),
            last_name: "Last".into(),
        },
        ..common::sdtid_token(
            Serial::from_value(serial).unwrap(),
            seed,
            date!(2026 - 01 - 01),
            date!(2031 - 06 - 30),
        )
    }
}

/// A multi-token record file written by our codec.
fn record_file(tokens: &[SdtidToken], password: &str) -> String {
    let header = BatchHeader {
        origin: "Vendor".into(),
        dest: "Example".into(),
        name: "Batch 7".into(),
    };
    sdtid::write(&header, tokens, Some(&SecretString::from(password))).unwrap()
}

fn five_tokens() -> (Vec<SdtidToken>, Vec<[u8; 16]>) {
    let seeds: Vec<[u8; 16]> = (0..5).map(|_| *Seed::random().expose()).collect();
    let logins = ["ann", "bob", "", "dan", "eve"];
    let tokens = (0..5)
        .map(|i| sdtid_token(700_000_001 + i as u64, seeds[i], logins[i]))
        .collect();
    (tokens, seeds)
}

#[test]
fn a_multi_token_file_imports_whole_and_reimports_as_skipped() {
    let env = new_env();
    let (tokens, seeds) = five_tokens();
    let file = env.write(
        "batch.sdtid",
        record_file(&tokens, "file password").as_bytes(),
    );
    env.import(&file, Some("file password"), &[])
        .success()
        .stdout(predicate::str::contains(
            "5 token(s) in the file: 5 imported, 0 replaced, 0 skipped",
        ));
    let held = env.seeds();
    assert_eq!(held.len(), 5);
    for (i, (serial, seed)) in held.iter().enumerate() {
        assert_eq!(serial, &format!("{:012}", 700_000_001 + i));
        assert_eq!(seed, &seeds[i]);
    }
    let listed = env.list_json(&[]);
    assert_eq!(listed[0]["user_login"], "ann");
    assert_eq!(listed[0]["expires"], "2031-06-30");
    assert!(
        listed[2]["user_login"].is_null(),
        "a blank login is 'not assigned'"
    );

    // The same file again: everything skipped, as a re-import.
    env.import(&file, Some("file password"), &[])
        .success()
        .stdout(predicate::str::contains(
            "0 imported, 0 replaced, 5 skipped",
        ))
        .stdout(predicate::str::contains(
            "already in the inventory (same seed)",
        ));

    // A conflicting seed is skipped loudly, or replaced on request.
    let new_seed = *Seed::random().expose();
    let conflict = env.write(
        "conflict.sdtid",
        record_file(&[sdtid_token(700_000_002, new_seed, "")], "pw").as_bytes(),
    );
    env.import(&conflict, Some("pw"), &[])
        .success()
        .stdout(predicate::str::contains("DIFFERENT seed"));
    assert_eq!(env.seeds()[1].1, seeds[1]);
    env.import(&conflict, Some("pw"), &["--replace"])
        .success()
        .stdout(predicate::str::contains("1 replaced"));
    assert_eq!(env.seeds()[1].1, new_seed);
    assert_eq!(
        env.list_json(&[])[1]["user_login"],
        "bob",
        "the assignment stays when the file names no user"
    );
}

#[test]
fn a_wrong_or_missing_file_password_imports_nothing() {
    let env = new_env();
    let (tokens, _) = five_tokens();
    let file = env.write("batch.sdtid", record_file(&tokens, "right").as_bytes());
    env.import(&file, Some("wrong"), &[])
        .code(1)
        .stderr(predicate::str::contains("wrong password"))
        .stderr(predicate::str::contains("nothing was imported"));
    env.import(&file, None, &[])
        .code(1)
        .stderr(predicate::str::contains("--file-password-stdin"));
    assert!(env.seeds().is_empty());
    // The password may also come on standard input.
    env.cmd(&[
        "tokens",
        "import",
        file.to_str().unwrap(),
        "--file-password-stdin",
    ])
    .write_stdin("right\n")
    .assert()
    .success()
    .stdout(predicate::str::contains("5 imported"));
}

#[test]
fn a_damaged_file_imports_nothing_even_from_its_good_tokens() {
    let env = new_env();
    let (tokens, _) = five_tokens();
    let document = record_file(&tokens, "pw");
    // Change one character of the fourth token's encrypted seed.
    let fourth = document.match_indices("<Seed>").nth(3).unwrap().0 + "<Seed>=".len() + 3;
    let mut damaged = document.into_bytes();
    damaged[fourth] = if damaged[fourth] == b'A' { b'B' } else { b'A' };
    let file = env.write("damaged.sdtid", &damaged);
    env.import(&file, Some("pw"), &[])
        .code(1)
        .stderr(predicate::str::contains("700000004"))
        .stderr(predicate::str::contains("nothing was imported"));
    let truncated = env.write("truncated.sdtid", &damaged[..damaged.len() / 2]);
    env.import(&truncated, Some("pw"), &[])
        .code(1)
        .stderr(predicate::str::contains("nothing was imported"));
    let not_xml = env.write("notes.txt", b"serial,user_login\n");
    env.import(&not_xml, Some("pw"), &[]).code(1);
    assert!(env.seeds().is_empty());
}

#[test]
fn export_writes_a_protected_file_that_imports_back_into_another_workspace() {
    let env = new_env();
    let seeds = env.import_five_tokens();
    let password_file = env.write("export-password", b"export secret\n");
    let out = env.path("backup.sdtid");
    let export = |extra: &[&str]| {
        let mut args = vec![
            "tokens",
            "export",
            out.to_str().unwrap(),
            "--file-password-file",
            password_file.to_str().unwrap(),
        ];
        args.extend(extra);
        env.cmd(&args).assert()
    };
    export(&["--serials", "700000002-700000004"])
        .success()
        .stdout(predicate::str::contains("3 token(s) exported"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    export(&[])
        .code(1)
        .stderr(predicate::str::contains("--force"));
    export(&["--force"])
        .success()
        .stdout(predicate::str::contains("5 token(s) exported"));

    let other = new_env();
    other.import(&out, Some("wrong"), &[]).code(1);
    other
        .import(&out, Some("export secret"), &[])
        .success()
        .stdout(predicate::str::contains("5 imported"));
    let held = other.seeds();
    assert_eq!(held.iter().map(|(_, s)| *s).collect::<Vec<_>>(), seeds);
    assert_eq!(
        other.list_json(&[]),
        env.list_json(&[]),
        "users, dates and parameters survive the round trip"
    );
}

/// The decrypted seed `stoken show --seed` prints.
fn stoken_seed(stoken: &Stoken, file: &Path, password: Option<&str>) -> [u8; 16] {
    let show = stoken
        .show_seed(file, password)
        .unwrap_or_else(|e| panic!("{e}"));
    let hex = show.seed_hex.expect("a seed line");
    common::unhex16(&hex)
}

#[test]
fn single_token_files_written_by_stoken_import_with_their_seed() {
    if !support::require_or_skip(Referee::Stoken) {
        return;
    }
    let stoken = support::stoken().expect("stoken was found");
    let env = new_env();
    let template = env.write(
        "template.sdtid",
        b"<?xml version=\"1.0\"?>\n<TKNBatch><TKNHeader><DefDigits>6</DefDigits><DefInterval>30</DefInterval></TKNHeader>\
          <TKN><SN>000123456789</SN><UserLogin>jdoe</UserLogin><UserFirstName>Jane</UserFirstName>\
          <UserLastName>Doe</UserLastName></TKN></TKNBatch>\n",
    );
    let plain = stoken
        .issue(&template, None, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let plain_file = env.write("plain.sdtid", plain.as_bytes());
    let protected = stoken
        .issue_default(Some("stoken pw"))
        .unwrap_or_else(|e| panic!("{e}"));
    let protected_file = env.write("protected.sdtid", protected.as_bytes());

    env.import(&plain_file, None, &[])
        .success()
        .stdout(predicate::str::contains("1 imported"));
    env.import(&protected_file, Some("wrong"), &[])
        .code(1)
        .stderr(predicate::str::contains("wrong password"));
    env.import(&protected_file, Some("stoken pw"), &[])
        .success()
        .stdout(predicate::str::contains("1 imported"));

    let held = env.seeds();
    let plain_seed = stoken_seed(&stoken, &plain_file, None);
    let protected_seed = stoken_seed(&stoken, &protected_file, Some("stoken pw"));
    let jdoe = held
        .iter()
        .find(|(serial, _)| serial == "000123456789")
        .expect("the template's serial");
    assert_eq!(jdoe.1, plain_seed);
    assert!(held.iter().any(|(_, seed)| *seed == protected_seed));
    // stoken writes non-ASCII names as character references; they import, with a note that
    // they must be reassigned before a token file can carry them.
    let accented = env.write(
        "accented-template.sdtid",
        "<?xml version=\"1.0\"?>\n<TKNBatch><TKNHeader></TKNHeader><TKN><UserLogin>jose</UserLogin>\
         <UserFirstName>José</UserFirstName></TKN></TKNBatch>\n"
            .as_bytes(),
    );
    let issued = stoken
        .issue(&accented, None, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let accented_file = env.write("accented.sdtid", issued.as_bytes());
    env.import(&accented_file, None, &[])
        .success()
        .stdout(predicate::str::contains("1 imported"))
        .stdout(predicate::str::contains("not printable ASCII"));

    // A one-token export is a file stoken reads, with the same seed.
    let password_file = env.write("export-password", b"back to stoken\n");
    let exported = env.path("one.sdtid");
    env.cmd(&[
        "tokens",
        "export",
        exported.to_str().unwrap(),
        "--serials",
        "000123456789",
        "--file-password-file",
        password_file.to_str().unwrap(),
    ])
    .assert()
    .success();
    assert_eq!(
        stoken_seed(&stoken, &exported, Some("back to stoken")),
        plain_seed
    );

    let listed = env.list_json(&[]);
    let row = listed
        .iter()
        .find(|t| t["serial"] == "000123456789")
        .unwrap();
    assert_eq!(
        (
            row["user_login"].as_str(),
            row["digits"].as_u64(),
            row["interval"].as_u64()
        ),
        (Some("jdoe"), Some(6), Some(30))
    );
}

fn seed_encodings(seed: &[u8; 16]) -> Vec<Vec<u8>> {
    let hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(seed);
    vec![
        seed.to_vec(),
        hex.clone().into_bytes(),
        hex.to_uppercase().into_bytes(),
        b64.trim_end_matches('=').as_bytes().to_vec(),
    ]
}

#[test]
fn after_import_and_assignment_no_seed_is_in_any_workspace_file() {
    let env = new_env();
    let seeds = env.import_five_tokens();
    let csv = env.write(
        "users.csv",
        b"serial,user_login,first_name,last_name\n700000003,carl,Carl,C\n",
    );
    env.cmd(&["tokens", "assign", csv.to_str().unwrap()])
        .assert()
        .success();
    let mut stack = vec![env.dir.clone()];
    let mut files = 0;
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .flatten()
                    .map(|e| e.path()),
            );
            continue;
        }
        files += 1;
        let content = std::fs::read(&path).unwrap();
        for seed in &seeds {
            for needle in seed_encodings(seed) {
                assert!(
                    !content.windows(needle.len()).any(|w| w == needle),
                    "a seed is in {}",
                    path.display()
                );
            }
        }
    }
    assert!(files >= 3);
}

#[test]
fn the_demo_inventory_survives_export_and_import_with_every_kind_of_token() {
    let temp = tempfile::tempdir().unwrap();
    let demo_dir = temp.path().join("demo");
    let demo = tokendist::workspace::demo::create_demo(&demo_dir).unwrap();
    let exported = tokendist::workspace::export::export_record_file(
        demo.inventory(),
        &demo.config().header,
        &[],
        &SecretString::from("move"),
    )
    .unwrap();
    let (document, count) = (exported.document, exported.count);
    assert_eq!(count, demo.inventory().len());
    let tokens = tokendist::workspace::import::decode_record_file(
        document.as_bytes(),
        Some(&SecretString::from("move")),
    )
    .unwrap();
    let strip = |t: &tokendist::workspace::InventoryToken| {
        let mut t = t.clone();
        t.distributions.clear();
        t
    };
    let imported: Vec<_> = tokens.iter().map(strip).collect();
    let original: Vec<_> = demo.inventory().iter().map(strip).collect();
    assert_eq!(imported, original);
    assert!(original.iter().any(|t| t.key_size == KeySize::Bits64));
}

/// `[import]` in tokendist.toml caps one file; a file over the cap imports nothing and the
/// message names the limit, and a bad limit names the config file, line and key.
#[test]
fn the_configured_import_limits_refuse_a_larger_file_whole() {
    let env = new_env();
    let config_path = env.dir.join("tokendist.toml");
    let config = std::fs::read_to_string(&config_path).unwrap();
    let limited = config.replacen(
        "# [import]\n# max_file_mib = 4096     # largest file, in MiB (1 to 65536)\n# max_tokens = 2000000",
        "[import]\nmax_file_mib = 4096\nmax_tokens = 4",
        1,
    );
    assert_ne!(limited, config, "the shipped config documents [import]");
    std::fs::write(&config_path, &limited).unwrap();
    let (tokens, _) = five_tokens();
    let file = env.write("batch.sdtid", record_file(&tokens, "pw"));
    env.import(&file, Some("pw"), &[])
        .failure()
        .stderr(predicate::str::contains("more than 4 tokens in one file"))
        .stderr(predicate::str::contains("nothing was imported"));
    assert!(env.seeds().is_empty());

    std::fs::write(
        &config_path,
        limited.replace("max_tokens = 4", "max_tokens = 0"),
    )
    .unwrap();
    let line = limited.lines().position(|text| text == "[import]").unwrap() + 1;
    env.import(&file, Some("pw"), &[])
        .failure()
        .stderr(predicate::str::contains(format!("tokendist.toml:{line}:")))
        .stderr(predicate::str::contains("import.max_tokens must be 1 to"));
}
