//! Token parameters: tokencode length, interval, PIN mode and key size.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a token parameter is out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error("digits must be 6 or 8 (got {0})")]
    Digits(u32),
    #[error("interval must be 30 or 60 seconds (got {0})")]
    Interval(u32),
    #[error("PIN mode must be 0, 1, 2 or 3 (got {0})")]
    PinMode(u32),
    #[error("key size must be 128 or 64 bits (got {0})")]
    KeySize(u32),
}

/// Tokencode length. Real tokens use 6 or 8 digits; files may say 1-8 (spec §6.4), which the
/// reader accepts through [`Digits::from_file`], while everything we write is 6 or 8.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Digits(u8);

impl Digits {
    pub const SIX: Digits = Digits(6);
    pub const EIGHT: Digits = Digits(8);

    /// The values an administrator may choose: 6 or 8.
    pub fn new(value: u32) -> Result<Self, ParamError> {
        match value {
            6 | 8 => Ok(Self(value as u8)),
            other => Err(ParamError::Digits(other)),
        }
    }

    /// The wider range a token file may carry (1-8).
    pub fn from_file(value: u32) -> Result<Self, ParamError> {
        match value {
            1..=8 => Ok(Self(value as u8)),
            other => Err(ParamError::Digits(other)),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u32> for Digits {
    type Error = ParamError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::from_file(value)
    }
}

impl From<Digits> for u32 {
    fn from(value: Digits) -> Self {
        value.0 as u32
    }
}

impl fmt::Debug for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Seconds per tokencode: only 30 and 60 exist (spec §6.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub enum Interval {
    Seconds30,
    Seconds60,
}

impl Interval {
    pub fn new(seconds: u32) -> Result<Self, ParamError> {
        match seconds {
            30 => Ok(Self::Seconds30),
            60 => Ok(Self::Seconds60),
            other => Err(ParamError::Interval(other)),
        }
    }

    pub fn seconds(self) -> u32 {
        match self {
            Self::Seconds30 => 30,
            Self::Seconds60 => 60,
        }
    }
}

impl TryFrom<u32> for Interval {
    type Error = ParamError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Interval> for u32 {
    fn from(value: Interval) -> Self {
        value.seconds()
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.seconds())
    }
}

/// The 2-bit PIN mode of stoken's mapping: `AddPIN` is bit 1, `LocalPIN` bit 0 (spec §6.7).
/// A PIN is added into the code iff `AddPIN` is set (mode 2 or 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct PinMode(u8);

impl PinMode {
    pub fn new(mode: u32) -> Result<Self, ParamError> {
        match mode {
            0..=3 => Ok(Self(mode as u8)),
            other => Err(ParamError::PinMode(other)),
        }
    }

    pub fn from_flags(add_pin: bool, local_pin: bool) -> Self {
        Self(u8::from(add_pin) << 1 | u8::from(local_pin))
    }

    pub fn add_pin(self) -> bool {
        self.0 & 2 != 0
    }

    pub fn local_pin(self) -> bool {
        self.0 & 1 != 0
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u32> for PinMode {
    type Error = ParamError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<PinMode> for u32 {
    fn from(value: PinMode) -> Self {
        value.0 as u32
    }
}

/// Key size: 128-bit AES tokens (`Alg` 1) or legacy 64-bit tokens (`Alg` 0, spec §7), for which
/// no tokencode can be computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub enum KeySize {
    Bits64,
    Bits128,
}

impl KeySize {
    pub fn new(bits: u32) -> Result<Self, ParamError> {
        match bits {
            64 => Ok(Self::Bits64),
            128 => Ok(Self::Bits128),
            other => Err(ParamError::KeySize(other)),
        }
    }

    pub fn bits(self) -> u32 {
        match self {
            Self::Bits64 => 64,
            Self::Bits128 => 128,
        }
    }

    /// The longest protection password the distribution rules allow for this key size.
    pub fn max_password_chars(self) -> usize {
        match self {
            Self::Bits64 => 8,
            Self::Bits128 => 24,
        }
    }
}

impl TryFrom<u32> for KeySize {
    type Error = ParamError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<KeySize> for u32 {
    fn from(value: KeySize) -> Self {
        value.bits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_mode_flags_round_trip() {
        for mode in 0..4 {
            let pin = PinMode::new(mode).unwrap();
            assert_eq!(PinMode::from_flags(pin.add_pin(), pin.local_pin()), pin);
        }
        assert!(PinMode::new(3).unwrap().add_pin());
        assert!(!PinMode::new(1).unwrap().add_pin());
        assert!(PinMode::new(4).is_err());
    }

    #[test]
    fn only_real_values_are_accepted() {
        assert!(Digits::new(7).is_err());
        assert!(Digits::from_file(7).is_ok());
        assert!(Interval::new(45).is_err());
        assert_eq!(KeySize::new(64).unwrap().max_password_chars(), 8);
    }
}
