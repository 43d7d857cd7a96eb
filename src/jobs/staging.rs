//! Staged job output at rest: an append-only stream of AES-256-GCM sealed chunks under a
//! per-job key, so no token file (and so no seed) is ever readable on disk.
//!
//! Layout of a job's staging directory (`jobs/staged/<id>/`):
//! - `key.sealed`: the job's 256-bit data key, sealed under the workspace vault key;
//! - `output.sealed`: a magic line, then chunks `[u32 BE length][ciphertext]`. Chunk `n` is
//!   sealed with nonce `n (u64 BE) ‖ last-flag (u32 BE)` and the job id as associated data, so
//!   chunks cannot be reordered, swapped between jobs, or cut off without the reader noticing.
//!
//! The plaintext is the job's ZIP; the writer hashes it as it goes so the output's size and
//! SHA-256 are known when the job completes and every download can be checked against them.

use aes_gcm::aead::{Aead, AeadInPlace, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

const MAGIC: &[u8] = b"TOKENDIST-STAGED-OUTPUT-1\n";
/// Plaintext bytes per chunk: large enough to be cheap, small enough to keep memory flat.
const CHUNK_BYTES: usize = 256 * 1024;
const TAG_BYTES: usize = 16;
/// Names inside a staging directory.
pub const KEY_FILE: &str = "key.sealed";
pub const OUTPUT_FILE: &str = "output.sealed";

/// Removes a job's staging folder, for an ending that keeps no output (failed, cancelled,
/// interrupted, deleted): the sealed key first — without it the staged bytes can never be
/// read again, so whatever a crash leaves of the folder is already disposed of — then the
/// rest, then the parent directory is synced so the removal survives a power cut.
/// `operation` names the crash points `<operation>.key-removed`, `.staging-removed` and
/// `.staging-synced`. A folder that is already gone is fine.
pub fn dispose(dir: &Path, operation: &str) -> io::Result<()> {
    use crate::crashpoint::reached_step;
    match std::fs::remove_file(dir.join(KEY_FILE)) {
        Ok(()) => reached_step(operation, "key-removed"),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    match std::fs::remove_dir_all(dir) {
        Ok(()) => reached_step(operation, "staging-removed"),
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    }
    if let Some(parent) = dir.parent() {
        File::open(parent)?.sync_all()?;
        reached_step(operation, "staging-synced");
    }
    Ok(())
}

/// A job's data key (zeroized on drop, never printed).
pub type JobKey = crate::secret::SecretBytes<32>;

/// The associated data binding a sealed job key to its job.
pub fn key_context(job_id: &str) -> Vec<u8> {
    format!("tokendist job key {job_id}").into_bytes()
}

fn chunk_aad(job_id: &str) -> Vec<u8> {
    format!("tokendist staged output {job_id}").into_bytes()
}

fn nonce(index: u64, last: bool) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[..8].copy_from_slice(&index.to_be_bytes());
    nonce[8..].copy_from_slice(&u32::from(last).to_be_bytes());
    nonce
}

/// Size and SHA-256 of the plaintext a staging file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedDigest {
    pub bytes: u64,
    pub sha256: String,
}

/// The crash points a sealed file's durable steps report (see `src/crashpoint.rs`).
#[derive(Debug, Clone, Copy)]
pub struct SealedPoints {
    pub created: &'static str,
    pub chunk_sealed: &'static str,
    pub synced: &'static str,
    pub dir_synced: &'static str,
}

/// The points of a job's output (and of spill files).
const OUTPUT_POINTS: SealedPoints = SealedPoints {
    created: "job.run.output-created",
    chunk_sealed: "job.run.chunk-sealed",
    synced: "job.run.output-synced",
    dir_synced: "job.run.output-dir-synced",
};

/// Writes a sealed stream; call [`SealedWriter::finish`] to seal the last chunk and sync.
/// Dropped without `finish`, the file stays incomplete and readers refuse it.
pub struct SealedWriter {
    file: File,
    path: PathBuf,
    cipher: Aes256Gcm,
    aad: Vec<u8>,
    buffer: zeroize::Zeroizing<Vec<u8>>,
    next_chunk: u64,
    /// `None` for spill files, whose digest nobody needs.
    hasher: Option<Sha256>,
    bytes: u64,
    points: SealedPoints,
    /// Syncs the output as it grows (not spill files, which are never synced).
    writeback: Option<super::writeback::BackgroundSync>,
}

impl SealedWriter {
    /// Creates `path` (mode 0600, must not exist).
    pub fn create(path: &Path, key: &JobKey, job_id: &str) -> io::Result<Self> {
        Self::create_with(path, key, job_id, true, OUTPUT_POINTS)
    }

    /// A spill file: sealed like the output, but not hashed (see [`SealedWriter::close`]).
    pub fn create_spill(path: &Path, key: &JobKey, context: &str) -> io::Result<Self> {
        Self::create_with(path, key, context, false, OUTPUT_POINTS)
    }

    /// Another sealed file of a job (not hashed), whose steps report `points`; `context`
    /// binds its chunks (read it back with [`SealedReader::open`] and the same context).
    pub fn create_with_points(
        path: &Path,
        key: &JobKey,
        context: &str,
        points: SealedPoints,
    ) -> io::Result<Self> {
        Self::create_with(path, key, context, false, points)
    }

    fn create_with(
        path: &Path,
        key: &JobKey,
        job_id: &str,
        hashed: bool,
        points: SealedPoints,
    ) -> io::Result<Self> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path)?;
        file.write_all(MAGIC)?;
        crate::crashpoint::reached(points.created);
        let writeback = hashed
            .then(|| super::writeback::BackgroundSync::start(&file))
            .flatten();
        Ok(Self {
            file,
            path: path.to_owned(),
            cipher: Aes256Gcm::new_from_slice(key.expose()).expect("a 32-byte key"),
            aad: chunk_aad(job_id),
            buffer: zeroize::Zeroizing::new(Vec::with_capacity(CHUNK_BYTES)),
            next_chunk: 0,
            hasher: hashed.then(Sha256::new),
            bytes: 0,
            points,
            writeback,
        })
    }

    fn seal_chunk(&mut self, last: bool) -> io::Result<()> {
        let nonce = nonce(self.next_chunk, last);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &self.buffer,
                    aad: &self.aad,
                },
            )
            .map_err(|_| io::Error::other("sealing a chunk failed"))?;
        let length = u32::try_from(sealed.len()).expect("chunks are far below 4 GiB");
        self.file.write_all(&length.to_be_bytes())?;
        self.file.write_all(&sealed)?;
        if let Some(writeback) = &mut self.writeback {
            writeback.wrote(4 + sealed.len());
        }
        self.buffer.clear();
        self.next_chunk += 1;
        crate::crashpoint::reached(self.points.chunk_sealed);
        Ok(())
    }

    /// Seals the final chunk without syncing: for spill files read back and deleted by the
    /// same run (a crash loses them along with the run, which is then `interrupted`).
    pub fn close(mut self) -> io::Result<()> {
        self.seal_chunk(true)?;
        self.file.flush()
    }

    /// Seals the final chunk, syncs the file and returns the plaintext's size and SHA-256.
    pub fn finish(mut self) -> io::Result<StagedDigest> {
        self.seal_chunk(true)?;
        if let Some(writeback) = self.writeback.take() {
            writeback.stop()?;
        }
        crate::crashpoint::fault("job.run.output-sync")?;
        self.file.sync_all()?;
        crate::crashpoint::reached(self.points.synced);
        if let Some(parent) = self.path.parent() {
            File::open(parent)?.sync_all()?;
        }
        crate::crashpoint::reached(self.points.dir_synced);
        Ok(StagedDigest {
            bytes: self.bytes,
            sha256: hex(&self.hasher.take().unwrap_or_default().finalize()),
        })
    }
}

impl Write for SealedWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK_BYTES - self.buffer.len();
        let taken = &data[..data.len().min(room)];
        self.buffer.extend_from_slice(taken);
        if let Some(hasher) = &mut self.hasher {
            hasher.update(taken);
        }
        self.bytes += taken.len() as u64;
        if self.buffer.len() == CHUNK_BYTES {
            self.seal_chunk(false)?;
        }
        Ok(taken.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads a sealed stream back, checking every chunk and that the stream ends properly.
/// Any damage surfaces as an [`io::ErrorKind::InvalidData`] error.
pub struct SealedReader {
    file: BufReader<File>,
    cipher: Aes256Gcm,
    aad: Vec<u8>,
    plain: zeroize::Zeroizing<Vec<u8>>,
    position: usize,
    next_chunk: u64,
    finished: bool,
}

impl SealedReader {
    pub fn open(path: &Path, key: &JobKey, job_id: &str) -> io::Result<Self> {
        let mut file = BufReader::new(File::open(path)?);
        let mut magic = vec![0u8; MAGIC.len()];
        file.read_exact(&mut magic)
            .map_err(|_| damaged("the file is too short"))?;
        if magic != MAGIC {
            return Err(damaged("not a tokendist staged output file"));
        }
        Ok(Self {
            file,
            cipher: Aes256Gcm::new_from_slice(key.expose()).expect("a 32-byte key"),
            aad: chunk_aad(job_id),
            plain: zeroize::Zeroizing::new(Vec::new()),
            position: 0,
            next_chunk: 0,
            finished: false,
        })
    }

    fn next(&mut self) -> io::Result<()> {
        if !read_chunk(&mut self.file, &mut self.plain)? {
            return Err(damaged(ENDS_EARLY));
        }
        let last = open_chunk(&self.cipher, &self.aad, self.next_chunk, &mut self.plain)?;
        self.position = 0;
        self.next_chunk += 1;
        if last {
            let mut extra = [0u8; 1];
            if self.file.read(&mut extra)? != 0 {
                return Err(damaged(DATA_AFTER_LAST));
            }
            self.finished = true;
        }
        Ok(())
    }

    /// Copies the whole plaintext to `out`, hashing it on the way: one pass, each chunk
    /// written and hashed straight from the buffer it was decrypted in, while the next chunks
    /// are decrypted on other threads ([`SealedReader::copy_chunks_to`]). Returns the size
    /// and SHA-256; a read error is [`CopyError::Read`] (damage), a write error
    /// [`CopyError::Write`].
    pub fn copy_hashing_to(&mut self, out: &mut impl Write) -> Result<(u64, String), CopyError> {
        let mut hasher = Sha256::new();
        let total = self.copy_chunks_to(|plain| {
            hasher.update(plain);
            out.write_all(plain)
        })?;
        out.flush().map_err(CopyError::Write)?;
        Ok((total, hex(&hasher.finalize())))
    }

    /// Copies the whole plaintext into `file` (written from its start, at each chunk's place,
    /// by the threads that decrypt the chunks) and hashes it in order on the calling thread,
    /// which calls `wrote` with each chunk's length once that chunk is written and hashed; an
    /// error from `wrote` (a cancel) stops the copy as a [`CopyError::Write`].
    /// Returns the size and SHA-256 like [`SealedReader::copy_hashing_to`], whose work it
    /// spreads further: the hash is the one part that must run in order, so it is all the
    /// calling thread does.
    pub fn copy_hashing_into_file(
        &mut self,
        file: &File,
        mut wrote: impl FnMut(usize) -> io::Result<()>,
    ) -> Result<(u64, String), CopyError> {
        let mut hasher = Sha256::new();
        #[cfg(unix)]
        let total = {
            let already = &self.plain[self.position..];
            if !already.is_empty() {
                write_at(file, already, 0).map_err(CopyError::Write)?;
                hasher.update(already);
                wrote(already.len()).map_err(CopyError::Write)?;
            }
            let base = already.len() as u64;
            self.copy_chunks(Some(file), base, |plain| {
                hasher.update(plain);
                wrote(plain.len())
            })?
        };
        #[cfg(not(unix))]
        let total = {
            let mut out = file;
            self.copy_chunks_to(|plain| {
                hasher.update(plain);
                out.write_all(plain)?;
                wrote(plain.len())
            })?
        };
        Ok((total, hex(&hasher.finalize())))
    }

    /// Hands the rest of the plaintext to `sink` in order, a chunk at a time, and returns its
    /// length. The calling thread runs `sink`; meanwhile up to one thread per core reads the
    /// next chunks in turn and authenticates and decrypts them, so unsealing a large file
    /// does not wait for whatever `sink` does (hashing, writing, sealing elsewhere). At most
    /// `2 × threads + 1` chunk buffers exist (wiped when dropped): memory does not grow
    /// with the file. Damage is reported for the first damaged chunk in file order, as the
    /// sequential [`Read`] reports it, after `sink` has had every chunk before it. After an
    /// error the reader is spent: reading on fails (its chunks no longer authenticate).
    pub fn copy_chunks_to(
        &mut self,
        sink: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, CopyError> {
        self.copy_chunks(None, 0, sink)
    }

    /// [`SealedReader::copy_chunks_to`], and with `place` the unsealing threads also write
    /// each chunk into that file, at `base` plus its place in the stream, before `sink` sees
    /// it (the plaintext already read, if any, is then the caller's to write and not given
    /// to `sink`).
    fn copy_chunks(
        &mut self,
        place: Option<&File>,
        base: u64,
        mut sink: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<u64, CopyError> {
        let mut total = 0u64;
        if self.position < self.plain.len() {
            if place.is_none() {
                sink(&self.plain[self.position..]).map_err(CopyError::Write)?;
            }
            total += (self.plain.len() - self.position) as u64;
        }
        self.plain.clear();
        self.position = 0;
        if self.finished {
            return Ok(total);
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(MAX_UNSEAL_THREADS);
        let (give, take) = crossbeam_channel::unbounded::<zeroize::Zeroizing<Vec<u8>>>();
        for _ in 0..2 * threads + 1 {
            give.send(zeroize::Zeroizing::new(Vec::with_capacity(
                CHUNK_BYTES + TAG_BYTES,
            )))
            .expect("the receiver is alive");
        }
        let (send, opened) = crossbeam_channel::unbounded::<(u64, Opened)>();
        let stop = AtomicBool::new(false);
        let first = self.next_chunk;
        let cursor = Mutex::new(Cursor {
            file: &mut self.file,
            next_chunk: first,
            ended: false,
        });
        let (cipher, aad) = (&self.cipher, self.aad.as_slice());
        let place = place.map(|file| Placement { file, first, base });
        let drained = std::thread::scope(|scope| {
            for _ in 0..threads {
                let (take, send, cursor, stop) = (take.clone(), send.clone(), &cursor, &stop);
                scope.spawn(move || {
                    unseal_chunks(cursor, &take, &send, stop, (cipher, aad), place);
                });
            }
            drop(send);
            let drained = drain_in_order(first, &opened, &give, place.is_some(), &mut sink);
            // Threads waiting for a buffer or with a chunk to hand over see the end.
            stop.store(true, Ordering::Relaxed);
            drop(give);
            drop(opened);
            drained
        });
        let (chunks, copied) = drained?;
        self.next_chunk = first + chunks;
        self.finished = true;
        Ok(total + copied)
    }
}

/// At most this many threads unseal one file: two keep up with hashing and writing.
const MAX_UNSEAL_THREADS: usize = 4;

const ENDS_EARLY: &str = "it ends before its last chunk (the job did not finish writing it)";
const DATA_AFTER_LAST: &str = "data follows the last chunk";

/// The reading position shared by the threads of [`SealedReader::copy_chunks_to`]: chunks
/// are read one after another under its lock and numbered as they are read.
struct Cursor<'a> {
    file: &'a mut BufReader<File>,
    next_chunk: u64,
    /// The end of the file, or damage, was met: nothing more to read.
    ended: bool,
}

/// Where the unsealing threads write the chunks: chunk `first` at `base` of `file`, each
/// next one `CHUNK_BYTES` further (every chunk but the last is full; the consumer checks).
#[derive(Clone, Copy)]
struct Placement<'f> {
    file: &'f File,
    first: u64,
    base: u64,
}

/// A chunk as an unsealing thread hands it over, with its number.
enum Opened {
    /// Decrypted in place; `last` when it was sealed as the stream's last chunk; `written`
    /// says how writing it at its place went (`Ok` when there is no place).
    Plain {
        buffer: zeroize::Zeroizing<Vec<u8>>,
        last: bool,
        written: io::Result<()>,
    },
    /// The file ends cleanly (between chunks) where this chunk would begin.
    End,
    /// This chunk is damaged or could not be read.
    Failed(io::Error),
}

/// One unsealing thread: take a free buffer, read the next chunk into it, decrypt it there,
/// hand it over; until the file ends, damage is met, or the consumer has stopped.
fn unseal_chunks(
    cursor: &Mutex<Cursor<'_>>,
    free: &crossbeam_channel::Receiver<zeroize::Zeroizing<Vec<u8>>>,
    opened: &crossbeam_channel::Sender<(u64, Opened)>,
    stop: &AtomicBool,
    (cipher, aad): (&Aes256Gcm, &[u8]),
    place: Option<Placement<'_>>,
) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut buffer) = free.recv() else {
            return;
        };
        let (index, read) = {
            let mut cursor = cursor.lock().unwrap_or_else(PoisonError::into_inner);
            if cursor.ended {
                return;
            }
            let index = cursor.next_chunk;
            cursor.next_chunk += 1;
            let read = read_chunk(&mut *cursor.file, &mut buffer);
            cursor.ended = !matches!(read, Ok(true));
            (index, read)
        };
        let piece = match read {
            Ok(false) => Opened::End,
            Err(error) => Opened::Failed(error),
            Ok(true) => match open_chunk(cipher, aad, index, &mut buffer) {
                Ok(last) => {
                    let written = place.map_or(Ok(()), |place| {
                        let at = place.base + (index - place.first) * CHUNK_BYTES as u64;
                        write_at(place.file, &buffer, at)
                    });
                    Opened::Plain {
                        buffer,
                        last,
                        written,
                    }
                }
                Err(error) => Opened::Failed(error),
            },
        };
        if opened.send((index, piece)).is_err() {
            return;
        }
    }
}

/// The consumer's side of [`SealedReader::copy_chunks_to`]: puts chunks back in file order
/// (a few are in flight), hands each to `sink` and its buffer back to the readers, and checks
/// that the stream ends with its last chunk and nothing after it. Returns the number of
/// chunks and of plaintext bytes.
fn drain_in_order(
    first: u64,
    opened: &crossbeam_channel::Receiver<(u64, Opened)>,
    free: &crossbeam_channel::Sender<zeroize::Zeroizing<Vec<u8>>>,
    placed: bool,
    sink: &mut impl FnMut(&[u8]) -> io::Result<()>,
) -> Result<(u64, u64), CopyError> {
    let mut waiting = std::collections::BTreeMap::new();
    let mut next = first;
    let mut total = 0u64;
    let mut after_last = false;
    loop {
        let Some(piece) = waiting.remove(&next) else {
            let (index, piece) = opened
                .recv()
                .map_err(|_| CopyError::Read(io::Error::other("the unsealing threads stopped")))?;
            waiting.insert(index, piece);
            continue;
        };
        if after_last {
            return match piece {
                Opened::End => Ok((next - first, total)),
                Opened::Failed(error) if error.kind() != io::ErrorKind::InvalidData => {
                    Err(CopyError::Read(error))
                }
                _ => Err(CopyError::Read(damaged(DATA_AFTER_LAST))),
            };
        }
        match piece {
            Opened::Plain {
                buffer,
                last,
                written,
            } => {
                written.map_err(CopyError::Write)?;
                if placed && !last && buffer.len() != CHUNK_BYTES {
                    // Only a damaged writer could seal a short chunk before the last; the
                    // next chunks would not be where they were written.
                    return Err(CopyError::Read(damaged("a chunk has an impossible length")));
                }
                sink(&buffer).map_err(CopyError::Write)?;
                total += buffer.len() as u64;
                // The readers may be gone already; the buffer is wiped when dropped.
                let _ = free.send(buffer);
                after_last = last;
                next += 1;
            }
            Opened::End => return Err(CopyError::Read(damaged(ENDS_EARLY))),
            Opened::Failed(error) => return Err(CopyError::Read(error)),
        }
    }
}

/// Writes all of `data` at `offset` of `file`, leaving the file's cursor alone (several
/// threads write their chunks at once).
#[cfg(unix)]
fn write_at(file: &File, data: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, data, offset)
}

#[cfg(not(unix))]
fn write_at(_: &File, _: &[u8], _: u64) -> io::Result<()> {
    Err(io::Error::other("positional writes are only used on Unix"))
}

/// Reads the next chunk (its ciphertext and tag) into `buffer`: `false` at a clean end of the
/// file (no more chunks), damage when the file ends inside a chunk or a length is impossible.
fn read_chunk(file: &mut BufReader<File>, buffer: &mut Vec<u8>) -> io::Result<bool> {
    let mut length = [0u8; 4];
    let mut filled = 0;
    while filled < length.len() {
        match file.read(&mut length[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => return Err(damaged(ENDS_EARLY)),
            Ok(count) => filled += count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    let length = u32::from_be_bytes(length) as usize;
    if !(TAG_BYTES..=CHUNK_BYTES + TAG_BYTES).contains(&length) {
        return Err(damaged("a chunk has an impossible length"));
    }
    // Read into the buffer kept from chunk to chunk, to be decrypted in place.
    buffer.clear();
    let read = file.take(length as u64).read_to_end(buffer)?;
    if read != length {
        return Err(damaged("a chunk is cut off"));
    }
    Ok(true)
}

/// Authenticates and decrypts chunk `index` (ciphertext and tag in `buffer`) in place,
/// leaving the plaintext in `buffer`; returns whether it was sealed as the last chunk.
fn open_chunk(
    cipher: &Aes256Gcm,
    aad: &[u8],
    index: u64,
    buffer: &mut Vec<u8>,
) -> io::Result<bool> {
    let length = buffer.len();
    let (body, tag) = buffer.split_at_mut(length - TAG_BYTES);
    let tag = aes_gcm::Tag::clone_from_slice(tag);
    for last in [false, true] {
        let nonce = nonce(index, last);
        if cipher
            .decrypt_in_place_detached(Nonce::from_slice(&nonce), aad, body, &tag)
            .is_ok()
        {
            buffer.truncate(length - TAG_BYTES);
            return Ok(last);
        }
    }
    Err(damaged(
        "a chunk does not authenticate (tampered, reordered or another job's)",
    ))
}

/// Why [`SealedReader::copy_hashing_to`] stopped.
#[derive(Debug)]
pub enum CopyError {
    /// The staged stream is damaged or unreadable.
    Read(io::Error),
    /// The destination could not be written.
    Write(io::Error),
}

impl Read for SealedReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.position == self.plain.len() {
            if self.finished {
                return Ok(0);
            }
            self.next()?;
        }
        let count = out.len().min(self.plain.len() - self.position);
        out[..count].copy_from_slice(&self.plain[self.position..self.position + count]);
        self.position += count;
        Ok(count)
    }
}

fn damaged(reason: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason.to_owned())
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    hex_into(bytes, &mut out);
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// Lowercase hex of `bytes` written into `out` (exactly twice as long), without allocating:
/// every file of a job gets one (manifest).
pub fn hex_into<'a>(bytes: &[u8], out: &'a mut [u8]) -> &'a str {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    assert_eq!(out.len(), bytes.len() * 2, "two hex digits per byte");
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        // Table lookups, not `{:02x}` per byte.
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
    std::str::from_utf8(out).expect("hex digits are ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(size: usize) -> (Vec<u8>, StagedDigest, PathBuf, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(OUTPUT_FILE);
        let key = JobKey::new([7; 32]);
        let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let mut writer = SealedWriter::create(&path, &key, "job-1").unwrap();
        for piece in data.chunks(10_000) {
            writer.write_all(piece).unwrap();
        }
        let digest = writer.finish().unwrap();
        (data, digest, path, dir)
    }

    fn read_all(path: &Path, key: [u8; 32], job: &str) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        SealedReader::open(path, &JobKey::new(key), job)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn reads_back_what_was_written_at_chunk_boundaries() {
        for size in [0, 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES - 5] {
            let (data, digest, path, _dir) = round_trip(size);
            assert_eq!(
                read_all(&path, [7; 32], "job-1").unwrap(),
                data,
                "size {size}"
            );
            assert_eq!(digest.bytes, size as u64);
            assert_eq!(digest.sha256, hex(&Sha256::digest(&data)));
        }
    }

    fn copy_all(path: &Path, key: [u8; 32], job: &str) -> Result<(Vec<u8>, String), CopyError> {
        let mut out = Vec::new();
        let mut reader =
            SealedReader::open(path, &JobKey::new(key), job).map_err(CopyError::Read)?;
        let (bytes, sha256) = reader.copy_hashing_to(&mut out)?;
        assert_eq!(bytes, out.len() as u64);
        Ok((out, sha256))
    }

    /// [`SealedReader::copy_hashing_into_file`] into a new file, read back.
    fn copy_into_file(
        path: &Path,
        key: [u8; 32],
        job: &str,
    ) -> Result<(Vec<u8>, String), CopyError> {
        let dir = tempfile::tempdir().unwrap();
        let out = File::create_new(dir.path().join("plain")).unwrap();
        let mut reader =
            SealedReader::open(path, &JobKey::new(key), job).map_err(CopyError::Read)?;
        let mut reported = 0u64;
        let (bytes, sha256) = reader.copy_hashing_into_file(&out, |count| {
            reported += count as u64;
            Ok(())
        })?;
        let written = std::fs::read(dir.path().join("plain")).unwrap();
        assert_eq!(bytes, written.len() as u64);
        assert_eq!(reported, bytes, "every byte written is reported once");
        Ok((written, sha256))
    }

    fn copy_damage(result: Result<(Vec<u8>, String), CopyError>) -> String {
        match result {
            Err(CopyError::Read(error)) if error.kind() == io::ErrorKind::InvalidData => {
                error.to_string()
            }
            Err(CopyError::Read(error)) => panic!("not reported as damage: {error}"),
            Err(CopyError::Write(error)) => panic!("reported as a write error: {error}"),
            Ok(_) => panic!("a damaged file was copied"),
        }
    }

    #[test]
    fn the_threaded_copy_gives_the_plaintext_in_order_and_its_digest() {
        for size in [0, 1, CHUNK_BYTES, CHUNK_BYTES + 1, 11 * CHUNK_BYTES - 5] {
            let (data, digest, path, _dir) = round_trip(size);
            let (copied, sha256) = copy_all(&path, [7; 32], "job-1").unwrap();
            assert!(copied == data, "size {size}");
            assert_eq!(sha256, digest.sha256, "size {size}");
            let (placed, sha256) = copy_into_file(&path, [7; 32], "job-1").unwrap();
            assert!(placed == data, "size {size}, written at their places");
            assert_eq!(sha256, digest.sha256, "size {size}");
        }
    }

    #[test]
    fn the_threaded_copy_continues_after_what_was_read() {
        let (data, _, path, _dir) = round_trip(3 * CHUNK_BYTES + 7);
        let mut reader = SealedReader::open(&path, &JobKey::new([7; 32]), "job-1").unwrap();
        let mut start = vec![0u8; 1000];
        reader.read_exact(&mut start).unwrap();
        let mut rest = Vec::new();
        let copied = reader
            .copy_chunks_to(|plain| {
                rest.extend_from_slice(plain);
                Ok(())
            })
            .unwrap();
        assert_eq!(copied, (data.len() - 1000) as u64);
        assert!([start, rest].concat() == data);
        assert_eq!(reader.read(&mut [0u8; 8]).unwrap(), 0, "it is at the end");

        let mut reader = SealedReader::open(&path, &JobKey::new([7; 32]), "job-1").unwrap();
        reader.read_exact(&mut [0u8; 1000]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = File::create_new(dir.path().join("plain")).unwrap();
        let (bytes, sha256) = reader.copy_hashing_into_file(&out, |_| Ok(())).unwrap();
        assert_eq!(bytes, (data.len() - 1000) as u64);
        assert_eq!(sha256, hex(&Sha256::digest(&data[1000..])));
        assert!(std::fs::read(dir.path().join("plain")).unwrap() == data[1000..]);
    }

    #[test]
    fn a_failing_sink_is_a_write_error_and_stops_the_copy() {
        let (_, _, path, _dir) = round_trip(8 * CHUNK_BYTES);
        let mut reader = SealedReader::open(&path, &JobKey::new([7; 32]), "job-1").unwrap();
        let mut calls = 0;
        let result = reader.copy_chunks_to(|_| {
            calls += 1;
            if calls == 2 {
                Err(io::Error::other("disk full"))
            } else {
                Ok(())
            }
        });
        assert!(matches!(result, Err(CopyError::Write(error)) if error.to_string() == "disk full"));
        assert_eq!(calls, 2);
    }

    #[test]
    fn a_file_that_cannot_be_written_is_a_write_error() {
        let (_, _, path, dir) = round_trip(3 * CHUNK_BYTES);
        std::fs::write(dir.path().join("read-only"), b"").unwrap();
        let out = File::open(dir.path().join("read-only")).unwrap();
        let mut reader = SealedReader::open(&path, &JobKey::new([7; 32]), "job-1").unwrap();
        let result = reader.copy_hashing_into_file(&out, |_| Ok(()));
        assert!(matches!(result, Err(CopyError::Write(_))), "{result:?}");
    }

    #[test]
    fn the_threaded_copy_refuses_what_the_reader_refuses_with_the_same_reason() {
        let (data, _, path, _dir) = round_trip(5 * CHUNK_BYTES + 100);
        assert_eq!(
            copy_damage(copy_all(&path, [8; 32], "job-1")),
            "a chunk does not authenticate (tampered, reordered or another job's)"
        );
        assert!(matches!(
            copy_all(&path, [7; 32], "job-2"),
            Err(CopyError::Read(error)) if error.kind() == io::ErrorKind::InvalidData
        ));
        let disk = std::fs::read(&path).unwrap();
        let sealed_chunk = 4 + CHUNK_BYTES + TAG_BYTES;
        let second = MAGIC.len() + sealed_chunk;
        let mut swapped = disk.clone();
        swapped[second..second + sealed_chunk]
            .copy_from_slice(&disk[second + sealed_chunk..second + 2 * sealed_chunk]);
        let mut impossible = disk.clone();
        impossible[second..second + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        let mut flipped = disk.clone();
        flipped[second + 3 * sealed_chunk + 40] ^= 1;
        let cases = [
            (disk[..disk.len() - 1].to_vec(), "a chunk is cut off"),
            (disk[..second + 2 * sealed_chunk].to_vec(), ENDS_EARLY),
            (disk[..second + 2 * sealed_chunk + 2].to_vec(), ENDS_EARLY),
            (
                swapped,
                "a chunk does not authenticate (tampered, reordered or another job's)",
            ),
            (impossible, "a chunk has an impossible length"),
            (
                flipped,
                "a chunk does not authenticate (tampered, reordered or another job's)",
            ),
            ([disk.as_slice(), b"x"].concat(), DATA_AFTER_LAST),
            (
                [disk.as_slice(), &disk[second..second + sealed_chunk]].concat(),
                DATA_AFTER_LAST,
            ),
        ];
        for (damaged, reason) in cases {
            std::fs::write(&path, &damaged).unwrap();
            let sequential = read_all(&path, [7; 32], "job-1").unwrap_err();
            assert_eq!(sequential.kind(), io::ErrorKind::InvalidData);
            assert_eq!(sequential.to_string(), reason);
            assert_eq!(copy_damage(copy_all(&path, [7; 32], "job-1")), reason);
            assert_eq!(copy_damage(copy_into_file(&path, [7; 32], "job-1")), reason);
        }
        std::fs::write(&path, &disk).unwrap();
        assert!(copy_all(&path, [7; 32], "job-1").unwrap().0 == data);
    }

    #[test]
    fn the_plaintext_is_not_on_disk() {
        let (data, _, path, _dir) = round_trip(5000);
        let disk = std::fs::read(&path).unwrap();
        assert!(!disk.windows(64).any(|window| window == &data[1000..1064]));
    }

    #[test]
    fn refuses_wrong_key_other_job_truncation_tampering_and_trailing_data() {
        let (_, _, path, _dir) = round_trip(CHUNK_BYTES + 100);
        let kind = |result: io::Result<Vec<u8>>| result.unwrap_err().kind();
        assert_eq!(
            kind(read_all(&path, [8; 32], "job-1")),
            io::ErrorKind::InvalidData
        );
        assert_eq!(
            kind(read_all(&path, [7; 32], "job-2")),
            io::ErrorKind::InvalidData
        );
        let disk = std::fs::read(&path).unwrap();
        for damaged in [
            disk[..disk.len() - 1].to_vec(),
            disk[..MAGIC.len() + 4 + CHUNK_BYTES + TAG_BYTES].to_vec(),
            {
                let mut copy = disk.clone();
                copy[MAGIC.len() + 40] ^= 1;
                copy
            },
            [disk.as_slice(), b"x"].concat(),
        ] {
            std::fs::write(&path, &damaged).unwrap();
            assert_eq!(
                kind(read_all(&path, [7; 32], "job-1")),
                io::ErrorKind::InvalidData
            );
        }
    }
}
