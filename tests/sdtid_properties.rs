//! Property tests: round trips over random field values (including every alignment of the MAC
//! lines), tamper detection with the right classification, and robustness on hostile input.

use crate::common;

use proptest::prelude::*;
use time::Date;
use tokendist::sdtid::internals::SectionBuffer;
use tokendist::sdtid::{self, BatchHeader, SdtidError, SdtidToken, TokenAttributes, UserInfo};
use tokendist::secret::{SecretString, Seed};
use tokendist::token::{Digits, Interval, KeySize, PinMode, Serial};

/// Printable ASCII, the alphabet the writer accepts, with markup characters well represented.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop::string::string_regex(&format!("[ -~&<>]{{0,{max}}}")).unwrap()
}

/// Key-material text: printable ASCII without surrounding whitespace, non-empty.
fn key_text(max: usize) -> impl Strategy<Value = String> {
    prop::string::string_regex(&format!("[!-~]([ -~]{{0,{}}}[!-~])?", max - 2)).unwrap()
}

fn date() -> impl Strategy<Value = Date> {
    (2000i32..2100, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| {
        Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap()
    })
}

fn attributes() -> impl Strategy<Value = TokenAttributes> {
    (
        any::<bool>(),
        any::<bool>(),
        0u32..4,
        prop::bool::weighted(0.1),
        any::<bool>(),
        date(),
        0u32..4000,
    )
        .prop_map(
            |(eight, thirty, pin, bits64, copy, birth, days)| TokenAttributes {
                digits: if eight { Digits::EIGHT } else { Digits::SIX },
                interval: if thirty {
                    Interval::Seconds30
                } else {
                    Interval::Seconds60
                },
                pin_mode: PinMode::new(pin).unwrap(),
                key_size: if bits64 {
                    KeySize::Bits64
                } else {
                    KeySize::Bits128
                },
                copy_protection: copy,
                birth,
                death: birth + time::Duration::days(i64::from(days)),
            },
        )
}

fn token() -> impl Strategy<Value = SdtidToken> {
    (
        0u64..1_000_000_000_000,
        any::<[u8; 16]>(),
        attributes(),
        text(40),
        text(40),
        text(40),
        text(60),
        text(30),
    )
        .prop_map(
            |(serial, seed, attributes, login, first, last, device, nickname)| SdtidToken {
                serial: Serial::from_value(serial).unwrap(),
                seed: Seed::new(seed),
                attributes,
                user: UserInfo {
                    login,
                    first_name: first,
                    last_name: last,
                },
                device_serial_number: device,
                nickname,
            },
        )
}

/// Up to four tokens with distinct serials; a shared base so per-token overrides are common.
fn tokens() -> impl Strategy<Value = Vec<SdtidToken>> {
    prop::collection::vec(token(), 1..4).prop_map(|mut tokens| {
        let mut seen = std::collections::HashSet::new();
        tokens.retain(|t| seen.insert(t.serial.clone()));
        tokens
    })
}

fn header() -> impl Strategy<Value = BatchHeader> {
    (key_text(32), key_text(32), key_text(16)).prop_map(|(origin, dest, name)| BatchHeader {
        origin,
        dest,
        name,
    })
}

/// A password that is not the Origin, or none.
fn password(origin: String) -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::string::string_regex("[ -~]{1,32}").unwrap())
        .prop_map(move |p| p.filter(|p| *p != origin))
}

fn case() -> impl Strategy<Value = (BatchHeader, Vec<SdtidToken>, Option<String>)> {
    (header(), tokens()).prop_flat_map(|(h, t)| {
        let origin = h.origin.clone();
        (Just(h), Just(t), password(origin))
    })
}

/// What the reader gives back for a value the writer took: "no value" may have been a space.
fn normalised(mut token: SdtidToken) -> SdtidToken {
    for field in [
        &mut token.user.login,
        &mut token.user.first_name,
        &mut token.user.last_name,
        &mut token.device_serial_number,
        &mut token.nickname,
    ] {
        if field == " " {
            field.clear();
        }
    }
    token
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn write_then_read_gives_back_every_field((header, tokens, password) in case()) {
        let password = password.map(SecretString::new);
        let text = sdtid::write(&header, &tokens, password.as_ref()).unwrap();
        let batch = sdtid::parse(text.as_bytes()).unwrap();
        let decrypted = batch.decrypt(password.as_ref()).unwrap();
        prop_assert_eq!(decrypted.password_protected, password.is_some());
        prop_assert_eq!(&decrypted.header, &header);
        let expected: Vec<SdtidToken> = tokens.into_iter().map(normalised).collect();
        prop_assert_eq!(decrypted.tokens, expected);
        prop_assert_eq!(batch.signature_kind(), sdtid::SignatureKind::TokendistMatching);
    }

    /// Changing any character of any MAC-covered value is caught, and classified as the format
    /// allows: values that feed the keys look like a wrong password, everything else is damage
    /// to the section that holds it.
    #[test]
    fn tampering_with_any_covered_value_is_detected(
        (header, tokens, password) in case(),
        pick in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        replacement in prop::sample::select(b"0123456789AZaz=+/ -_.#".to_vec()),
    ) {
        let password = password.map(SecretString::new);
        let text = sdtid::write(&header, &tokens, password.as_ref()).unwrap();
        let batch = sdtid::parse(text.as_bytes()).unwrap();
        let covered: Vec<_> = batch
            .elements()
            .into_iter()
            .filter(|e| !e.long_name.starts_with("TKNTrailer") && !e.name.ends_with("MAC"))
            .collect();
        let element = pick.get(&covered);
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let line = &mut lines[element.line - 1];
        let (open, close) = (line.find('>').unwrap() + 1, line.rfind("</").unwrap());
        let position = open + at.index(close - open);
        let original = line.as_bytes()[position];
        prop_assume!(original != replacement);
        line.replace_range(position..=position, &(replacement as char).to_string());
        let tampered = lines.join("\n") + "\n";
        let Ok(tampered_batch) = sdtid::parse(tampered.as_bytes()) else {
            return Ok(()); // the value no longer parses: rejected before any key is derived
        };
        let result = tampered_batch.decrypt(password.as_ref());
        let key_material = ["Secret", "Dest", "Name"].contains(&element.name.as_str())
            || (element.name == "Origin" && password.is_none());
        let expected = if key_material {
            if password.is_some() { SdtidError::WrongPassword } else { SdtidError::PasswordRequired }
        } else if element.token.is_some() {
            let index = element.token.unwrap();
            SdtidError::TokenCorrupt { serial: tampered_batch.tokens()[index].sn_as_written.clone() }
        } else {
            SdtidError::HeaderCorrupt
        };
        prop_assert_eq!(result.err(), Some(expected), "{} changed", element.long_name);
    }

    /// The MAC buffer equals a literal model of the rule: a zero-filled byte array written at
    /// computed offsets (realigned lines overwrite), cut at the final position.
    #[test]
    fn section_buffer_matches_the_literal_rule(
        lines in prop::collection::vec(("[A-Za-z]{1,12}", "[ -~]{0,20}"), 1..24),
    ) {
        let mut buffer = SectionBuffer::new();
        let mut model = vec![0u8; 4096];
        let (mut pos, mut pad) = (0usize, 0usize);
        for (name, value) in &lines {
            buffer.push_leaf(&["TKN"], name, value);
            let line = if value.is_empty() {
                format!("TKN.{name} </{name}>\n")
            } else {
                format!("TKN.{name} {value}\n")
            };
            let start = if !value.is_empty() && line.len() + pad <= 16 { pos - pos % 16 } else { pos };
            model[start..start + line.len()].copy_from_slice(line.as_bytes());
            model[start + line.len()..start + line.len() + pad].fill(0);
            pos = start + line.len() + pad;
            pad = if pos % 16 == 0 { 16 } else { pos % 16 };
        }
        prop_assert_eq!(buffer.as_bytes(), &model[..pos]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..3000)) {
        if let Ok(batch) = sdtid::parse(&bytes) {
            let _ = batch.decrypt(None);
            let _ = batch.elements();
        }
    }

    #[test]
    fn mutated_valid_files_never_panic(
        file in prop::sample::select(vec!["v1.sdtid", "v2.sdtid", "v3.sdtid", "v4.sdtid", "v7.sdtid", "v9.sdtid", "edge-clobber.sdtid"]),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..8),
    ) {
        let mut bytes = common::fixture(file);
        for (at, byte, kind) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                2 => bytes.insert(i, byte),
                _ => bytes.truncate(i),
            }
        }
        if let Ok(batch) = sdtid::parse(&bytes) {
            let _ = batch.decrypt(Some(&SecretString::from("HwBatch#42")));
            let _ = batch.verify(None);
            let _ = batch.signature_kind();
        }
    }
}
