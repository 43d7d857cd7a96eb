//! Syncing a large file while it is still being written, on a helper thread, so that the
//! `fsync` that makes it durable at the end finds little left to write.
//!
//! A job's staged output and a downloaded ZIP are about 1.2 KB per token (1.2 GB for a
//! million) and must be synced before they count (the job is recorded as completed, the
//! download is renamed into place). Written at memory speed and synced only at the end, all
//! of it reaches the disk during that last `fsync`, while both cores wait. Here a helper
//! thread calls `fdatasync` every [`SYNC_STEP`] bytes, so the disk writes while the job
//! computes and the final sync has at most about one step to write. Durability is unchanged:
//! the callers still sync the whole file (and its directory) before it counts, and a crash
//! in between leaves what it left before (an unfinished file the callers already handle).
//!
//! A failed background sync is kept and returned by [`BackgroundSync::stop`]: the helper's
//! descriptor is a duplicate sharing the caller's open file, and Linux reports a writeback
//! error once per open file, so the caller's own final sync might not see it again.

use std::fs::File;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

/// What the helper thread hands back: the first sync that failed, if any.
type Outcome = std::io::Result<()>;

/// Bytes written between two background syncs: a few milliseconds of the disk's time.
pub const SYNC_STEP: u64 = 16 * 1024 * 1024;

/// The helper thread of one file, told how much has been written.
pub struct BackgroundSync {
    signal: Option<SyncSender<()>>,
    thread: Option<JoinHandle<Outcome>>,
    unsynced: u64,
}

impl BackgroundSync {
    /// Starts syncing `file` (through a duplicate of its descriptor) as it grows; `None`
    /// when the descriptor cannot be duplicated or the thread cannot start (the file is then
    /// synced only at the end, as before).
    pub fn start(file: &File) -> Option<Self> {
        let file = file.try_clone().ok()?;
        // One request pending at most: a sync asked for while one runs covers both.
        let (signal, requests) = sync_channel::<()>(1);
        let thread = std::thread::Builder::new()
            .name("tokendist-writeback".into())
            .spawn(move || -> Outcome {
                while requests.recv().is_ok() {
                    // Kept for the caller: its own final sync might not be told again.
                    file.sync_data()?;
                }
                Ok(())
            })
            .ok()?;
        Some(Self {
            signal: Some(signal),
            thread: Some(thread),
            unsynced: 0,
        })
    }

    /// Counts `bytes` written to the file; every [`SYNC_STEP`] the helper syncs it.
    pub fn wrote(&mut self, bytes: usize) {
        self.unsynced += bytes as u64;
        if self.unsynced >= SYNC_STEP {
            self.unsynced = 0;
            if let Some(signal) = &self.signal {
                match signal.try_send(()) {
                    Ok(()) | Err(TrySendError::Full(())) => {}
                    Err(TrySendError::Disconnected(())) => self.signal = None,
                }
            }
        }
    }

    /// Stops the helper and waits for it (at most one sync in progress), before the caller's
    /// own final sync; returns the error of a background sync that failed, which the caller
    /// must treat as a failed write of the file.
    pub fn stop(mut self) -> std::io::Result<()> {
        self.stop_thread()
    }

    fn stop_thread(&mut self) -> std::io::Result<()> {
        self.signal = None;
        match self.thread.take().map(JoinHandle::join) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(error))) => Err(error),
            Some(Err(_)) => Err(std::io::Error::other(
                "the thread syncing the file in the background stopped unexpectedly",
            )),
        }
    }
}

impl Drop for BackgroundSync {
    fn drop(&mut self) {
        // Dropped without `stop` only on a path that already failed and discards the file.
        let _ = self.stop_thread();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_synced_in_the_background_past_several_steps_holds_exactly_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut file = File::create(&path).unwrap();
        let piece: Vec<u8> = (0..1024 * 1024).map(|i| (i % 253) as u8).collect();
        let pieces = (2 * SYNC_STEP as usize) / piece.len() + 3;
        let mut sync = BackgroundSync::start(&file).expect("the helper thread starts");
        for _ in 0..pieces {
            file.write_all(&piece).unwrap();
            sync.wrote(piece.len());
        }
        sync.stop().unwrap();
        file.sync_all().unwrap();
        let written = std::fs::read(&path).unwrap();
        assert_eq!(written.len(), pieces * piece.len());
        assert!(written.chunks(piece.len()).all(|chunk| chunk == piece));
    }

    #[cfg(unix)]
    #[test]
    fn a_background_sync_that_fails_is_returned_by_stop() {
        // fdatasync on a pipe fails with EINVAL: a stand-in for a disk's writeback error.
        let (reader, writer) = std::io::pipe().unwrap();
        let writer = File::from(std::os::fd::OwnedFd::from(writer));
        let mut sync = BackgroundSync::start(&writer).expect("the helper thread starts");
        sync.wrote(SYNC_STEP as usize);
        let error = sync.stop().expect_err("the failed sync is reported");
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{error}");
        drop(reader);
    }
}
