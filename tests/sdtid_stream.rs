//! The streaming token reader (`sdtid::TokenReader`, what `tokens import` uses) against the
//! whole-document reader: the same tokens from every fixture and generated file, the same
//! verdict and message on damaged ones, lines as in the file, and its limits.

use crate::support::rng::TestRng;

use std::path::Path;
use time::macros::date;
use tokendist::sdtid::{self, BatchHeader, SdtidError, SdtidToken, StreamLimits, TokenReader};
use tokendist::secret::{SecretString, Seed};
use tokendist::token::{Digits, Interval, KeySize, PinMode, Serial};

fn stream_all(
    bytes: &[u8],
    password: Option<&SecretString>,
) -> Result<Vec<SdtidToken>, SdtidError> {
    stream_with(bytes, password, StreamLimits::default())
}

fn stream_with(
    bytes: &[u8],
    password: Option<&SecretString>,
    limits: StreamLimits,
) -> Result<Vec<SdtidToken>, SdtidError> {
    let mut reader = TokenReader::new(bytes, password, limits);
    let mut tokens = Vec::new();
    while let Some(token) = reader.next_token()? {
        tokens.push(token);
    }
    Ok(tokens)
}

fn whole(bytes: &[u8], password: Option<&SecretString>) -> Result<Vec<SdtidToken>, SdtidError> {
    Ok(sdtid::parse(bytes)?.decrypt(password)?.tokens)
}

fn token(serial: u64, i: usize) -> SdtidToken {
    let mut seed = [0u8; 16];
    seed[..8].copy_from_slice(&serial.to_be_bytes());
    seed[15] = i as u8;
    SdtidToken {
        serial: Serial::from_value(serial).unwrap(),
        seed: Seed::new(seed),
        attributes: sdtid::TokenAttributes {
            // Mixed attributes, so the file carries per-token overrides of the header's Def<X>.
            digits: if i.is_multiple_of(3) {
                Digits::SIX
            } else {
                Digits::EIGHT
            },
            interval: if i.is_multiple_of(4) {
                Interval::Seconds30
            } else {
                Interval::Seconds60
            },
            pin_mode: PinMode::new((i % 4) as u32).unwrap(),
            key_size: KeySize::Bits128,
            copy_protection: i.is_multiple_of(2),
            birth: date!(2025 - 01 - 01),
            death: date!(2030 - 12 - 31),
        },
        user: sdtid::UserInfo {
            login: if i.is_multiple_of(5) {
                String::new()
            } else {
                format!("user{i}")
            },
            first_name: format!("First{i}"),
            last_name: "Last".into(),
        },
        device_serial_number: String::new(),
        nickname: format!("nick {i}"),
    }
}

fn batch(count: usize, password: Option<&str>) -> String {
    let tokens: Vec<SdtidToken> = (0..count)
        .map(|i| token(500_000_100 + i as u64, i))
        .collect();
    let header = BatchHeader {
        origin: "Vendor".into(),
        dest: "Site".into(),
        name: "Order 7".into(),
    };
    sdtid::write(&header, &tokens, password.map(SecretString::from).as_ref()).unwrap()
}

#[test]
fn streaming_reads_every_fixture_like_the_whole_file_reader() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sdtid");
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("vectors.json")).unwrap()).unwrap();
    let mut files = 0;
    for vector in vectors["vectors"].as_array().unwrap() {
        let name = vector["file"].as_str().unwrap();
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let password = vector["password"].as_str().map(SecretString::from);
        let expected = whole(&bytes, password.as_ref());
        let streamed = stream_all(&bytes, password.as_ref());
        assert_eq!(streamed, expected, "{name}");
        assert!(expected.is_ok(), "{name} is a valid vector");
        files += 1;
    }
    assert!(files >= 10, "the fixtures were found");
}

#[test]
fn streaming_reads_generated_multi_token_files_like_the_whole_file_reader() {
    for (count, password) in [
        (1, None),
        (7, Some("pw")),
        (120, None),
        (333, Some("order pw")),
    ] {
        let file = batch(count, password);
        let password = password.map(SecretString::from);
        let expected = whole(file.as_bytes(), password.as_ref()).unwrap();
        assert_eq!(expected.len(), count);
        assert_eq!(
            stream_all(file.as_bytes(), password.as_ref()).unwrap(),
            expected
        );
    }
}

#[test]
fn a_missing_or_wrong_password_gives_the_same_verdict() {
    let file = batch(3, Some("right"));
    assert_eq!(
        stream_all(file.as_bytes(), None),
        Err(SdtidError::PasswordRequired)
    );
    assert_eq!(
        stream_all(file.as_bytes(), Some(&SecretString::from("wrong"))),
        Err(SdtidError::WrongPassword)
    );
}

/// Every damaged copy gets the whole-file reader's verdict: the same tokens, or an error. A
/// value error (element, token and line) or a password verdict is word for word the same,
/// except that the stream checks tokens in file order, so where damage makes an earlier
/// token's MAC fail before a later token's value is read, it reports that MAC verdict first.
/// Malformed XML is malformed XML to both, though the stream may notice a wrong root name
/// before the end tag that does not match it, or name the line where the bad text starts.
#[test]
fn damaged_files_get_the_same_verdict_and_message() {
    let file = batch(6, Some("pw")).into_bytes();
    let password = SecretString::from("pw");
    let mut rng = TestRng::new(0x5eed_57ea);
    let mut below = |n: usize| rng.range(0, n as u64 - 1) as usize;
    let mut differing = Vec::new();
    for round in 0..400 {
        let mut damaged = file.clone();
        let at = below(damaged.len());
        damaged[at] = match round % 4 {
            0 => damaged[at] ^ (1 << below(8)),
            1 => b"<>/&0A =\n"[below(9)],
            2 => b'0' + below(10) as u8,
            _ => {
                damaged.truncate(at);
                continue_check(&damaged, &password, &mut differing);
                continue;
            }
        };
        continue_check(&damaged, &password, &mut differing);
    }
    assert!(differing.is_empty(), "{differing:#?}");
}

fn continue_check(damaged: &[u8], password: &SecretString, differing: &mut Vec<String>) {
    let expected = whole(damaged, Some(password));
    let streamed = stream_all(damaged, Some(password));
    let same = match (&expected, &streamed) {
        (Ok(a), Ok(b)) => a == b,
        (Err(SdtidError::Xml { .. }), Err(b)) => {
            matches!(b, SdtidError::Xml { .. } | SdtidError::NotTknBatch { .. })
        }
        (Err(a), Err(b)) => {
            a.to_string() == b.to_string()
                || matches!(
                    b,
                    SdtidError::HeaderCorrupt | SdtidError::TokenCorrupt { .. }
                )
        }
        _ => false,
    };
    if !same {
        differing.push(format!("whole: {expected:?}\nstream: {streamed:?}"));
    }
}

#[test]
fn errors_name_the_line_of_the_file_not_of_the_token() {
    let file = batch(5, None);
    let line = file
        .lines()
        .enumerate()
        .filter(|(_, text)| text.contains("<Seed>"))
        .nth(3)
        .map(|(index, _)| index + 1)
        .unwrap();
    let damaged: String = file
        .lines()
        .enumerate()
        .map(|(index, text)| {
            if index + 1 == line {
                text.replace("<Seed>", "<Seed>!!")
            } else {
                text.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let error = stream_all(damaged.as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert!(error.contains(&format!("line {line}")), "{error}");
    assert_eq!(
        whole(damaged.as_bytes(), None).unwrap_err().to_string(),
        error
    );
}

#[test]
fn a_header_after_the_tokens_is_refused_by_name() {
    let file = batch(2, None);
    let header_start = file.find("<TKNHeader>").unwrap();
    let header_end = file.find("</TKNHeader>").unwrap() + "</TKNHeader>".len();
    let header = &file[header_start..header_end];
    let trailer = file
        .find("<TKNTrailer>")
        .unwrap_or(file.find("</TKNBatch>").unwrap());
    let moved = format!(
        "{}{}{header}{}",
        &file[..header_start],
        &file[header_end..trailer],
        &file[trailer..]
    );
    let error = stream_all(moved.as_bytes(), None).unwrap_err();
    assert!(
        matches!(&error, SdtidError::MissingElement { element, location }
            if element == "TKNHeader" && location.contains("before the first <TKN>")),
        "{error}"
    );
}

#[test]
fn the_token_and_byte_limits_stop_the_file_with_the_limit_named() {
    let file = batch(5, None);
    let error = stream_with(
        file.as_bytes(),
        None,
        StreamLimits {
            max_bytes: u64::MAX,
            max_tokens: 4,
        },
    )
    .unwrap_err();
    assert!(error.to_string().contains("more than 4 tokens"), "{error}");
    let error = stream_with(
        file.as_bytes(),
        None,
        StreamLimits {
            max_bytes: 1000,
            max_tokens: 10,
        },
    )
    .unwrap_err();
    assert!(
        matches!(error, SdtidError::TooLarge { limit: 1000, .. }),
        "{error}"
    );
    assert_eq!(
        stream_with(
            file.as_bytes(),
            None,
            StreamLimits {
                max_bytes: file.len() as u64,
                max_tokens: 5,
            },
        )
        .unwrap()
        .len(),
        5
    );
}

#[test]
fn a_token_with_thousands_of_elements_is_refused() {
    let file = batch(1, None);
    let padding = "<X/>".repeat(sdtid::MAX_SECTION_ELEMENTS + 1);
    let bloated = file.replacen("<TKN>", &format!("<TKN>{padding}"), 1);
    let error = stream_all(bloated.as_bytes(), None).unwrap_err();
    assert!(error.to_string().contains("more than"), "{error}");
}
