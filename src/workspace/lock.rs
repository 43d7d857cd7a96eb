//! The workspace write lock: one process at a time.
//!
//! An advisory lock (`flock`) on `DIR/lock`, held for the life of the open workspace and
//! released by the operating system even when the process dies. The holder writes its pid into
//! the file so a second process can say who is in the way.

use super::WorkspaceError;
use super::permissions::{self, Entry};
use std::fs::{File, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// File name of the lock inside the workspace.
pub const LOCK_FILE: &str = "lock";

/// How long [`WorkspaceLock::acquire`] waits for a lock that is held without a recorded pid.
pub const RELEASE_GRACE: Duration = Duration::from_secs(2);

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds it; its pid when it could be read.
    Held(Option<u32>),
    Io(io::Error),
    /// The lock file is not one to trust (a symbolic link, someone else's, writable by others).
    Refused(WorkspaceError),
}

/// Opens (creating if needed, mode 0600) the lock file without following a link there: a link
/// at `DIR/lock` would otherwise have its target truncated by whoever takes the lock.
fn open_lock_file(path: &Path, create: bool) -> Result<File, LockError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options
        .read(true)
        .write(create)
        .create(create)
        .truncate(false)
        .mode(0o600)
        .custom_flags(permissions::no_follow_flags());
    let file = options.open(path).map_err(|error| {
        match permissions::refused_link(path, error, "lock") {
            WorkspaceError::Io { source, .. } => LockError::Io(source),
            refused => LockError::Refused(refused),
        }
    })?;
    let metadata = file.metadata().map_err(LockError::Io)?;
    permissions::check_metadata(path, &metadata, Entry::File).map_err(LockError::Refused)?;
    Ok(file)
}

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct WorkspaceLock {
    file: File,
}

impl WorkspaceLock {
    /// Takes the lock on `dir`. Fails at once when another process holds it and has recorded
    /// its pid; a lock held with no pid recorded is being taken or released (a holder clears
    /// its pid before the lock goes, and a child forked at that moment briefly shares the
    /// lock until it execs), so that case is retried for up to [`RELEASE_GRACE`].
    pub fn acquire(dir: &Path) -> Result<WorkspaceLock, LockError> {
        let mut file = open_lock_file(&dir.join(LOCK_FILE), true)?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    if let Some(pid) = read_holder(&mut file) {
                        return Err(LockError::Held(Some(pid)));
                    }
                    if started.elapsed() >= RELEASE_GRACE {
                        return Err(LockError::Held(None));
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(TryLockError::Error(error)) => return Err(LockError::Io(error)),
            }
        }
        file.set_len(0).map_err(LockError::Io)?;
        file.seek(SeekFrom::Start(0)).map_err(LockError::Io)?;
        writeln!(file, "{}", std::process::id()).map_err(LockError::Io)?;
        file.sync_all().map_err(LockError::Io)?;
        Ok(WorkspaceLock { file })
    }
}

impl Drop for WorkspaceLock {
    fn drop(&mut self) {
        // Clear our pid so a stale number is never reported; the lock goes with the handle.
        let _ = self.file.set_len(0);
    }
}

/// The pid of the process holding `dir`'s lock, or `None` when it is free (or unreadable).
pub fn holder(dir: &Path) -> Option<u32> {
    let mut file = open_lock_file(&dir.join(LOCK_FILE), false).ok()?;
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            None
        }
        Err(TryLockError::WouldBlock) => read_holder(&mut file),
        Err(TryLockError::Error(_)) => None,
    }
}

/// Reads the holder's pid; it may be a moment late writing it, so try a few times.
fn read_holder(file: &mut File) -> Option<u32> {
    for _ in 0..5 {
        let mut text = String::new();
        if file.seek(SeekFrom::Start(0)).is_ok()
            && file.read_to_string(&mut text).is_ok()
            && let Ok(pid) = text.trim().parse()
        {
            return Some(pid);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_names_the_holder_and_the_lock_is_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let lock = WorkspaceLock::acquire(dir.path()).unwrap();
        assert_eq!(holder(dir.path()), Some(std::process::id()));
        match WorkspaceLock::acquire(dir.path()) {
            Err(LockError::Held(pid)) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected the lock to be held, got {other:?}"),
        }
        drop(lock);
        assert_eq!(holder(dir.path()), None);
        WorkspaceLock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn a_lock_still_shared_with_a_forked_child_is_waited_for_not_refused() {
        let dir = tempfile::tempdir().unwrap();
        let lock = WorkspaceLock::acquire(dir.path()).unwrap();
        // What a child forked just before the drop holds: the same lock, no pid in the file.
        let inherited = lock.file.try_clone().unwrap();
        drop(lock);
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(400));
            drop(inherited);
        });
        WorkspaceLock::acquire(dir.path()).expect("waits out a lock that is being released");
        releaser.join().unwrap();
    }

    #[test]
    fn a_link_at_the_lock_is_refused_and_its_target_left_intact() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(LOCK_FILE)).unwrap();
        match WorkspaceLock::acquire(dir.path()) {
            Err(LockError::Refused(error)) => {
                assert!(error.to_string().contains("symbolic link"), "{error}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(holder(dir.path()), None);
    }
}
