//! Writing complete documents (spec Appendix B, Appendix D.6) in stoken's layout.
//!
//! The MAC and signing buffers are built from exactly the leaves that are written, in the order
//! they are written, with the same code the reader verifies with.

use super::crypto::{self, BatchKeys, IV_BATCH_MAC, IV_TOKEN_MAC};
use super::mac::{SectionBuffer, append_signing_line};
use super::values::{encode_base64, format_date, invalid};
use super::xml::escape_into;
use super::{BatchHeader, SdtidError, SdtidToken, trailer};
use crate::secret::SecretString;
use crate::token::{Digits, KeySize};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Longest `Name` we write: the password hash uses its first 16 bytes, and whether the vendor's
/// tools treat longer names the same way is unknown (spec §3.3).
pub const MAX_NAME_BYTES: usize = 16;
/// Longest `Origin`, `Dest` and password we write (only 32 bytes enter the password hash).
pub const MAX_KEY_TEXT_BYTES: usize = 32;

/// Header fields that never vary, as stoken writes them.
const FIXED_HEADER_DEFAULTS: [(&str, &str); 4] = [
    ("DefMode", "0"),
    ("DefPrecision", "2400"),
    ("DefSmallWin", "630"),
    ("DefMediumWin", "4320"),
];
const FIXED_HEADER_TAIL: [(&str, &str); 7] = [
    ("DefPinType", "0"),
    ("DefKeypad", "1"),
    ("DefProtLevel", "0"),
    ("DefRevision", "0"),
    ("DefTimeDerivedSeeds", "1"),
    ("DefAppDerivedSeeds", "0"),
    ("DefFormFactor", "20000001"),
];

/// The attributes a `<TKN>` may set for itself over the batch's `<TKNHeader>` default, in the
/// order of spec §1.5: the writer emits a token's overrides in this order, and diagnostics
/// report which of them a file overrides, so both must agree on one list.
pub const PER_TOKEN_ATTRIBUTES: [&str; 8] = [
    "Birth",
    "Death",
    "Digits",
    "Interval",
    "Alg",
    "AddPIN",
    "LocalPIN",
    "CopyProtection",
];

fn flag(value: bool) -> &'static str {
    if value { "1" } else { "0" }
}

/// The written text of each varying attribute of one token, in [`PER_TOKEN_ATTRIBUTES`] order.
fn varying_values(token: &SdtidToken) -> [String; 8] {
    let a = &token.attributes;
    [
        format_date(a.birth),
        format_date(a.death),
        a.digits.get().to_string(),
        a.interval.seconds().to_string(),
        match a.key_size {
            KeySize::Bits128 => "1".into(),
            KeySize::Bits64 => "0".into(),
        },
        flag(a.pin_mode.add_pin()).into(),
        flag(a.pin_mode.local_pin()).into(),
        flag(a.copy_protection).into(),
    ]
}

/// Checks a text value: printable ASCII only (no control characters, no non-ASCII).
fn check_ascii(field: &str, value: &str) -> Result<(), SdtidError> {
    match value.char_indices().find(|(_, c)| !matches!(c, ' '..='~')) {
        None => Ok(()),
        Some((at, c)) if c.is_ascii() => Err(invalid(
            field,
            format!(
                "contains a control character at position {} (only printable ASCII is written)",
                at + 1
            ),
        )),
        Some((at, _)) => Err(invalid(
            field,
            format!(
                "contains a non-ASCII character at position {} (only printable ASCII is written)",
                at + 1
            ),
        )),
    }
}

/// Checks a key-material field (`Origin`, `Dest`, `Name`).
fn check_key_text(field: &str, value: &str, max: usize) -> Result<(), SdtidError> {
    check_ascii(field, value)?;
    if value.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if value.trim() != value {
        return Err(invalid(field, "must not begin or end with whitespace"));
    }
    if value.len() > max {
        return Err(invalid(field, format!("is longer than {max} characters")));
    }
    Ok(())
}

fn check_token(index: usize, token: &SdtidToken) -> Result<(), SdtidError> {
    let serial = token.serial.as_str();
    let at = |e: SdtidError| match e {
        SdtidError::InvalidValue { element, reason } => SdtidError::InvalidValue {
            element,
            reason: format!("{reason} (token {serial}, #{})", index + 1),
        },
        other => other,
    };
    check_ascii("UserLogin", &token.user.login).map_err(at)?;
    check_ascii("UserFirstName", &token.user.first_name).map_err(at)?;
    check_ascii("UserLastName", &token.user.last_name).map_err(at)?;
    check_ascii("DeviceSerialNumber", &token.device_serial_number).map_err(at)?;
    check_ascii("Nickname", &token.nickname).map_err(at)?;
    let a = &token.attributes;
    if a.digits != Digits::SIX && a.digits != Digits::EIGHT {
        return Err(at(invalid("Digits", "must be 6 or 8")));
    }
    for (field, date) in [("Birth", a.birth), ("Death", a.death)] {
        if !(1000..=9999).contains(&date.year()) {
            return Err(at(invalid(field, "year must have four digits")));
        }
    }
    if a.birth > a.death {
        return Err(at(invalid("Birth", "is after Death (the last valid day)")));
    }
    Ok(())
}

/// Picks, for each varying attribute, the value most tokens share (the first one on a tie).
fn most_common(values: &[[String; 8]]) -> [String; 8] {
    std::array::from_fn(|i| {
        // value -> (count, first position)
        let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
        for (pos, row) in values.iter().enumerate() {
            counts.entry(row[i].as_str()).or_insert((0, pos)).0 += 1;
        }
        counts
            .into_iter()
            .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.cmp(&a.1.1)))
            .map(|(value, _)| value.to_owned())
            .unwrap_or_default()
    })
}

/// The `BatchCertificate` text, the same in every file (encoded once per process).
static CERTIFICATE_TEXT: LazyLock<String> =
    LazyLock::new(|| encode_base64(trailer::CERTIFICATE_PLACEHOLDER.as_bytes()));

/// A text value as written: the single space for "no value".
fn written(value: &str) -> &str {
    if value.is_empty() { " " } else { value }
}

/// Buffers a writer can keep from one document to the next (one per worker thread), so
/// writing a file allocates next to nothing. Wiped when dropped: the text and signing buffer
/// hold encrypted seeds, which a `user-id` file protects only as well as a login.
#[derive(Default)]
pub struct WriteScratch {
    text: String,
    mac_buffer: SectionBuffer,
    signing: Vec<u8>,
}

impl WriteScratch {
    pub fn new() -> Self {
        Self::default()
    }

    /// The last document written with [`write_with`].
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Moves the last document into `out` (its old contents dropped) without copying: the two
    /// buffers trade places, so both keep their capacity for the next file.
    pub fn take_text_into(&mut self, out: &mut Vec<u8>) {
        let mut previous = std::mem::replace(out, std::mem::take(&mut self.text).into_bytes());
        previous.clear();
        self.text = String::from_utf8(previous).expect("an empty buffer is UTF-8");
    }
}

impl Drop for WriteScratch {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.text.zeroize();
        self.signing.zeroize();
        self.mac_buffer.clear();
    }
}

/// Accumulates the document text, the MAC buffer of the current section and the signing buffer.
struct Output<'a> {
    text: &'a mut String,
    mac_buffer: &'a mut SectionBuffer,
    signing: &'a mut Vec<u8>,
}

impl Output<'_> {
    fn open(&mut self, depth: usize, name: &str) {
        self.indent(depth);
        self.text.push('<');
        self.text.push_str(name);
        self.text.push_str(">\n");
    }

    fn close(&mut self, depth: usize, name: &str) {
        self.indent(depth);
        self.text.push_str("</");
        self.text.push_str(name);
        self.text.push_str(">\n");
    }

    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.text.push_str("  ");
        }
    }

    /// Writes a leaf and feeds it to the section MAC and the signing buffer.
    fn leaf(&mut self, path: &[&str], name: &str, value: &str) {
        self.mac_buffer.push_leaf(path, name, value);
        self.unhashed_leaf(path, name, value);
    }

    /// Writes a leaf that the section MAC skips (the MAC itself) but the signature covers.
    fn unhashed_leaf(&mut self, path: &[&str], name: &str, value: &str) {
        append_signing_line(self.signing, path, name, value);
        self.indent(path.len() + 1);
        self.text.push('<');
        self.text.push_str(name);
        self.text.push('>');
        escape_into(self.text, value);
        self.text.push_str("</");
        self.text.push_str(name);
        self.text.push_str(">\n");
    }

    fn mac(&mut self, key: &crypto::Key, iv: &[u8; 16]) -> String {
        let mac = crypto::cbc_mac(
            &crypto::cipher(key.expose()),
            iv,
            self.mac_buffer.as_bytes(),
        );
        self.mac_buffer.clear();
        encode_base64(&mac)
    }
}

/// Writes a complete document (see [`super::write`]).
pub fn write(
    header: &BatchHeader,
    tokens: &[SdtidToken],
    password: Option<&SecretString>,
) -> Result<String, SdtidError> {
    let mut scratch = WriteScratch::new();
    write_with(&mut scratch, header, tokens, password)?;
    Ok(std::mem::take(&mut scratch.text))
}

/// [`write`] into reusable buffers: the document is left in `scratch` ([`WriteScratch::text`]).
pub fn write_with(
    scratch: &mut WriteScratch,
    header: &BatchHeader,
    tokens: &[SdtidToken],
    password: Option<&SecretString>,
) -> Result<(), SdtidError> {
    check_key_text("Origin", &header.origin, MAX_KEY_TEXT_BYTES)?;
    check_key_text("Dest", &header.dest, MAX_KEY_TEXT_BYTES)?;
    check_key_text("Name", &header.name, MAX_NAME_BYTES)?;
    let password = password.filter(|p| !p.is_empty());
    if let Some(p) = password {
        if !p.expose().chars().all(|c| matches!(c, ' '..='~')) {
            return Err(invalid("password", "must be printable ASCII"));
        }
        if p.expose().len() > MAX_KEY_TEXT_BYTES {
            return Err(invalid(
                "password",
                format!("is longer than {MAX_KEY_TEXT_BYTES} characters"),
            ));
        }
        if p.expose() == header.origin {
            return Err(invalid(
                "password",
                "equals Origin, so it would protect nothing (readers try Origin first)",
            ));
        }
    }
    if tokens.is_empty() {
        return Err(invalid("TKN", "at least one token is required"));
    }
    for (index, token) in tokens.iter().enumerate() {
        check_token(index, token)?;
    }
    if tokens.len() > 1 {
        let mut seen = HashSet::with_capacity(tokens.len());
        for token in tokens {
            if !seen.insert(token.serial.as_str()) {
                return Err(invalid(
                    "SN",
                    format!("serial {} appears twice in the batch", token.serial),
                ));
            }
        }
    }

    let mut secret = [0u8; 16];
    getrandom::fill(&mut secret).map_err(|e| SdtidError::RandomUnavailable(e.to_string()))?;
    let key_password = password.map_or(header.origin.as_str(), |p| p.expose());
    let key0 = crypto::hash_password(
        key_password.as_bytes(),
        header.dest.as_bytes(),
        header.name.as_bytes(),
    );
    let keys = BatchKeys::new(&key0, header.name.as_bytes(), &secret);

    let values: Vec<[String; 8]> = tokens.iter().map(varying_values).collect();
    // One token (every file of a job): its own values are the defaults, borrowed as they are.
    let counted;
    let defaults = match values.as_slice() {
        [only] => only,
        _ => {
            counted = most_common(&values);
            &counted
        }
    };
    let (first, last, count): (Cow<'_, str>, Cow<'_, str>, Cow<'_, str>) = if tokens.len() == 1 {
        ("N/A".into(), "N/A".into(), "0".into())
    } else {
        (
            tokens[0].serial.as_str().into(),
            tokens[tokens.len() - 1].serial.as_str().into(),
            tokens.len().to_string().into(),
        )
    };

    scratch.text.clear();
    scratch.text.reserve(1600 + 700 * tokens.len());
    scratch.signing.clear();
    scratch.signing.reserve(1100 + 300 * tokens.len());
    scratch.mac_buffer.clear();
    let mut out = Output {
        text: &mut scratch.text,
        mac_buffer: &mut scratch.mac_buffer,
        signing: &mut scratch.signing,
    };
    out.text.push_str("<?xml version=\"1.0\"?>\n");
    out.open(0, "TKNBatch");

    let h: &[&str] = &["TKNHeader"];
    out.open(1, "TKNHeader");
    out.leaf(h, "Version", "0");
    out.leaf(h, "Origin", &header.origin);
    out.leaf(h, "Dest", &header.dest);
    out.leaf(h, "Name", &header.name);
    out.leaf(h, "FirstToken", &first);
    out.leaf(h, "LastToken", &last);
    out.leaf(h, "NumTokens", &count);
    out.leaf(h, "Secret", &encode_base64(&secret));
    for (i, def_name) in ["DefBirth", "DefDeath", "DefDigits", "DefInterval", "DefAlg"]
        .iter()
        .enumerate()
    {
        out.leaf(h, def_name, &defaults[i]);
    }
    for (name, value) in FIXED_HEADER_DEFAULTS {
        out.leaf(h, name, value);
    }
    out.leaf(h, "DefLargeWin", "4320");
    for (i, def_name) in ["DefAddPIN", "DefLocalPIN", "DefCopyProtection"]
        .iter()
        .enumerate()
    {
        out.leaf(h, def_name, &defaults[5 + i]);
    }
    for (name, value) in FIXED_HEADER_TAIL {
        out.leaf(h, name, value);
    }
    let header_mac = out.mac(&keys.batch_mac, &IV_BATCH_MAC);
    out.unhashed_leaf(h, "HeaderMAC", &header_mac);
    out.close(1, "TKNHeader");

    let t: &[&str] = &["TKN"];
    let ta: &[&str] = &["TKN", "TokenAttributes"];
    for (token, values) in tokens.iter().zip(&values) {
        let sn = token.serial.as_str();
        let token_keys = keys.token_keys(sn.as_bytes());
        let encrypted = crypto::seed_xor(
            &token_keys.token_encrypt,
            sn.as_bytes(),
            token.seed.expose(),
        );
        let mut seed_text = String::with_capacity(25);
        seed_text.push('=');
        seed_text.push_str(&encode_base64(encrypted.expose()));

        out.open(1, "TKN");
        out.leaf(t, "SN", sn);
        out.leaf(t, "Seed", &seed_text);
        out.leaf(t, "UserFirstName", written(&token.user.first_name));
        out.leaf(t, "UserLastName", written(&token.user.last_name));
        out.leaf(t, "UserLogin", written(&token.user.login));
        for (i, name) in PER_TOKEN_ATTRIBUTES.iter().enumerate() {
            if values[i] != defaults[i] {
                out.leaf(t, name, &values[i]);
            }
        }
        out.open(2, "TokenAttributes");
        out.leaf(
            ta,
            "DeviceSerialNumber",
            written(&token.device_serial_number),
        );
        out.leaf(ta, "Nickname", written(&token.nickname));
        out.close(2, "TokenAttributes");
        let token_mac = out.mac(&token_keys.token_mac, &IV_TOKEN_MAC);
        out.unhashed_leaf(t, "TokenMAC", &token_mac);
        out.close(1, "TKN");
    }

    let tr: &[&str] = &["TKNTrailer"];
    let signature = encode_base64(&trailer::signature(out.signing));
    out.open(1, "TKNTrailer");
    out.unhashed_leaf(tr, "BatchSignature", &signature);
    out.unhashed_leaf(tr, "BatchCertificate", &CERTIFICATE_TEXT);
    out.close(1, "TKNTrailer");
    out.close(0, "TKNBatch");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_common_prefers_the_majority_then_the_first() {
        let row = |d: &str| -> [String; 8] {
            std::array::from_fn(|i| if i == 2 { d.to_owned() } else { "x".into() })
        };
        assert_eq!(most_common(&[row("6"), row("8"), row("8")])[2], "8");
        assert_eq!(most_common(&[row("6"), row("8")])[2], "6");
        assert_eq!(
            most_common(&[row("8"), row("6"), row("6"), row("8")])[2],
            "8"
        );
    }

    #[test]
    fn ascii_check_names_the_field_and_position() {
        let error = check_ascii("Nickname", "Jos\u{e9}")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("<Nickname>") && error.contains("position 4"),
            "{error}"
        );
        assert!(check_ascii("UserLogin", "a\tb").is_err());
        assert!(check_ascii("UserLogin", "a b~").is_ok());
        assert!(check_key_text("Origin", " x", 32).is_err());
        assert!(check_key_text("Origin", "", 32).is_err());
        assert!(check_key_text("Name", "12345678901234567", 16).is_err());
    }
}
