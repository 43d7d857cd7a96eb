//! What the path typed into "Download Output File" means, decided before anything is written:
//! `~` is the home directory, a relative path is taken from the directory tokendist started
//! in (and shown absolute), an existing directory receives the ZIP under its default file
//! name (as `cp` does), and a directory that does not exist is said so in one line.

use std::path::{Path, PathBuf};

/// What the resolver needs to know about the file system (the tests answer from a list).
pub trait PathFacts {
    fn home(&self) -> Option<PathBuf>;
    fn current_dir(&self) -> PathBuf;
    fn is_dir(&self, path: &Path) -> bool;
    fn exists(&self, path: &Path) -> bool;
}

/// The real file system.
pub struct RealFs;

impl PathFacts for RealFs {
    fn home(&self) -> Option<PathBuf> {
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
    }
    fn current_dir(&self) -> PathBuf {
        std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"))
    }
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
    fn exists(&self, path: &Path) -> bool {
        path.symlink_metadata().is_ok()
    }
}

/// `~` and `~/…` expanded, then made absolute (without touching the disk).
pub fn absolute(typed: &str, facts: &dyn PathFacts) -> Result<PathBuf, String> {
    let typed = typed.trim();
    let expanded = if typed == "~" || typed.starts_with("~/") {
        let home = facts
            .home()
            .ok_or("~ cannot be expanded: HOME is not set; type the full path")?;
        home.join(typed.trim_start_matches('~').trim_start_matches('/'))
    } else if typed.starts_with('~') {
        return Err(format!(
            "{typed}: only ~ (your own home directory) is expanded; type the full path"
        ));
    } else {
        PathBuf::from(typed)
    };
    let absolute = if expanded.is_absolute() {
        expanded
    } else {
        facts.current_dir().join(expanded)
    };
    // `./` adds nothing a reader needs.
    Ok(absolute
        .components()
        .filter(|c| *c != std::path::Component::CurDir)
        .collect())
}

/// The file the ZIP goes to for a typed path: `file_name` inside an existing directory, or
/// the path itself when its directory exists. The error names the missing directory.
pub fn target(typed: &str, file_name: &str, facts: &dyn PathFacts) -> Result<PathBuf, String> {
    if typed.trim().is_empty() {
        return Err("type the path to save the ZIP to".into());
    }
    let path = absolute(typed, facts)?;
    if facts.is_dir(&path) {
        return Ok(path.join(file_name));
    }
    if typed.trim().ends_with('/') {
        return Err(format!(
            "the directory {} does not exist: create it first, or choose another",
            path.display()
        ));
    }
    let parent = path.parent().unwrap_or(Path::new("/"));
    if !facts.is_dir(parent) {
        return Err(if facts.exists(parent) {
            format!("{} is not a directory", parent.display())
        } else {
            format!(
                "the directory {} does not exist: create it first, or choose another",
                parent.display()
            )
        });
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    struct Facts {
        dirs: HashSet<PathBuf>,
        files: HashSet<PathBuf>,
    }

    impl PathFacts for Facts {
        fn home(&self) -> Option<PathBuf> {
            Some("/home/admin".into())
        }
        fn current_dir(&self) -> PathBuf {
            "/srv/work".into()
        }
        fn is_dir(&self, path: &Path) -> bool {
            self.dirs.contains(path)
        }
        fn exists(&self, path: &Path) -> bool {
            self.dirs.contains(path) || self.files.contains(path)
        }
    }

    fn facts() -> Facts {
        Facts {
            dirs: ["/", "/home", "/home/admin", "/srv", "/srv/work", "/tmp"]
                .into_iter()
                .map(PathBuf::from)
                .collect(),
            files: ["/srv/work/notes"].into_iter().map(PathBuf::from).collect(),
        }
    }

    #[test]
    fn relative_paths_and_tilde_become_absolute() {
        let f = facts();
        assert_eq!(
            target("./batch.zip", "job.zip", &f).unwrap(),
            PathBuf::from("/srv/work/batch.zip")
        );
        assert_eq!(
            target("~/batch.zip", "job.zip", &f).unwrap(),
            PathBuf::from("/home/admin/batch.zip")
        );
        assert!(
            target("~bob/x.zip", "job.zip", &f)
                .unwrap_err()
                .contains("only ~")
        );
    }

    #[test]
    fn a_directory_receives_the_default_file_name() {
        let f = facts();
        assert_eq!(
            target("/tmp", "Night_batch.zip", &f).unwrap(),
            PathBuf::from("/tmp/Night_batch.zip")
        );
        assert_eq!(
            target("~", "Night_batch.zip", &f).unwrap(),
            PathBuf::from("/home/admin/Night_batch.zip")
        );
    }

    #[test]
    fn a_missing_directory_is_named_in_one_line() {
        let f = facts();
        let error = target("/tmp/nope/batch.zip", "job.zip", &f).unwrap_err();
        assert_eq!(
            error,
            "the directory /tmp/nope does not exist: create it first, or choose another"
        );
        let error = target("/tmp/nope/", "job.zip", &f).unwrap_err();
        assert!(error.contains("/tmp/nope does not exist"), "{error}");
        let error = target("notes/batch.zip", "job.zip", &f).unwrap_err();
        assert_eq!(error, "/srv/work/notes is not a directory");
        assert!(target("  ", "job.zip", &f).is_err());
    }
}
