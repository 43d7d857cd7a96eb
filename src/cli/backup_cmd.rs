//! `tokendist backup FILE` and `tokendist restore FILE --workspace DIR`
//! (see `workspace::backup`).

use super::secrets;
use super::workspace_cmd::workspace_dir;
use super::{BackupArgs, CliError, GlobalArgs, RestoreArgs};
use crate::jobs::History;
use crate::workspace::Workspace;
use crate::workspace::backup;
use crate::workspace::check::{Severity, check_workspace};

pub fn backup(global: &GlobalArgs, args: &BackupArgs) -> Result<(), CliError> {
    if args.file.exists() && !args.force {
        return Err(CliError::failed(format!(
            "{} already exists; give --force to replace it",
            args.file.display()
        )));
    }
    let dir = workspace_dir(global)?;
    Workspace::check_initialised(&dir).map_err(CliError::failed)?;
    let passphrase = secrets::passphrase(global)?;
    let workspace = Workspace::open(&dir, &passphrase).map_err(CliError::failed)?;
    // Settles interrupted jobs and stray staging first, so the backup holds what a job
    // command would see.
    History::open(&workspace).map_err(CliError::failed)?;
    let report = backup::write_backup(&workspace, &passphrase, &args.file, args.force)
        .map_err(CliError::failed)?;
    crate::cli_outln!(
        "{}: backed up {} file(s) in {} folder(s), {} bytes ({} token(s)); read back and verified",
        args.file.display(),
        report.files,
        report.directories,
        report.bytes,
        workspace.inventory().len()
    );
    crate::cli_outln!("  it opens with the workspace passphrase as it is now; keep both safe");
    Ok(())
}

pub fn restore(global: &GlobalArgs, args: &RestoreArgs) -> Result<(), CliError> {
    let target = global.workspace.clone().ok_or_else(|| {
        CliError::usage("tokendist restore needs --workspace DIR (a new or empty directory)")
    })?;
    if !args.file.is_file() {
        return Err(CliError::failed(format!(
            "{}: no such backup file",
            args.file.display()
        )));
    }
    if Workspace::is_initialised(&target) {
        return Err(CliError::failed(format!(
            "{} already holds a tokendist workspace; restore into a new or empty directory (nothing was changed)",
            target.display()
        )));
    }
    let passphrase = secrets::passphrase(global)?;
    let verify = |root: &std::path::Path| -> Result<(), String> {
        let checked = check_workspace(root, &passphrase).map_err(|e| e.to_string())?;
        let mut findings = checked.findings;
        findings.extend(crate::jobs::check::check_jobs(
            root,
            checked.key.as_ref(),
            checked.inventory.as_ref(),
        ));
        match findings.iter().find(|f| f.severity == Severity::Error) {
            Some(first) => Err(first.to_string()),
            None => Ok(()),
        }
    };
    let report =
        backup::restore(&args.file, &target, &passphrase, verify).map_err(CliError::failed)?;
    crate::cli_outln!(
        "Restored {} file(s) in {} folder(s), {} bytes, into {}; checked before it was put in place",
        report.files,
        report.directories,
        report.bytes,
        target.display()
    );
    Ok(())
}
