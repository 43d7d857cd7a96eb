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

/// Longest first line accepted from a password or passphrase file or stdin. Far above any real
/// secret; it keeps a mistaken path (`/dev/zero`, a large file) from reading without end.
pub const MAX_SECRET_LINE_BYTES: usize = 4096;

/// First line of `path`, without its line ending.
pub fn read_first_line_of_file(path: &Path, what: &str) -> Result<SecretString, CliError> {
    let source = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| CliError::failed(format!("cannot read {what} from {source}: {e}")))?;
    read_first_line(std::io::BufReader::new(file), what, &source)
}

/// First line of standard input, without its line ending.
pub fn read_first_line_of_stdin() -> Result<SecretString, CliError> {
    read_first_line(std::io::stdin().lock(), "the password", "standard input")
}

/// Reads up to the first newline, never more than [`MAX_SECRET_LINE_BYTES`] bytes; every
/// buffer that held the text is wiped.
fn read_first_line(
    reader: impl BufRead,
    what: &str,
    source: &str,
) -> Result<SecretString, CliError> {
    let mut bytes = Vec::new();
    let read = reader
        .take(MAX_SECRET_LINE_BYTES as u64 + 1)
        .read_until(b'\n', &mut bytes);
    if let Err(e) = read {
        bytes.zeroize();
        return Err(CliError::failed(format!(
            "cannot read {what} from {source}: {e}"
        )));
    }
    let line_len = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    if line_len > MAX_SECRET_LINE_BYTES {
        bytes.zeroize();
        return Err(CliError::failed(format!(
            "{what} in {source} is longer than {MAX_SECRET_LINE_BYTES} bytes: is this the right file?"
        )));
    }
    let mut text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            error.into_bytes().zeroize();
            return Err(CliError::failed(format!(
                "{what} in {source} is not UTF-8 text"
            )));
        }
    };
    let line = first_line(&text);
    text.zeroize();
    Ok(line)
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

/// Times a passphrase may be typed at the prompt before giving up.
pub const PASSPHRASE_TRIES: usize = 3;

/// Runs `open` with the inventory passphrase. Typed at the prompt, a wrong one (as `wrong`
/// tells) may be typed again, [`PASSPHRASE_TRIES`] times in all; from a file there is one try,
/// since reading the same file again would give the same answer.
pub fn with_passphrase<T, E: std::fmt::Display>(
    global: &GlobalArgs,
    mut open: impl FnMut(&SecretString) -> Result<T, E>,
    wrong: impl Fn(&E) -> bool,
) -> Result<T, CliError> {
    let from_file =
        global.passphrase_file.is_some() || std::env::var_os(PASSPHRASE_FILE_ENV).is_some();
    let mut tries_left = if from_file { 1 } else { PASSPHRASE_TRIES };
    loop {
        let passphrase = passphrase(global)?;
        tries_left -= 1;
        match open(&passphrase) {
            Ok(opened) => return Ok(opened),
            Err(error) if wrong(&error) && tries_left > 0 => {
                eprintln!(
                    "tokendist: {error}; try again ({tries_left} {} left)",
                    if tries_left == 1 { "try" } else { "tries" }
                );
            }
            Err(error) => return Err(CliError::failed(error.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_stops_at_the_first_line_and_refuses_an_endless_one() {
        let read = |input: &[u8]| read_first_line(input, "the password", "test input");
        assert_eq!(read(b"s3cret\nsecond line").unwrap().expose(), "s3cret");
        assert_eq!(read(b"").unwrap().expose(), "");
        let long = vec![b'x'; MAX_SECRET_LINE_BYTES];
        assert_eq!(read(&long).unwrap().char_len(), MAX_SECRET_LINE_BYTES);
        let endless = std::io::repeat(b'0');
        let error = read_first_line(
            std::io::BufReader::new(endless),
            "the password",
            "/dev/zero",
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("longer than 4096 bytes"),
            "{error}"
        );
        assert!(
            read(b"\xff\xfe\n")
                .unwrap_err()
                .to_string()
                .contains("not UTF-8")
        );
    }

    #[test]
    fn first_line_drops_line_endings_and_the_rest() {
        assert_eq!(first_line("s3cret\r\nmore").expose(), "s3cret");
        assert_eq!(first_line("s3cret\n").expose(), "s3cret");
        assert_eq!(first_line("").expose(), "");
        assert_eq!(first_line(" spaced \n").expose(), " spaced ");
    }
}
