//! A real workspace (cheap key derivation) filled with assigned 128-bit tokens with random
//! seeds, for end-to-end tests of the job engine and the CLI.

use std::path::{Path, PathBuf};
use tokendist::secret::{SecretString, Seed};
use tokendist::token::{Digits, Interval, KeySize, PinMode, Serial};
use tokendist::workspace::{AssignedUser, InventoryToken, KdfParams, Workspace};

pub const PASSPHRASE: &str = "correct horse battery staple";

/// The login of token `i`: varied lengths, all within the 24-character limit.
pub fn login(i: u64) -> String {
    format!("user{i:03}{}", "x".repeat((i % 7) as usize))
}

pub fn inventory_tokens(first: u64, count: u64) -> Vec<InventoryToken> {
    (0..count)
        .map(|i| InventoryToken {
            serial: Serial::from_value(first + i).unwrap(),
            seed: Seed::random(),
            key_size: KeySize::Bits128,
            digits: Digits::EIGHT,
            interval: Interval::Seconds60,
            pin_mode: PinMode::from_flags(true, true),
            birth: time::macros::date!(2025 - 01 - 01),
            expires: time::macros::date!(2035 - 12 - 31),
            user: Some(AssignedUser::new(
                &login(i),
                &format!("Given{i}"),
                &format!("Family{i}"),
            )),
            distributions: Default::default(),
        })
        .collect()
}

/// Creates a workspace in `dir` holding `count` tokens from serial `first`; returns it open.
pub fn create(dir: &Path, first: u64, count: u64) -> Workspace {
    let mut workspace = Workspace::init_with_kdf(
        dir,
        &SecretString::from(PASSPHRASE),
        KdfParams::INSECURE_FOR_TESTS,
    )
    .unwrap();
    let tokens = inventory_tokens(first, count);
    workspace
        .update_inventory(|inventory| {
            inventory.insert_new(tokens);
            Ok(())
        })
        .unwrap();
    workspace
}

pub fn open(dir: &Path) -> Workspace {
    Workspace::open(dir, &SecretString::from(PASSPHRASE)).unwrap()
}

/// A passphrase file for the CLI.
pub fn passphrase_file(dir: &Path) -> PathBuf {
    let path = dir.join("passphrase.txt");
    std::fs::write(&path, format!("{PASSPHRASE}\n")).unwrap();
    // Private, as an administrator keeps it (a readable one draws a warning).
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    path
}

/// Every file under `dir`, recursively.
pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// Panics if `needle` occurs in any file under `dir`.
pub fn assert_nowhere(dir: &Path, needle: &[u8], what: &str) {
    for file in all_files(dir) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.windows(needle.len()).any(|window| window == needle),
            "{what} found in {}",
            file.display()
        );
    }
}
