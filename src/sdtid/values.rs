//! Strict parsing and formatting of SDTID values (spec Appendix D.3). Every error names the
//! element; none repeats a value that could be secret.

use super::SdtidError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use time::{Date, Month};

pub fn invalid(element: &str, reason: impl Into<String>) -> SdtidError {
    SdtidError::InvalidValue {
        element: element.to_owned(),
        reason: reason.into(),
    }
}

/// A plain decimal integer: ASCII digits only (no sign, no spaces, no `0x`), at most `max`.
pub fn parse_uint(element: &str, text: &str, max: u32) -> Result<u32, SdtidError> {
    if text.is_empty() {
        return Err(invalid(element, "is empty, expected a decimal number"));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            element,
            "must be a plain decimal number (digits only, no spaces)",
        ));
    }
    if text.len() > 1 && text.starts_with('0') {
        // stoken reads a leading 0 as octal (spec §1.7): `060` is 48 there and `08` an error,
        // so any reading of ours could differ from another reader's. Writers never emit it.
        return Err(invalid(
            element,
            "has a leading zero, which other readers take as octal; write it without leading zeros",
        ));
    }
    match text.parse::<u64>() {
        Ok(value) if value <= u64::from(max) => Ok(value as u32),
        _ => Err(invalid(element, format!("is larger than {max}"))),
    }
}

/// A flag: a plain decimal number, true iff non-zero.
pub fn parse_flag(element: &str, text: &str) -> Result<bool, SdtidError> {
    parse_uint(element, text, u32::MAX).map(|value| value != 0)
}

/// A date `YYYY/MM/DD` (month and day may have one digit, as stoken accepts) that exists in the
/// proleptic Gregorian calendar.
pub fn parse_date(element: &str, text: &str) -> Result<Date, SdtidError> {
    let bad = || invalid(element, "must be a date YYYY/MM/DD");
    let mut parts = text.split('/');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(y, 4, 4) || !digits(m, 1, 2) || !digits(d, 1, 2) {
        return Err(bad());
    }
    let (year, month, day): (i32, u8, u8) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    let month = Month::try_from(month).map_err(|_| invalid(element, "has no such month"))?;
    Date::from_calendar_date(year, month, day)
        .map_err(|_| invalid(element, "is not a calendar date"))
}

/// The zero-padded `YYYY/MM/DD` form every writer uses.
pub fn format_date(date: Date) -> String {
    format!(
        "{:04}/{:02}/{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// Standard base64 (with padding, no whitespace) of exactly 16 bytes.
pub fn parse_base64_16(element: &str, text: &str) -> Result<[u8; 16], SdtidError> {
    if text.len() != 24 {
        return Err(invalid(
            element,
            "must be base64 of 16 bytes (24 characters)",
        ));
    }
    let mut out = [0u8; 16];
    match STANDARD.decode_slice(text, &mut out) {
        Ok(16) => Ok(out),
        _ => Err(invalid(element, "is not valid base64 of 16 bytes")),
    }
}

/// The `Seed` text: `=` followed by base64 of 16 bytes (spec §2). We require the `=` that every
/// known writer emits: stoken would skip any character there, python-securid only `=`.
pub fn parse_seed_field(text: &str) -> Result<[u8; 16], SdtidError> {
    match text.strip_prefix('=') {
        Some(rest) => parse_base64_16("Seed", rest),
        None => Err(invalid(
            "Seed",
            "must start with '=' followed by base64 of 16 bytes",
        )),
    }
}

pub fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// The `SN` text: 1 to 12 ASCII digits exactly as written (no surrounding whitespace: stoken
/// would use the untrimmed text for codes and compute wrong ones).
pub fn parse_sn(text: &str) -> Result<&str, SdtidError> {
    if text.is_empty() {
        return Err(invalid("SN", "is empty"));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("SN", "must be 1 to 12 decimal digits"));
    }
    if text.len() > 12 {
        return Err(invalid("SN", "has more than 12 digits"));
    }
    Ok(text)
}

/// Trims the ASCII whitespace that key-material fields lose before use (spec §1.7).
pub fn trim_key_material(text: &str) -> &str {
    text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_plain_decimal() {
        assert_eq!(parse_uint("DefDigits", "8", 8), Ok(8));
        for bad in [
            "",
            " 8",
            "8 ",
            "+8",
            "-1",
            "0x10",
            "8a",
            "99999999999999999999999",
        ] {
            let error = parse_uint("DefDigits", bad, u32::MAX).unwrap_err();
            assert!(error.to_string().contains("<DefDigits>"), "{error}");
        }
        assert!(parse_uint("DefDigits", "9", 8).is_err());
        assert_eq!(parse_flag("AddPIN", "2"), Ok(true));
        assert_eq!(parse_flag("AddPIN", "0"), Ok(false));
    }

    #[test]
    fn integers_with_leading_zeros_are_refused_because_stoken_reads_them_as_octal() {
        for (element, text) in [
            ("DefInterval", "060"),
            ("DefDigits", "08"),
            ("AddPIN", "00"),
        ] {
            let error = parse_uint(element, text, u32::MAX).unwrap_err().to_string();
            assert!(error.contains("leading zero"), "{error}");
            assert!(error.contains(&format!("<{element}>")), "{error}");
        }
        assert_eq!(parse_uint("AddPIN", "0", 1), Ok(0));
        assert_eq!(parse_uint("DefInterval", "60", 60), Ok(60));
        assert_eq!(parse_uint("DefInterval", "100", 100), Ok(100));
    }

    #[test]
    fn dates_must_exist() {
        let date = parse_date("DefDeath", "2035/12/31").unwrap();
        assert_eq!(format_date(date), "2035/12/31");
        assert_eq!(
            format_date(parse_date("DefDeath", "2035/1/5").unwrap()),
            "2035/01/05"
        );
        for bad in [
            "2035/02/30",
            "2035/13/01",
            "2035-12-31",
            "35/12/31",
            "2035/12/31 ",
            "2035/12",
            "2035/12/31/1",
            "2035/00/10",
            "+035/12/31",
        ] {
            assert!(parse_date("DefDeath", bad).is_err(), "{bad}");
        }
        assert!(parse_date("DefDeath", "2024/02/29").is_ok());
    }

    #[test]
    fn base64_fields_are_exactly_sixteen_bytes() {
        assert_eq!(
            parse_base64_16("Secret", "AAECAwQFBgcICQoLDA0ODw==").unwrap()[15],
            15
        );
        for bad in [
            "AAECAwQFBgcICQoLDA0ODw=",
            "AAECAwQFBgcICQoLDA0ODw",
            "AAECAwQFBgcICQoLDA0OD w=",
            "AAECAwQFBgcICQoLDA0ODx==",
            "AAECAwQFBgcICQoLDA0ODw==AAAA",
        ] {
            assert!(parse_base64_16("Secret", bad).is_err(), "{bad}");
        }
        assert!(parse_seed_field("=Xos8OprMUbBNc8vhPI0KLQ==").is_ok());
        assert!(parse_seed_field("Xos8OprMUbBNc8vhPI0KLQ==").is_err());
        assert!(parse_seed_field("AXos8OprMUbBNc8vhPI0KLQ==").is_err());
    }

    #[test]
    fn serials_are_one_to_twelve_digits() {
        assert_eq!(parse_sn("123456789"), Ok("123456789"));
        for bad in ["", " 1", "1 ", "1234567890123", "12a", "１２"] {
            assert!(parse_sn(bad).is_err(), "{bad:?}");
        }
    }
}
