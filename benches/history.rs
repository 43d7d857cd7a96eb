//! The job history at a large site, end to end through the real binary (issue 13):
//!
//! - a 1-token job on a large inventory, `jobs submit` to finished (wall time, peak RSS), on a
//!   fresh history and again after 1,000 jobs;
//! - history bytes per job for jobs of mixed sizes (1 token; 1,000 tokens; 10 tokens taken
//!   from the whole inventory with `--max-count 10`, every other token left out), at each
//!   inventory size: they must not depend on it;
//! - `jobs list`, `jobs list --json` and `jobs show` after 1,000 jobs (wall time, peak RSS).
//!   Goal: ≤ 50 ms and ≤ 32 MiB.
//!
//! Run: `cargo bench --bench history` (100,000 and 1,000,000 tokens; `HISTORY_BENCH_SIZES=100000`
//! chooses). The workspace uses the production key derivation, as a site's does, so `jobs
//! submit` includes one Argon2 derivation. The three real jobs' records are then repeated
//! under new ids and names to make 1,000 jobs. Each command runs as its own process under
//! `/usr/bin/time` (GNU time, for the peak RSS and CPU time; without it only wall times are
//! shown), five times, and the median is reported. `HISTORY_BENCH_KEEP=DIR` keeps the last
//! workspace in `DIR/ws` (passphrase in `DIR/passphrase`) to profile a command on it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokendist::secret::{SecretString, Seed};
use tokendist::token::{Digits, Interval, KeySize, PinMode, Serial};
use tokendist::workspace::{AssignedUser, InventoryToken, KdfParams, Workspace};

const PASSPHRASE: &str = "benchmark passphrase";
const FIRST: u64 = 100_000_000;
/// Tokens the small job takes from the whole inventory (`--max-count`); it leaves out the rest.
const TAKEN: u64 = 10;
const JOBS: usize = 1_000;
const RUNS: usize = 5;

fn main() {
    let sizes = std::env::var("HISTORY_BENCH_SIZES").unwrap_or_else(|_| "100000,1000000".into());
    let time_available = Path::new("/usr/bin/time").is_file();
    println!("history benchmark (load: {})", load());
    let mut per_job: Vec<(u64, Vec<usize>)> = Vec::new();
    for size in sizes.split(',') {
        let size: u64 = size.trim().parse().expect("a token count");
        per_job.push((size, run_size(size, time_available)));
    }
    if per_job.len() > 1 {
        let first = &per_job[0];
        for other in &per_job[1..] {
            println!(
                "history bytes per job, {} vs {} tokens: {:?} vs {:?} (difference {:?})",
                first.0,
                other.0,
                first.1,
                other.1,
                first
                    .1
                    .iter()
                    .zip(&other.1)
                    .map(|(a, b)| *b as i64 - *a as i64)
                    .collect::<Vec<_>>()
            );
        }
    }
}

/// One inventory size; returns the history bytes of the 1-token, 1,000-token and
/// 10-token (rest excluded) jobs.
fn run_size(size: u64, time_available: bool) -> Vec<usize> {
    let dir = tempfile::tempdir().unwrap();
    // HISTORY_BENCH_KEEP=DIR leaves the last workspace in DIR/ws for profiling (`perf record`).
    let kept = std::env::var_os("HISTORY_BENCH_KEEP").map(std::path::PathBuf::from);
    let base = kept.clone().unwrap_or_else(|| dir.path().to_owned());
    let root = base.join("ws");
    if kept.is_some() {
        let _ = std::fs::remove_dir_all(&root);
    }
    let started = Instant::now();
    let passphrase = SecretString::from(PASSPHRASE);
    let mut workspace =
        Workspace::init_with_kdf(&root, &passphrase, KdfParams::PRODUCTION).unwrap();
    workspace
        .update_inventory(|inventory| {
            inventory.insert_new(make_tokens(size));
            Ok(())
        })
        .unwrap();
    drop(workspace);
    let pass_file = base.join("passphrase");
    std::fs::write(&pass_file, PASSPHRASE).unwrap();
    std::fs::set_permissions(
        &pass_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let vault = std::fs::metadata(root.join("inventory.vault"))
        .unwrap()
        .len();
    println!(
        "{size} tokens: workspace built in {:.1} s (inventory file {:.0} MiB); load {}",
        started.elapsed().as_secs_f64(),
        vault as f64 / (1024.0 * 1024.0),
        load()
    );
    let cli = Cli {
        root: &root,
        passphrase: &pass_file,
        time_available,
    };

    let one = format!("{}", FIRST + size - 1);
    let one_token = submit_args("One token", &one, "none");
    let fresh = cli.measure(&one_token, 1);
    report("  1-token job (fresh history), jobs submit", &fresh);

    let thousand = format!("{}-{}", FIRST + 1_000, FIRST + 1_999);
    cli.measure(&submit_args("A thousand", &thousand, "none"), 1);
    let all = format!("{}-{}", FIRST, FIRST + size - 1);
    let mut ten_args = submit_args("Ten of all", &all, "user-id");
    ten_args.extend(strings(&["--max-count", &TAKEN.to_string()]));
    let ten = cli.measure(&ten_args, 1);
    report(
        "  10-token job, every other token excluded, jobs submit",
        &ten,
    );

    let history_path = root.join("jobs/history.jsonl");
    let text = std::fs::read_to_string(&history_path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "three jobs ran");
    let bytes: Vec<usize> = lines.iter().map(|line| line.len() + 1).collect();
    println!(
        "  history bytes per job: 1 token {}, 1,000 tokens {}, 10 tokens with {} excluded {}",
        bytes[0],
        bytes[1],
        size - TAKEN,
        bytes[2]
    );

    // 1,000 jobs: the three records again and again under new ids and names.
    let mut history = String::new();
    for index in 0..JOBS {
        let mut record: serde_json::Value = serde_json::from_str(lines[index % 3]).unwrap();
        record["id"] = format!(
            "20250101-{:02}{:02}{:02}-{:04x}",
            index / 3600,
            index / 60 % 60,
            index % 60,
            index
        )
        .into();
        record["name"] = format!("Job {index:04}").into();
        record["spec"]["name"] = format!("Job {index:04}").into();
        // Only the real jobs have staged outputs; the copies' outputs were deleted.
        if let Some(output) = record.get_mut("output") {
            output["deleted_at"] = "2025-06-01T00:00:00Z".into();
        }
        history.push_str(&record.to_string());
        history.push('\n');
    }
    history.push_str(&text);
    std::fs::write(&history_path, &history).unwrap();
    println!(
        "  history of {} jobs: {:.2} MiB",
        JOBS + 3,
        history.len() as f64 / (1024.0 * 1024.0)
    );

    report(
        "  jobs list",
        &cli.measure(&strings(&["jobs", "list"]), RUNS),
    );
    report(
        "  jobs list --json",
        &cli.measure(&strings(&["jobs", "list", "--json"]), RUNS),
    );
    report(
        "  jobs show",
        &cli.measure(&strings(&["jobs", "show", "Job 0500"]), RUNS),
    );
    let again = cli.measure(&submit_args("One token again", &one, "none"), 1);
    report("  1-token job after 1,000 jobs, jobs submit", &again);
    bytes
}

fn submit_args(name: &str, serials: &str, protection: &str) -> Vec<String> {
    strings(&[
        "jobs",
        "submit",
        "--profile",
        "Android",
        "--serials",
        serials,
        "--protection",
        protection,
        "--name",
        name,
        "--include-distributed",
        "--yes",
    ])
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

struct Cli<'a> {
    root: &'a Path,
    passphrase: &'a Path,
    time_available: bool,
}

/// Median wall time, with the peak RSS (KiB) and CPU seconds (user + system) when GNU time
/// is there: on a loaded machine the CPU time says more than the wall time.
struct Measured {
    wall: Duration,
    peak_kib: Option<u64>,
    cpu: Option<f64>,
}

impl Cli<'_> {
    fn measure(&self, args: &[String], runs: usize) -> Measured {
        let mut samples: Vec<Measured> = (0..runs).map(|_| self.once(args)).collect();
        samples.sort_by_key(|measured| measured.wall);
        samples.swap_remove(samples.len() / 2)
    }

    fn once(&self, args: &[String]) -> Measured {
        let binary = env!("CARGO_BIN_EXE_tokendist");
        let stats = tempfile::NamedTempFile::new().unwrap();
        let mut command = if self.time_available {
            let mut command = Command::new("/usr/bin/time");
            command
                .arg("-f")
                .arg("%M %U %S")
                .arg("-o")
                .arg(stats.path())
                .arg(binary);
            command
        } else {
            Command::new(binary)
        };
        command
            .arg("--workspace")
            .arg(self.root)
            .arg("--passphrase-file")
            .arg(self.passphrase)
            .args(args)
            .env_remove("TOKENDIST_HOME")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let output = command.output().unwrap();
        let wall = started.elapsed();
        assert!(
            output.status.success(),
            "tokendist {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stats = std::fs::read_to_string(stats.path()).unwrap_or_default();
        let fields: Vec<&str> = stats
            .trim()
            .lines()
            .last()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        let number = |index: usize| fields.get(index).and_then(|v| v.parse::<f64>().ok());
        Measured {
            wall,
            peak_kib: number(0).map(|kib| kib as u64),
            cpu: number(1).zip(number(2)).map(|(user, system)| user + system),
        }
    }
}

fn report(what: &str, measured: &Measured) {
    let peak = measured
        .peak_kib
        .map_or("peak RSS unknown".to_owned(), |kib| {
            format!("peak RSS {:.1} MiB", kib as f64 / 1024.0)
        });
    let cpu = measured
        .cpu
        .map_or(String::new(), |cpu| format!(", CPU {:.0} ms", cpu * 1000.0));
    println!(
        "{what}: {:.0} ms wall{cpu}, {peak}",
        measured.wall.as_secs_f64() * 1000.0
    );
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}

fn make_tokens(count: u64) -> Vec<InventoryToken> {
    (0..count)
        .map(|i| InventoryToken {
            serial: Serial::from_value(FIRST + i).unwrap(),
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
