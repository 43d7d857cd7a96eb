//! Known-answer tests: every vector of the format specification (§9), with its intermediate
//! values, buffers and tokencodes.

use crate::common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use serde_json::Value;
use sha1::{Digest, Sha1};
use tokendist::sdtid::internals::{
    BatchKeys, IV_BATCH_MAC, IV_TOKEN_MAC, cbc_mac, cipher, fixed, hash_password, seed_xor,
    unwrap_secret,
};
use tokendist::sdtid::{self, Batch, Protection, SdtidError};
use tokendist::secret::SecretString;
use tokendist::token::{KeySize, Serial, tokencode};

fn vectors() -> Vec<Value> {
    let json: Value = serde_json::from_slice(&fixture("vectors.json")).unwrap();
    json["vectors"].as_array().unwrap().clone()
}

/// The single-token vectors (everything but the multi-token `v7.sdtid`).
fn single_token_vectors() -> Vec<Value> {
    vectors()
        .into_iter()
        .filter(|v| v.get("seed").is_some())
        .collect()
}

fn password_of(vector: &Value) -> Option<SecretString> {
    vector["password"].as_str().map(SecretString::from)
}

fn raw(batch: &Batch, long_name: &str) -> String {
    batch
        .elements()
        .into_iter()
        .find(|e| e.long_name == long_name)
        .unwrap()
        .value
}

#[test]
fn there_are_thirteen_vector_files() {
    assert_eq!(vectors().len(), 13);
    assert_eq!(single_token_vectors().len(), 12);
}

#[test]
fn every_vector_decrypts_to_the_reference_seed_attributes_and_codes() {
    for v in single_token_vectors() {
        let file = v["file"].as_str().unwrap();
        let batch = sdtid::parse(&fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(batch.token_count(), 1, "{file}");
        let password = password_of(&v);
        let decrypted = batch
            .decrypt(password.as_ref())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(decrypted.password_protected, password.is_some(), "{file}");
        let token = &decrypted.tokens[0];
        assert_eq!(
            hex(token.seed.expose()),
            v["seed"].as_str().unwrap(),
            "{file}"
        );
        assert_eq!(
            token.serial.as_str(),
            v["serial12"].as_str().unwrap(),
            "{file}"
        );
        assert_eq!(
            batch.tokens()[0].sn_as_written,
            v["sn_as_written"].as_str().unwrap(),
            "{file}"
        );
        let a = &token.attributes;
        assert_eq!(
            u64::from(a.digits.get()),
            v["digits"].as_u64().unwrap(),
            "{file}"
        );
        assert_eq!(
            u64::from(a.interval.seconds()),
            v["interval"].as_u64().unwrap(),
            "{file}"
        );
        assert_eq!(
            u64::from(a.pin_mode.get()),
            v["pin_mode"].as_u64().unwrap(),
            "{file}"
        );
        assert_eq!(a.key_size, KeySize::Bits128, "{file}");
        assert_eq!(sdtid_date(a.death), "2035/12/31", "{file}");
        assert_eq!(sdtid_date(a.birth), "2014/01/01", "{file}");
        for code in v["tokencodes"].as_array().unwrap() {
            let t = code["unix_time"].as_i64().unwrap();
            let plain = tokencode(&token.seed, &token.serial, a.digits, a.interval, None, t);
            let zero_pin = tokencode(
                &token.seed,
                &token.serial,
                a.digits,
                a.interval,
                Some("0000"),
                t,
            );
            let with_pin = tokencode(
                &token.seed,
                &token.serial,
                a.digits,
                a.interval,
                Some("1234"),
                t,
            );
            assert_eq!(plain, code["no_pin"].as_str().unwrap(), "{file} at {t}");
            assert_eq!(zero_pin, plain, "{file} at {t}");
            assert_eq!(
                with_pin,
                code["pin_1234"].as_str().unwrap(),
                "{file} at {t} with PIN"
            );
        }
    }
}

fn sdtid_date(date: time::Date) -> String {
    format!(
        "{:04}/{:02}/{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[test]
fn every_vector_reproduces_its_intermediate_values() {
    for v in single_token_vectors() {
        let file = v["file"].as_str().unwrap();
        let batch = sdtid::parse(&fixture(file)).unwrap();
        let header = batch.header();
        let password = v["password"].as_str().unwrap_or(&header.origin).to_owned();
        let key0 = hash_password(
            password.as_bytes(),
            header.dest.as_bytes(),
            header.name.as_bytes(),
        );
        assert_eq!(
            hex(key0.expose()),
            v["key0"].as_str().unwrap(),
            "{file} key0"
        );

        let secret: [u8; 16] = STANDARD
            .decode(raw(&batch, "TKNHeader.Secret"))
            .unwrap()
            .try_into()
            .unwrap();
        let key1 = unwrap_secret(&key0, header.name.as_bytes(), &secret);
        assert_eq!(
            hex(key1.expose()),
            v["key1"].as_str().unwrap(),
            "{file} key1"
        );

        let keys = BatchKeys::new(&key0, header.name.as_bytes(), &secret);
        assert_eq!(
            hex(keys.key1.expose()),
            v["key1"].as_str().unwrap(),
            "{file} key1"
        );
        assert_eq!(
            hex(keys.batch_mac.expose()),
            v["batch_mac_key"].as_str().unwrap(),
            "{file} BatchMAC key"
        );
        let sn = v["sn_as_written"].as_str().unwrap();
        let token_keys = keys.token_keys(sn.as_bytes());
        assert_eq!(
            hex(token_keys.token_mac.expose()),
            v["token_mac_key"].as_str().unwrap(),
            "{file}"
        );
        assert_eq!(
            hex(token_keys.token_encrypt.expose()),
            v["token_enc_key"].as_str().unwrap(),
            "{file}"
        );

        let header_buffer = batch.header_mac_buffer();
        let token_buffer = batch.token_mac_buffer(0).unwrap();
        assert_eq!(
            header_buffer.len() as u64,
            v["header_hash_buffer_len"].as_u64().unwrap(),
            "{file}"
        );
        assert_eq!(
            token_buffer.len() as u64,
            v["token_hash_buffer_len"].as_u64().unwrap(),
            "{file}"
        );
        let header_mac = cbc_mac(
            &cipher(keys.batch_mac.expose()),
            &IV_BATCH_MAC,
            header_buffer,
        );
        let token_mac = cbc_mac(
            &cipher(token_keys.token_mac.expose()),
            &IV_TOKEN_MAC,
            &token_buffer,
        );
        assert_eq!(
            hex(&header_mac),
            v["header_mac"].as_str().unwrap(),
            "{file} HeaderMAC"
        );
        assert_eq!(
            hex(&token_mac),
            v["token_mac"].as_str().unwrap(),
            "{file} TokenMAC"
        );
        assert_eq!(
            STANDARD.encode(header_mac),
            raw(&batch, "TKNHeader.HeaderMAC"),
            "{file}"
        );
        assert_eq!(
            STANDARD.encode(token_mac),
            raw(&batch, "TKN.TokenMAC"),
            "{file}"
        );

        // The seed cipher both ways: the file's Seed field is the encrypted reference seed.
        let seed = unhex16(v["seed"].as_str().unwrap());
        let encrypted = seed_xor(&token_keys.token_encrypt, sn.as_bytes(), &seed);
        assert_eq!(
            format!("={}", STANDARD.encode(encrypted.expose())),
            raw(&batch, "TKN.Seed"),
            "{file}"
        );
    }
}

#[test]
fn signing_buffers_hash_to_the_published_sha1() {
    let expected = [
        ("v1.sdtid", "8925ecc3b3dd29bee2941447e3e7dee4cd186d20"),
        ("v2.sdtid", "4b17e410815933b04da607eb5c864d46f84a1201"),
        ("v3.sdtid", "167bce1f569fde3a73d90005135db70e9e163fc8"),
        ("v4.sdtid", "33dac91088ff153dc24bff642218986ea2204f9f"),
        ("v5.sdtid", "0d226de616d56c2dc9a89fe32a4af73b9b5e0e8e"),
        ("v6.sdtid", "47e59fe0ed10edb2fb48bdef337bda36abe43fd7"),
        ("v7-tkn1.sdtid", "21e4e611cace4cd4b963a6f76c0548ee4fdc0207"),
        ("v7-tkn2.sdtid", "3c9a711c8cdbcd937db08bbb5691ec7a428035fb"),
        ("v7-tkn3.sdtid", "3cb740f75951de8c3c12a79b882c810ab0644621"),
        ("v7.sdtid", "fd1a764d8b566ca6f2b73add635c2426799d7529"),
        ("v8.sdtid", "1f013277afa1270efedfaf34dac41336d7c552e4"),
        ("v9.sdtid", "143928fd23a0b831b7d28cafe0ef2149b7dbd919"),
        (
            "edge-clobber.sdtid",
            "516e63d2a02ae43c601c1201a2edacbcb52ec277",
        ),
    ];
    for (file, sha1) in expected {
        let batch = sdtid::parse(&fixture(file)).unwrap();
        assert_eq!(hex(&Sha1::digest(batch.signing_buffer())), sha1, "{file}");
    }
    let v1 = sdtid::parse(&fixture("v1.sdtid")).unwrap().signing_buffer();
    assert_eq!(v1.len(), 978);
    assert_eq!(&v1[..96], &buffer_fixture("v1-signing-prefix.hex")[..]);
    let text = String::from_utf8_lossy(&v1).into_owned();
    assert!(text.contains("TKNHeader.HeaderMAC /SuQfjzYMZVodyHcGKLcBw==\n"));
    assert!(text.contains("TKN.TokenMAC 30cKYRor/OLxUkrKkKucOA==\n"));
}

#[test]
fn hash_buffers_match_the_published_hex_dumps() {
    let cases = [
        ("v1.sdtid", "v1-header.hex", "v1-token.hex"),
        ("v2.sdtid", "v2-header.hex", "v2-token.hex"),
    ];
    for (file, header, token) in cases {
        let batch = sdtid::parse(&fixture(file)).unwrap();
        assert_eq!(
            batch.header_mac_buffer(),
            &buffer_fixture(header)[..],
            "{file} header"
        );
        assert_eq!(
            batch.token_mac_buffer(0).unwrap(),
            buffer_fixture(token),
            "{file} token"
        );
    }
    for (file, token) in [
        ("v3.sdtid", "v3-token.hex"),
        ("v4.sdtid", "v4-token.hex"),
        ("v9.sdtid", "v9-token.hex"),
    ] {
        let batch = sdtid::parse(&fixture(file)).unwrap();
        assert_eq!(
            batch.token_mac_buffer(0).unwrap(),
            buffer_fixture(token),
            "{file} token"
        );
    }
}

#[test]
fn v4_alignment_rule_and_its_wrong_variants() {
    let batch = sdtid::parse(&fixture("v4.sdtid")).unwrap();
    let buffer = batch.token_mac_buffer(0).unwrap();
    assert_eq!(buffer.len(), 317);
    // TKN.AddPIN 1 moved back from 0x0b1 to 0x0b0, followed by one zero byte.
    assert_eq!(&buffer[0xb0..0xbe], b"TKN.AddPIN 1\n\0");
    let key = unhex16("3d58fb1f493c27cc20817216848bb5ca");
    assert_eq!(
        hex(&cbc_mac(&cipher(&key), &IV_TOKEN_MAC, &buffer)),
        "483a0d2ac547bb026db062f74900b9eb"
    );
    // The debugging aids of spec §4.4: no realignment, and plain concatenation.
    // Byte 0xb0 now holds the moved line's first byte; originally it was Digits' last zero.
    let mut unaligned = buffer[..0xb0].to_vec();
    unaligned.push(0);
    unaligned.extend_from_slice(b"TKN.AddPIN 1\n\0");
    // Without realignment every later line shifts by one byte; rebuild the tail from the lines.
    let lines: [&[u8]; 3] = [
        b"TKN.LocalPIN 1\n",
        b"TKN.TokenAttributes.DeviceSerialNumber  \n",
        b"TKN.TokenAttributes.Nickname  \n",
    ];
    for line in lines {
        let pad = match unaligned.len() % 16 {
            0 => 16,
            m => m,
        };
        unaligned.extend_from_slice(line);
        unaligned.resize(unaligned.len() + pad, 0);
    }
    assert_eq!(
        hex(&cbc_mac(&cipher(&key), &IV_TOKEN_MAC, &unaligned)),
        "ab66fa762b3fee951b102eaa2ac7138a"
    );
    let concatenated: Vec<u8> = batch
        .elements()
        .iter()
        .filter(|e| e.token == Some(0) && e.name != "TokenMAC")
        .flat_map(|e| format!("{} {}\n", e.long_name, e.value).into_bytes())
        .collect();
    assert_eq!(
        hex(&cbc_mac(&cipher(&key), &IV_TOKEN_MAC, &concatenated)),
        "c3c55f3e95be4af65a1d9c71b1f99648"
    );
    // Per-token overrides beat the header defaults.
    let token = &batch.decrypt(None).unwrap().tokens[0];
    assert_eq!(token.attributes.digits.get(), 6);
    assert_eq!(token.attributes.pin_mode.get(), 3);
    assert_eq!(
        batch.attribute_source(0, "Digits"),
        Some(sdtid::Source::Token)
    );
    assert_eq!(
        batch.attribute_source(0, "Interval"),
        Some(sdtid::Source::HeaderDefault)
    );
}

#[test]
fn e1_realignment_clobbers_the_end_of_the_serial_line() {
    let batch = sdtid::parse(&fixture("edge-clobber.sdtid")).unwrap();
    let buffer = batch.token_mac_buffer(0).unwrap();
    assert_eq!(buffer.len(), 249);
    assert_eq!(&buffer[..40], &buffer_fixture("e1-token-prefix.hex")[..]);
    assert_eq!(&buffer[0x10..0x1a], b"TKN.Alg 1\n");
    let token = &batch.decrypt(None).unwrap().tokens[0];
    assert_eq!(hex(token.seed.expose()), "00112233445566778899aabbccddeeff");
    assert_eq!(code_of(token, None, 1_700_000_000), "05592345");
}

#[test]
fn v6_short_serial_uses_the_serial_as_written_for_keys_and_twelve_digits_for_codes() {
    let batch = sdtid::parse(&fixture("v6.sdtid")).unwrap();
    assert_eq!(batch.tokens()[0].sn_as_written, "123456789");
    assert_eq!(batch.tokens()[0].serial.as_str(), "000123456789");
    let token = &batch.decrypt(None).unwrap().tokens[0];
    assert_eq!(hex(token.seed.expose()), "102030405060708090a0b0c0d0e0f000");
    // python-securid's divergence: the zero-padded serial gives another key and a wrong seed.
    let header = batch.header();
    let key0 = hash_password(
        header.origin.as_bytes(),
        header.dest.as_bytes(),
        header.name.as_bytes(),
    );
    let secret: [u8; 16] = STANDARD
        .decode(raw(&batch, "TKNHeader.Secret"))
        .unwrap()
        .try_into()
        .unwrap();
    let keys = BatchKeys::new(&key0, header.name.as_bytes(), &secret);
    let padded = keys.token_keys(b"000123456789");
    assert_eq!(
        hex(padded.token_encrypt.expose()),
        "c30c33fc19df9d2639bc883f28d6c8d1"
    );
    let encrypted: [u8; 16] = STANDARD
        .decode(&raw(&batch, "TKN.Seed")[1..])
        .unwrap()
        .try_into()
        .unwrap();
    let wrong = seed_xor(&padded.token_encrypt, b"000123456789", &encrypted);
    assert_eq!(hex(wrong.expose()), "faee99c3f9f6a0590fd0b0f7ec81cfa3");
}

#[test]
fn v7_multi_token_batch_exposes_every_token() {
    let batch = sdtid::parse(&fixture("v7.sdtid")).unwrap();
    assert_eq!(batch.token_count(), 3);
    assert_eq!(batch.header_mac_buffer().len(), 1023);
    assert_eq!(raw(&batch, "TKNHeader.FirstToken"), "000444000101");
    assert_eq!(raw(&batch, "TKNHeader.LastToken"), "000444000103");
    assert_eq!(raw(&batch, "TKNHeader.NumTokens"), "3");
    assert_eq!(
        batch.decrypt(None).unwrap_err(),
        SdtidError::PasswordRequired
    );
    let decrypted = batch
        .decrypt(Some(&SecretString::from("HwBatch#42")))
        .unwrap();
    assert!(decrypted.password_protected);
    let parts: Vec<Value> = vectors()
        .into_iter()
        .filter(|v| v["file"].as_str().unwrap().starts_with("v7-tkn"))
        .collect();
    assert_eq!(parts.len(), 3);
    for (token, v) in decrypted.tokens.iter().zip(&parts) {
        assert_eq!(token.serial.as_str(), v["serial12"].as_str().unwrap());
        assert_eq!(hex(token.seed.expose()), v["seed"].as_str().unwrap());
        for code in v["tokencodes"].as_array().unwrap() {
            let t = code["unix_time"].as_i64().unwrap();
            let a = &token.attributes;
            assert_eq!(
                tokencode(&token.seed, &token.serial, a.digits, a.interval, None, t),
                code["no_pin"].as_str().unwrap()
            );
            assert_eq!(
                tokencode(
                    &token.seed,
                    &token.serial,
                    a.digits,
                    a.interval,
                    Some("1234"),
                    t
                ),
                code["pin_1234"].as_str().unwrap()
            );
        }
    }
    let verification = batch.verify(Some(&SecretString::from("HwBatch#42")));
    assert_eq!(verification.token_macs.len(), 3);
    assert!(verification.outcome.is_ok());
}

#[test]
fn v8_only_the_first_32_bytes_of_the_password_count() {
    let batch = sdtid::parse(&fixture("v8.sdtid")).unwrap();
    let full = SecretString::from("correct horse battery staple 2024 ok");
    let cut = SecretString::from("correct horse battery staple 202");
    let a = batch.decrypt(Some(&full)).unwrap();
    let b = batch.decrypt(Some(&cut)).unwrap();
    assert_eq!(a.tokens[0].seed, b.tokens[0].seed);
    assert_eq!(
        hex(a.tokens[0].seed.expose()),
        "c0ffee00deadbeef0123456789abcdef"
    );
    assert_eq!(
        batch
            .decrypt(Some(&SecretString::from("correct horse battery staple 20")))
            .unwrap_err(),
        SdtidError::WrongPassword
    );
    assert_eq!(batch.header().name, "Engineering-Contractors-2024");
}

#[test]
fn v9_empty_leaves_read_as_empty_values() {
    let batch = sdtid::parse(&fixture("v9.sdtid")).unwrap();
    let buffer = String::from_utf8_lossy(&batch.token_mac_buffer(0).unwrap()).into_owned();
    assert!(buffer.contains("TKN.UserFirstName </UserFirstName>\n"));
    assert!(buffer.contains("TKN.TokenAttributes.Nickname </Nickname>\n"));
    let token = &batch.decrypt(None).unwrap().tokens[0];
    assert_eq!(token.user.first_name, "");
    assert_eq!(token.nickname, "");
}

#[test]
fn v3_entities_are_hashed_decoded_and_values_read_back() {
    let batch = sdtid::parse(&fixture("v3.sdtid")).unwrap();
    let buffer = batch.token_mac_buffer(0).unwrap();
    assert_eq!(&buffer[0x12d..0x130], b"R&D");
    let decrypted = batch.decrypt(None).unwrap();
    assert!(!decrypted.password_protected);
    let token = &decrypted.tokens[0];
    assert_eq!(token.nickname, "Grace's R&D token");
    assert_eq!(
        token.device_serial_number,
        "S-1-5-21-1004336348-1177238915-682003330-512"
    );
    assert_eq!(token.user.login, "ghopper@example.com");
    assert_eq!(
        (
            token.user.first_name.as_str(),
            token.user.last_name.as_str()
        ),
        ("Grace", "Hopper")
    );
    assert_eq!(decrypted.header.origin, "am-prod-01.example.com");
}

#[test]
fn section_9_13_password_hash_and_seed_steps() {
    // V2: the password hash's first, second and last CBC-MACs, the Secret block and the seed pad.
    let k = fixed::<16>(b"Batch 2024-Q3 #7");
    assert_eq!(hex(&k), "426174636820323032342d5133202337");
    let mut data = [0u8; 80];
    data[..32].copy_from_slice(&fixed::<32>(b"Tr0ub4dor&3-horse"));
    data[32..64].copy_from_slice(&fixed::<32>(b"ACME Widgets Ltd"));
    let name_cipher = cipher(&k);
    for (i, expected) in [
        (0u16, "c3e3aab5b037f8032088bbcfd40a7541"),
        (1, "35d7b32378680f6828142322aae198cf"),
        (999, "09b1584bbf7060aa552758f5cabda48f"),
    ] {
        data[78..].copy_from_slice(&i.to_be_bytes());
        assert_eq!(
            hex(&cbc_mac(&name_cipher, &[0; 16], &data)),
            expected,
            "D({i})"
        );
    }
    let key0 = hash_password(
        b"Tr0ub4dor&3-horse",
        b"ACME Widgets Ltd",
        b"Batch 2024-Q3 #7",
    );
    let mut block = [0u8; 16];
    block[..8].copy_from_slice(&fixed::<8>(b"Secret"));
    block[8..].copy_from_slice(&fixed::<8>(b"Batch 2024-Q3 #7"));
    assert_eq!(hex(&block), "53656372657400004261746368203230");
    let pad = unwrap_secret(&key0, b"Batch 2024-Q3 #7", &[0; 16]);
    assert_eq!(hex(pad.expose()), "d30a48de9e5d0c49f224489e765fe97c");
    let token_encrypt =
        tokendist::sdtid::internals::Key::new(unhex16("92de52569f654a3f8d9690b882b26f70"));
    let seed_pad = seed_xor(&token_encrypt, b"261234567890", &[0; 16]);
    assert_eq!(hex(seed_pad.expose()), "a32414a648f8d4dcfbf0fa9f5e3b85fd");

    // V1: Origin as the password.
    let k = cipher(&fixed::<16>(b"N/A"));
    let mut data = [0u8; 80];
    data[..32].copy_from_slice(&fixed::<32>(b"N/A"));
    data[32..64].copy_from_slice(&fixed::<32>(b"N/A"));
    for (i, expected) in [
        (0u16, "9d16f4a5415a23eb61ac15ebcea42d06"),
        (1, "05e12cc9837ed0ae78547a4affa40f2a"),
        (999, "d7bbb2d0134a716b6a7a54c44b064962"),
    ] {
        data[78..].copy_from_slice(&i.to_be_bytes());
        assert_eq!(hex(&cbc_mac(&k, &[0; 16], &data)), expected, "D({i})");
    }
    let key0 = hash_password(b"N/A", b"N/A", b"N/A");
    assert_eq!(
        hex(unwrap_secret(&key0, b"N/A", &[0; 16]).expose()),
        "1e04aa7674d1810ce08f1b3dc33234bb"
    );
    let token_encrypt =
        tokendist::sdtid::internals::Key::new(unhex16("24cd75deb449fd5681d9769e0cb0bb13"));
    assert_eq!(
        hex(seed_xor(&token_encrypt, b"123456789012", &[0; 16]).expose()),
        "5e9a1e09de9937c7c5ea615af050e4d2"
    );
}

#[test]
fn spec_6_key_chain_example_codes() {
    // §6.8: V1 at 22:12-22:15 shares one AES output; each minute selects the next word.
    let v1 = sdtid::parse(&fixture("v1.sdtid"))
        .unwrap()
        .decrypt(None)
        .unwrap();
    let t = &v1.tokens[0];
    let codes: Vec<String> = (0..4)
        .map(|m| code_of(t, None, 1_699_999_920 + 60 * m))
        .collect();
    assert_eq!(codes, ["59407538", "05592345", "41888838", "74921662"]);
    assert_eq!(Serial::parse("123456789012").unwrap(), t.serial);
}

#[test]
fn password_classification_follows_the_format() {
    let v1 = sdtid::parse(&fixture("v1.sdtid")).unwrap();
    // A superfluous password on a password-less file is ignored, as stoken does.
    let d = v1.decrypt(Some(&SecretString::from("anything"))).unwrap();
    assert!(!d.password_protected);
    assert_eq!(v1.verify(None).protection, Protection::NoPassword);

    let v2 = sdtid::parse(&fixture("v2.sdtid")).unwrap();
    assert_eq!(v2.decrypt(None).unwrap_err(), SdtidError::PasswordRequired);
    assert_eq!(
        v2.decrypt(Some(&SecretString::from(""))).unwrap_err(),
        SdtidError::PasswordRequired
    );
    assert_eq!(
        v2.decrypt(Some(&SecretString::from("Tr0ub4dor&3-hors")))
            .unwrap_err(),
        SdtidError::WrongPassword
    );
    let verification = v2.verify(Some(&SecretString::from("wrong")));
    assert_eq!(verification.protection, Protection::Password);
    assert_eq!(verification.outcome, Err(SdtidError::WrongPassword));

    // Damage to a hashed value that leaves the other MAC intact.
    let text = fixture_text("v2.sdtid");
    let header_damaged = text.replace("<DefPrecision>2400<", "<DefPrecision>2401<");
    let batch = sdtid::parse(header_damaged.as_bytes()).unwrap();
    assert_eq!(
        batch
            .decrypt(Some(&SecretString::from("Tr0ub4dor&3-horse")))
            .unwrap_err(),
        SdtidError::HeaderCorrupt
    );
    let token_damaged = text.replace("<UserLogin>alovelace<", "<UserLogin>alovelacf<");
    let batch = sdtid::parse(token_damaged.as_bytes()).unwrap();
    assert_eq!(
        batch
            .decrypt(Some(&SecretString::from("Tr0ub4dor&3-horse")))
            .unwrap_err(),
        SdtidError::TokenCorrupt {
            serial: "261234567890".into()
        }
    );
    // The same damage on a password-less file is found with the Origin keys.
    let text = fixture_text("v1.sdtid");
    let damaged = text.replace("<DefKeypad>1<", "<DefKeypad>0<");
    assert_eq!(
        sdtid::parse(damaged.as_bytes())
            .unwrap()
            .decrypt(None)
            .unwrap_err(),
        SdtidError::HeaderCorrupt
    );
}
