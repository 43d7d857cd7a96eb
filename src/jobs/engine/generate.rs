//! The background run: worker threads build, verify and compress one token's file at a time
//! (taking the next token from a shared counter, checking the cancellation flag before each),
//! and one writer appends the results in serial order to the sealed ZIP stream.
//!
//! Memory stays flat: a bounded channel holds at most a few files per worker, the reorder
//! buffer at most about as many, and nothing but the small manifest rows outlives a file.

use super::codec::{FileCodec, FileTemplate};
use super::progress::{PROGRESS_INTERVAL, Progress};
use super::{CancelToken, JobEvent};
use crate::jobs::archive::{self, ManifestRow, ManifestWriter, PreparedEntry};
use crate::jobs::spec::Binding;
use crate::jobs::staging::{JobKey, SealedWriter, StagedDigest};
use crate::sdtid::BatchHeader;
use crate::secret::SecretString;
use crate::workspace::InventoryToken;
use crossbeam_channel::{Sender, bounded};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// Everything the background run owns.
pub(crate) struct Generation {
    pub job_id: String,
    pub tokens: Vec<InventoryToken>,
    pub header: BatchHeader,
    pub template: FileTemplate,
    pub binding: Binding,
    pub password: Option<SecretString>,
    pub codec: Arc<dyn FileCodec>,
    pub threads: usize,
    pub output_path: PathBuf,
    pub key: JobKey,
    pub started: time::OffsetDateTime,
}

/// How a run ended, before the job is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunResult {
    Completed(StagedDigest),
    Failed(String),
    Cancelled,
}

type WorkItem = (usize, Result<PreparedEntry, String>);

impl Generation {
    pub(crate) fn run(self, cancel: &CancelToken, events: &Sender<JobEvent>) -> (RunResult, usize) {
        let clock = Instant::now();
        let total = self.tokens.len();
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let (sender, receiver) = bounded::<WorkItem>(self.threads * 4);
        let mut done = 0usize;
        let this = &self;
        let result = std::thread::scope(|scope| {
            for _ in 0..this.threads {
                let sender = sender.clone();
                let (next, stop) = (&next, &stop);
                scope.spawn(move || {
                    loop {
                        if cancel.is_cancelled() || stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(token) = this.tokens.get(index) else {
                            break;
                        };
                        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            this.build(token)
                        }))
                        .unwrap_or_else(|_| {
                            Err(format!(
                                "token {}: internal error while writing its file",
                                token.serial
                            ))
                        });
                        if sender.send((index, built)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(sender);
            let result = this.write(receiver, cancel, events, clock, &mut done);
            stop.store(true, Ordering::Relaxed);
            result
        });
        let _ = events.send(JobEvent::Progress(Progress {
            done,
            total,
            elapsed: clock.elapsed(),
        }));
        (result, done)
    }

    /// One token's file, verified and described.
    fn build(&self, token: &InventoryToken) -> Result<PreparedEntry, String> {
        let file_token = self.template.token(token);
        let password = self
            .template
            .password(&file_token.user.login, self.password.as_ref());
        let bytes = self
            .codec
            .write_verified(&self.header, &file_token, password.as_ref())
            .map_err(|error| format!("token {}: {error}", token.serial))?;
        let user = token.user.as_ref();
        let row = ManifestRow {
            serial: token.serial.to_string(),
            user_login: file_token.user.login.clone(),
            first_name: user.map(|user| user.first_name.clone()).unwrap_or_default(),
            last_name: user.map(|user| user.last_name.clone()).unwrap_or_default(),
            binding: match self.binding {
                Binding::DeviceClass => "device-class",
                Binding::Device(_) => "device",
            },
            device_serial_number: self.template.device_serial_number.clone(),
            file_name: archive::entry_name(&token.serial),
            sha256: String::new(),
        };
        Ok(archive::prepare_entry(bytes, row))
    }

    /// Receives results, appends them in serial order, reports progress, and seals the end.
    fn write(
        &self,
        receiver: crossbeam_channel::Receiver<WorkItem>,
        cancel: &CancelToken,
        events: &Sender<JobEvent>,
        clock: Instant,
        done: &mut usize,
    ) -> RunResult {
        let total = self.tokens.len();
        let staged = |error: std::io::Error| {
            format!(
                "cannot write the staged output {}: {error}",
                self.output_path.display()
            )
        };
        let writer = match SealedWriter::create(&self.output_path, &self.key, &self.job_id) {
            Ok(writer) => writer,
            Err(error) => return RunResult::Failed(staged(error)),
        };
        let options = archive::entry_options(self.started);
        let mut zip = zip::ZipWriter::new_stream(writer);
        let mut manifest = ManifestWriter::new();
        let mut pending: BTreeMap<usize, PreparedEntry> = BTreeMap::new();
        let mut last_report = Instant::now();
        for (index, built) in receiver.iter() {
            if cancel.is_cancelled() {
                return RunResult::Cancelled;
            }
            match built {
                Ok(entry) => pending.insert(index, entry),
                Err(error) => return RunResult::Failed(error),
            };
            while let Some(entry) = pending.remove(&*done) {
                if let Err(error) = archive::append_entry(&mut zip, &mut manifest, &entry, options)
                {
                    return RunResult::Failed(format!("cannot add a file to the output: {error}"));
                }
                *done += 1;
            }
            if last_report.elapsed() >= PROGRESS_INTERVAL {
                last_report = Instant::now();
                let _ = events.send(JobEvent::Progress(Progress {
                    done: *done,
                    total,
                    elapsed: clock.elapsed(),
                }));
            }
        }
        if cancel.is_cancelled() {
            return RunResult::Cancelled;
        }
        if *done != total {
            return RunResult::Failed(format!(
                "internal error: only {} of {total} files were produced",
                *done
            ));
        }
        let finished = manifest
            .write_into(&mut zip, options)
            .and_then(|()| zip.finish())
            .map_err(|error| format!("cannot finish the output archive: {error}"));
        match finished {
            Ok(stream) => stream
                .into_inner()
                .finish()
                .map(RunResult::Completed)
                .unwrap_or_else(|error| RunResult::Failed(staged(error))),
            Err(error) => RunResult::Failed(error),
        }
    }
}
