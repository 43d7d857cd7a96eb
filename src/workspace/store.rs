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

/// Decodes what [`encode_into`] wrote.
pub fn decode(bytes: &[u8]) -> Result<Inventory, DecodeError> {
    let mut reader = Reader {
        bytes,
        at: 0,
        record: 0,
    };
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
    let count = usize::try_from(count).map_err(|_| reader.fail("token count out of range"))?;
    // Do not trust the count for the allocation beyond what the bytes can hold.
    let mut tokens = Vec::with_capacity(count.min(bytes.len() / FIXED_RECORD));
    let mut jobs = JobRecords::default();
    for record in 0..count {
        reader.record = record + 1;
        tokens.push(decode_token(&mut reader, &mut jobs)?);
    }
    if reader.at != bytes.len() {
        return Err(reader.fail("trailing bytes after the last token"));
    }
    let inventory = Inventory::from_tokens(tokens);
    inventory.ok_or_else(|| DecodeError {
        record: 0,
        reason: "a serial appears twice".into(),
    })
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
