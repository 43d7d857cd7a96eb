//! The entry points fuzzing drives: the cargo-fuzz targets in `fuzz/` call these, and so does
//! the corpus replay test (`tests/fuzz_corpus.rs`), so `cargo test` exercises every input the
//! fuzzers were seeded with or found, without a nightly toolchain. See `docs/fuzzing.md`.
//!
//! Each function feeds untrusted bytes to one reader and checks what must hold for any input:
//! no panic, bounded work, and for what is accepted, the reader's own invariants (a file we
//! can write back reads back the same). A violated invariant panics, which is what a fuzzer
//! reports.

use crate::jobs::JobRecord;
use crate::sdtid::{self, SdtidError};
use crate::secret::{SecretString, Seed};
use crate::token::{Digits, Interval, KeySize, PinMode, Serial};
use crate::workspace::assign;
use crate::workspace::{Inventory, InventoryToken};
use std::path::Path;
use std::sync::OnceLock;

/// Passwords tried on every parsed token file besides none: the fixtures' own, so that seeds
/// mutated from a protected fixture still reach decryption.
const PASSWORDS: [&str; 4] = [
    "Tr0ub4dor&3-horse",
    "HwBatch#42",
    "correct horse battery staple 2024 ok",
    "password",
];

/// A token file (`sdtid::parse`, then verification, decryption and the element listing).
/// What decrypts and can be written again must read back to the same tokens.
pub fn sdtid_reader(data: &[u8]) {
    let Ok(batch) = sdtid::parse(data) else {
        return;
    };
    let _ = batch.token_count();
    let _ = batch.signature_kind();
    let mut elements = 0usize;
    batch.for_each_element(|_| elements += 1);
    assert!(elements >= batch.token_count(), "every token has leaves");
    for index in 0..batch.token_count() {
        let _ = batch.attribute_source(index, "Digits");
    }
    let verification = batch.verify(None);
    assert_eq!(verification.token_macs.len(), batch.token_count());
    let mut attempts = vec![None];
    attempts.extend(PASSWORDS.iter().map(|p| Some(SecretString::from(*p))));
    for password in &attempts {
        match batch.decrypt(password.as_ref()) {
            Ok(decrypted) => {
                assert_eq!(decrypted.tokens.len(), batch.token_count());
                check_round_trip(&decrypted, password.as_ref());
                return;
            }
            Err(SdtidError::PasswordRequired | SdtidError::WrongPassword) => continue,
            Err(_) => return,
        }
    }
}

/// Writing the decrypted tokens again (when the writer accepts them) and reading that back
/// gives the same tokens.
fn check_round_trip(decrypted: &sdtid::DecryptedBatch, password: Option<&SecretString>) {
    let Ok(written) = sdtid::write(&decrypted.header, &decrypted.tokens, password) else {
        return;
    };
    let again = sdtid::parse(written.as_bytes())
        .and_then(|batch| batch.decrypt(password))
        .expect("a file we wrote reads back");
    assert_eq!(
        again.tokens, decrypted.tokens,
        "tokens survive a round trip"
    );
}

/// The inventory the CSV target assigns against: a few serials, some already assigned.
fn csv_inventory() -> &'static Inventory {
    static INVENTORY: OnceLock<Inventory> = OnceLock::new();
    INVENTORY.get_or_init(|| {
        let token = |serial: &str, user: Option<(&str, &str, &str)>| InventoryToken {
            serial: Serial::parse(serial).expect("a valid serial"),
            seed: Seed::new([7; 16]),
            key_size: KeySize::Bits128,
            digits: Digits::EIGHT,
            interval: Interval::Seconds60,
            pin_mode: PinMode::new(0).expect("PIN mode 0"),
            birth: time::macros::date!(2024 - 01 - 01),
            expires: time::macros::date!(2030 - 12 - 31),
            user: user.map(|(login, first, last)| {
                crate::workspace::AssignedUser::new(login, first, last)
            }),
            distributions: Default::default(),
        };
        Inventory::from_tokens(vec![
            token("000000000001", None),
            token("000000000002", Some(("jdoe", "Jane", "Doe"))),
            token("000000000003", None),
            token("123456789012", Some(("asmith", "Ann", "Smith"))),
        ])
        .expect("distinct serials")
    })
}

/// A CSV of assignments (`tokens assign`): parsed and checked against an inventory, then
/// applied to a copy. An accepted row names a held serial.
pub fn csv_assignments(data: &[u8]) {
    let inventory = csv_inventory();
    let Ok(rows) = assign::parse_assignments(data, Path::new("fuzz.csv"), inventory) else {
        return;
    };
    for row in &rows {
        assert!(inventory.contains(&row.serial), "only held serials pass");
    }
    let mut copy = inventory.clone();
    let _ = assign::apply_assignments(&mut copy, rows);
    assert_eq!(
        copy.len(),
        inventory.len(),
        "assigning never adds or drops tokens"
    );
}

/// `jobs/history.jsonl`, one record per line, as the history reader takes them. An accepted
/// record survives being written and read again.
///
/// Deliberately thin (the record type's own parsing): the history's loading and recovery
/// around it change independently.
pub fn history_lines(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let Ok(record) = serde_json::from_str::<JobRecord>(line) else {
            continue;
        };
        let written = serde_json::to_string(&record).expect("a record serialises");
        let again: JobRecord = serde_json::from_str(&written).expect("a written record parses");
        // Compared as written: a legacy per-token exclusion list is read but never written
        // (loading turns it into the summary).
        let rewritten = serde_json::to_string(&again).expect("a record serialises");
        assert_eq!(rewritten, written, "a record survives a round trip");
    }
}

/// The front of `inventory.vault`: header (magic, version, checksum, key-derivation bounds)
/// and body length, everything checked before a key is derived. Whatever is accepted asks for
/// bounded key-derivation work.
pub fn inventory_header(data: &[u8]) {
    if let Ok(params) = crate::workspace::check_inventory_frame(data) {
        assert!(params.is_plausible(), "accepted parameters are bounded");
    }
}
