//! Inventory scale benchmark: open (unlock + decrypt + decode), list (every token as the JSON
//! of `tokens list --json`) and save (one change, encrypted, written atomically) for 100,000
//! and 1,000,000 tokens, with the peak resident memory of each step, plus the Argon2id unlock
//! time with the production parameters.
//!
//! Run with `cargo bench --bench inventory`. Each size runs in a child process that makes the
//! workspace and has a fresh process open it, so that peak memory (VmHWM, reset through
//! /proc/self/clear_refs) is measured per step and per size, and what the open holds is not
//! hidden by reused memory of the tokens just made.
//! Set `INVENTORY_BENCH_SIZES=100000` to choose sizes, and `INVENTORY_BENCH_KEEP=DIR` to keep
//! each size's workspace in `DIR/<size>` (passphrase in `DIR/<size>.passphrase`) for measuring
//! the real binary on it, e.g. `/usr/bin/time -v tokendist check`.

#[path = "support/memory.rs"]
mod memory;

use memory::{peak_mib, reset_peak, rss_mib};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use time::macros::date;
use tokendist::secret::{SecretString, Seed};
use tokendist::token::{Digits, Interval, KeySize, PinMode, Serial};
use tokendist::workspace::listing::TokenSummary;
use tokendist::workspace::{
    AssignedUser, Distribution, Inventory, InventoryToken, KdfParams, VaultKey, Workspace,
};

const CHILD_ENV: &str = "INVENTORY_BENCH_CHILD";
const PASSPHRASE: &str = "benchmark passphrase";

/// Set in the process that opens a workspace made by its parent: `count:dir`.
const OPEN_ENV: &str = "INVENTORY_BENCH_OPEN";

fn main() {
    if let Ok(size) = std::env::var(CHILD_ENV) {
        run_size(size.parse().expect("a token count"));
        return;
    }
    if let Ok(spec) = std::env::var(OPEN_ENV) {
        let (count, dir) = spec.split_once(':').expect("count:dir");
        measure_open(count.parse().expect("a token count"), Path::new(dir));
        return;
    }
    let passphrase = SecretString::from(PASSPHRASE);
    let params = KdfParams::PRODUCTION;
    let started = Instant::now();
    let _ = VaultKey::create(&passphrase, params);
    println!(
        "argon2id m={} MiB t={} p={}: key derivation {:.0} ms",
        params.memory_kib / 1024,
        params.iterations,
        params.parallelism,
        ms(started.elapsed())
    );
    let sizes = std::env::var("INVENTORY_BENCH_SIZES").unwrap_or_else(|_| "100000,1000000".into());
    for size in sizes.split(',') {
        let status = Command::new(std::env::current_exe().unwrap())
            .env(CHILD_ENV, size.trim())
            .status()
            .expect("run the benchmark child");
        assert!(status.success(), "benchmark for {size} tokens failed");
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn token(index: u64) -> InventoryToken {
    InventoryToken {
        serial: Serial::from_value(100_000_000_000 + index).unwrap(),
        seed: Seed::random(),
        key_size: KeySize::Bits128,
        digits: Digits::EIGHT,
        interval: Interval::Seconds60,
        pin_mode: PinMode::new(3).unwrap(),
        birth: date!(2026 - 01 - 01),
        expires: date!(2031 - 12 - 31),
        user: (!index.is_multiple_of(10)).then(|| {
            AssignedUser::new(&format!("user{index:07}"), "Firstname", "Lastname-Example")
        }),
        distributions: if index.is_multiple_of(4) {
            vec![Distribution {
                job_id: "20260101-0001".into(),
                job_name: "January rollout".into(),
                at: time::OffsetDateTime::UNIX_EPOCH,
            }]
        } else {
            Vec::new()
        }
        .into(),
    }
}

fn run_size(count: u64) {
    let temporary = tempfile::tempdir().unwrap();
    let kept = std::env::var_os("INVENTORY_BENCH_KEEP").map(std::path::PathBuf::from);
    let dir = match &kept {
        Some(kept) => {
            std::fs::create_dir_all(kept).unwrap();
            std::fs::write(kept.join(format!("{count}.passphrase")), PASSPHRASE).unwrap();
            kept.join(count.to_string())
        }
        None => temporary.path().to_path_buf(),
    };
    let passphrase = SecretString::from(PASSPHRASE);
    {
        let mut workspace =
            Workspace::init_with_kdf(&dir, &passphrase, KdfParams::PRODUCTION).unwrap();
        let tokens: Vec<InventoryToken> = (0..count).map(token).collect();
        let started = Instant::now();
        workspace
            .update_inventory(|inventory| {
                *inventory = Inventory::from_tokens(tokens).unwrap();
                Ok(())
            })
            .unwrap();
        println!("{count} tokens: first save {:.0} ms", ms(started.elapsed()));
    }
    // Opened by a fresh process: here the heap still holds the freed memory of the tokens
    // just made, which an open would reuse, hiding what it holds.
    let status = Command::new(std::env::current_exe().unwrap())
        .env_remove(CHILD_ENV)
        .env(OPEN_ENV, format!("{count}:{}", dir.display()))
        .status()
        .expect("run the benchmark's open");
    assert!(status.success(), "opening {count} tokens failed");
}

fn measure_open(count: u64, dir: &Path) {
    let passphrase = SecretString::from(PASSPHRASE);
    let file_size = std::fs::metadata(dir.join("inventory.vault"))
        .unwrap()
        .len();

    // The KDF alone, to tell it apart from reading the inventory.
    let kdf_started = Instant::now();
    let _ = VaultKey::create(&passphrase, KdfParams::PRODUCTION);
    let kdf = kdf_started.elapsed();

    let rss_before = rss_mib();
    reset_peak();
    let started = Instant::now();
    let mut workspace = Workspace::open(dir, &passphrase).unwrap();
    let open = started.elapsed();
    let open_peak = peak_mib();
    let held = rss_mib() - rss_before;

    reset_peak();
    let started = Instant::now();
    let today = time::OffsetDateTime::now_utc().date();
    let mut sink = std::io::BufWriter::new(std::io::sink());
    for token in workspace.inventory().iter() {
        serde_json::to_writer(&mut sink, &TokenSummary::of(token, today)).unwrap();
        sink.write_all(b",\n").unwrap();
    }
    sink.flush().unwrap();
    let list = started.elapsed();
    let list_peak = peak_mib();

    reset_peak();
    let started = Instant::now();
    let serial = Serial::from_value(100_000_000_000 + count / 2).unwrap();
    workspace
        .update_inventory(|inventory| {
            inventory.get_mut(&serial).unwrap().user = None;
            Ok(())
        })
        .unwrap();
    let save = started.elapsed();
    let save_peak = peak_mib();

    println!(
        "{count} tokens: file {:.1} MiB | in memory {:.0} bytes/token | open {:.0} ms (incl. key derivation ~{:.0} ms), peak {:.0} MiB | list (JSON) {:.0} ms, peak {:.0} MiB | save {:.0} ms, peak {:.0} MiB",
        file_size as f64 / (1024.0 * 1024.0),
        held * 1024.0 * 1024.0 / count as f64,
        ms(open),
        ms(kdf),
        open_peak,
        ms(list),
        list_peak,
        ms(save),
        save_peak
    );
}
