//! Crash-safe file writes and private directories.
//!
//! A file is written to a temporary file in the same directory, flushed to disk, published
//! under the target name, and the directory entry is flushed too. A crash at any instant leaves
//! either the old file (or none) or the new one, never a torn mix. Files are created 0600 and
//! directories 0700 because they may hold (encrypted) seeds, job history and configuration.
//!
//! Two ways to publish:
//! * [`write_atomic`] replaces whatever is at the target (workspace files, `--force`).
//! * [`write_new_atomic`] refuses to replace anything: the temporary file is linked under the
//!   target name only if no entry of that name exists, in one step of the file system, so a file
//!   created by someone else between a check and the write is never silently overwritten. Use it
//!   for files written where an administrator keeps other files (token files, ZIP downloads)
//!   unless they asked for replacement.

use std::cell::Cell;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Where [`write_atomic`] may be told to fail, so tests can prove an interrupted update
/// leaves the previous file intact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// Half the bytes are in the temporary file when the write fails.
    MidWrite,
    /// The temporary file is complete and flushed, but the rename never happens.
    BeforeRename,
}

thread_local! {
    static FAIL_NEXT_WRITE: Cell<Option<FailPoint>> = const { Cell::new(None) };
}

/// Makes the next [`write_atomic`] on this thread fail at `point` (tests only; thread-local so
/// parallel tests do not disturb each other).
#[doc(hidden)]
pub fn inject_failure(point: FailPoint) {
    FAIL_NEXT_WRITE.with(|cell| cell.set(Some(point)));
}

fn injected(point: FailPoint) -> io::Result<()> {
    let hit = FAIL_NEXT_WRITE.with(|cell| {
        if cell.get() == Some(point) {
            cell.set(None);
            true
        } else {
            false
        }
    });
    if hit {
        Err(io::Error::other(format!("injected failure ({point:?})")))
    } else {
        Ok(())
    }
}

/// Writes `bytes` to `path` atomically with mode 0600, replacing any existing file (see the
/// module documentation). Its crash points are `file.temp-synced`, `file.renamed` and
/// `file.dir-synced`; workspace files use [`write_atomic_as`] to say which write they are.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_via_temporary("file", path, bytes, Publish::Replace)
}

/// [`write_atomic`] whose crash points are named after `point` (`operation.file`, e.g.
/// `job.finish.history`): `<point>.temp-synced` (the complete temporary file is on disk),
/// `<point>.renamed` (published) and `<point>.dir-synced` (the rename is durable).
pub fn write_atomic_as(point: &str, path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_via_temporary(point, path, bytes, Publish::Replace)
}

/// Writes `bytes` to a new file at `path` atomically with mode 0600; fails with
/// [`io::ErrorKind::AlreadyExists`] (and leaves the existing entry untouched) when `path`
/// already exists, even if it appears while the bytes are being written.
pub fn write_new_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_via_temporary("file", path, bytes, Publish::NoClobber)
}

/// True when `name` is a temporary file [`write_atomic`] makes while writing a file called
/// `file_name` (`.FILE_NAME.XXXXXX.tmp`). Cleanup removes only these names, never a user's
/// own `.something.tmp`.
pub fn is_temporary_of(name: &str, file_name: &str) -> bool {
    name.strip_prefix('.')
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .and_then(|rest| rest.strip_prefix(file_name))
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|random| {
            random.len() == TEMP_RANDOM_CHARS && random.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// Removes, from `dir`, the temporaries an interrupted [`write_atomic`] of one of `file_names`
/// left behind; returns how many went. Only for directories the caller holds the lock on
/// (no one is writing them now). Best effort: a leftover is harmless, just untidy.
pub fn remove_temporaries(dir: &Path, file_names: &[&str]) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = file_names
            .iter()
            .any(|file_name| is_temporary_of(&name, file_name));
        let regular = entry.file_type().is_ok_and(|kind| kind.is_file());
        if ours && regular && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Publish {
    Replace,
    NoClobber,
}

/// Random characters in a temporary file's name (tempfile's default).
const TEMP_RANDOM_CHARS: usize = 6;

/// A private (0600, O_EXCL) temporary `.NAME.XXXXXX.tmp` in `dir`, the only shape
/// `remove_temporaries` deletes; dropped on an early return, it is removed again, so a failed
/// write leaves no stray copy behind.
pub(crate) fn private_temporary_in(
    dir: &Path,
    name: &std::ffi::OsStr,
) -> io::Result<tempfile::NamedTempFile> {
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(&prefix)
        .suffix(".tmp")
        .rand_bytes(TEMP_RANDOM_CHARS);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o600));
    }
    builder.tempfile_in(dir)
}

fn write_via_temporary(point: &str, path: &Path, bytes: &[u8], publish: Publish) -> io::Result<()> {
    write_streamed_via_temporary(point, path, publish, |temp| {
        let half = bytes.len() / 2;
        temp.write_all(&bytes[..half])?;
        injected(FailPoint::MidWrite)?;
        temp.write_all(&bytes[half..])
    })
}

/// [`write_atomic_as`] for content produced piece by piece (a large sealed file written as it
/// is encrypted, never held whole in memory): `write` fills the temporary file, which is then
/// flushed, renamed over `path` and the directory synced, with the same crash points. A
/// [`FailPoint::MidWrite`] injected for tests fires after the first piece.
pub fn write_atomic_streamed_as(
    point: &str,
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    write_streamed_via_temporary(point, path, Publish::Replace, |temp| {
        let mut out = MidWriteFailure {
            inner: io::BufWriter::with_capacity(256 * 1024, temp),
            written: false,
        };
        write(&mut out)?;
        out.inner.flush()
    })
}

/// Lets a test's injected mid-write failure interrupt a streamed write after its first piece.
struct MidWriteFailure<W: Write> {
    inner: W,
    written: bool,
}

impl<W: Write> Write for MidWriteFailure<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.written {
            injected(FailPoint::MidWrite)?;
        }
        let count = self.inner.write(bytes)?;
        self.written |= count > 0;
        Ok(count)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn write_streamed_via_temporary(
    point: &str,
    path: &Path,
    publish: Publish,
    write: impl FnOnce(&mut fs::File) -> io::Result<()>,
) -> io::Result<()> {
    use crate::crashpoint::reached_step;
    let dir = parent_dir(path);
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the target path has no file name",
        )
    })?;
    let mut temp = private_temporary_in(dir, name)?;
    write(temp.as_file_mut())?;
    temp.as_file().sync_all()?;
    reached_step(point, "temp-synced");
    injected(FailPoint::BeforeRename)?;
    crate::crashpoint::fault_step(point, "rename")?;
    match publish {
        Publish::Replace => temp.persist(path).map_err(|e| e.error)?,
        // A rename that refuses to replace (or a hard link plus unlink where the file system
        // lacks one): the check and the publish are one atomic step.
        Publish::NoClobber => temp.persist_noclobber(path).map_err(|e| e.error)?,
    };
    reached_step(point, "renamed");
    sync_dir(dir)?;
    reached_step(point, "dir-synced");
    Ok(())
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Flushes a directory's entries (the rename) to disk.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Creates `dir` (and missing parents) with mode 0700, or tightens an existing one to 0700.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    {
        builder.create(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn files_are_0600_and_directories_0700() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        create_private_dir(&sub).unwrap();
        assert_eq!(
            fs::metadata(&sub).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let path = sub.join("f");
        write_atomic(&path, b"x").unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn write_new_creates_a_private_file_but_never_replaces_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token.sdtid");
        write_new_atomic(&path, b"first").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"first");
        let error = write_new_atomic(&path, b"second").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"first");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temporary file left"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn write_new_does_not_replace_a_dangling_symlink_or_write_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        let path = dir.path().join("out");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let error = write_new_atomic(&path, b"secret").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert!(!target.exists());
        assert!(
            fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn write_new_with_an_injected_failure_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        for point in [FailPoint::MidWrite, FailPoint::BeforeRename] {
            inject_failure(point);
            assert!(write_new_atomic(&path, b"never seen").is_err());
            assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        }
    }

    #[test]
    fn only_our_own_temporary_names_are_recognised_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.jsonl");
        inject_failure(FailPoint::MidWrite);
        // tempfile removes its file on an error return; keep one as a crash would.
        assert!(write_atomic(&path, b"x").is_err());
        let crashed = dir.path().join(".history.jsonl.a1B2c3.tmp");
        fs::write(&crashed, b"half").unwrap();
        for foreign in [
            ".notes.tmp",
            ".history.jsonl.tmp",
            ".history.jsonl.toolong1.tmp",
            ".other.a1B2c3.tmp",
        ] {
            fs::write(dir.path().join(foreign), b"mine").unwrap();
        }
        assert!(is_temporary_of(
            ".history.jsonl.a1B2c3.tmp",
            "history.jsonl"
        ));
        assert!(!is_temporary_of(
            ".history.jsonl.a1B2c.tmp",
            "history.jsonl"
        ));
        assert_eq!(remove_temporaries(dir.path(), &["history.jsonl"]), 1);
        assert!(!crashed.exists());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 4);
    }

    #[test]
    fn an_injected_failure_keeps_the_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        write_atomic(&path, b"old content").unwrap();
        for point in [FailPoint::MidWrite, FailPoint::BeforeRename] {
            inject_failure(point);
            assert!(write_atomic(&path, b"new content that is never seen").is_err());
            assert_eq!(fs::read(&path).unwrap(), b"old content");
            assert_eq!(
                fs::read_dir(dir.path()).unwrap().count(),
                1,
                "temporary file left"
            );
        }
        write_atomic(&path, b"next").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"next");
    }
}
