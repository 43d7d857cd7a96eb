//! `sdtid inspect`: fields, per-MAC verdicts, protection and unknown elements, as text or JSON.
//! Both views are built from one JSON value so they always agree; its shape is documented in
//! docs/format.md.

use super::{describe_failure, expiry_text, file_error, printable, read_batch, with_password};
use crate::cli::{CliError, PasswordSource};
use crate::sdtid::{self, Batch, MacVerdict, Protection, SdtidError, SignatureKind, Verification};
use crate::secret::{SecretString, Seed};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;

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

pub(super) fn inspect(
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
            let overrides: Vec<&str> = sdtid::PER_TOKEN_ATTRIBUTES
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
            // Any leaf called `Seed`, not only `TKN.Seed`: the reader finds a token's seed
            // wherever it sits inside the `TKN`, and the encrypted seed of a password-less file
            // is as good as the seed.
            let hidden = e.name == "Seed" && !show_seed;
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
