//! The inventory file on disk: vault header, sealed-body length, sealed body.
//!
//! ```text
//! vault header (KDF params, salt, key check) | body length (u64 LE) | sealed body
//! ```
//! The header and length are bound into the body's associated data, so editing either is
//! detected; the length lets a truncated file be reported as truncated rather than "tampered".

use super::inventory::Inventory;
use super::store;
use super::vault::{self, VaultError, VaultHeader, VaultKey};
use crate::secret::SecretString;
use zeroize::Zeroizing;

const CONTEXT: &[u8] = b"inventory\0";
const PREFIX_LEN: usize = vault::HEADER_LEN + 8;

/// Why the inventory file cannot be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    WrongPassphrase,
    /// A version 1 file (no header checksum) did not unlock: a wrong passphrase, or damage.
    WrongPassphraseOrLegacyDamage,
    /// Damaged, truncated, modified or not ours; the text says which.
    Damaged(String),
}

fn context(prefix: &[u8]) -> Vec<u8> {
    [CONTEXT, prefix].concat()
}

/// The complete file content for `inventory` sealed under `key`.
pub fn encode(header: &VaultHeader, key: &VaultKey, inventory: &Inventory) -> Zeroizing<Vec<u8>> {
    let plain_len = store::encoded_len(inventory);
    let body_len = (plain_len + vault::SEAL_OVERHEAD) as u64;
    let mut prefix = Vec::with_capacity(PREFIX_LEN);
    prefix.extend_from_slice(&header.to_bytes());
    prefix.extend_from_slice(&body_len.to_le_bytes());
    // One exact-size buffer: prefix, room for version and nonce, plaintext, then the tag.
    let mut file = Zeroizing::new(Vec::with_capacity(
        PREFIX_LEN + plain_len + vault::SEAL_OVERHEAD,
    ));
    file.extend_from_slice(&prefix);
    file.extend_from_slice(&[0u8; vault::BLOB_PREFIX_LEN]);
    store::encode_into(inventory, &mut file);
    key.seal_in_place(&mut file, PREFIX_LEN, &context(&prefix));
    debug_assert_eq!(file.len() as u64, PREFIX_LEN as u64 + body_len);
    file
}

/// Splits a file into its authenticated prefix (header and length) and the sealed body,
/// checking everything that can be checked without the key: header (magic, version, checksum,
/// KDF bounds) and length. Run before the key is derived, so damage is reported at once.
pub fn frame(file: &[u8]) -> Result<(VaultHeader, &[u8], &[u8]), ReadError> {
    let (header, rest) = VaultHeader::parse(file).map_err(describe)?;
    if rest.len() < 8 {
        return Err(describe(VaultError::Truncated));
    }
    let prefix_len = file.len() - rest.len() + 8;
    let (length, body) = rest.split_at(8);
    let expected = u64::from_le_bytes(length.try_into().expect("8 bytes"));
    if (body.len() as u64) < expected {
        return Err(ReadError::Damaged(format!(
            "the file is truncated ({} of {} bytes)",
            file.len(),
            prefix_len as u64 + expected
        )));
    }
    if body.len() as u64 > expected {
        return Err(ReadError::Damaged(
            "the file has unexpected bytes at the end".into(),
        ));
    }
    Ok((header, &file[..prefix_len], body))
}

/// Decrypts and decodes a file whose key has been unlocked from its header, in the file's own
/// buffer (which then holds the plaintext: wipe it), so opening a large inventory holds its
/// bytes once, not twice.
pub fn decode_in_place(file: &mut [u8], key: &VaultKey) -> Result<Inventory, ReadError> {
    let prefix_len = frame(file)?.1.len();
    let context = context(&file[..prefix_len]);
    let body = &mut file[prefix_len..];
    let plain = key.unseal_in_place(body, &context).map_err(describe)?;
    store::decode(&body[plain])
        .map_err(|e| ReadError::Damaged(format!("the decrypted inventory is invalid: {e}")))
}

/// Unlocks and decodes in one step, in the file's buffer (see [`decode_in_place`]); the
/// file's frame is checked before the key is derived.
pub fn open_in_place(
    file: &mut [u8],
    passphrase: &SecretString,
) -> Result<(VaultHeader, VaultKey, Inventory), ReadError> {
    let (header, _, _) = frame(file)?;
    let key = VaultKey::unlock(passphrase, &header).map_err(|error| match error {
        // A version 1 header has no checksum: its salt or key check may be damaged.
        VaultError::WrongPassphrase if header.is_legacy() => {
            ReadError::WrongPassphraseOrLegacyDamage
        }
        other => describe(other),
    })?;
    let inventory = decode_in_place(file, &key)?;
    Ok((header, key, inventory))
}

fn describe(error: VaultError) -> ReadError {
    match error {
        VaultError::WrongPassphrase => ReadError::WrongPassphrase,
        VaultError::Tampered => {
            ReadError::Damaged("authentication failed: the file was modified or corrupted".into())
        }
        other => ReadError::Damaged(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::vault::KdfParams;

    fn open(
        file: &[u8],
        passphrase: &SecretString,
    ) -> Result<(VaultHeader, VaultKey, Inventory), ReadError> {
        open_in_place(&mut file.to_vec(), passphrase)
    }

    fn sample_file() -> (Zeroizing<Vec<u8>>, SecretString) {
        let passphrase = SecretString::from("pass");
        let (key, header) = VaultKey::create(&passphrase, KdfParams::INSECURE_FOR_TESTS);
        (encode(&header, &key, &Inventory::default()), passphrase)
    }

    #[test]
    fn round_trip_and_each_failure_is_named() {
        let (file, passphrase) = sample_file();
        let (_, _, inventory) = open(&file, &passphrase).unwrap();
        assert!(inventory.is_empty());
        assert_eq!(
            open(&file, &SecretString::from("nope")).unwrap_err(),
            ReadError::WrongPassphrase
        );

        let truncated = &file[..file.len() - 3];
        match open(truncated, &passphrase).unwrap_err() {
            ReadError::Damaged(why) => assert!(why.contains("truncated"), "{why}"),
            other => panic!("{other:?}"),
        }
        let mut modified = file.to_vec();
        let last = modified.len() - 20;
        modified[last] ^= 0x40;
        match open(&modified, &passphrase).unwrap_err() {
            ReadError::Damaged(why) => assert!(why.contains("modified"), "{why}"),
            other => panic!("{other:?}"),
        }
        let mut length_edited = file.to_vec();
        length_edited[vault::HEADER_LEN] ^= 0x01;
        assert!(matches!(
            open(&length_edited, &passphrase),
            Err(ReadError::Damaged(_))
        ));
        assert!(matches!(open(b"", &passphrase), Err(ReadError::Damaged(_))));
    }

    /// The inventory as tokendist wrote it before the header had a checksum.
    fn legacy_file(passphrase: &SecretString) -> Vec<u8> {
        let (key, header) = VaultKey::create(passphrase, KdfParams::INSECURE_FOR_TESTS);
        let inventory = Inventory::default();
        let plain_len = store::encoded_len(&inventory);
        let mut file = header.to_v1_bytes().to_vec();
        file.extend_from_slice(&((plain_len + vault::SEAL_OVERHEAD) as u64).to_le_bytes());
        let prefix = file.clone();
        file.extend_from_slice(&[0u8; vault::BLOB_PREFIX_LEN]);
        store::encode_into(&inventory, &mut file);
        key.seal_in_place(&mut file, prefix.len(), &context(&prefix));
        file
    }

    #[test]
    fn a_damaged_header_reads_as_damage_not_as_a_wrong_passphrase() {
        let (file, passphrase) = sample_file();
        // The header, its length field and the sealed body's version and nonce.
        for at in 0..PREFIX_LEN + vault::BLOB_PREFIX_LEN {
            let mut bad = file.to_vec();
            bad[at] ^= 0x10;
            match open(&bad, &passphrase) {
                Err(ReadError::Damaged(_)) => {}
                other => panic!("byte {at}: {:?}", other.map(|_| ())),
            }
        }
    }

    #[test]
    fn a_version_1_inventory_still_opens_and_its_next_save_is_version_2() {
        let passphrase = SecretString::from("pass");
        let file = legacy_file(&passphrase);
        let (header, key, inventory) = open(&file, &passphrase).unwrap();
        assert!(header.is_legacy());
        assert_eq!(
            open(&file, &SecretString::from("nope")).unwrap_err(),
            ReadError::WrongPassphraseOrLegacyDamage
        );
        let saved = encode(&header, &key, &inventory);
        assert_eq!(saved.len(), file.len() + vault::HEADER_LEN - 70);
        let (header, _, _) = open(&saved, &passphrase).unwrap();
        assert!(!header.is_legacy());
    }
}
