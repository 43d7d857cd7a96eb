//! Test support: a deterministic in-memory [`Backend`] with the job engine's rules, and (in
//! [`harness`]) a driver for the real update and effects that renders on a `TestBackend`.

mod harness;

pub use harness::{Harness, buffer_text};

use crate::jobs::History;
use crate::jobs::index::InventoryIndex;
use crate::jobs::{Binding, JobField, JobSpec, Protection};
use crate::token::{Digits, Interval, KeySize, Serial};
use crate::tui::admin::port::{AdminAnswer, AdminTask, DirectoryInfo, TaskKind, UsersFrom};
use crate::tui::admin::tasks;
use crate::tui::backend::*;
use crate::workspace::{Config, InventoryToken};
use crate::workspace::{Delivery, PinType, Profile};
use crossbeam_channel::{Sender, unbounded};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::{date, datetime};

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
    /// Directories that "exist" (downloads resolve against them; the current one is /home/admin).
    pub dirs: HashSet<PathBuf>,
    /// The running job's event sender; tests push progress through it.
    pub job_events: Option<Sender<JobEvent>>,
    pub started: Vec<JobSpec>,
    /// Answer previews and filters later, as the real backend's worker does: answers wait in
    /// `pending` until a test delivers them (in any order).
    pub defer_answers: bool,
    pub pending: Vec<Answer>,
    /// Set by [`FakeBackend::demo`]: the real engine over the demo workspace's data.
    pub demo: Option<DemoData>,
    /// The `[directory]` table the Workspace screen is shown.
    pub directory: Option<DirectoryInfo>,
    /// What a directory search returns (the LDAP round trip itself is tested against a real
    /// slapd in the integration tests).
    pub directory_users: Vec<crate::workspace::auto_assign::Candidate>,
    /// The demo workspace's passphrase now (a tool may change it).
    pub passphrase: String,
    /// Every workspace tool task started, by kind.
    pub admin_tasks: Vec<TaskKind>,
    /// Recording a job's end fails with this error (the run's files stay staged).
    pub record_failure: Option<String>,
    /// The end recorded last, applied to the job list when the UI takes it up.
    pub recorded: Option<JobOutcome>,
    /// How often the UI took up a recording ([`Backend::job_recorded`]).
    pub taken_up: usize,
    /// Answer a recording on this channel (as the real backend's worker does, for the
    /// runtime's loop); other answers come as `defer_answers` says.
    pub recording_channel: Option<(Sender<Answer>, crossbeam_channel::Receiver<Answer>)>,
    /// How often the UI asked the download under way to stop.
    pub download_cancels: usize,
    /// The inventory is being indexed (as the real backend's worker does at start and after
    /// a tool changed it): the browser gets no rows until a test clears this and delivers
    /// [`Answer::Indexed`].
    pub indexing: bool,
    /// Start jobs as the real backend's worker does: the start is held here until a test
    /// delivers [`Msg::StartDone`](crate::tui::msg::Msg::StartDone)
    /// ([`Harness::deliver_start`](super::fake::Harness::deliver_start)).
    pub hold_start: bool,
    pub held_start: Option<Result<JobHandle, String>>,
    /// Starting a job fails with this error.
    pub start_failure: Option<String>,
}

/// The demo workspace (`tokendist --demo`) made at a fixed time, run through the real job
/// engine: the user guide's captures show exactly what a newcomer sees with `--demo`.
pub struct DemoData {
    pub config: Config,
    pub inventory: Vec<InventoryToken>,
    pub index: Arc<InventoryIndex>,
    pub history: History,
    pub now: OffsetDateTime,
    /// The demo workspace itself (its history and staged pilot output), removed on drop.
    _dir: tempfile::TempDir,
}

/// Where `tokendist --demo` puts its temporary workspace (one run's name).
pub const DEMO_PATH: &str = "/tmp/tokendist-demo-4kQ2xZ";

impl FakeBackend {
    /// The demo workspace as `--demo` creates it (with its "Pilot rollout" job), on
    /// 2026-11-30 at 14:30 UTC.
    pub fn demo() -> Self {
        let now = datetime!(2026-11-30 14:30 UTC);
        let dir = tempfile::tempdir().expect("a temporary directory");
        let workspace = crate::workspace::demo::create_demo_at(
            dir.path(),
            crate::workspace::KdfParams::INSECURE_FOR_TESTS,
            now,
        )
        .expect("the demo workspace");
        let config = workspace.config().clone();
        let inventory: Vec<InventoryToken> = workspace.inventory().iter().cloned().collect();
        let index = Arc::new(InventoryIndex::build(inventory.iter()));
        let tokens = Rows::new(crate::tui::counter::IndexRows {
            index: Arc::clone(&index),
            positions: None,
            today: now.date(),
        });
        let history = History::open(&workspace).expect("the demo history");
        let jobs = history
            .records()
            .iter()
            .rev()
            .map(crate::tui::adapter::job_row)
            .collect();
        Self {
            profiles: config.profiles.clone(),
            tokens: tokens.window(0, tokens.len()),
            jobs,
            demo: Some(DemoData {
                config,
                inventory,
                index,
                history,
                now,
                _dir: dir,
            }),
            ..Self::default()
        }
    }

    /// The demo workspace's directory (`demo` only).
    pub fn demo_dir(&self) -> &Path {
        self.demo.as_ref().expect("a demo backend")._dir.path()
    }

    /// The demo's clock: a minute later for every job started, like real time passing.
    fn demo_now(&self) -> Option<OffsetDateTime> {
        let demo = self.demo.as_ref()?;
        Some(demo.now + time::Duration::minutes(1 + self.started.len() as i64))
    }
}

impl Default for FakeBackend {
    fn default() -> Self {
        Self {
            profiles: profiles(),
            tokens: tokens(),
            jobs: vec![job_row("j-0001", "Pilot batch", JobStatus::Completed, 12)],
            existing: HashSet::new(),
            dirs: [
                "/",
                "/home",
                "/home/admin",
                "/srv",
                "/srv/work",
                "/tmp",
                "/tmp/out",
            ]
            .into_iter()
            .map(PathBuf::from)
            .collect(),
            job_events: None,
            started: Vec::new(),
            defer_answers: false,
            pending: Vec::new(),
            demo: None,
            directory: None,
            directory_users: Vec::new(),
            passphrase: crate::workspace::demo::DEMO_PASSPHRASE.into(),
            admin_tasks: Vec::new(),
            record_failure: None,
            recorded: None,
            taken_up: 0,
            recording_channel: None,
            hold_start: false,
            held_start: None,
            start_failure: None,
            download_cancels: 0,
            indexing: false,
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
        nickname: Some("Corp VPN".into()),
        serials: "000100000000-000100000029".into(),
        users: None,
        done_count: if status == JobStatus::Completed {
            tokens
        } else {
            tokens / 2
        },
        excluded: vec![("not assigned to a user".into(), 3)],
        started_at: Some("2026-11-28 09:15".into()),
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
    /// (reason, token) like the engine's exclusion groups.
    excluded: Vec<(String, Exclusion)>,
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
                Some(("not assigned to a user".to_owned(), String::new()))
            } else if token.expired {
                Some((
                    "expired".to_owned(),
                    format!("expired on {}", token.expires),
                ))
            } else if token.key_bits != profile.key_bits.bits() {
                Some((
                    "key size differs from the profile".to_owned(),
                    format!(
                        "{}-bit key, the profile needs {}-bit",
                        token.key_bits,
                        profile.key_bits.bits()
                    ),
                ))
            } else if token.distributed_count > 0 && !criteria.include_distributed {
                Some((
                    "distributed before (include tokens distributed before to send it again)"
                        .to_owned(),
                    String::new(),
                ))
            } else if spec.protection == Protection::UserId
                && token
                    .login
                    .as_ref()
                    .is_some_and(|l| l.chars().count() > profile.key_bits.max_password_chars())
            {
                Some((
                    "login longer than the profile's password limit".to_owned(),
                    String::new(),
                ))
            } else {
                None
            };
            match reason {
                Some((reason, detail)) => preview.excluded.push((
                    reason,
                    Exclusion {
                        serial: token.serial.clone(),
                        login: token.login.clone(),
                        detail,
                    },
                )),
                None => preview.selected.push(token.clone()),
            }
        }
        preview
    }
}

impl FakeBackend {
    /// The download itself, at once (answered now or later, as `defer_answers` says).
    fn download_now(
        &mut self,
        job_id: &str,
        path: &Path,
        overwrite: bool,
    ) -> Result<DownloadReport, DownloadError> {
        let name = self
            .jobs
            .iter()
            .find(|j| j.id == job_id)
            .map(|j| j.name.clone())
            .unwrap_or_default();
        let file_name = format!("{}.zip", crate::jobs::file_name_safe(&name));
        let path = crate::tui::download_path::target(&path.display().to_string(), &file_name, self)
            .map_err(DownloadError::Failed)?;
        let path = path.as_path();
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

impl FakeBackend {
    fn review_now(&self, spec: &JobSpec) -> Result<ReviewSummary, Vec<FieldIssue>> {
        if let Some(demo) = &self.demo {
            return demo_prepare(demo, spec)
                .map(|review| crate::tui::adapter::review_summary(&review));
        }
        let issues = self.all_issues(spec, false);
        if !issues.is_empty() {
            return Err(issues);
        }
        let preview = self.selection(spec);
        let redistributed: Vec<Redistributed> = preview
            .selected
            .iter()
            .filter(|t| t.distributed_count > 0)
            .map(|t| Redistributed {
                serial: t.serial.clone(),
                login: t.login.clone().unwrap_or_default(),
                times: t.distributed_count,
                last_job: "Pilot batch".into(),
                last_at: "2026-10-20".into(),
            })
            .collect();
        let mut exclusions: Vec<ExclusionGroup> = Vec::new();
        for (reason, token) in preview.excluded {
            match exclusions.iter_mut().find(|g| g.reason == reason) {
                Some(group) => {
                    group.count += 1;
                    if group.tokens.len() < REVIEW_LISTED {
                        group.tokens.push(token);
                    }
                }
                None => exclusions.push(ExclusionGroup {
                    reason,
                    count: 1,
                    tokens: vec![token],
                }),
            }
        }
        let mut warnings: Vec<String> = (!redistributed.is_empty())
            .then(|| {
                format!(
                    "{} tokens were distributed before: their current users may no longer be able to authenticate until they import the new file.",
                    redistributed.len()
                )
            })
            .into_iter()
            .collect();
        if spec.protection == Protection::None {
            warnings.push(
                "the files have no password: anyone who obtains a file can import its token".into(),
            );
        }
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
                (
                    "Nickname".into(),
                    spec.nickname.clone().unwrap_or_else(|| "(none)".into()),
                ),
                ("Protection".into(), spec.protection.describe().into()),
                (
                    "Password".into(),
                    if spec.protection.needs_password() {
                        "set (not shown)".into()
                    } else {
                        "not needed".into()
                    },
                ),
                ("Serials".into(), ranges),
                (
                    "Users".into(),
                    spec.selection
                        .user_glob
                        .clone()
                        .unwrap_or_else(|| "all".into()),
                ),
            ],
            selected_count: preview.selected.len(),
            exclusions,
            warnings,
            redistributed_count: redistributed.len(),
            redistributed: redistributed.into_iter().take(REVIEW_LISTED).collect(),
        })
    }

    fn start_now(&mut self, spec: JobSpec) -> Result<JobHandle, String> {
        let (total, excluded): (u64, Vec<(String, usize)>) = match &self.demo {
            Some(demo) => {
                let review = demo_prepare(demo, &spec).map_err(|_| "rejected".to_owned())?;
                (
                    review.token_count as u64,
                    review
                        .exclusions
                        .iter()
                        .map(|g| (g.reason.to_owned(), g.tokens.len()))
                        .collect(),
                )
            }
            None => {
                let selection = self.selection(&spec);
                let mut excluded: Vec<(String, usize)> = Vec::new();
                for (reason, _) in &selection.excluded {
                    match excluded.iter_mut().find(|(r, _)| r == reason) {
                        Some((_, n)) => *n += 1,
                        None => excluded.push((reason.clone(), 1)),
                    }
                }
                (selection.selected.len() as u64, excluded)
            }
        };
        let id = format!("j-{:04}", self.jobs.len() + 1);
        let mut row = job_row(&id, &spec.name, JobStatus::Running, total as usize);
        row.profile = spec.profile.clone();
        row.protection = spec.protection.describe().into();
        row.nickname = spec.nickname.clone();
        row.serials = if spec.selection.serial_ranges.is_empty() {
            "all".into()
        } else {
            spec.selection
                .serial_ranges
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        row.users = spec.selection.user_glob.clone();
        row.excluded = excluded;
        row.done_count = 0;
        if let Some(now) = self.demo_now() {
            row.created_at = crate::jobs::minute_text(now);
            row.started_at = Some(row.created_at.clone());
        }
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
}

impl Backend for FakeBackend {
    fn profiles(&self) -> Vec<Profile> {
        self.profiles.clone()
    }

    fn workspace_info(&self) -> WorkspaceInfo {
        WorkspaceInfo {
            path: if self.demo.is_some() {
                DEMO_PATH.into()
            } else {
                "/srv/tokendist".into()
            },
            demo: self.demo.is_some(),
            tokens: self.tokens.len(),
            assigned: self.tokens.iter().filter(|t| t.login.is_some()).count(),
        }
    }

    fn tokens(&self) -> Option<TokenInventory> {
        if self.indexing {
            return None;
        }
        Some(TokenInventory {
            rows: self.tokens.clone().into(),
            assigned: self.tokens.iter().filter(|t| t.login.is_some()).count(),
        })
    }

    fn default_job_name(&self) -> String {
        if let Some(now) = self.demo_now() {
            return crate::jobs::default_job_name(now, self.jobs.iter().map(|j| j.name.as_str()));
        }
        format!("Distribution 2026-11-29 14:{:02}", 30 + self.started.len())
    }

    fn validate(&self, spec: &JobSpec, fields: &[JobField]) -> Vec<FieldIssue> {
        if let Some(demo) = &self.demo {
            return demo_validate(
                demo,
                self.jobs.iter().map(|j| j.name.as_str()),
                spec,
                fields,
            );
        }
        let mut issues = self.all_issues(spec, true);
        issues.retain(|issue| fields.contains(&issue.field));
        issues
    }

    fn preview(&mut self, spec: &JobSpec, generation: u64) -> Option<Answer> {
        if let Some(demo) = &self.demo {
            let result = demo_preview(demo, spec);
            return self.answer(Answer::Previewed { generation, result });
        }
        let result = match &spec.selection.user_glob {
            Some(glob) if globset::Glob::new(glob).is_err() => Err(format!(
                "token selection: user filter {glob:?} is not a valid pattern"
            )),
            _ => {
                let selection = self.selection(spec);
                let mut groups: Vec<(String, usize)> = Vec::new();
                for (reason, _) in &selection.excluded {
                    match groups.iter_mut().find(|(r, _)| r == reason) {
                        Some((_, n)) => *n += 1,
                        None => groups.push((reason.clone(), 1)),
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
        if let Some(demo) = &self.demo {
            let rows = Rows::new(crate::tui::counter::IndexRows {
                positions: Some(demo.index.filter(needle)),
                index: Arc::clone(&demo.index),
                today: demo.now.date(),
            });
            return self.answer(Answer::Filtered { generation, rows });
        }
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

    fn answers(&self) -> crossbeam_channel::Receiver<Answer> {
        match &self.recording_channel {
            Some((_, answers)) => answers.clone(),
            None => crossbeam_channel::never(),
        }
    }

    fn review(&mut self, spec: &JobSpec, generation: u64) -> Option<Answer> {
        let result = self.review_now(spec);
        self.answer(Answer::Reviewed { generation, result })
    }

    fn start_job(&mut self, spec: JobSpec) -> Option<Result<JobHandle, String>> {
        let started = match self.start_failure.clone() {
            Some(error) => Err(error),
            None => self.start_now(spec),
        };
        if self.hold_start {
            self.held_start = Some(started);
            return None;
        }
        Some(started)
    }

    fn take_started_job(&mut self) -> Option<Result<JobHandle, String>> {
        self.held_start.take()
    }

    fn record_job_end(&mut self, reported: JobOutcome) -> Option<Answer> {
        self.job_events = None;
        // As the real recording does: a run reported completed can still fail to be recorded.
        let outcome = match self.record_failure.clone() {
            Some(error) => crate::tui::recorder::recorded_outcome(
                Err(crate::jobs::JobError::Invalid(error)),
                &reported,
            ),
            None => reported,
        };
        self.recorded = Some(outcome.clone());
        if let Some((outbox, _)) = &self.recording_channel {
            let _ = outbox.send(Answer::Recorded(outcome));
            return None;
        }
        self.answer(Answer::Recorded(outcome))
    }

    fn job_recorded(&mut self) -> WorkspaceInfo {
        self.taken_up += 1;
        if let Some(outcome) = self.recorded.take() {
            let status = match &outcome {
                JobOutcome::Completed { .. } => JobStatus::Completed,
                JobOutcome::Failed(_) => JobStatus::Failed,
                JobOutcome::Cancelled => JobStatus::Cancelled,
            };
            let demo_now = self.demo_now();
            if let Some(row) = self.jobs.first_mut() {
                row.status = status;
                row.finished_at = Some(match demo_now {
                    Some(now) => crate::jobs::minute_text(now),
                    None => "2026-11-29 14:35".into(),
                });
                if let JobOutcome::Completed { tokens } = &outcome {
                    row.done_count = *tokens;
                }
                row.output_available = status == JobStatus::Completed;
                row.output_size = (status == JobStatus::Completed).then_some(48_213);
                row.output_sha256 = (status == JobStatus::Completed).then(|| "9f2c".repeat(16));
                if let JobOutcome::Failed(error) = &outcome {
                    row.error = Some(error.clone());
                }
            }
        }
        self.workspace_info()
    }

    fn jobs(&self) -> Result<Vec<JobRow>, String> {
        Ok(self.jobs.clone())
    }

    fn default_download_path(&self, job: &JobRow) -> PathBuf {
        // As the adapter does: the configured template, made absolute.
        let configured = crate::jobs::default_output_path("./{job}.zip", &job.name);
        crate::tui::download_path::absolute(&configured.display().to_string(), self)
            .unwrap_or(configured)
    }

    fn download(&mut self, job_id: &str, path: &Path, overwrite: bool) -> Option<Answer> {
        let result = self.download_now(job_id, path, overwrite);
        self.answer(Answer::Downloaded {
            job_id: job_id.to_owned(),
            result,
        })
    }

    /// As the real worker does when cancelled: a download not answered yet ends cancelled,
    /// leaving nothing at its target and no download recorded.
    fn cancel_download(&mut self) {
        self.download_cancels += 1;
        for answer in &mut self.pending {
            if let Answer::Downloaded { job_id, result } = answer
                && let Ok(saved) = result
            {
                let path = saved.path.clone();
                self.existing.remove(&path);
                if let Some(job) = self.jobs.iter_mut().find(|j| &j.id == job_id) {
                    job.downloads
                        .retain(|(_, p)| *p != path.display().to_string());
                }
                *result = Err(DownloadError::Cancelled(path));
            }
        }
        // Answered on the channel when there is one, as the real worker does.
        if let Some((outbox, _)) = &self.recording_channel {
            let (ended, kept): (Vec<Answer>, Vec<Answer>) = std::mem::take(&mut self.pending)
                .into_iter()
                .partition(|a| matches!(a, Answer::Downloaded { .. }));
            self.pending = kept;
            for answer in ended {
                let _ = outbox.send(answer);
            }
        }
    }

    fn delete_output(&mut self, job_id: &str, job_name: &str) -> Option<Answer> {
        let result = match self.jobs.iter_mut().find(|j| j.id == job_id) {
            Some(job) => {
                job.output_available = false;
                Ok(())
            }
            None => Err("no such job".to_owned()),
        };
        self.answer(Answer::Deleted {
            job_name: job_name.to_owned(),
            result,
        })
    }

    fn directory(&self) -> Option<DirectoryInfo> {
        self.directory.clone()
    }

    /// On the demo workspace itself (opened for the task, as the real worker holds it), with
    /// the library code the real worker runs; a directory search returns `directory_users`.
    fn start_admin(&mut self, task: AdminTask) -> Option<Answer> {
        let kind = task.kind();
        self.admin_tasks.push(kind);
        let Some(demo) = self.demo.as_mut() else {
            return self.answer(Answer::Admin(AdminAnswer::refused(
                kind,
                "the test backend runs workspace tools on the demo workspace only",
            )));
        };
        let passphrase = crate::secret::SecretString::from(self.passphrase.as_str());
        let mut workspace = crate::workspace::Workspace::open(demo._dir.path(), &passphrase)
            .expect("the demo workspace opens");
        let today = demo.now.date();
        let new_passphrase = match &task {
            AdminTask::ChangePassphrase { new, .. } => Some(new.expose().to_owned()),
            _ => None,
        };
        let answer = match task {
            AdminTask::PlanAssignment {
                users: UsersFrom::Directory { .. },
                key_size,
            } => AdminAnswer::AssignmentPlanned(tasks::plan_assignment(
                &workspace,
                tasks::ReadUsers {
                    source: crate::workspace::auto_assign::UserSource::Directory {
                        url: self
                            .directory
                            .as_ref()
                            .map(|d| d.url.clone())
                            .unwrap_or_default(),
                        base_dn: self
                            .directory
                            .as_ref()
                            .map(|d| d.base_dn.clone())
                            .unwrap_or_default(),
                        filter: self
                            .directory
                            .as_ref()
                            .map(|d| d.filter.clone())
                            .unwrap_or_default(),
                        entries: self.directory_users.len(),
                    },
                    candidates: self.directory_users.clone(),
                    skipped: Vec::new(),
                    warnings: Vec::new(),
                },
                key_size,
                today,
            )),
            task => tasks::perform(&mut workspace, task, today),
        };
        if let (AdminAnswer::PassphraseChanged(Ok(_)), Some(new)) = (&answer, new_passphrase) {
            self.passphrase = new;
        }
        if answer.changed_inventory() {
            demo.inventory = workspace.inventory().iter().cloned().collect();
            demo.index = Arc::new(InventoryIndex::build(demo.inventory.iter()));
            let rows = Rows::new(crate::tui::counter::IndexRows {
                index: Arc::clone(&demo.index),
                positions: None,
                today,
            });
            self.tokens = rows.window(0, rows.len());
        }
        self.answer(Answer::Admin(answer))
    }

    fn inventory_changed(&mut self) -> WorkspaceInfo {
        self.workspace_info()
    }
}

impl crate::tui::download_path::PathFacts for FakeBackend {
    fn home(&self) -> Option<PathBuf> {
        Some("/home/admin".into())
    }
    fn current_dir(&self) -> PathBuf {
        "/home/admin".into()
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.dirs.contains(path)
    }
    fn exists(&self, path: &Path) -> bool {
        self.dirs.contains(path) || self.existing.contains(path)
    }
}

/// The engine's review of `spec` on the demo data.
fn demo_prepare(
    demo: &DemoData,
    spec: &JobSpec,
) -> Result<crate::jobs::ReviewSummary, Vec<FieldIssue>> {
    crate::jobs::prepare_from(
        &demo.config,
        &demo.inventory,
        &demo.history,
        spec.clone(),
        demo.now.date(),
    )
    .map(|prepared| prepared.review)
    .map_err(|rejected| {
        rejected
            .errors
            .iter()
            .map(|e| FieldIssue::new(e.field, e.to_string()))
            .collect()
    })
}

/// The engine's rules on the demo data, as the adapter asks them.
fn demo_validate<'a>(
    demo: &DemoData,
    names: impl Iterator<Item = &'a str>,
    spec: &JobSpec,
    fields: &[JobField],
) -> Vec<FieldIssue> {
    let mut issues: Vec<FieldIssue> = crate::jobs::validate_fields(
        spec,
        &demo.config.profiles,
        names,
        &demo.config.header.origin,
        fields,
    )
    .iter()
    .map(|e| FieldIssue::new(e.field, e.to_string()))
    .collect();
    // As the adapter: whether a token is left comes from the live count.
    issues.retain(|issue| fields.contains(&issue.field));
    issues
}

/// The live count on the demo data, as the adapter's counting worker answers it.
fn demo_preview(demo: &DemoData, spec: &JobSpec) -> Result<SelectionPreview, String> {
    let profile = crate::jobs::validate::validate_profile(&spec.profile, &demo.config.profiles)
        .map_err(|e| e.to_string())?;
    crate::jobs::validate::validate_criteria(&spec.selection).map_err(|e| e.to_string())?;
    let context = crate::tui::counter::CountContext {
        profile: profile.clone(),
        protection: spec.protection,
        password: spec.password.clone(),
        origin: demo.config.header.origin.clone(),
        today: demo.now.date(),
    };
    crate::tui::counter::count_once(&demo.index, &spec.selection, &context)
}
