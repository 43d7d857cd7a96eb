//! Test support: a deterministic in-memory [`Backend`] with the job engine's rules, and (in
//! [`harness`]) a driver for the real update and effects that renders on a `TestBackend`.

mod harness;

pub use harness::Harness;

use crate::jobs::{Binding, JobField, JobSpec, Protection};
use crate::token::{Digits, Interval, KeySize, Serial};
use crate::tui::backend::*;
use crate::workspace::{Delivery, PinType, Profile};
use crossbeam_channel::{Sender, unbounded};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use time::macros::date;

fn profile(
    name: &str,
    delivery: Delivery,
    device: &str,
    class: &str,
    bits: u32,
    digits: u32,
) -> Profile {
    Profile {
        name: name.into(),
        description: String::new(),
        delivery,
        device_type: device.into(),
        device_class_id: class.into(),
        key_bits: KeySize::new(bits).unwrap(),
        digits: Digits::new(digits).unwrap(),
        interval: Interval::new(60).unwrap(),
        pin_type: PinType::Pinpad,
        copy_protection: true,
        site_specific: false,
    }
}

pub fn profiles() -> Vec<Profile> {
    let mut ios = profile(
        "ios-file",
        Delivery::File,
        "iOS",
        "b2b4c1e4-4f0a-4d3c-9a7e-2f1d0c6b5a49",
        128,
        8,
    );
    ios.site_specific = true;
    vec![
        profile(
            "android-file",
            Delivery::File,
            "Android",
            "a01c4380-fc01-4df0-b113-7fb98ec74694",
            128,
            8,
        ),
        ios,
        profile(
            "windows-ctkip",
            Delivery::CtKip,
            "Windows",
            "8f94b7d2-6a33-4a8e-b1de-3c5b0e3f2a11",
            128,
            6,
        ),
        profile(
            "legacy-64",
            Delivery::File,
            "Windows",
            "legacy-class",
            64,
            6,
        ),
    ]
}

/// 30 tokens: most assigned, a few unassigned, one expired, two distributed before.
pub fn tokens() -> Vec<TokenRow> {
    (0..30u64)
        .map(|i| {
            let assigned = i % 10 != 7;
            let expired = i == 12;
            TokenRow {
                serial: Serial::from_value(100_000_000 + i).unwrap(),
                login: assigned.then(|| format!("user{i:02}")),
                full_name: if assigned {
                    format!("Demo User{i:02}")
                } else {
                    String::new()
                },
                expires: if expired {
                    date!(2025 - 12 - 31)
                } else {
                    date!(2030 - 06 - 30)
                },
                expired,
                key_bits: 128,
                digits: 8,
                interval_secs: 60,
                distributed_count: usize::from(i == 3 || i == 4),
            }
        })
        .collect()
}

/// An in-memory backend following the job engine's rules.
pub struct FakeBackend {
    pub profiles: Vec<Profile>,
    pub tokens: Vec<TokenRow>,
    pub jobs: Vec<JobRow>,
    /// Paths that "exist" on disk.
    pub existing: HashSet<PathBuf>,
    /// The running job's event sender; tests push progress through it.
    pub job_events: Option<Sender<JobEvent>>,
    pub started: Vec<JobSpec>,
    /// Answer previews and filters later, as the real backend's worker does: answers wait in
    /// `pending` until a test delivers them (in any order).
    pub defer_answers: bool,
    pub pending: Vec<Answer>,
}

impl Default for FakeBackend {
    fn default() -> Self {
        Self {
            profiles: profiles(),
            tokens: tokens(),
            jobs: vec![job_row("j-0001", "Pilot batch", JobStatus::Completed, 12)],
            existing: HashSet::new(),
            job_events: None,
            started: Vec::new(),
            defer_answers: false,
            pending: Vec::new(),
        }
    }
}

pub fn job_row(id: &str, name: &str, status: JobStatus, tokens: usize) -> JobRow {
    JobRow {
        id: id.into(),
        name: name.into(),
        profile: "android-file".into(),
        status,
        token_count: tokens,
        created_at: "2026-11-28 09:15".into(),
        finished_at: (status != JobStatus::Running).then(|| "2026-11-28 09:16".into()),
        error: (status == JobStatus::Failed).then(|| "disk full while staging 000100000004".into()),
        output_size: (status == JobStatus::Completed).then_some(48_213),
        output_sha256: (status == JobStatus::Completed).then(|| "9f2c".repeat(16)),
        output_available: status == JobStatus::Completed,
        downloads: Vec::new(),
        protection: "password".into(),
        binding: "device class".into(),
    }
}

fn glob_matches(glob: &str, text: &str) -> bool {
    globset::Glob::new(glob)
        .map(|g| g.compile_matcher().is_match(text))
        .unwrap_or(false)
}

/// The fake engine's selection: tokens in, tokens out with reasons.
#[derive(Default)]
struct Selected {
    selected: Vec<TokenRow>,
    excluded: Vec<Exclusion>,
}

impl FakeBackend {
    fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// Every rule, for every field (the engine's `validate` narrows it to a step).
    /// While validating a step the wizard learns whether a token is left from the count, as
    /// with the real backend; the review still checks it.
    fn all_issues(&self, spec: &JobSpec, validating: bool) -> Vec<FieldIssue> {
        let mut issues = Vec::new();
        let name = spec.name.trim();
        if name.is_empty() {
            issues.push(FieldIssue::new(JobField::Name, "job name is empty"));
        } else if name.chars().count() > 128 {
            issues.push(FieldIssue::new(
                JobField::Name,
                "job name is longer than 128 characters",
            ));
        } else if name.chars().any(char::is_control) {
            issues.push(FieldIssue::new(
                JobField::Name,
                "job name contains a control character",
            ));
        } else if self
            .jobs
            .iter()
            .any(|j| j.name.to_lowercase() == name.to_lowercase())
        {
            issues.push(FieldIssue::new(
                JobField::Name,
                format!("a job named {name:?} already exists"),
            ));
        }
        let Some(profile) = self.profile(&spec.profile) else {
            issues.push(FieldIssue::new(
                JobField::Profile,
                format!("no profile named {:?}", spec.profile),
            ));
            return issues;
        };
        if let Binding::Device(id) = &spec.binding {
            if id.trim() != id {
                issues.push(FieldIssue::new(
                    JobField::DeviceId,
                    "device id has spaces at its start or end",
                ));
            } else if id.chars().count() > 64 {
                issues.push(FieldIssue::new(
                    JobField::DeviceId,
                    "device id is longer than 64 characters",
                ));
            }
        }
        if spec.protection.needs_password() {
            let max = profile.key_bits.max_password_chars();
            let password = spec.password.as_ref().map(|p| p.char_len()).unwrap_or(0);
            if password == 0 {
                issues.push(FieldIssue::new(JobField::Password, "password is empty"));
            } else if password > max {
                issues.push(FieldIssue::new(
                    JobField::Password,
                    format!("password is {password} characters; this {}-bit profile allows at most {max}", profile.key_bits.bits()),
                ));
            }
            if spec
                .password
                .as_ref()
                .is_some_and(|p| p.expose().chars().any(|c| !(' '..='~').contains(&c)))
            {
                issues.push(FieldIssue::new(
                    JobField::Password,
                    "password must be printable ASCII (users type it on phones)",
                ));
            }
        }
        if profile.is_distributable() && !validating && self.selection(spec).selected.is_empty() {
            issues.push(FieldIssue::new(
                JobField::Selection,
                "no token is left to distribute with this selection",
            ));
        }
        issues
    }

    /// (selected, excluded) for the spec, like the engine's selection.
    fn selection(&self, spec: &JobSpec) -> Selected {
        let Some(profile) = self.profile(&spec.profile) else {
            return Selected::default();
        };
        let criteria = &spec.selection;
        let mut preview = Selected::default();
        for token in &self.tokens {
            let in_range = criteria.serial_ranges.is_empty()
                || criteria
                    .serial_ranges
                    .iter()
                    .any(|r| r.contains(&token.serial));
            let user_ok = match (&criteria.user_glob, &token.login) {
                (None, _) => true,
                (Some(glob), Some(login)) => glob_matches(glob, login),
                (Some(_), None) => false,
            };
            if !in_range || !user_ok {
                continue;
            }
            let reason = if token.login.is_none() {
                Some("not assigned to a user".to_owned())
            } else if token.expired {
                Some(format!("expired on {}", token.expires))
            } else if token.key_bits != profile.key_bits.bits() {
                Some(format!(
                    "{}-bit key, the profile needs {}-bit",
                    token.key_bits,
                    profile.key_bits.bits()
                ))
            } else if token.distributed_count > 0 && !criteria.include_distributed {
                Some(
                    "distributed before (include tokens distributed before to send it again)"
                        .to_owned(),
                )
            } else if spec.protection == Protection::UserId
                && token
                    .login
                    .as_ref()
                    .is_some_and(|l| l.chars().count() > profile.key_bits.max_password_chars())
            {
                Some("login longer than the profile's password limit".to_owned())
            } else {
                None
            };
            match reason {
                Some(reason) => preview.excluded.push(Exclusion {
                    serial: token.serial.clone(),
                    reason,
                }),
                None => preview.selected.push(token.clone()),
            }
        }
        preview
    }
}

impl FakeBackend {
    /// Now, or later when answers are deferred.
    fn answer(&mut self, answer: Answer) -> Option<Answer> {
        if self.defer_answers {
            self.pending.push(answer);
            None
        } else {
            Some(answer)
        }
    }
}

impl Backend for FakeBackend {
    fn profiles(&self) -> Vec<Profile> {
        self.profiles.clone()
    }

    fn tokens(&self) -> TokenInventory {
        TokenInventory {
            rows: self.tokens.clone().into(),
            assigned: self.tokens.iter().filter(|t| t.login.is_some()).count(),
        }
    }

    fn default_job_name(&self) -> String {
        format!("Distribution 2026-11-29 14:{:02}", 30 + self.started.len())
    }

    fn validate(&self, spec: &JobSpec, fields: &[JobField]) -> Vec<FieldIssue> {
        let mut issues = self.all_issues(spec, true);
        issues.retain(|issue| fields.contains(&issue.field));
        issues
    }

    fn preview(&mut self, spec: &JobSpec, generation: u64) -> Option<Answer> {
        let result = match &spec.selection.user_glob {
            Some(glob) if globset::Glob::new(glob).is_err() => Err(format!(
                "token selection: user filter {glob:?} is not a valid pattern"
            )),
            _ => {
                let selection = self.selection(spec);
                let mut groups: Vec<(String, usize)> = Vec::new();
                for exclusion in &selection.excluded {
                    match groups.iter_mut().find(|(r, _)| *r == exclusion.reason) {
                        Some((_, n)) => *n += 1,
                        None => groups.push((exclusion.reason.clone(), 1)),
                    }
                }
                Ok(SelectionPreview {
                    selected_count: selection.selected.len(),
                    excluded_count: selection.excluded.len(),
                    selected: selection.selected.into(),
                    excluded_groups: groups,
                })
            }
        };
        self.answer(Answer::Previewed { generation, result })
    }

    fn filter_tokens(&mut self, needle: &str, generation: u64) -> Option<Answer> {
        let needle = needle.trim().to_lowercase();
        let rows: Vec<TokenRow> = self
            .tokens
            .iter()
            .filter(|row| {
                row.serial.as_str().contains(&needle)
                    || row
                        .login
                        .as_deref()
                        .is_some_and(|l| l.to_lowercase().contains(&needle))
                    || row.full_name.to_lowercase().contains(&needle)
            })
            .cloned()
            .collect();
        self.answer(Answer::Filtered {
            generation,
            rows: rows.into(),
        })
    }

    fn review(&self, spec: &JobSpec) -> Result<ReviewSummary, Vec<FieldIssue>> {
        let issues = self.all_issues(spec, false);
        if !issues.is_empty() {
            return Err(issues);
        }
        let preview = self.selection(spec);
        let redistributed: Vec<Serial> = preview
            .selected
            .iter()
            .filter(|t| t.distributed_count > 0)
            .map(|t| t.serial.clone())
            .collect();
        let binding = match &spec.binding {
            Binding::DeviceClass => "device class of the profile".to_owned(),
            Binding::Device(id) => format!("device {id}"),
        };
        let ranges = if spec.selection.serial_ranges.is_empty() {
            "all serials".to_owned()
        } else {
            spec.selection
                .serial_ranges
                .iter()
                .map(|r| format!("{}-{}", r.from, r.to))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Ok(ReviewSummary {
            choices: vec![
                ("Job name".into(), spec.name.clone()),
                ("Profile".into(), spec.profile.clone()),
                ("DeviceSerialNumber".into(), binding),
                ("Nickname".into(), spec.nickname.clone().unwrap_or_else(|| "(none)".into())),
                ("Protection".into(), spec.protection.describe().into()),
                (
                    "Password".into(),
                    if spec.protection.needs_password() { "set (not shown)".into() } else { "not needed".into() },
                ),
                ("Serials".into(), ranges),
                ("Users".into(), spec.selection.user_glob.clone().unwrap_or_else(|| "all".into())),
            ],
            selected_count: preview.selected.len(),
            excluded: preview.excluded,
            warnings: (!redistributed.is_empty())
                .then(|| {
                    format!(
                        "{} tokens were distributed before: their current users may no longer be able to authenticate until they import the new file.",
                        redistributed.len()
                    )
                })
                .into_iter()
                .collect(),
            redistributed,
        })
    }

    fn start_job(&mut self, spec: JobSpec) -> Result<JobHandle, String> {
        let total = self.selection(&spec).selected.len() as u64;
        let id = format!("j-{:04}", self.jobs.len() + 1);
        let mut row = job_row(&id, &spec.name, JobStatus::Running, total as usize);
        row.profile = spec.profile.clone();
        self.jobs.insert(0, row);
        self.started.push(spec.clone());
        let (sender, events) = unbounded();
        self.job_events = Some(sender.clone());
        Ok(JobHandle {
            id,
            name: spec.name,
            total,
            events,
            // Like the engine: a cancelled job reports its end.
            cancel: {
                let sender = sender.clone();
                CancelHandle::with_hook(move || {
                    let _ = sender.send(JobEvent::Finished(JobOutcome::Cancelled));
                })
            },
        })
    }

    fn finish_job(&mut self, reported: JobOutcome) -> JobOutcome {
        let status = match &reported {
            JobOutcome::Completed { .. } => JobStatus::Completed,
            JobOutcome::Failed(_) => JobStatus::Failed,
            JobOutcome::Cancelled => JobStatus::Cancelled,
        };
        if let Some(row) = self.jobs.first_mut() {
            row.status = status;
            row.finished_at = Some("2026-11-29 14:35".into());
            row.output_available = status == JobStatus::Completed;
            row.output_size = (status == JobStatus::Completed).then_some(48_213);
            row.output_sha256 = (status == JobStatus::Completed).then(|| "9f2c".repeat(16));
        }
        self.job_events = None;
        reported
    }

    fn jobs(&self) -> Result<Vec<JobRow>, String> {
        Ok(self.jobs.clone())
    }

    fn default_download_path(&self, job: &JobRow) -> PathBuf {
        PathBuf::from(format!("./{}.zip", job.name.replace(' ', "_")))
    }

    fn download(
        &mut self,
        job_id: &str,
        path: &Path,
        overwrite: bool,
    ) -> Result<DownloadReport, DownloadError> {
        if self.existing.contains(path) && !overwrite {
            return Err(DownloadError::Exists(path.to_owned()));
        }
        let job = self
            .jobs
            .iter_mut()
            .find(|j| j.id == job_id)
            .ok_or(DownloadError::Failed("no such job".into()))?;
        job.downloads
            .push(("2026-11-29 14:40".into(), path.display().to_string()));
        self.existing.insert(path.to_owned());
        Ok(DownloadReport {
            path: path.to_owned(),
            bytes: 48_213,
            sha256: "9f2c".repeat(16),
        })
    }

    fn delete_output(&mut self, job_id: &str) -> Result<(), String> {
        let job = self
            .jobs
            .iter_mut()
            .find(|j| j.id == job_id)
            .ok_or("no such job")?;
        job.output_available = false;
        Ok(())
    }
}
