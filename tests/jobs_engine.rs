//! The job engine on a plain directory with a stand-in codec: a full run to a downloaded ZIP,
//! each protection mode's file password, cancellation, failures, interrupted jobs, the
//! history file and the download's refusals.

use crate::jobs_common;

use jobs_common::*;
use std::sync::Arc;
use std::time::Duration;
use tokendist::jobs::history::{HISTORY_FILE, History};
use tokendist::jobs::{
    EngineOptions, HistoryError, JobError, JobEvent, JobRecord, JobStatus, JobStore, PreparedJob,
    Protection, RunResult, delete_output, download, finish, prepare_from, start_with,
};

fn prepare(store: &DirStore, count: u64, spec: tokendist::jobs::JobSpec) -> (History, PreparedJob) {
    let history = History::open(store).unwrap();
    let job = prepare_from(&config(), &tokens(count), &history, spec, today()).unwrap();
    (history, job)
}

fn engine(codec: Arc<FakeCodec>, threads: usize) -> EngineOptions {
    EngineOptions { threads, codec }
}

/// Starts `job`, waits for its end and records it.
fn run_to_end(
    store: &mut DirStore,
    history: &mut History,
    job: PreparedJob,
    codec: Arc<FakeCodec>,
    threads: usize,
) -> JobRecord {
    let handle = start_with(&*store, history, job, now(), engine(codec, threads)).unwrap();
    finish(store, history, handle.wait(|_| {}), now()).unwrap()
}

#[test]
fn a_job_runs_to_a_zip_with_every_file_in_order_and_a_manifest() {
    let mut store = DirStore::new();
    let (mut history, job) = prepare(&store, 57, spec("Full run", Protection::UserId, None));
    let codec = Arc::new(FakeCodec::default());
    let handle = start_with(&store, &mut history, job, now(), engine(codec.clone(), 3)).unwrap();
    assert_eq!(handle.total, 57);
    assert_eq!(
        History::open(&store)
            .unwrap()
            .get(&handle.id)
            .unwrap()
            .status,
        JobStatus::Running
    );
    let mut reports = 0;
    let outcome = handle.wait(|progress| {
        assert_eq!(progress.total, 57);
        reports += 1;
    });
    assert!(reports >= 1);
    assert!(
        matches!(outcome.result, RunResult::Completed(_)),
        "{:?}",
        outcome.result
    );
    let record = finish(&mut store, &mut history, outcome, now()).unwrap();
    assert_eq!(record.status, JobStatus::Completed);
    assert_eq!((record.token_count, record.done_count), (57, 57));
    assert_eq!(store.recorded.lock().unwrap().len(), 57);
    assert_eq!(store.recorded.lock().unwrap()[0].1.job_name, "Full run");

    let target = store.path().join("out.zip");
    let report = download(&store, &mut history, "full RUN", &target, false, now()).unwrap();
    let output = record.output.as_ref().unwrap();
    assert_eq!(
        (report.bytes, &report.sha256),
        (output.bytes, &output.sha256)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let entries = unzip(&target);
    assert_eq!(entries.len(), 58);
    assert_eq!(entries[0].0, "000000001000.sdtid");
    assert_eq!(entries[56].0, "000000001056.sdtid");
    assert_eq!(entries[57].0, "manifest.csv");
    assert!(
        String::from_utf8_lossy(&entries[3].1)
            .contains(&format!("user=user0003 dsn={ANDROID_CLASS}"))
    );
    let manifest = String::from_utf8(entries[57].1.clone()).unwrap();
    let mut lines = manifest.lines();
    assert_eq!(
        lines.next().unwrap(),
        "serial,user_login,first_name,last_name,binding,device_serial_number,file_name,sha256"
    );
    assert!(lines.next().unwrap().starts_with(&format!("000000001000,user0000,First user0000,Last user0000,device-class,{ANDROID_CLASS},000000001000.sdtid,")));
    // The download is recorded; a second one refuses to overwrite, unless forced.
    assert_eq!(
        History::open(&store)
            .unwrap()
            .get(&record.id)
            .unwrap()
            .downloads
            .len(),
        1
    );
    assert!(matches!(
        download(&store, &mut history, &record.id, &target, false, now()),
        Err(JobError::TargetExists { .. })
    ));
    download(&store, &mut history, &record.id, &target, true, now()).unwrap();
    assert_eq!(history.get(&record.id).unwrap().downloads.len(), 2);
}

#[test]
fn each_protection_mode_gives_each_file_the_right_password() {
    for (protection, password, expected) in [
        (Protection::None, None, None),
        (
            Protection::Password,
            Some("Job-pass"),
            Some("Job-pass".to_owned()),
        ),
        (Protection::UserId, None, Some("user0001".to_owned())),
        (
            Protection::UserIdPassword,
            Some("Job-pass"),
            Some("user0001Job-pass".to_owned()),
        ),
    ] {
        let mut store = DirStore::new();
        let (mut history, job) = prepare(&store, 3, spec("Modes", protection, password));
        let codec = Arc::new(FakeCodec::default());
        run_to_end(&mut store, &mut history, job, codec.clone(), 2);
        let passwords = codec.passwords.lock().unwrap();
        let second = passwords
            .iter()
            .find(|(serial, _)| serial.value() == 1001)
            .unwrap();
        assert_eq!(second.1, expected, "{protection:?}");
        // The history never holds the job password.
        let text = std::fs::read_to_string(store.jobs_dir().join(HISTORY_FILE)).unwrap();
        assert!(!text.contains("Job-pass"));
    }
}

#[test]
fn cancelling_stops_the_workers_and_keeps_nothing() {
    let mut store = DirStore::new();
    let (mut history, job) = prepare(&store, 400, spec("Cancel me", Protection::UserId, None));
    let codec = Arc::new(FakeCodec {
        delay: Duration::from_millis(5),
        ..FakeCodec::default()
    });
    let handle = start_with(&store, &mut history, job, now(), engine(codec.clone(), 2)).unwrap();
    let id = handle.id.clone();
    let mut outcome = None;
    for event in handle.events.iter() {
        match event {
            JobEvent::Progress(progress) if progress.done > 0 => handle.cancel(),
            JobEvent::Progress(_) => {}
            JobEvent::Finished(finished) => {
                outcome = Some(finished);
                break;
            }
        }
    }
    let outcome = outcome.unwrap();
    assert_eq!(outcome.result, RunResult::Cancelled);
    assert!(outcome.done < 400);
    assert!(
        codec.passwords.lock().unwrap().len() < 400,
        "workers stop at the next token"
    );
    let record = finish(&mut store, &mut history, outcome, now()).unwrap();
    assert_eq!(record.status, JobStatus::Cancelled);
    assert!(
        store.recorded.lock().unwrap().is_empty(),
        "the inventory is untouched"
    );
    assert!(!store.jobs_dir().join("staged").join(&id).exists());
    assert!(matches!(
        download(
            &store,
            &mut history,
            &id,
            &store.path().join("x.zip"),
            false,
            now()
        ),
        Err(JobError::NotCompleted {
            status: "cancelled",
            ..
        })
    ));
}

#[test]
fn a_failing_token_fails_the_job_and_keeps_its_error() {
    let mut store = DirStore::new();
    let (mut history, job) = prepare(&store, 50, spec("Fails", Protection::None, None));
    let codec = Arc::new(FakeCodec {
        fail_on: Some(serial(1020)),
        ..FakeCodec::default()
    });
    let record = run_to_end(&mut store, &mut history, job, codec, 2);
    assert_eq!(record.status, JobStatus::Failed);
    assert_eq!(
        record.error.as_deref(),
        Some("token 000000001020: injected codec failure")
    );
    assert!(store.recorded.lock().unwrap().is_empty());
    let reopened = History::open(&store).unwrap();
    assert_eq!(reopened.get(&record.id).unwrap().error, record.error);
}

#[test]
fn a_completed_job_whose_inventory_update_fails_is_failed_with_nothing_to_download() {
    let mut store = DirStore::new();
    store.fail_recording = true;
    let (mut history, job) = prepare(&store, 5, spec("No inventory", Protection::None, None));
    let record = run_to_end(&mut store, &mut history, job, Arc::default(), 2);
    assert_eq!(record.status, JobStatus::Failed);
    assert!(
        record
            .error
            .as_deref()
            .unwrap()
            .contains("injected inventory failure")
    );
    assert!(!record.has_output());
}

#[test]
fn a_job_left_running_by_a_dead_process_is_interrupted_at_the_next_open() {
    let store = DirStore::new();
    let (mut history, job) = prepare(&store, 3, spec("Crashed", Protection::None, None));
    let handle = start_with(
        &store,
        &mut history,
        job,
        now(),
        engine(Arc::new(FakeCodec::default()), 1),
    )
    .unwrap();
    let id = handle.id.clone();
    drop(handle.wait(|_| {})); // the run ends, but nobody records it, as if the process died
    // Make the record look like another process's: rewrite it with a foreign id.
    let path = store.jobs_dir().join(HISTORY_FILE);
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(&id, "20261129-164000-dead");
    std::fs::write(&path, text).unwrap();
    std::fs::rename(
        store.jobs_dir().join("staged").join(&id),
        store.jobs_dir().join("staged").join("20261129-164000-dead"),
    )
    .unwrap();

    let reopened = History::open(&store).unwrap();
    let record = reopened.get("20261129-164000-dead").unwrap();
    assert_eq!(record.status, JobStatus::Interrupted);
    assert!(
        record
            .error
            .as_deref()
            .unwrap()
            .contains("ended before the job finished")
    );
    assert!(!record.has_output());
    assert!(
        !store
            .jobs_dir()
            .join("staged")
            .join("20261129-164000-dead")
            .exists()
    );
    assert!(store.recorded.lock().unwrap().is_empty());
}

#[test]
fn a_damaged_history_is_reported_with_its_line_and_kept_aside() {
    let store = DirStore::new();
    std::fs::create_dir_all(store.jobs_dir()).unwrap();
    let path = store.jobs_dir().join(HISTORY_FILE);
    std::fs::write(&path, "\n{\"id\": 1}\n").unwrap();
    let error = History::open(&store).unwrap_err();
    let HistoryError::Damaged { line, kept_as, .. } = &error else {
        panic!("{error}")
    };
    assert_eq!(*line, 2);
    assert!(
        error.to_string().contains(&path.display().to_string()),
        "{error}"
    );
    assert_eq!(std::fs::read_to_string(kept_as).unwrap(), "\n{\"id\": 1}\n");
    assert!(!path.exists());
    assert!(History::open(&store).unwrap().records().is_empty());
}

#[test]
fn downloads_refuse_unknown_deleted_and_tampered_outputs() {
    let mut store = DirStore::new();
    let (mut history, job) = prepare(&store, 4, spec("Downloads", Protection::None, None));
    let record = run_to_end(&mut store, &mut history, job, Arc::default(), 2);
    let target = store.path().join("d.zip");
    assert!(matches!(
        download(&store, &mut history, "nope", &target, false, now()),
        Err(JobError::NotFound(_))
    ));

    // A missing directory: clear error, nothing written.
    let error = download(
        &store,
        &mut history,
        &record.id,
        &store.path().join("no/such/dir/x.zip"),
        false,
        now(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("no/such/dir"), "{error}");

    // Tampering with the staged output is detected and nothing lands at the target.
    let staged = store
        .jobs_dir()
        .join("staged")
        .join(&record.id)
        .join("output.sealed");
    let original = std::fs::read(&staged).unwrap();
    let mut tampered = original.clone();
    let last = tampered.len() - 3;
    tampered[last] ^= 0x01;
    std::fs::write(&staged, &tampered).unwrap();
    let error = download(&store, &mut history, &record.id, &target, false, now()).unwrap_err();
    assert!(
        matches!(error, JobError::StagedOutputDamaged { .. }),
        "{error}"
    );
    assert!(!target.exists());
    assert!(std::fs::read_dir(store.path()).unwrap().flatten().all(|e| {
        !e.file_name()
            .to_string_lossy()
            .starts_with(".tokendist-download")
    }));
    std::fs::write(&staged, &original).unwrap();

    let deleted = delete_output(&store, &mut history, "Downloads", now()).unwrap();
    assert!(deleted.output.unwrap().deleted_at.is_some());
    assert!(!store.jobs_dir().join("staged").join(&record.id).exists());
    assert!(matches!(
        download(&store, &mut history, &record.id, &target, false, now()),
        Err(JobError::OutputDeleted { .. })
    ));
    assert_eq!(
        History::open(&store)
            .unwrap()
            .get(&record.id)
            .unwrap()
            .status,
        JobStatus::Completed
    );
}

#[test]
fn a_name_taken_since_the_job_was_prepared_is_refused_at_start() {
    let mut store = DirStore::new();
    let (mut history, job) = prepare(&store, 2, spec("Twice", Protection::None, None));
    let again = job.clone();
    run_to_end(&mut store, &mut history, job, Arc::default(), 1);
    let error = start_with(
        &store,
        &mut history,
        again,
        now(),
        engine(Arc::new(FakeCodec::default()), 1),
    )
    .err()
    .unwrap();
    assert!(error.to_string().contains("already exists"), "{error}");
}
