//! The 128-bit time-based tokencode (spec §6). Implemented in the codec issue.

use super::{Digits, Interval, Serial};
use crate::secret::Seed;

/// The tokencode shown at Unix time `unix_seconds` (UTC), with `pin` added digit-wise when given.
///
/// Callers decide whether a PIN applies (only tokens whose PIN mode has `AddPIN`).
pub fn tokencode(
    seed: &Seed,
    serial: &Serial,
    digits: Digits,
    interval: Interval,
    pin: Option<&str>,
    unix_seconds: i64,
) -> String {
    let _ = (seed, serial, digits, interval, pin, unix_seconds);
    todo!("implemented by the codec work")
}
