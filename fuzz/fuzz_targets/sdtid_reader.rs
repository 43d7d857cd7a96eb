//! Fuzzes a token file (SDTID XML) through `tokendist::fuzzing::sdtid_reader` (the corpus replay test calls the same).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokendist::fuzzing::sdtid_reader(data));
