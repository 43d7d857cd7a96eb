//! Progress of a running job as the UI shows it: done/total, rate and time left.

use std::time::Duration;

/// A snapshot sent by the engine at most every [`PROGRESS_INTERVAL`] and once at the end.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// Files written, verified and staged.
    pub done: usize,
    pub total: usize,
    pub elapsed: Duration,
}

/// How often the engine reports progress (the UI redraws on each report).
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

impl Progress {
    /// Files per second so far (0 until the first file is done).
    pub fn rate(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if self.done == 0 || seconds <= 0.0 {
            0.0
        } else {
            self.done as f64 / seconds
        }
    }

    /// Estimated time left at the rate so far; `None` until a rate is known.
    pub fn eta(&self) -> Option<Duration> {
        let rate = self.rate();
        (rate > 0.0)
            .then(|| Duration::from_secs_f64(self.total.saturating_sub(self.done) as f64 / rate))
    }

    /// Completed fraction in 0..=1 (for a gauge).
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.done as f64 / self.total as f64
        }
    }

    /// e.g. "1,200/10,000 (12%) · 3,400 files/s · 3 s left".
    pub fn describe(&self) -> String {
        let eta = match self.eta() {
            Some(eta) => format!(" · {} left", format_duration(eta)),
            None => String::new(),
        };
        format!(
            "{}/{} ({:.0}%) · {:.0} files/s{eta}",
            self.done,
            self.total,
            self.fraction() * 100.0,
            self.rate()
        )
    }
}

/// "42 s", "3 min 05 s", "1 h 02 min".
pub fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        0..=59 => format!("{seconds} s"),
        60..=3599 => format!("{} min {:02} s", seconds / 60, seconds % 60),
        _ => format!("{} h {:02} min", seconds / 3600, seconds % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_eta_follow_the_files_done() {
        let progress = Progress {
            done: 500,
            total: 2000,
            elapsed: Duration::from_secs(5),
        };
        assert_eq!(progress.rate(), 100.0);
        assert_eq!(progress.eta(), Some(Duration::from_secs(15)));
        assert_eq!(progress.fraction(), 0.25);
        assert_eq!(
            progress.describe(),
            "500/2000 (25%) · 100 files/s · 15 s left"
        );
        let start = Progress {
            done: 0,
            total: 10,
            elapsed: Duration::ZERO,
        };
        assert_eq!((start.rate(), start.eta()), (0.0, None));
        assert_eq!(format_duration(Duration::from_secs(3725)), "1 h 02 min");
        assert_eq!(format_duration(Duration::from_secs(65)), "1 min 05 s");
    }
}
