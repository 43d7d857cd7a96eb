//! `tokendist check`, the workspace's part: verify the files this layer owns without changing
//! anything — no lock taken, no interrupted change settled, no temporary file removed, no
//! write at all — and describe each problem as a [`Finding`] with the file and a fix.
//!
//! The jobs layer checks the history and the staged outputs with the key this returns
//! (`jobs::check`); the CLI prints both lists.

use super::inventory::Inventory;
use super::inventory_file::{self, ReadError};
use super::lock::LOCK_FILE;
use super::paths::{CONFIG_FILE, INVENTORY_FILE, JOBS_DIR};
use super::rotate::{JOURNAL_FILE, NEXT_SUFFIX};
use super::vault::VaultKey;
use super::{Config, Workspace, WorkspaceError};
use crate::secret::SecretString;
use std::path::{Path, PathBuf};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Something is wrong now or will go wrong (a download, a job, an open).
    Error,
    /// Untidy or risky, but nothing is lost or broken.
    Warning,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

/// One problem: which file, what is wrong, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// Relative to the workspace root.
    pub path: PathBuf,
    pub what: String,
    pub fix: String,
}

impl Finding {
    pub fn error(
        path: impl Into<PathBuf>,
        what: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Error, path, what, fix)
    }

    pub fn warning(
        path: impl Into<PathBuf>,
        what: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Warning, path, what, fix)
    }

    fn new(
        severity: Severity,
        path: impl Into<PathBuf>,
        what: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            path: path.into(),
            what: what.into(),
            fix: fix.into(),
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}: {}; fix: {}",
            self.severity.label(),
            self.path.display(),
            self.what,
            self.fix
        )
    }
}

/// What the workspace part of the check found, and what the jobs part needs.
pub struct WorkspaceCheck {
    pub findings: Vec<Finding>,
    /// The vault key, when the inventory header unlocked with the passphrase.
    pub key: Option<VaultKey>,
    /// The inventory, when it decrypted and decoded.
    pub inventory: Option<Inventory>,
}

const RESTORE: &str = "restore the workspace from a backup (tokendist restore)";

/// Checks the configuration, the inventory, the passphrase-change journal, stray files and
/// permissions of the workspace at `dir`. A wrong passphrase is an error of the check itself
/// (nothing can be verified without it), not a finding.
pub fn check_workspace(
    dir: &Path,
    passphrase: &SecretString,
) -> Result<WorkspaceCheck, WorkspaceError> {
    Workspace::check_initialised(dir)?;
    let mut findings = Vec::new();
    if let Some(pid) = Workspace::lock_holder(dir) {
        findings.push(Finding::warning(
            LOCK_FILE,
            format!(
                "the workspace is in use by process {pid}; files it is writing may look incomplete"
            ),
            "run the check again when that process has finished",
        ));
    }
    if let Err(error) = Config::load(&dir.join(CONFIG_FILE)) {
        findings.push(Finding::error(
            CONFIG_FILE,
            error.to_string(),
            "correct the file (the user guide lists every field) or restore it from a backup",
        ));
    }
    let pending_rotation = dir.join(JOURNAL_FILE).exists();
    if pending_rotation {
        findings.push(Finding::warning(
            JOURNAL_FILE,
            "a passphrase change was interrupted",
            "run any command that opens the workspace (e.g. tokendist tokens list): it completes or undoes the change",
        ));
    }
    let (key, inventory) = check_inventory(dir, passphrase, &mut findings)?;
    walk(dir, Path::new(""), pending_rotation, &mut findings);
    Ok(WorkspaceCheck {
        findings,
        key,
        inventory,
    })
}

fn check_inventory(
    dir: &Path,
    passphrase: &SecretString,
    findings: &mut Vec<Finding>,
) -> Result<(Option<VaultKey>, Option<Inventory>), WorkspaceError> {
    let path = dir.join(INVENTORY_FILE);
    let cannot_read = |findings: &mut Vec<Finding>, error: &dyn std::fmt::Display| {
        findings.push(Finding::error(
            INVENTORY_FILE,
            format!("cannot be read: {error}"),
            RESTORE,
        ));
    };
    let opened = std::fs::File::open(&path).and_then(|file| Ok((file.metadata()?.len(), file)));
    let (file_len, file) = match opened {
        Ok(opened) => opened,
        Err(error) => {
            cannot_read(findings, &error);
            return Ok((None, None));
        }
    };
    // Read a chunk at a time as it is decrypted: the check of a million tokens does not hold
    // the whole file besides the inventory.
    let reader = match inventory_file::InventoryReader::new(file, file_len) {
        Ok(reader) => reader,
        Err(ReadError::Damaged(reason)) => {
            findings.push(Finding::error(INVENTORY_FILE, reason, RESTORE));
            return Ok((None, None));
        }
        Err(ReadError::Io { message, .. }) => {
            cannot_read(findings, &message);
            return Ok((None, None));
        }
        Err(ReadError::WrongPassphrase | ReadError::WrongPassphraseOrLegacyDamage) => {
            unreachable!("the frame alone checks no passphrase")
        }
    };
    let header = reader.header().clone();
    let key = match VaultKey::unlock(passphrase, &header) {
        Ok(key) => key,
        Err(super::VaultError::WrongPassphrase) => {
            return Err(WorkspaceError::WrongPassphrase {
                path,
                legacy_format: header.is_legacy(),
            });
        }
        Err(error) => {
            findings.push(Finding::error(INVENTORY_FILE, error.to_string(), RESTORE));
            return Ok((None, None));
        }
    };
    match reader.decode(&key) {
        Ok(inventory) => Ok((Some(key), Some(inventory))),
        Err(ReadError::Damaged(reason)) => {
            findings.push(Finding::error(INVENTORY_FILE, reason, RESTORE));
            Ok((Some(key), None))
        }
        Err(ReadError::Io { message, .. }) => {
            cannot_read(findings, &message);
            Ok((Some(key), None))
        }
        Err(ReadError::WrongPassphrase | ReadError::WrongPassphraseOrLegacyDamage) => {
            Err(WorkspaceError::WrongPassphrase {
                path,
                legacy_format: header.is_legacy(),
            })
        }
    }
}

/// Every entry under the workspace, without following links: permissions, symlinks, and the
/// temporary files an interrupted write left.
fn walk(root: &Path, relative: &Path, pending_rotation: bool, findings: &mut Vec<Finding>) {
    let dir = root.join(relative);
    check_mode(&dir, relative, true, findings);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        findings.push(Finding::error(
            relative,
            "the directory cannot be read",
            "give the workspace's owner read access (chmod 700)",
        ));
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = entry.file_name();
        let text = name.to_string_lossy();
        let path = relative.join(&name);
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            findings.push(Finding::error(
                &path,
                "is a symbolic link; a workspace holds only its own files",
                "replace the link by the file it points to, or remove it",
            ));
            continue;
        }
        if meta.is_dir() {
            walk(root, &path, pending_rotation, findings);
            continue;
        }
        check_mode(&entry.path(), &path, false, findings);
        if text.starts_with('.') && text.ends_with(".tmp") {
            findings.push(Finding::warning(
                &path,
                "a temporary file left by an interrupted write",
                "remove it (nothing refers to it)",
            ));
        } else if text.ends_with(NEXT_SUFFIX) && !pending_rotation {
            findings.push(Finding::warning(
                &path,
                "a file prepared by a passphrase change that no journal names",
                "remove it (nothing refers to it)",
            ));
        } else if relative.as_os_str().is_empty() && !is_known_root_file(&text) {
            findings.push(Finding::warning(
                &path,
                "not a tokendist file",
                "move it out of the workspace",
            ));
        }
    }
}

fn is_known_root_file(name: &str) -> bool {
    [
        CONFIG_FILE,
        INVENTORY_FILE,
        LOCK_FILE,
        JOURNAL_FILE,
        JOBS_DIR,
    ]
    .contains(&name)
        || name == format!("{INVENTORY_FILE}{NEXT_SUFFIX}")
}

#[cfg(unix)]
fn check_mode(path: &Path, relative: &Path, is_dir: bool, findings: &mut Vec<Finding>) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o7777;
    let shown: &Path = if relative.as_os_str().is_empty() {
        Path::new(".")
    } else {
        relative
    };
    let wanted = if is_dir { 0o700 } else { 0o600 };
    if mode & 0o022 != 0 {
        findings.push(Finding::error(
            shown,
            format!("mode {mode:04o} lets other users change it"),
            format!("chmod {wanted:o} {}", shown.display()),
        ));
    } else if mode & 0o044 != 0 || (is_dir && mode & 0o011 != 0) {
        findings.push(Finding::warning(
            shown,
            format!("mode {mode:04o} lets other users read it"),
            format!("chmod {wanted:o} {}", shown.display()),
        ));
    }
}

#[cfg(not(unix))]
fn check_mode(_: &Path, _: &Path, _: bool, _: &mut Vec<Finding>) {}
