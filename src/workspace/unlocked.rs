//! A workspace unlocked for its job outputs only: the write lock is taken and the passphrase
//! checked against the inventory file's header, but the inventory itself is neither read nor
//! decrypted. Saving a job's ZIP needs only the job key, which is sealed under the vault key;
//! decrypting and decoding a million-token inventory for it was wasted time and memory.

use super::lock::WorkspaceLock;
use super::vault::{VaultHeader, VaultKey};
use super::{INVENTORY_FILE, JOBS_DIR, WorkspaceError, take_lock};
use crate::secret::SecretString;
use std::io::Read;
use std::path::{Path, PathBuf};

/// See the module documentation. Holds the workspace lock for as long as it lives.
pub struct UnlockedVault {
    root: PathBuf,
    key: VaultKey,
    _lock: WorkspaceLock,
}

impl std::fmt::Debug for UnlockedVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnlockedVault")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl UnlockedVault {
    /// Takes the lock and derives the vault key from the header of `dir`'s inventory file
    /// (reading only the header); a wrong passphrase is refused as [`super::Workspace::open`]
    /// refuses it.
    pub fn open(dir: &Path, passphrase: &SecretString) -> Result<UnlockedVault, WorkspaceError> {
        super::Workspace::check_initialised(dir)?;
        super::permissions::check_workspace_dir(dir)?;
        let lock = take_lock(dir)?;
        // Job keys are sealed under whichever key an interrupted passphrase change left in
        // force: settle the change first, as a full open does.
        super::rotate::recover(dir)?;
        let path = dir.join(INVENTORY_FILE);
        super::permissions::check_entry(&path, super::permissions::Entry::File)?;
        let mut prefix = Vec::with_capacity(super::vault::HEADER_LEN);
        std::fs::File::open(&path)
            .and_then(|file| {
                file.take(super::vault::HEADER_LEN as u64)
                    .read_to_end(&mut prefix)
            })
            .map_err(WorkspaceError::io("read", &path))?;
        let damaged = |reason: String| WorkspaceError::Damaged {
            path: path.clone(),
            reason,
        };
        let (header, _) =
            VaultHeader::parse(&prefix).map_err(|error| damaged(error.to_string()))?;
        let key = VaultKey::unlock(passphrase, &header).map_err(|error| match error {
            super::VaultError::WrongPassphrase => WorkspaceError::WrongPassphrase {
                path: path.clone(),
                legacy_format: header.is_legacy(),
            },
            other => damaged(other.to_string()),
        })?;
        Ok(UnlockedVault {
            root: dir.to_path_buf(),
            key,
            _lock: lock,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn vault(&self) -> &VaultKey {
        &self.key
    }

    /// Directory for job history and staged outputs.
    pub fn jobs_dir(&self) -> PathBuf {
        self.root.join(JOBS_DIR)
    }
}

/// A workspace opened for its job history alone (`jobs list`, `jobs show`): the lock is taken
/// and the directory's permissions checked as for any open, but no passphrase is asked and
/// nothing is decrypted. The history holds nothing secret (see `docs/architecture.md`, "What
/// the job history holds"), so deriving the vault key (Argon2) to read it protected nothing
/// and cost a second per command; decoding the inventory cost more.
pub struct JobsFolder {
    root: PathBuf,
    _lock: WorkspaceLock,
}

impl std::fmt::Debug for JobsFolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobsFolder")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl JobsFolder {
    /// Takes the lock on the workspace at `dir` (refused, as every open is, when another
    /// process holds it or the directory is not safe to use).
    pub fn open(dir: &Path) -> Result<JobsFolder, WorkspaceError> {
        super::Workspace::check_initialised(dir)?;
        super::permissions::check_workspace_dir(dir)?;
        let lock = take_lock(dir)?;
        let jobs = dir.join(JOBS_DIR);
        super::permissions::check_entry(&jobs, super::permissions::Entry::Directory)?;
        Ok(JobsFolder {
            root: dir.to_path_buf(),
            _lock: lock,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Directory for job history and staged outputs.
    pub fn jobs_dir(&self) -> PathBuf {
        self.root.join(JOBS_DIR)
    }
}
