//! The background run: worker threads build, verify, deflate and describe the files of a batch
//! of consecutive tokens at a time (taking the next batch from a shared counter, checking the
//! cancellation flag before each token), and one writer appends the batches in order to the
//! sealed ZIP stream.
//!
//! The writer's work per file is a copy: a worker hands it a batch's local headers and
//! deflated data (complete, since a local header holds no offset), the batch's central records
//! with offsets relative to the batch, and its manifest rows. The writer puts batches back in
//! order (a handful are in flight), appends the files to the output, and spills the central
//! records and the manifest rows to sealed files beside it, which are copied into the archive
//! at the end. So memory does not grow with the job: what a job holds is a few batches per
//! worker, and batch buffers go back to the workers to be reused.

use super::codec::{CodecScratch, FileCodec, FileTemplate};
use super::container::{DeflateStream, DosTime, EntryEncoder, Layout, StreamedEntry, end_records};
use super::progress::{PROGRESS_INTERVAL, Progress};
use super::{CancelToken, JobEvent};
use crate::jobs::archive::{self, MANIFEST_NAME, ManifestCells, ManifestWriter};
use crate::jobs::spec::Binding;
use crate::jobs::staging::{self, CopyError, JobKey, SealedReader, SealedWriter, StagedDigest};
use crate::sdtid::{BatchHeader, SdtidToken};
use crate::secret::SecretString;
use crate::workspace::{Inventory, InventoryToken};
use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// Tokens per batch: enough that the writer's per-batch work (reorder, channel, spill calls)
/// is negligible, few enough that a batch is small (about 50 KiB).
const BATCH_TOKENS: usize = 32;

/// Everything the background run owns. `tokens` is a snapshot of the inventory (shared, not
/// copied) and `selected` the positions of the job's tokens in it, in serial order.
pub(crate) struct Generation {
    pub job_id: String,
    pub tokens: Inventory,
    pub selected: Vec<u32>,
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

/// What a worker hands the writer for consecutive tokens.
#[derive(Default)]
struct Batch {
    /// Index of the batch (tokens `index * BATCH_TOKENS ..`).
    index: usize,
    files: usize,
    /// Local headers and deflated data (wiped before reuse: a `user-id` file is only as
    /// strong as a login against guessing).
    local: zeroize::Zeroizing<Vec<u8>>,
    /// Central records, offsets relative to the batch's first local header.
    central: Vec<u8>,
    /// Manifest rows (CSV, no header).
    manifest: Vec<u8>,
}

impl Batch {
    fn clear(&mut self) {
        use zeroize::Zeroize;
        self.local.zeroize();
        self.local.clear();
        self.central.clear();
        self.manifest.clear();
        self.files = 0;
    }
}

type WorkItem = Result<Batch, String>;

/// A worker's reusable state.
struct Worker {
    codec: CodecScratch,
    encoder: EntryEncoder,
    token: Option<SdtidToken>,
    /// The entry name of the current file.
    name: String,
}

impl Generation {
    fn total(&self) -> usize {
        self.selected.len()
    }

    fn token(&self, position: usize) -> Option<&InventoryToken> {
        let at = *self.selected.get(position)?;
        self.tokens.at(at as usize)
    }

    pub(crate) fn run(self, cancel: &CancelToken, events: &Sender<JobEvent>) -> (RunResult, usize) {
        let clock = Instant::now();
        let total = self.total();
        let batches = total.div_ceil(BATCH_TOKENS);
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let (sender, receiver) = bounded::<WorkItem>(self.threads * 2);
        let (recycle, recycled) = unbounded::<Batch>();
        let mut done = 0usize;
        let this = &self;
        let stamp = DosTime::from(self.started);
        let result = std::thread::scope(|scope| {
            for _ in 0..this.threads {
                let sender = sender.clone();
                let recycled = recycled.clone();
                let (next, stop) = (&next, &stop);
                scope.spawn(move || {
                    let mut worker = Worker {
                        codec: CodecScratch::default(),
                        encoder: EntryEncoder::new(stamp),
                        token: None,
                        name: String::new(),
                    };
                    loop {
                        if cancel.is_cancelled() || stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        if index >= batches {
                            break;
                        }
                        let mut batch = recycled.try_recv().unwrap_or_default();
                        batch.index = index;
                        let built = this.build_batch(&mut worker, &mut batch, cancel, stop);
                        if sender.send(built.map(|()| batch)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(sender);
            let result = this.write(receiver, &recycle, cancel, events, clock, &mut done);
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

    /// The files of one batch, each verified, deflated and described.
    fn build_batch(
        &self,
        worker: &mut Worker,
        batch: &mut Batch,
        cancel: &CancelToken,
        stop: &AtomicBool,
    ) -> Result<(), String> {
        let first = batch.index * BATCH_TOKENS;
        let last = (first + BATCH_TOKENS).min(self.total());
        let mut manifest = ManifestWriter::rows_into(&mut batch.manifest);
        for position in first..last {
            if cancel.is_cancelled() || stop.load(Ordering::Relaxed) {
                return Err("cancelled".into());
            }
            let token = self
                .token(position)
                .ok_or_else(|| "internal error: a selected token is gone".to_owned())?;
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.build_one(
                    worker,
                    token,
                    &mut batch.local,
                    &mut batch.central,
                    &mut manifest,
                )
            }))
            .unwrap_or_else(|_| {
                Err(format!(
                    "token {}: internal error while writing its file",
                    token.serial
                ))
            })?;
            batch.files += 1;
        }
        manifest
            .finish()
            .map_err(|error| format!("cannot write the manifest rows: {error}"))
    }

    /// One token's file, verified, appended deflated to `local` (its central record to
    /// `central`, its row to `manifest`).
    fn build_one(
        &self,
        worker: &mut Worker,
        token: &InventoryToken,
        local: &mut Vec<u8>,
        central: &mut Vec<u8>,
        manifest: &mut ManifestWriter<&mut Vec<u8>>,
    ) -> Result<(), String> {
        let file_token = match &mut worker.token {
            Some(reused) => {
                self.template.fill(token, reused);
                reused
            }
            empty => empty.insert(self.template.token(token)),
        };
        let password = self
            .template
            .password(&file_token.user.login, self.password.as_ref());
        self.codec
            .write_verified_into(
                &mut worker.codec,
                &self.header,
                file_token,
                password.as_ref(),
            )
            .map_err(|error| format!("token {}: {error}", token.serial))?;
        let file = worker.codec.file.as_slice();
        archive::entry_name_into(&token.serial, &mut worker.name);
        worker
            .encoder
            .append(&worker.name, file, local, central)
            .map_err(|error| {
                format!("token {}: cannot compress its file: {error}", token.serial)
            })?;
        let mut sha256 = [0u8; 64];
        let user = token.user.as_ref();
        manifest.push_cells(&ManifestCells {
            serial: token.serial.as_str(),
            user_login: &file_token.user.login,
            first_name: user.map_or("", |user| user.first_name()),
            last_name: user.map_or("", |user| user.last_name()),
            binding: match self.binding {
                Binding::DeviceClass => "device-class",
                Binding::Device(_) => "device",
            },
            device_serial_number: &self.template.device_serial_number,
            file_name: &worker.name,
            sha256: staging::hex_into(&Sha256::digest(file), &mut sha256),
        });
        Ok(())
    }

    /// Receives batches, appends them in order, reports progress, and writes the end of the
    /// archive.
    fn write(
        &self,
        receiver: Receiver<WorkItem>,
        recycle: &Sender<Batch>,
        cancel: &CancelToken,
        events: &Sender<JobEvent>,
        clock: Instant,
        done: &mut usize,
    ) -> RunResult {
        let total = self.total();
        let staged = |path: &Path, error: std::io::Error| {
            format!("cannot write the staged output {}: {error}", path.display())
        };
        let dir = self.output_path.parent().unwrap_or(Path::new("."));
        let central_path = dir.join(CENTRAL_SPILL);
        let manifest_path = dir.join(MANIFEST_SPILL);
        let open = |path: &Path, context: &str| {
            SealedWriter::create_spill(path, &self.key, &spill_context(&self.job_id, context))
                .map_err(|error| staged(path, error))
        };
        let mut output = match SealedWriter::create(&self.output_path, &self.key, &self.job_id) {
            Ok(writer) => writer,
            Err(error) => return RunResult::Failed(staged(&self.output_path, error)),
        };
        let (mut central, mut manifest) = match (
            open(&central_path, "central"),
            open(&manifest_path, "manifest"),
        ) {
            (Ok(central), Ok(manifest)) => (central, manifest),
            (Err(error), _) | (_, Err(error)) => return RunResult::Failed(error),
        };
        if crate::crashpoint::injected("job.run.cancel") {
            // Test builds: the operator cancels once the output exists (deterministic, unlike
            // a signal), so the cancelled ending's own steps can be crashed in turn.
            cancel.cancel();
        }
        let mut layout = Layout::default();
        // The manifest is deflated as its rows arrive, so the end of the run only copies it.
        let mut manifest_deflate = DeflateStream::new();
        if let Err(error) = manifest_deflate.write(&mut manifest, &ManifestWriter::header_row()) {
            return RunResult::Failed(staged(&manifest_path, error));
        }
        let mut placed = Vec::with_capacity(BATCH_TOKENS * 80);
        let mut pending: BTreeMap<usize, Batch> = BTreeMap::new();
        let mut next_batch = 0usize;
        let mut last_report = Instant::now();
        for built in receiver.iter() {
            if cancel.is_cancelled() {
                return RunResult::Cancelled;
            }
            match built {
                Ok(batch) => pending.insert(batch.index, batch),
                Err(error) => return RunResult::Failed(error),
            };
            while let Some(mut batch) = pending.remove(&next_batch) {
                placed.clear();
                let appended = layout
                    .place(&batch.central, batch.local.len(), &mut placed)
                    .and_then(|()| output.write_all(&batch.local))
                    .and_then(|()| central.write_all(&placed))
                    .and_then(|()| manifest_deflate.write(&mut manifest, &batch.manifest));
                if let Err(error) = appended {
                    return RunResult::Failed(format!("cannot add files to the output: {error}"));
                }
                *done += batch.files;
                next_batch += 1;
                batch.clear();
                let _ = recycle.send(batch);
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
        let finished = self.finish_archive(
            &mut output,
            &mut layout,
            central,
            (manifest, manifest_deflate),
            (&central_path, &manifest_path),
        );
        let _ = std::fs::remove_file(&central_path);
        let _ = std::fs::remove_file(&manifest_path);
        if let Err(error) = finished {
            return RunResult::Failed(format!("cannot finish the output archive: {error}"));
        }
        match output.finish() {
            Ok(digest) => {
                crate::crashpoint::reached("job.output.sealed");
                RunResult::Completed(digest)
            }
            Err(error) => RunResult::Failed(staged(&self.output_path, error)),
        }
    }

    /// Appends the manifest (deflated while the job ran, from its spill) and the central
    /// directory (the spilled records, then the manifest's), then the end records. The spills
    /// are unsealed on the other cores while this thread seals them into the output.
    fn finish_archive(
        &self,
        output: &mut SealedWriter,
        layout: &mut Layout,
        central: SealedWriter,
        (mut manifest, manifest_deflate): (SealedWriter, DeflateStream),
        (central_path, manifest_path): (&Path, &Path),
    ) -> std::io::Result<()> {
        let deflated = manifest_deflate.finish(&mut manifest)?;
        central.close()?;
        manifest.close()?;
        let stamp = DosTime::from(self.started);
        let mut entry =
            StreamedEntry::start(output, layout, MANIFEST_NAME, stamp, deflated.uncompressed)?;
        SealedReader::open(
            manifest_path,
            &self.key,
            &spill_context(&self.job_id, "manifest"),
        )?
        .copy_chunks_to(|compressed| entry.append(output, layout, compressed))
        .map_err(copy_error)?;
        let manifest_record = entry.finish(output, layout, deflated)?;

        let central_start = layout.position;
        SealedReader::open(
            central_path,
            &self.key,
            &spill_context(&self.job_id, "central"),
        )?
        .copy_chunks_to(|records| output.write_all(records))
        .map_err(copy_error)?;
        output.write_all(&manifest_record)?;
        layout.entries += 1;
        layout.central_bytes += manifest_record.len() as u64;
        output.write_all(&end_records(layout, central_start))?;
        Ok(())
    }
}

fn copy_error(error: CopyError) -> std::io::Error {
    match error {
        CopyError::Read(error) | CopyError::Write(error) => error,
    }
}

/// Spill files beside the output while a job runs (sealed like it, removed at the end).
const CENTRAL_SPILL: &str = "central.spill";
const MANIFEST_SPILL: &str = "manifest.spill";

fn spill_context(job_id: &str, what: &str) -> String {
    format!("{job_id} {what} spill")
}
