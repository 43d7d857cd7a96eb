//! One file holding a whole workspace, sealed under its passphrase: `tokendist backup` and
//! `tokendist restore`.
//!
//! ```text
//! "TOKENDIST-BACKUP-1\n"                       magic
//! vault header                                 KDF parameters, a fresh salt, key check
//! u32 BE length ‖ sealed data key              the random stream key, sealed (vault format)
//!                                              under the passphrase-derived key
//! chunks: u32 BE length ‖ AES-256-GCM(chunk)   nonce = chunk number (u64 BE) ‖ last (u32 BE),
//!                                              AAD = "tokendist backup" ‖ SHA-256(all above)
//! ```
//! Chunk numbers in the nonce fix the order, the last-chunk flag marks the end, and the AAD
//! binds every chunk to this file's header: a reordered, spliced, truncated or extended file
//! fails to authenticate. The plaintext is an archive of the workspace's files, byte for byte:
//!
//! ```text
//! entry: tag u8 (1 directory, 2 file) ‖ path (u32 LE length ‖ UTF-8, '/'-separated,
//!        relative) ‖ mode u32 LE ‖ [file: size u64 LE ‖ bytes ‖ SHA-256 of the bytes]
//! end:   tag 0xFF ‖ number of entries u64 LE
//! ```
//! The files are copied as they are (the inventory stays sealed under the workspace key, the
//! staged outputs under their job keys), so a restore is exactly the workspace that was backed
//! up, names and all, in full UTF-8.

use super::atomic::create_private_dir;
use super::lock::LOCK_FILE;
use super::vault::{HEADER_LEN, VaultHeader, VaultKey};
use super::{Workspace, WorkspaceError};
use crate::crashpoint;
use crate::secret::{SecretBytes, SecretString};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::{Component, Path, PathBuf};

const MAGIC: &[u8] = b"TOKENDIST-BACKUP-1\n";
const KEY_CONTEXT: &[u8] = b"tokendist backup data key\0";
const CHUNK_AAD: &[u8] = b"tokendist backup\0";
/// Plaintext bytes per chunk: memory stays flat however large a staged output is.
const CHUNK_BYTES: usize = 1024 * 1024;
const TAG_BYTES: usize = 16;
const TAG_DIR: u8 = 1;
const TAG_FILE: u8 = 2;
const TAG_END: u8 = 0xFF;
/// Longest path accepted from a backup (a damaged length must not allocate gigabytes).
const MAX_PATH_BYTES: usize = 4096;

/// What a backup or restore handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BackupReport {
    pub files: usize,
    pub directories: usize,
    /// Bytes of workspace files (before sealing).
    pub bytes: u64,
}

fn damaged(reason: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, reason.into())
}

fn nonce(index: u64, last: bool) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[..8].copy_from_slice(&index.to_be_bytes());
    nonce[8..].copy_from_slice(&u32::from(last).to_be_bytes());
    nonce
}

/// The chunked, authenticated stream over any writer.
struct ChunkWriter<W: Write> {
    out: W,
    cipher: Aes256Gcm,
    aad: Vec<u8>,
    buffer: zeroize::Zeroizing<Vec<u8>>,
    next: u64,
}

impl<W: Write> ChunkWriter<W> {
    fn seal(&mut self, last: bool) -> io::Result<()> {
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce(self.next, last)),
                Payload {
                    msg: &self.buffer,
                    aad: &self.aad,
                },
            )
            .map_err(|_| io::Error::other("sealing a backup chunk failed"))?;
        let length = u32::try_from(sealed.len()).expect("chunks are far below 4 GiB");
        self.out.write_all(&length.to_be_bytes())?;
        self.out.write_all(&sealed)?;
        self.buffer.clear();
        self.next += 1;
        Ok(())
    }

    fn finish(mut self) -> io::Result<W> {
        self.seal(true)?;
        Ok(self.out)
    }
}

impl<W: Write> Write for ChunkWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK_BYTES - self.buffer.len();
        let taken = &data[..data.len().min(room)];
        self.buffer.extend_from_slice(taken);
        if self.buffer.len() == CHUNK_BYTES {
            self.seal(false)?;
        }
        Ok(taken.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct ChunkReader<R: Read> {
    input: R,
    cipher: Aes256Gcm,
    aad: Vec<u8>,
    plain: zeroize::Zeroizing<Vec<u8>>,
    position: usize,
    next: u64,
    finished: bool,
}

impl<R: Read> ChunkReader<R> {
    fn fill(&mut self) -> io::Result<()> {
        let mut length = [0u8; 4];
        self.input.read_exact(&mut length).map_err(|error| {
            if error.kind() == io::ErrorKind::UnexpectedEof {
                damaged("the backup ends early (truncated)")
            } else {
                error
            }
        })?;
        let length = u32::from_be_bytes(length) as usize;
        if !(TAG_BYTES..=CHUNK_BYTES + TAG_BYTES).contains(&length) {
            return Err(damaged(
                "the backup is damaged (a chunk has an impossible length)",
            ));
        }
        let mut sealed = vec![0u8; length];
        self.input
            .read_exact(&mut sealed)
            .map_err(|_| damaged("the backup ends early (truncated)"))?;
        let open = |last: bool| {
            self.cipher
                .decrypt(
                    Nonce::from_slice(&nonce(self.next, last)),
                    Payload {
                        msg: &sealed,
                        aad: &self.aad,
                    },
                )
                .ok()
                .map(|plain| (plain, last))
        };
        let (plain, last) = open(false).or_else(|| open(true)).ok_or_else(|| {
            damaged("the backup is damaged or was modified (a chunk does not authenticate)")
        })?;
        self.plain = zeroize::Zeroizing::new(plain);
        self.position = 0;
        self.next += 1;
        if last {
            let mut extra = [0u8; 1];
            if self.input.read(&mut extra)? != 0 {
                return Err(damaged("the backup has data after its end"));
            }
            self.finished = true;
        }
        Ok(())
    }

    /// True once the last chunk was read and consumed.
    fn at_end(&mut self) -> io::Result<bool> {
        while self.position == self.plain.len() {
            if self.finished {
                return Ok(true);
            }
            self.fill()?;
        }
        Ok(false)
    }
}

impl<R: Read> Read for ChunkReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at_end()? {
            return Ok(0);
        }
        let count = out.len().min(self.plain.len() - self.position);
        out[..count].copy_from_slice(&self.plain[self.position..self.position + count]);
        self.position += count;
        Ok(count)
    }
}

fn chunk_aad(prefix: &[u8]) -> Vec<u8> {
    [CHUNK_AAD, Sha256::digest(prefix).as_slice()].concat()
}

/// One file or directory of the workspace, as the archive lists it.
struct Entry {
    relative: String,
    path: PathBuf,
    is_dir: bool,
    mode: u32,
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o777
}

#[cfg(not(unix))]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    if meta.is_dir() { 0o700 } else { 0o600 }
}

/// Every directory and file under the workspace except the lock and temporary files, parents
/// before children, in name order. Symbolic links and names that are not UTF-8 are refused:
/// a backup that silently left them out would not be the whole workspace.
fn collect(root: &Path) -> Result<Vec<Entry>, WorkspaceError> {
    let mut entries = Vec::new();
    let mut pending = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = pending.pop() {
        let mut children: Vec<_> = std::fs::read_dir(&dir)
            .map_err(WorkspaceError::io("read", &dir))?
            .collect::<Result<_, _>>()
            .map_err(WorkspaceError::io("read", &dir))?;
        children.sort_by_key(|entry| entry.file_name());
        let mut subdirs = Vec::new();
        for child in children {
            let path = child.path();
            let name = child.file_name();
            let name = name.to_str().ok_or_else(|| {
                WorkspaceError::Invalid(format!(
                    "{}: the name is not UTF-8; rename or remove it, then back up again",
                    path.display()
                ))
            })?;
            if prefix.is_empty() && name == LOCK_FILE
                || name.starts_with('.') && name.ends_with(".tmp")
            {
                continue;
            }
            let meta =
                std::fs::symlink_metadata(&path).map_err(WorkspaceError::io("read", &path))?;
            let relative = if prefix.is_empty() {
                name.to_owned()
            } else {
                format!("{prefix}/{name}")
            };
            if meta.file_type().is_symlink() || !(meta.is_dir() || meta.is_file()) {
                return Err(WorkspaceError::Invalid(format!(
                    "{}: not a regular file or directory; a workspace holds only its own files (see tokendist check)",
                    path.display()
                )));
            }
            entries.push(Entry {
                relative: relative.clone(),
                path: path.clone(),
                is_dir: meta.is_dir(),
                mode: mode_of(&meta),
            });
            if meta.is_dir() {
                subdirs.push((path, relative));
            }
        }
        // Depth first, in name order: push in reverse so the first name is taken next.
        pending.extend(subdirs.into_iter().rev());
    }
    Ok(entries)
}

fn put_path(out: &mut impl Write, relative: &str) -> io::Result<()> {
    out.write_all(&(relative.len() as u32).to_le_bytes())?;
    out.write_all(relative.as_bytes())
}

/// Copies `from` into `out`, returning its size and SHA-256.
fn copy_hashing(
    from: &mut (impl Read + ?Sized),
    out: &mut impl Write,
) -> io::Result<(u64, [u8; 32])> {
    let mut hasher = Sha256::new();
    let mut buffer = zeroize::Zeroizing::new(vec![0u8; 64 * 1024]);
    let mut total = 0u64;
    loop {
        let count = from.read(&mut buffer)?;
        if count == 0 {
            break;
        }
        hasher.update(&buffer[..count]);
        out.write_all(&buffer[..count])?;
        total += count as u64;
    }
    Ok((total, hasher.finalize().into()))
}

fn sha256_of(path: &Path) -> io::Result<[u8; 32]> {
    copy_hashing(&mut File::open(path)?, &mut io::sink()).map(|(_, sha)| sha)
}

/// Opens the outer layers of a backup: checks the magic, derives the key from the
/// passphrase, unseals the stream key.
fn open_stream(
    path: &Path,
    passphrase: &SecretString,
) -> Result<ChunkReader<BufReader<File>>, WorkspaceError> {
    let file = File::open(path).map_err(WorkspaceError::io("read", path))?;
    open_stream_from(file, path, passphrase)
}

/// [`open_stream`] on an open file (`path` only names it in messages).
fn open_stream_from(
    file: File,
    path: &Path,
    passphrase: &SecretString,
) -> Result<ChunkReader<BufReader<File>>, WorkspaceError> {
    let bad = |reason: String| bad_backup(path, reason);
    let mut input = BufReader::new(file);
    let mut prefix = vec![0u8; MAGIC.len() + HEADER_LEN + 4];
    input
        .read_exact(&mut prefix)
        .map_err(|_| bad("the file is too short to be a tokendist backup".into()))?;
    if &prefix[..MAGIC.len()] != MAGIC {
        return Err(WorkspaceError::Invalid(format!(
            "{} is not a tokendist backup",
            path.display()
        )));
    }
    let (header, _) = VaultHeader::parse(&prefix[MAGIC.len()..MAGIC.len() + HEADER_LEN])
        .map_err(|error| bad(error.to_string()))?;
    let key_len = u32::from_be_bytes(prefix[MAGIC.len() + HEADER_LEN..].try_into().expect("4"));
    if key_len > 1024 {
        return Err(bad("the sealed stream key has an impossible length".into()));
    }
    let mut sealed_key = vec![0u8; key_len as usize];
    input
        .read_exact(&mut sealed_key)
        .map_err(|_| bad("the backup ends early (truncated)".into()))?;
    let vault = VaultKey::unlock(passphrase, &header).map_err(|error| match error {
        // A flipped bit in the salt looks the same as another passphrase.
        super::VaultError::WrongPassphrase => WorkspaceError::Invalid(format!(
            "wrong passphrase for the backup {} (or its header is damaged); it opens with the workspace passphrase of when it was written",
            path.display()
        )),
        other => bad(other.to_string()),
    })?;
    let context = [KEY_CONTEXT, &prefix].concat();
    let data_key = vault
        .unseal(&sealed_key, &context)
        .map_err(|error| bad(format!("the stream key does not open: {error}")))?;
    prefix.extend_from_slice(&sealed_key);
    let cipher = Aes256Gcm::new_from_slice(&data_key)
        .map_err(|_| bad("the stream key has the wrong length".into()))?;
    Ok(ChunkReader {
        input,
        cipher,
        aad: chunk_aad(&prefix),
        plain: zeroize::Zeroizing::new(Vec::new()),
        position: 0,
        next: 0,
        finished: false,
    })
}

/// A backup file that cannot be used (the inventory's "damaged" wording does not fit).
fn bad_backup(path: &Path, reason: impl Into<String>) -> WorkspaceError {
    WorkspaceError::Invalid(format!("{}: {}", path.display(), reason.into()))
}

/// One archive entry as read back.
enum Item {
    Dir {
        relative: String,
        mode: u32,
    },
    File {
        relative: String,
        mode: u32,
        size: u64,
    },
    End {
        count: u64,
    },
}

fn read_u32(input: &mut impl Read) -> io::Result<u32> {
    let mut bytes = [0u8; 4];
    input.read_exact(&mut bytes)?;
    Ok(u32::from_le_bytes(bytes))
}

fn read_u64(input: &mut impl Read) -> io::Result<u64> {
    let mut bytes = [0u8; 8];
    input.read_exact(&mut bytes)?;
    Ok(u64::from_le_bytes(bytes))
}

fn read_item(input: &mut impl Read) -> io::Result<Item> {
    let mut tag = [0u8; 1];
    input.read_exact(&mut tag)?;
    if tag[0] == TAG_END {
        return Ok(Item::End {
            count: read_u64(input)?,
        });
    }
    let length = read_u32(input)? as usize;
    if length == 0 || length > MAX_PATH_BYTES {
        return Err(damaged("an entry's path has an impossible length"));
    }
    let mut name = vec![0u8; length];
    input.read_exact(&mut name)?;
    let relative = String::from_utf8(name).map_err(|_| damaged("an entry's path is not UTF-8"))?;
    let mode = read_u32(input)?;
    match tag[0] {
        TAG_DIR => Ok(Item::Dir { relative, mode }),
        TAG_FILE => Ok(Item::File {
            relative,
            mode,
            size: read_u64(input)?,
        }),
        other => Err(damaged(format!("unknown entry type {other}"))),
    }
}

/// A path from the archive, which must stay inside the directory it is restored into.
fn inside(root: &Path, relative: &str) -> io::Result<PathBuf> {
    let path = Path::new(relative);
    let plain = !relative.contains('\\')
        && path
            .components()
            .all(|component| matches!(component, Component::Normal(_)));
    if plain {
        Ok(root.join(path))
    } else {
        Err(damaged(format!(
            "the entry {relative:?} would leave the workspace"
        )))
    }
}

/// Walks a backup's archive, calling `on_file` with each file's content reader. Returns what
/// it saw; every error (damage, truncation, a missing end) is an `InvalidData` error.
fn walk_archive(
    reader: &mut ChunkReader<BufReader<File>>,
    mut on_dir: impl FnMut(&str, u32) -> io::Result<()>,
    mut on_file: impl FnMut(&str, u32, &mut dyn Read) -> io::Result<[u8; 32]>,
) -> io::Result<BackupReport> {
    let mut report = BackupReport::default();
    let mut entries = 0u64;
    loop {
        match read_item(reader).map_err(|error| {
            if error.kind() == io::ErrorKind::UnexpectedEof {
                damaged("the backup's archive ends before its end marker")
            } else {
                error
            }
        })? {
            Item::End { count } => {
                if count != entries {
                    return Err(damaged("the backup's entry count does not match"));
                }
                if !reader.at_end()? {
                    return Err(damaged("the backup has data after its end marker"));
                }
                return Ok(report);
            }
            Item::Dir { relative, mode } => {
                on_dir(&relative, mode)?;
                report.directories += 1;
            }
            Item::File {
                relative,
                mode,
                size,
            } => {
                let mut content = (&mut *reader).take(size);
                let sha = on_file(&relative, mode, &mut content)?;
                if content.limit() != 0 {
                    return Err(damaged("the backup ends inside a file"));
                }
                let mut recorded = [0u8; 32];
                reader.read_exact(&mut recorded)?;
                if recorded != sha {
                    return Err(damaged(format!(
                        "{relative}: the content does not match its recorded SHA-256"
                    )));
                }
                report.files += 1;
                report.bytes += size;
            }
        }
        entries += 1;
    }
}

/// Writes a backup of `workspace` to `target` (mode 0600; an existing file only with
/// `force`), sealed under `passphrase` with a fresh salt, then reads it back in full and
/// compares every file with the workspace before the file appears under its name.
pub fn write_backup(
    workspace: &Workspace,
    passphrase: &SecretString,
    target: &Path,
    force: bool,
) -> Result<BackupReport, WorkspaceError> {
    // The passphrase must be the workspace's: a backup the operator cannot open is worse
    // than none.
    VaultKey::unlock(passphrase, &workspace.header).map_err(|_| {
        WorkspaceError::WrongPassphrase {
            path: workspace.root.join(super::INVENTORY_FILE),
            legacy_format: workspace.header.is_legacy(),
        }
    })?;
    if !force && target.exists() {
        return Err(WorkspaceError::Invalid(format!(
            "{} already exists; give --force to replace it",
            target.display()
        )));
    }
    let entries = collect(&workspace.root)?;
    // The backup is written into an unnamed file beside the target and named only once it
    // has been read back and compared (`write_outside`): a crash leaves no file that looks
    // like a backup, and no temporary one.
    let mut outcome: Option<Result<BackupReport, WorkspaceError>> = None;
    let published = super::publish::write_outside_with("backup", target, force, |file| {
        let report = write_stream(file, passphrase, workspace, &entries)?;
        file.sync_all()?;
        crashpoint::reached("backup.written");
        let mut back = file.try_clone()?;
        back.seek(io::SeekFrom::Start(0))?;
        let checked = match verify_against(back, target, passphrase, &entries) {
            Err(error) => Err(bad_backup(
                target,
                format!("the backup did not read back correctly ({error}); nothing was kept"),
            )),
            Ok(verified) if verified != report => Err(bad_backup(
                target,
                "the backup read back with other contents; nothing was kept",
            )),
            Ok(_) => Ok(report),
        };
        let failed = checked.is_err();
        outcome = Some(checked);
        if failed {
            return Err(io::Error::other("the backup did not verify"));
        }
        crashpoint::reached("backup.verified");
        Ok(())
    });
    match (published, outcome) {
        (Ok(()), Some(outcome)) => outcome,
        // The read-back's own error says more than the abandoned write.
        (Err(_), Some(Err(error))) => Err(error),
        (Ok(()), None) => Err(bad_backup(target, "the backup was not written")),
        (Err(error), _) if error.kind() == io::ErrorKind::AlreadyExists => {
            Err(WorkspaceError::Invalid(format!(
                "{} already exists; give --force to replace it",
                target.display()
            )))
        }
        (Err(error), _) => Err(WorkspaceError::io("write", target)(error)),
    }
}

fn write_stream(
    file: &File,
    passphrase: &SecretString,
    workspace: &Workspace,
    entries: &[Entry],
) -> io::Result<BackupReport> {
    let mut out = BufWriter::with_capacity(256 * 1024, file);
    let (vault, header) = VaultKey::create(passphrase, workspace.header.params);
    let data_key = SecretBytes::<32>::random();
    let mut prefix = Vec::with_capacity(MAGIC.len() + HEADER_LEN + 4);
    prefix.extend_from_slice(MAGIC);
    prefix.extend_from_slice(&header.to_bytes());
    // The sealed key's length is known up front: 32 bytes plus the vault's overhead.
    let sealed_len = 32 + super::vault::SEAL_OVERHEAD;
    prefix.extend_from_slice(&(sealed_len as u32).to_be_bytes());
    let sealed_key = vault.seal(data_key.expose(), &[KEY_CONTEXT, &prefix].concat());
    debug_assert_eq!(sealed_key.len(), sealed_len);
    out.write_all(&prefix)?;
    out.write_all(&sealed_key)?;
    prefix.extend_from_slice(&sealed_key);

    let mut stream = ChunkWriter {
        out,
        cipher: Aes256Gcm::new_from_slice(data_key.expose()).expect("a 32-byte key"),
        aad: chunk_aad(&prefix),
        buffer: zeroize::Zeroizing::new(Vec::with_capacity(CHUNK_BYTES)),
        next: 0,
    };
    let mut report = BackupReport::default();
    for entry in entries {
        if entry.is_dir {
            stream.write_all(&[TAG_DIR])?;
            put_path(&mut stream, &entry.relative)?;
            stream.write_all(&entry.mode.to_le_bytes())?;
            report.directories += 1;
            continue;
        }
        let mut file = File::open(&entry.path)?;
        let size = file.metadata()?.len();
        stream.write_all(&[TAG_FILE])?;
        put_path(&mut stream, &entry.relative)?;
        stream.write_all(&entry.mode.to_le_bytes())?;
        stream.write_all(&size.to_le_bytes())?;
        let (copied, sha) = copy_hashing(&mut (&mut file).take(size), &mut stream)?;
        if copied != size {
            return Err(io::Error::other(format!(
                "{} changed size while it was read",
                entry.path.display()
            )));
        }
        stream.write_all(&sha)?;
        report.files += 1;
        report.bytes += size;
    }
    stream.write_all(&[TAG_END])?;
    stream.write_all(&(entries.len() as u64).to_le_bytes())?;
    let mut out = stream.finish()?;
    out.flush()?;
    Ok(report)
}

/// Reads the backup at `path` back in full and compares each entry with the workspace file
/// it came from.
fn verify_against(
    file: File,
    path: &Path,
    passphrase: &SecretString,
    entries: &[Entry],
) -> Result<BackupReport, String> {
    let mut reader = open_stream_from(file, path, passphrase).map_err(|error| error.to_string())?;
    // (relative path, file SHA-256 or None for a directory), in archive order.
    let seen = std::cell::RefCell::new(Vec::with_capacity(entries.len()));
    let report = walk_archive(
        &mut reader,
        |relative, _| {
            seen.borrow_mut().push((relative.to_owned(), None));
            Ok(())
        },
        |relative, _, content| {
            let (_, sha) = copy_hashing(content, &mut io::sink())?;
            seen.borrow_mut().push((relative.to_owned(), Some(sha)));
            Ok(sha)
        },
    )
    .map_err(|error| error.to_string())?;
    let seen = seen.into_inner();
    if seen.len() != entries.len() {
        return Err(format!(
            "{} entries read back, {} written",
            seen.len(),
            entries.len()
        ));
    }
    for ((relative, sha), entry) in seen.iter().zip(entries) {
        let same = entry.relative == *relative
            && match sha {
                None => entry.is_dir,
                Some(sha) => {
                    !entry.is_dir
                        && sha256_of(&entry.path).map_err(|error| error.to_string())? == *sha
                }
            };
        if !same {
            return Err(format!("{relative} differs from the workspace"));
        }
    }
    Ok(report)
}

/// Recreates the workspace held by the backup at `backup` in `target`, which must not exist
/// or be an empty directory. Everything is written into a temporary directory beside
/// `target`, synced, and checked — the inventory must open with `passphrase` and `verify`
/// (the caller's full check: history, staged outputs) must pass — before one rename puts it
/// in place. On any failure nothing appears at `target`.
pub fn restore(
    backup: &Path,
    target: &Path,
    passphrase: &SecretString,
    verify: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<BackupReport, WorkspaceError> {
    refuse_occupied(target)?;
    let mut reader = open_stream(backup, passphrase)?;
    let parent = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(WorkspaceError::Invalid(format!(
            "{}: no such directory; create it first",
            parent.display()
        )));
    }
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "workspace".into());
    // A restore into this target that a crash interrupted left its staging directory (a
    // whole or partial sealed copy, never at the target itself): this restore replaces it.
    remove_restore_leftovers(&parent, &name);
    let staging = tempfile::Builder::new()
        .prefix(&restore_prefix(&name))
        .rand_bytes(RESTORE_RANDOM_CHARS)
        .tempdir_in(&parent)
        .map_err(WorkspaceError::io("create a directory in", &parent))?;
    let root = staging.path().to_path_buf();
    create_private_dir(&root).map_err(WorkspaceError::io("create", &root))?;

    let mut dirs = vec![root.clone()];
    let report = walk_archive(
        &mut reader,
        |relative, _| {
            let path = inside(&root, relative)?;
            create_private_dir(&path)?;
            dirs.push(path);
            Ok(())
        },
        |relative, _, content| {
            let path = inside(&root, relative)?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&path)?;
            let (_, sha) = copy_hashing(content, &mut file)?;
            file.sync_all()?;
            crashpoint::reached("restore.file-written");
            Ok(sha)
        },
    )
    .map_err(|error| bad_backup(backup, format!("{error}; nothing was restored")))?;
    for dir in &dirs {
        File::open(dir)
            .and_then(|dir| dir.sync_all())
            .map_err(WorkspaceError::io("sync", dir))?;
    }
    crashpoint::reached("restore.extracted");

    if !Workspace::is_initialised(&root) {
        return Err(bad_backup(
            backup,
            "the backup holds no inventory; nothing was restored",
        ));
    }
    // The inventory must open with the passphrase (and decode), not only the backup.
    drop(Workspace::open(&root, passphrase)?);
    let _ = std::fs::remove_file(root.join(LOCK_FILE));
    verify(&root).map_err(|reason| {
        bad_backup(
            backup,
            format!("the restored workspace does not check out: {reason}; nothing was restored"),
        )
    })?;
    crashpoint::reached("restore.verified");

    refuse_occupied(target)?;
    let kept = staging.keep();
    if let Err(error) = std::fs::rename(&kept, target) {
        let _ = std::fs::remove_dir_all(&kept);
        return Err(WorkspaceError::io("create", target)(error));
    }
    crashpoint::reached("restore.renamed");
    File::open(&parent)
        .and_then(|dir| dir.sync_all())
        .map_err(WorkspaceError::io("sync", &parent))?;
    crashpoint::reached("restore.synced");
    Ok(report)
}

/// Random characters in a restore's staging directory name.
const RESTORE_RANDOM_CHARS: usize = 6;

/// `.NAME.restore-`: the staging directory of a restore into `NAME`, beside it.
fn restore_prefix(name: &str) -> String {
    format!(".{name}.restore-")
}

/// Removes the staging directories (`.NAME.restore-XXXXXX`, exactly) that interrupted
/// restores into `parent/NAME` left; nothing else.
fn remove_restore_leftovers(parent: &Path, name: &str) {
    let prefix = restore_prefix(name);
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        let ours = entry_name.strip_prefix(&prefix).is_some_and(|random| {
            random.len() == RESTORE_RANDOM_CHARS
                && random.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        // A real directory only (file_type does not follow a symlink).
        if ours
            && entry.file_type().is_ok_and(|kind| kind.is_dir())
            && std::fs::remove_dir_all(entry.path()).is_ok()
        {
            crashpoint::reached("restore.leftover-removed");
        }
    }
}

/// A restore goes into a new or empty directory, never over anything.
fn refuse_occupied(target: &Path) -> Result<(), WorkspaceError> {
    if Workspace::is_initialised(target) {
        return Err(WorkspaceError::AlreadyInitialised {
            dir: target.to_path_buf(),
        });
    }
    match std::fs::read_dir(target) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(WorkspaceError::Invalid(format!(
                    "{} is not empty; restore into a new or empty directory",
                    target.display()
                )));
            }
            Ok(())
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            if std::fs::symlink_metadata(target).is_ok() {
                return Err(WorkspaceError::Invalid(format!(
                    "{} exists; restore into a new or empty directory",
                    target.display()
                )));
            }
            Ok(())
        }
        Err(error) if error.kind() == io::ErrorKind::NotADirectory => {
            Err(WorkspaceError::Invalid(format!(
                "{} is a file; restore into a new or empty directory",
                target.display()
            )))
        }
        Err(error) => Err(WorkspaceError::io("read", target)(error)),
    }
}
