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
    platform_data_dir()
}

/// On Linux the XDG rule, read from the environment only. The `directories` crate would ask
/// the password database (`getpwuid_r`) when `HOME` is unset, and in the static release binary
/// that means loading NSS modules of whatever glibc the console has; with no `HOME` we rather
/// ask for `--workspace` or `TOKENDIST_HOME`.
#[cfg(target_os = "linux")]
fn platform_data_dir() -> Option<PathBuf> {
    xdg_data_dir(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"))
}

#[cfg(not(target_os = "linux"))]
fn platform_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "tokendist").map(|dirs| dirs.data_dir().to_path_buf())
}

/// `$XDG_DATA_HOME/tokendist` when that is an absolute path (the XDG spec says to ignore a
/// relative one), else `$HOME/.local/share/tokendist` when `HOME` is absolute, else `None`.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn xdg_data_dir(
    xdg_data_home: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> Option<PathBuf> {
    let absolute = |value: std::ffi::OsString| {
        let path = PathBuf::from(value);
        path.is_absolute().then_some(path)
    };
    xdg_data_home
        .and_then(absolute)
        .or_else(|| {
            home.and_then(absolute)
                .map(|home| home.join(".local/share"))
        })
        .map(|data| data.join("tokendist"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(xdg: Option<&str>, home: Option<&str>) -> Option<PathBuf> {
        xdg_data_dir(xdg.map(Into::into), home.map(Into::into))
    }

    #[test]
    fn xdg_data_home_wins_over_home() {
        assert_eq!(
            dir(Some("/data"), Some("/home/op")),
            Some(PathBuf::from("/data/tokendist"))
        );
    }

    #[test]
    fn home_gives_the_xdg_default() {
        assert_eq!(
            dir(None, Some("/home/op")),
            Some(PathBuf::from("/home/op/.local/share/tokendist"))
        );
        assert_eq!(
            dir(Some("relative/data"), Some("/home/op")),
            Some(PathBuf::from("/home/op/.local/share/tokendist"))
        );
    }

    #[test]
    fn no_home_means_no_default_directory() {
        assert_eq!(dir(None, None), None);
        assert_eq!(dir(Some(""), Some("")), None);
        assert_eq!(dir(None, Some("relative")), None);
    }
}
