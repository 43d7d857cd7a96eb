//! Verification and decryption (spec §3.3, §4.6, Appendix A steps 2.3 to 2.5).
//!
//! Keys derived with `Origin` as the password decide first (a supplied password is tried before
//! them only to save work; the verdict is the same). If both the header MAC and every token MAC
//! verify under the `Origin` keys, the file has no password. If nothing verifies, the file needs a password (or the
//! one given is wrong). If some MACs verify and others do not, the keys were right and the file
//! is damaged: that is the only distinction the format allows.

use super::crypto::{self, BatchKeys, IV_BATCH_MAC, IV_TOKEN_MAC};
use super::reader::Batch;
use super::values::trim_key_material;
use super::{DecryptedBatch, SdtidError, SdtidToken, mac};
use crate::secret::SecretString;

/// How a file is protected, as far as verification could tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// The keys derived from `Origin` verify: no password.
    NoPassword,
    /// The `Origin` keys verify nothing: the file has a password (or a damaged `Secret`, which
    /// the format cannot tell apart from a password).
    Password,
}

/// One MAC's verdict under the keys that were tried last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacVerdict {
    Valid,
    Invalid,
}

impl MacVerdict {
    fn from_bool(ok: bool) -> Self {
        if ok { Self::Valid } else { Self::Invalid }
    }
}

/// The result of checking a file's MACs: per-MAC verdicts and the overall outcome.
#[derive(Debug, Clone)]
pub struct Verification {
    pub protection: Protection,
    /// Whether a supplied password was tried (false when `Origin` already explained the file or
    /// no password was given).
    pub password_tried: bool,
    pub header_mac: MacVerdict,
    /// One verdict per `TKN`, in document order.
    pub token_macs: Vec<MacVerdict>,
    /// `Ok` when every MAC verifies; otherwise why not.
    pub outcome: Result<(), SdtidError>,
}

/// The keys of one password attempt and what they verified.
struct Attempt {
    keys: BatchKeys,
    header_ok: bool,
    tokens_ok: Vec<bool>,
}

impl Attempt {
    fn all_ok(&self) -> bool {
        self.header_ok && self.tokens_ok.iter().all(|&ok| ok)
    }

    fn none_ok(&self) -> bool {
        !self.header_ok && self.tokens_ok.iter().all(|&ok| !ok)
    }
}

impl Batch {
    fn attempt(&self, password: &[u8]) -> Attempt {
        let name = trim_key_material(&self.fields.name).as_bytes();
        let dest = trim_key_material(&self.fields.dest).as_bytes();
        let key0 = crypto::hash_password(password, dest, name);
        let keys = BatchKeys::new(&key0, name, &self.fields.secret);
        let header_mac = crypto::cbc_mac(
            &crypto::cipher(keys.batch_mac.expose()),
            &IV_BATCH_MAC,
            &self.header_buffer,
        );
        let header_ok = crypto::mac_equal(&header_mac, &self.fields.header_mac);
        let mut buffer = mac::SectionBuffer::new();
        let tokens_ok = self
            .tokens
            .iter()
            .map(|token| {
                buffer.clear();
                buffer.push_section(&self.doc, token.node);
                let key = keys.token_mac_key(token.sn_as_written.as_bytes());
                let computed = crypto::cbc_mac(
                    &crypto::cipher(key.expose()),
                    &IV_TOKEN_MAC,
                    buffer.as_bytes(),
                );
                crypto::mac_equal(&computed, &token.token_mac)
            })
            .collect();
        Attempt {
            keys,
            header_ok,
            tokens_ok,
        }
    }

    /// The error for an attempt in which some MACs verify and others do not.
    fn damage(&self, attempt: &Attempt) -> SdtidError {
        if attempt.header_ok {
            let index = attempt.tokens_ok.iter().position(|&ok| !ok).unwrap_or(0);
            SdtidError::TokenCorrupt {
                serial: self.tokens[index].sn_as_written.clone(),
            }
        } else {
            SdtidError::HeaderCorrupt
        }
    }

    fn verify_attempts(&self, password: Option<&SecretString>) -> (Verification, Option<Attempt>) {
        let report = |attempt: &Attempt, protection, password_tried, outcome| Verification {
            protection,
            password_tried,
            header_mac: MacVerdict::from_bool(attempt.header_ok),
            token_macs: attempt
                .tokens_ok
                .iter()
                .map(|&ok| MacVerdict::from_bool(ok))
                .collect(),
            outcome,
        };
        let origin = trim_key_material(&self.fields.origin);
        let password = password.filter(|p| !p.is_empty());
        let Some(password) = password.filter(|p| p.expose() != origin) else {
            // Only Origin to try (a password equal to Origin is the same key).
            let first = self.attempt(origin.as_bytes());
            if first.all_ok() {
                return (
                    report(&first, Protection::NoPassword, false, Ok(())),
                    Some(first),
                );
            }
            if !first.none_ok() {
                let error = self.damage(&first);
                return (
                    report(&first, Protection::NoPassword, false, Err(error)),
                    None,
                );
            }
            let error = if password.is_some() {
                SdtidError::WrongPassword
            } else {
                SdtidError::PasswordRequired
            };
            return (
                report(&first, Protection::Password, password.is_some(), Err(error)),
                None,
            );
        };
        // With a password, try it first: when it is right (the common case when reading back
        // a file just written) one key derivation is enough. Otherwise the verdict is exactly
        // the Origin-first one of Appendix A.
        let second = self.attempt(password.expose().as_bytes());
        if second.all_ok() {
            return (
                report(&second, Protection::Password, true, Ok(())),
                Some(second),
            );
        }
        let first = self.attempt(origin.as_bytes());
        if first.all_ok() {
            (
                report(&first, Protection::NoPassword, false, Ok(())),
                Some(first),
            )
        } else if !first.none_ok() {
            let error = self.damage(&first);
            (
                report(&first, Protection::NoPassword, false, Err(error)),
                None,
            )
        } else if second.none_ok() {
            (
                report(
                    &second,
                    Protection::Password,
                    true,
                    Err(SdtidError::WrongPassword),
                ),
                None,
            )
        } else {
            let error = self.damage(&second);
            (
                report(&second, Protection::Password, true, Err(error)),
                None,
            )
        }
    }

    /// Checks the header MAC and every token MAC and reports each verdict, without decrypting.
    /// Tries `Origin` first, then `password` if one is given and non-empty.
    pub fn verify(&self, password: Option<&SecretString>) -> Verification {
        self.verify_attempts(password).0
    }

    /// Verification as in [`Batch::verify`], then every seed decrypted with the keys that won.
    pub(super) fn decrypt_impl(
        &self,
        password: Option<&SecretString>,
    ) -> Result<DecryptedBatch, SdtidError> {
        let (verification, attempt) = self.verify_attempts(password);
        verification.outcome?;
        let Some(attempt) = attempt else {
            return Err(SdtidError::WrongPassword);
        };
        let tokens = self
            .tokens
            .iter()
            .map(|info| {
                let sn = info.sn_as_written.as_bytes();
                let key = attempt.keys.token_encrypt_key(sn);
                SdtidToken {
                    serial: info.serial.clone(),
                    seed: crypto::seed_xor(&key, sn, &info.encrypted_seed),
                    attributes: info.attributes.clone(),
                    user: info.user.clone(),
                    device_serial_number: info.device_serial_number.clone(),
                    nickname: info.nickname.clone(),
                }
            })
            .collect();
        Ok(DecryptedBatch {
            header: self.header(),
            password_protected: verification.protection == Protection::Password,
            tokens,
        })
    }
}
