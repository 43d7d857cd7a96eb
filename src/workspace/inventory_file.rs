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
use std::io::Read;
use zeroize::{Zeroize, Zeroizing};

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
    /// Reading the file failed (the disk, not the content).
    Io {
        kind: std::io::ErrorKind,
        message: String,
    },
}

fn context(prefix: &[u8]) -> Vec<u8> {
    [CONTEXT, prefix].concat()
}

/// Plaintext bytes per sealed chunk of the body: saving holds at most three chunks (one being
/// encoded, one sealed, one written), never the whole encoded inventory (about 80 MB for a
/// million tokens).
const CHUNK_BYTES: usize = 1 << 20;
/// The body's first byte for a chunked body (a single sealed blob starts with 1).
const CHUNKED: u8 = 2;
/// Version, chunk size (u32 LE) and the nonce prefix (8 random bytes) before the chunks.
const CHUNKED_PREFIX_LEN: usize = 1 + 4 + 8;
/// Larger chunk sizes are refused when reading (damage, not a file we wrote).
const MAX_CHUNK_BYTES: usize = 64 << 20;

/// The complete file content for `inventory` sealed under `key` (for callers that need the
/// bytes; saving streams them with [`write_to`]).
pub fn encode(header: &VaultHeader, key: &VaultKey, inventory: &Inventory) -> Zeroizing<Vec<u8>> {
    let mut file = Zeroizing::new(Vec::new());
    write_to(header, key, inventory, &mut *file).expect("writing to memory cannot fail");
    file
}

/// Writes the sealed file for `inventory` to `out` as it is encrypted, one chunk at a time.
///
/// The body is `2 | chunk size | nonce prefix | chunks`, each chunk AES-256-GCM sealed with
/// the nonce `prefix ‖ index (u32 BE, top bit set on the last chunk)` and the file's header,
/// length and body prefix as associated data: chunks cannot be reordered, dropped, cut off or
/// moved to another file without the reader noticing.
pub fn write_to(
    header: &VaultHeader,
    key: &VaultKey,
    inventory: &Inventory,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    write_chunked(header, key, inventory, out, CHUNK_BYTES)
}

fn write_chunked(
    header: &VaultHeader,
    key: &VaultKey,
    inventory: &Inventory,
    out: &mut dyn std::io::Write,
    chunk_bytes: usize,
) -> std::io::Result<()> {
    let mut nonce_prefix = [0u8; 8];
    getrandom::fill(&mut nonce_prefix).expect("the operating system CSPRNG is unavailable");
    let layout = BodyLayout::new(header, inventory, chunk_bytes, nonce_prefix);
    if layout.chunks >= PIPELINE_MIN_CHUNKS {
        write_pipelined(&layout, key, inventory, out)
    } else {
        write_sequential(&layout, key, inventory, out)
    }
}

/// From this many chunks on, a second thread seals chunk N while chunk N+1 is encoded (a
/// thread costs more than it saves on a one-chunk inventory).
const PIPELINE_MIN_CHUNKS: usize = 2;

/// Everything about the body that is fixed before the first chunk: its length, the chunk
/// count, the nonce prefix and the associated data every chunk is sealed with.
struct BodyLayout {
    /// Vault header and body length, then the body prefix (written before the chunks).
    front: Vec<u8>,
    context: Vec<u8>,
    nonce_prefix: [u8; 8],
    chunk_bytes: usize,
    chunks: usize,
    plain_len: usize,
}

impl BodyLayout {
    fn new(
        header: &VaultHeader,
        inventory: &Inventory,
        chunk_bytes: usize,
        nonce_prefix: [u8; 8],
    ) -> BodyLayout {
        let plain_len = store::encoded_len(inventory);
        let chunks = plain_len.div_ceil(chunk_bytes).max(1);
        let body_len = (CHUNKED_PREFIX_LEN + plain_len + chunks * vault::TAG_LEN) as u64;
        let mut prefix = Vec::with_capacity(PREFIX_LEN);
        prefix.extend_from_slice(&header.to_bytes());
        prefix.extend_from_slice(&body_len.to_le_bytes());
        let mut body_prefix = [0u8; CHUNKED_PREFIX_LEN];
        body_prefix[0] = CHUNKED;
        let chunk_size = u32::try_from(chunk_bytes).expect("chunks are far below 4 GiB");
        body_prefix[1..5].copy_from_slice(&chunk_size.to_le_bytes());
        body_prefix[5..].copy_from_slice(&nonce_prefix);
        BodyLayout {
            context: chunk_context(&prefix, &body_prefix),
            front: [&prefix[..], &body_prefix].concat(),
            nonce_prefix,
            chunk_bytes,
            chunks,
            plain_len,
        }
    }

    fn check_plain_len(&self, plain: usize) -> std::io::Result<()> {
        if plain == self.plain_len {
            Ok(())
        } else {
            Err(changed_size())
        }
    }
}

fn changed_size() -> std::io::Error {
    std::io::Error::other(
        "internal error: the inventory's encoding changed size while it was saved",
    )
}

/// Encodes and seals on the calling thread, one chunk at a time.
fn write_sequential(
    layout: &BodyLayout,
    key: &VaultKey,
    inventory: &Inventory,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    out.write_all(&layout.front)?;
    let mut sealer = ChunkSealer {
        key,
        context: layout.context.clone(),
        nonce_prefix: layout.nonce_prefix,
        chunk_bytes: layout.chunk_bytes,
        chunks: layout.chunks,
        sealed: 0,
        plain: 0,
        buffer: Zeroizing::new(Vec::with_capacity(layout.chunk_bytes + 4096)),
    };
    store::encode_start(inventory, &mut sealer.buffer);
    for token in inventory.iter() {
        store::encode_token(token, &mut sealer.buffer);
        sealer.seal_full_chunks(out)?;
    }
    sealer.seal_last(out)?;
    layout.check_plain_len(sealer.plain)
}

/// A chunk of plaintext on its way to the sealing thread: its number, whether it is the
/// last, and its bytes (sealed in place and sent back).
type ChunkToSeal = (usize, bool, Zeroizing<Vec<u8>>);

/// The same bytes as [`write_sequential`], on two cores: the calling thread encodes chunk
/// N+1 and writes chunk N-1 while a sealing thread encrypts chunk N. The writes stay on the
/// calling thread, in order. At most three chunk buffers exist (the one being encoded, the
/// one being sealed, the one being written), each wiped when dropped.
fn write_pipelined(
    layout: &BodyLayout,
    key: &VaultKey,
    inventory: &Inventory,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    out.write_all(&layout.front)?;
    let size = layout.chunk_bytes;
    std::thread::scope(|scope| {
        let (to_seal, sealing) = std::sync::mpsc::sync_channel::<ChunkToSeal>(1);
        let (to_write, sealed) = std::sync::mpsc::sync_channel(1);
        scope.spawn(move || {
            for (index, last, mut chunk) in sealing {
                let nonce = chunk_nonce(&layout.nonce_prefix, index, last);
                let tag = key.seal_chunk(&nonce, &layout.context, &mut chunk);
                if to_write.send((chunk, tag)).is_err() {
                    break;
                }
            }
        });
        // Chunks sent to the sealing thread and not yet written, and the count sent.
        let mut in_flight = 0usize;
        let mut sent = 0usize;
        let mut plain = 0usize;
        let mut spare: Option<Zeroizing<Vec<u8>>> = None;
        let mut write_next = |spare: &mut Option<Zeroizing<Vec<u8>>>| -> std::io::Result<()> {
            let (mut chunk, tag): (Zeroizing<Vec<u8>>, [u8; vault::TAG_LEN]) = sealed
                .recv()
                .map_err(|_| std::io::Error::other("internal error: the sealing thread stopped"))?;
            out.write_all(&chunk)?;
            out.write_all(&tag)?;
            chunk.clear();
            *spare = Some(chunk);
            Ok(())
        };
        let mut buffer = Zeroizing::new(Vec::with_capacity(size + 4096));
        store::encode_start(inventory, &mut buffer);
        for token in inventory.iter() {
            store::encode_token(token, &mut buffer);
            while buffer.len() >= size && sent + 1 < layout.chunks {
                let mut next = spare
                    .take()
                    .unwrap_or_else(|| Zeroizing::new(Vec::with_capacity(size + 4096)));
                next.extend_from_slice(&buffer[size..]);
                buffer.truncate(size);
                let full = std::mem::replace(&mut buffer, next);
                plain += size;
                to_seal.send((sent, false, full)).map_err(|_| {
                    std::io::Error::other("internal error: the sealing thread stopped")
                })?;
                sent += 1;
                in_flight += 1;
                if in_flight > 1 {
                    write_next(&mut spare)?;
                    in_flight -= 1;
                }
            }
        }
        if sent + 1 != layout.chunks || buffer.len() > size {
            return Err(changed_size());
        }
        plain += buffer.len();
        to_seal
            .send((sent, true, buffer))
            .map_err(|_| std::io::Error::other("internal error: the sealing thread stopped"))?;
        drop(to_seal);
        for _ in 0..=in_flight {
            write_next(&mut spare)?;
        }
        layout.check_plain_len(plain)
    })
}

fn chunk_context(prefix: &[u8], body_prefix: &[u8]) -> Vec<u8> {
    [CONTEXT, prefix, body_prefix].concat()
}

fn chunk_nonce(prefix: &[u8; 8], index: usize, last: bool) -> [u8; vault::NONCE_LEN] {
    let index = u32::try_from(index)
        .ok()
        .filter(|index| *index < 1 << 31)
        .expect("fewer than 2^31 chunks");
    let mut nonce = [0u8; vault::NONCE_LEN];
    nonce[..8].copy_from_slice(prefix);
    nonce[8..].copy_from_slice(&(index | (u32::from(last) << 31)).to_be_bytes());
    nonce
}

/// Encrypts the encoded inventory chunk by chunk as it is produced.
struct ChunkSealer<'a> {
    key: &'a VaultKey,
    context: Vec<u8>,
    nonce_prefix: [u8; 8],
    chunk_bytes: usize,
    chunks: usize,
    sealed: usize,
    plain: usize,
    /// Plaintext not yet sealed (wiped when dropped).
    buffer: Zeroizing<Vec<u8>>,
}

impl ChunkSealer<'_> {
    /// Seals and writes every complete chunk but the last (which may be complete too).
    fn seal_full_chunks(&mut self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let size = self.chunk_bytes;
        while self.buffer.len() >= size && self.sealed + 1 < self.chunks {
            self.seal(size, false, out)?;
            let rest = self.buffer.len() - size;
            self.buffer.copy_within(size.., 0);
            self.buffer.truncate(rest);
        }
        Ok(())
    }

    fn seal_last(&mut self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        if self.sealed + 1 != self.chunks || self.buffer.len() > self.chunk_bytes {
            return Err(changed_size());
        }
        let len = self.buffer.len();
        self.seal(len, true, out)?;
        self.buffer.clear();
        Ok(())
    }

    fn seal(
        &mut self,
        len: usize,
        last: bool,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        let nonce = chunk_nonce(&self.nonce_prefix, self.sealed, last);
        let chunk = &mut self.buffer[..len];
        let tag = self.key.seal_chunk(&nonce, &self.context, chunk);
        out.write_all(chunk)?;
        out.write_all(&tag)?;
        self.sealed += 1;
        self.plain += len;
        Ok(())
    }
}

/// Splits a file into its authenticated prefix (header and length) and the sealed body,
/// checking everything that can be checked without the key: header (magic, version, checksum,
/// KDF bounds) and length. Run before the key is derived, so damage is reported at once.
pub fn frame(file: &[u8]) -> Result<(VaultHeader, &[u8], &[u8]), ReadError> {
    let front = &file[..file.len().min(PREFIX_LEN)];
    let (header, prefix_len) = check_front(front, file.len() as u64)?;
    Ok((header, &file[..prefix_len], &file[prefix_len..]))
}

/// [`frame`]'s checks on the front of a file of `file_len` bytes (`front` holds its first
/// [`PREFIX_LEN`] bytes, or all of a shorter file); returns the header and the prefix length.
fn check_front(front: &[u8], file_len: u64) -> Result<(VaultHeader, usize), ReadError> {
    let (header, rest) = VaultHeader::parse(front).map_err(describe)?;
    if rest.len() < 8 {
        return Err(describe(VaultError::Truncated));
    }
    let prefix_len = front.len() - rest.len() + 8;
    let expected = u64::from_le_bytes(rest[..8].try_into().expect("8 bytes"));
    let Some(expected_file_len) = (prefix_len as u64).checked_add(expected) else {
        return Err(describe(VaultError::LengthDamaged { declared: expected }));
    };
    let body_len = file_len - prefix_len as u64;
    if body_len < expected {
        return Err(ReadError::Damaged(format!(
            "the file is truncated ({file_len} of {expected_file_len} bytes)",
        )));
    }
    if body_len > expected {
        return Err(ReadError::Damaged(
            "the file has unexpected bytes at the end".into(),
        ));
    }
    Ok((header, prefix_len))
}

/// An inventory file being read: its front (header and body length) read and checked, the
/// sealed body not yet. Reading the body decrypts and decodes it a chunk at a time, so
/// opening a million tokens holds the inventory and one chunk, not the whole file as well.
pub struct InventoryReader<R> {
    header: VaultHeader,
    /// Header and length field (part of the body's associated data).
    prefix: Vec<u8>,
    /// The body: what was read of it with the front, then the rest of the file.
    body: std::io::Chain<std::io::Cursor<Vec<u8>>, R>,
    body_len: u64,
}

impl<R: std::io::Read> InventoryReader<R> {
    /// Reads the front of `file`, which is `file_len` bytes long, and checks it as [`frame`]
    /// does: before any key is derived, so damage there is reported at once.
    pub fn new(mut file: R, file_len: u64) -> Result<InventoryReader<R>, ReadError> {
        let mut front = vec![0u8; file_len.min(PREFIX_LEN as u64) as usize];
        fill(&mut file, &mut front)?;
        let (header, prefix_len) = check_front(&front, file_len)?;
        let body_start = front.split_off(prefix_len);
        Ok(InventoryReader {
            header,
            body_len: file_len - prefix_len as u64,
            prefix: front,
            body: std::io::Cursor::new(body_start).chain(file),
        })
    }

    pub fn header(&self) -> &VaultHeader {
        &self.header
    }

    /// Derives the key from the passphrase, telling a wrong passphrase from damage.
    pub fn unlock(&self, passphrase: &SecretString) -> Result<VaultKey, ReadError> {
        VaultKey::unlock(passphrase, &self.header).map_err(|error| match error {
            // A version 1 header has no checksum: its salt or key check may be damaged.
            VaultError::WrongPassphrase if self.header.is_legacy() => {
                ReadError::WrongPassphraseOrLegacyDamage
            }
            other => describe(other),
        })
    }

    /// Decrypts and decodes the body. Each chunk is authenticated before any of its bytes is
    /// decoded, and its plaintext wiped once decoded; damage anywhere (a chunk modified,
    /// dropped, reordered or cut, bytes after the last one) fails the whole read.
    pub fn decode(mut self, key: &VaultKey) -> Result<Inventory, ReadError> {
        let mut decoder = store::Decoder::new(usize::try_from(self.body_len).unwrap_or(usize::MAX));
        if self.body_len == 0 {
            return Err(describe(VaultError::Truncated));
        }
        let mut version = [0u8; 1];
        fill(&mut self.body, &mut version)?;
        if version[0] == CHUNKED {
            self.open_chunks(key, &mut decoder)?;
        } else {
            // A single sealed blob, as tokendist wrote the inventory before chunking.
            self.open_blob(version[0], key, &mut decoder)?;
        }
        self.expect_end()?;
        decoder.finish().map_err(invalid)
    }

    fn open_chunks(
        &mut self,
        key: &VaultKey,
        decoder: &mut store::Decoder,
    ) -> Result<(), ReadError> {
        let truncated = || describe(VaultError::Truncated);
        if self.body_len < (CHUNKED_PREFIX_LEN + vault::TAG_LEN) as u64 {
            return Err(truncated());
        }
        let mut body_prefix = [0u8; CHUNKED_PREFIX_LEN];
        body_prefix[0] = CHUNKED;
        fill(&mut self.body, &mut body_prefix[1..])?;
        let chunk_bytes =
            u32::from_le_bytes(body_prefix[1..5].try_into().expect("4 bytes")) as usize;
        if chunk_bytes == 0 || chunk_bytes > MAX_CHUNK_BYTES {
            return Err(ReadError::Damaged(format!(
                "the inventory's chunk size ({chunk_bytes} bytes) is not one tokendist writes"
            )));
        }
        let nonce_prefix: [u8; 8] = body_prefix[5..].try_into().expect("8 bytes");
        let context = chunk_context(&self.prefix, &body_prefix);
        let mut remaining = self.body_len - CHUNKED_PREFIX_LEN as u64;
        let full = chunk_bytes + vault::TAG_LEN;
        // One chunk at a time; it holds plaintext once opened (wiped after each chunk and
        // when dropped).
        let mut sealed = Zeroizing::new(vec![0u8; (full as u64).min(remaining) as usize]);
        let mut index = 0usize;
        loop {
            let sealed_len = (full as u64).min(remaining) as usize;
            if sealed_len < vault::TAG_LEN {
                return Err(truncated());
            }
            if index >= 1 << 31 {
                return Err(ReadError::Damaged(
                    "the inventory has too many chunks".into(),
                ));
            }
            let last = sealed_len as u64 == remaining;
            let sealed = &mut sealed[..sealed_len];
            fill(&mut self.body, sealed)?;
            let (chunk, tag) = sealed.split_at_mut(sealed_len - vault::TAG_LEN);
            let tag: [u8; vault::TAG_LEN] = (&*tag).try_into().expect("a whole tag");
            key.open_chunk(
                &chunk_nonce(&nonce_prefix, index, last),
                &context,
                chunk,
                &tag,
            )
            .map_err(describe)?;
            let decoded = decoder.feed(chunk);
            chunk.zeroize();
            decoded.map_err(invalid)?;
            remaining -= sealed_len as u64;
            index += 1;
            if last {
                return Ok(());
            }
        }
    }

    fn open_blob(
        &mut self,
        version: u8,
        key: &VaultKey,
        decoder: &mut store::Decoder,
    ) -> Result<(), ReadError> {
        let len = usize::try_from(self.body_len).map_err(|_| describe(VaultError::Truncated))?;
        let mut blob = Zeroizing::new(vec![0u8; len]);
        blob[0] = version;
        fill(&mut self.body, &mut blob[1..])?;
        let plain = key
            .unseal_in_place(&mut blob, &context(&self.prefix))
            .map_err(describe)?;
        decoder.feed(&blob[plain]).map_err(invalid)
    }

    /// The file must end where its length field says: more bytes (the file grew while it
    /// was read) are damage, as [`frame`] reports them.
    fn expect_end(&mut self) -> Result<(), ReadError> {
        let mut byte = [0u8; 1];
        loop {
            match self.body.read(&mut byte) {
                Ok(0) => return Ok(()),
                Ok(_) => {
                    return Err(ReadError::Damaged(
                        "the file has unexpected bytes at the end".into(),
                    ));
                }
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(io_failure(&error)),
            }
        }
    }
}

/// Fills `buffer` from `file`; a file that ends first is truncated (damage).
fn fill(file: &mut impl std::io::Read, buffer: &mut [u8]) -> Result<(), ReadError> {
    file.read_exact(buffer).map_err(|error| {
        if error.kind() == std::io::ErrorKind::UnexpectedEof {
            describe(VaultError::Truncated)
        } else {
            io_failure(&error)
        }
    })
}

fn io_failure(error: &std::io::Error) -> ReadError {
    ReadError::Io {
        kind: error.kind(),
        message: error.to_string(),
    }
}

fn invalid(error: store::DecodeError) -> ReadError {
    ReadError::Damaged(format!("the decrypted inventory is invalid: {error}"))
}

/// Unlocks and decodes in one step, a chunk at a time (see [`InventoryReader`]); the file's
/// front is checked before the key is derived.
pub fn open<R: std::io::Read>(
    file: R,
    file_len: u64,
    passphrase: &SecretString,
) -> Result<(VaultHeader, VaultKey, Inventory), ReadError> {
    let reader = InventoryReader::new(file, file_len)?;
    let key = reader.unlock(passphrase)?;
    let header = reader.header().clone();
    let inventory = reader.decode(&key)?;
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
        super::open(file, file.len() as u64, passphrase)
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

    /// Found by fuzzing: a length near `u64::MAX` overflowed computing the size a truncated
    /// file should have had.
    #[test]
    fn a_length_beyond_any_file_is_a_damaged_field_not_truncation() {
        let (file, _) = sample_file();
        let mut damaged = file.to_vec();
        for declared in [u64::MAX, u64::MAX - PREFIX_LEN as u64 + 1] {
            damaged[vault::HEADER_LEN..PREFIX_LEN].copy_from_slice(&declared.to_le_bytes());
            assert_eq!(
                frame(&damaged).unwrap_err(),
                ReadError::Damaged(format!(
                    "the body length field is damaged (it declares {declared} bytes)"
                ))
            );
        }
        let largest = u64::MAX - PREFIX_LEN as u64;
        damaged[vault::HEADER_LEN..PREFIX_LEN].copy_from_slice(&largest.to_le_bytes());
        match frame(&damaged).unwrap_err() {
            ReadError::Damaged(why) => {
                assert!(why.contains(&format!("of {} bytes", u64::MAX)), "{why}")
            }
            other => panic!("{other:?}"),
        }
    }

    fn tokens(count: u64) -> Inventory {
        let mut inventory = Inventory::default();
        inventory.insert_new(
            (0..count)
                .map(|i| super::store::tests::sample(1000 + i, i % 3 != 0))
                .collect(),
        );
        inventory
    }

    /// The file with the body split into `chunk_bytes` chunks.
    fn chunked(inventory: &Inventory, chunk_bytes: usize) -> (Vec<u8>, SecretString, VaultKey) {
        let passphrase = SecretString::from("pass");
        let (key, header) = VaultKey::create(&passphrase, KdfParams::INSECURE_FOR_TESTS);
        let mut file = Vec::new();
        write_chunked(&header, &key, inventory, &mut file, chunk_bytes).unwrap();
        (file, passphrase, key)
    }

    #[test]
    fn a_chunked_body_round_trips_at_every_chunk_boundary() {
        let inventory = tokens(7);
        let plain_len = store::encoded_len(&inventory);
        // Chunks smaller than a record, an exact divisor of the plaintext, one chunk exactly
        // as long as the plaintext, and one larger.
        let divisor = (2..plain_len)
            .find(|d| plain_len.is_multiple_of(*d))
            .unwrap();
        for chunk_bytes in [
            1,
            16,
            61,
            divisor,
            plain_len / divisor,
            plain_len,
            plain_len + 5,
        ] {
            let (file, passphrase, _) = chunked(&inventory, chunk_bytes);
            let chunks = plain_len.div_ceil(chunk_bytes);
            assert_eq!(
                file.len(),
                PREFIX_LEN + CHUNKED_PREFIX_LEN + plain_len + chunks * vault::TAG_LEN,
                "{chunk_bytes}"
            );
            let (_, _, back) = open(&file, &passphrase).unwrap();
            assert_eq!(back, inventory, "{chunk_bytes}");
        }
    }

    /// A writer that accepts `room` bytes, then fails.
    struct FullDisk {
        room: usize,
    }

    impl std::io::Write for FullDisk {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::Error::other("disk full"));
            }
            let written = buf.len().min(self.room);
            self.room -= written;
            Ok(written)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_pipelined_save_writes_the_same_bytes_as_the_sequential_one() {
        let passphrase = SecretString::from("pass");
        let (key, header) = VaultKey::create(&passphrase, KdfParams::INSECURE_FOR_TESTS);
        let inventory = tokens(40);
        let plain_len = store::encoded_len(&inventory);
        let nonce_prefix = [7, 1, 2, 3, 4, 5, 6, 9];
        // Chunks smaller than a record, about a record, several records, all but a byte of
        // the plaintext, and two chunks with a one-byte last chunk.
        for chunk_bytes in [1, 16, 61, 200, 1000, plain_len - 1, plain_len / 2 + 1] {
            let layout = BodyLayout::new(&header, &inventory, chunk_bytes, nonce_prefix);
            assert!(layout.chunks >= PIPELINE_MIN_CHUNKS, "{chunk_bytes}");
            let mut sequential = Vec::new();
            write_sequential(&layout, &key, &inventory, &mut sequential).unwrap();
            let mut pipelined = Vec::new();
            write_pipelined(&layout, &key, &inventory, &mut pipelined).unwrap();
            assert!(sequential == pipelined, "{chunk_bytes}: the bytes differ");
            let (_, _, back) = open(&pipelined, &passphrase).unwrap();
            assert_eq!(back, inventory, "{chunk_bytes}");
        }
    }

    #[test]
    fn a_failing_write_stops_the_pipelined_save_with_the_error() {
        let passphrase = SecretString::from("pass");
        let (key, header) = VaultKey::create(&passphrase, KdfParams::INSECURE_FOR_TESTS);
        let inventory = tokens(40);
        let layout = BodyLayout::new(&header, &inventory, 61, [0; 8]);
        let mut whole = Vec::new();
        write_pipelined(&layout, &key, &inventory, &mut whole).unwrap();
        // Failing in the front, in the first chunk, mid-file and at the last tag.
        for room in [0, PREFIX_LEN + 20, whole.len() / 2, whole.len() - 1] {
            let error =
                write_pipelined(&layout, &key, &inventory, &mut FullDisk { room }).unwrap_err();
            assert_eq!(error.to_string(), "disk full", "{room}");
        }
    }

    #[test]
    fn chunks_swapped_dropped_or_cut_off_are_refused() {
        let inventory = tokens(5);
        let chunk_bytes = 40;
        let (file, passphrase, _) = chunked(&inventory, chunk_bytes);
        let sealed = chunk_bytes + vault::TAG_LEN;
        let first = PREFIX_LEN + CHUNKED_PREFIX_LEN;
        let damaged = |bytes: &[u8]| match open(bytes, &passphrase) {
            Err(ReadError::Damaged(_)) => {}
            other => panic!("{:?}", other.map(|_| ())),
        };
        // Two chunks swapped.
        let mut swapped = file.clone();
        let (a, b) = (first..first + sealed, first + sealed..first + 2 * sealed);
        let chunk_a = file[a.clone()].to_vec();
        swapped.copy_within(b.clone(), a.start);
        swapped[b].copy_from_slice(&chunk_a);
        damaged(&swapped);
        // A whole chunk dropped, and the authenticated length edited to match.
        let set_length = |bytes: &mut Vec<u8>| {
            let body = (bytes.len() - PREFIX_LEN) as u64;
            bytes[vault::HEADER_LEN..PREFIX_LEN].copy_from_slice(&body.to_le_bytes());
        };
        let mut dropped = file.clone();
        dropped.drain(first + sealed..first + 2 * sealed);
        set_length(&mut dropped);
        damaged(&dropped);
        // Cut off after a whole chunk (so the last one read is not marked last).
        let mut cut = file[..first + 2 * sealed].to_vec();
        set_length(&mut cut);
        damaged(&cut);
        // A different chunk size claimed.
        let mut resized = file.clone();
        resized[PREFIX_LEN + 1] ^= 0x01;
        damaged(&resized);
        // One bit of ciphertext.
        let mut flipped = file.clone();
        flipped[first + sealed + 3] ^= 0x01;
        damaged(&flipped);
        assert!(open(&file, &passphrase).is_ok());
    }

    /// Hands out at most `step` bytes per read, then fails once `fail_at` bytes were read (if
    /// set), as a pipe, a slow disk or a failing one may.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
        read: usize,
        fail_at: Option<usize>,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.fail_at.is_some_and(|at| self.read >= at) {
                return Err(std::io::Error::other("the disk failed"));
            }
            let n = buf.len().min(self.step).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            self.read += n;
            Ok(n)
        }
    }

    fn trickle(bytes: &[u8], fail_at: Option<usize>) -> Trickle<'_> {
        Trickle {
            bytes,
            step: 3,
            read: 0,
            fail_at,
        }
    }

    #[test]
    fn short_reads_a_file_changed_under_the_reader_and_a_failing_disk() {
        let inventory = tokens(9);
        let (file, passphrase, _) = chunked(&inventory, 100);
        let len = file.len() as u64;
        let (_, _, back) = super::open(trickle(&file, None), len, &passphrase).unwrap();
        assert_eq!(back, inventory);
        let damage = |result: Result<(VaultHeader, VaultKey, Inventory), ReadError>| match result {
            Err(ReadError::Damaged(why)) => why,
            other => panic!("{:?}", other.map(|_| ())),
        };
        // Grown after its size was taken: the bytes beyond the length field are refused.
        let mut grown = file.clone();
        grown.extend_from_slice(b"more");
        let why = damage(super::open(&grown[..], len, &passphrase));
        assert!(why.contains("unexpected bytes at the end"), "{why}");
        // Shrunk after its size was taken: truncated, wherever it ends.
        for cut in [
            PREFIX_LEN - 1,
            PREFIX_LEN + 5,
            PREFIX_LEN + 200,
            file.len() - 1,
        ] {
            let why = damage(super::open(&file[..cut], len, &passphrase));
            assert!(why.contains("truncated"), "{cut}: {why}");
        }
        // A read that fails is the disk's error, not damage.
        for at in [10, PREFIX_LEN + 150] {
            match super::open(trickle(&file, Some(at)), len, &passphrase) {
                Err(ReadError::Io { kind, message }) => {
                    assert_eq!(kind, std::io::ErrorKind::Other);
                    assert_eq!(message, "the disk failed");
                }
                other => panic!("{:?}", other.map(|_| ())),
            }
        }
        let legacy = legacy_file(&passphrase);
        let (_, _, back) =
            super::open(trickle(&legacy, None), legacy.len() as u64, &passphrase).unwrap();
        assert!(back.is_empty());
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
