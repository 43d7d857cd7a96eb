//! The real [`Backend`]: the open workspace (it holds the lock for the whole session) and the
//! job engine. Everything here runs on the UI thread except the job itself, whose events are
//! translated on a small forwarding thread.

use super::backend::{
    Backend, CancelHandle, DownloadError, DownloadReport, Exclusion, ExclusionGroup, FieldIssue,
    JobEvent, JobHandle, JobOutcome, JobRow, PREVIEW_ROWS, Progress, Redistributed, ReviewSummary,
    SelectionPreview, TokenRow, WorkspaceInfo,
};
use super::download_path;
use crate::cli::GlobalArgs;
use crate::jobs::{self, History, JobError, JobField, JobRecord, JobSpec};
use crate::secret::SecretString;
use crate::workspace::{InventoryToken, Profile, Workspace, demo};
use crossbeam_channel::unbounded;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// The workspace and job engine behind the UI.
pub struct RealBackend {
    workspace: Workspace,
    history: History,
    /// The engine's report of the running job's end, kept for [`Backend::finish_job`].
    ended: Arc<Mutex<Option<jobs::JobOutcome>>>,
    /// A demo workspace in a temporary directory lives as long as the session.
    _demo_dir: Option<tempfile::TempDir>,
    /// Opened with `--demo`: the header says so.
    demo: bool,
}

/// Opens the configured workspace (asking for the passphrase on the terminal, before the
/// full screen starts), or a demo workspace.
pub fn open(global: &GlobalArgs, demo: bool) -> Result<RealBackend, String> {
    let (workspace, demo_dir) = if demo {
        open_demo(global)?
    } else {
        (open_configured(global)?, None)
    };
    let history = History::open(&workspace).map_err(|e| e.to_string())?;
    Ok(RealBackend {
        workspace,
        history,
        ended: Arc::default(),
        _demo_dir: demo_dir,
        demo,
    })
}

fn open_configured(global: &GlobalArgs) -> Result<Workspace, String> {
    let dir = Workspace::resolve_dir(global.workspace.as_deref()).map_err(|e| e.to_string())?;
    Workspace::check_initialised(&dir).map_err(|e| e.to_string())?;
    crate::cli::secrets::with_passphrase(
        global,
        |passphrase| Workspace::open(&dir, passphrase),
        |error| {
            matches!(
                error,
                crate::workspace::WorkspaceError::WrongPassphrase { .. }
            )
        },
    )
    .map_err(|e| e.to_string())
}

/// `--demo`: a fresh demo workspace in `--workspace DIR` (reopened with the demo passphrase if
/// DIR already holds one) or in a temporary directory removed at exit.
fn open_demo(global: &GlobalArgs) -> Result<(Workspace, Option<tempfile::TempDir>), String> {
    match &global.workspace {
        Some(dir) if Workspace::is_initialised(dir) => {
            let passphrase = SecretString::from(demo::DEMO_PASSPHRASE);
            let workspace = Workspace::open(dir, &passphrase).map_err(|e| {
                format!("{e} (--demo reopens a workspace only with the demo passphrase)")
            })?;
            Ok((workspace, None))
        }
        Some(dir) => Ok((demo::create_demo(dir).map_err(|e| e.to_string())?, None)),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("tokendist-demo-")
                .tempdir()
                .map_err(|e| format!("cannot create a temporary demo workspace: {e}"))?;
            let workspace = demo::create_demo(temp.path()).map_err(|e| e.to_string())?;
            Ok((workspace, Some(temp)))
        }
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn issue(error: &jobs::FieldError) -> FieldIssue {
    FieldIssue::new(error.field, error.to_string())
}

pub(crate) fn token_row(token: &InventoryToken, today: time::Date) -> TokenRow {
    TokenRow {
        serial: token.serial.clone(),
        login: token.user.as_ref().map(|u| u.login.clone()),
        full_name: token
            .user
            .as_ref()
            .map(|u| {
                format!("{} {}", u.first_name, u.last_name)
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default(),
        expires: token.expires,
        expired: token.is_expired(today),
        key_bits: token.key_size.bits(),
        distributed_count: token.distributions.len(),
    }
}

pub(crate) fn job_row(record: &JobRecord) -> JobRow {
    let spec = &record.spec;
    let binding = match &spec.binding {
        jobs::Binding::DeviceClass => "device class of the profile".to_owned(),
        jobs::Binding::Device(id) => format!("one device: {id}"),
    };
    let ranges: Vec<String> = spec
        .selection
        .serial_ranges
        .iter()
        .map(ToString::to_string)
        .collect();
    let mut excluded: Vec<(String, usize)> = Vec::new();
    for token in &record.excluded {
        let reason = jobs::select::label_for_code(&token.code)
            .unwrap_or(&token.code)
            .to_owned();
        match excluded.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, count)) => *count += 1,
            None => excluded.push((reason, 1)),
        }
    }
    JobRow {
        id: record.id.clone(),
        name: record.name.clone(),
        profile: record.spec.profile.clone(),
        status: record.status,
        token_count: record.token_count,
        created_at: jobs::minute_text(record.created_at),
        finished_at: record.finished_at.map(jobs::minute_text),
        error: record.error.clone(),
        output_size: record.output.as_ref().map(|o| o.bytes),
        output_sha256: record.output.as_ref().map(|o| o.sha256.clone()),
        output_available: record.has_output(),
        downloads: record
            .downloads
            .iter()
            .map(|d| (jobs::minute_text(d.at), d.path.display().to_string()))
            .collect(),
        protection: spec.protection.describe().to_owned(),
        binding,
        nickname: spec.nickname.clone(),
        serials: if ranges.is_empty() {
            "all".to_owned()
        } else {
            ranges.join(", ")
        },
        users: spec.selection.user_glob.clone(),
        done_count: record.done_count,
        excluded,
        started_at: record.started_at.map(jobs::minute_text),
    }
}

/// The job engine's review in the port's words (shared with the test fake's demo mode, so
/// the user guide shows what the program shows).
pub(crate) fn review_summary(review: &jobs::ReviewSummary) -> ReviewSummary {
    let mut choices = vec![
        ("Job name".to_owned(), review.job_name.clone()),
        (
            "Profile".to_owned(),
            format!("{} ({})", review.profile, review.profile_details),
        ),
        ("DeviceSerialNumber".to_owned(), review.binding.clone()),
        (
            "Nickname".to_owned(),
            review.nickname.clone().unwrap_or_else(|| "(none)".into()),
        ),
        ("Protection".to_owned(), review.protection_text.clone()),
    ];
    if review.protection.needs_password() {
        let set = if review.password_set {
            "set (not shown)"
        } else {
            "NOT set"
        };
        choices.push(("Password".to_owned(), set.to_owned()));
    }
    for (index, criterion) in review.criteria.iter().enumerate() {
        choices.push((
            if index == 0 { "Selection" } else { "" }.to_owned(),
            criterion.clone(),
        ));
    }
    choices.push((
        "Tokens".to_owned(),
        format!(
            "{} matched, {} excluded",
            review.matched,
            review.excluded_count()
        ),
    ));
    ReviewSummary {
        choices,
        selected_count: review.token_count,
        exclusions: review
            .exclusions
            .iter()
            .map(|group| ExclusionGroup {
                reason: group.reason.to_owned(),
                tokens: group
                    .tokens
                    .iter()
                    .map(|t| Exclusion {
                        serial: t.serial.clone(),
                        login: t.login.clone(),
                        // The heading already says it when a token has no detail of its own.
                        detail: if t.detail == group.reason {
                            String::new()
                        } else {
                            t.detail.clone()
                        },
                    })
                    .collect(),
            })
            .collect(),
        redistributed: review
            .redistributed
            .iter()
            .map(|t| Redistributed {
                serial: t.serial.clone(),
                login: t.login.clone(),
                times: t.times,
                last_job: t.last_job.clone(),
                last_at: t.last_at.date().to_string(),
            })
            .collect(),
        warnings: review.warnings.clone(),
    }
}

impl Backend for RealBackend {
    fn profiles(&self) -> Vec<Profile> {
        self.workspace.config().profiles.clone()
    }

    fn workspace_info(&self) -> WorkspaceInfo {
        let inventory = self.workspace.inventory();
        let root = self.workspace.root();
        let path = std::path::absolute(root).unwrap_or_else(|_| root.to_owned());
        WorkspaceInfo {
            path: path.display().to_string(),
            demo: self.demo,
            tokens: inventory.len(),
            assigned: inventory.iter().filter(|t| t.user.is_some()).count(),
        }
    }

    fn tokens(&self) -> Vec<TokenRow> {
        let today = now().date();
        self.workspace
            .inventory()
            .iter()
            .map(|t| token_row(t, today))
            .collect()
    }

    fn default_job_name(&self) -> String {
        jobs::default_job_name(now(), self.history.names())
    }

    fn validate(&self, spec: &JobSpec, fields: &[JobField]) -> Vec<FieldIssue> {
        let config = self.workspace.config();
        let mut issues: Vec<FieldIssue> = jobs::validate_fields(
            spec,
            &config.profiles,
            self.history.names(),
            &config.header.origin,
            fields,
        )
        .iter()
        .map(issue)
        .collect();
        // Whether any token is left needs a scan of the inventory: only on the selection step.
        if fields.contains(&JobField::Selection) && issues.is_empty() {
            match jobs::preview(
                config,
                self.workspace.inventory().iter(),
                spec,
                now().date(),
            ) {
                Ok(selection) if selection.selected.is_empty() => {
                    let message = if selection.matched == 0 {
                        "token selection: no token in the inventory matches the serial ranges and user filter".to_owned()
                    } else {
                        format!(
                            "token selection: no token left to distribute: {} matched and all were excluded (the review lists why)",
                            selection.matched
                        )
                    };
                    issues.push(FieldIssue::new(JobField::Selection, message));
                }
                Ok(_) => {}
                Err(error) if fields.contains(&error.field) => issues.push(issue(&error)),
                Err(_) => {}
            }
        }
        issues
    }

    fn preview(&self, spec: &JobSpec) -> SelectionPreview {
        let today = now().date();
        match jobs::preview(
            self.workspace.config(),
            self.workspace.inventory().iter(),
            spec,
            today,
        ) {
            Ok(selection) => SelectionPreview {
                selected: selection
                    .selected
                    .iter()
                    .take(PREVIEW_ROWS)
                    .map(|t| token_row(t, today))
                    .collect(),
                selected_count: selection.selected.len(),
                excluded_count: selection.exclusions.len(),
            },
            Err(_) => SelectionPreview::default(),
        }
    }

    fn review(&self, spec: &JobSpec) -> Result<ReviewSummary, Vec<FieldIssue>> {
        let prepared = jobs::prepare(&self.workspace, &self.history, spec.clone(), now().date())
            .map_err(|rejected| rejected.errors.iter().map(issue).collect::<Vec<_>>())?;
        Ok(review_summary(&prepared.review))
    }

    fn start_job(&mut self, spec: JobSpec) -> Result<JobHandle, String> {
        let started = now();
        let prepared = jobs::prepare(&self.workspace, &self.history, spec, started.date())
            .map_err(|rejected| rejected.to_string())?;
        let handle = jobs::start(&self.workspace, &mut self.history, prepared, started)
            .map_err(|e| e.to_string())?;
        let token = handle.cancel_token();
        let (sender, events) = unbounded();
        let ended = Arc::clone(&self.ended);
        let engine_events = handle.events.clone();
        std::thread::Builder::new()
            .name(format!("ui-{}", handle.id))
            .spawn(move || {
                for event in engine_events.iter() {
                    let forwarded = match event {
                        jobs::JobEvent::Progress(p) => JobEvent::Progress(Progress {
                            done: p.done as u64,
                            total: p.total as u64,
                            rate: p.rate(),
                            eta: p.eta(),
                        }),
                        jobs::JobEvent::Finished(outcome) => {
                            let reported = match &outcome.result {
                                jobs::RunResult::Completed(_) => JobOutcome::Completed {
                                    tokens: outcome.done,
                                },
                                jobs::RunResult::Failed(error) => JobOutcome::Failed(error.clone()),
                                jobs::RunResult::Cancelled => JobOutcome::Cancelled,
                            };
                            *ended.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
                            let _ = sender.send(JobEvent::Finished(reported));
                            return;
                        }
                    };
                    if sender.send(forwarded).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| format!("cannot watch the job: {e}"))?;
        Ok(JobHandle {
            id: handle.id.clone(),
            name: handle.name.clone(),
            total: handle.total as u64,
            events,
            cancel: CancelHandle::with_hook(move || token.cancel()),
        })
    }

    fn finish_job(&mut self, reported: JobOutcome) -> JobOutcome {
        let Some(outcome) = self.ended.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return reported;
        };
        match jobs::finish(&mut self.workspace, &mut self.history, outcome, now()) {
            Ok(record) => match record.status {
                jobs::JobStatus::Completed => JobOutcome::Completed {
                    tokens: record.done_count,
                },
                jobs::JobStatus::Cancelled => JobOutcome::Cancelled,
                _ => JobOutcome::Failed(record.error.unwrap_or_else(|| "the job failed".into())),
            },
            Err(error) => {
                JobOutcome::Failed(format!("the job ended but could not be recorded: {error}"))
            }
        }
    }

    fn jobs(&self) -> Result<Vec<JobRow>, String> {
        Ok(self.history.records().iter().rev().map(job_row).collect())
    }

    fn default_download_path(&self, job: &JobRow) -> PathBuf {
        let configured =
            jobs::default_output_path(&self.workspace.config().output_path_template, &job.name);
        let typed = configured.display().to_string();
        download_path::absolute(&typed, &download_path::RealFs).unwrap_or(configured)
    }

    fn download(
        &mut self,
        job_id: &str,
        path: &Path,
        overwrite: bool,
    ) -> Result<DownloadReport, DownloadError> {
        let name = self
            .history
            .records()
            .iter()
            .find(|r| r.id == job_id)
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let file_name = format!("{}.zip", jobs::file_name_safe(&name));
        let path = download_path::target(
            &path.display().to_string(),
            &file_name,
            &download_path::RealFs,
        )
        .map_err(DownloadError::Failed)?;
        match jobs::download(
            &self.workspace,
            &mut self.history,
            job_id,
            &path,
            overwrite,
            now(),
        ) {
            Ok(report) => Ok(report),
            Err(JobError::TargetExists { path }) => Err(DownloadError::Exists(path)),
            Err(error) => Err(DownloadError::Failed(error.to_string())),
        }
    }

    fn delete_output(&mut self, job_id: &str) -> Result<(), String> {
        jobs::delete_output(&self.workspace, &mut self.history, job_id, now())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
