//! Token serial numbers.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A token serial number in its canonical 12-digit form (left-padded with zeros).
///
/// Vendor seed files may write shorter serials (`123456789`); the SDTID codec keeps the
/// as-written text separately because key derivation needs it (spec §1.8). Everywhere else a
/// token is known by this 12-digit form.
///
/// Held inline as its 12 ASCII digits (12 bytes, no heap allocation): a million-token
/// inventory, a job's list of serials and every exclusion carry one, and a `String` cost
/// 56 bytes each. Byte order of zero-padded digits is numeric order.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Serial([u8; 12]);

/// Why a text is not a serial number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerialError {
    #[error("serial number is empty")]
    Empty,
    #[error("serial number {0:?} has more than 12 digits")]
    TooLong(String),
    #[error("serial number {0:?} must contain only the digits 0-9")]
    NotDigits(String),
}

impl Serial {
    /// Parses 1 to 12 ASCII digits (no spaces, no sign) and pads them to 12.
    pub fn parse(text: &str) -> Result<Self, SerialError> {
        if text.is_empty() {
            return Err(SerialError::Empty);
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SerialError::NotDigits(shorten(text)));
        }
        if text.len() > 12 {
            return Err(SerialError::TooLong(shorten(text)));
        }
        let mut digits = [b'0'; 12];
        digits[12 - text.len()..].copy_from_slice(text.as_bytes());
        Ok(Self(digits))
    }

    /// The 12-digit form.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a Serial always holds 12 ASCII digits")
    }

    /// The serial as an integer, for range comparisons.
    pub fn value(&self) -> u64 {
        self.0
            .iter()
            .fold(0, |value, digit| value * 10 + u64::from(digit - b'0'))
    }

    /// Builds a serial from an integer below 10^12.
    pub fn from_value(value: u64) -> Result<Self, SerialError> {
        if value >= 1_000_000_000_000 {
            return Err(SerialError::TooLong(value.to_string()));
        }
        let mut digits = [b'0'; 12];
        let mut rest = value;
        for digit in digits.iter_mut().rev() {
            *digit = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        Ok(Self(digits))
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.as_str())
    }
}

impl FromStr for Serial {
    type Err = SerialError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Serial {
    type Error = SerialError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Serial> for String {
    fn from(value: Serial) -> Self {
        value.as_str().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_short_serials_to_twelve_digits() {
        assert_eq!(Serial::parse("123456789").unwrap().as_str(), "000123456789");
        assert_eq!(Serial::parse("000155667788").unwrap().value(), 155_667_788);
        assert_eq!(Serial::from_value(42).unwrap().as_str(), "000000000042");
        assert_eq!(
            Serial::from_value(999_999_999_999).unwrap().value(),
            999_999_999_999
        );
        assert!(Serial::from_value(1_000_000_000_000).is_err());
        assert!(Serial::parse("9").unwrap() < Serial::parse("10").unwrap());
    }

    #[test]
    fn rejects_what_is_not_one_to_twelve_digits() {
        assert_eq!(Serial::parse(""), Err(SerialError::Empty));
        assert!(matches!(
            Serial::parse("1234567890123"),
            Err(SerialError::TooLong(_))
        ));
        assert!(matches!(
            Serial::parse(" 123"),
            Err(SerialError::NotDigits(_))
        ));
        assert!(matches!(
            Serial::parse("12a"),
            Err(SerialError::NotDigits(_))
        ));
        assert!(matches!(
            Serial::parse("１２３"),
            Err(SerialError::NotDigits(_))
        ));
    }
}
