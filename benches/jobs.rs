//! Distribution job throughput: a 10,000- and a 100,000-token job with `user-id` protection
//! (one password hash per file to write, and one more to verify it), from submit (prepare) to
//! the downloaded ZIP, on a real workspace with the real codec; compared with the same number
//! of files written by a `stoken issue` loop.
//!
//! Run: `cargo bench --bench jobs` for 10,000 and 100,000 tokens; `TOKENDIST_BENCH_1M=1` adds
//! the 1,000,000-token job (about a minute); `-- 10000` runs chosen sizes. Each size runs in
//! its own process, and the peak (VmHWM) is reset once the workspace is open, so the peak is
//! the job's own. The stoken loop is timed over `STOKEN_RUNS` runs and extrapolated
//! linearly to the job size (each run is one process writing one file, so its cost per file
//! is constant).
//!
//! Reported per size: files/s (submit to downloaded ZIP, and the generation phase alone),
//! cores busy (CPU seconds / wall seconds), RSS of the open workspace, the job's peak RSS and
//! its bytes per token above the open workspace, and the ZIP's bytes per token.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokendist::jobs::{self, History, JobSpec, Protection, RunResult, SelectionCriteria};
use tokendist::secret::{SecretString, Seed};
use tokendist::token::{Digits, Interval, KeySize, PinMode, Serial};
use tokendist::workspace::{AssignedUser, InventoryToken, KdfParams, Workspace};

const SIZES: [usize; 2] = [10_000, 100_000];
const MILLION_ENV: &str = "TOKENDIST_BENCH_1M";
const STOKEN_RUNS: usize = 200;
const CHILD_ENV: &str = "TOKENDIST_BENCH_JOB_SIZE";
/// `stoken` prompts forever when it dislikes its input: each run gets closed stdin and this long.
const STOKEN_TIMEOUT: Duration = Duration::from_secs(10);

fn main() {
    if let Ok(size) = std::env::var(CHILD_ENV) {
        run_one(size.parse().expect("a job size"));
        return;
    }
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        let mut sizes = SIZES.to_vec();
        if std::env::var(MILLION_ENV).is_ok_and(|value| value == "1") {
            sizes.push(1_000_000);
        }
        sizes
    } else {
        sizes
    };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("jobs benchmark: user-id protection, {cores} core(s)");
    let stoken_per_file = stoken_loop();
    for size in sizes {
        let status = Command::new(std::env::current_exe().unwrap())
            .env(CHILD_ENV, size.to_string())
            .stdin(Stdio::null())
            .status()
            .expect("run the benchmark child");
        assert!(status.success(), "the {size}-token run failed");
        if let Some(per_file) = stoken_per_file {
            let total = per_file * size as u32;
            println!(
                "  stoken issue loop, extrapolated to {size} files: {:.1} s ({:.0} files/s)",
                total.as_secs_f64(),
                1.0 / per_file.as_secs_f64()
            );
        }
    }
}

/// One size, in a child process: prints throughput, phases, CPU use and memory.
fn run_one(size: usize) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    let passphrase = SecretString::from("bench");
    let mut workspace =
        Workspace::init_with_kdf(&root, &passphrase, KdfParams::INSECURE_FOR_TESTS).unwrap();
    let tokens = make_tokens(size);
    workspace
        .update_inventory(|inventory| {
            inventory.insert_new(tokens);
            Ok(())
        })
        .unwrap();
    let mut history = History::open(&workspace).unwrap();
    reset_peak();
    let baseline_kib = proc_status_kib("VmRSS");
    let cpu_before = cpu_seconds();

    let clock = Instant::now();
    let spec = JobSpec {
        name: format!("Bench {size}"),
        profile: "Android".into(),
        binding: jobs::Binding::DeviceClass,
        nickname: Some("Work".into()),
        protection: Protection::UserId,
        password: None,
        selection: SelectionCriteria::default(),
    };
    let now = time::OffsetDateTime::now_utc();
    let job = jobs::prepare(&workspace, &history, spec, now.date()).expect("the job is valid");
    assert_eq!(job.token_count(), size);
    let prepared = clock.elapsed();
    let handle = jobs::start(&workspace, &mut history, job, now).unwrap();
    let outcome = handle.wait(|_| {});
    assert!(
        matches!(outcome.result, RunResult::Completed(_)),
        "{:?}",
        outcome.result
    );
    let generated = clock.elapsed();
    let generation_peak_kib = proc_status_kib("VmHWM");
    let record = jobs::finish(&mut workspace, &mut history, outcome, now).unwrap();
    let finished = clock.elapsed();
    let zip = dir.path().join("out.zip");
    let report = jobs::download(&workspace, &mut history, &record.id, &zip, false, now).unwrap();
    let total = clock.elapsed();
    let cpu = cpu_seconds() - cpu_before;

    let peak_kib = proc_status_kib("VmHWM");
    println!(
        "{size} tokens, submit to downloaded ZIP: {:.2} s, {:.0} files/s (generation alone {:.0} files/s)",
        total.as_secs_f64(),
        size as f64 / total.as_secs_f64(),
        size as f64 / (generated - prepared).as_secs_f64()
    );
    println!(
        "  phases: prepare {:.2} s, generate+verify {:.2} s, record (inventory save) {:.2} s, download {:.2} s",
        prepared.as_secs_f64(),
        (generated - prepared).as_secs_f64(),
        (finished - generated).as_secs_f64(),
        (total - finished).as_secs_f64()
    );
    println!(
        "  CPU: {:.1} s over {:.1} s wall = {:.2} cores busy on average ({:.1} µs per file)",
        cpu,
        total.as_secs_f64(),
        cpu / total.as_secs_f64(),
        cpu * 1e6 / size as f64
    );
    println!(
        "  memory: RSS {:.1} MiB before the job (workspace with the inventory); peak {:.1} MiB until the ZIP is staged ({:.0} bytes/token above it), {:.1} MiB to the end ({:.0} bytes/token, including the inventory's new distribution records and its save)",
        baseline_kib as f64 / 1024.0,
        generation_peak_kib as f64 / 1024.0,
        (generation_peak_kib.saturating_sub(baseline_kib) * 1024) as f64 / size as f64,
        peak_kib as f64 / 1024.0,
        (peak_kib.saturating_sub(baseline_kib) * 1024) as f64 / size as f64
    );
    println!(
        "  ZIP: {} bytes ({:.0} bytes/token)",
        report.bytes,
        report.bytes as f64 / size as f64
    );
}

fn make_tokens(count: usize) -> Vec<InventoryToken> {
    (0..count)
        .map(|i| InventoryToken {
            serial: Serial::from_value(100_000_000 + i as u64).unwrap(),
            seed: Seed::random(),
            key_size: KeySize::Bits128,
            digits: Digits::EIGHT,
            interval: Interval::Seconds60,
            pin_mode: PinMode::from_flags(true, true),
            birth: time::macros::date!(2025 - 01 - 01),
            expires: time::macros::date!(2035 - 12 - 31),
            user: Some(AssignedUser::new(
                &format!("user{i:06}"),
                &format!("Given{i}"),
                &format!("Family{i}"),
            )),
            distributions: Default::default(),
        })
        .collect()
}

/// Seconds per file of `stoken issue` with a per-user password, or `None` without stoken.
fn stoken_loop() -> Option<Duration> {
    let available = Command::new("stoken")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .is_ok();
    if !available {
        println!("  stoken not installed: no comparison");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let clock = Instant::now();
    for i in 0..STOKEN_RUNS {
        let template = dir.path().join("template.sdtid");
        write_template(&template, i);
        let mut command = Command::new("stoken");
        command
            .arg("issue")
            .arg(format!("--template={}", template.display()))
            .arg(format!("--new-password=user{i:06}"))
            .env("HOME", dir.path());
        let output = run_with_timeout(command, STOKEN_TIMEOUT);
        assert!(!output.is_empty(), "stoken issue failed");
        std::fs::write(dir.path().join(format!("{i}.sdtid")), &output).unwrap();
    }
    let per_file = clock.elapsed() / STOKEN_RUNS as u32;
    println!(
        "  stoken issue loop: {STOKEN_RUNS} files in {:.2} s ({:.1} ms/file, {:.0} files/s)",
        (per_file * STOKEN_RUNS as u32).as_secs_f64(),
        per_file.as_secs_f64() * 1000.0,
        1.0 / per_file.as_secs_f64()
    );
    Some(per_file)
}

/// Runs `command` with closed stdin, killing it after `limit`; its stdout, or a panic when it
/// fails or hangs.
fn run_with_timeout(mut command: Command, limit: Duration) -> Vec<u8> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run stoken");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut bytes).map(|_| bytes)
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for stoken") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("stoken did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_micros(200));
    };
    assert!(status.success(), "stoken issue failed: {status}");
    reader.join().unwrap().expect("read stoken's output")
}

fn write_template(path: &Path, i: usize) {
    let text = format!(
        "<?xml version=\"1.0\"?>\n<TKNBatch><TKNHeader><Origin>N/A</Origin><Dest>N/A</Dest><Name>N/A</Name>\
         <DefDigits>8</DefDigits><DefInterval>60</DefInterval></TKNHeader>\
         <TKN><SN>{:012}</SN><UserLogin>user{i:06}</UserLogin><UserFirstName>Given{i}</UserFirstName>\
         <UserLastName>Family{i}</UserLastName><TokenAttributes>\
         <DeviceSerialNumber>a01c4380-fc01-4df0-b113-7fb98ec74694</DeviceSerialNumber><Nickname>Work</Nickname>\
         </TokenAttributes></TKN></TKNBatch>\n",
        100_000_000 + i
    );
    std::fs::write(path, text).unwrap();
}

/// Resets VmHWM to the current RSS (Linux 4.0+), so the peak reported is the job's.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// A `/proc/self/status` field in KiB (Linux; 0 elsewhere).
fn proc_status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let rest = line.strip_prefix(field)?.strip_prefix(':')?;
                rest.trim().trim_end_matches("kB").trim().parse().ok()
            })
        })
        .unwrap_or(0)
}

/// User + system CPU seconds of this process (Linux `/proc/self/stat`, USER_HZ = 100).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|value| value.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}
