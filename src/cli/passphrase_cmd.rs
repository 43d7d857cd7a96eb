//! `tokendist passphrase`: change the workspace passphrase (see `workspace::rotate`).

use super::secrets;
use super::workspace_cmd::{SHORT_PASSPHRASE, workspace_dir};
use super::{CliError, GlobalArgs, PassphraseArgs};
use crate::secret::SecretString;
use crate::workspace::Workspace;

pub fn run(global: &GlobalArgs, args: &PassphraseArgs) -> Result<(), CliError> {
    let dir = workspace_dir(global)?;
    Workspace::check_initialised(&dir).map_err(CliError::failed)?;
    let old = secrets::passphrase(global)?;
    let mut workspace = Workspace::open(&dir, &old).map_err(CliError::failed)?;
    let new = new_passphrase(args)?;
    if new == old {
        return Err(CliError::failed(
            "the new passphrase is the current one; nothing was changed",
        ));
    }
    drop(old);
    let report =
        crate::jobs::rekey::change_passphrase(&mut workspace, &new).map_err(CliError::failed)?;
    crate::cli_outln!(
        "Passphrase changed for {}: the inventory ({} token(s)) and {} staged job key(s) are sealed under the new passphrase.",
        workspace.root().display(),
        report.tokens,
        report.sealed_files
    );
    crate::cli_outln!(
        "  the old passphrase no longer opens this workspace; update any passphrase file that scripts use"
    );
    Ok(())
}

/// From `--new-passphrase-file`/`--new-passphrase-stdin`, or typed twice on the terminal.
fn new_passphrase(args: &PassphraseArgs) -> Result<SecretString, CliError> {
    let passphrase = if let Some(path) = &args.new_passphrase_file {
        secrets::read_first_line_of_file(path, "the new passphrase")?
    } else if args.new_passphrase_stdin {
        crate::secret_input::read_first_line_of_stdin("the new passphrase")?
    } else {
        let first = secrets::prompt("New workspace passphrase: ")?.ok_or_else(|| {
            CliError::usage(
                "no new passphrase: give --new-passphrase-file PATH or --new-passphrase-stdin (no terminal to prompt on)",
            )
        })?;
        if first.is_empty() {
            return Err(CliError::failed(
                "the new passphrase must not be empty; nothing was changed",
            ));
        }
        let second = secrets::prompt("Repeat the new passphrase: ")?.unwrap_or_default();
        if first != second {
            return Err(CliError::failed(
                "the two new passphrases differ; nothing was changed",
            ));
        }
        first
    };
    if passphrase.is_empty() {
        return Err(CliError::failed(
            "the new passphrase must not be empty; nothing was changed",
        ));
    }
    if passphrase.char_len() < SHORT_PASSPHRASE {
        eprintln!(
            "tokendist: warning: the new passphrase is shorter than {SHORT_PASSPHRASE} characters; it is all that protects the token seeds at rest"
        );
    }
    Ok(passphrase)
}
