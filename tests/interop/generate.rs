//! Random but reproducible token files for the interoperability tests: every option the writer
//! offers, lengths from one character to the writer's limits, and times that sit on the
//! boundaries the tokencode algorithm cares about.

use crate::support::rng::TestRng;
use time::macros::{date, datetime};
use time::{Date, Duration};
use tokendist::sdtid::{BatchHeader, MAX_KEY_TEXT_BYTES, MAX_NAME_BYTES, SdtidToken};
use tokendist::sdtid::{TokenAttributes, UserInfo};
use tokendist::secret::Seed;
use tokendist::token::{Digits, Interval, KeySize, PinMode, Serial};

/// Longest user-facing value we generate (the writer has no limit; the referees hash up to
/// 64 KiB per section).
pub const MAX_USER_TEXT: usize = 80;

/// Latest time we ask about: 2099-12-31 23:59:59 UTC.
pub const LAST_TIME: i64 = 4_102_444_799;

/// Times every token is checked at, in rotation: century, leap-day and 32-bit rollovers,
/// the spec's worked-example time, and the first second stoken accepts.
pub fn boundary_times() -> [i64; 9] {
    [
        1,
        datetime!(1999-12-31 23:59:59 UTC).unix_timestamp(),
        datetime!(2000-01-01 00:00:00 UTC).unix_timestamp(),
        datetime!(2024-02-29 23:59:30 UTC).unix_timestamp(),
        1_700_000_000,
        i64::from(i32::MAX),
        i64::from(i32::MAX) + 1,
        datetime!(2038-01-19 03:15:59 UTC).unix_timestamp(),
        LAST_TIME,
    ]
}

/// Four times for the `index`-th token: one boundary time, one random time, and the last second
/// of a random AES output block with the first second of the next one (spec §6.3: a 60-second
/// block covers 4 minutes, a 30-second block 2 minutes).
pub fn times(rng: &mut TestRng, index: usize, interval: Interval) -> Vec<i64> {
    let boundaries = boundary_times();
    let block: i64 = match interval {
        Interval::Seconds60 => 240,
        Interval::Seconds30 => 120,
    };
    let edge = rng.range(1, ((LAST_TIME - 1) / block) as u64) as i64 * block;
    vec![
        boundaries[index % boundaries.len()],
        rng.range(1, LAST_TIME as u64) as i64,
        edge - 1,
        edge,
    ]
}

/// Text of printable ASCII (including `&`, `<`, `>`, quotes and spaces) of 1 to `max`
/// characters, biased towards the extremes. With `trimmed`, it neither starts nor ends with a
/// space (required for `Origin`, `Dest`, `Name`).
pub fn text(rng: &mut TestRng, max: usize, trimmed: bool) -> String {
    let len = match rng.range(0, 3) {
        0 => 1,
        1 => max,
        _ => rng.range(1, max as u64) as usize,
    };
    let printable: Vec<u8> = (b' '..=b'~').collect();
    let mut value = rng.string_from(&printable, len).into_bytes();
    let ends = [0, value.len() - 1];
    for at in ends {
        if value[at] == b' ' && (trimmed || value.len() == 1) {
            value[at] = b'x';
        }
    }
    String::from_utf8(value).expect("ASCII")
}

/// A user-facing value: empty a quarter of the time (written as the single-space "no value").
pub fn user_text(rng: &mut TestRng) -> String {
    if rng.chance(1, 4) {
        return String::new();
    }
    let trimmed = rng.chance(3, 4);
    text(rng, MAX_USER_TEXT, trimmed)
}

/// `Origin`, `Dest`, `Name`: the stoken default `N/A` a third of the time.
pub fn header(rng: &mut TestRng) -> BatchHeader {
    let mut field = |max| {
        if rng.chance(1, 3) {
            "N/A".to_owned()
        } else {
            text(rng, max, true)
        }
    };
    BatchHeader {
        origin: field(MAX_KEY_TEXT_BYTES),
        dest: field(MAX_KEY_TEXT_BYTES),
        name: field(MAX_NAME_BYTES),
    }
}

/// The password given to the writer: none, empty (which must mean none), or 1 to 32 printable
/// ASCII characters different from `origin`.
pub fn password(rng: &mut TestRng, origin: &str) -> Option<String> {
    match rng.range(0, 7) {
        0..=2 => None,
        3 => Some(String::new()),
        _ => loop {
            let trimmed = rng.chance(3, 4);
            let password = text(rng, MAX_KEY_TEXT_BYTES, trimmed);
            if password != origin {
                break Some(password);
            }
        },
    }
}

/// A PIN of 4 to 8 digits (longer than a 6-digit code sometimes; only its right end counts).
pub fn pin(rng: &mut TestRng) -> String {
    let len = rng.range(4, 8) as usize;
    rng.string_from(b"0123456789", len)
}

/// A 12-digit serial; one in four has leading zeros.
pub fn serial(rng: &mut TestRng) -> Serial {
    let value = if rng.chance(1, 4) {
        rng.range(0, 999_999)
    } else {
        rng.range(0, 999_999_999_999)
    };
    Serial::from_value(value).expect("below 10^12")
}

/// A date between 2000-01-01 and 2030-12-31.
pub fn birth(rng: &mut TestRng) -> Date {
    let span = (date!(2030 - 12 - 31) - date!(2000 - 01 - 01)).whole_days() as u64;
    date!(2000 - 01 - 01) + Duration::days(rng.range(0, span) as i64)
}

/// A token for the `index`-th case. The index walks through all 16 combinations of digits,
/// interval and PIN mode so that every combination is covered whatever the seed.
pub fn token(rng: &mut TestRng, index: usize) -> SdtidToken {
    let birth = birth(rng);
    let lifetime = if rng.chance(1, 4) {
        rng.range(0, 30)
    } else {
        rng.range(31, 40 * 365)
    };
    SdtidToken {
        serial: serial(rng),
        seed: Seed::new(rng.bytes()),
        attributes: TokenAttributes {
            digits: [Digits::SIX, Digits::EIGHT][index % 2],
            interval: [Interval::Seconds60, Interval::Seconds30][index / 2 % 2],
            pin_mode: PinMode::new((index / 4 % 4) as u32).expect("0..=3"),
            key_size: KeySize::Bits128,
            copy_protection: rng.chance(1, 2),
            birth,
            death: birth + Duration::days(lifetime as i64),
        },
        user: UserInfo {
            login: user_text(rng),
            first_name: user_text(rng),
            last_name: user_text(rng),
        },
        device_serial_number: user_text(rng),
        nickname: user_text(rng),
    }
}
