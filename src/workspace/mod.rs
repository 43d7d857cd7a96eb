//! The local workspace: one directory holding the configuration, the encrypted token
//! inventory, the job history and job outputs, guarded by a lock so one process writes it.
//!
//! CONTRACT (filled in by the workspace work): the names and signatures here are used by the
//! job layer, the CLI and the TUI; keep them stable.

mod model;

pub use model::{AssignedUser, Delivery, Distribution, InventoryToken, PinType, Profile};

use crate::secret::SecretString;
use crate::token::Serial;
use std::path::{Path, PathBuf};

/// Errors of the workspace layer; each names the file (and line, where it has one).
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{0}")]
    Todo(String),
}

/// The configuration file (`tokendist.toml`).
#[derive(Debug, Clone)]
pub struct Config {
    /// Header strings written into every SDTID file.
    pub header: crate::sdtid::BatchHeader,
    pub profiles: Vec<Profile>,
    /// Default download path for a job's ZIP; `{job}` is replaced by the sanitised job name.
    pub output_path_template: String,
}

/// The token inventory, ordered by serial.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    _todo: (),
}

impl Inventory {
    pub fn len(&self) -> usize {
        todo!()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn get(&self, serial: &Serial) -> Option<&InventoryToken> {
        let _ = serial;
        todo!()
    }
    pub fn get_mut(&mut self, serial: &Serial) -> Option<&mut InventoryToken> {
        let _ = serial;
        todo!()
    }
    /// All tokens in serial order.
    pub fn iter(&self) -> impl Iterator<Item = &InventoryToken> {
        std::iter::empty()
    }
}

/// The key that protects the inventory and staged job outputs at rest (AES-256-GCM).
pub struct VaultKey {
    _todo: (),
}

impl VaultKey {
    /// Encrypts and authenticates `plaintext`; `context` (e.g. a file's role) is bound as
    /// associated data so a sealed blob cannot be swapped for another.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let _ = (plaintext, context);
        todo!()
    }
    /// Reverses [`VaultKey::seal`]; fails on a wrong key, tampering or truncation.
    pub fn open(
        &self,
        sealed: &[u8],
        context: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, WorkspaceError> {
        let _ = (sealed, context);
        todo!()
    }
}

/// An open workspace; holds the write lock for as long as it lives.
pub struct Workspace {
    _todo: (),
}

impl Workspace {
    /// `--workspace DIR`, else `TOKENDIST_HOME`, else the platform data directory.
    pub fn resolve_dir(explicit: Option<&Path>) -> Result<PathBuf, WorkspaceError> {
        let _ = explicit;
        todo!()
    }
    /// Creates a new workspace (config from the embedded default, empty inventory).
    pub fn init(dir: &Path, passphrase: &SecretString) -> Result<Workspace, WorkspaceError> {
        let _ = (dir, passphrase);
        todo!()
    }
    /// Opens an existing workspace, taking the write lock and decrypting the inventory.
    pub fn open(dir: &Path, passphrase: &SecretString) -> Result<Workspace, WorkspaceError> {
        let _ = (dir, passphrase);
        todo!()
    }
    pub fn root(&self) -> &Path {
        todo!()
    }
    pub fn config(&self) -> &Config {
        todo!()
    }
    pub fn inventory(&self) -> &Inventory {
        todo!()
    }
    pub fn vault(&self) -> &VaultKey {
        todo!()
    }
    /// Changes the inventory and saves it atomically; on error nothing is changed.
    pub fn update_inventory<T>(
        &mut self,
        change: impl FnOnce(&mut Inventory) -> Result<T, WorkspaceError>,
    ) -> Result<T, WorkspaceError> {
        let _ = change;
        todo!()
    }
    /// Directory for job history and staged outputs (created 0700).
    pub fn jobs_dir(&self) -> PathBuf {
        todo!()
    }
}

/// Writes `bytes` to `path` atomically (temp file, fsync, rename, fsync directory), mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let _ = (path, bytes);
    todo!()
}
