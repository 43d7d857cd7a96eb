//! The local workspace: one directory holding the configuration, the encrypted token
//! inventory, the job history and job outputs, guarded by a lock so one process writes it.
//!
//! ```text
//! DIR/                      0700
//!   tokendist.toml          configuration and profiles (admins edit it)
//!   inventory.vault         the token inventory, sealed with the passphrase-derived key
//!   lock                    write lock; holds the pid of the process using the workspace
//!   jobs/                   job history and staged outputs (the jobs layer)
//! ```
//!
//! CONTRACT (filled in by the workspace work): the names and signatures here are used by the
//! job layer, the CLI and the TUI; keep them stable.

mod atomic;
pub mod backup;
pub mod check;
mod config;
mod inventory;
mod inventory_file;
mod lock;
mod model;
mod paths;
mod permissions;
pub mod rotate;
mod store;
mod unlocked;
mod vault;

pub mod assign;
pub mod auto_assign;
pub mod demo;
pub mod export;
pub mod import;
pub mod listing;
pub mod publish;
pub mod retire;
pub mod user_list;

/// The lock file's name (the check leaves out the lock its own caller holds).
pub use lock::LOCK_FILE;

pub use atomic::{
    FailPoint, create_private_dir, inject_failure, is_temporary_of, remove_temporaries,
    write_atomic, write_atomic_as, write_atomic_streamed_as, write_new_atomic,
};
pub use config::{Config, ConfigError, DEFAULT_CONFIG};
pub use inventory::Inventory;
pub use model::{
    AssignedUser, Delivery, Distribution, Distributions, InventoryToken, PinType, Profile,
};
pub use paths::{CONFIG_FILE, HOME_ENV, INVENTORY_FILE, JOBS_DIR};
pub use publish::{write_outside, write_outside_with};
pub use unlocked::{JobsFolder, UnlockedVault};
pub use vault::{KdfParams, VaultError, VaultKey};

use crate::secret::SecretString;
use inventory_file::ReadError;
use lock::{LockError, WorkspaceLock};
use std::path::{Path, PathBuf};
use vault::VaultHeader;

/// Errors of the workspace layer; each names the file (and line, where it has one).
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(
        "no workspace directory: give --workspace DIR or set {HOME_ENV} (this system has no data directory for tokendist)"
    )]
    NoDirectory,
    #[error("no workspace at {dir}: create one with `tokendist init --workspace {dir}`", dir = .dir.display())]
    NotInitialised { dir: PathBuf },
    #[error("{} already holds a tokendist workspace; choose another directory", .dir.display())]
    AlreadyInitialised { dir: PathBuf },
    #[error("workspace {} is in use by {}", .dir.display(), holder_text(*.pid))]
    Locked { dir: PathBuf, pid: Option<u32> },
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("wrong passphrase for the workspace inventory {}{}", .path.display(), legacy_note(*.legacy_format))]
    WrongPassphrase {
        path: PathBuf,
        /// The file is in the version 1 format, whose header has no checksum: a damaged header
        /// cannot be told from a wrong passphrase there (the next save upgrades it).
        legacy_format: bool,
    },
    #[error("the workspace inventory {} cannot be read: {reason}; restore it from a backup", .path.display())]
    Damaged { path: PathBuf, reason: String },
    #[error("cannot open sealed data: {0}")]
    Sealed(#[from] VaultError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Csv(#[from] assign::CsvErrors),
    #[error("{}: {source}", .path.display())]
    TokenFile {
        path: PathBuf,
        source: crate::sdtid::SdtidError,
    },
    /// A workspace file or directory that others could have changed, or a link where tokendist
    /// does not follow one; `fix` says what to do.
    #[error("refusing to use {}: {problem}; {fix}", .path.display())]
    Unsafe {
        path: PathBuf,
        problem: String,
        fix: String,
    },
    /// A request that does not fit the inventory (unknown serial, …); the text says which.
    #[error("{0}")]
    Invalid(String),
}

fn legacy_note(legacy_format: bool) -> &'static str {
    if legacy_format {
        " (or its header is damaged: this older file format cannot tell; restore a backup if the passphrase is right)"
    } else {
        ""
    }
}

fn holder_text(pid: Option<u32>) -> String {
    match pid {
        Some(pid) => format!("process {pid}"),
        None => "another process".into(),
    }
}

impl WorkspaceError {
    pub(crate) fn io(
        action: &'static str,
        path: &Path,
    ) -> impl FnOnce(std::io::Error) -> WorkspaceError {
        let path = path.to_path_buf();
        move |source| WorkspaceError::Io {
            action,
            path,
            source,
        }
    }
}

/// An open workspace; holds the write lock for as long as it lives.
pub struct Workspace {
    root: PathBuf,
    config: Config,
    inventory: Inventory,
    header: VaultHeader,
    key: VaultKey,
    /// Set when a failed change could not be rolled back from the file: memory no longer
    /// matches the disk, so no further change is saved.
    unsaved: Option<String>,
    _lock: WorkspaceLock,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("root", &self.root)
            .field("tokens", &self.inventory.len())
            .finish_non_exhaustive()
    }
}

impl Workspace {
    /// `--workspace DIR`, else `TOKENDIST_HOME`, else the platform data directory.
    pub fn resolve_dir(explicit: Option<&Path>) -> Result<PathBuf, WorkspaceError> {
        paths::resolve(explicit).ok_or(WorkspaceError::NoDirectory)
    }

    /// True when `dir` holds an initialised workspace (its inventory file exists).
    pub fn is_initialised(dir: &Path) -> bool {
        dir.join(INVENTORY_FILE).is_file()
    }

    /// [`WorkspaceError::NotInitialised`] unless `dir` holds a workspace; lets the edges say how
    /// to create one before asking for a passphrase.
    pub fn check_initialised(dir: &Path) -> Result<(), WorkspaceError> {
        if Self::is_initialised(dir) {
            Ok(())
        } else {
            Err(WorkspaceError::NotInitialised {
                dir: dir.to_path_buf(),
            })
        }
    }

    /// The pid of the process that has `dir` open, if any.
    pub fn lock_holder(dir: &Path) -> Option<u32> {
        lock::holder(dir)
    }

    /// Reads the configuration without the passphrase or the lock (for `profiles list`).
    pub fn load_config(dir: &Path) -> Result<Config, WorkspaceError> {
        Self::check_initialised(dir)?;
        permissions::check_workspace_dir(dir)?;
        load_config_file(&dir.join(CONFIG_FILE))
    }

    /// Creates a new workspace (config from the embedded default, empty inventory).
    pub fn init(dir: &Path, passphrase: &SecretString) -> Result<Workspace, WorkspaceError> {
        Self::init_with_kdf(dir, passphrase, KdfParams::PRODUCTION)
    }

    /// [`Workspace::init`] with chosen key-derivation costs (tests and benchmarks use cheap
    /// ones; the parameters are stored in the inventory file and used again on open).
    pub fn init_with_kdf(
        dir: &Path,
        passphrase: &SecretString,
        params: KdfParams,
    ) -> Result<Workspace, WorkspaceError> {
        if passphrase.is_empty() {
            return Err(WorkspaceError::Invalid(
                "the workspace passphrase must not be empty".into(),
            ));
        }
        if Self::is_initialised(dir) {
            return Err(WorkspaceError::AlreadyInitialised {
                dir: dir.to_path_buf(),
            });
        }
        refuse_foreign_content(dir)?;
        create_private_dir(dir)
            .map_err(WorkspaceError::io("create the workspace directory", dir))?;
        crate::crashpoint::reached("init.dir-created");
        let lock = take_lock(dir)?;
        remove_temporaries(dir, &ROOT_FILES);
        if Self::is_initialised(dir) {
            return Err(WorkspaceError::AlreadyInitialised {
                dir: dir.to_path_buf(),
            });
        }
        // An existing configuration (provisioned by the administrator, or left by an init that
        // was interrupted) is kept when it is valid; otherwise the built-in default is written.
        let config_path = dir.join(CONFIG_FILE);
        let config = if permissions::check_entry(&config_path, permissions::Entry::File)? {
            load_config_file(&config_path)?
        } else {
            write_atomic_as("init.config", &config_path, DEFAULT_CONFIG.as_bytes())
                .map_err(WorkspaceError::io("write", &config_path))?;
            Config::default_config()
        };
        let jobs = dir.join(JOBS_DIR);
        permissions::check_entry(&jobs, permissions::Entry::Directory)?;
        create_private_dir(&jobs).map_err(WorkspaceError::io("create", &jobs))?;
        crate::crashpoint::reached("init.jobs-dir-created");
        let (key, header) = VaultKey::create(passphrase, params);
        let workspace = Workspace {
            root: dir.to_path_buf(),
            config,
            inventory: Inventory::default(),
            header,
            key,
            unsaved: None,
            _lock: lock,
        };
        // Written last: its presence is what makes the directory a workspace.
        workspace.save(&workspace.inventory)?;
        Ok(workspace)
    }

    /// Opens an existing workspace, taking the write lock and decrypting the inventory.
    pub fn open(dir: &Path, passphrase: &SecretString) -> Result<Workspace, WorkspaceError> {
        Self::check_initialised(dir)?;
        permissions::check_workspace_dir(dir)?;
        let lock = take_lock(dir)?;
        // A passphrase change a crash interrupted is settled first (completed or undone).
        rotate::recover(dir)?;
        remove_temporaries(dir, &ROOT_FILES);
        let config = load_config_file(&dir.join(CONFIG_FILE))?;
        let jobs = dir.join(JOBS_DIR);
        permissions::check_entry(&jobs, permissions::Entry::Directory)?;
        let path = dir.join(INVENTORY_FILE);
        // Decrypted and decoded a chunk at a time as it is read: the whole file is never held.
        let file = permissions::open_workspace_file(&path)?;
        let file_len = file
            .metadata()
            .map_err(WorkspaceError::io("inspect", &path))?
            .len();
        let (header, key, inventory) =
            inventory_file::open(file, file_len, passphrase).map_err(|e| match e {
                ReadError::WrongPassphrase => WorkspaceError::WrongPassphrase {
                    path: path.clone(),
                    legacy_format: false,
                },
                ReadError::WrongPassphraseOrLegacyDamage => WorkspaceError::WrongPassphrase {
                    path: path.clone(),
                    legacy_format: true,
                },
                ReadError::Damaged(reason) => WorkspaceError::Damaged {
                    path: path.clone(),
                    reason,
                },
                ReadError::Io { kind, message } => WorkspaceError::Io {
                    action: "read",
                    path: path.clone(),
                    source: std::io::Error::new(kind, message),
                },
            })?;
        create_private_dir(&jobs).map_err(WorkspaceError::io("create", &jobs))?;
        Ok(Workspace {
            root: dir.to_path_buf(),
            config,
            inventory,
            header,
            key,
            unsaved: None,
            _lock: lock,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    pub fn vault(&self) -> &VaultKey {
        &self.key
    }

    /// Changes the inventory and saves it atomically; on error nothing is changed.
    ///
    /// The change is made in place (a million-token inventory is not copied), then the new
    /// sealed file is written beside the old one and renamed over it. The old file is the
    /// rollback: when `change` or the save fails, the inventory is read back from it, so both
    /// memory and disk are exactly as they were. (A job's snapshot of the inventory, if one is
    /// still held, makes the first change copy the tokens once: copy on write.)
    pub fn update_inventory<T>(
        &mut self,
        change: impl FnOnce(&mut Inventory) -> Result<T, WorkspaceError>,
    ) -> Result<T, WorkspaceError> {
        if let Some(reason) = &self.unsaved {
            return Err(WorkspaceError::Invalid(format!(
                "the inventory in memory could not be restored after an earlier failure ({reason}); reopen the workspace"
            )));
        }
        let outcome = change(&mut self.inventory).and_then(|result| {
            self.save(&self.inventory)?;
            Ok(result)
        });
        if outcome.is_err() {
            self.roll_back();
        }
        outcome
    }

    /// Reads the inventory back from its file after a failed change. Should even that fail,
    /// the workspace refuses further changes (memory no longer matches the disk).
    fn roll_back(&mut self) {
        let path = self.root.join(INVENTORY_FILE);
        let restored = std::fs::File::open(&path)
            .and_then(|file| Ok((file.metadata()?.len(), file)))
            .map_err(|error| error.to_string())
            .and_then(|(file_len, file)| {
                inventory_file::InventoryReader::new(file, file_len)
                    .and_then(|reader| reader.decode(&self.key))
                    .map_err(|error| match error {
                        ReadError::WrongPassphrase | ReadError::WrongPassphraseOrLegacyDamage => {
                            "wrong key".to_owned()
                        }
                        ReadError::Damaged(reason)
                        | ReadError::Io {
                            message: reason, ..
                        } => reason,
                    })
            });
        match restored {
            Ok(inventory) => self.inventory = inventory,
            Err(reason) => self.unsaved = Some(reason),
        }
    }

    fn save(&self, inventory: &Inventory) -> Result<(), WorkspaceError> {
        let path = self.root.join(INVENTORY_FILE);
        // Encrypted and written a chunk at a time (sealed on a second thread while the next is
        // encoded): the save holds at most three chunks, not the whole encoded inventory.
        write_atomic_streamed_as("inventory", &path, |out| {
            inventory_file::write_to(&self.header, &self.key, inventory, out)
        })
        .map_err(WorkspaceError::io("save the inventory to", &path))
    }

    /// Directory for job history and staged outputs (created 0700).
    pub fn jobs_dir(&self) -> PathBuf {
        self.root.join(JOBS_DIR)
    }
}

/// Checks the front of an inventory file — header (magic, version, checksum), the bounds of
/// its key-derivation parameters, and the body length — without a passphrase: everything
/// that is verified before any key is derived. Returns the parameters, or why it is damaged.
pub fn check_inventory_frame(file: &[u8]) -> Result<KdfParams, String> {
    match inventory_file::frame(file) {
        Ok((header, _, _)) => Ok(header.params),
        Err(ReadError::Damaged(reason)) => Err(reason),
        Err(other) => Err(format!("{other:?}")),
    }
}

/// Reads `tokendist.toml` without following a link, refusing one others can write.
fn load_config_file(path: &Path) -> Result<Config, WorkspaceError> {
    let bytes = permissions::read_workspace_file(path)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        WorkspaceError::Config(ConfigError {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: "the configuration is not UTF-8 text".into(),
        })
    })?;
    Ok(Config::parse(&text, path)?)
}

/// A workspace goes into a new or empty directory (a prepared `tokendist.toml` may be there):
/// `init` tightens the directory to 0700, which must never happen to, say, a home directory.
fn refuse_foreign_content(dir: &Path) -> Result<(), WorkspaceError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(WorkspaceError::io("read", dir)(error)),
    };
    let ours = [CONFIG_FILE, JOBS_DIR, lock::LOCK_FILE];
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let temporary = ROOT_FILES.iter().any(|file| is_temporary_of(&name, file));
        if !ours.contains(&name.as_ref()) && !temporary {
            return Err(WorkspaceError::Invalid(format!(
                "{} is not empty (it holds {name:?}); create the workspace in a new or empty directory",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// The files the workspace writes atomically in its top directory: only their temporaries
/// are ever cleaned up there.
/// Files of the workspace root whose interrupted atomic writes the next open cleans up.
const ROOT_FILES: [&str; 3] = [CONFIG_FILE, INVENTORY_FILE, rotate::JOURNAL_FILE];

fn take_lock(dir: &Path) -> Result<WorkspaceLock, WorkspaceError> {
    WorkspaceLock::acquire(dir).map_err(|e| match e {
        LockError::Held(pid) => WorkspaceError::Locked {
            dir: dir.to_path_buf(),
            pid,
        },
        LockError::Io(source) => WorkspaceError::Io {
            action: "lock",
            path: dir.join(lock::LOCK_FILE),
            source,
        },
        LockError::Refused(error) => error,
    })
}
