//! Helpers shared by the SDTID integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sdtid")
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> Vec<u8> {
    let clean: String = text.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..clean.len() / 2)
        .map(|i| u8::from_str_radix(&clean[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

pub fn unhex16(text: &str) -> [u8; 16] {
    unhex(text).try_into().expect("16 bytes of hex")
}

/// A hex dump fixture (`buffers/NAME`): one line of hex per 16 bytes.
pub fn buffer_fixture(name: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(fixture_dir().join("buffers").join(name)).unwrap();
    unhex(&text)
}
