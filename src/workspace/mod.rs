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
mod config;
mod inventory;
mod inventory_file;
mod lock;
mod model;
mod paths;
mod store;
mod vault;

pub mod assign;
pub mod auto_assign;
pub mod demo;
pub mod export;
pub mod import;
pub mod listing;
pub mod user_list;

pub use atomic::{FailPoint, create_private_dir, inject_failure, write_atomic, write_new_atomic};
pub use config::{Config, ConfigError, DEFAULT_CONFIG};
pub use inventory::Inventory;
pub use model::{AssignedUser, Delivery, Distribution, InventoryToken, PinType, Profile};
pub use paths::{CONFIG_FILE, HOME_ENV, INVENTORY_FILE, JOBS_DIR};
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
    #[error("wrong passphrase for the workspace inventory {}", .path.display())]
    WrongPassphrase { path: PathBuf },
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
    /// A request that does not fit the inventory (unknown serial, …); the text says which.
    #[error("{0}")]
    Invalid(String),
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
        Ok(Config::load(&dir.join(CONFIG_FILE))?)
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
        let lock = take_lock(dir)?;
        if Self::is_initialised(dir) {
            return Err(WorkspaceError::AlreadyInitialised {
                dir: dir.to_path_buf(),
            });
        }
        // An existing configuration (provisioned by the administrator, or left by an init that
        // was interrupted) is kept when it is valid; otherwise the built-in default is written.
        let config_path = dir.join(CONFIG_FILE);
        let config = if config_path.exists() {
            Config::load(&config_path)?
        } else {
            write_atomic(&config_path, DEFAULT_CONFIG.as_bytes())
                .map_err(WorkspaceError::io("write", &config_path))?;
            Config::default_config()
        };
        let jobs = dir.join(JOBS_DIR);
        create_private_dir(&jobs).map_err(WorkspaceError::io("create", &jobs))?;
        let (key, header) = VaultKey::create(passphrase, params);
        let workspace = Workspace {
            root: dir.to_path_buf(),
            config,
            inventory: Inventory::default(),
            header,
            key,
            _lock: lock,
        };
        // Written last: its presence is what makes the directory a workspace.
        workspace.save(&workspace.inventory)?;
        Ok(workspace)
    }

    /// Opens an existing workspace, taking the write lock and decrypting the inventory.
    pub fn open(dir: &Path, passphrase: &SecretString) -> Result<Workspace, WorkspaceError> {
        Self::check_initialised(dir)?;
        let lock = take_lock(dir)?;
        remove_stale_temporaries(dir);
        let config = Config::load(&dir.join(CONFIG_FILE))?;
        let path = dir.join(INVENTORY_FILE);
        let file = std::fs::read(&path).map_err(WorkspaceError::io("read", &path))?;
        let (header, key, inventory) =
            inventory_file::open(&file, passphrase).map_err(|e| match e {
                ReadError::WrongPassphrase => {
                    WorkspaceError::WrongPassphrase { path: path.clone() }
                }
                ReadError::Damaged(reason) => WorkspaceError::Damaged {
                    path: path.clone(),
                    reason,
                },
            })?;
        let jobs = dir.join(JOBS_DIR);
        create_private_dir(&jobs).map_err(WorkspaceError::io("create", &jobs))?;
        Ok(Workspace {
            root: dir.to_path_buf(),
            config,
            inventory,
            header,
            key,
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
    /// The change is made on a copy, which is saved before it replaces the inventory in
    /// memory: an error from `change` or from the disk leaves both exactly as they were.
    pub fn update_inventory<T>(
        &mut self,
        change: impl FnOnce(&mut Inventory) -> Result<T, WorkspaceError>,
    ) -> Result<T, WorkspaceError> {
        let mut next = self.inventory.clone();
        let result = change(&mut next)?;
        self.save(&next)?;
        self.inventory = next;
        Ok(result)
    }

    fn save(&self, inventory: &Inventory) -> Result<(), WorkspaceError> {
        let path = self.root.join(INVENTORY_FILE);
        let file = inventory_file::encode(&self.header, &self.key, inventory);
        write_atomic(&path, &file).map_err(WorkspaceError::io("save the inventory to", &path))
    }

    /// Directory for job history and staged outputs (created 0700).
    pub fn jobs_dir(&self) -> PathBuf {
        self.root.join(JOBS_DIR)
    }
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
        if !ours.contains(&name.as_ref()) && !is_leftover_temporary(&name) {
            return Err(WorkspaceError::Invalid(format!(
                "{} is not empty (it holds {name:?}); create the workspace in a new or empty directory",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// The name [`write_atomic`] gives its temporary file (`.NAME.XXXXXX.tmp`).
fn is_leftover_temporary(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp")
}

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
    })
}

/// Temporary files of an atomic write that a crash interrupted (we hold the lock, so no one is
/// writing them now). Best effort: a leftover is harmless, just untidy.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if is_leftover_temporary(&entry.file_name().to_string_lossy()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
