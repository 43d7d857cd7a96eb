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

/// Text from an untrusted file made safe for a terminal (the CLI's one escaping function).
pub(crate) fn printable(text: &str) -> String {
    crate::cli::output::printable(text).into_owned()
}

/// Largest file `sdtid inspect` and `sdtid code` read: 64 MiB, about 170,000 tokens of a
/// vendor record file. Parsing holds the document in memory (about nine times the file, as
/// `tokens import` does), so this bounds what a file can make these commands allocate.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads and parses a token file. A regular file over [`MAX_FILE_BYTES`] is refused before it
/// is read; anything else (a FIFO, a device) is read up to one byte past the limit, so no
/// input can exhaust memory.
fn read_batch(path: &Path) -> Result<Batch, CliError> {
    use std::io::Read;
    let limit = MAX_FILE_BYTES.min(sdtid::MAX_DOCUMENT_BYTES as u64);
    let too_large = |size: Option<u64>| {
        let size = match size {
            Some(size) => format!("{:.1} MiB", size as f64 / (1024.0 * 1024.0)),
            None => "larger than that".into(),
        };
        file_error(
            path,
            format!(
                "the file is {size}, over the {} MiB limit for token files (a record file that large would hold over 100,000 tokens: split it)",
                limit / (1024 * 1024)
            ),
        )
    };
    let file = std::fs::File::open(path).map_err(|e| file_error(path, e))?;
    if let Ok(metadata) = file.metadata()
        && metadata.is_file()
        && metadata.len() > limit
    {
        return Err(too_large(Some(metadata.len())));
    }
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| file_error(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(None));
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
