//! The job engine end to end on a real workspace with the real codec: all four protection
//! modes from submit to downloaded ZIP, each file decoded (ours, and a sample in stoken and
//! python-securid) to the inventory's seed with the right password; the inventory's
//! distribution records; redistribution; no password or seed anywhere in the workspace.

use crate::jobs_common;
use crate::support;

use jobs_common::workspace::{self as ws, assert_nowhere};
use jobs_common::{now, unzip};
use std::collections::HashMap;
use std::path::Path;
use tokendist::jobs::{
    self, History, JobSpec, JobStatus, Protection, RunResult, SelectionCriteria, SerialRange,
};
use tokendist::secret::SecretString;
use tokendist::workspace::Workspace;

const JOB_PASSWORD: &str = "Tr0ub4dor&3";

fn spec(name: &str, protection: Protection, range: &str) -> JobSpec {
    JobSpec {
        name: name.into(),
        profile: "Android".into(),
        binding: jobs::Binding::DeviceClass,
        nickname: Some("Work".into()),
        protection,
        password: protection
            .needs_password()
            .then(|| SecretString::from(JOB_PASSWORD)),
        selection: SelectionCriteria {
            serial_ranges: vec![SerialRange::parse(range).unwrap()],
            ..SelectionCriteria::default()
        },
    }
}

/// Runs a job to completion and downloads it; returns the ZIP's entries.
fn run_job(
    workspace: &mut Workspace,
    history: &mut History,
    spec: JobSpec,
    zip: &Path,
) -> Vec<(String, Vec<u8>)> {
    let job = jobs::prepare(workspace, history, spec, now().date()).unwrap();
    let handle = jobs::start(&*workspace, history, job, now()).unwrap();
    let outcome = handle.wait(|_| {});
    assert!(
        matches!(outcome.result, RunResult::Completed(_)),
        "{:?}",
        outcome.result
    );
    let record = jobs::finish(workspace, history, outcome, now()).unwrap();
    assert_eq!(record.status, JobStatus::Completed);
    let report = jobs::download(&*workspace, history, &record.id, zip, false, now()).unwrap();
    assert_eq!(report.sha256, record.output.unwrap().sha256);
    unzip(zip)
}

fn expected_password(protection: Protection, login: &str) -> Option<String> {
    match protection {
        Protection::None => None,
        Protection::Password => Some(JOB_PASSWORD.into()),
        Protection::UserId => Some(login.into()),
        Protection::UserIdPassword => Some(format!("{login}{JOB_PASSWORD}")),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn all_four_protection_modes_decode_to_the_inventory_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    let mut workspace = ws::create(&root, 1000, 40);
    let mut history = History::open(&workspace).unwrap();
    let seeds: HashMap<String, (Vec<u8>, String)> = workspace
        .inventory()
        .iter()
        .map(|t| {
            (
                t.serial.to_string(),
                (
                    t.seed.expose().to_vec(),
                    t.user.as_ref().unwrap().login().to_owned(),
                ),
            )
        })
        .collect();
    let modes = [
        (Protection::None, "1000-1009"),
        (Protection::Password, "1010-1019"),
        (Protection::UserId, "1020-1029"),
        (Protection::UserIdPassword, "1030-1039"),
    ];
    let mut samples = Vec::new();
    for (protection, range) in modes {
        let zip = out.path().join(format!("{}.zip", protection.label()));
        let entries = run_job(
            &mut workspace,
            &mut history,
            spec(protection.label(), protection, range),
            &zip,
        );
        assert_eq!(entries.len(), 11, "10 files and the manifest");
        for (name, bytes) in entries.iter().filter(|(name, _)| name.ends_with(".sdtid")) {
            let serial = name.trim_end_matches(".sdtid");
            let (seed, login) = &seeds[serial];
            let password = expected_password(protection, login).map(SecretString::new);
            let batch = tokendist::sdtid::parse(bytes).unwrap();
            let decrypted = batch.decrypt(password.as_ref()).unwrap();
            assert_eq!(decrypted.password_protected, password.is_some(), "{name}");
            let token = &decrypted.tokens[0];
            assert_eq!(token.seed.expose().as_slice(), seed.as_slice(), "{name}");
            assert_eq!(token.user.login, *login);
            assert_eq!(token.nickname, "Work");
            assert_eq!(
                token.device_serial_number,
                "a01c4380-fc01-4df0-b113-7fb98ec74694"
            );
            if password.is_some() {
                assert!(
                    batch.decrypt(Some(&SecretString::from("wrong"))).is_err(),
                    "{name}"
                );
                assert!(
                    batch.decrypt(None).is_err(),
                    "{name}: no password must not open it"
                );
            }
        }
        // A sample of each mode for the referees.
        let dir = out.path().join(protection.label());
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in entries
            .iter()
            .filter(|(name, _)| name.ends_with(".sdtid"))
            .step_by(4)
        {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            let serial = name.trim_end_matches(".sdtid").to_owned();
            let (seed, login) = &seeds[&serial];
            samples.push((
                path,
                serial,
                hex(seed),
                expected_password(protection, login),
            ));
        }
    }

    // The inventory records each token's distribution, by the job that made it.
    for token in workspace.inventory().iter() {
        assert_eq!(token.distributions.len(), 1, "{}", token.serial);
    }
    drop(workspace);
    let reopened = ws::open(&root);
    assert_eq!(
        reopened
            .inventory()
            .iter()
            .filter(|t| !t.distributions.is_empty())
            .count(),
        40
    );

    // No password, login+password or seed anywhere in the workspace.
    assert_nowhere(&root, JOB_PASSWORD.as_bytes(), "the job password");
    for (seed, login) in seeds.values() {
        assert_nowhere(
            &root,
            format!("{login}{JOB_PASSWORD}").as_bytes(),
            "a login+password",
        );
        assert_nowhere(&root, seed, "a seed");
        assert_nowhere(&root, hex(seed).as_bytes(), "a seed in hex");
    }

    check_referees(&samples);
}

fn check_referees(samples: &[(std::path::PathBuf, String, String, Option<String>)]) {
    if support::require_or_skip(support::Referee::Stoken) {
        let stoken = support::stoken().unwrap();
        for (path, serial, seed_hex, password) in samples {
            let shown = stoken
                .show_seed(path, password.as_deref())
                .unwrap_or_else(|e| panic!("stoken {serial}: {e}"));
            assert_eq!(shown.serial, *serial);
            assert_eq!(
                shown.seed_hex.as_deref(),
                Some(seed_hex.as_str()),
                "stoken {serial}"
            );
        }
    }
    if support::require_or_skip(support::Referee::PythonSecurid) {
        let python = support::python_securid().unwrap();
        let requests: Vec<support::DecodeRequest> = samples
            .iter()
            .map(|(path, _, _, password)| support::DecodeRequest {
                file: path.clone(),
                password: password.clone(),
                times: vec![],
                pins: vec![],
            })
            .collect();
        let results = python.decode(&requests).unwrap();
        for ((_, serial, seed_hex, _), result) in samples.iter().zip(results) {
            let decoded = result.unwrap_or_else(|e| panic!("python-securid {serial}: {e}"));
            assert_eq!(decoded.serial, *serial);
            assert_eq!(
                decoded.seed.to_lowercase(),
                *seed_hex,
                "python-securid {serial}"
            );
        }
    }
}

#[test]
fn redistribution_needs_include_and_carries_the_warning() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut workspace = ws::create(&dir.path().join("ws"), 500, 5);
    let mut history = History::open(&workspace).unwrap();
    run_job(
        &mut workspace,
        &mut history,
        spec("First", Protection::UserId, "500-504"),
        &out.path().join("a.zip"),
    );

    let again = jobs::prepare(
        &workspace,
        &history,
        spec("Again", Protection::UserId, "500-504"),
        now().date(),
    );
    let rejected = again.unwrap_err();
    assert!(rejected.errors[0].message.contains("all were excluded"));
    assert_eq!(
        rejected.review.unwrap().exclusions[0].code,
        "previously-distributed"
    );

    let mut include = spec("Again", Protection::UserId, "500-504");
    include.selection.include_distributed = true;
    let job = jobs::prepare(&workspace, &history, include, now().date()).unwrap();
    assert_eq!(job.review.redistributed.len(), 5);
    assert_eq!(job.review.redistributed[0].last_job, "First");
    assert!(
        job.review
            .render_text()
            .contains(jobs::review::REDISTRIBUTION_WARNING)
    );
}

#[test]
fn accented_names_reach_the_file_without_accents() {
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut workspace = ws::create(&dir.path().join("ws"), 700, 2);
    workspace
        .update_inventory(|inventory| {
            let serial = "700".parse().unwrap();
            let token = inventory.get_mut(&serial).unwrap();
            token.user.as_mut().unwrap().set_last_name("García Núñez");
            Ok(())
        })
        .unwrap();
    let mut history = History::open(&workspace).unwrap();
    let zip = out.path().join("names.zip");
    let entries = run_job(
        &mut workspace,
        &mut history,
        spec("Names", Protection::None, "700-701"),
        &zip,
    );
    let decrypted = tokendist::sdtid::parse(&entries[0].1)
        .unwrap()
        .decrypt(None)
        .unwrap();
    assert_eq!(decrypted.tokens[0].user.last_name, "Garcia Nunez");
    let manifest = String::from_utf8(entries.last().unwrap().1.clone()).unwrap();
    assert!(
        manifest.contains("García Núñez"),
        "the manifest keeps the name as assigned"
    );
}
