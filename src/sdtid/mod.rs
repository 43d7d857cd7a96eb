//! The SDTID token file format (`<TKNBatch>` XML): parse, decrypt, verify and write.
//!
//! The public surface is deliberately small: [`parse`] turns untrusted bytes into a [`Batch`]
//! (bounded, no entity expansion), [`Batch::decrypt`] checks both MACs and decrypts every seed,
//! and [`write`] produces a complete file for one or many tokens. For diagnostics,
//! [`Batch::verify`] reports each MAC's verdict, [`Batch::elements`] lists every leaf as
//! written (unknown ones included) and [`Batch::tokens`] gives the fields before decryption.
//! The format and our choices are described in `docs/format.md`.
//!
//! Modules, one job each: `xml` (bounded parse into a compact tree, escaping), `lookup` (token
//! → `Def<X>` → header rule), `values` (strict value parsing), `crypto` (keys and ciphers),
//! `mac` (MAC and signing buffers), `reader`, `verify`, `writer`, `trailer`.
//!
//! CONTRACT (filled in by the codec work): the names and signatures in this file are used by the
//! workspace and job layers; keep them stable.

use crate::secret::{SecretString, Seed};
use crate::token::{Digits, Interval, KeySize, PinMode, Serial};

mod check;
mod crypto;
mod error;
mod lookup;
mod mac;
mod reader;
mod stream;
mod trailer;
mod values;
mod verify;
mod writer;
mod xml;

pub use check::{CheckError, CheckScratch, check_written};
pub use error::SdtidError;
pub use lookup::Source;
pub use reader::{Batch, DEFAULT_BIRTH, RawElement, TokenInfo};
pub use stream::{MAX_SECTION_ELEMENTS, StreamLimits, TokenReader};
pub use trailer::{CERTIFICATE_PLACEHOLDER, SIGNATURE_MARKER, SignatureKind};
pub use values::{format_date, parse_date};
pub use verify::{MacVerdict, Protection, Verification};
pub use writer::{
    MAX_KEY_TEXT_BYTES, MAX_NAME_BYTES, PER_TOKEN_ATTRIBUTES, WriteScratch, write_with,
};
pub use xml::{MAX_DEPTH, MAX_ELEMENTS};

/// Building blocks exposed for known-answer tests and diagnostics: the format's key derivation
/// and buffers, step by step. Not needed to read or write files.
pub mod internals {
    pub use super::crypto::{
        BatchKeys, IV_BATCH_MAC, IV_TOKEN_MAC, Key, TokenKeys, cbc_mac, cipher, fixed,
        hash_password, seed_xor, unwrap_secret,
    };
    pub use super::mac::SectionBuffer;
}

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

/// Parses untrusted bytes. Fails on anything larger than [`MAX_DOCUMENT_BYTES`], on a DOCTYPE,
/// on malformed XML, and on a document that is not a `TKNBatch` with a header and a token.
///
/// Every value that can be checked without keys is checked here (strictly, spec Appendix D.3),
/// with an error naming the element and its line.
pub fn parse(bytes: &[u8]) -> Result<Batch, SdtidError> {
    reader::parse(bytes)
}

impl Batch {
    /// Verifies the header MAC and every token MAC and decrypts every seed.
    ///
    /// Tries `Origin` first (spec §3.3), then `password` if one is given and non-empty.
    /// Tells apart [`SdtidError::PasswordRequired`], [`SdtidError::WrongPassword`] and damage
    /// ([`SdtidError::HeaderCorrupt`], [`SdtidError::TokenCorrupt`]).
    pub fn decrypt(&self, password: Option<&SecretString>) -> Result<DecryptedBatch, SdtidError> {
        self.decrypt_impl(password)
    }

    /// What `TKNTrailer/BatchSignature` is: our fingerprint (matching or not), something else,
    /// or absent. Never required for reading.
    pub fn signature_kind(&self) -> SignatureKind {
        trailer::classify(self.batch_signature_text(), || self.signing_buffer())
    }
}

/// Writes a complete document: one header and one `TKN` per token, a fresh random `Secret`
/// from the OS CSPRNG, both MACs and our trailer. `password` `None` or empty means no password.
///
/// Refuses values the readers cannot take (non-ASCII, control characters, surrounding
/// whitespace in key-material fields) with [`SdtidError::InvalidValue`] naming the field.
/// With several tokens, the header `Def<X>` values are the ones most tokens share and each
/// token carries overrides only where it differs; `FirstToken`, `LastToken` and `NumTokens`
/// are filled in (single-token files keep stoken's `N/A`, `N/A`, `0`).
pub fn write(
    header: &BatchHeader,
    tokens: &[SdtidToken],
    password: Option<&SecretString>,
) -> Result<String, SdtidError> {
    writer::write(header, tokens, password)
}
