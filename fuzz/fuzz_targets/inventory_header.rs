//! Fuzzes the front of inventory.vault through `tokendist::fuzzing::inventory_header` (the corpus replay test calls the same).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokendist::fuzzing::inventory_header(data));
