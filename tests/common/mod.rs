//! Helpers shared by the integration tests: fixtures and hex, the usual SDTID token, and a
//! scratch workspace driven through the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sdtid")
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

pub fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Writes fixture `name` with `from` replaced by `to` (which must occur) to `dir/file_name`.
pub fn write_edited_fixture(
    dir: &Path,
    file_name: &str,
    name: &str,
    from: &str,
    to: &str,
) -> PathBuf {
    let text = fixture_text(name);
    assert!(text.contains(from), "fixture {name} has no {from:?}");
    let path = dir.join(file_name);
    std::fs::write(&path, text.replace(from, to)).unwrap();
    path
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

mod token;
mod workspace_env;

#[allow(unused_imports)] // each test crate uses a different part of this module
pub use token::{code_of, sdtid_token};
#[allow(unused_imports)]
pub use workspace_env::WorkspaceEnv;
