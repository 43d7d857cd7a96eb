//! The CLI's side of reading secrets: which flag names which source. The reading itself is
//! [`crate::secret_input`], shared with the TUI.

use super::{CliError, FilePasswordSource, GlobalArgs, PasswordSource};
use crate::secret::SecretString;
pub use crate::secret_input::{InputError, PASSPHRASE_FILE_ENV, read_first_line_of_file};

impl From<InputError> for CliError {
    fn from(error: InputError) -> Self {
        match error {
            InputError::NoSource(message) => CliError::Usage(message),
            InputError::Unreadable(message) => CliError::Failed(message),
        }
    }
}

/// A no-echo prompt; only when stdin is a terminal.
pub fn prompt(label: &str) -> Result<Option<SecretString>, CliError> {
    Ok(crate::secret_input::prompt(label)?)
}

/// A token file password from `--password-stdin`, `--password-file` or a prompt.
/// `None` when no source was given and there is no terminal to ask on.
pub fn password(source: &PasswordSource, label: &str) -> Result<Option<SecretString>, CliError> {
    if source.password_stdin {
        return Ok(Some(crate::secret_input::read_first_line_of_stdin(
            "the password",
        )?));
    }
    if let Some(path) = &source.password_file {
        return Ok(Some(read_first_line_of_file(path, "the password")?));
    }
    prompt(label)
}

/// Like [`password`], for the `--file-password-*` flags of import and export.
pub fn file_password(
    source: &FilePasswordSource,
    label: &str,
) -> Result<Option<SecretString>, CliError> {
    password(
        &PasswordSource {
            password_stdin: source.file_password_stdin,
            password_file: source.file_password_file.clone(),
        },
        label,
    )
}

/// The inventory passphrase: `--passphrase-file`, `$TOKENDIST_PASSPHRASE_FILE`, or a prompt.
pub fn passphrase(global: &GlobalArgs) -> Result<SecretString, CliError> {
    Ok(crate::secret_input::passphrase(
        global.passphrase_file.as_deref(),
    )?)
}

/// Runs `open` with the inventory passphrase, allowing retries at the prompt (see
/// [`crate::secret_input::with_passphrase`]).
pub fn with_passphrase<T, E: std::fmt::Display>(
    global: &GlobalArgs,
    open: impl FnMut(&SecretString) -> Result<T, E>,
    wrong: impl Fn(&E) -> bool,
) -> Result<T, CliError> {
    use crate::secret_input::PassphraseError;
    crate::secret_input::with_passphrase(global.passphrase_file.as_deref(), open, wrong).map_err(
        |error| match error {
            PassphraseError::Input(input) => input.into(),
            PassphraseError::Open(refused) => CliError::failed(refused.to_string()),
        },
    )
}
