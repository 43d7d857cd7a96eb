//! Where the workspace lives and what its files are called.

use std::path::{Path, PathBuf};

/// Environment variable naming the workspace directory when `--workspace` is not given.
pub const HOME_ENV: &str = "TOKENDIST_HOME";
/// The configuration file administrators edit.
pub const CONFIG_FILE: &str = "tokendist.toml";
/// The encrypted token inventory; its presence marks an initialised workspace.
pub const INVENTORY_FILE: &str = "inventory.vault";
/// Job history and staged outputs.
pub const JOBS_DIR: &str = "jobs";

/// `explicit`, else `$TOKENDIST_HOME`, else the platform data directory (XDG on Linux:
/// `$XDG_DATA_HOME/tokendist`, usually `~/.local/share/tokendist`).
pub fn resolve(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = explicit {
        return Some(dir.to_path_buf());
    }
    if let Some(home) = std::env::var_os(HOME_ENV).filter(|value| !value.is_empty()) {
        return Some(PathBuf::from(home));
    }
    directories::ProjectDirs::from("", "", "tokendist").map(|dirs| dirs.data_dir().to_path_buf())
}
