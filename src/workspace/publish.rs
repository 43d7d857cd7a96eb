//! Writing a file outside the workspace — an exported token record file, an issued token
//! file, a backup — so that a crash at any instant leaves the old state (nothing, or the file
//! that was there) or the complete new file, and no temporary file beside it.
//!
//! On Linux the content goes into an unnamed file (`O_TMPFILE`, mode 0600) in the target's
//! directory, is synced, and only then gets its name (`linkat`): a crash before the link
//! leaves nothing, because an unnamed file vanishes with the last descriptor. Replacing an
//! existing target (`--force`) links the finished file under a temporary name and renames it
//! over the target (`linkat` never replaces), so only that short window can leave a named
//! temporary.
//!
//! Where `O_TMPFILE` is not supported (some file systems, other systems, no `/proc`), a named
//! temporary file `.NAME.XXXXXX.tmp` (mode 0600, created exclusively) is written instead; a
//! crash can leave it. Such leftovers carry the target's name, so the next write of the same
//! target removes them first (only names of exactly that form, never another `.*.tmp`).

use super::atomic::{private_temporary_in, remove_temporaries};
use crate::crashpoint::reached_step;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` (see the module documentation). Without `replace`, an existing
/// entry is never replaced (`AlreadyExists`), even one that appears while writing. Crash
/// points: `<point>.temp-synced`, `<point>.renamed`, `<point>.dir-synced` (and
/// `<point>.temp-linked` when replacing).
pub fn write_outside(point: &str, path: &Path, bytes: &[u8], replace: bool) -> io::Result<()> {
    write_outside_with(point, path, replace, |file| file.write_all(bytes))
}

/// [`write_outside`] whose content `fill` writes into the new (still unnamed) file; `fill` may
/// also read it back (it is open for reading and writing) to verify it before it is named.
pub fn write_outside_with(
    point: &str,
    path: &Path,
    replace: bool,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the target path has no file name",
            )
        })?
        .to_string_lossy()
        .into_owned();
    if !replace && fs::symlink_metadata(path).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", path.display()),
        ));
    }
    // What an interrupted earlier write of this target left (named temporaries only).
    remove_temporaries(dir, &[&name]);
    #[cfg(target_os = "linux")]
    if let Some(mut file) = unnamed::create(dir)? {
        fill(&mut file)?;
        file.sync_all()?;
        reached_step(point, "temp-synced");
        unnamed::link(&file, dir, &name, path, replace, point)?;
        reached_step(point, "renamed");
        sync_dir(dir)?;
        reached_step(point, "dir-synced");
        return Ok(());
    }
    // Dropped on an early return, the named temporary is removed.
    let mut temp = private_temporary_in(dir, std::ffi::OsStr::new(&name))?;
    fill(temp.as_file_mut())?;
    temp.as_file().sync_all()?;
    reached_step(point, "temp-synced");
    if replace {
        temp.persist(path).map_err(|error| error.error)?;
    } else {
        temp.persist_noclobber(path).map_err(|error| error.error)?;
    }
    reached_step(point, "renamed");
    sync_dir(dir)?;
    reached_step(point, "dir-synced");
    Ok(())
}

/// Random characters in a named temporary (as `write_atomic`'s, so `remove_temporaries` knows
/// them).
const TEMP_RANDOM_CHARS: usize = 6;

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(target_os = "linux")]
mod unnamed {
    use super::TEMP_RANDOM_CHARS;
    use rustix::fs::{AtFlags, CWD, Mode, OFlags};
    use rustix::io::Errno;
    use std::fs::File;
    use std::io;
    use std::os::fd::AsRawFd;
    use std::path::Path;

    /// An unnamed file in `dir`, or `None` where the kernel, the file system or a missing
    /// `/proc` (needed to name it) rules that out.
    pub(super) fn create(dir: &Path) -> io::Result<Option<File>> {
        if crate::crashpoint::injected("publish.no-tmpfile") || !Path::new("/proc/self/fd").is_dir()
        {
            return Ok(None);
        }
        let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
        match rustix::fs::openat(CWD, dir, flags, Mode::from_raw_mode(0o600)) {
            Ok(fd) => Ok(Some(File::from(fd))),
            // EOPNOTSUPP: the file system lacks it; EISDIR/EINVAL: the kernel does.
            Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Gives `file` the name `path` (in `dir`); when `replace`, over an existing entry.
    pub(super) fn link(
        file: &File,
        dir: &Path,
        name: &str,
        path: &Path,
        replace: bool,
        point: &str,
    ) -> io::Result<()> {
        let source = format!("/proc/self/fd/{}", file.as_raw_fd());
        match rustix::fs::linkat(CWD, &source, CWD, path, AtFlags::SYMLINK_FOLLOW) {
            Ok(()) => return Ok(()),
            Err(Errno::EXIST) if replace => {}
            Err(error) => return Err(error.into()),
        }
        // Replacing: a temporary name (the form the next write removes), then one rename.
        let temp = loop {
            let candidate = dir.join(format!(".{name}.{}.tmp", random_name()));
            match rustix::fs::linkat(CWD, &source, CWD, &candidate, AtFlags::SYMLINK_FOLLOW) {
                Ok(()) => break candidate,
                Err(Errno::EXIST) => continue,
                Err(error) => return Err(error.into()),
            }
        };
        crate::crashpoint::reached_step(point, "temp-linked");
        std::fs::rename(&temp, path).inspect_err(|_| {
            let _ = std::fs::remove_file(&temp);
        })
    }

    fn random_name() -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let mut bytes = [0u8; TEMP_RANDOM_CHARS];
        getrandom::fill(&mut bytes).expect("the operating system CSPRNG is unavailable");
        bytes
            .iter()
            .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_a_private_file_and_never_replaces_one_unless_asked() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.sdtid");
        write_outside("test", &path, b"first", false).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"first");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let refused = write_outside("test", &path, b"second", false).unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"first");
        write_outside("test", &path, b"second", true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(names(dir.path()), ["out.sdtid"]);
    }

    #[test]
    fn a_failed_fill_leaves_nothing_beside_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup.tdbackup");
        let failed = write_outside_with("test", &path, false, |file| {
            file.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn the_next_write_removes_named_leftovers_of_that_target_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.sdtid");
        for name in [
            ".export.sdtid.a1B2c3.tmp",
            ".other.sdtid.a1B2c3.tmp",
            ".export.sdtid.mine.tmp",
        ] {
            fs::write(dir.path().join(name), b"left").unwrap();
        }
        write_outside("test", &path, b"new", false).unwrap();
        assert_eq!(
            names(dir.path()),
            [
                ".export.sdtid.mine.tmp",
                ".other.sdtid.a1B2c3.tmp",
                "export.sdtid"
            ]
        );
    }

    #[test]
    fn fill_can_read_back_what_it_wrote_before_the_file_is_named() {
        use std::io::{Read, Seek};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checked");
        write_outside_with("test", &path, false, |file| {
            file.write_all(b"content")?;
            file.rewind()?;
            let mut back = String::new();
            file.read_to_string(&mut back)?;
            assert_eq!(back, "content");
            assert!(!path.exists(), "named before it was complete");
            Ok(())
        })
        .unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"content");
    }
}
