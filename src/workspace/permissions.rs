//! What the workspace checks about its own files before it trusts them.
//!
//! The workspace holds the encrypted seeds, the configuration that decides what goes into
//! every token file, and the job history. Anyone who can write one of them can make the
//! operator distribute tokens to the wrong people, or make tokendist write through a planted
//! symbolic link. So, as OpenSSH does with `~/.ssh`:
//!
//! * the workspace directory, `jobs/`, the inventory and the configuration must not be
//!   writable by group or others, and must belong to the user running tokendist (or root);
//! * files and directories inside the workspace are opened without following symbolic links
//!   (`O_NOFOLLOW`), and a link where one of them belongs is refused, never followed.
//!
//! Each refusal says how to fix it (`chmod 700 DIR`). The workspace directory itself may be
//! reached through a link (an administrator's choice of path); what is inside it may not.

use super::WorkspaceError;
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

/// Permission bits that let someone other than the owner change a file or directory.
const WRITABLE_BY_OTHERS: u32 = 0o022;

/// What kind of workspace entry is being checked: decides the wording and the fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Directory,
    File,
}

impl Entry {
    fn mode_fix(self) -> &'static str {
        match self {
            Entry::Directory => "700",
            Entry::File => "600",
        }
    }
}

fn unsafe_entry(path: &Path, problem: String, fix: String) -> WorkspaceError {
    WorkspaceError::Unsafe {
        path: path.to_path_buf(),
        problem,
        fix,
    }
}

/// Checks the owner and permission bits of an entry whose metadata was read without
/// following a link (or from the open file itself).
pub fn check_metadata(
    path: &Path,
    metadata: &Metadata,
    entry: Entry,
) -> Result<(), WorkspaceError> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let quoted = shell_quote(path);
    if metadata.file_type().is_symlink() {
        return Err(unsafe_entry(
            path,
            "it is a symbolic link, which tokendist does not follow inside a workspace".into(),
            format!(
                "replace the link with the {} itself",
                match entry {
                    Entry::Directory => "directory",
                    Entry::File => "file",
                }
            ),
        ));
    }
    let right_kind = match entry {
        Entry::Directory => metadata.is_dir(),
        Entry::File => metadata.is_file(),
    };
    if !right_kind {
        return Err(unsafe_entry(
            path,
            format!(
                "it is not a {}",
                match entry {
                    Entry::Directory => "directory",
                    Entry::File => "regular file",
                }
            ),
            "move it away and restore the workspace from a backup".into(),
        ));
    }
    let owner = metadata.uid();
    let me = rustix::process::geteuid().as_raw();
    if owner != me && owner != 0 {
        return Err(unsafe_entry(
            path,
            format!("it belongs to user id {owner}, not to you (user id {me})"),
            format!("run tokendist as its owner, or `chown {me} {quoted}`"),
        ));
    }
    let mode = metadata.permissions().mode() & 0o7777;
    if mode & WRITABLE_BY_OTHERS != 0 {
        return Err(unsafe_entry(
            path,
            format!("other users can write it (mode {mode:04o})"),
            format!("run `chmod {} {quoted}`", entry.mode_fix()),
        ));
    }
    Ok(())
}

/// Checks an entry of the workspace by path without following a link at that path.
/// `Ok(false)` when it does not exist.
pub fn check_entry(path: &Path, entry: Entry) -> Result<bool, WorkspaceError> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) => check_metadata(path, &metadata, entry).map(|()| true),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(WorkspaceError::io("inspect", path)(error)),
    }
}

/// Checks the workspace directory itself (a link to it is followed: the path is the
/// administrator's choice).
pub fn check_workspace_dir(dir: &Path) -> Result<(), WorkspaceError> {
    let metadata = std::fs::metadata(dir).map_err(WorkspaceError::io("inspect", dir))?;
    check_metadata(dir, &metadata, Entry::Directory)
}

/// Opens a workspace file for reading without following a link, and checks the open file
/// (not the path, so nothing can be swapped in between the check and the read).
pub fn open_workspace_file(path: &Path) -> Result<File, WorkspaceError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(no_follow_flags())
        .open(path)
        .map_err(|error| refused_link(path, error, "read"))?;
    let metadata = file
        .metadata()
        .map_err(WorkspaceError::io("inspect", path))?;
    check_metadata(path, &metadata, Entry::File)?;
    Ok(file)
}

/// Reads a whole workspace file through [`open_workspace_file`].
pub fn read_workspace_file(path: &Path) -> Result<Vec<u8>, WorkspaceError> {
    let mut file = open_workspace_file(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(WorkspaceError::io("read", path))?;
    Ok(bytes)
}

/// `O_NOFOLLOW` (a link at the last component fails with `ELOOP`) and `O_NOCTTY`.
pub fn no_follow_flags() -> i32 {
    (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NOCTTY).bits() as i32
}

/// Turns the `ELOOP` of an `O_NOFOLLOW` open into the refusal that explains it.
pub fn refused_link(path: &Path, error: std::io::Error, action: &'static str) -> WorkspaceError {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        unsafe_entry(
            path,
            "it is a symbolic link, which tokendist does not follow inside a workspace".into(),
            "replace the link with the file itself".into(),
        )
    } else {
        WorkspaceError::io(action, path)(error)
    }
}

/// A path as a shell argument, for the fix we print.
fn shell_quote(path: &Path) -> String {
    let text = path.display().to_string();
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:@%".contains(&b))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_file_others_can_write_is_refused_with_the_chmod_that_fixes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.vault");
        std::fs::write(&path, b"x").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let error = read_workspace_file(&path).unwrap_err().to_string();
        assert!(
            error.contains("other users can write it (mode 0666)"),
            "{error}"
        );
        assert!(error.contains("chmod 600"), "{error}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(read_workspace_file(&path).unwrap(), b"x");
    }

    #[test]
    fn a_link_is_refused_and_its_target_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, b"secret").unwrap();
        let link = dir.path().join("tokendist.toml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let error = read_workspace_file(&link).unwrap_err().to_string();
        assert!(error.contains("symbolic link"), "{error}");
        assert!(check_entry(&link, Entry::File).is_err());
    }

    #[test]
    fn paths_in_fixes_are_quoted_for_the_shell() {
        assert_eq!(shell_quote(Path::new("/srv/ws")), "/srv/ws");
        assert_eq!(shell_quote(Path::new("/srv/my ws")), "'/srv/my ws'");
        assert_eq!(shell_quote(Path::new("/srv/o'k")), r"'/srv/o'\''k'");
    }
}
