//! The job layer's part in a passphrase change: naming every staged job key, which is sealed
//! under the workspace's vault key and so must move to the new key with the inventory.

use super::engine::staged_dir;
use super::history::History;
use super::staging::{KEY_FILE, key_context};
use crate::secret::SecretString;
use crate::workspace::rotate::{RotationReport, SealedFile};
use crate::workspace::{JOBS_DIR, Workspace, WorkspaceError};

/// Every `jobs/staged/<id>/key.sealed` in the workspace, with the context it is sealed with.
pub fn staged_job_keys(workspace: &Workspace) -> Result<Vec<SealedFile>, WorkspaceError> {
    let staged = workspace.jobs_dir().join("staged");
    let entries = match std::fs::read_dir(&staged) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(WorkspaceError::io("read", &staged)(error)),
    };
    let mut keys = Vec::new();
    for entry in entries {
        let entry = entry.map_err(WorkspaceError::io("read", &staged))?;
        let name = entry.file_name();
        let Some(id) = name.to_str() else {
            return Err(WorkspaceError::Invalid(format!(
                "{}: a staged job directory name is not UTF-8; move it out of the workspace",
                entry.path().display()
            )));
        };
        if staged_dir(&workspace.jobs_dir(), id)
            .join(KEY_FILE)
            .is_file()
        {
            keys.push(SealedFile {
                relative: format!("{JOBS_DIR}/staged/{id}/{KEY_FILE}"),
                context: key_context(id),
            });
        }
    }
    keys.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(keys)
}

/// Changes the workspace passphrase: settles the job history first (interrupted jobs, stray
/// staging), then re-seals the inventory and every staged job key in one journaled switch.
pub fn change_passphrase(
    workspace: &mut Workspace,
    new: &SecretString,
) -> Result<RotationReport, String> {
    History::open(&*workspace).map_err(|error| error.to_string())?;
    let keys = staged_job_keys(workspace).map_err(|error| error.to_string())?;
    workspace
        .change_passphrase(new, &keys)
        .map_err(|error| error.to_string())
}
