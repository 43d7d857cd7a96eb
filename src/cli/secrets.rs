//! Reading passwords and passphrases at the edge: from the first line of stdin or a file, or
//! from a no-echo prompt on the terminal. Never from argv, so they stay out of `ps` and shell
//! history.

use super::{CliError, FilePasswordSource, GlobalArgs, PasswordSource};
use crate::secret::SecretString;
use std::io::{BufRead, IsTerminal};
use std::path::Path;
use zeroize::Zeroize;

/// Environment variable naming a file that holds the inventory passphrase.
pub const PASSPHRASE_FILE_ENV: &str = "TOKENDIST_PASSPHRASE_FILE";

/// First line of `path`, without its line ending.
pub fn read_first_line_of_file(path: &Path, what: &str) -> Result<SecretString, CliError> {
    let mut content = std::fs::read_to_string(path).map_err(|e| {
        CliError::failed(format!("cannot read {what} from {}: {e}", path.display()))
    })?;
    let line = first_line(&content);
    content.zeroize();
    Ok(line)
}

/// First line of standard input, without its line ending.
pub fn read_first_line_of_stdin() -> Result<SecretString, CliError> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        CliError::failed(format!("cannot read the password from standard input: {e}"))
    })?;
    let secret = first_line(&line);
    line.zeroize();
    Ok(secret)
}

fn first_line(text: &str) -> SecretString {
    let line = text.split('\n').next().unwrap_or("");
    SecretString::new(line.strip_suffix('\r').unwrap_or(line).to_owned())
}

/// A no-echo prompt; only when stdin is a terminal.
pub fn prompt(label: &str) -> Result<Option<SecretString>, CliError> {
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let text = rpassword::prompt_password(label)
        .map_err(|e| CliError::failed(format!("cannot read from the terminal: {e}")))?;
    Ok(Some(SecretString::new(text)))
}

/// A token file password from `--password-stdin`, `--password-file` or a prompt.
/// `None` when no source was given and there is no terminal to ask on.
pub fn password(source: &PasswordSource, label: &str) -> Result<Option<SecretString>, CliError> {
    if source.password_stdin {
        return read_first_line_of_stdin().map(Some);
    }
    if let Some(path) = &source.password_file {
        return read_first_line_of_file(path, "the password").map(Some);
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
    if let Some(path) = &global.passphrase_file {
        return read_first_line_of_file(path, "the passphrase");
    }
    if let Some(path) = std::env::var_os(PASSPHRASE_FILE_ENV) {
        return read_first_line_of_file(Path::new(&path), "the passphrase");
    }
    prompt("Workspace passphrase: ")?.ok_or_else(|| {
        CliError::usage(format!(
            "no passphrase: give --passphrase-file PATH or set {PASSPHRASE_FILE_ENV} (no terminal to prompt on)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_drops_line_endings_and_the_rest() {
        assert_eq!(first_line("s3cret\r\nmore").expose(), "s3cret");
        assert_eq!(first_line("s3cret\n").expose(), "s3cret");
        assert_eq!(first_line("").expose(), "");
        assert_eq!(first_line(" spaced \n").expose(), " spaced ");
    }
}
