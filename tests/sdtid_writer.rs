//! The writer: layout, defaults, validation, multi-token batches, trailer; every file it writes
//! is read back with our reader.

use crate::common;

use common::*;
use time::macros::date;
use tokendist::sdtid::{self, BatchHeader, SdtidError, SdtidToken, SignatureKind, UserInfo};
use tokendist::secret::SecretString;
use tokendist::token::{Digits, Interval, KeySize, PinMode, Serial};

fn token(serial: &str, seed_byte: u8) -> SdtidToken {
    sdtid_token(
        Serial::parse(serial).unwrap(),
        [seed_byte; 16],
        date!(2014 - 01 - 01),
        date!(2035 - 12 - 31),
    )
}

/// The document with every leaf value removed: tags and indentation only.
fn skeleton(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| match (line.find('>'), line.rfind("</")) {
            (Some(open), Some(close)) if close > open => {
                format!("{}{}", &line[..=open], &line[close..])
            }
            _ => line.to_owned(),
        })
        .collect()
}

#[test]
fn single_token_file_has_stokens_layout_and_reads_back() {
    let v1 = fixture_text("v1.sdtid");
    let text = sdtid::write(&BatchHeader::default(), &[token("123456789012", 7)], None).unwrap();
    assert!(text.starts_with(
        "<?xml version=\"1.0\"?>\n<TKNBatch>\n  <TKNHeader>\n    <Version>0</Version>\n"
    ));
    assert!(text.ends_with("</TKNBatch>\n"));
    assert!(!text.contains('\r'));
    assert_eq!(skeleton(&text), skeleton(&v1));
    // Same values as stoken's defaults wherever nothing is random.
    for line in [
        "<DefPrecision>2400<",
        "<DefFormFactor>20000001<",
        "<NumTokens>0<",
        "<FirstToken>N/A<",
        "<UserLogin> <",
        "<Nickname> <",
    ] {
        assert!(text.contains(line), "{line}");
    }
    let batch = sdtid::parse(text.as_bytes()).unwrap();
    let decrypted = batch.decrypt(None).unwrap();
    assert!(!decrypted.password_protected);
    assert_eq!(decrypted.tokens, vec![token("123456789012", 7)]);
    assert_eq!(batch.signature_kind(), SignatureKind::TokendistMatching);
}

#[test]
fn password_protected_file_needs_its_password() {
    let password = SecretString::from("s3cret pass");
    let header = BatchHeader {
        origin: "tokendist".into(),
        dest: "ACME".into(),
        name: "Batch 7".into(),
    };
    let mut t = token("000155667788", 1);
    t.user = UserInfo {
        login: "ghopper@example.com".into(),
        first_name: "Grace".into(),
        last_name: "Hopper".into(),
    };
    t.nickname = "Grace's R&D <token>".into();
    t.device_serial_number = "S-1-5-21-1".into();
    let text = sdtid::write(&header, std::slice::from_ref(&t), Some(&password)).unwrap();
    assert!(text.contains("<Nickname>Grace's R&amp;D &lt;token&gt;</Nickname>"));
    let batch = sdtid::parse(text.as_bytes()).unwrap();
    assert_eq!(
        batch.decrypt(None).unwrap_err(),
        SdtidError::PasswordRequired
    );
    assert_eq!(
        batch
            .decrypt(Some(&SecretString::from("s3cret pas")))
            .unwrap_err(),
        SdtidError::WrongPassword
    );
    let decrypted = batch.decrypt(Some(&password)).unwrap();
    assert!(decrypted.password_protected);
    assert_eq!(decrypted.tokens, vec![t]);
    assert_eq!(decrypted.header, header);
}

#[test]
fn empty_password_means_no_password() {
    let text = sdtid::write(
        &BatchHeader::default(),
        &[token("1", 2)],
        Some(&SecretString::from("")),
    )
    .unwrap();
    let decrypted = sdtid::parse(text.as_bytes())
        .unwrap()
        .decrypt(None)
        .unwrap();
    assert!(!decrypted.password_protected);
    assert_eq!(decrypted.tokens[0].serial.as_str(), "000000000001");
    assert!(text.contains("<SN>000000000001</SN>"));
}

#[test]
fn every_file_gets_a_fresh_secret() {
    let write =
        || sdtid::write(&BatchHeader::default(), &[token("123456789012", 7)], None).unwrap();
    let secret = |text: &str| {
        text.lines()
            .find(|l| l.contains("<Secret>"))
            .unwrap()
            .to_owned()
    };
    let (a, b) = (write(), write());
    assert_ne!(secret(&a), secret(&b));
    assert_ne!(a, b);
}

#[test]
fn pin_modes_key_sizes_and_copy_protection_map_to_flags() {
    for mode in 0..4 {
        let mut t = token("123456789012", 3);
        t.attributes.pin_mode = PinMode::new(mode).unwrap();
        t.attributes.key_size = if mode == 1 {
            KeySize::Bits64
        } else {
            KeySize::Bits128
        };
        t.attributes.copy_protection = mode == 3;
        let text = sdtid::write(&BatchHeader::default(), std::slice::from_ref(&t), None).unwrap();
        assert!(text.contains(&format!("<DefAddPIN>{}</DefAddPIN>", u8::from(mode >= 2))));
        assert!(text.contains(&format!("<DefLocalPIN>{}</DefLocalPIN>", mode % 2)));
        assert!(text.contains(&format!("<DefAlg>{}</DefAlg>", u8::from(mode != 1))));
        let back = sdtid::parse(text.as_bytes())
            .unwrap()
            .decrypt(None)
            .unwrap();
        assert_eq!(back.tokens, vec![t]);
    }
}

#[test]
fn multi_token_batch_uses_common_defaults_and_per_token_overrides() {
    let mut tokens = vec![
        token("000444000101", 1),
        token("000444000102", 2),
        token("000444000103", 3),
    ];
    tokens[1].attributes.digits = Digits::SIX;
    tokens[1].attributes.pin_mode = PinMode::new(3).unwrap();
    tokens[2].attributes.interval = Interval::Seconds30;
    tokens[2].attributes.death = date!(2030 - 06 - 30);
    let header = BatchHeader {
        origin: "tokendist".into(),
        dest: "Example Corp".into(),
        name: "HW-Batch-0042".into(),
    };
    let password = SecretString::from("HwBatch#42");
    let text = sdtid::write(&header, &tokens, Some(&password)).unwrap();
    for line in [
        "<FirstToken>000444000101</FirstToken>",
        "<LastToken>000444000103</LastToken>",
        "<NumTokens>3</NumTokens>",
        "<DefDigits>8</DefDigits>",
        "<DefInterval>60</DefInterval>",
        "<DefDeath>2035/12/31</DefDeath>",
        "<DefAddPIN>1</DefAddPIN>",
        "<DefLocalPIN>0</DefLocalPIN>",
    ] {
        assert!(text.contains(line), "{line}");
    }
    let overrides: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            [
                "<Digits>",
                "<LocalPIN>",
                "<Interval>",
                "<Death>",
                "<AddPIN>",
                "<Birth>",
                "<Alg>",
                "<CopyProtection>",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .collect();
    assert_eq!(
        overrides,
        [
            "<Digits>6</Digits>",
            "<LocalPIN>1</LocalPIN>",
            "<Death>2030/06/30</Death>",
            "<Interval>30</Interval>"
        ]
    );
    let batch = sdtid::parse(text.as_bytes()).unwrap();
    assert_eq!(batch.token_count(), 3);
    let decrypted = batch.decrypt(Some(&password)).unwrap();
    assert_eq!(decrypted.tokens, tokens);
    assert_eq!(batch.signature_kind(), SignatureKind::TokendistMatching);
    let t = &decrypted.tokens[1];
    assert_eq!(code_of(t, None, 0).len(), 6);
}

#[test]
fn values_readers_cannot_take_are_refused_naming_the_field() {
    let h = BatchHeader::default();
    let check = |header: &BatchHeader, t: SdtidToken, password: Option<&str>, field: &str| {
        let password = password.map(SecretString::from);
        match sdtid::write(header, &[t], password.as_ref()) {
            Err(SdtidError::InvalidValue { element, reason }) => {
                assert_eq!(element, field, "{reason}");
                if let Some(p) = &password {
                    assert!(
                        p.is_empty() || !reason.contains(p.expose()),
                        "password leaked: {reason}"
                    );
                }
            }
            other => panic!("{field}: expected an error, got {other:?}"),
        }
    };
    let mut t = token("1", 1);
    t.nickname = "Jos\u{e9}".into();
    check(&h, t, None, "Nickname");
    let mut t = token("1", 1);
    t.user.login = "a\nb".into();
    check(&h, t, None, "UserLogin");
    let mut t = token("1", 1);
    t.device_serial_number = "\u{1}".into();
    check(&h, t, None, "DeviceSerialNumber");
    let mut t = token("1", 1);
    t.attributes.digits = Digits::from_file(7).unwrap();
    check(&h, t, None, "Digits");
    let mut t = token("1", 1);
    t.attributes.birth = date!(2036 - 01 - 01);
    check(&h, t, None, "Birth");
    let spaced = BatchHeader {
        origin: " N/A".into(),
        ..BatchHeader::default()
    };
    check(&spaced, token("1", 1), None, "Origin");
    let spaced = BatchHeader {
        dest: "N/A\t".into(),
        ..BatchHeader::default()
    };
    check(&spaced, token("1", 1), None, "Dest");
    let long = BatchHeader {
        name: "Engineering-Contractors-2024".into(),
        ..BatchHeader::default()
    };
    check(&long, token("1", 1), None, "Name");
    let empty = BatchHeader {
        name: String::new(),
        ..BatchHeader::default()
    };
    check(&empty, token("1", 1), None, "Name");
    check(&h, token("1", 1), Some("N/A"), "password");
    check(&h, token("1", 1), Some("p\u{e4}ss"), "password");
    check(&h, token("1", 1), Some(&"x".repeat(33)), "password");
    assert!(
        matches!(sdtid::write(&h, &[], None), Err(SdtidError::InvalidValue { element, .. }) if element == "TKN")
    );
    let twice = [token("5", 1), token("000000000005", 2)];
    assert!(
        matches!(sdtid::write(&h, &twice, None), Err(SdtidError::InvalidValue { element, .. }) if element == "SN")
    );
}

#[test]
fn signature_kind_tells_our_fingerprint_from_others() {
    let text = sdtid::write(&BatchHeader::default(), &[token("123456789012", 7)], None).unwrap();
    let changed = text.replace("<DefPrecision>2400<", "<DefPrecision>2401<");
    assert_eq!(
        sdtid::parse(changed.as_bytes()).unwrap().signature_kind(),
        SignatureKind::TokendistMismatch
    );
    assert_eq!(
        sdtid::parse(&fixture("v1.sdtid")).unwrap().signature_kind(),
        SignatureKind::Other
    );
    let no_trailer = text.split("  <TKNTrailer>").next().unwrap().to_owned() + "</TKNBatch>\n";
    let batch = sdtid::parse(no_trailer.as_bytes()).unwrap();
    assert_eq!(batch.signature_kind(), SignatureKind::Absent);
    assert!(batch.decrypt(None).is_ok(), "the trailer is never required");
}

#[test]
fn writing_then_reading_many_tokens_scales() {
    let tokens: Vec<SdtidToken> = (0..2000)
        .map(|i| token(&format!("{:012}", 100_000 + i), (i % 251) as u8))
        .collect();
    let text = sdtid::write(
        &BatchHeader::default(),
        &tokens,
        Some(&SecretString::from("pw")),
    )
    .unwrap();
    let batch = sdtid::parse(text.as_bytes()).unwrap();
    assert_eq!(
        batch
            .decrypt(Some(&SecretString::from("pw")))
            .unwrap()
            .tokens,
        tokens
    );
}

#[test]
#[ignore = "uses about 300 MiB: writes and reads a 100,000-token record file (run with --ignored)"]
fn a_hundred_thousand_token_file_parses() {
    let tokens: Vec<SdtidToken> = (0..100_000)
        .map(|i| token(&format!("{:012}", i), (i % 251) as u8))
        .collect();
    let text = sdtid::write(&BatchHeader::default(), &tokens, None).unwrap();
    assert!(text.len() < sdtid::MAX_DOCUMENT_BYTES);
    let batch = sdtid::parse(text.as_bytes()).unwrap();
    assert_eq!(batch.token_count(), 100_000);
    assert_eq!(batch.decrypt(None).unwrap().tokens.len(), 100_000);
}
