//! Changing the workspace passphrase as one journaled switch.
//!
//! Everything sealed under the vault key must move to the new key together: the inventory and
//! every other sealed file the caller names (the staged job keys). A crash at any instant must
//! leave a workspace that opens with exactly one of the two passphrases, with everything in it
//! unsealing under that one.
//!
//! ```text
//! 1. journal   write rotation.journal (atomic): the sealed files to switch and the new
//!              vault header (KDF parameters, salt, key-check value; nothing secret)
//! 2. prepare   write FILE.next beside every sealed FILE (new key), each synced
//!              write inventory.vault.next (new header and key), synced
//! 3. commit    rename inventory.vault.next -> inventory.vault       <- the one commit point
//! 4. finish    rename each FILE.next -> FILE, sync; remove rotation.journal
//! ```
//!
//! [`recover`] runs whenever a workspace is opened (under its lock), before the inventory is
//! read. With a journal present it compares the header of `inventory.vault` with the one the
//! journal names. Different: step 3 never happened, so the change rolls back (every `.next`
//! file and the journal are removed; the old passphrase still opens everything). Equal: step 3
//! happened, so the change rolls forward (the remaining `.next` files replace their originals,
//! then the journal goes; the new passphrase opens everything). The journal is written before
//! any `.next` file, so every prepared file is named by it.

use super::atomic::write_atomic_as;
use super::inventory_file;
use super::paths::INVENTORY_FILE;
use super::vault::VaultKey;
use super::{Workspace, WorkspaceError};
use crate::crashpoint;
use crate::secret::SecretString;
use serde::{Deserialize, Serialize};
use std::path::{Component, Path, PathBuf};

/// The journal of a passphrase change in progress (workspace root).
pub const JOURNAL_FILE: &str = "rotation.journal";
/// Suffix of a file sealed under the new key, waiting for the switch.
pub const NEXT_SUFFIX: &str = ".next";

/// A file sealed under the vault key, other than the inventory, and the context it was
/// sealed with (the jobs layer names its staged job keys this way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedFile {
    /// Path relative to the workspace root, `/`-separated.
    pub relative: String,
    pub context: Vec<u8>,
}

/// What a passphrase change re-sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationReport {
    pub tokens: usize,
    pub sealed_files: usize,
}

/// How [`recover`] settled an interrupted change, if there was one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    Nothing,
    /// The change never reached its commit point; the old passphrase stays.
    RolledBack,
    /// The change had committed; the new passphrase is now in force everywhere.
    Completed,
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    version: u32,
    /// The vault header of the new inventory, lowercase hex: present in `inventory.vault`
    /// exactly when the change has committed.
    new_header: String,
    /// Sealed files (relative, `/`-separated) whose `.next` copy replaces them on completion.
    files: Vec<String>,
}

/// A sealed file's path, its plaintext (wiped on drop) and the context it is sealed with.
type Unsealed<'a> = (PathBuf, zeroize::Zeroizing<Vec<u8>>, &'a [u8]);

fn next_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(NEXT_SUFFIX);
    PathBuf::from(name)
}

/// A journal entry must stay inside the workspace: relative, plain components only.
fn resolve(root: &Path, relative: &str) -> Option<PathBuf> {
    let path = Path::new(relative);
    let plain = !relative.is_empty()
        && path
            .components()
            .all(|component| matches!(component, Component::Normal(_)));
    plain.then(|| root.join(path))
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

impl Workspace {
    /// True when `passphrase` is the one this workspace is sealed under (a front end that holds
    /// the workspace open asks for it again before changing it).
    pub fn accepts_passphrase(&self, passphrase: &SecretString) -> bool {
        super::vault::VaultKey::unlock(passphrase, &self.header).is_ok()
    }

    /// Re-seals the inventory and `sealed` (every other file sealed under the vault key) under
    /// a key derived from `new` with a fresh salt and the current key-derivation costs, as the
    /// journaled switch the module documentation describes. On an error before the commit
    /// point the old passphrase stays in force and the prepared files are removed.
    pub fn change_passphrase(
        &mut self,
        new: &SecretString,
        sealed: &[SealedFile],
    ) -> Result<RotationReport, WorkspaceError> {
        if new.is_empty() {
            return Err(WorkspaceError::Invalid(
                "the new passphrase must not be empty".into(),
            ));
        }
        let root = self.root.clone();
        // Everything is unsealed with the old key before anything is written: a file that
        // does not open now would be lost by the switch, so the change is refused instead.
        let mut plains = Vec::with_capacity(sealed.len());
        for file in sealed {
            let path = resolve(&root, &file.relative).ok_or_else(|| {
                WorkspaceError::Invalid(format!("{}: not a workspace path", file.relative))
            })?;
            let bytes = std::fs::read(&path).map_err(WorkspaceError::io("read", &path))?;
            let plain = self.key.unseal(&bytes, &file.context).map_err(|error| {
                WorkspaceError::Damaged {
                    path: path.clone(),
                    reason: format!(
                        "{error}; nothing was changed (run `tokendist check` to see what else is wrong)"
                    ),
                }
            })?;
            plains.push((path, plain, file.context.as_slice()));
        }
        let (key, header) = VaultKey::create(new, self.header.params);
        let journal = Journal {
            version: 1,
            new_header: hex(&header.to_bytes()),
            files: sealed.iter().map(|file| file.relative.clone()).collect(),
        };
        let journal_path = root.join(JOURNAL_FILE);
        let text = serde_json::to_vec(&journal).expect("a journal always serialises");
        write_atomic_as("passphrase.journal", &journal_path, &text)
            .map_err(WorkspaceError::io("write", &journal_path))?;
        crashpoint::reached("passphrase.journal-written");

        let inventory = root.join(INVENTORY_FILE);
        let prepared = self.prepare(&key, &header, &plains).and_then(|()| {
            std::fs::rename(next_path(&inventory), &inventory)
                .map_err(WorkspaceError::io("replace", &inventory))
        });
        if let Err(error) = prepared {
            // Not committed: the old passphrase stays; best effort to tidy (the next open
            // finishes the job if this fails too).
            let _ = roll_back(&root, &journal);
            return Err(error);
        }
        crashpoint::reached("passphrase.commit-renamed");
        // From here on the new passphrase is in force; a failure below is finished by the next
        // open (see `recover`), so the in-memory key follows the disk now.
        self.key = key;
        self.header = header;
        sync_dir(&root).map_err(WorkspaceError::io("sync", &root))?;
        crashpoint::reached("passphrase.committed");
        finish(&root, &journal)?;
        Ok(RotationReport {
            tokens: self.inventory.len(),
            sealed_files: sealed.len(),
        })
    }

    /// Step 2: every `.next` file written and synced (each by an atomic write).
    fn prepare(
        &self,
        key: &VaultKey,
        header: &super::vault::VaultHeader,
        plains: &[Unsealed<'_>],
    ) -> Result<(), WorkspaceError> {
        for (path, plain, context) in plains {
            let next = next_path(path);
            write_atomic_as("passphrase.next-file", &next, &key.seal(plain, context))
                .map_err(WorkspaceError::io("write", &next))?;
            crashpoint::reached("passphrase.sealed-file-staged");
        }
        let inventory = self.root.join(INVENTORY_FILE);
        let next = next_path(&inventory);
        let file = inventory_file::encode(header, key, &self.inventory);
        write_atomic_as("passphrase.next-inventory", &next, &file)
            .map_err(WorkspaceError::io("write", &next))?;
        crashpoint::reached("passphrase.inventory-staged");
        Ok(())
    }
}

/// Undoes steps 1-2: the prepared files, then the journal.
fn roll_back(root: &Path, journal: &Journal) -> Result<(), WorkspaceError> {
    let mut prepared: Vec<PathBuf> = journal
        .files
        .iter()
        .filter_map(|relative| resolve(root, relative))
        .map(|path| next_path(&path))
        .collect();
    prepared.push(next_path(&root.join(INVENTORY_FILE)));
    for path in prepared {
        remove_temporaries_of(&path);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(WorkspaceError::io("remove", &path)(error)),
        }
    }
    crashpoint::reached("passphrase.rollback-removed");
    let journal_path = root.join(JOURNAL_FILE);
    std::fs::remove_file(&journal_path).map_err(WorkspaceError::io("remove", &journal_path))?;
    sync_dir(root).map_err(WorkspaceError::io("sync", root))
}

/// What a crash inside the atomic write of `path` left: `.NAME.XXXXXX.tmp` beside it.
fn remove_temporaries_of(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let entry_name = entry.file_name();
        let entry_name = entry_name.to_string_lossy();
        if entry_name.starts_with(&prefix) && entry_name.ends_with(".tmp") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Step 4: each prepared file replaces its original, then the journal goes.
fn finish(root: &Path, journal: &Journal) -> Result<(), WorkspaceError> {
    let mut dirs = std::collections::BTreeSet::new();
    for relative in &journal.files {
        let Some(path) = resolve(root, relative) else {
            continue;
        };
        let next = next_path(&path);
        match std::fs::rename(&next, &path) {
            Ok(()) => {}
            // Already switched before an earlier crash.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(WorkspaceError::io("replace", &path)(error)),
        }
        crashpoint::reached("passphrase.sealed-file-switched");
        if let Some(parent) = path.parent() {
            dirs.insert(parent.to_path_buf());
        }
    }
    for dir in dirs {
        sync_dir(&dir).map_err(WorkspaceError::io("sync", &dir))?;
    }
    crashpoint::reached("passphrase.files-synced");
    let journal_path = root.join(JOURNAL_FILE);
    std::fs::remove_file(&journal_path).map_err(WorkspaceError::io("remove", &journal_path))?;
    sync_dir(root).map_err(WorkspaceError::io("sync", root))?;
    crashpoint::reached("passphrase.journal-removed");
    Ok(())
}

/// Settles a passphrase change a crash interrupted (see the module documentation). Called
/// with the workspace lock held, before the inventory is read.
pub(super) fn recover(root: &Path) -> Result<Recovery, WorkspaceError> {
    let journal_path = root.join(JOURNAL_FILE);
    let text = match std::fs::read(&journal_path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Recovery::Nothing),
        Err(error) => return Err(WorkspaceError::io("read", &journal_path)(error)),
    };
    let damaged = |reason: String| WorkspaceError::Damaged {
        path: journal_path.clone(),
        reason,
    };
    let journal: Journal = serde_json::from_slice(&text).map_err(|error| {
        damaged(format!(
            "the passphrase-change journal does not parse ({error})"
        ))
    })?;
    let inventory = root.join(INVENTORY_FILE);
    let mut current = vec![0u8; super::vault::HEADER_LEN];
    {
        use std::io::Read;
        std::fs::File::open(&inventory)
            .and_then(|mut file| file.read_exact(&mut current))
            .map_err(WorkspaceError::io("read", &inventory))?;
    }
    if hex(&current) == journal.new_header {
        finish(root, &journal)?;
        Ok(Recovery::Completed)
    } else {
        roll_back(root, &journal)?;
        Ok(Recovery::RolledBack)
    }
}

/// True when `dir` holds a passphrase change that a crash interrupted (for `check`, which
/// reports it without settling it).
pub fn is_pending(dir: &Path) -> bool {
    dir.join(JOURNAL_FILE).exists()
}
