//! Reading passwords and passphrases from the operator: the first line of a file or of
//! standard input, or a no-echo prompt on the terminal. Never from argv, so they stay out of
//! `ps` and shell history.
//!
//! Both front ends use this: the CLI for every command, the TUI for the passphrase it asks
//! before the full screen starts. It knows nothing of either one's argument types.

use crate::secret::SecretString;
use std::io::{BufRead, IsTerminal};
use std::path::Path;
use zeroize::Zeroize;

/// Environment variable naming a file that holds the inventory passphrase.
pub const PASSPHRASE_FILE_ENV: &str = "TOKENDIST_PASSPHRASE_FILE";

/// Longest first line accepted from a password or passphrase file or stdin. Far above any real
/// secret; it keeps a mistaken path (`/dev/zero`, a large file) from reading without end.
pub const MAX_SECRET_LINE_BYTES: usize = 4096;

/// Why a secret could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// No source was given and there is no terminal to ask on: the invocation must say where
    /// the secret comes from.
    #[error("{0}")]
    NoSource(String),
    /// The source exists but cannot be read, or holds no usable line.
    #[error("{0}")]
    Unreadable(String),
}

/// First line of `path`, without its line ending; `what` names the secret in errors. A file
/// others can read is warned about on standard error.
pub fn read_first_line_of_file(path: &Path, what: &str) -> Result<SecretString, InputError> {
    let (secret, warning) = read_first_line_of_file_quietly(path, what)?;
    if let Some(warning) = warning {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "tokendist: warning: {warning}");
    }
    Ok(secret)
}

/// [`read_first_line_of_file`] for a full-screen front end, where standard error is the
/// screen: the warning about a file others can read is returned for it to show.
pub fn read_first_line_of_file_quietly(
    path: &Path,
    what: &str,
) -> Result<(SecretString, Option<String>), InputError> {
    let source = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| InputError::Unreadable(format!("cannot read {what} from {source}: {e}")))?;
    let warning = file
        .metadata()
        .ok()
        .and_then(|m| readable_by_others(path, &m));
    let secret = read_first_line(std::io::BufReader::new(file), what, &source)?;
    Ok((secret, warning))
}

/// Passphrases shorter than this are weak: the CLI warns (the site decides its policy), the
/// full-screen form refuses them.
pub const SHORT_PASSPHRASE: usize = 12;

/// Why a new passphrase cannot be taken. Each names the field it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NewPassphraseError {
    #[error("the new passphrase must not be empty")]
    Empty,
    #[error("the two new passphrases differ")]
    Differ,
    #[error("the new passphrase is the current one")]
    Unchanged,
}

/// The rules every front end applies to a new workspace passphrase: not empty, typed the same
/// twice (when `repeat` is given), different from `current` (when known). `Ok(true)` when it
/// is shorter than [`SHORT_PASSPHRASE`].
pub fn check_new_passphrase(
    new: &SecretString,
    repeat: Option<&SecretString>,
    current: Option<&SecretString>,
) -> Result<bool, NewPassphraseError> {
    if new.is_empty() {
        return Err(NewPassphraseError::Empty);
    }
    if repeat.is_some_and(|repeat| repeat != new) {
        return Err(NewPassphraseError::Differ);
    }
    if current.is_some_and(|current| current == new) {
        return Err(NewPassphraseError::Unchanged);
    }
    Ok(new.char_len() < SHORT_PASSPHRASE)
}

/// A warning when a regular file holding a secret can be read by group or others (a FIFO or
/// `/dev/stdin` is not such a file). A warning, not a refusal: the secret is already exposed,
/// and refusing would only stop the operator's work.
fn readable_by_others(path: &Path, metadata: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    (metadata.is_file() && mode & 0o044 != 0).then(|| {
        format!(
            "{} can be read by other users (mode {mode:04o}); protect it with `chmod 600 {}`",
            path.display(),
            path.display()
        )
    })
}

/// First line of standard input, without its line ending.
pub fn read_first_line_of_stdin(what: &str) -> Result<SecretString, InputError> {
    read_first_line(std::io::stdin().lock(), what, "standard input")
}

/// Reads up to the first newline, never more than [`MAX_SECRET_LINE_BYTES`] bytes; every
/// buffer that held the text is wiped.
pub(crate) fn read_first_line(
    reader: impl BufRead,
    what: &str,
    source: &str,
) -> Result<SecretString, InputError> {
    let mut bytes = Vec::new();
    let read = reader
        .take(MAX_SECRET_LINE_BYTES as u64 + 1)
        .read_until(b'\n', &mut bytes);
    if let Err(e) = read {
        bytes.zeroize();
        return Err(InputError::Unreadable(format!(
            "cannot read {what} from {source}: {e}"
        )));
    }
    let line_len = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    if line_len > MAX_SECRET_LINE_BYTES {
        bytes.zeroize();
        return Err(InputError::Unreadable(format!(
            "{what} in {source} is longer than {MAX_SECRET_LINE_BYTES} bytes: is this the right file?"
        )));
    }
    let mut text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            error.into_bytes().zeroize();
            return Err(InputError::Unreadable(format!(
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

/// A no-echo prompt; `None` when stdin is not a terminal.
pub fn prompt(label: &str) -> Result<Option<SecretString>, InputError> {
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let text = rpassword::prompt_password(label)
        .map_err(|e| InputError::Unreadable(format!("cannot read from the terminal: {e}")))?;
    Ok(Some(SecretString::new(text)))
}

/// The inventory passphrase: from `passphrase_file` (`--passphrase-file`), else
/// `$TOKENDIST_PASSPHRASE_FILE`, else a prompt on the terminal.
pub fn passphrase(passphrase_file: Option<&Path>) -> Result<SecretString, InputError> {
    if let Some(path) = passphrase_file {
        return read_first_line_of_file(path, "the passphrase");
    }
    if let Some(path) = std::env::var_os(PASSPHRASE_FILE_ENV) {
        return read_first_line_of_file(Path::new(&path), "the passphrase");
    }
    prompt("Workspace passphrase: ")?.ok_or_else(|| {
        InputError::NoSource(format!(
            "no passphrase: give --passphrase-file PATH or set {PASSPHRASE_FILE_ENV} (no terminal to prompt on)"
        ))
    })
}

/// Times a passphrase may be typed at the prompt before giving up.
pub const PASSPHRASE_TRIES: usize = 3;

/// Why [`with_passphrase`] gave up: the passphrase could not be read, or `open` refused it.
#[derive(Debug)]
pub enum PassphraseError<E> {
    Input(InputError),
    Open(E),
}

/// Runs `open` with the inventory passphrase (as [`passphrase`] reads it). Typed at the
/// prompt, a wrong one (as `wrong` tells) may be typed again, [`PASSPHRASE_TRIES`] times in
/// all; from a file there is one try, since reading the same file again gives the same answer.
pub fn with_passphrase<T, E: std::fmt::Display>(
    passphrase_file: Option<&Path>,
    mut open: impl FnMut(&SecretString) -> Result<T, E>,
    wrong: impl Fn(&E) -> bool,
) -> Result<T, PassphraseError<E>> {
    let from_file = passphrase_file.is_some() || std::env::var_os(PASSPHRASE_FILE_ENV).is_some();
    let mut tries_left = if from_file { 1 } else { PASSPHRASE_TRIES };
    loop {
        let secret = passphrase(passphrase_file).map_err(PassphraseError::Input)?;
        tries_left -= 1;
        match open(&secret) {
            Ok(opened) => return Ok(opened),
            Err(error) if wrong(&error) && tries_left > 0 => {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "tokendist: {error}; try again ({tries_left} {} left)",
                    if tries_left == 1 { "try" } else { "tries" }
                );
            }
            Err(error) => return Err(PassphraseError::Open(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passphrase_rules_are_shared_by_both_front_ends() {
        let s = SecretString::from;
        assert_eq!(
            check_new_passphrase(&s(""), None, None),
            Err(NewPassphraseError::Empty)
        );
        assert_eq!(
            check_new_passphrase(&s("abc"), Some(&s("abd")), None),
            Err(NewPassphraseError::Differ)
        );
        assert_eq!(
            check_new_passphrase(&s("same"), None, Some(&s("same"))),
            Err(NewPassphraseError::Unchanged)
        );
        assert_eq!(check_new_passphrase(&s("short"), None, None), Ok(true));
        let long = s("a passphrase of some length");
        assert_eq!(
            check_new_passphrase(&long, Some(&long), Some(&s("old"))),
            Ok(false)
        );
    }

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
