//! The SDTID token file format (`<TKNBatch>` XML): parse, decrypt, verify and write.
//!
//! The public surface is deliberately small: [`parse`] turns untrusted bytes into a [`Batch`]
//! (bounded, no entity expansion), [`Batch::decrypt`] checks both MACs and decrypts every seed,
//! and [`write`] produces a complete file for one or many tokens. The format is described in
//! `docs/format.md`.
//!
//! CONTRACT (filled in by the codec work): the names and signatures in this file are used by the
//! workspace and job layers; keep them stable.

use crate::secret::{SecretString, Seed};
use crate::token::{Digits, Interval, KeySize, PinMode, Serial};

mod error;
pub use error::SdtidError;

/// Largest document [`parse`] accepts: room for a 100,000-token record file (about 0.7 KiB per
/// token) with a wide margin, while a hostile file cannot make us allocate without bound.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024 * 1024;

/// The batch-wide strings of `TKNHeader` that feed key derivation (spec §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchHeader {
    /// Issuing system; used as the password when the file has none.
    pub origin: String,
    /// Recipient; salt of the password hash.
    pub dest: String,
    /// Batch name; key of the password hash.
    pub name: String,
}

impl Default for BatchHeader {
    fn default() -> Self {
        Self {
            origin: "N/A".into(),
            dest: "N/A".into(),
            name: "N/A".into(),
        }
    }
}

/// The attributes that decide how a token computes codes and how long it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAttributes {
    pub digits: Digits,
    pub interval: Interval,
    pub pin_mode: PinMode,
    pub key_size: KeySize,
    /// `CopyProtection`: vendor apps should refuse to export the token.
    pub copy_protection: bool,
    /// First day of validity (`Birth`).
    pub birth: time::Date,
    /// Last valid day (`Death`); the token expires at the following midnight UTC.
    pub death: time::Date,
}

/// The user a token is issued to; empty strings mean "no value" (written as a single space).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserInfo {
    pub login: String,
    pub first_name: String,
    pub last_name: String,
}

/// One token with its decrypted seed: what [`Batch::decrypt`] returns and what [`write`] takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdtidToken {
    /// 12-digit form, for codes, display and the inventory.
    pub serial: Serial,
    pub seed: Seed,
    pub attributes: TokenAttributes,
    pub user: UserInfo,
    /// `TokenAttributes/DeviceSerialNumber`: binds the token to a device or a device class.
    pub device_serial_number: String,
    /// `TokenAttributes/Nickname`.
    pub nickname: String,
}

/// A decrypted, fully verified document.
#[derive(Debug, Clone)]
pub struct DecryptedBatch {
    pub header: BatchHeader,
    /// False when the keys came from `Origin` (the file has no password).
    pub password_protected: bool,
    pub tokens: Vec<SdtidToken>,
}

/// A parsed but not yet decrypted document (the XML tree, raw leaf text kept for the MACs).
#[derive(Debug, Clone)]
pub struct Batch {
    _todo: (),
}

/// Parses untrusted bytes. Fails on anything larger than [`MAX_DOCUMENT_BYTES`], on a DOCTYPE,
/// on malformed XML, and on a document that is not a `TKNBatch` with a header and a token.
pub fn parse(bytes: &[u8]) -> Result<Batch, SdtidError> {
    let _ = bytes;
    todo!("codec work")
}

impl Batch {
    /// Number of `TKN` elements.
    pub fn token_count(&self) -> usize {
        todo!("codec work")
    }

    /// Verifies the header MAC and every token MAC and decrypts every seed.
    ///
    /// Tries `Origin` first (spec §3.3), then `password` if one is given and non-empty.
    /// Tells apart [`SdtidError::PasswordRequired`], [`SdtidError::WrongPassword`] and damage
    /// ([`SdtidError::HeaderCorrupt`], [`SdtidError::TokenCorrupt`]).
    pub fn decrypt(&self, password: Option<&SecretString>) -> Result<DecryptedBatch, SdtidError> {
        let _ = password;
        todo!("codec work")
    }
}

/// Writes a complete document: one header and one `TKN` per token, a fresh random `Secret`
/// from the OS CSPRNG, both MACs and our trailer. `password` `None` or empty means no password.
///
/// Refuses values the readers cannot take (non-ASCII, control characters, surrounding
/// whitespace in key-material fields) with [`SdtidError::InvalidValue`] naming the field.
pub fn write(
    header: &BatchHeader,
    tokens: &[SdtidToken],
    password: Option<&SecretString>,
) -> Result<String, SdtidError> {
    let _ = (header, tokens, password);
    todo!("codec work")
}
