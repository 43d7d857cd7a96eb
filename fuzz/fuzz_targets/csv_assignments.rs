//! Fuzzes a tokens-assign CSV through `tokendist::fuzzing::csv_assignments` (the corpus replay test calls the same).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokendist::fuzzing::csv_assignments(data));
