//! Proving that a file we just wrote says what we meant: a second, independent reading of a
//! one-token document, for the job engine's per-file check.
//!
//! [`super::parse`] builds a general element tree for untrusted files of any size; doing that
//! for each of a million small files we wrote ourselves was a third of a job's time. This
//! checker scans the bytes once, borrowing from them (only leaves with entities are decoded,
//! into a reused buffer), builds the two MAC buffers as it goes with the same placement rule
//! the reader uses, and keeps no tree. It is independent of the writer's state: it derives the
//! keys again from the password and the header it reads, checks the header and token MACs,
//! decrypts the seed and compares serial, seed, attributes, user, binding and nickname with
//! what the file was meant to hold.
//!
//! It accepts the XML our writer produces (declaration, nested elements, text with the five
//! predefined entities and character references) and refuses anything else (attributes,
//! comments, CDATA, a second token) as malformed: for our own output that is a failure worth
//! stopping a job for, never a reason to accept a file.

use super::crypto::{self, BatchKeys, IV_BATCH_MAC, IV_TOKEN_MAC};
use super::mac::SectionBuffer;
use super::values::{self, trim_key_material};
use super::{BatchHeader, SdtidError, SdtidToken, TokenAttributes};
use crate::secret::SecretString;
use crate::token::{Digits, Interval, KeySize, PinMode, Serial};

/// Why a written file does not check out. Never carries a seed, password or file text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("the file is not well-formed as written: {0}")]
    Malformed(&'static str),
    #[error("<{0}> is missing")]
    Missing(&'static str),
    #[error("<{0}> appears twice")]
    Duplicate(&'static str),
    #[error(transparent)]
    Value(#[from] SdtidError),
    #[error("the HeaderMAC does not verify")]
    HeaderMac,
    #[error("the TokenMAC does not verify")]
    TokenMac,
    #[error("the file holds a different {0} than was written")]
    Mismatch(&'static str),
}

/// The fields the check reads, by position in [`FIELDS`].
const FIELDS: [&str; 25] = [
    // header
    "Origin",
    "Dest",
    "Name",
    "Secret",
    "HeaderMAC",
    "DefBirth",
    "DefDeath",
    "DefDigits",
    "DefInterval",
    "DefAlg",
    "DefAddPIN",
    "DefLocalPIN",
    "DefCopyProtection",
    // token
    "SN",
    "Seed",
    "TokenMAC",
    "UserLogin",
    "UserFirstName",
    "UserLastName",
    "Birth",
    "Death",
    "Digits",
    "Interval",
    "Alg",
    "AddPIN",
];
/// Token fields that do not fit the table above (kept apart to keep indices readable).
const MORE_TOKEN_FIELDS: [&str; 4] = [
    "LocalPIN",
    "CopyProtection",
    "DeviceSerialNumber",
    "Nickname",
];
const HEADER_FIELDS: usize = 13;
const SLOTS: usize = FIELDS.len() + MORE_TOKEN_FIELDS.len();

fn slot(section: Section, name: &str) -> Option<usize> {
    let (range, first) = match section {
        Section::Header => (0..HEADER_FIELDS, 0),
        Section::Token => (HEADER_FIELDS..FIELDS.len(), HEADER_FIELDS),
        Section::TokenAttributes => {
            return MORE_TOKEN_FIELDS[2..]
                .iter()
                .position(|field| *field == name)
                .map(|at| FIELDS.len() + 2 + at);
        }
        Section::Trailer => return None,
    };
    if let Some(at) = FIELDS[range].iter().position(|field| *field == name) {
        return Some(first + at);
    }
    if section == Section::Token {
        return MORE_TOKEN_FIELDS[..2]
            .iter()
            .position(|field| *field == name)
            .map(|at| FIELDS.len() + at);
    }
    None
}

fn field_name(slot: usize) -> &'static str {
    if slot < FIELDS.len() {
        FIELDS[slot]
    } else {
        MORE_TOKEN_FIELDS[slot - FIELDS.len()]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Header,
    Token,
    TokenAttributes,
    Trailer,
}

/// Where a leaf's text is: in the document (no entity) or in the decoded buffer.
#[derive(Debug, Clone, Copy)]
enum Span {
    Document(u32, u32),
    Decoded(u32, u32),
}

/// Buffers the checker reuses from one file to the next (one per worker thread).
#[derive(Default)]
pub struct CheckScratch {
    decoded: String,
    header: SectionBuffer,
    token: SectionBuffer,
    spans: Vec<Option<Span>>,
}

impl CheckScratch {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Drop for CheckScratch {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.decoded.zeroize();
        self.header.clear();
        self.token.clear();
    }
}

/// The leaves found, as spans into the document or the decoded buffer.
struct Fields<'a> {
    document: &'a str,
    decoded: &'a str,
    spans: &'a [Option<Span>],
}

impl<'a> Fields<'a> {
    fn get(&self, slot: usize) -> Option<&'a str> {
        self.spans[slot].map(|span| match span {
            Span::Document(start, end) => &self.document[start as usize..end as usize],
            Span::Decoded(start, end) => &self.decoded[start as usize..end as usize],
        })
    }

    fn required(&self, slot: usize) -> Result<&'a str, CheckError> {
        self.get(slot).ok_or(CheckError::Missing(field_name(slot)))
    }

    /// A token attribute: the token's own value, else the header's `Def` value.
    fn attribute(&self, token_slot: usize, header_slot: usize) -> Result<&'a str, CheckError> {
        self.get(token_slot)
            .or_else(|| self.get(header_slot))
            .ok_or(CheckError::Missing(field_name(header_slot)))
    }

    /// A user-facing text: absent or the single space reads as empty.
    fn user_text(&self, slot: usize) -> &'a str {
        match self.get(slot) {
            None | Some(" ") => "",
            Some(text) => text,
        }
    }
}

/// Checks that `document` is a one-token file that, read with `password` under `header`,
/// holds exactly `expected`: both MACs verify with keys derived afresh, the seed decrypts to
/// the expected seed, and every attribute, user field, DeviceSerialNumber and Nickname match.
pub fn check_written(
    scratch: &mut CheckScratch,
    document: &[u8],
    header: &BatchHeader,
    expected: &SdtidToken,
    password: Option<&SecretString>,
) -> Result<(), CheckError> {
    let text = std::str::from_utf8(document).map_err(|_| CheckError::Malformed("not UTF-8"))?;
    let CheckScratch {
        decoded,
        header: header_buffer,
        token: token_buffer,
        spans,
    } = scratch;
    scan(text, decoded, header_buffer, token_buffer, spans)?;
    let fields = Fields {
        document: text,
        decoded: decoded.as_str(),
        spans: spans.as_slice(),
    };
    verify(
        &fields,
        header_buffer,
        token_buffer,
        header,
        expected,
        password,
    )
}

const DECLARATION_END: &str = "?>";

/// One pass over the document: checks the structure, records where each known leaf's text is
/// and feeds every leaf except the MACs to its section's MAC buffer.
fn scan(
    text: &str,
    decoded: &mut String,
    header_buffer: &mut SectionBuffer,
    token_buffer: &mut SectionBuffer,
    spans: &mut Vec<Option<Span>>,
) -> Result<(), CheckError> {
    decoded.clear();
    header_buffer.clear();
    token_buffer.clear();
    spans.clear();
    spans.resize(SLOTS, None);
    if text.len() > u32::MAX as usize {
        return Err(CheckError::Malformed("too large"));
    }
    let bytes = text.as_bytes();
    let mut at = 0usize;
    if text.starts_with("<?xml") {
        at = text
            .find(DECLARATION_END)
            .ok_or(CheckError::Malformed("the XML declaration does not end"))?
            + DECLARATION_END.len();
    }
    // Open elements: names borrowed from the document.
    let mut stack: [&str; 4] = [""; 4];
    let mut depth = 0usize;
    let mut sections = [0usize; 3]; // header, tokens, trailers seen
    let mut root_closed = false;
    loop {
        // Text before the next tag: only whitespace is allowed outside a leaf.
        let Some(offset) = text[at..].find('<') else {
            if text[at..].bytes().all(|b| b.is_ascii_whitespace()) {
                break;
            }
            return Err(CheckError::Malformed("text after the document"));
        };
        if !bytes[at..at + offset].iter().all(u8::is_ascii_whitespace) {
            return Err(CheckError::Malformed("text between elements"));
        }
        at += offset;
        let (name, closing, end) = tag(text, at)?;
        at = end;
        if closing {
            if depth == 0 || stack[depth - 1] != name {
                return Err(CheckError::Malformed("an end tag does not match"));
            }
            depth -= 1;
            if depth == 0 {
                root_closed = true;
            }
            continue;
        }
        if root_closed {
            return Err(CheckError::Malformed("a second root element"));
        }
        // An element: a leaf when its text runs up to its own end tag.
        let text_end = text[at..]
            .find('<')
            .map(|offset| at + offset)
            .ok_or(CheckError::Malformed("an element does not end"))?;
        let (next_name, next_closing, after) = tag(text, text_end)?;
        let is_leaf = next_closing && next_name == name;
        if !is_leaf {
            if depth == stack.len() - 1 {
                return Err(CheckError::Malformed("elements nest too deeply"));
            }
            let allowed = match depth {
                0 => name == "TKNBatch",
                1 => {
                    let index = match name {
                        "TKNHeader" => 0,
                        "TKN" => 1,
                        "TKNTrailer" => 2,
                        _ => return Err(CheckError::Malformed("an unknown section")),
                    };
                    sections[index] += 1;
                    sections[index] == 1
                }
                2 => stack[1] == "TKN" && name == "TokenAttributes",
                _ => false,
            };
            if !allowed {
                return Err(CheckError::Malformed(
                    "an element where the format has none (or a second one)",
                ));
            }
            stack[depth] = name;
            depth += 1;
            continue;
        }
        // A leaf: decode its text, remember known fields, feed the MAC buffer.
        if depth < 2 {
            return Err(CheckError::Malformed("a value outside a section"));
        }
        let raw = &text[at..text_end];
        let span = if raw.contains('&') {
            let start = decoded.len();
            decode_entities(raw, decoded)?;
            Span::Decoded(start as u32, decoded.len() as u32)
        } else {
            if raw.contains('\r') {
                return Err(CheckError::Malformed("a raw carriage return in a value"));
            }
            Span::Document(at as u32, text_end as u32)
        };
        let value = match span {
            Span::Document(start, end) => &text[start as usize..end as usize],
            Span::Decoded(start, end) => &decoded[start as usize..end as usize],
        };
        let section = match (stack[1], depth) {
            ("TKNHeader", 2) => Section::Header,
            ("TKN", 2) => Section::Token,
            ("TKN", 3) => Section::TokenAttributes,
            ("TKNTrailer", 2) => Section::Trailer,
            _ => return Err(CheckError::Malformed("a value in an unexpected place")),
        };
        if let Some(slot) = slot(section, name) {
            if spans[slot].is_some() {
                return Err(CheckError::Duplicate(field_name(slot)));
            }
            spans[slot] = Some(span);
        }
        let path = &stack[1..depth];
        match section {
            Section::Header if name != "HeaderMAC" => header_buffer.push_leaf(path, name, value),
            Section::Token | Section::TokenAttributes if name != "TokenMAC" => {
                token_buffer.push_leaf(path, name, value)
            }
            _ => {}
        }
        at = after;
    }
    if !root_closed {
        return Err(CheckError::Malformed("the document does not end"));
    }
    if sections[0] != 1 || sections[1] != 1 {
        return Err(CheckError::Malformed(
            "not exactly one header and one token",
        ));
    }
    Ok(())
}

/// The tag starting at `at` (`<name>` or `</name>`): its name, whether it closes, and the
/// position after it. Attributes, empty-element tags, comments and CDATA are refused.
fn tag(text: &str, at: usize) -> Result<(&str, bool, usize), CheckError> {
    let rest = &text[at + 1..];
    let closing = rest.starts_with('/');
    let start = at + 1 + usize::from(closing);
    let end = text[start..]
        .find('>')
        .map(|offset| start + offset)
        .ok_or(CheckError::Malformed("a tag does not end"))?;
    let name = &text[start..end];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(CheckError::Malformed(
            "a tag with attributes, a comment or other markup we do not write",
        ));
    }
    Ok((name, closing, end + 1))
}

/// Decodes the five predefined entities and character references.
fn decode_entities(raw: &str, out: &mut String) -> Result<(), CheckError> {
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semi = after
            .find(';')
            .ok_or(CheckError::Malformed("an entity does not end"))?;
        let entity = &after[..semi];
        let ch = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let number = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(decimal) = entity.strip_prefix('#') {
                    decimal.parse().ok()
                } else {
                    None
                };
                number
                    .and_then(char::from_u32)
                    .ok_or(CheckError::Malformed("an unknown entity"))?
            }
        };
        out.push(ch);
        rest = &after[semi + 1..];
    }
    if rest.contains('\r') {
        return Err(CheckError::Malformed("a raw carriage return in a value"));
    }
    out.push_str(rest);
    Ok(())
}

// Slots, named.
const ORIGIN: usize = 0;
const DEST: usize = 1;
const NAME: usize = 2;
const SECRET: usize = 3;
const HEADER_MAC: usize = 4;
const DEF_BIRTH: usize = 5;
const DEF_DEATH: usize = 6;
const DEF_DIGITS: usize = 7;
const DEF_INTERVAL: usize = 8;
const DEF_ALG: usize = 9;
const DEF_ADD_PIN: usize = 10;
const DEF_LOCAL_PIN: usize = 11;
const DEF_COPY_PROTECTION: usize = 12;
const SN: usize = 13;
const SEED: usize = 14;
const TOKEN_MAC: usize = 15;
const USER_LOGIN: usize = 16;
const USER_FIRST_NAME: usize = 17;
const USER_LAST_NAME: usize = 18;
const BIRTH: usize = 19;
const DEATH: usize = 20;
const DIGITS: usize = 21;
const INTERVAL: usize = 22;
const ALG: usize = 23;
const ADD_PIN: usize = 24;
const LOCAL_PIN: usize = 25;
const COPY_PROTECTION: usize = 26;
const DEVICE_SERIAL_NUMBER: usize = 27;
const NICKNAME: usize = 28;

fn verify(
    fields: &Fields<'_>,
    header_buffer: &SectionBuffer,
    token_buffer: &SectionBuffer,
    header: &BatchHeader,
    expected: &SdtidToken,
    password: Option<&SecretString>,
) -> Result<(), CheckError> {
    let origin = trim_key_material(fields.required(ORIGIN)?);
    let dest = trim_key_material(fields.required(DEST)?);
    let name = trim_key_material(fields.required(NAME)?);
    if origin != header.origin || dest != header.dest || name != header.name {
        return Err(CheckError::Mismatch("Origin, Dest or Name"));
    }
    let secret = values::parse_base64_16("Secret", fields.required(SECRET)?)?;
    let header_mac = values::parse_base64_16("HeaderMAC", fields.required(HEADER_MAC)?)?;
    let sn = values::parse_sn(fields.required(SN)?)?;
    let encrypted_seed = values::parse_seed_field(fields.required(SEED)?)?;
    let token_mac = values::parse_base64_16("TokenMAC", fields.required(TOKEN_MAC)?)?;

    // The key a reader would use: the password when one is given, else Origin.
    let key_text = password
        .map(SecretString::expose)
        .filter(|password| !password.is_empty())
        .unwrap_or(origin);
    let key0 = crypto::hash_password(key_text.as_bytes(), dest.as_bytes(), name.as_bytes());
    let keys = BatchKeys::new(&key0, name.as_bytes(), &secret);
    let computed = crypto::cbc_mac(
        &crypto::cipher(keys.batch_mac.expose()),
        &IV_BATCH_MAC,
        header_buffer.as_bytes(),
    );
    if !crypto::mac_equal(&computed, &header_mac) {
        return Err(CheckError::HeaderMac);
    }
    let token_keys = keys.token_keys(sn.as_bytes());
    let computed = crypto::cbc_mac(
        &crypto::cipher(token_keys.token_mac.expose()),
        &IV_TOKEN_MAC,
        token_buffer.as_bytes(),
    );
    if !crypto::mac_equal(&computed, &token_mac) {
        return Err(CheckError::TokenMac);
    }
    let serial = Serial::parse(sn).map_err(|_| CheckError::Mismatch("serial"))?;
    if serial != expected.serial {
        return Err(CheckError::Mismatch("serial"));
    }
    let seed = crypto::seed_xor(&token_keys.token_encrypt, sn.as_bytes(), &encrypted_seed);
    if !crypto::mac_equal(seed.expose(), expected.seed.expose()) {
        return Err(CheckError::Mismatch("seed"));
    }
    if attributes(fields)? != expected.attributes {
        return Err(CheckError::Mismatch("token attributes"));
    }
    let user = &expected.user;
    if fields.user_text(USER_LOGIN) != user.login
        || fields.user_text(USER_FIRST_NAME) != user.first_name
        || fields.user_text(USER_LAST_NAME) != user.last_name
    {
        return Err(CheckError::Mismatch("user"));
    }
    if fields.user_text(DEVICE_SERIAL_NUMBER) != expected.device_serial_number {
        return Err(CheckError::Mismatch("DeviceSerialNumber"));
    }
    if fields.user_text(NICKNAME) != expected.nickname {
        return Err(CheckError::Mismatch("Nickname"));
    }
    Ok(())
}

/// The token's attributes as a reader resolves them (own value, else the header default).
fn attributes(fields: &Fields<'_>) -> Result<TokenAttributes, CheckError> {
    let number = |own, default, max| -> Result<u32, CheckError> {
        let value = fields.attribute(own, default)?;
        Ok(values::parse_uint(field_name(own), value, max)?)
    };
    let flag = |own, default| -> Result<bool, CheckError> {
        Ok(values::parse_flag(
            field_name(own),
            fields.attribute(own, default)?,
        )?)
    };
    let date = |own, default| -> Result<time::Date, CheckError> {
        Ok(values::parse_date(
            field_name(own),
            fields.attribute(own, default)?,
        )?)
    };
    let digits = Digits::from_file(number(DIGITS, DEF_DIGITS, 8)?)
        .map_err(|_| CheckError::Mismatch("Digits"))?;
    let interval = Interval::new(number(INTERVAL, DEF_INTERVAL, u32::MAX)?)
        .map_err(|_| CheckError::Mismatch("Interval"))?;
    let key_size = match number(ALG, DEF_ALG, u32::MAX)? {
        0 => KeySize::Bits64,
        1 => KeySize::Bits128,
        _ => return Err(CheckError::Mismatch("Alg")),
    };
    Ok(TokenAttributes {
        digits,
        interval,
        pin_mode: PinMode::from_flags(flag(ADD_PIN, DEF_ADD_PIN)?, flag(LOCAL_PIN, DEF_LOCAL_PIN)?),
        key_size,
        copy_protection: flag(COPY_PROTECTION, DEF_COPY_PROTECTION)?,
        birth: date(BIRTH, DEF_BIRTH)?,
        death: date(DEATH, DEF_DEATH)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdtid::{UserInfo, write};
    use crate::secret::Seed;
    use time::macros::date;

    fn token() -> SdtidToken {
        SdtidToken {
            serial: Serial::parse("000123456789").unwrap(),
            seed: Seed::new([0x5a; 16]),
            attributes: TokenAttributes {
                digits: Digits::EIGHT,
                interval: Interval::Seconds60,
                pin_mode: PinMode::from_flags(true, true),
                key_size: KeySize::Bits128,
                copy_protection: true,
                birth: date!(2025 - 01 - 01),
                death: date!(2035 - 12 - 31),
            },
            user: UserInfo {
                login: "jdoe".into(),
                first_name: "Jane & <J>".into(),
                last_name: "Doe".into(),
            },
            device_serial_number: "a01c4380-fc01-4df0-b113-7fb98ec74694".into(),
            nickname: String::new(),
        }
    }

    fn check(text: &str, expected: &SdtidToken, password: Option<&str>) -> Result<(), CheckError> {
        let password = password.map(SecretString::from);
        check_written(
            &mut CheckScratch::new(),
            text.as_bytes(),
            &BatchHeader::default(),
            expected,
            password.as_ref(),
        )
    }

    fn written(password: Option<&str>) -> String {
        let password = password.map(SecretString::from);
        write(&BatchHeader::default(), &[token()], password.as_ref()).unwrap()
    }

    #[test]
    fn a_file_we_wrote_checks_out_with_and_without_a_password() {
        assert_eq!(
            check(&written(Some("jdoe")), &token(), Some("jdoe")),
            Ok(())
        );
        assert_eq!(check(&written(None), &token(), None), Ok(()));
        // Reused buffers give the same verdicts file after file.
        let mut scratch = CheckScratch::new();
        for password in [Some("jdoe"), None, Some("other")] {
            let secret = password.map(SecretString::from);
            let text = written(password);
            check_written(
                &mut scratch,
                text.as_bytes(),
                &BatchHeader::default(),
                &token(),
                secret.as_ref(),
            )
            .unwrap();
        }
    }

    #[test]
    fn a_wrong_password_fails_the_macs() {
        assert_eq!(
            check(&written(Some("jdoe")), &token(), Some("jdoe2")),
            Err(CheckError::HeaderMac)
        );
        assert_eq!(
            check(&written(Some("jdoe")), &token(), None),
            Err(CheckError::HeaderMac)
        );
    }

    #[test]
    fn a_corrupted_file_is_caught() {
        let text = written(Some("jdoe"));
        // A changed seed byte, user, header default, MAC or serial: each fails a MAC.
        let seed_at = text.find("<Seed>=").unwrap() + 8;
        let mut seed = text.clone().into_bytes();
        seed[seed_at] = if seed[seed_at] == b'A' { b'B' } else { b'A' };
        let seed = String::from_utf8(seed).unwrap();
        assert_eq!(
            check(&seed, &token(), Some("jdoe")),
            Err(CheckError::TokenMac)
        );
        let renamed = text.replace("<UserLastName>Doe<", "<UserLastName>Dox<");
        assert_eq!(
            check(&renamed, &token(), Some("jdoe")),
            Err(CheckError::TokenMac)
        );
        let header = text.replace("<DefDigits>8<", "<DefDigits>6<");
        assert_eq!(
            check(&header, &token(), Some("jdoe")),
            Err(CheckError::HeaderMac)
        );
        let mac_at = text.find("<TokenMAC>").unwrap() + 11;
        let mut mac = text.clone().into_bytes();
        mac[mac_at] = if mac[mac_at] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            check(&String::from_utf8(mac).unwrap(), &token(), Some("jdoe")),
            Err(CheckError::TokenMac)
        );
        let serial = text.replace("<SN>000123456789<", "<SN>000123456788<");
        assert_eq!(
            check(&serial, &token(), Some("jdoe")),
            Err(CheckError::TokenMac)
        );
        // Cut off, or with markup we never write.
        assert!(matches!(
            check(&text[..text.len() - 20], &token(), Some("jdoe")),
            Err(CheckError::Malformed(_))
        ));
        let attribute = text.replace("<Nickname>", "<Nickname a=\"1\">");
        assert!(matches!(
            check(&attribute, &token(), Some("jdoe")),
            Err(CheckError::Malformed(_))
        ));
        let comment = text.replace("<TKNTrailer>", "<!-- x --><TKNTrailer>");
        assert!(matches!(
            check(&comment, &token(), Some("jdoe")),
            Err(CheckError::Malformed(_))
        ));
    }

    #[test]
    fn a_file_that_does_not_hold_what_was_meant_is_caught() {
        let text = written(Some("jdoe"));
        let mut other = token();
        other.seed = Seed::new([0x5b; 16]);
        assert_eq!(
            check(&text, &other, Some("jdoe")),
            Err(CheckError::Mismatch("seed"))
        );
        let mut other = token();
        other.serial = Serial::parse("123456788").unwrap();
        assert_eq!(
            check(&text, &other, Some("jdoe")),
            Err(CheckError::Mismatch("serial"))
        );
        let mut other = token();
        other.attributes.digits = Digits::SIX;
        assert_eq!(
            check(&text, &other, Some("jdoe")),
            Err(CheckError::Mismatch("token attributes"))
        );
        let mut other = token();
        other.user.first_name = "Jane".into();
        assert_eq!(
            check(&text, &other, Some("jdoe")),
            Err(CheckError::Mismatch("user"))
        );
        let mut other = token();
        other.nickname = "Work".into();
        assert_eq!(
            check(&text, &other, Some("jdoe")),
            Err(CheckError::Mismatch("Nickname"))
        );
        let header = BatchHeader {
            origin: "ACME".into(),
            ..BatchHeader::default()
        };
        assert_eq!(
            check_written(
                &mut CheckScratch::new(),
                text.as_bytes(),
                &header,
                &token(),
                Some(&SecretString::from("jdoe")),
            ),
            Err(CheckError::Mismatch("Origin, Dest or Name"))
        );
    }

    #[test]
    fn a_second_token_is_refused() {
        let mut second = token();
        second.serial = Serial::parse("000123456790").unwrap();
        let two = write(&BatchHeader::default(), &[token(), second], None).unwrap();
        assert!(matches!(
            check(&two, &token(), None),
            Err(CheckError::Malformed(_))
        ));
    }

    #[test]
    fn agrees_with_the_full_reader_on_what_it_accepts() {
        let text = written(Some("jdoe"));
        let batch = crate::sdtid::parse(text.as_bytes()).unwrap();
        let decrypted = batch.decrypt(Some(&SecretString::from("jdoe"))).unwrap();
        assert_eq!(decrypted.tokens[0], token());
        assert_eq!(check(&text, &decrypted.tokens[0], Some("jdoe")), Ok(()));
    }
}
