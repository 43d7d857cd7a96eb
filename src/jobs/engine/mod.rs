//! Running a prepared job in the background and recording how it ended.
//!
//! Threading: the caller's thread (the UI thread, which owns the workspace) calls [`start`],
//! which records the job as running, stages a sealed job key and spawns the run. The run
//! reports [`JobEvent`]s on a channel; the caller polls it (or [`JobHandle::wait`]s) and, on
//! [`JobEvent::Finished`], calls [`finish`] with the outcome to update the inventory and the
//! history. The background run never touches the workspace or the history.

mod codec;
mod container;
mod generate;
mod progress;

pub use codec::{CodecScratch, FileCodec, FileTemplate, SdtidCodec};
pub use generate::RunResult;
pub use progress::{PROGRESS_INTERVAL, Progress, format_duration};

use super::error::JobError;
use super::history::{ExclusionSummary, History, JobRecord, JobStatus, OutputRecord};
use super::prepare::PreparedJob;
use super::spec::JobSpec;
use super::staging::{self, JobKey};
use super::store::JobStore;
use super::validate::{device_serial_number, validate_name};
use crate::token::Serial;
use crate::workspace::Distribution;
use crossbeam_channel::{Receiver, unbounded};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Jobs running in this process; a history record that says `running` for a job not in
/// here belongs to a process that died (the workspace lock keeps other processes out).
static LIVE_JOBS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// True when this process is running the job.
pub fn is_live(job_id: &str) -> bool {
    LIVE_JOBS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .contains(job_id)
}

fn set_live(job_id: &str, live: bool) {
    let mut jobs = LIVE_JOBS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if live {
        jobs.insert(job_id.to_owned());
    } else {
        jobs.remove(job_id);
    }
}

/// Asks a running job to stop; workers check it before each token.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// What a running job reports.
#[derive(Debug, Clone)]
pub enum JobEvent {
    Progress(Progress),
    /// The last event; pass the outcome to [`finish`].
    Finished(JobOutcome),
}

/// How a run ended; [`finish`] turns it into the job's final record.
#[derive(Debug, Clone)]
pub struct JobOutcome {
    pub job_id: String,
    pub result: RunResult,
    /// Files written and verified.
    pub done: usize,
    pub elapsed: Duration,
    serials: Vec<Serial>,
}

/// The caller's side of a running job.
pub struct JobHandle {
    pub id: String,
    pub name: String,
    pub total: usize,
    pub events: Receiver<JobEvent>,
    cancel: CancelToken,
}

impl JobHandle {
    /// Asks the job to stop; a [`JobEvent::Finished`] with [`RunResult::Cancelled`] follows.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A handle for cancelling from elsewhere (a signal handler, another thread).
    pub fn cancel_token(&self) -> CancelToken {
        self.cancel.clone()
    }

    /// Blocks until the job ends, passing each progress report to `on_progress`.
    pub fn wait(self, mut on_progress: impl FnMut(&Progress)) -> JobOutcome {
        for event in self.events.iter() {
            match event {
                JobEvent::Progress(progress) => on_progress(&progress),
                JobEvent::Finished(outcome) => return outcome,
            }
        }
        JobOutcome {
            job_id: self.id,
            result: RunResult::Failed(
                "internal error: the job's background thread stopped unexpectedly".into(),
            ),
            done: 0,
            elapsed: Duration::ZERO,
            serials: Vec::new(),
        }
    }
}

/// How a job runs; the defaults are what production uses.
#[derive(Clone)]
pub struct EngineOptions {
    /// Worker threads (default: the number of cores).
    pub threads: usize,
    pub codec: Arc<dyn FileCodec>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(2),
            codec: Arc::new(SdtidCodec),
        }
    }
}

/// Where a job's sealed key and output live.
pub fn staged_dir(jobs_dir: &Path, job_id: &str) -> PathBuf {
    jobs_dir.join(super::job_id::STAGED_DIR).join(job_id)
}

/// Records the job as running and starts it in the background with the default engine.
pub fn start(
    store: &impl JobStore,
    history: &mut History,
    job: PreparedJob,
    now: time::OffsetDateTime,
) -> Result<JobHandle, JobError> {
    start_with(store, history, job, now, EngineOptions::default())
}

/// [`start`] with chosen threads and codec.
pub fn start_with(
    store: &impl JobStore,
    history: &mut History,
    job: PreparedJob,
    now: time::OffsetDateTime,
    options: EngineOptions,
) -> Result<JobHandle, JobError> {
    // The history may have changed since the job was prepared.
    validate_name(&job.spec.name, history.names())
        .map_err(|error| JobError::Invalid(error.to_string()))?;
    let id = new_job_id(history, now);
    let dir = staged_dir(&store.jobs_dir(), &id);
    let PreparedJob {
        spec,
        profile,
        header,
        tokens,
        exclusions,
        ..
    } = job;
    let mut record = JobRecord {
        id: id.clone(),
        name: spec.name.clone(),
        status: JobStatus::Running,
        spec: JobSpec {
            password: None,
            ..spec.clone()
        },
        created_at: now,
        started_at: Some(now),
        finished_at: None,
        token_count: tokens.selected.len(),
        done_count: 0,
        exclusions: ExclusionSummary::of(exclusions.iter().map(super::exclusions::record_of)),
        excluded: Vec::new(),
        output: None,
        error: None,
        downloads: Vec::new(),
        pid: Some(std::process::id()),
        pending_download: None,
        recovered: None,
        settings_lost: false,
    };
    // Write-ahead: the record exists before anything is staged, so every staging folder has
    // a record that explains it, whatever moment a crash picks.
    let jobs_dir = store.jobs_dir();
    create_private_dir(&jobs_dir)
        .map_err(|error| JobError::io("create the jobs directory", &jobs_dir, error))?;
    history.put_at("job.start.history", record.clone())?;
    let key = JobKey::random();
    let staged = create_private_dir(&dir)
        .map_err(|error| JobError::io("create the staging directory", &dir, error))
        .and_then(|()| {
            crate::crashpoint::reached("job.start.dir-created");
            let sealed_key = store.seal(key.expose(), &staging::key_context(&id));
            let key_path = dir.join(staging::KEY_FILE);
            crate::workspace::write_atomic_as("job.start.key", &key_path, &sealed_key)
                .map_err(|error| JobError::io("write the job key", &key_path, error))
        })
        .and_then(|()| {
            // The full list of tokens left out, beside the output (the history keeps a summary).
            super::exclusions::write(&dir, &key, &id, &exclusions).map_err(|error| {
                let path = dir.join(super::exclusions::EXCLUSIONS_FILE);
                JobError::io("write the list of excluded tokens", path, error)
            })
        });
    if let Err(error) = staged {
        record.status = JobStatus::Failed;
        record.finished_at = Some(now);
        record.error = Some(error.to_string());
        let _ = history.put_at("job.start.failed", record);
        let _ = staging::dispose(&dir, "job.start.failed");
        return Err(error);
    }
    set_live(&id, true);

    let total = tokens.selected.len();
    let serials: Vec<Serial> = tokens
        .selected
        .iter()
        .filter_map(|&at| tokens.inventory.at(at as usize))
        .map(|token| token.serial.clone())
        .collect();
    let template = FileTemplate {
        device_serial_number: device_serial_number(&spec.binding, &profile).to_owned(),
        nickname: spec.nickname.clone().unwrap_or_default(),
        protection: spec.protection,
        profile,
    };
    let generation = generate::Generation {
        job_id: id.clone(),
        tokens: tokens.inventory,
        selected: tokens.selected,
        header,
        template,
        binding: spec.binding.clone(),
        password: spec.password.clone(),
        codec: options.codec,
        threads: options.threads.max(1),
        output_path: dir.join(staging::OUTPUT_FILE),
        key,
        started: now,
    };
    let (sender, events) = unbounded();
    let cancel = CancelToken::default();
    let run_cancel = cancel.clone();
    let job_id = id.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("job-{id}"))
        .spawn(move || {
            let clock = std::time::Instant::now();
            let (result, done) = generation.run(&run_cancel, &sender);
            let outcome = JobOutcome {
                job_id,
                result,
                done,
                elapsed: clock.elapsed(),
                serials,
            };
            let _ = sender.send(JobEvent::Finished(outcome));
        });
    crate::crashpoint::reached("job.start.spawned");
    if let Err(error) = spawned {
        set_live(&id, false);
        return Err(JobError::io("start the job thread for", &dir, error));
    }
    Ok(JobHandle {
        id,
        name: spec.name,
        total,
        events,
        cancel,
    })
}

/// Records how a job ended: on completion the inventory notes each token's distribution and
/// the history the output's size and SHA-256; otherwise the staged files are removed and the
/// error (if any) kept.
pub fn finish(
    store: &mut impl JobStore,
    history: &mut History,
    outcome: JobOutcome,
    now: time::OffsetDateTime,
) -> Result<JobRecord, JobError> {
    let JobOutcome {
        job_id,
        result,
        done,
        serials,
        ..
    } = outcome;
    let recorded = finish_record(store, history, &job_id, result, done, &serials, now);
    set_live(&job_id, false);
    recorded
}

fn finish_record(
    store: &mut impl JobStore,
    history: &mut History,
    job_id: &str,
    result: RunResult,
    done: usize,
    serials: &[Serial],
    now: time::OffsetDateTime,
) -> Result<JobRecord, JobError> {
    let mut record = history
        .get(job_id)
        .cloned()
        .ok_or_else(|| JobError::NotFound(job_id.to_owned()))?;
    record.done_count = done;
    record.finished_at = Some(now);
    let dir = staged_dir(&store.jobs_dir(), job_id);
    match result {
        RunResult::Completed(digest) => {
            let distribution = Distribution {
                job_id: job_id.to_owned(),
                job_name: record.name.clone(),
                at: now,
            };
            // The commit point: once the inventory is saved, the job has happened (recovery
            // completes a record left running from here on).
            match store.record_distributions(serials, &distribution) {
                Ok(()) => {
                    crate::crashpoint::reached("job.finish.inventory-saved");
                    record.status = JobStatus::Completed;
                    record.output = Some(OutputRecord {
                        bytes: digest.bytes,
                        sha256: digest.sha256,
                        deleted_at: None,
                    });
                }
                Err(error) => {
                    record.status = JobStatus::Failed;
                    record.error = Some(format!(
                        "the files were generated but the inventory could not record their distribution, so they were discarded: {error}"
                    ));
                }
            }
        }
        RunResult::Failed(error) => {
            record.status = JobStatus::Failed;
            record.error = Some(error);
        }
        RunResult::Cancelled => record.status = JobStatus::Cancelled,
    }
    history.put_at("job.finish.history", record.clone())?;
    // After the record: a crash in between leaves a record without output, whose staged
    // files the next open removes.
    // Best effort: what is left is removed by the next open (the record has no output).
    if record.status != JobStatus::Completed {
        let _ = staging::dispose(&dir, "job.finish");
    }
    Ok(record)
}

/// A short, sortable, unique id: `YYYYMMDD-HHMMSS-xxxx`.
fn new_job_id(history: &History, now: time::OffsetDateTime) -> String {
    loop {
        let mut random = [0u8; 2];
        getrandom::fill(&mut random).expect("the operating system CSPRNG is unavailable");
        let id = format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}-{}",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second(),
            staging::hex(&random)
        );
        if history.get(&id).is_none() {
            return id;
        }
    }
}

/// Creates a directory and its parents with mode 0700.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}
