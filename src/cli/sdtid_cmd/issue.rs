//! `sdtid issue`: write one token file (mode 0600, never clobbering without `--force`) and
//! print its serial.

use super::{file_error, password_given};
use crate::cli::{CliError, IssueArgs, PasswordSource, secrets};
use crate::sdtid::{self, BatchHeader, SdtidError, SdtidToken, TokenAttributes, UserInfo};
use crate::secret::{SecretString, Seed};
use crate::secret_input;
use crate::token::{Digits, Interval, KeySize, PinMode, Serial};
use crate::workspace;
use std::path::Path;
use time::{Date, OffsetDateTime};
use zeroize::Zeroize;

fn usage(flag: &str, message: impl std::fmt::Display) -> CliError {
    CliError::usage(format!("{flag}: {message}"))
}

fn random_serial() -> Result<Serial, CliError> {
    const LIMIT: u64 = 10u64.pow(12);
    // Largest multiple of 10^12 that fits in a u64: rejection sampling keeps serials uniform.
    let bound = u64::MAX - u64::MAX % LIMIT;
    loop {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes)
            .map_err(|e| CliError::failed(SdtidError::RandomUnavailable(e.to_string())))?;
        let value = u64::from_le_bytes(bytes);
        if value < bound {
            return Serial::from_value(value % LIMIT).map_err(CliError::failed);
        }
    }
}

fn parse_seed_hex(text: &str, flag: &str) -> Result<Seed, CliError> {
    let bytes = text.as_bytes();
    if bytes.len() != 32 || !bytes.iter().all(u8::is_ascii_hexdigit) {
        return Err(usage(
            flag,
            "must be exactly 32 hexadecimal digits (16 bytes)",
        ));
    }
    let mut seed = [0u8; 16];
    for (i, out) in seed.iter_mut().enumerate() {
        let pair = std::str::from_utf8(&bytes[2 * i..2 * i + 2]).unwrap_or("00");
        *out = u8::from_str_radix(pair, 16).unwrap_or(0);
    }
    let secret = Seed::new(seed);
    seed.zeroize();
    Ok(secret)
}

/// The seed from `--seed-file` (a file or `-` for stdin), else from `--seed-hex` (only with
/// `--insecure-seed-argv`: argv is visible in `ps` and shell history), else random.
fn given_seed(args: &mut IssueArgs) -> Result<Seed, CliError> {
    if let Some(path) = &args.seed_file {
        if path.as_os_str() == "-" && args.password.password_stdin {
            return Err(CliError::usage(
                "--seed-file - and --password-stdin both read standard input; put one of them in a file",
            ));
        }
        let line = if path.as_os_str() == "-" {
            secret_input::read_first_line_of_stdin("the seed")?
        } else {
            secret_input::read_first_line_of_file(path, "the seed")?
        };
        return parse_seed_hex(line.expose().trim(), "--seed-file");
    }
    if let Some(text) = args.seed_hex.as_mut() {
        if !args.insecure_seed_argv {
            text.zeroize();
            return Err(CliError::usage(
                "--seed-hex puts the seed where `ps` and shell history show it; give --seed-file PATH (or --seed-file - for standard input) instead",
            ));
        }
        let seed = parse_seed_hex(text, "--seed-hex");
        text.zeroize();
        return seed;
    }
    Seed::try_random().map_err(|e| CliError::failed(SdtidError::RandomUnavailable(e.to_string())))
}

/// Today + 5 years (same month and day; 29 February becomes 28 February).
fn five_years_after(today: Date) -> Date {
    let year = today.year() + 5;
    Date::from_calendar_date(year, today.month(), today.day())
        .or_else(|_| Date::from_calendar_date(year, today.month(), 28))
        .unwrap_or(today)
}

/// The password for a new file: from the flags, or asked twice on a terminal (empty = none).
fn issue_password(source: &PasswordSource) -> Result<Option<SecretString>, CliError> {
    if password_given(source) {
        return secrets::password(source, "");
    }
    let Some(first) = secrets::prompt("Password for the new file (empty for none): ")? else {
        return Ok(None);
    };
    if first.is_empty() {
        return Ok(None);
    }
    let again = secrets::prompt("Repeat the password: ")?.unwrap_or_default();
    if again != first {
        return Err(CliError::failed(
            "the two passwords differ; nothing was written",
        ));
    }
    Ok(Some(first))
}

fn flag_of(element: &str) -> &str {
    match element {
        "UserLogin" => "--user-login",
        "UserFirstName" => "--first-name",
        "UserLastName" => "--last-name",
        "DeviceSerialNumber" => "--device-id",
        "Nickname" => "--nickname",
        "Death" => "--expires",
        other => other,
    }
}

pub(super) fn issue(mut args: IssueArgs) -> Result<(), CliError> {
    let serial = match &args.serial {
        Some(text) => Serial::parse(text).map_err(|e| usage("--serial", e))?,
        None => random_serial()?,
    };
    let seed = given_seed(&mut args)?;
    let today = OffsetDateTime::now_utc().date();
    let death = match &args.expires {
        Some(text) => sdtid::parse_date("expires", text)
            .map_err(|_| usage("--expires", "must be a date YYYY/MM/DD"))?,
        None => five_years_after(today),
    };
    if death < today {
        return Err(usage(
            "--expires",
            format!("{} is in the past", sdtid::format_date(death)),
        ));
    }
    if !args.force && args.out.exists() {
        return Err(file_error(
            &args.out,
            "already exists (use --force to replace it)",
        ));
    }
    let attributes = TokenAttributes {
        digits: Digits::new(args.digits).map_err(|e| usage("--digits", e))?,
        interval: Interval::new(args.interval).map_err(|e| usage("--interval", e))?,
        pin_mode: PinMode::new(args.pin_mode).map_err(|e| usage("--pin-mode", e))?,
        key_size: KeySize::Bits128,
        copy_protection: true,
        birth: today,
        death,
    };
    // One nickname rule for single files and jobs (the apps show it in a narrow list).
    if let Err(error) = crate::jobs::validate::validate_nickname(args.nickname.as_deref()) {
        return Err(usage("--nickname", error.message));
    }
    let token = SdtidToken {
        serial: serial.clone(),
        seed,
        attributes,
        user: UserInfo {
            login: args.user_login.take().unwrap_or_default(),
            first_name: args.first_name.take().unwrap_or_default(),
            last_name: args.last_name.take().unwrap_or_default(),
        },
        device_serial_number: args.device_id.take().unwrap_or_default(),
        nickname: args.nickname.take().unwrap_or_default(),
    };
    let password = issue_password(&args.password)?;
    if let Some(p) = &password {
        let max = KeySize::Bits128.max_password_chars();
        if p.char_len() > max {
            return Err(CliError::usage(format!(
                "the password is longer than {max} characters"
            )));
        }
    }
    let text = sdtid::write(
        &BatchHeader::default(),
        std::slice::from_ref(&token),
        password.as_ref(),
    )
    .map_err(|e| match e {
        SdtidError::InvalidValue { element, reason } if element != "password" => {
            usage(flag_of(&element), reason)
        }
        SdtidError::InvalidValue { reason, .. } => CliError::usage(format!("password: {reason}")),
        other => CliError::failed(other),
    })?;
    write_private_file(&args.out, text.as_bytes(), args.force)?;
    crate::cli_outln!("{serial}");
    Ok(())
}

/// Writes `bytes` to `path` with mode 0600 (`workspace::write_outside`: an unnamed file,
/// fsync, link into place, fsync of the directory), so a reader never sees a half-written
/// file and a crash leaves no temporary file beside it.
/// Without `replace`, an existing file is never overwritten, not even one that appears after the
/// early check in [`issue`].
fn write_private_file(path: &Path, bytes: &[u8], replace: bool) -> Result<(), CliError> {
    // Unnamed until complete: a crash leaves no temporary file beside the target.
    let written = workspace::write_outside("sdtid.issue", path, bytes, replace);
    written.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            file_error(path, "already exists (use --force to replace it)")
        } else {
            file_error(path, e)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_file_that_appears_after_the_early_check_is_kept_unless_forced() {
        // write_private_file is the guard that counts: the exists() check in issue() only
        // fails fast, a file created between the two must still not be replaced.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("user.sdtid");
        std::fs::write(&path, b"someone else's file").unwrap();
        let error = write_private_file(&path, b"new token", false).unwrap_err();
        assert!(error.to_string().contains("--force"), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), b"someone else's file");
        write_private_file(&path, b"new token", true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new token");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn five_years_keeps_the_day_and_maps_29_february() {
        assert_eq!(
            five_years_after(date!(2026 - 11 - 29)),
            date!(2031 - 11 - 29)
        );
        assert_eq!(
            five_years_after(date!(2028 - 02 - 29)),
            date!(2033 - 02 - 28)
        );
    }

    #[test]
    fn random_serials_have_twelve_digits_and_vary() {
        let serials: std::collections::HashSet<String> = (0..50)
            .map(|_| random_serial().unwrap().to_string())
            .collect();
        assert!(serials.len() > 45);
        assert!(serials.iter().all(|s| s.len() == 12));
    }

    #[test]
    fn seed_hex_is_exactly_sixteen_bytes_of_hex() {
        let seed = parse_seed_hex("00112233445566778899AABBCCDDEEFF", "--seed-hex").unwrap();
        assert_eq!(seed.expose()[15], 0xff);
        for bad in [
            "",
            "0011",
            "00112233445566778899aabbccddeeff00",
            "g0112233445566778899aabbccddeeff",
        ] {
            assert!(
                matches!(parse_seed_hex(bad, "--seed-hex"), Err(CliError::Usage(_))),
                "{bad}"
            );
        }
    }
}
