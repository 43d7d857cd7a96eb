//! Resident memory of the benchmark process, from `/proc/self/status` (Linux), shared by the
//! benches that report peaks.

/// Resets VmHWM to the current RSS (Linux 4.0+), so the next peak is the measured step's own.
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident set since the last [`reset_peak`], in MiB (NaN where unknown).
pub fn peak_mib() -> f64 {
    status_mib("VmHWM")
}

/// Current resident set, in MiB (NaN where unknown).
#[allow(dead_code)] // not every bench reports it
pub fn rss_mib() -> f64 {
    status_mib("VmRSS")
}

fn status_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let rest = line.strip_prefix(field)?.strip_prefix(':')?;
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}
