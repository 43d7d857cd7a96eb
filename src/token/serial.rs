//! Token serial numbers.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A token serial number in its canonical 12-digit form (left-padded with zeros).
///
/// Vendor seed files may write shorter serials (`123456789`); the SDTID codec keeps the
/// as-written text separately because key derivation needs it (spec §1.8). Everywhere else a
/// token is known by this 12-digit form.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Serial(String);

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
        Ok(Self(format!("{text:0>12}")))
    }

    /// The 12-digit form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The serial as an integer, for range comparisons.
    pub fn value(&self) -> u64 {
        self.0.parse().expect("a Serial always holds 12 digits")
    }

    /// Builds a serial from an integer below 10^12.
    pub fn from_value(value: u64) -> Result<Self, SerialError> {
        Self::parse(&value.to_string())
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.0)
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
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_short_serials_to_twelve_digits() {
        assert_eq!(Serial::parse("123456789").unwrap().as_str(), "000123456789");
        assert_eq!(Serial::parse("000155667788").unwrap().value(), 155_667_788);
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
