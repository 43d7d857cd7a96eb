//! Replays every fuzzing seed and finding through the same entry points the cargo-fuzz targets
//! use (`tokendist::fuzzing`), so plain `cargo test` on stable keeps them fixed. Seeds: the
//! token file fixtures and `tests/fixtures/fuzz/<target>/` (where inputs a fuzzer found are
//! added); a local `fuzz/corpus/<target>/` from a long run is replayed too when present.

use std::path::{Path, PathBuf};

fn inputs(target: &str, extra_seeds: &[&str]) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs: Vec<PathBuf> = extra_seeds.iter().map(|dir| root.join(dir)).collect();
    dirs.push(root.join("tests/fixtures/fuzz").join(target));
    dirs.push(root.join("fuzz/corpus").join(target));
    let mut files: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str, extra_seeds: &[&str], run: fn(&[u8])) {
    let files = inputs(target, extra_seeds);
    assert!(
        !files.is_empty(),
        "no seeds for {target}: the corpus must not silently vanish"
    );
    let local_corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for path in &files {
        let data = match std::fs::read(path) {
            Ok(data) => data,
            // A fuzzer running beside the test replaces the units of its local corpus as it
            // shrinks them; committed seeds and findings must always be there.
            Err(error)
                if error.kind() == std::io::ErrorKind::NotFound
                    && path.starts_with(&local_corpus) =>
            {
                continue;
            }
            Err(error) => panic!("cannot read {}: {error}", path.display()),
        };
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target} fails on {}", path.display());
    }
}

#[test]
fn every_token_file_seed_and_finding_reads_without_a_panic() {
    replay(
        "sdtid_reader",
        &["tests/fixtures/sdtid"],
        tokendist::fuzzing::sdtid_reader,
    );
}

#[test]
fn every_assignment_csv_seed_and_finding_parses_without_a_panic() {
    replay("csv_assignments", &[], tokendist::fuzzing::csv_assignments);
}

#[test]
fn every_history_seed_and_finding_parses_without_a_panic() {
    replay("history_lines", &[], tokendist::fuzzing::history_lines);
}

#[test]
fn every_inventory_header_seed_and_finding_is_checked_without_a_panic() {
    replay(
        "inventory_header",
        &[],
        tokendist::fuzzing::inventory_header,
    );
}
