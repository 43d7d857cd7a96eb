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
        let mut length = [0u8; 4];
        match self.file.read_exact(&mut length) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(damaged(
                    "it ends before its last chunk (the job did not finish writing it)",
                ));
            }
            Err(error) => return Err(error),
        }
        let length = u32::from_be_bytes(length) as usize;
        if !(TAG_BYTES..=CHUNK_BYTES + TAG_BYTES).contains(&length) {
            return Err(damaged("a chunk has an impossible length"));
        }
        // Decrypted in place, in one buffer kept from chunk to chunk.
        self.plain.clear();
        let read = (&mut self.file)
            .take(length as u64)
            .read_to_end(&mut self.plain)?;
        if read != length {
            return Err(damaged("a chunk is cut off"));
        }
        let (body, tag) = self.plain.split_at_mut(length - TAG_BYTES);
        let tag = aes_gcm::Tag::clone_from_slice(tag);
        let mut last = None;
        for candidate in [false, true] {
            let nonce = nonce(self.next_chunk, candidate);
            if self
                .cipher
                .decrypt_in_place_detached(Nonce::from_slice(&nonce), &self.aad, body, &tag)
                .is_ok()
            {
                last = Some(candidate);
                break;
            }
        }
        let last = last.ok_or_else(|| {
            damaged("a chunk does not authenticate (tampered, reordered or another job's)")
        })?;
        self.plain.truncate(length - TAG_BYTES);
        self.position = 0;
        self.next_chunk += 1;
        if last {
            let mut extra = [0u8; 1];
            if self.file.read(&mut extra)? != 0 {
                return Err(damaged("data follows the last chunk"));
            }
            self.finished = true;
        }
        Ok(())
    }

    /// Copies the whole plaintext to `out`, hashing it on the way: one pass, each chunk
    /// written and hashed straight from the buffer it was decrypted in. Returns the size and
    /// SHA-256; a read error is [`CopyError::Read`] (damage), a write error [`CopyError::Write`].
    pub fn copy_hashing_to(&mut self, out: &mut impl Write) -> Result<(u64, String), CopyError> {
        let mut hasher = Sha256::new();
        let mut total = 0u64;
        loop {
            if self.position == self.plain.len() {
                if self.finished {
                    break;
                }
                self.next().map_err(CopyError::Read)?;
                continue;
            }
            let rest = &self.plain[self.position..];
            hasher.update(rest);
            out.write_all(rest).map_err(CopyError::Write)?;
            total += rest.len() as u64;
            self.position = self.plain.len();
        }
        out.flush().map_err(CopyError::Write)?;
        Ok((total, hex(&hasher.finalize())))
    }
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
