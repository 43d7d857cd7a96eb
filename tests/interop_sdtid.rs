//! Interoperability of our SDTID codec with the two independent readers, `stoken` and
//! python-securid (spec §9.0 describes how the spec's own vectors were checked the same way).
//!
//! * Files we write decode in both, to the serial, seed and attributes we wrote, with the
//!   tokencodes we compute, at boundary and random times, with and without a PIN.
//! * Files stoken writes (`export --sdtid --template`, `issue --template`, with and without
//!   `--new-password` / `--new-devid`) decode in ours, with the codes stoken computes.
//! * Multi-token files we write, split per spec §8, decode token by token in both.
//!
//! Generation is random but seeded: the seed is printed, and `TOKENDIST_TEST_SEED=<seed>`
//! replays a run. A missing referee skips (or fails under `TOKENDIST_REQUIRE_INTEROP=1`).

use crate::interop;
use crate::support;

use interop::check::{self, Expectation};
use interop::{assert_no_failures, generate, in_parallel, split, stoken_written};
use std::path::Path;
use std::time::Instant;
use support::rng::TestRng;
use support::{PythonSecurid, Referee, Stoken};
use tokendist::sdtid::{self, BatchHeader, SdtidToken};
use tokendist::secret::SecretString;

/// Single-token files we write and check in both referees.
const TOKENS_WE_WRITE: usize = 200;
/// Files stoken writes and we read.
const FILES_STOKEN_WRITES: usize = 60;
/// Multi-token files we write, and the most tokens in one of them.
const BATCHES: usize = 6;
const MAX_BATCH_TOKENS: u64 = 6;

/// The referees that are installed; prints a skip line for each missing one (or panics when
/// they are required). `None` when neither is there.
fn referees() -> Option<(Option<Stoken>, Option<PythonSecurid>)> {
    let stoken = support::require_or_skip(Referee::Stoken)
        .then(support::stoken)
        .flatten();
    let python = support::require_or_skip(Referee::PythonSecurid)
        .then(support::python_securid)
        .flatten();
    (stoken.is_some() || python.is_some()).then_some((stoken, python))
}

fn seeded(test: &str) -> (u64, TestRng) {
    let seed = TestRng::seed_from_env_or_clock();
    println!(
        "{test}: seed {seed} (replay with {}={seed})",
        support::rng::SEED_ENV
    );
    (seed, TestRng::new(seed))
}

/// Writes `tokens` as one document and stores it at `path`.
fn write_file(
    path: &Path,
    header: &BatchHeader,
    tokens: &[SdtidToken],
    password: Option<&str>,
) -> String {
    let secret = password.map(SecretString::from);
    let document = sdtid::write(header, tokens, secret.as_ref())
        .unwrap_or_else(|e| panic!("our writer refused {}: {e}", path.display()));
    std::fs::write(path, &document).expect("write the token file");
    document
}

fn describe(index: usize, token: &SdtidToken, password: &Option<String>) -> String {
    let a = &token.attributes;
    format!(
        "case #{index} (serial {}, {} digits, {}, PIN mode {}, {})",
        token.serial,
        a.digits,
        a.interval,
        a.pin_mode.get(),
        match password.as_deref() {
            None => "no password",
            Some("") => "empty password",
            Some(_) => "password",
        }
    )
}

/// Checks `expected` in every installed referee, spreading the work over the workers.
fn check_everywhere(
    stoken: Option<&Stoken>,
    python: Option<&PythonSecurid>,
    expected: &[Expectation],
) -> Vec<String> {
    in_parallel(expected, |share| {
        let mut failures = Vec::new();
        if let Some(stoken) = stoken {
            failures.extend(share.iter().flat_map(|e| check::in_stoken(stoken, e)));
        }
        if let Some(python) = python {
            failures.extend(check::in_python(python, share));
        }
        failures
    })
}

#[test]
fn files_we_write_decode_in_stoken_and_python_securid() {
    let Some((stoken, python)) = referees() else {
        return;
    };
    let started = Instant::now();
    let (seed, mut rng) = seeded("files_we_write");
    let dir = tempfile::tempdir().expect("temporary directory");

    let expected: Vec<Expectation> = (0..TOKENS_WE_WRITE)
        .map(|index| {
            let header = generate::header(&mut rng);
            let token = generate::token(&mut rng, index);
            let password = generate::password(&mut rng, &header.origin);
            let file = dir.path().join(format!("ours-{index}.sdtid"));
            write_file(
                &file,
                &header,
                std::slice::from_ref(&token),
                password.as_deref(),
            );
            Expectation {
                label: describe(index, &token, &password),
                file,
                times: generate::times(&mut rng, index, token.attributes.interval),
                pin: generate::pin(&mut rng),
                password: password.filter(|p| !p.is_empty()),
                token,
            }
        })
        .collect();

    let failures = check_everywhere(stoken.as_ref(), python.as_ref(), &expected);
    println!(
        "files_we_write: {} files checked in {:.1?}",
        expected.len(),
        started.elapsed()
    );
    assert_no_failures(&failures, seed, dir);
}

#[test]
fn files_stoken_writes_decode_in_ours() {
    if !support::require_or_skip(Referee::Stoken) {
        return;
    }
    let stoken = support::stoken().expect("located");
    let started = Instant::now();
    let (seed, mut rng) = seeded("files_stoken_writes");
    let dir = tempfile::tempdir().expect("temporary directory");
    let cases: Vec<_> = (0..FILES_STOKEN_WRITES)
        .map(|index| (index, stoken_written::case(&mut rng, index)))
        .collect();

    let failures = in_parallel(&cases, |share| {
        share
            .iter()
            .flat_map(|(index, case)| stoken_written::check(&stoken, case, dir.path(), *index))
            .collect()
    });
    println!(
        "files_stoken_writes: {} files checked in {:.1?}",
        cases.len(),
        started.elapsed()
    );
    assert_no_failures(&failures, seed, dir);
}

#[test]
fn multi_token_files_we_write_decode_token_by_token_in_both_referees() {
    let Some((stoken, python)) = referees() else {
        return;
    };
    let started = Instant::now();
    let (seed, mut rng) = seeded("multi_token");
    let dir = tempfile::tempdir().expect("temporary directory");

    let mut expected = Vec::new();
    let mut index = 0;
    for batch in 0..BATCHES {
        let header = generate::header(&mut rng);
        let password = generate::password(&mut rng, &header.origin);
        let count = rng.range(2, MAX_BATCH_TOKENS) as usize;
        let mut tokens: Vec<SdtidToken> = Vec::new();
        while tokens.len() < count {
            // Each token differs in digits / interval / PIN mode from its neighbour, so the
            // writer must emit per-token overrides against its header defaults.
            let token = generate::token(&mut rng, index);
            index += 1;
            if tokens.iter().all(|t| t.serial != token.serial) {
                tokens.push(token);
            }
        }
        let path = dir.path().join(format!("batch-{batch}.sdtid"));
        let document = write_file(&path, &header, &tokens, password.as_deref());

        let secret = password.as_deref().map(SecretString::from);
        let ours = sdtid::parse(document.as_bytes())
            .and_then(|parsed| parsed.decrypt(secret.as_ref()))
            .unwrap_or_else(|e| panic!("we cannot read our own batch {batch}: {e}"));
        assert_eq!(
            ours.tokens, tokens,
            "batch {batch} does not read back as written"
        );

        let parts = split::split_tokens(&document);
        assert_eq!(
            parts.len(),
            tokens.len(),
            "batch {batch} splits into the wrong number of parts"
        );
        for (position, (part, token)) in parts.iter().zip(tokens).enumerate() {
            let file = dir
                .path()
                .join(format!("batch-{batch}-token-{position}.sdtid"));
            std::fs::write(&file, part).expect("write a split token file");
            expected.push(Expectation {
                label: format!("batch {batch}, {}", describe(position, &token, &password)),
                file,
                times: generate::times(&mut rng, index, token.attributes.interval),
                pin: generate::pin(&mut rng),
                password: password.clone().filter(|p| !p.is_empty()),
                token,
            });
        }
    }

    let failures = check_everywhere(stoken.as_ref(), python.as_ref(), &expected);
    println!(
        "multi_token: {} split files checked in {:.1?}",
        expected.len(),
        started.elapsed()
    );
    assert_no_failures(&failures, seed, dir);
}
