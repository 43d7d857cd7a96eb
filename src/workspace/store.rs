//! The inventory's compact binary encoding (the plaintext inside the sealed inventory file).
//!
//! Length-prefixed little-endian records, one per token, in serial order: a million tokens
//! encode to about 80 MB and decode in well under a second, where JSON of a million objects
//! would be several times larger and slower. The buffer is sized exactly before writing so no
//! reallocation leaves a stray copy of the seeds behind; callers wipe it after sealing.

use super::inventory::Inventory;
use super::model::{AssignedUser, Distribution, Distributions, InventoryToken};
use crate::secret::Seed;
use crate::token::{Digits, Interval, KeySize, PinMode, Serial};
use std::sync::Arc;
use zeroize::Zeroizing;

const MAGIC: &[u8; 6] = b"TDINV\0";
const VERSION: u8 = 1;
/// Fixed part of a token record: serial, seed, four parameter bytes, two dates, user flag,
/// distribution count.
const FIXED_RECORD: usize = 8 + 16 + 4 + 4 + 4 + 1 + 4;

/// Why decrypted inventory bytes do not decode (a bug or a newer tokendist, since the bytes
/// were authenticated).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("inventory record {record}: {reason}")]
pub struct DecodeError {
    pub record: usize,
    pub reason: String,
}

fn str_len(text: &str) -> usize {
    4 + text.len()
}

/// Exact number of bytes [`encode_into`] appends.
pub fn encoded_len(inventory: &Inventory) -> usize {
    let records: usize = inventory
        .iter()
        .map(|token| {
            let user = token.user.as_ref().map_or(0, |user| {
                let (login, first_name, last_name) = user.fields();
                str_len(login) + str_len(first_name) + str_len(last_name)
            });
            let history: usize = token
                .distributions
                .iter()
                .map(|d| str_len(&d.job_id) + str_len(&d.job_name) + 8 + 4)
                .sum();
            FIXED_RECORD + user + history
        })
        .sum();
    MAGIC.len() + 1 + 8 + records
}

/// Appends the encoding of `inventory` to `out` (which should have the capacity reserved).
/// Saving streams it instead ([`encode_start`], [`encode_token`]); tests build whole files.
#[cfg(test)]
pub fn encode_into(inventory: &Inventory, out: &mut Vec<u8>) {
    encode_start(inventory, out);
    for token in inventory.iter() {
        encode_token(token, out);
    }
}

/// The encoding's start (magic, version, token count): [`encode_into`] piece by piece is
/// this, then [`encode_token`] for each token in [`Inventory::iter`]'s order.
pub fn encode_start(inventory: &Inventory, out: &mut Vec<u8>) {
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.extend_from_slice(&(inventory.len() as u64).to_le_bytes());
}

/// One token's record.
pub fn encode_token(token: &InventoryToken, out: &mut Vec<u8>) {
    {
        out.extend_from_slice(&token.serial.value().to_le_bytes());
        out.extend_from_slice(token.seed.expose());
        out.push(match token.key_size {
            KeySize::Bits64 => 0,
            KeySize::Bits128 => 1,
        });
        out.push(token.digits.get());
        out.push(token.interval.seconds() as u8);
        out.push(token.pin_mode.get());
        out.extend_from_slice(&token.birth.to_julian_day().to_le_bytes());
        out.extend_from_slice(&token.expires.to_julian_day().to_le_bytes());
        match &token.user {
            None => out.push(0),
            Some(user) => {
                let (login, first_name, last_name) = user.fields();
                out.push(1);
                put_str(out, login);
                put_str(out, first_name);
                put_str(out, last_name);
            }
        }
        out.extend_from_slice(&(token.distributions.len() as u32).to_le_bytes());
        for distribution in &token.distributions {
            put_str(out, &distribution.job_id);
            put_str(out, &distribution.job_name);
            out.extend_from_slice(&distribution.at.unix_timestamp().to_le_bytes());
            out.extend_from_slice(&distribution.at.nanosecond().to_le_bytes());
        }
    }
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    let len = u32::try_from(text.len()).expect("inventory strings are validated to be short");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// A bounds-checked cursor over the plaintext.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    record: usize,
}

impl<'a> Reader<'a> {
    fn fail(&self, reason: impl Into<String>) -> DecodeError {
        DecodeError {
            record: self.record,
            reason: reason.into(),
        }
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .at
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len());
        let end = end.ok_or_else(|| self.fail("ends early"))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        Ok(self.take(N)?.try_into().expect("take returned N bytes"))
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A text field borrowed from the plaintext.
    fn str(&mut self) -> Result<&'a str, DecodeError> {
        let len = self.u32()? as usize;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes).map_err(|_| self.fail("a text field is not UTF-8"))
    }

    fn date(&mut self) -> Result<time::Date, DecodeError> {
        let day = i32::from_le_bytes(self.array()?);
        time::Date::from_julian_day(day).map_err(|_| self.fail("a date is out of range"))
    }
}

/// The distinct distributions met while decoding, by job id: a job's tokens share its record
/// again, as they did before the save.
#[derive(Default)]
struct JobRecords {
    by_job: std::collections::HashMap<String, Vec<Arc<Distribution>>>,
}

impl JobRecords {
    fn shared(
        &mut self,
        job_id: &str,
        job_name: &str,
        at: time::OffsetDateTime,
    ) -> Arc<Distribution> {
        let same = |seen: &&Arc<Distribution>| seen.job_name == job_name && seen.at == at;
        if let Some(found) = self
            .by_job
            .get(job_id)
            .and_then(|seen| seen.iter().find(same))
        {
            return Arc::clone(found);
        }
        let record = Arc::new(Distribution {
            job_id: job_id.to_owned(),
            job_name: job_name.to_owned(),
            at,
        });
        self.by_job
            .entry(job_id.to_owned())
            .or_default()
            .push(Arc::clone(&record));
        record
    }
}

/// Bytes of the encoding's start: magic, version, token count.
const START_LEN: usize = MAGIC.len() + 1 + 8;
/// Where a token record's user flag is (after serial, seed, parameters and dates).
const USER_FLAG_AT: usize = 8 + 16 + 4 + 4 + 4;

/// Decodes what [`encode_into`] wrote, all at once (tests; opening a file feeds a [`Decoder`]
/// a chunk at a time).
#[cfg(test)]
pub fn decode(bytes: &[u8]) -> Result<Inventory, DecodeError> {
    let mut decoder = Decoder::new(bytes.len());
    decoder.feed(bytes)?;
    decoder.finish()
}

/// Decodes the inventory's encoding as it arrives, piece by piece, so that opening a large
/// inventory holds one piece of plaintext (a decrypted chunk) at a time rather than all of it.
/// A piece may end anywhere: the start of a record (or of the encoding) that it cuts is
/// carried over to the next piece. Feeding the pieces in order gives exactly what [`decode`]
/// gives for their concatenation, errors included.
pub struct Decoder {
    /// The token count, once the encoding's start is read.
    count: Option<usize>,
    /// Most tokens the plaintext can hold: the count is not trusted beyond it for allocating.
    max_tokens: usize,
    tokens: Vec<InventoryToken>,
    jobs: JobRecords,
    /// The part of a record cut by the end of the last piece (plaintext: wiped, and never
    /// reallocated with its bytes left behind).
    carry: Zeroizing<Vec<u8>>,
}

impl Decoder {
    /// A decoder for at most `plain_len` bytes of plaintext (bounds what the token count may
    /// make it allocate).
    pub fn new(plain_len: usize) -> Decoder {
        Decoder {
            count: None,
            max_tokens: plain_len / FIXED_RECORD,
            tokens: Vec::new(),
            jobs: JobRecords::default(),
            carry: Zeroizing::new(Vec::new()),
        }
    }

    /// Decodes the records `piece` completes; the caller may wipe `piece` when this returns.
    pub fn feed(&mut self, piece: &[u8]) -> Result<(), DecodeError> {
        let mut rest = piece;
        if !self.carry.is_empty() {
            // Complete the cut record from the front of this piece. Its length is known only
            // field by field, so the carry grows to what is known to be needed, at least
            // doubling (a long record costs a few steps, not one per field); what it takes
            // beyond the record goes back to the piece.
            let mut taken = 0;
            let len = loop {
                match self.unit_len(&self.carry) {
                    Ok(len) => break len,
                    Err(_) if taken == piece.len() => return Ok(()),
                    Err(at_least) => {
                        let want = at_least.max(2 * self.carry.len()) - self.carry.len();
                        let take = want.min(piece.len() - taken);
                        extend_wiping(&mut self.carry, &piece[taken..taken + take]);
                        taken += take;
                    }
                }
            };
            let beyond = self.carry.len() - len;
            let carried = std::mem::take(&mut self.carry);
            self.decode_unit(&carried[..len])?;
            rest = &piece[taken - beyond..];
        }
        while !rest.is_empty() {
            if self.count == Some(self.tokens.len()) {
                return Err(self.fail(self.tokens.len(), "trailing bytes after the last token"));
            }
            match self.unit_len(rest) {
                Ok(len) => {
                    self.decode_unit(&rest[..len])?;
                    rest = &rest[len..];
                }
                Err(_) => {
                    extend_wiping(&mut self.carry, rest);
                    break;
                }
            }
        }
        Ok(())
    }

    /// The inventory, once every piece was fed; an error when the encoding stopped short.
    pub fn finish(mut self) -> Result<Inventory, DecodeError> {
        let carried = std::mem::take(&mut self.carry);
        if self.count.is_none() || !carried.is_empty() {
            // Decoding the cut part names the field it fails at, as for a whole buffer.
            self.decode_unit(&carried)?;
        }
        match self.count {
            Some(count) if count == self.tokens.len() => {}
            _ => return Err(self.fail(self.tokens.len() + 1, "ends early")),
        }
        Inventory::from_tokens(self.tokens).ok_or_else(|| DecodeError {
            record: 0,
            reason: "a serial appears twice".into(),
        })
    }

    fn fail(&self, record: usize, reason: &str) -> DecodeError {
        DecodeError {
            record,
            reason: reason.into(),
        }
    }

    /// The length of the next unit (the encoding's start, or a record) at the front of
    /// `bytes` when they hold all of it, or else a lower bound of its length.
    fn unit_len(&self, bytes: &[u8]) -> Result<usize, usize> {
        if self.count.is_none() {
            return if bytes.len() >= START_LEN {
                Ok(START_LEN)
            } else {
                Err(START_LEN)
            };
        }
        record_len(bytes)
    }

    /// Decodes one unit from exactly its bytes.
    fn decode_unit(&mut self, bytes: &[u8]) -> Result<(), DecodeError> {
        let mut reader = Reader {
            bytes,
            at: 0,
            record: 0,
        };
        if self.count.is_none() {
            let count = decode_start(&mut reader)?;
            self.tokens = Vec::with_capacity(count.min(self.max_tokens));
            self.count = Some(count);
        } else {
            reader.record = self.tokens.len() + 1;
            let token = decode_token(&mut reader, &mut self.jobs)?;
            self.tokens.push(token);
        }
        debug_assert_eq!(
            reader.at,
            bytes.len(),
            "a unit is decoded from its own bytes"
        );
        Ok(())
    }
}

/// Appends to the carried plaintext; when it must grow, the old buffer is wiped (dropping
/// it zeroizes it) instead of being left in freed memory by a reallocation.
fn extend_wiping(carry: &mut Zeroizing<Vec<u8>>, bytes: &[u8]) {
    let needed = carry.len() + bytes.len();
    if needed > carry.capacity() {
        let mut bigger = Vec::with_capacity(needed.max(2 * carry.capacity()).max(256));
        bigger.extend_from_slice(carry);
        *carry = Zeroizing::new(bigger);
    }
    carry.extend_from_slice(bytes);
}

/// The length of the token record at the front of `bytes` when they hold all of it, or else
/// a lower bound of its length. Reads only the length fields; [`decode_token`] checks the rest.
fn record_len(bytes: &[u8]) -> Result<usize, usize> {
    fn u32_at(bytes: &[u8], at: usize) -> Result<usize, usize> {
        let field = bytes.get(at..at + 4).ok_or(at + 4)?;
        Ok(u32::from_le_bytes(field.try_into().expect("4 bytes")) as usize)
    }
    fn after_text(bytes: &[u8], at: usize) -> Result<usize, usize> {
        let end = at + 4 + u32_at(bytes, at)?;
        if end > bytes.len() { Err(end) } else { Ok(end) }
    }
    let Some(&user_flag) = bytes.get(USER_FLAG_AT) else {
        return Err(FIXED_RECORD);
    };
    let mut at = USER_FLAG_AT + 1;
    if user_flag == 1 {
        for _ in 0..3 {
            at = after_text(bytes, at)?;
        }
    }
    let distributions = u32_at(bytes, at)?;
    at += 4;
    for _ in 0..distributions {
        at = after_text(bytes, at)?;
        at = after_text(bytes, at)? + 8 + 4;
        if at > bytes.len() {
            return Err(at);
        }
    }
    Ok(at)
}

/// The encoding's start; returns the token count.
fn decode_start(reader: &mut Reader<'_>) -> Result<usize, DecodeError> {
    if reader.take(MAGIC.len())? != MAGIC {
        return Err(reader.fail("not an inventory"));
    }
    let version = reader.u8()?;
    if version != VERSION {
        return Err(reader.fail(format!(
            "inventory encoding version {version} is not supported"
        )));
    }
    let count = reader.u64()?;
    usize::try_from(count).map_err(|_| reader.fail("token count out of range"))
}

fn decode_token(
    reader: &mut Reader<'_>,
    jobs: &mut JobRecords,
) -> Result<InventoryToken, DecodeError> {
    let serial = Serial::from_value(reader.u64()?).map_err(|e| reader.fail(e.to_string()))?;
    let seed = Seed::new(reader.array()?);
    let key_size = match reader.u8()? {
        0 => KeySize::Bits64,
        1 => KeySize::Bits128,
        other => return Err(reader.fail(format!("unknown key size code {other}"))),
    };
    let digits = Digits::from_file(reader.u8()?.into()).map_err(|e| reader.fail(e.to_string()))?;
    let interval = Interval::new(reader.u8()?.into()).map_err(|e| reader.fail(e.to_string()))?;
    let pin_mode = PinMode::new(reader.u8()?.into()).map_err(|e| reader.fail(e.to_string()))?;
    let birth = reader.date()?;
    let expires = reader.date()?;
    let user = match reader.u8()? {
        0 => None,
        1 => Some(AssignedUser::new(
            reader.str()?,
            reader.str()?,
            reader.str()?,
        )),
        other => return Err(reader.fail(format!("unknown user flag {other}"))),
    };
    let count = reader.u32()? as usize;
    let mut distributions = Distributions::new();
    for _ in 0..count {
        let job_id = reader.str()?;
        let job_name = reader.str()?;
        let seconds = i64::from_le_bytes(reader.array()?);
        let nanos = reader.u32()?;
        let at = time::OffsetDateTime::from_unix_timestamp(seconds)
            .ok()
            .and_then(|at| at.replace_nanosecond(nanos).ok())
            .ok_or_else(|| reader.fail("a distribution time is out of range"))?;
        distributions.push_shared(jobs.shared(job_id, job_name, at));
    }
    Ok(InventoryToken {
        serial,
        seed,
        key_size,
        digits,
        interval,
        pin_mode,
        birth,
        expires,
        user,
        distributions,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use time::macros::{date, datetime};

    pub(crate) fn sample(serial: u64, assigned: bool) -> InventoryToken {
        InventoryToken {
            serial: Serial::from_value(serial).unwrap(),
            seed: Seed::new([serial as u8; 16]),
            key_size: if serial.is_multiple_of(2) {
                KeySize::Bits128
            } else {
                KeySize::Bits64
            },
            digits: Digits::EIGHT,
            interval: Interval::Seconds60,
            pin_mode: PinMode::new(3).unwrap(),
            birth: date!(2025 - 01 - 01),
            expires: date!(2030 - 12 - 31),
            user: assigned.then(|| AssignedUser::new(&format!("user{serial}"), "Zoë", "O'Brien")),
            distributions: if assigned {
                vec![Distribution {
                    job_id: "j1".into(),
                    job_name: "Rollout".into(),
                    at: datetime!(2026-03-04 05:06:07.123456789 UTC),
                }]
                .into()
            } else {
                Distributions::new()
            },
        }
    }

    #[test]
    fn round_trips_exactly_and_sizes_exactly() {
        let inventory = Inventory::from_tokens(
            (1..50)
                .map(|n| sample(500_000_000 + n, n % 3 != 0))
                .collect(),
        )
        .unwrap();
        let mut bytes = Vec::new();
        encode_into(&inventory, &mut bytes);
        assert_eq!(bytes.len(), encoded_len(&inventory));
        assert_eq!(decode(&bytes).unwrap(), inventory);
        assert_eq!(
            decode(&{
                let mut b = Vec::new();
                encode_into(&Inventory::default(), &mut b);
                b
            })
            .unwrap()
            .len(),
            0
        );
    }

    /// Every piece size, every cut: the same inventory as the whole buffer, and for every
    /// truncation (or a byte too many) the same error.
    #[test]
    fn fed_in_pieces_it_decodes_as_the_whole_buffer_does() {
        let mut tokens: Vec<_> = (1..12).map(|n| sample(700_000 + n, n % 3 != 0)).collect();
        // A record far longer than a piece: long names and many distributions.
        let mut long = sample(800_000, true);
        long.user = Some(AssignedUser::new(&"l".repeat(5000), &"é".repeat(300), ""));
        for n in 0..40 {
            long.distributions.push(Distribution {
                job_id: format!("job{n}"),
                job_name: "x".repeat(n * 10),
                at: datetime!(2026-03-04 05:06:07 UTC),
            });
        }
        tokens.push(long);
        let inventory = Inventory::from_tokens(tokens).unwrap();
        let mut bytes = Vec::new();
        encode_into(&inventory, &mut bytes);
        let in_pieces = |bytes: &[u8], size: usize| {
            let mut decoder = Decoder::new(bytes.len());
            for piece in bytes.chunks(size) {
                decoder.feed(piece)?;
            }
            decoder.finish()
        };
        // Every cut among the short records (the long one is last), then every 61st.
        let mut long_record = Vec::new();
        encode_token(inventory.iter().last().unwrap(), &mut long_record);
        let short_end = bytes.len() - long_record.len();
        for cut in (0..short_end).chain((short_end..=bytes.len()).step_by(61)) {
            let mut decoder = Decoder::new(bytes.len());
            decoder.feed(&bytes[..cut]).unwrap();
            decoder.feed(&bytes[cut..]).unwrap();
            assert_eq!(decoder.finish().unwrap(), inventory, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        for size in [1, 2, 3, 7, 41, 64, 1000, bytes.len()] {
            assert_eq!(
                in_pieces(&bytes, size).unwrap(),
                inventory,
                "pieces of {size}"
            );
            for len in (0..bytes.len()).step_by(97) {
                assert_eq!(
                    in_pieces(&bytes[..len], size).unwrap_err(),
                    decode(&bytes[..len]).unwrap_err(),
                    "pieces of {size}, {len} bytes"
                );
            }
            assert_eq!(
                in_pieces(&longer, size).unwrap_err(),
                DecodeError {
                    record: inventory.len(),
                    reason: "trailing bytes after the last token".into()
                }
            );
        }
    }

    #[test]
    fn a_cut_encoding_is_named_by_its_record() {
        let inventory = Inventory::from_tokens(vec![sample(1, true), sample(2, false)]).unwrap();
        let mut bytes = Vec::new();
        encode_into(&inventory, &mut bytes);
        let error = |bytes: &[u8]| decode(bytes).unwrap_err().to_string();
        assert_eq!(error(&bytes[..10]), "inventory record 0: ends early");
        assert_eq!(
            error(b"TDINX\0\x01"),
            "inventory record 0: not an inventory"
        );
        assert_eq!(error(&bytes[..START_LEN]), "inventory record 1: ends early");
        assert_eq!(
            error(&bytes[..START_LEN + 50]),
            "inventory record 1: ends early"
        );
        assert_eq!(
            error(&bytes[..bytes.len() - 1]),
            "inventory record 2: ends early"
        );
        let mut bad_flag = bytes.clone();
        bad_flag[START_LEN + USER_FLAG_AT] = 7;
        assert_eq!(error(&bad_flag), "inventory record 1: unknown user flag 7");
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let inventory = Inventory::from_tokens(vec![sample(1, true), sample(2, false)]).unwrap();
        let mut bytes = Vec::new();
        encode_into(&inventory, &mut bytes);
        for len in 0..bytes.len() {
            assert!(decode(&bytes[..len]).is_err(), "length {len}");
        }
        bytes.push(0);
        assert!(decode(&bytes).is_err());
    }
}
