//! The review summary shown before a job is submitted: every choice, the counts, the tokens
//! left out and why, and the warnings the administrator must accept. Pure, shared by the
//! wizard's review panel and `jobs submit`; never holds or shows the password.

use super::ascii_fold::needs_folding;
use super::select::Selection;
use super::spec::{Binding, JobSpec, Protection};
use crate::token::Serial;
use crate::workspace::Profile;
use serde::Serialize;
use std::fmt::Write as _;

/// The words every redistribution warning carries.
pub const REDISTRIBUTION_WARNING: &str =
    "their current users may no longer be able to authenticate until they import the new file";

/// How many serials per exclusion group the plain-text review lists before "… and N more".
const TEXT_LIST_LIMIT: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewSummary {
    pub job_name: String,
    pub profile: String,
    /// e.g. "Android, 128-bit, 8 digits, 60 s, PIN pad".
    pub profile_details: String,
    /// e.g. "device class a01c… (the profile's default)" or "one device: ABC123".
    pub binding: String,
    /// The DeviceSerialNumber written into every file.
    pub device_serial_number: String,
    pub nickname: Option<String>,
    pub protection: Protection,
    /// e.g. "user ID followed by password".
    pub protection_text: String,
    /// Whether a job password is set; the password itself is never part of the summary.
    pub password_set: bool,
    /// One line per criterion, e.g. "serials 000000000100-000000000199".
    pub criteria: Vec<String>,
    /// Tokens that matched the serial ranges and the user filter.
    pub matched: usize,
    /// Tokens the job will distribute.
    pub token_count: usize,
    pub exclusions: Vec<ExclusionGroup>,
    /// Selected tokens that an earlier job already distributed.
    pub redistributed: Vec<RedistributedToken>,
    /// Things the administrator must accept before the job runs.
    pub warnings: Vec<String>,
    /// Things worth knowing that need no confirmation.
    pub notes: Vec<String>,
}

/// Excluded tokens sharing one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExclusionGroup {
    pub code: &'static str,
    pub reason: &'static str,
    pub tokens: Vec<ExcludedToken>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExcludedToken {
    pub serial: Serial,
    pub login: Option<String>,
    /// The reason with this token's detail (e.g. "password would be 27 characters, …").
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RedistributedToken {
    pub serial: Serial,
    pub login: String,
    pub times: usize,
    pub last_job: String,
    #[serde(with = "time::serde::rfc3339")]
    pub last_at: time::OffsetDateTime,
}

impl ReviewSummary {
    /// Builds the summary. `spec.name` should already be the validated (trimmed) name.
    pub fn new(
        spec: &JobSpec,
        profile: &Profile,
        selection: &Selection<'_>,
        today: time::Date,
    ) -> Self {
        let device_serial_number =
            super::validate::device_serial_number(&spec.binding, profile).to_owned();
        let binding = match &spec.binding {
            Binding::DeviceClass => format!(
                "device class {} (the {} profile's default): any {} device can import",
                profile.device_class_id, profile.name, profile.device_type
            ),
            Binding::Device(id) => format!("one device: only the device with id {id} can import"),
        };
        let redistributed: Vec<RedistributedToken> = selection
            .selected
            .iter()
            .filter_map(|token| {
                let last = token.distributions.last()?;
                Some(RedistributedToken {
                    serial: token.serial.clone(),
                    login: token
                        .user
                        .as_ref()
                        .map(|user| user.login().to_owned())
                        .unwrap_or_default(),
                    times: token.distributions.len(),
                    last_job: last.job_name.clone(),
                    last_at: last.at,
                })
            })
            .collect();
        let mut warnings = Vec::new();
        if !redistributed.is_empty() {
            warnings.push(format!(
                "{} token(s) were distributed before; {REDISTRIBUTION_WARNING}",
                redistributed.len()
            ));
        }
        let expired = selection
            .selected
            .iter()
            .filter(|token| token.is_expired(today))
            .count();
        if expired > 0 {
            warnings.push(format!(
                "{expired} selected token(s) have expired; apps refuse to import them"
            ));
        }
        let folded = selection
            .selected
            .iter()
            .filter_map(|token| token.user.as_ref())
            .filter(|user| needs_folding(user.first_name()) || needs_folding(user.last_name()))
            .count();
        let mut notes = Vec::new();
        if folded > 0 {
            notes.push(format!(
                "{folded} user name(s) have accented letters; token files carry printable ASCII only, so they are written without accents (e.g. García as Garcia)"
            ));
        }
        if spec.protection == Protection::None {
            warnings.push(
                "the files have no password: anyone who obtains a file can import its token".into(),
            );
        }
        Self {
            job_name: spec.name.trim().to_owned(),
            profile: profile.name.clone(),
            profile_details: profile_details(profile),
            binding,
            device_serial_number,
            nickname: spec
                .nickname
                .clone()
                .filter(|nickname| !nickname.is_empty()),
            protection: spec.protection,
            protection_text: spec.protection.describe().to_owned(),
            password_set: spec
                .password
                .as_ref()
                .is_some_and(|password| !password.is_empty()),
            criteria: criteria_lines(spec),
            matched: selection.matched,
            token_count: selection.selected.len(),
            exclusions: group_exclusions(selection),
            redistributed,
            warnings,
            notes,
        }
    }

    pub fn has_warnings(&self) -> bool {
        !self.warnings.is_empty()
    }

    pub fn excluded_count(&self) -> usize {
        self.exclusions.iter().map(|group| group.tokens.len()).sum()
    }

    /// The review as plain text for the command line.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let mut line = |label: &str, value: &str| {
            let _ = writeln!(out, "  {label:<14} {value}");
        };
        line("Job name", &self.job_name);
        line(
            "Profile",
            &format!("{} ({})", self.profile, self.profile_details),
        );
        line("Binding", &self.binding);
        line("Nickname", self.nickname.as_deref().unwrap_or("(none)"));
        let set = if self.password_set { "set" } else { "NOT set" };
        let protection = match self.protection {
            Protection::None => "none: the files have no password".to_owned(),
            Protection::Password => format!("password: one job password for every file ({set})"),
            Protection::UserId => "user ID: each file's password is its user's login".to_owned(),
            Protection::UserIdPassword => format!(
                "user ID + password: each user's login followed by the job password ({set})"
            ),
        };
        line("Protection", &protection);
        for (index, criterion) in self.criteria.iter().enumerate() {
            line(if index == 0 { "Selection" } else { "" }, criterion);
        }
        line(
            "Tokens",
            &format!(
                "{} to distribute ({} matched, {} excluded)",
                self.token_count,
                self.matched,
                self.excluded_count()
            ),
        );
        let mut out = format!("Review\n{out}");
        for group in &self.exclusions {
            let _ = writeln!(out, "\nExcluded ({}): {}", group.tokens.len(), group.reason);
            for token in group.tokens.iter().take(TEXT_LIST_LIMIT) {
                let login = token.login.as_deref().unwrap_or("-");
                // The heading already says it when a token has no detail of its own.
                let detail = if token.detail == group.reason {
                    ""
                } else {
                    token.detail.as_str()
                };
                let _ = writeln!(out, "  {}  {login:<24} {detail}", token.serial);
            }
            if group.tokens.len() > TEXT_LIST_LIMIT {
                let _ = writeln!(out, "  … and {} more", group.tokens.len() - TEXT_LIST_LIMIT);
            }
        }
        if !self.redistributed.is_empty() {
            let _ = writeln!(
                out,
                "\nDistributed before ({}): {REDISTRIBUTION_WARNING}.",
                self.redistributed.len()
            );
            for token in self.redistributed.iter().take(TEXT_LIST_LIMIT) {
                let _ = writeln!(
                    out,
                    "  {}  {:<24} {} time(s), last by {:?} on {}",
                    token.serial,
                    token.login,
                    token.times,
                    token.last_job,
                    token.last_at.date()
                );
            }
            if self.redistributed.len() > TEXT_LIST_LIMIT {
                let _ = writeln!(
                    out,
                    "  … and {} more",
                    self.redistributed.len() - TEXT_LIST_LIMIT
                );
            }
        }
        if !self.notes.is_empty() {
            out.push_str("\nNotes:\n");
            for note in &self.notes {
                let _ = writeln!(out, "  - {note}");
            }
        }
        if !self.warnings.is_empty() {
            out.push_str("\nWarnings:\n");
            for warning in &self.warnings {
                let _ = writeln!(out, "  ! {warning}");
            }
        }
        out
    }
}

/// The profile's attributes in one line.
pub fn profile_details(profile: &Profile) -> String {
    format!(
        "{}, {}-bit, {} digits, {}, PIN {}{}",
        profile.device_type,
        profile.key_bits.bits(),
        profile.digits,
        profile.interval,
        profile.pin_type.label(),
        if profile.copy_protection {
            ", copy-protected"
        } else {
            ""
        }
    )
}

fn criteria_lines(spec: &JobSpec) -> Vec<String> {
    let criteria = &spec.selection;
    let mut lines = Vec::new();
    if criteria.serial_ranges.is_empty() {
        lines.push("all serials".to_owned());
    } else {
        let ranges: Vec<String> = criteria
            .serial_ranges
            .iter()
            .map(ToString::to_string)
            .collect();
        lines.push(format!("serials {}", ranges.join(", ")));
    }
    if let Some(glob) = &criteria.user_glob {
        lines.push(format!("users matching {glob}"));
    }
    lines.push(
        if criteria.include_distributed {
            "including tokens distributed before"
        } else {
            "excluding tokens distributed before"
        }
        .to_owned(),
    );
    lines.push(
        if criteria.exclude_expired {
            "excluding expired tokens"
        } else {
            "including expired tokens"
        }
        .to_owned(),
    );
    if let Some(max) = criteria.max_count {
        lines.push(format!("at most {max} token(s)"));
    }
    lines
}

fn group_exclusions(selection: &Selection<'_>) -> Vec<ExclusionGroup> {
    let mut groups: Vec<ExclusionGroup> = Vec::new();
    for exclusion in &selection.exclusions {
        let token = ExcludedToken {
            serial: exclusion.serial.clone(),
            login: exclusion.login.clone(),
            detail: exclusion.reason.to_string(),
        };
        let code = exclusion.reason.code();
        match groups.iter_mut().find(|group| group.code == code) {
            Some(group) => group.tokens.push(token),
            None => groups.push(ExclusionGroup {
                code,
                reason: exclusion.reason.group_label(),
                tokens: vec![token],
            }),
        }
    }
    groups.sort_by_key(|group| group_order(group.code));
    groups
}

fn group_order(code: &str) -> usize {
    const ORDER: [&str; 11] = [
        "not-assigned",
        "expired",
        "dates-inconsistent",
        "key-size-differs",
        "code-format-differs",
        "previously-distributed",
        "login-unusable",
        "password-too-long",
        "password-equals-origin",
        "user-field-not-writable",
        "over-max-count",
    ];
    ORDER
        .iter()
        .position(|known| *known == code)
        .unwrap_or(ORDER.len())
}
