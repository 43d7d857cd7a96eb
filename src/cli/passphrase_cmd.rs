//! `tokendist passphrase`: change the workspace passphrase (see `workspace::rotate`).

use super::secrets;
use super::workspace_cmd::workspace_dir;
use super::{CliError, GlobalArgs, PassphraseArgs};
use crate::secret::SecretString;
use crate::secret_input::SHORT_PASSPHRASE;
use crate::workspace::Workspace;

pub fn run(global: &GlobalArgs, args: &PassphraseArgs) -> Result<(), CliError> {
    let dir = workspace_dir(global)?;
    Workspace::check_initialised(&dir).map_err(CliError::failed)?;
    let old = secrets::passphrase(global)?;
    let mut workspace = Workspace::open(&dir, &old).map_err(CliError::failed)?;
    let new = new_passphrase(args)?;
    crate::secret_input::check_new_passphrase(&new, None, Some(&old))
        .map_err(|error| CliError::failed(format!("{error}; nothing was changed")))?;
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
        crate::secret_input::check_new_passphrase(&first, None, None)
            .map_err(|error| CliError::failed(format!("{error}; nothing was changed")))?;
        let second = secrets::prompt("Repeat the new passphrase: ")?.unwrap_or_default();
        crate::secret_input::check_new_passphrase(&first, Some(&second), None)
            .map_err(|error| CliError::failed(format!("{error}; nothing was changed")))?;
        first
    };
    let weak = crate::secret_input::check_new_passphrase(&passphrase, None, None)
        .map_err(|error| CliError::failed(format!("{error}; nothing was changed")))?;
    if weak {
        eprintln!(
            "tokendist: warning: the new passphrase is shorter than {SHORT_PASSPHRASE} characters; it is all that protects the token seeds at rest"
        );
    }
    Ok(passphrase)
}
