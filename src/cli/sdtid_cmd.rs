//! `tokendist sdtid inspect|code|issue`: single SDTID files from the command line.
//!
//! Library errors become one-line messages here, prefixed with the file they concern. Nothing
//! secret is ever printed except the seed, and that only with `inspect --show-seed`. One file
//! per command (`code`, `inspect`, `issue`); this one holds what they share: reading a file
//! within the size limit, getting a password, and making untrusted text safe for a terminal.

mod code;
mod inspect;
mod issue;

use super::{CliError, PasswordSource, SdtidCommand, secrets};
use crate::sdtid::{self, Batch, DecryptedBatch, SdtidError};
use crate::secret::SecretString;
use std::path::Path;
use time::Date;

pub fn run(command: SdtidCommand) -> Result<(), CliError> {
    match command {
        SdtidCommand::Inspect {
            file,
            password,
            json,
            show_seed,
        } => inspect::inspect(&file, &password, json, show_seed),
        SdtidCommand::Code {
            file,
            password,
            time,
            pin,
        } => code::code(&file, &password, time, pin.as_deref()),
        SdtidCommand::Issue(args) => issue::issue(args),
    }
}

fn file_error(path: &Path, error: impl std::fmt::Display) -> CliError {
    CliError::failed(printable(&format!("{}: {error}", path.display())))
}

/// Text from an untrusted file made safe for a terminal: control characters (which could drive
/// the terminal) are shown as escapes.
pub(crate) fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Reads and parses a token file. A regular file over the size limit is refused before it is
/// read; anything else (a FIFO, a device) is read up to one byte past the limit, so no input
/// can exhaust memory.
fn read_batch(path: &Path) -> Result<Batch, CliError> {
    use std::io::Read;
    let limit = sdtid::MAX_DOCUMENT_BYTES as u64;
    let too_large = |size: u64| {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        file_error(
            path,
            SdtidError::TooLarge {
                size,
                limit: sdtid::MAX_DOCUMENT_BYTES,
            },
        )
    };
    let file = std::fs::File::open(path).map_err(|e| file_error(path, e))?;
    if let Ok(metadata) = file.metadata()
        && metadata.is_file()
        && metadata.len() > limit
    {
        return Err(too_large(metadata.len()));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| file_error(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    sdtid::parse(&bytes).map_err(|e| file_error(path, e))
}

fn password_given(source: &PasswordSource) -> bool {
    source.password_stdin || source.password_file.is_some()
}

/// The password from `--password-stdin` / `--password-file`, if one of them was given.
fn explicit_password(source: &PasswordSource) -> Result<Option<SecretString>, CliError> {
    if password_given(source) {
        secrets::password(source, "")
    } else {
        Ok(None)
    }
}

/// Runs `check` with the explicit password (or none); if the file turns out to need a password
/// and none was given, asks on the terminal (when there is one) and runs it again.
fn with_password<T>(
    source: &PasswordSource,
    mut check: impl FnMut(Option<&SecretString>) -> T,
    needs_password: impl Fn(&T) -> bool,
) -> Result<T, CliError> {
    let given = explicit_password(source)?;
    let result = check(given.as_ref());
    if given.is_none()
        && needs_password(&result)
        && let Some(prompted) = secrets::prompt("Password: ")?
    {
        return Ok(check(Some(&prompted)));
    }
    Ok(result)
}

fn describe_failure(error: &SdtidError) -> String {
    match error {
        SdtidError::PasswordRequired => {
            format!(
                "{error} (give --password-stdin or --password-file, or run on a terminal to be asked)"
            )
        }
        other => other.to_string(),
    }
}

fn decrypt(
    path: &Path,
    batch: &Batch,
    source: &PasswordSource,
) -> Result<DecryptedBatch, CliError> {
    with_password(
        source,
        |p| batch.decrypt(p),
        |r| matches!(r, Err(SdtidError::PasswordRequired)),
    )?
    .map_err(|e| file_error(path, describe_failure(&e)))
}

/// Unix time at which a token whose last valid day is `death` expires (the next midnight UTC).
fn expiry(death: Date) -> i64 {
    death
        .next_day()
        .map_or(i64::MAX, |d| d.midnight().assume_utc().unix_timestamp())
}

fn expiry_text(death: Date) -> String {
    match death.next_day() {
        Some(day) => format!("{}T00:00:00Z", day),
        None => "never".into(),
    }
}
