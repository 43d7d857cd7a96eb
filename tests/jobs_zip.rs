//! The output ZIP as other tools read it. The job engine writes the container itself (local
//! headers, deflated data, central directory, end records, ZIP64 beyond 65,535 entries), so
//! the archive is checked with the `zip` crate, Info-ZIP's `unzip -t` and Python's `zipfile`
//! for a small job and for one that needs ZIP64 (70,000 files).

use crate::jobs_common::*;
use crate::support::runner;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use tokendist::jobs::archive::{MANIFEST_HEADER, MANIFEST_NAME};
use tokendist::jobs::history::History;
use tokendist::jobs::{
    EngineOptions, JobStatus, Protection, RunResult, download, finish, prepare_from, start_with,
};

/// Runs a `count`-token job with the stand-in codec and saves its ZIP; returns its path.
fn job_zip(store: &mut DirStore, count: u64) -> std::path::PathBuf {
    let mut history = History::open(&*store).unwrap();
    let job = prepare_from(
        &config(),
        &tokens(count),
        &history,
        spec(&format!("Zip {count}"), Protection::UserId, None),
        today(),
    )
    .unwrap();
    let options = EngineOptions {
        threads: 2,
        codec: Arc::new(FakeCodec::default()),
    };
    let handle = start_with(&*store, &mut history, job, now(), options).unwrap();
    let outcome = handle.wait(|_| {});
    assert!(
        matches!(outcome.result, RunResult::Completed(_)),
        "{:?}",
        outcome.result
    );
    let record = finish(store, &mut history, outcome, now()).unwrap();
    assert_eq!(record.status, JobStatus::Completed);
    let staged = store.path().join("jobs/staged").join(&record.id);
    let mut left: Vec<String> = std::fs::read_dir(&staged)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["exclusions.sealed", "key.sealed", "output.sealed"],
        "spill files are removed"
    );
    let target = store.path().join("out.zip");
    download(&*store, &mut history, &record.id, &target, false, now()).unwrap();
    target
}

fn check_with_zip_crate(path: &Path, count: u64) {
    let entries = unzip(path);
    assert_eq!(entries.len() as u64, count + 1);
    for (i, (name, bytes)) in entries.iter().take(count as usize).enumerate() {
        let serial = serial(1000 + i as u64);
        assert_eq!(name, &format!("{serial}.sdtid"));
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with(&format!("FAKE {serial} user=user{i:04} ")),
            "{text}"
        );
    }
    let (name, manifest) = entries.last().unwrap();
    assert_eq!(name, MANIFEST_NAME);
    let mut reader = csv::Reader::from_reader(manifest.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        MANIFEST_HEADER
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len() as u64, count);
    for (row, (name, bytes)) in rows.iter().zip(&entries) {
        assert_eq!(&row[6], name);
        assert_eq!(&row[7], sha256_hex(bytes));
    }
    // Owner-only permissions and the job's start time on every entry.
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    for index in [0, archive.len() - 1] {
        let entry = archive.by_index(index).unwrap();
        assert_eq!(entry.unix_mode().map(|mode| mode & 0o777), Some(0o600));
        let stamp = entry.last_modified().unwrap();
        assert_eq!(
            (
                stamp.year(),
                stamp.month(),
                stamp.day(),
                stamp.hour(),
                stamp.minute()
            ),
            (2026, 11, 29, 16, 40)
        );
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn check_with_unzip(path: &Path, count: u64) {
    let mut command = Command::new("unzip");
    command.arg("-t").arg(path);
    let output = match runner::run(command) {
        Ok(output) => output,
        Err(error) if crate::support::interop_required() => panic!("unzip: {error:?}"),
        Err(error) => {
            eprintln!("skipping the unzip check: {error:?}");
            return;
        }
    };
    assert!(output.success(), "{}{}", output.stdout, output.stderr);
    assert!(
        output.stdout.contains("No errors detected"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains(&format!("testing: {}", MANIFEST_NAME)),
        "unzip lists the manifest"
    );
    let tested = output.stdout.matches("testing: ").count() as u64;
    assert_eq!(tested, count + 1);
}

fn check_with_python(path: &Path, count: u64) {
    let script = "import sys, zipfile\n\
                  z = zipfile.ZipFile(sys.argv[1])\n\
                  bad = z.testzip()\n\
                  assert bad is None, bad\n\
                  names = z.namelist()\n\
                  print(len(names), names[0], names[-1])\n";
    let mut command = Command::new("python3");
    command.arg("-c").arg(script).arg(path);
    let output = match runner::run(command) {
        Ok(output) => output,
        Err(error) if crate::support::interop_required() => panic!("python3: {error:?}"),
        Err(error) => {
            eprintln!("skipping the python zipfile check: {error:?}");
            return;
        }
    };
    assert!(output.success(), "{}", output.stderr);
    assert_eq!(
        output.stdout.trim(),
        format!("{} {}.sdtid {MANIFEST_NAME}", count + 1, serial(1000))
    );
}

#[test]
fn a_small_job_zip_opens_in_the_zip_crate_unzip_and_python() {
    let mut store = DirStore::new();
    let path = job_zip(&mut store, 10);
    check_with_zip_crate(&path, 10);
    check_with_unzip(&path, 10);
    check_with_python(&path, 10);
}

#[test]
fn a_job_of_70000_files_is_a_zip64_archive_every_reader_opens() {
    let mut store = DirStore::new();
    let path = job_zip(&mut store, 70_000);
    let bytes = std::fs::read(&path).unwrap();
    // The ZIP64 end record and its locator are there, and the classic end record says so.
    assert!(bytes.windows(4).any(|w| w == [0x50, 0x4b, 0x06, 0x06]));
    assert!(bytes.windows(4).any(|w| w == [0x50, 0x4b, 0x06, 0x07]));
    let end = &bytes[bytes.len() - 22..];
    assert_eq!(&end[..4], &[0x50, 0x4b, 0x05, 0x06]);
    assert_eq!(u16::from_le_bytes([end[10], end[11]]), u16::MAX);
    check_with_zip_crate(&path, 70_000);
    check_with_unzip(&path, 70_000);
    check_with_python(&path, 70_000);
}
