//! `sdtid code`: the tokencode of a single-token file, and nothing else on stdout.

use super::{decrypt, expiry, file_error, read_batch};
use crate::cli::{CliError, PasswordSource};
use crate::sdtid::{self, SdtidError};
use crate::token::tokencode::{MAX_UNIX_SECONDS, MIN_UNIX_SECONDS};
use crate::token::{KeySize, tokencode};
use std::path::Path;
use time::OffsetDateTime;

pub(super) fn code(
    path: &Path,
    source: &PasswordSource,
    at: Option<i64>,
    pin: Option<&str>,
) -> Result<(), CliError> {
    if let Some(pin) = pin
        && (!(4..=8).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(CliError::usage("--pin: a PIN is 4 to 8 decimal digits"));
    }
    let now = at.unwrap_or_else(|| OffsetDateTime::now_utc().unix_timestamp());
    if !(MIN_UNIX_SECONDS..=MAX_UNIX_SECONDS).contains(&now) {
        return Err(CliError::usage(format!(
            "--time: must be between {MIN_UNIX_SECONDS} and {MAX_UNIX_SECONDS} (years 0000 to 9999)"
        )));
    }
    let batch = read_batch(path)?;
    if batch.token_count() != 1 {
        return Err(file_error(
            path,
            format!(
                "the file holds {} tokens; `sdtid code` works on single-token files",
                batch.token_count()
            ),
        ));
    }
    let decrypted = decrypt(path, &batch, source)?;
    let token = &decrypted.tokens[0];
    let a = &token.attributes;
    if a.key_size == KeySize::Bits64 {
        return Err(file_error(
            path,
            SdtidError::Unsupported64Bit {
                serial: token.serial.to_string(),
            },
        ));
    }
    let pin = match pin {
        Some(_) if !a.pin_mode.add_pin() => {
            crate::cli_errln!(
                "tokendist: note: PIN ignored: token {} has PIN mode {}, which does not add a PIN into the code",
                token.serial,
                a.pin_mode.get()
            );
            None
        }
        other => other,
    };
    if now >= expiry(a.death) {
        crate::cli_errln!(
            "tokendist: warning: token {} expired at the end of {}",
            token.serial,
            sdtid::format_date(a.death)
        );
    }
    let code = tokencode(&token.seed, &token.serial, a.digits, a.interval, pin, now);
    crate::cli_outln!("{code}");
    Ok(())
}
