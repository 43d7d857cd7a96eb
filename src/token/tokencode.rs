//! The 128-bit time-based tokencode (spec §6).
//!
//! The UTC time, with the minute rounded down to the start of a 4-minute (60 s tokens) or
//! 2-minute (30 s tokens) window, is packed in BCD and pushed through a 5-step AES chain keyed
//! by the seed; the last AES output holds four consecutive codes, one of which the current
//! minute (and half-minute) selects.

use super::{Digits, Interval, Serial};
use crate::secret::Seed;
use aes::Aes128;
use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockEncrypt, KeyInit};
use time::OffsetDateTime;
use zeroize::Zeroize;

/// Earliest time a code can be computed for (0000-01-01T00:00:00Z): the BCD year has 4 digits.
pub const MIN_UNIX_SECONDS: i64 = -62_167_219_200;
/// Latest time a code can be computed for (9999-12-31T23:59:59Z).
pub const MAX_UNIX_SECONDS: i64 = 253_402_300_799;

/// The tokencode shown at Unix time `unix_seconds` (UTC), with `pin` added digit-wise when given.
///
/// Callers decide whether a PIN applies (only tokens whose PIN mode has `AddPIN`). Times outside
/// years 0000-9999 are clamped to that range (the BCD year has four digits); a PIN character
/// that is not a decimal digit counts as 0 (callers validate PINs first).
pub fn tokencode(
    seed: &Seed,
    serial: &Serial,
    digits: Digits,
    interval: Interval,
    pin: Option<&str>,
    unix_seconds: i64,
) -> String {
    let code = raw_code(
        seed,
        serial,
        interval,
        unix_seconds.clamp(MIN_UNIX_SECONDS, MAX_UNIX_SECONDS),
    );
    let width = usize::from(digits.get());
    let modulus = 10u32.pow(u32::from(digits.get()));
    let mut text = format!("{:0width$}", code % modulus);
    if let Some(pin) = pin {
        add_pin(&mut text, pin);
    }
    text
}

/// Adds `pin` into `code` digit by digit, right-aligned, modulo 10, without carries (spec §6.6).
pub fn add_pin(code: &mut String, pin: &str) {
    let mut digits: Vec<u8> = code.bytes().collect();
    for (code_digit, pin_char) in digits.iter_mut().rev().zip(pin.bytes().rev()) {
        let pin_value = if pin_char.is_ascii_digit() {
            pin_char - b'0'
        } else {
            0
        };
        *code_digit = b'0' + (*code_digit - b'0' + pin_value) % 10;
    }
    *code = String::from_utf8(digits).unwrap_or_default();
}

fn bcd(value: u32) -> u8 {
    (((value / 10 % 10) << 4) | (value % 10)) as u8
}

/// The 32-bit code word before reduction to `digits` (spec §6.1-§6.3).
fn raw_code(seed: &Seed, serial: &Serial, interval: Interval, unix_seconds: i64) -> u32 {
    let time =
        OffsetDateTime::from_unix_timestamp(unix_seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let year = time.year().clamp(0, 9999) as u32;
    let minute = u32::from(time.minute());
    let second = u32::from(time.second());
    let (rounded_minute, offset) = match interval {
        Interval::Seconds60 => (minute - minute % 4, (minute % 4) * 4),
        Interval::Seconds30 => (
            minute - minute % 2,
            (minute % 2) * 8 + if second >= 30 { 4 } else { 0 },
        ),
    };
    let bcd_time = [
        bcd(year / 100),
        bcd(year % 100),
        bcd(u32::from(u8::from(time.month()))),
        bcd(u32::from(time.day())),
        bcd(u32::from(time.hour())),
        bcd(rounded_minute),
        0,
        0,
    ];

    let serial_digits = serial.as_str().as_bytes();
    let mut block = [0u8; 16];
    for i in 0..4 {
        let high = serial_digits[4 + 2 * i].wrapping_sub(b'0');
        let low = serial_digits[5 + 2 * i].wrapping_sub(b'0');
        block[8 + i] = (high << 4) | (low & 0x0f);
    }
    block[12..].fill(0xbb);

    let mut key = *seed.expose();
    for n in [2usize, 3, 4, 5, 8] {
        block[..8].fill(0xaa);
        block[..n].copy_from_slice(&bcd_time[..n]);
        let cipher = Aes128::new(GenericArray::from_slice(&key));
        let mut out = GenericArray::clone_from_slice(&block);
        cipher.encrypt_block(&mut out);
        key.copy_from_slice(&out);
        out.as_mut_slice().zeroize();
    }
    let offset = offset as usize;
    let code = u32::from_be_bytes([
        key[offset],
        key[offset + 1],
        key[offset + 2],
        key[offset + 3],
    ]);
    key.zeroize();
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(hex: &str) -> Seed {
        let mut bytes = [0u8; 16];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
        }
        Seed::new(bytes)
    }

    #[test]
    fn spec_worked_examples() {
        let v2 = seed("0123456789abcdeffedcba9876543210");
        let serial = Serial::parse("261234567890").unwrap();
        assert_eq!(
            tokencode(
                &v2,
                &serial,
                Digits::EIGHT,
                Interval::Seconds60,
                None,
                1_700_000_000
            ),
            "30528949"
        );
        assert_eq!(
            tokencode(
                &v2,
                &serial,
                Digits::EIGHT,
                Interval::Seconds60,
                Some("1234"),
                1_700_000_000
            ),
            "30529173"
        );
        let v5 = seed("3c2f8e1d7b6a5948372615f4e3d2c1b0");
        let serial = Serial::parse("000987654321").unwrap();
        let codes: Vec<String> = [1_699_999_940, 1_699_999_955, 1_700_000_000, 1_700_000_015]
            .iter()
            .map(|&t| tokencode(&v5, &serial, Digits::SIX, Interval::Seconds30, None, t))
            .collect();
        assert_eq!(codes, ["716872", "455522", "032685", "770253"]);
    }

    #[test]
    fn pin_addition_is_per_digit_without_carry() {
        let mut code = "05592345".to_owned();
        add_pin(&mut code, "1234");
        assert_eq!(code, "05593579");
        let mut code = "999999".to_owned();
        add_pin(&mut code, "12345678");
        assert_eq!(code, "234567");
        let mut code = "123456".to_owned();
        add_pin(&mut code, "0000");
        assert_eq!(code, "123456");
    }

    #[test]
    fn extreme_times_do_not_panic() {
        let s = seed("00112233445566778899aabbccddeeff");
        let serial = Serial::parse("1").unwrap();
        for t in [i64::MIN, -1, 0, MAX_UNIX_SECONDS, i64::MAX] {
            assert_eq!(
                tokencode(&s, &serial, Digits::EIGHT, Interval::Seconds30, None, t).len(),
                8
            );
        }
    }
}
