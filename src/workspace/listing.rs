//! Selecting tokens for a listing and the summary shown for each: never the seed.

use super::WorkspaceError;
use super::inventory::in_ranges;
use super::model::InventoryToken;
use crate::jobs::SerialRange;
use serde::Serialize;
use time::Date;

/// Which tokens to show by assignment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AssignmentFilter {
    #[default]
    Any,
    Assigned,
    Unassigned,
}

/// The `tokens list` filters.
#[derive(Debug, Clone, Default)]
pub struct TokenFilter {
    /// Empty means every serial.
    pub ranges: Vec<SerialRange>,
    /// Shell-style glob on the login (`*`, `?`, `[..]`), case-sensitive; unassigned tokens
    /// never match.
    pub user_glob: Option<globset::GlobMatcher>,
    pub assignment: AssignmentFilter,
}

impl TokenFilter {
    /// Compiles `user_glob`; a malformed glob is an error naming it.
    pub fn new(
        ranges: Vec<SerialRange>,
        user_glob: Option<&str>,
        assignment: AssignmentFilter,
    ) -> Result<TokenFilter, WorkspaceError> {
        let user_glob = user_glob
            .map(|glob| {
                globset::Glob::new(glob)
                    .map(|g| g.compile_matcher())
                    .map_err(|e| WorkspaceError::Invalid(format!("user glob {glob:?}: {e}")))
            })
            .transpose()?;
        Ok(TokenFilter {
            ranges,
            user_glob,
            assignment,
        })
    }

    pub fn matches(&self, token: &InventoryToken) -> bool {
        let in_range = in_ranges(&self.ranges, &token.serial);
        let assignment = match self.assignment {
            AssignmentFilter::Any => true,
            AssignmentFilter::Assigned => token.user.is_some(),
            AssignmentFilter::Unassigned => token.user.is_none(),
        };
        let user = match (&self.user_glob, &token.user) {
            (None, _) => true,
            (Some(glob), Some(user)) => glob.is_match(user.login()),
            (Some(_), None) => false,
        };
        in_range && assignment && user
    }
}

/// What a listing shows of one token (the JSON object of `tokens list --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenSummary<'a> {
    pub serial: &'a str,
    pub user_login: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    /// Last valid day, `YYYY-MM-DD`.
    pub expires: String,
    pub expired: bool,
    pub birth: String,
    pub digits: u8,
    pub interval: u32,
    pub key_bits: u32,
    pub pin_mode: u8,
    pub distributed_count: usize,
    /// Name of the last job that distributed the token.
    pub last_job: Option<&'a str>,
    /// RFC 3339 time of the last distribution.
    pub last_distributed_at: Option<String>,
}

/// `YYYY-MM-DD`.
pub fn iso_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

impl<'a> TokenSummary<'a> {
    pub fn of(token: &'a InventoryToken, today: Date) -> TokenSummary<'a> {
        let last = token.distributions.last();
        TokenSummary {
            serial: token.serial.as_str(),
            user_login: token.user.as_ref().map(|u| u.login()),
            first_name: token.user.as_ref().map(|u| u.first_name()),
            last_name: token.user.as_ref().map(|u| u.last_name()),
            expires: iso_date(token.expires),
            expired: token.is_expired(today),
            birth: iso_date(token.birth),
            digits: token.digits.get(),
            interval: token.interval.seconds(),
            key_bits: token.key_size.bits(),
            pin_mode: token.pin_mode.get(),
            distributed_count: token.distributions.len(),
            last_job: last.map(|d| d.job_name.as_str()),
            last_distributed_at: last.and_then(|d| {
                d.at.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
        }
    }
}
