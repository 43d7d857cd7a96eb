//! `tokendist sdtid inspect|code|issue`: single SDTID files from the command line.
//!
//! Library errors become one-line messages here, prefixed with the file they concern. Nothing
//! secret is ever printed except the seed, and that only with `inspect --show-seed`.

use super::{CliError, IssueArgs, PasswordSource, SdtidCommand, secrets};
use crate::sdtid::{
    self, Batch, BatchHeader, DecryptedBatch, MacVerdict, Protection, SdtidError, SdtidToken,
    SignatureKind, TokenAttributes, UserInfo, Verification,
};
use crate::secret::{SecretString, Seed};
use crate::token::tokencode::{MAX_UNIX_SECONDS, MIN_UNIX_SECONDS};
use crate::token::{Digits, Interval, KeySize, PinMode, Serial, tokencode};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use time::{Date, OffsetDateTime};
use zeroize::Zeroize;

pub fn run(command: SdtidCommand) -> Result<(), CliError> {
    match command {
        SdtidCommand::Inspect {
            file,
            password,
            json,
            show_seed,
        } => inspect(&file, &password, json, show_seed),
        SdtidCommand::Code {
            file,
            password,
            time,
            pin,
        } => code(&file, &password, time, pin.as_deref()),
        SdtidCommand::Issue(args) => issue(args),
    }
}

fn file_error(path: &Path, error: impl std::fmt::Display) -> CliError {
    CliError::failed(printable(&format!("{}: {error}", path.display())))
}

/// Text from an untrusted file made safe for a terminal: control characters (which could drive
/// the terminal) are shown as escapes.
fn printable(text: &str) -> String {
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

// ---------------------------------------------------------------------------------------------
// code

fn code(
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
            eprintln!(
                "tokendist: note: PIN ignored: token {} has PIN mode {}, which does not add a PIN into the code",
                token.serial,
                a.pin_mode.get()
            );
            None
        }
        other => other,
    };
    if now >= expiry(a.death) {
        eprintln!(
            "tokendist: warning: token {} expired at the end of {}",
            token.serial,
            sdtid::format_date(a.death)
        );
    }
    let code = tokencode(&token.seed, &token.serial, a.digits, a.interval, pin, now);
    println!("{code}");
    Ok(())
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

// ---------------------------------------------------------------------------------------------
// inspect

fn verdict(protection_unknown: bool, verdict: MacVerdict) -> &'static str {
    match (protection_unknown, verdict) {
        (true, _) => "unknown",
        (false, MacVerdict::Valid) => "valid",
        (false, MacVerdict::Invalid) => "invalid",
    }
}

fn status(outcome: &Result<(), SdtidError>) -> &'static str {
    match outcome {
        Ok(()) => "ok",
        Err(SdtidError::PasswordRequired) => "password-required",
        Err(SdtidError::WrongPassword) => "wrong-password",
        Err(SdtidError::HeaderCorrupt) => "header-damaged",
        Err(SdtidError::TokenCorrupt { .. }) => "token-damaged",
        Err(_) => "error",
    }
}

fn signature_text(kind: SignatureKind) -> &'static str {
    match kind {
        SignatureKind::TokendistMatching => "tokendist-matching",
        SignatureKind::TokendistMismatch => "tokendist-mismatch",
        SignatureKind::Other => "other",
        SignatureKind::Absent => "absent",
    }
}

const OVERRIDABLE: [&str; 8] = [
    "Birth",
    "Death",
    "Digits",
    "Interval",
    "Alg",
    "AddPIN",
    "LocalPIN",
    "CopyProtection",
];

fn inspect(
    path: &Path,
    source: &PasswordSource,
    as_json: bool,
    show_seed: bool,
) -> Result<(), CliError> {
    let batch = read_batch(path)?;
    let mut password: Option<SecretString> = None;
    let verification = with_password(
        source,
        |p| {
            password = p.cloned();
            batch.verify(p)
        },
        |v: &Verification| matches!(v.outcome, Err(SdtidError::PasswordRequired)),
    )?;
    let seeds: Vec<Option<Seed>> = match (&verification.outcome, show_seed) {
        (Ok(()), true) => batch
            .decrypt(password.as_ref())
            .map_err(|e| file_error(path, e))?
            .tokens
            .into_iter()
            .map(|t| Some(t.seed))
            .collect(),
        _ => vec![None; batch.token_count()],
    };
    drop(password);
    let report = inspection_json(path, &batch, &verification, &seeds, show_seed);
    let mut stdout = std::io::stdout().lock();
    let written = if as_json {
        writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        )
    } else {
        stdout.write_all(inspection_text(&report).as_bytes())
    };
    written.map_err(|e| CliError::failed(format!("cannot write to standard output: {e}")))?;
    match verification.outcome {
        Ok(()) => Ok(()),
        Err(error) => Err(file_error(path, describe_failure(&error))),
    }
}

/// The inspection report as JSON (its shape is documented in docs/format.md).
fn inspection_json(
    path: &Path,
    batch: &Batch,
    verification: &Verification,
    seeds: &[Option<Seed>],
    show_seed: bool,
) -> Value {
    let unknown = matches!(verification.outcome, Err(SdtidError::PasswordRequired));
    let header = batch.header();
    let tokens: Vec<Value> = batch
        .tokens()
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let a = &t.attributes;
            let overrides: Vec<&str> = OVERRIDABLE
                .iter()
                .copied()
                .filter(|f| batch.attribute_source(i, f) == Some(sdtid::Source::Token))
                .collect();
            let mut token = json!({
                "serial": t.serial.as_str(),
                "sn_as_written": t.sn_as_written,
                "mac": verdict(unknown, verification.token_macs[i]),
                "digits": a.digits.get(),
                "interval": a.interval.seconds(),
                "pin_mode": a.pin_mode.get(),
                "pin_added_to_code": a.pin_mode.add_pin(),
                "key_bits": a.key_size.bits(),
                "copy_protection": a.copy_protection,
                "birth": sdtid::format_date(a.birth),
                "death": sdtid::format_date(a.death),
                "expires_at": expiry_text(a.death),
                "user_login": t.user.login,
                "first_name": t.user.first_name,
                "last_name": t.user.last_name,
                "device_serial_number": t.device_serial_number,
                "nickname": t.nickname,
                "overrides": overrides,
                "line": t.line,
            });
            if let (Some(Some(seed)), Some(object)) = (seeds.get(i), token.as_object_mut()) {
                object.insert("seed_hex".into(), Value::String(hex(seed.expose())));
            }
            token
        })
        .collect();
    let elements: Vec<Value> = batch
        .elements()
        .into_iter()
        .map(|e| {
            let hidden = e.long_name == "TKN.Seed" && !show_seed;
            json!({
                "name": e.long_name,
                "value": if hidden { Value::Null } else { Value::String(e.value) },
                "line": e.line,
                "token": e.token,
                "known": e.known,
            })
        })
        .collect();
    json!({
        "file": path.display().to_string(),
        "status": status(&verification.outcome),
        "error": verification.outcome.as_ref().err().map(ToString::to_string),
        "protection": match (unknown, verification.protection) {
            (_, Protection::NoPassword) => "none",
            (_, Protection::Password) => "password",
        },
        "header": {
            "origin": header.origin,
            "dest": header.dest,
            "name": header.name,
            "mac": verdict(unknown, verification.header_mac),
        },
        "signature": signature_text(batch.signature_kind()),
        "token_count": batch.token_count(),
        "tokens": tokens,
        "elements": elements,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The human-readable report, built from the same JSON so both views always agree.
fn inspection_text(report: &Value) -> String {
    let s = |v: &Value| {
        printable(
            &v.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string()),
        )
    };
    let mut out = String::new();
    let mut line = |label: &str, value: String| out.push_str(&format!("{label:<16}{value}\n"));
    line("File:", s(&report["file"]));
    line(
        "Protection:",
        match report["protection"].as_str() {
            Some("none") => "none (Origin is the key)".into(),
            _ => "password".into(),
        },
    );
    line("Status:", s(&report["status"]));
    let header = &report["header"];
    line("Origin:", s(&header["origin"]));
    line("Dest:", s(&header["dest"]));
    line("Name:", s(&header["name"]));
    line("Header MAC:", s(&header["mac"]));
    line(
        "Signature:",
        match report["signature"].as_str() {
            Some("tokendist-matching") => "tokendist fingerprint, matches the document".into(),
            Some("tokendist-mismatch") => {
                "tokendist fingerprint, does NOT match the document".into()
            }
            Some("absent") => "none".into(),
            _ => "not ours (not checked; readers never require it)".into(),
        },
    );
    line("Tokens:", s(&report["token_count"]));
    let tokens = report["tokens"].as_array().cloned().unwrap_or_default();
    for (i, t) in tokens.iter().enumerate() {
        out.push_str(&format!("\nToken {} of {}\n", i + 1, tokens.len()));
        let mut line =
            |label: &str, value: String| out.push_str(&format!("  {label:<16}{value}\n"));
        let serial = s(&t["serial"]);
        let written = s(&t["sn_as_written"]);
        line(
            "Serial:",
            if serial == written {
                serial
            } else {
                format!("{serial} (written as {written})")
            },
        );
        line("Token MAC:", s(&t["mac"]));
        line(
            "Algorithm:",
            if t["key_bits"] == 64 {
                "64-bit (no tokencodes)".into()
            } else {
                "128-bit AES".into()
            },
        );
        line("Digits:", s(&t["digits"]));
        line("Interval:", format!("{} s", s(&t["interval"])));
        let pin_note = if t["pin_added_to_code"] == true {
            "PIN added into the code"
        } else {
            "no PIN in the code"
        };
        line("PIN mode:", format!("{} ({pin_note})", s(&t["pin_mode"])));
        line(
            "Copy protected:",
            if t["copy_protection"] == true {
                "yes".into()
            } else {
                "no".into()
            },
        );
        line("Birth:", s(&t["birth"]));
        line(
            "Death:",
            format!("{} (expires {})", s(&t["death"]), s(&t["expires_at"])),
        );
        line("User login:", s(&t["user_login"]));
        line("First name:", s(&t["first_name"]));
        line("Last name:", s(&t["last_name"]));
        line("Device serial:", s(&t["device_serial_number"]));
        line("Nickname:", s(&t["nickname"]));
        let overrides: Vec<String> = t["overrides"]
            .as_array()
            .into_iter()
            .flatten()
            .map(s)
            .collect();
        if !overrides.is_empty() {
            line("Overrides:", overrides.join(", "));
        }
        if let Some(seed) = t.get("seed_hex") {
            line("Seed:", s(seed));
        }
    }
    let unknown: Vec<&Value> = report["elements"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["known"] == false)
        .collect();
    if !unknown.is_empty() {
        out.push_str("\nElements the format does not define (kept, covered by the MACs):\n");
        for e in unknown {
            out.push_str(&format!(
                "  line {:<6}{} = \"{}\"\n",
                s(&e["line"]),
                s(&e["name"]),
                s(&e["value"])
            ));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// issue

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

fn parse_seed_hex(text: &str) -> Result<Seed, CliError> {
    let bytes = text.as_bytes();
    if bytes.len() != 32 || !bytes.iter().all(u8::is_ascii_hexdigit) {
        return Err(usage(
            "--seed-hex",
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

fn issue(mut args: IssueArgs) -> Result<(), CliError> {
    let serial = match &args.serial {
        Some(text) => Serial::parse(text).map_err(|e| usage("--serial", e))?,
        None => random_serial()?,
    };
    let seed = match args.seed_hex.as_mut() {
        Some(text) => {
            let seed = parse_seed_hex(text);
            text.zeroize();
            seed?
        }
        None => {
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes)
                .map_err(|e| CliError::failed(SdtidError::RandomUnavailable(e.to_string())))?;
            let seed = Seed::new(bytes);
            bytes.zeroize();
            seed
        }
    };
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
    println!("{serial}");
    Ok(())
}

/// Writes `bytes` to `path` with mode 0600: into a temporary file in the same directory, then
/// renamed into place, so a reader never sees a half-written file. Without `replace`, an
/// existing file is never overwritten.
fn write_private_file(path: &Path, bytes: &[u8], replace: bool) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".tokendist-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| {
            file_error(
                path,
                format!("cannot create a file in {}: {e}", dir.display()),
            )
        })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| file_error(path, e))?;
    }
    temp.write_all(bytes).map_err(|e| file_error(path, e))?;
    temp.as_file().sync_all().map_err(|e| file_error(path, e))?;
    let persisted = if replace {
        temp.persist(path)
    } else {
        temp.persist_noclobber(path)
    };
    persisted.map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            file_error(path, "already exists (use --force to replace it)")
        } else {
            file_error(path, e.error)
        }
    })?;
    Ok(())
}
