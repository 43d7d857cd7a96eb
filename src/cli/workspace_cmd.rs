//! `tokendist init` and `tokendist demo`, and opening a workspace for the other commands.

use super::secrets::{self, PASSPHRASE_FILE_ENV};
use super::{CliError, GlobalArgs};
use crate::secret::SecretString;
use crate::workspace::{CONFIG_FILE, Workspace, WorkspaceError, demo};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Passphrases shorter than this get a warning (not a refusal: the site decides its policy).
pub(super) use crate::secret_input::SHORT_PASSPHRASE;

/// The workspace directory the command applies to.
pub fn workspace_dir(global: &GlobalArgs) -> Result<PathBuf, CliError> {
    Workspace::resolve_dir(global.workspace.as_deref()).map_err(CliError::failed)
}

/// Opens the workspace for a command: says how to create it when there is none, and only then
/// asks for the passphrase.
pub fn open_workspace(global: &GlobalArgs) -> Result<Workspace, CliError> {
    let dir = workspace_dir(global)?;
    Workspace::check_initialised(&dir).map_err(CliError::failed)?;
    secrets::with_passphrase(
        global,
        |passphrase| Workspace::open(&dir, passphrase),
        |error| matches!(error, WorkspaceError::WrongPassphrase { .. }),
    )
}

/// The workspace unlocked for job outputs only (download): the inventory is not decrypted.
pub fn unlock_vault(global: &GlobalArgs) -> Result<crate::workspace::UnlockedVault, CliError> {
    let dir = workspace_dir(global)?;
    Workspace::check_initialised(&dir).map_err(CliError::failed)?;
    let passphrase = secrets::passphrase(global)?;
    crate::workspace::UnlockedVault::open(&dir, &passphrase).map_err(CliError::failed)
}

pub fn init(global: &GlobalArgs) -> Result<(), CliError> {
    let dir = workspace_dir(global)?;
    if Workspace::is_initialised(&dir) {
        return Err(CliError::failed(format!(
            "{} already holds a tokendist workspace; nothing was changed",
            dir.display()
        )));
    }
    let passphrase = new_passphrase(global)?;
    if passphrase.char_len() < SHORT_PASSPHRASE {
        crate::cli_errln!(
            "tokendist: warning: the passphrase is shorter than {SHORT_PASSPHRASE} characters; it is all that protects the token seeds at rest"
        );
    }
    let workspace = Workspace::init(&dir, &passphrase).map_err(CliError::failed)?;
    print_created(workspace.root());
    crate::cli_outln!(
        "  import tokens with: tokendist tokens import FILE --workspace {}",
        dir.display()
    );
    Ok(())
}

/// The new passphrase: from `--passphrase-file` / `$TOKENDIST_PASSPHRASE_FILE`, or typed twice
/// on the terminal. Never empty.
fn new_passphrase(global: &GlobalArgs) -> Result<SecretString, CliError> {
    let from_file =
        global.passphrase_file.is_some() || std::env::var_os(PASSPHRASE_FILE_ENV).is_some();
    let passphrase = if from_file {
        secrets::passphrase(global)?
    } else {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::usage(format!(
                "no passphrase: give --passphrase-file PATH or set {PASSPHRASE_FILE_ENV} (no terminal to prompt on)"
            )));
        }
        let first = secrets::prompt("New workspace passphrase: ")?.unwrap_or_default();
        if first.is_empty() {
            return Err(CliError::failed(
                "the passphrase must not be empty; nothing was created",
            ));
        }
        let second = secrets::prompt("Repeat the passphrase: ")?.unwrap_or_default();
        if first != second {
            return Err(CliError::failed(
                "the two passphrases differ; nothing was created",
            ));
        }
        first
    };
    if passphrase.is_empty() {
        return Err(CliError::failed(
            "the passphrase must not be empty; nothing was created",
        ));
    }
    Ok(passphrase)
}

fn print_created(root: &Path) {
    crate::cli_outln!("Created workspace {}", root.display());
    crate::cli_outln!(
        "  configuration and profiles: {} (edit it to suit the site)",
        root.join(CONFIG_FILE).display()
    );
}

pub fn demo(global: &GlobalArgs) -> Result<(), CliError> {
    // Never the default location: a demo must not land where the real workspace lives.
    let dir = global.workspace.clone().ok_or_else(|| {
        CliError::usage(
            "tokendist demo needs --workspace DIR (a new directory for the demo workspace)",
        )
    })?;
    let workspace = demo::create_demo(&dir).map_err(CliError::failed)?;
    print_created(workspace.root());
    let assigned = workspace
        .inventory()
        .iter()
        .filter(|t| t.user.is_some())
        .count();
    crate::cli_outln!(
        "  {} demo tokens, {assigned} assigned to demo users; passphrase: {}",
        workspace.inventory().len(),
        demo::DEMO_PASSPHRASE
    );
    crate::cli_outln!(
        "  try: tokendist tokens list --workspace {} --passphrase-file FILE",
        dir.display()
    );
    Ok(())
}
