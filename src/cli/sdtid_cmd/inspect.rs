//! `sdtid inspect`: fields, per-MAC verdicts, protection and unknown elements, as text or JSON.
//! Both views are built from the same JSON values so they always agree (the shape is documented
//! in docs/format.md), one token and one element at a time: the report is streamed, never held.

use super::{describe_failure, expiry_text, file_error, printable, read_batch, with_password};
use crate::cli::{CliError, PasswordSource};
use crate::sdtid::{
    self, Batch, MacVerdict, Protection, RawElement, SdtidError, SignatureKind, Verification,
};
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
    let report = Report {
        path,
        batch: &batch,
        verification: &verification,
        seeds: &seeds,
        show_seed,
    };
    // Streamed token by token and element by element: a 20,000-token file is never held as
    // one report (that took about 22 KB per token).
    let mut out = std::io::BufWriter::with_capacity(1 << 16, crate::cli::output::stdout());
    let written = if as_json {
        report.write_json(&mut out)
    } else {
        report.write_text(&mut out)
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| CliError::failed(format!("cannot write to standard output: {e}")))?;
    match verification.outcome {
        Ok(()) => Ok(()),
        Err(error) => Err(file_error(path, describe_failure(&error))),
    }
}

/// What the report is made of; its parts are built one at a time as they are written.
struct Report<'a> {
    path: &'a Path,
    batch: &'a Batch,
    verification: &'a Verification,
    seeds: &'a [Option<Seed>],
    show_seed: bool,
}

impl Report<'_> {
    fn protection_unknown(&self) -> bool {
        matches!(self.verification.outcome, Err(SdtidError::PasswordRequired))
    }

    /// The report's top-level fields other than `tokens` and `elements` (its shape is
    /// documented in docs/format.md).
    fn summary(&self) -> Vec<(&'static str, Value)> {
        let unknown = self.protection_unknown();
        let verification = self.verification;
        let header = self.batch.header();
        vec![
            ("file", json!(self.path.display().to_string())),
            ("status", json!(status(&verification.outcome))),
            (
                "error",
                json!(verification.outcome.as_ref().err().map(ToString::to_string)),
            ),
            (
                "protection",
                json!(match verification.protection {
                    Protection::NoPassword => "none",
                    Protection::Password => "password",
                }),
            ),
            (
                "header",
                json!({
                    "origin": header.origin,
                    "dest": header.dest,
                    "name": header.name,
                    "mac": verdict(unknown, verification.header_mac),
                }),
            ),
            (
                "signature",
                json!(signature_text(self.batch.signature_kind())),
            ),
            ("token_count", json!(self.batch.token_count())),
        ]
    }

    fn token(&self, i: usize) -> Value {
        let unknown = self.protection_unknown();
        let t = &self.batch.tokens()[i];
        let a = &t.attributes;
        let overrides: Vec<&str> = sdtid::PER_TOKEN_ATTRIBUTES
            .iter()
            .copied()
            .filter(|f| self.batch.attribute_source(i, f) == Some(sdtid::Source::Token))
            .collect();
        let mut token = json!({
            "serial": t.serial.as_str(),
            "sn_as_written": t.sn_as_written,
            "mac": verdict(unknown, self.verification.token_macs[i]),
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
        if let (Some(Some(seed)), Some(object)) = (self.seeds.get(i), token.as_object_mut()) {
            object.insert("seed_hex".into(), Value::String(hex(seed.expose())));
        }
        token
    }

    fn element(&self, e: RawElement) -> Value {
        // Any leaf called `Seed`, not only `TKN.Seed`: the reader finds a token's seed
        // wherever it sits inside the `TKN`, and the encrypted seed of a password-less file
        // is as good as the seed.
        let hidden = e.name == "Seed" && !self.show_seed;
        json!({
            "name": e.long_name,
            "value": if hidden { Value::Null } else { Value::String(e.value) },
            "line": e.line,
            "token": e.token,
            "known": e.known,
        })
    }

    /// One JSON object, pretty-printed, written part by part.
    fn write_json(&self, out: &mut impl Write) -> std::io::Result<()> {
        out.write_all(b"{")?;
        for (key, value) in self.summary() {
            write!(out, "\n  {}: ", Value::from(key))?;
            write_indented(out, &value, "  ")?;
            out.write_all(b",")?;
        }
        out.write_all(b"\n  \"tokens\": [")?;
        for i in 0..self.batch.token_count() {
            out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
            write_indented(out, &self.token(i), "    ")?;
        }
        if self.batch.token_count() > 0 {
            out.write_all(b"\n  ")?;
        }
        out.write_all(b"],\n  \"elements\": [")?;
        let mut first = true;
        let mut result = Ok(());
        self.batch.for_each_element(|e| {
            if result.is_err() {
                return;
            }
            let separator: &[u8] = if first { b"\n    " } else { b",\n    " };
            first = false;
            result = out
                .write_all(separator)
                .and_then(|()| write_indented(out, &self.element(e), "    "));
        });
        result?;
        if !first {
            out.write_all(b"\n  ")?;
        }
        out.write_all(b"]\n}\n")
    }

    /// The human-readable report, from the same values as the JSON so both views agree.
    fn write_text(&self, out: &mut impl Write) -> std::io::Result<()> {
        let summary: serde_json::Map<String, Value> = self
            .summary()
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect();
        out.write_all(summary_text(&Value::Object(summary)).as_bytes())?;
        let count = self.batch.token_count();
        for i in 0..count {
            out.write_all(token_text(i, count, &self.token(i)).as_bytes())?;
        }
        let mut heading = false;
        let mut result = Ok(());
        self.batch.for_each_element(|e| {
            if e.known || result.is_err() {
                return;
            }
            let element = self.element(e);
            let mut text = String::new();
            if !heading {
                heading = true;
                text.push_str(
                    "\nElements the format does not define (kept, covered by the MACs):\n",
                );
            }
            text.push_str(&format!(
                "  line {:<6}{} = \"{}\"\n",
                s(&element["line"]),
                s(&element["name"]),
                s(&element["value"])
            ));
            result = out.write_all(text.as_bytes());
        });
        result
    }
}

/// Writes `value` pretty-printed, its continuation lines indented by `indent`.
fn write_indented(out: &mut impl Write, value: &Value, indent: &str) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    let mut lines = text.split('\n');
    if let Some(first) = lines.next() {
        out.write_all(first.as_bytes())?;
    }
    for line in lines {
        out.write_all(b"\n")?;
        out.write_all(indent.as_bytes())?;
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A report value as terminal text (escaped: it may come from the file).
fn s(v: &Value) -> String {
    printable(
        &v.as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| v.to_string()),
    )
}

/// The report's opening lines, from the summary values.
fn summary_text(report: &Value) -> String {
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
    out
}

/// One token's block of the text report.
fn token_text(i: usize, count: usize, t: &Value) -> String {
    let mut out = format!("\nToken {} of {}\n", i + 1, count);
    let mut line = |label: &str, value: String| out.push_str(&format!("  {label:<16}{value}\n"));
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
    out
}
