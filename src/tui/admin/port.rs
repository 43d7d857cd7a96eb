//! What the workspace tools ask of the backend and what comes back. The answers carry no
//! secret; the tasks carry the passphrases and the bind password only as far as the worker,
//! where they are wiped on drop.

use crate::jobs::SerialRange;
use crate::secret::SecretString;
use crate::token::KeySize;
use crate::workspace::auto_assign::{AssignmentPlan, UserSource};
use crate::workspace::check::Finding;
use crate::workspace::retire::{RemovalPlan, RemovalRow};
use crate::workspace::rotate::RotationReport;
use std::path::PathBuf;

/// The field labels of the forms; a refusal names the field it is about with one of them.
pub mod fields {
    pub const CURRENT: &str = "Current passphrase";
    pub const NEW: &str = "New passphrase";
    pub const REPEAT: &str = "Repeat passphrase";
    pub const SERIALS: &str = "Serials";
    pub const EXPIRED_ONLY: &str = "Only expired";
    pub const FILTER: &str = "Filter";
    pub const KEY_SIZE: &str = "Key size";
    pub const BIND_PASSWORD: &str = "Bind password";
    pub const USER_LIST: &str = "User list file";
    pub const PASSPHRASE: &str = "Passphrase";
}

/// The `[directory]` table as the assignment form shows it (no secret in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryInfo {
    pub url: String,
    pub base_dn: String,
    /// The configured filter, used when the form's is empty.
    pub filter: String,
    /// `None` for an anonymous bind.
    pub bind_dn: Option<String>,
    /// The configured `bind_password_file`, if any: then the form asks for no password.
    pub password_file: Option<String>,
}

/// Where the users to give tokens to come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsersFrom {
    /// The configured search; `filter` replaces the configured one; `bind_password` when the
    /// form asked for it (no password file configured).
    Directory {
        filter: Option<String>,
        bind_password: Option<SecretString>,
    },
    /// A CSV of logins (`tokens assign --auto FILE`).
    List(PathBuf),
}

/// Work a tool hands to the backend's worker.
#[derive(Debug)]
pub enum AdminTask {
    /// `tokendist passphrase`: `current` is checked against the open workspace first.
    ChangePassphrase {
        current: SecretString,
        new: SecretString,
    },
    /// `tokens remove`: what would go, for the review.
    PlanRemoval {
        ranges: Vec<SerialRange>,
        expired_only: bool,
    },
    /// The reviewed and confirmed removal.
    Remove(RemovalPlan),
    /// `tokens assign --from-directory` / `--auto`: the plan, for the review.
    PlanAssignment {
        users: UsersFrom,
        key_size: Option<KeySize>,
    },
    /// The reviewed and confirmed assignment (all or nothing).
    Assign(AssignmentPlan),
    /// `tokendist check` (read-only).
    Check { passphrase: SecretString },
}

/// The task's kind, for an answer that has to be made without the task (a worker that could
/// not start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    ChangePassphrase,
    PlanRemoval,
    Remove,
    PlanAssignment,
    Assign,
    Check,
}

impl AdminTask {
    pub fn kind(&self) -> TaskKind {
        match self {
            Self::ChangePassphrase { .. } => TaskKind::ChangePassphrase,
            Self::PlanRemoval { .. } => TaskKind::PlanRemoval,
            Self::Remove(_) => TaskKind::Remove,
            Self::PlanAssignment { .. } => TaskKind::PlanAssignment,
            Self::Assign(_) => TaskKind::Assign,
            Self::Check { .. } => TaskKind::Check,
        }
    }
}

/// Why a task was refused, naming the form field it is about when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: Option<&'static str>,
    pub message: String,
}

impl Refusal {
    pub fn new(field: Option<&'static str>, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// A removal for the review: the whole plan (with its counts) and the first rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalReview {
    pub plan: RemovalPlan,
    pub rows: Vec<RemovalRow>,
}

/// An assignment for the review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentReview {
    pub source: UserSource,
    pub plan: AssignmentPlan,
    /// Said before anything is confirmed (plain LDAP, a password file others can read).
    pub warnings: Vec<String>,
}

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub findings: Vec<Finding>,
    /// Tokens in the inventory, when it could be read.
    pub tokens: Option<usize>,
}

/// A task's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminAnswer {
    PassphraseChanged(Result<RotationReport, Refusal>),
    RemovalPlanned(Result<RemovalReview, Refusal>),
    /// How many tokens were removed.
    Removed(Result<usize, Refusal>),
    AssignmentPlanned(Result<AssignmentReview, Refusal>),
    /// How many tokens were assigned.
    Assigned(Result<usize, Refusal>),
    Checked(Result<CheckReport, Refusal>),
}

impl AdminAnswer {
    /// The answer of a task of `kind` that could not run at all.
    pub fn refused(kind: TaskKind, message: impl Into<String>) -> Self {
        let refusal = Refusal::new(None, message);
        match kind {
            TaskKind::ChangePassphrase => Self::PassphraseChanged(Err(refusal)),
            TaskKind::PlanRemoval => Self::RemovalPlanned(Err(refusal)),
            TaskKind::Remove => Self::Removed(Err(refusal)),
            TaskKind::PlanAssignment => Self::AssignmentPlanned(Err(refusal)),
            TaskKind::Assign => Self::Assigned(Err(refusal)),
            TaskKind::Check => Self::Checked(Err(refusal)),
        }
    }

    /// True when the inventory changed (the browser, the counts and the header follow).
    pub fn changed_inventory(&self) -> bool {
        matches!(self, Self::Removed(Ok(_)) | Self::Assigned(Ok(_)))
    }
}
