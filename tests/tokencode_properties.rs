//! Properties of the 128-bit tokencode that hold for every seed, serial and time.

use proptest::prelude::*;
use tokendist::secret::Seed;
use tokendist::token::tokencode::{MAX_UNIX_SECONDS, add_pin};
use tokendist::token::{Digits, Interval, Serial, tokencode};

fn digits() -> impl Strategy<Value = Digits> {
    prop::sample::select(vec![Digits::SIX, Digits::EIGHT])
}

fn interval() -> impl Strategy<Value = Interval> {
    prop::sample::select(vec![Interval::Seconds30, Interval::Seconds60])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn codes_have_the_requested_number_of_digits(
        seed in any::<[u8; 16]>(), serial in 0u64..1_000_000_000_000, d in digits(), i in interval(),
        t in 0i64..=MAX_UNIX_SECONDS,
    ) {
        let code = tokencode(&Seed::new(seed), &Serial::from_value(serial).unwrap(), d, i, None, t);
        prop_assert_eq!(code.len(), usize::from(d.get()));
        prop_assert!(code.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn a_code_holds_for_its_whole_interval(
        seed in any::<[u8; 16]>(), serial in 0u64..1_000_000_000_000, i in interval(),
        t in 0i64..4_000_000_000,
    ) {
        let (seed, serial) = (Seed::new(seed), Serial::from_value(serial).unwrap());
        let step = i64::from(i.seconds());
        let start = t - t.rem_euclid(step);
        let first = tokencode(&seed, &serial, Digits::EIGHT, i, None, start);
        let last = tokencode(&seed, &serial, Digits::EIGHT, i, None, start + step - 1);
        prop_assert_eq!(first, last);
    }

    #[test]
    fn the_pin_is_added_digit_by_digit_without_carry(
        seed in any::<[u8; 16]>(), serial in 0u64..1_000_000_000_000, d in digits(),
        pin in "[0-9]{4,8}", t in 0i64..4_000_000_000,
    ) {
        let (seed, serial) = (Seed::new(seed), Serial::from_value(serial).unwrap());
        let plain = tokencode(&seed, &serial, d, Interval::Seconds60, None, t);
        let with_pin = tokencode(&seed, &serial, d, Interval::Seconds60, Some(&pin), t);
        prop_assert_eq!(&tokencode(&seed, &serial, d, Interval::Seconds60, Some("0000"), t), &plain);
        for (k, (c, p)) in plain.bytes().rev().zip(with_pin.bytes().rev()).enumerate() {
            let pin_digit = pin.bytes().rev().nth(k).map_or(0, |b| b - b'0');
            prop_assert_eq!((c - b'0' + pin_digit) % 10, p - b'0');
        }
        let mut again = plain.clone();
        add_pin(&mut again, &pin);
        prop_assert_eq!(again, with_pin);
    }
}
