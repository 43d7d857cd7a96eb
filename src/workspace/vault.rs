//! The vault: a passphrase-derived AES-256-GCM key and the sealed-blob format.
//!
//! The key comes from Argon2id over the operator's passphrase with a random salt; the
//! parameters and salt sit in a small header at the front of the inventory file, together with
//! a key-check value so that a wrong passphrase ("try again") can be told apart from a damaged
//! or tampered file ("restore a backup"). Everything sealed binds a context string as
//! associated data, so one sealed blob cannot be swapped in for another.

use crate::secret::{SecretBytes, SecretString};
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const MAGIC: &[u8; 8] = b"TKDVAULT";
/// Version 1: magic, version, KDF id, parameters, salt, key check. Read, never written.
const FORMAT_V1: u8 = 1;
/// Version 2: version 1's fields followed by a header checksum, so that damage anywhere in the
/// header is reported as damage (before any key derivation) rather than as a wrong passphrase.
const FORMAT_V2: u8 = 2;
const KDF_ARGON2ID_13: u8 = 1;
const SALT_LEN: usize = 16;
const CHECK_LEN: usize = 32;
const SUM_LEN: usize = 8;
/// Bytes of a version 1 header.
const HEADER_V1_LEN: usize = 8 + 1 + 1 + 4 + 4 + 4 + SALT_LEN + CHECK_LEN;
/// Bytes of the vault header this tokendist writes at the front of the inventory file.
pub const HEADER_LEN: usize = HEADER_V1_LEN + SUM_LEN;
const SUM_CONTEXT: &[u8] = b"tokendist vault header v2\0";

const BLOB_VERSION: u8 = 1;
pub(crate) const NONCE_LEN: usize = 12;
pub(crate) const TAG_LEN: usize = 16;
/// Bytes before the ciphertext in a sealed blob (version and nonce).
pub const BLOB_PREFIX_LEN: usize = 1 + NONCE_LEN;
/// Bytes a sealed blob adds to its plaintext.
pub const SEAL_OVERHEAD: usize = BLOB_PREFIX_LEN + TAG_LEN;
const AAD_PREFIX: &[u8] = b"tokendist/sealed/v1\0";

/// Argon2id cost parameters, stored with the file so they can be raised later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl KdfParams {
    /// What new workspaces use: 64 MiB, 3 passes, 1 lane — well above OWASP's Argon2id minimums
    /// (19 MiB x 2 or 47 MiB x 1) while unlocking in 0.1-0.3 s on one server core (measured in
    /// `benches/inventory.rs`), so opening the wizard stays quick on an older console too.
    pub const PRODUCTION: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };

    /// Cheap parameters so tests can create many workspaces quickly. Never for real data.
    #[doc(hidden)]
    pub const INSECURE_FOR_TESTS: KdfParams = KdfParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    /// Most memory a stored header may ask for: 1 GiB, 16 times what new workspaces use.
    pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
    /// Most passes a stored header may ask for.
    pub const MAX_ITERATIONS: u32 = 16;
    /// Most lanes a stored header may ask for.
    pub const MAX_PARALLELISM: u32 = 16;
    /// Most total work (memory x passes, in KiB) a stored header may ask for: 2 GiB-passes,
    /// about ten times what new workspaces use; a few seconds at most, never minutes.
    pub const MAX_COST_KIB: u64 = 2 * 1024 * 1024;

    /// Bounds a stored header may claim, checked before any key derivation: a damaged or
    /// forged header must not make us allocate gigabytes or compute for minutes.
    pub fn is_plausible(self) -> bool {
        (8..=Self::MAX_MEMORY_KIB).contains(&self.memory_kib)
            && (1..=Self::MAX_ITERATIONS).contains(&self.iterations)
            && (1..=Self::MAX_PARALLELISM).contains(&self.parallelism)
            && self.memory_kib >= 8 * self.parallelism
            && u64::from(self.memory_kib) * u64::from(self.iterations) <= Self::MAX_COST_KIB
    }
}

/// Why a vault header or sealed blob cannot be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("not a tokendist vault file")]
    NotAVault,
    #[error(
        "vault format version {0} is unknown: the file is damaged or was written by a newer tokendist"
    )]
    UnsupportedVersion(u8),
    #[error("the file is truncated")]
    Truncated,
    #[error("the key-derivation parameters in the file are out of range")]
    BadParams,
    #[error("the header is damaged (its checksum does not match)")]
    HeaderDamaged,
    #[error("wrong passphrase")]
    WrongPassphrase,
    #[error("authentication failed: the data was modified or truncated")]
    Tampered,
    /// The body length after the header is larger than any file can be: not truncation (a
    /// size to report) but a damaged field.
    #[error("the body length field is damaged (it declares {declared} bytes)")]
    LengthDamaged { declared: u64 },
}

/// The parsed vault header: how to derive the key, and the value that confirms it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultHeader {
    pub params: KdfParams,
    salt: [u8; SALT_LEN],
    check: [u8; CHECK_LEN],
    /// The format version the header was read in ([`VaultHeader::to_bytes`] always writes the
    /// current one, so the next save upgrades a version 1 file).
    read_version: u8,
}

fn header_sum(fields: &[u8]) -> [u8; SUM_LEN] {
    let mut hash = Sha256::new();
    hash.update(SUM_CONTEXT);
    hash.update(fields);
    hash.finalize()[..SUM_LEN]
        .try_into()
        .expect("a SHA-256 prefix")
}

impl VaultHeader {
    /// The header in the current format (version 2, with its checksum).
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let mut at = 0;
        let mut put = |bytes: &[u8]| {
            out[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        put(MAGIC);
        put(&[FORMAT_V2, KDF_ARGON2ID_13]);
        put(&self.params.memory_kib.to_le_bytes());
        put(&self.params.iterations.to_le_bytes());
        put(&self.params.parallelism.to_le_bytes());
        put(&self.salt);
        put(&self.check);
        let sum = header_sum(&out[..HEADER_V1_LEN]);
        out[HEADER_V1_LEN..].copy_from_slice(&sum);
        out
    }

    /// The version 1 form (no checksum), as older tokendist wrote it: for tests of reading
    /// existing workspaces.
    #[cfg(test)]
    pub(crate) fn to_v1_bytes(&self) -> [u8; HEADER_V1_LEN] {
        let mut out: [u8; HEADER_V1_LEN] = self.to_bytes()[..HEADER_V1_LEN]
            .try_into()
            .expect("the version 1 part");
        out[8] = FORMAT_V1;
        out
    }

    /// True when the header was read from a version 1 file, which has no checksum: there a
    /// damaged salt or key check cannot be told from a wrong passphrase.
    pub fn is_legacy(&self) -> bool {
        self.read_version == FORMAT_V1
    }

    /// Parses the header at the front of `file`; returns it and the rest of the file.
    ///
    /// Everything is checked before anything is derived: the magic, the version, the checksum
    /// (version 2) and the bounds of the key-derivation parameters, so a damaged header is
    /// reported as damage at once instead of as a wrong passphrase after a costly derivation.
    pub fn parse(file: &[u8]) -> Result<(VaultHeader, &[u8]), VaultError> {
        if file.len() < MAGIC.len() || &file[..MAGIC.len()] != MAGIC {
            return Err(if MAGIC.starts_with(file) {
                VaultError::Truncated
            } else {
                VaultError::NotAVault
            });
        }
        let Some(&version) = file.get(MAGIC.len()) else {
            return Err(VaultError::Truncated);
        };
        let header_len = match version {
            FORMAT_V1 => HEADER_V1_LEN,
            FORMAT_V2 => HEADER_LEN,
            other => return Err(VaultError::UnsupportedVersion(other)),
        };
        if file.len() < header_len {
            return Err(VaultError::Truncated);
        }
        if version == FORMAT_V2
            && header_sum(&file[..HEADER_V1_LEN]) != file[HEADER_V1_LEN..HEADER_LEN]
        {
            return Err(VaultError::HeaderDamaged);
        }
        if file[9] != KDF_ARGON2ID_13 {
            return Err(VaultError::BadParams);
        }
        let word = |at: usize| u32::from_le_bytes(file[at..at + 4].try_into().expect("4 bytes"));
        let params = KdfParams {
            memory_kib: word(10),
            iterations: word(14),
            parallelism: word(18),
        };
        if !params.is_plausible() {
            return Err(VaultError::BadParams);
        }
        let salt = file[22..22 + SALT_LEN].try_into().expect("salt length");
        let check = file[22 + SALT_LEN..HEADER_V1_LEN]
            .try_into()
            .expect("check length");
        Ok((
            VaultHeader {
                params,
                salt,
                check,
                read_version: version,
            },
            &file[header_len..],
        ))
    }
}

/// The key that protects the inventory and staged job outputs at rest (AES-256-GCM).
pub struct VaultKey {
    key: SecretBytes<32>,
}

impl std::fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VaultKey(***)")
    }
}

/// The Argon2id output, split by hashing into the AES key and the key-check value.
fn derive(
    passphrase: &SecretString,
    params: KdfParams,
    salt: &[u8],
) -> (SecretBytes<32>, [u8; 32]) {
    let argon_params = argon2::Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .expect("parameters checked by is_plausible");
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon_params,
    );
    let mut master = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.expose().as_bytes(), salt, master.as_mut())
        .expect("salt and output lengths are valid for Argon2");
    let mut key_hash = Sha256::new();
    key_hash.update(b"tokendist vault key v1\0");
    key_hash.update(master.as_ref());
    let key = SecretBytes::new(key_hash.finalize().into());
    let mut check_hash = Sha256::new();
    check_hash.update(b"tokendist key check v1\0");
    check_hash.update(master.as_ref());
    (key, check_hash.finalize().into())
}

impl VaultKey {
    /// A fresh key for a new vault: random salt, `params`, and the header to store.
    pub fn create(passphrase: &SecretString, params: KdfParams) -> (VaultKey, VaultHeader) {
        assert!(
            params.is_plausible(),
            "KDF parameters out of range: {params:?}"
        );
        let salt: [u8; SALT_LEN] = *SecretBytes::<SALT_LEN>::random().expose();
        let (key, check) = derive(passphrase, params, &salt);
        (
            VaultKey { key },
            VaultHeader {
                params,
                salt,
                check,
                read_version: FORMAT_V2,
            },
        )
    }

    /// Derives the key a header describes; [`VaultError::WrongPassphrase`] when the key-check
    /// value does not match.
    pub fn unlock(passphrase: &SecretString, header: &VaultHeader) -> Result<VaultKey, VaultError> {
        let (key, check) = derive(passphrase, header.params, &header.salt);
        if !constant_time_eq(&check, &header.check) {
            return Err(VaultError::WrongPassphrase);
        }
        Ok(VaultKey { key })
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new_from_slice(self.key.expose()).expect("a 32-byte key")
    }

    /// Encrypts `buffer[blob_start + BLOB_PREFIX_LEN..]` in place into a sealed blob that
    /// starts at `blob_start` (the caller leaves [`BLOB_PREFIX_LEN`] bytes there for the version
    /// and nonce) and appends the tag. Lets large plaintexts be sealed without a second copy.
    pub(crate) fn seal_in_place(&self, buffer: &mut Vec<u8>, blob_start: usize, context: &[u8]) {
        let nonce_bytes: [u8; NONCE_LEN] = *SecretBytes::<NONCE_LEN>::random().expose();
        buffer[blob_start] = BLOB_VERSION;
        buffer[blob_start + 1..blob_start + BLOB_PREFIX_LEN].copy_from_slice(&nonce_bytes);
        let aad = aad(context);
        let tag = self
            .cipher()
            .encrypt_in_place_detached(
                Nonce::from_slice(&nonce_bytes),
                &aad,
                &mut buffer[blob_start + BLOB_PREFIX_LEN..],
            )
            .expect("AES-GCM encryption of less than 64 GiB cannot fail");
        buffer.extend_from_slice(&tag);
    }

    /// Seals one piece of a chunked stream in place under an explicit nonce (the caller makes
    /// every nonce unique for this key) and returns its tag. `context` is bound like
    /// [`VaultKey::seal`]'s.
    pub(crate) fn seal_chunk(
        &self,
        nonce: &[u8; NONCE_LEN],
        context: &[u8],
        chunk: &mut [u8],
    ) -> [u8; TAG_LEN] {
        self.cipher()
            .encrypt_in_place_detached(Nonce::from_slice(nonce), &aad(context), chunk)
            .expect("AES-GCM encryption of less than 64 GiB cannot fail")
            .into()
    }

    /// Reverses [`VaultKey::seal_chunk`] in place.
    pub(crate) fn open_chunk(
        &self,
        nonce: &[u8; NONCE_LEN],
        context: &[u8],
        chunk: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), VaultError> {
        self.cipher()
            .decrypt_in_place_detached(Nonce::from_slice(nonce), &aad(context), chunk, tag.into())
            .map_err(|_| VaultError::Tampered)
    }

    /// Encrypts and authenticates `plaintext`; `context` (e.g. a file's role) is bound as
    /// associated data so a sealed blob cannot be swapped for another.
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        let mut buffer = Vec::with_capacity(plaintext.len() + SEAL_OVERHEAD);
        buffer.extend_from_slice(&[0u8; BLOB_PREFIX_LEN]);
        buffer.extend_from_slice(plaintext);
        self.seal_in_place(&mut buffer, 0, context);
        buffer
    }

    /// Reverses [`VaultKey::seal`]; fails on a wrong key, tampering or truncation. The
    /// plaintext is wiped when the result is dropped.
    pub fn open(
        &self,
        sealed: &[u8],
        context: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, super::WorkspaceError> {
        self.unseal(sealed, context)
            .map_err(super::WorkspaceError::Sealed)
    }

    /// Decrypts a sealed blob where it lies (the inverse of [`VaultKey::seal_in_place`]) and
    /// returns where in `blob` the plaintext now is: a large plaintext (the inventory) is not
    /// copied. On failure `blob` may hold garbage; the caller discards it.
    pub(crate) fn unseal_in_place(
        &self,
        blob: &mut [u8],
        context: &[u8],
    ) -> Result<std::ops::Range<usize>, VaultError> {
        if blob.len() < SEAL_OVERHEAD {
            return Err(VaultError::Truncated);
        }
        if blob[0] != BLOB_VERSION {
            return Err(VaultError::UnsupportedVersion(blob[0]));
        }
        let body_end = blob.len() - TAG_LEN;
        let (prefix, rest) = blob.split_at_mut(BLOB_PREFIX_LEN);
        let (body, tag) = rest.split_at_mut(body_end - BLOB_PREFIX_LEN);
        self.cipher()
            .decrypt_in_place_detached(
                Nonce::from_slice(&prefix[1..]),
                &aad(context),
                body,
                (&*tag).into(),
            )
            .map_err(|_| VaultError::Tampered)?;
        Ok(BLOB_PREFIX_LEN..body_end)
    }

    /// [`VaultKey::open`] with the vault's own error type.
    pub fn unseal(&self, sealed: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        if sealed.len() < SEAL_OVERHEAD {
            return Err(VaultError::Truncated);
        }
        if sealed[0] != BLOB_VERSION {
            return Err(VaultError::UnsupportedVersion(sealed[0]));
        }
        let nonce = Nonce::from_slice(&sealed[1..BLOB_PREFIX_LEN]);
        let (body, tag) = sealed[BLOB_PREFIX_LEN..].split_at(sealed.len() - SEAL_OVERHEAD);
        let mut plaintext = Zeroizing::new(body.to_vec());
        self.cipher()
            .decrypt_in_place_detached(nonce, &aad(context), &mut plaintext, tag.into())
            .map_err(|_| VaultError::Tampered)?;
        Ok(plaintext)
    }
}

fn aad(context: &[u8]) -> Vec<u8> {
    [AAD_PREFIX, context].concat()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(passphrase: &str) -> (VaultKey, VaultHeader) {
        VaultKey::create(
            &SecretString::from(passphrase),
            KdfParams::INSECURE_FOR_TESTS,
        )
    }

    #[test]
    fn header_round_trips_and_unlocks_only_with_the_right_passphrase() {
        let (_, header) = key("correct horse");
        let bytes = header.to_bytes();
        let (parsed, rest) = VaultHeader::parse(&bytes).unwrap();
        assert_eq!(parsed, header);
        assert!(rest.is_empty());
        assert!(VaultKey::unlock(&SecretString::from("correct horse"), &parsed).is_ok());
        assert_eq!(
            VaultKey::unlock(&SecretString::from("wrong"), &parsed).unwrap_err(),
            VaultError::WrongPassphrase
        );
    }

    #[test]
    fn damaged_headers_are_named() {
        let (_, header) = key("p");
        let bytes = header.to_bytes();
        assert_eq!(
            VaultHeader::parse(&bytes[..30]).unwrap_err(),
            VaultError::Truncated
        );
        assert_eq!(
            VaultHeader::parse(&bytes[..4]).unwrap_err(),
            VaultError::Truncated
        );
        assert_eq!(
            VaultHeader::parse(b"<?xml version").unwrap_err(),
            VaultError::NotAVault
        );
        // An edited parameter breaks the checksum (bounds with a valid checksum: below).
        let mut huge = bytes;
        huge[10..14].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            VaultHeader::parse(&huge).unwrap_err(),
            VaultError::HeaderDamaged
        );
        // In a version 1 header (no checksum) the bounds are what refuses it.
        let mut huge_v1 = header.to_v1_bytes();
        huge_v1[10..14].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            VaultHeader::parse(&huge_v1).unwrap_err(),
            VaultError::BadParams
        );
    }

    #[test]
    fn every_bit_of_a_version_2_header_is_covered_by_its_checksum() {
        let (_, header) = key("p");
        let bytes = header.to_bytes();
        for at in 0..HEADER_LEN {
            for bit in 0..8 {
                let mut bad = bytes;
                bad[at] ^= 1 << bit;
                let error = VaultHeader::parse(&bad).unwrap_err();
                assert_ne!(error, VaultError::WrongPassphrase, "byte {at} bit {bit}");
            }
        }
    }

    #[test]
    fn kdf_parameters_beyond_the_bounds_are_refused_before_deriving_even_with_a_valid_checksum() {
        let (_, header) = key("p");
        let forged = |params: KdfParams| {
            let mut forged = header.clone();
            forged.params = params;
            VaultHeader::parse(&forged.to_bytes()).map(|(h, _)| h.params)
        };
        let base = KdfParams::PRODUCTION;
        // What made the key derivation take 4.1 GB and 37 s.
        let four_gib = KdfParams {
            memory_kib: 4 * 1024 * 1024,
            ..base
        };
        assert_eq!(forged(four_gib), Err(VaultError::BadParams));
        let too_long = KdfParams {
            memory_kib: KdfParams::MAX_MEMORY_KIB,
            iterations: 3,
            ..base
        };
        assert_eq!(forged(too_long), Err(VaultError::BadParams));
        assert_eq!(
            forged(KdfParams {
                iterations: KdfParams::MAX_ITERATIONS + 1,
                ..base
            }),
            Err(VaultError::BadParams)
        );
        assert_eq!(forged(base), Ok(base));
        assert!(KdfParams::PRODUCTION.is_plausible());
    }

    #[test]
    fn a_version_1_header_is_still_read_and_is_rewritten_as_version_2() {
        let (_, header) = key("correct horse");
        let v1 = header.to_v1_bytes();
        let (parsed, rest) = VaultHeader::parse(&v1).unwrap();
        assert!(rest.is_empty());
        assert!(parsed.is_legacy());
        assert!(VaultKey::unlock(&SecretString::from("correct horse"), &parsed).is_ok());
        let upgraded = parsed.to_bytes();
        assert_eq!(upgraded[8], FORMAT_V2);
        assert!(!VaultHeader::parse(&upgraded).unwrap().0.is_legacy());
    }

    #[test]
    fn sealed_blobs_detect_tampering_truncation_and_context_swaps() {
        let (key, _) = key("p");
        let sealed = key.seal(b"seed material", b"inventory");
        assert_eq!(
            key.unseal(&sealed, b"inventory").unwrap().as_slice(),
            b"seed material"
        );
        assert_eq!(
            key.unseal(&sealed, b"job output").unwrap_err(),
            VaultError::Tampered
        );
        for at in 1..sealed.len() {
            let mut bad = sealed.clone();
            bad[at] ^= 0x01;
            assert_eq!(
                key.unseal(&bad, b"inventory").unwrap_err(),
                VaultError::Tampered
            );
        }
        assert_eq!(
            key.unseal(&sealed[..sealed.len() - 1], b"inventory")
                .unwrap_err(),
            VaultError::Tampered
        );
        assert_eq!(
            key.unseal(&sealed[..10], b"inventory").unwrap_err(),
            VaultError::Truncated
        );
        let (other, _) = self::key("p");
        assert_eq!(
            other.unseal(&sealed, b"inventory").unwrap_err(),
            VaultError::Tampered
        );
    }

    #[test]
    fn two_seals_of_the_same_plaintext_differ() {
        let (key, _) = key("p");
        assert_ne!(key.seal(b"x", b"c"), key.seal(b"x", b"c"));
    }
}
