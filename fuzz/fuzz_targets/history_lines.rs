//! Fuzzes jobs/history.jsonl lines through `tokendist::fuzzing::history_lines` (the corpus replay test calls the same).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tokendist::fuzzing::history_lines(data));
