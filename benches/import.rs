//! Import benchmark: one vendor token record file of 100,000 and 1,000,000 tokens (password
//! protected, as orders are) into an empty workspace, the way `tokens import` does it (stream
//! the file, verify every MAC, decrypt every seed, seal and save the inventory), with the time
//! and the peak resident memory of the import alone.
//!
//! Run with `cargo bench --bench import`. The record file is written first (by our writer, in
//! the parent process); each import runs in a child process so that its peak memory (VmHWM,
//! reset through /proc/self/clear_refs after the workspace is opened) is its own. Set
//! `IMPORT_BENCH_SIZES=100000` to choose sizes.
//!
//! Goal (issue 13): 1,000,000 tokens in ≤ 60 s and ≤ 400 MiB peak.

#[path = "support/memory.rs"]
mod memory;

use memory::{peak_mib, reset_peak};
use std::path::Path;
use std::process::Command;
use std::time::Instant;
use time::macros::date;
use tokendist::sdtid::{self, BatchHeader, SdtidToken, TokenAttributes, UserInfo};
use tokendist::secret::{SecretString, Seed};
use tokendist::token::{Digits, Interval, KeySize, PinMode, Serial};
use tokendist::workspace::{KdfParams, Workspace, import};

const CHILD_ENV: &str = "IMPORT_BENCH_CHILD";
const FILE_PASSWORD: &str = "vendor order password";

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        let (count, file) = spec.split_once(':').expect("count:file");
        run_import(count.parse().expect("a token count"), Path::new(file));
        return;
    }
    let sizes = std::env::var("IMPORT_BENCH_SIZES").unwrap_or_else(|_| "100000,1000000".into());
    let dir = tempfile::tempdir().unwrap();
    for size in sizes.split(',') {
        let count: u64 = size.trim().parse().expect("a token count");
        let file = dir.path().join(format!("order-{count}.sdtid"));
        let started = Instant::now();
        write_record_file(count, &file);
        let bytes = std::fs::metadata(&file).unwrap().len();
        println!(
            "{count} tokens: record file {:.0} MiB ({:.0} bytes/token), written in {:.1} s",
            bytes as f64 / (1024.0 * 1024.0),
            bytes as f64 / count as f64,
            started.elapsed().as_secs_f64()
        );
        let status = Command::new(std::env::current_exe().unwrap())
            .env(CHILD_ENV, format!("{count}:{}", file.display()))
            .status()
            .expect("run the benchmark child");
        assert!(status.success(), "import of {count} tokens failed");
        std::fs::remove_file(&file).unwrap();
    }
}

/// Writes the whole order with one `sdtid::write`, in the parent: only the child's import is
/// measured, so the writer may hold it all.
fn write_record_file(count: u64, path: &Path) {
    let tokens: Vec<SdtidToken> = (0..count).map(token).collect();
    let header = BatchHeader {
        origin: "Vendor".into(),
        dest: "Example Corp".into(),
        name: "Order 2026-11".into(),
    };
    let text = sdtid::write(&header, &tokens, Some(&SecretString::from(FILE_PASSWORD))).unwrap();
    std::fs::write(path, text).unwrap();
}

fn token(index: u64) -> SdtidToken {
    SdtidToken {
        serial: Serial::from_value(300_000_000_000 + index).unwrap(),
        seed: Seed::random(),
        attributes: TokenAttributes {
            digits: Digits::EIGHT,
            interval: Interval::Seconds60,
            pin_mode: PinMode::new(3).unwrap(),
            key_size: KeySize::Bits128,
            copy_protection: true,
            birth: date!(2026 - 01 - 01),
            death: date!(2031 - 12 - 31),
        },
        user: UserInfo::default(),
        device_serial_number: String::new(),
        nickname: String::new(),
    }
}

fn run_import(count: u64, file: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let passphrase = SecretString::from("benchmark passphrase");
    drop(Workspace::init_with_kdf(dir.path(), &passphrase, KdfParams::PRODUCTION).unwrap());
    let mut workspace = Workspace::open(dir.path(), &passphrase).unwrap();
    let password = SecretString::from(FILE_PASSWORD);
    let limits = workspace.config().import_limits;
    reset_peak();
    let baseline = peak_mib();
    let started = Instant::now();
    let (report, read) = workspace
        .update_inventory(|inventory| {
            let input = std::fs::File::open(file).unwrap();
            import::import_stream(inventory, input, file, Some(&password), false, limits)
        })
        .unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!((read as u64, report.imported.len() as u64), (count, count));
    let peak = peak_mib();
    let vault = std::fs::metadata(dir.path().join("inventory.vault"))
        .unwrap()
        .len();
    println!(
        "{count} tokens: import {elapsed:.1} s ({:.0} tokens/s), peak {peak:.0} MiB (open workspace before: {baseline:.0} MiB), inventory file {:.1} MiB",
        count as f64 / elapsed,
        vault as f64 / (1024.0 * 1024.0)
    );
}
