//! The SDTID token most tests start from, and its tokencode.

use time::Date;
use tokendist::sdtid::{SdtidToken, TokenAttributes, UserInfo};
use tokendist::secret::Seed;
use tokendist::token::{Digits, Interval, KeySize, PinMode, Serial, tokencode};

/// An 8-digit, 60-second, PIN-mode-2, 128-bit, copy-protected token without user, device or
/// nickname, valid from `birth` to `death`. Tests set what they are about with `..`.
pub fn sdtid_token(serial: Serial, seed: [u8; 16], birth: Date, death: Date) -> SdtidToken {
    SdtidToken {
        serial,
        seed: Seed::new(seed),
        attributes: TokenAttributes {
            digits: Digits::EIGHT,
            interval: Interval::Seconds60,
            pin_mode: PinMode::new(2).unwrap(),
            key_size: KeySize::Bits128,
            copy_protection: true,
            birth,
            death,
        },
        user: UserInfo::default(),
        device_serial_number: String::new(),
        nickname: String::new(),
    }
}

/// `token`'s tokencode at `unix_seconds` with its own digits and interval.
pub fn code_of(token: &SdtidToken, pin: Option<&str>, unix_seconds: i64) -> String {
    let a = &token.attributes;
    tokencode(
        &token.seed,
        &token.serial,
        a.digits,
        a.interval,
        pin,
        unix_seconds,
    )
}
