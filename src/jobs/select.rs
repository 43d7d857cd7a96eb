//! Which inventory tokens a job distributes, and why the others it matched are left out.
//!
//! Pure: it reads tokens, a profile and the criteria and touches nothing, so the wizard can
//! recount on every keystroke and tests need no workspace.

use super::ascii_fold::fold_name;
use super::spec::{Protection, SelectionCriteria};
use super::validate::is_printable_ascii;
use crate::secret::SecretString;
use crate::token::{Digits, Interval, KeySize, Serial};
use crate::workspace::{InventoryToken, Profile};
use globset::{GlobBuilder, GlobMatcher};
use std::fmt;

/// What the selection needs to know beyond the criteria.
#[derive(Debug, Clone, Copy)]
pub struct SelectionContext<'a> {
    pub profile: &'a Profile,
    pub protection: Protection,
    /// The job password (`password` and `user-id+password` protection).
    pub password: Option<&'a SecretString>,
    /// The files' `Origin` header value: a file whose password equals it cannot be told apart
    /// from an unprotected file, so such a user's token is left out.
    pub origin: &'a str,
    /// Today (UTC), for expiry.
    pub today: time::Date,
}

/// Why a token that matched the serial ranges and user filter is not distributed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExclusionReason {
    NotAssigned,
    Expired {
        last_day: time::Date,
    },
    KeySizeDiffers {
        token: KeySize,
        profile: KeySize,
    },
    /// The token's tokencode length or interval is not the profile's. Files carry the
    /// profile's values, so the app would show codes the server does not expect.
    CodeFormatDiffers {
        token_digits: Digits,
        token_interval: Interval,
        profile_digits: Digits,
        profile_interval: Interval,
    },
    /// The login (user-id) or login plus password (user-id+password) is longer than allowed.
    PasswordTooLong {
        chars: usize,
        limit: usize,
    },
    /// The login cannot be a password: empty, or not printable ASCII.
    LoginUnusable,
    /// The file's password would equal its `Origin`, i.e. the file would not be protected.
    PasswordEqualsOrigin,
    PreviouslyDistributed {
        times: usize,
        last_job: String,
    },
    /// A user field a token file cannot carry (files hold printable ASCII only).
    UserFieldNotWritable {
        field: &'static str,
    },
    /// The token's first valid day is after its last (a damaged record).
    DatesInconsistent,
    OverMaxCount {
        max: usize,
    },
}

impl ExclusionReason {
    /// The reason without per-token detail, for grouping in the review.
    pub fn group_label(&self) -> &'static str {
        match self {
            Self::NotAssigned => "not assigned to a user",
            Self::Expired { .. } => "expired",
            Self::KeySizeDiffers { .. } => "key size different from the profile's",
            Self::CodeFormatDiffers { .. } => {
                "tokencode length or interval different from the profile's"
            }
            Self::PasswordTooLong { .. } => "password limit exceeded for that user",
            Self::LoginUnusable => {
                "login cannot be used as a password (empty or not printable ASCII)"
            }
            Self::PasswordEqualsOrigin => {
                "password would equal the file's Origin (file would be unprotected)"
            }
            Self::PreviouslyDistributed { .. } => {
                "distributed before (include them to redistribute)"
            }
            Self::UserFieldNotWritable { .. } => {
                "user details a token file cannot carry (printable ASCII only)"
            }
            Self::DatesInconsistent => "birth date after expiry date",
            Self::OverMaxCount { .. } => "beyond the maximum count",
        }
    }

    /// A stable key for the group (JSON, sorting).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAssigned => "not-assigned",
            Self::Expired { .. } => "expired",
            Self::KeySizeDiffers { .. } => "key-size-differs",
            Self::CodeFormatDiffers { .. } => "code-format-differs",
            Self::PasswordTooLong { .. } => "password-too-long",
            Self::LoginUnusable => "login-unusable",
            Self::PasswordEqualsOrigin => "password-equals-origin",
            Self::PreviouslyDistributed { .. } => "previously-distributed",
            Self::UserFieldNotWritable { .. } => "user-field-not-writable",
            Self::DatesInconsistent => "dates-inconsistent",
            Self::OverMaxCount { .. } => "over-max-count",
        }
    }
}

impl fmt::Display for ExclusionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAssigned => f.write_str("not assigned to a user"),
            Self::Expired { last_day } => write!(f, "expired (last valid day {last_day})"),
            Self::KeySizeDiffers { token, profile } => write!(
                f,
                "key size {} bits, the profile's is {} bits",
                token.bits(),
                profile.bits()
            ),
            Self::CodeFormatDiffers {
                token_digits,
                token_interval,
                profile_digits,
                profile_interval,
            } => write!(
                f,
                "{token_digits} digits every {token_interval}, the profile's is {profile_digits} digits every {profile_interval}"
            ),
            Self::PasswordTooLong { chars, limit } => {
                write!(
                    f,
                    "password would be {chars} characters, over the limit of {limit}"
                )
            }
            Self::LoginUnusable => f.write_str(self.group_label()),
            Self::PasswordEqualsOrigin => f.write_str(self.group_label()),
            Self::PreviouslyDistributed { times, last_job } => {
                write!(
                    f,
                    "distributed {times} time(s) before, last by job {last_job:?}"
                )
            }
            Self::OverMaxCount { max } => write!(f, "beyond the maximum count of {max}"),
            Self::UserFieldNotWritable { field } => write!(
                f,
                "the user's {field} has characters token files cannot carry (printable ASCII only; accented Latin letters are written without accents); fix the assignment"
            ),
            Self::DatesInconsistent => f.write_str("its first valid day is after its last"),
        }
    }
}

/// The group label of a stable reason code, as the history stores it.
pub fn label_for_code(code: &str) -> Option<&'static str> {
    let samples = [
        ExclusionReason::NotAssigned,
        ExclusionReason::Expired {
            last_day: time::Date::MIN,
        },
        ExclusionReason::KeySizeDiffers {
            token: KeySize::Bits64,
            profile: KeySize::Bits128,
        },
        ExclusionReason::CodeFormatDiffers {
            token_digits: Digits::SIX,
            token_interval: Interval::Seconds30,
            profile_digits: Digits::EIGHT,
            profile_interval: Interval::Seconds60,
        },
        ExclusionReason::PasswordTooLong { chars: 0, limit: 0 },
        ExclusionReason::LoginUnusable,
        ExclusionReason::PasswordEqualsOrigin,
        ExclusionReason::PreviouslyDistributed {
            times: 0,
            last_job: String::new(),
        },
        ExclusionReason::UserFieldNotWritable { field: "" },
        ExclusionReason::DatesInconsistent,
        ExclusionReason::OverMaxCount { max: 0 },
    ];
    samples
        .iter()
        .find(|reason| reason.code() == code)
        .map(ExclusionReason::group_label)
}

/// A token left out, with its user (if any) so the review can say whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    pub serial: Serial,
    pub login: Option<String>,
    pub reason: ExclusionReason,
}

/// The outcome: tokens to distribute in serial order, and the ones left out.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    pub selected: Vec<&'a InventoryToken>,
    pub exclusions: Vec<Exclusion>,
    /// Tokens that matched the serial ranges and the user filter.
    pub matched: usize,
}

/// Compiles a user-login glob (`*`, `?`, `[..]`; case-sensitive, `/` not special).
pub fn compile_user_glob(glob: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(glob)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .map(|glob| glob.compile_matcher())
        .map_err(|error| {
            format!(
                "user filter {glob:?} is not a valid pattern: {}",
                error.kind()
            )
        })
}

/// Selects tokens. `tokens` should be in serial order (the inventory's order); the result keeps it.
pub fn select<'a>(
    tokens: impl IntoIterator<Item = &'a InventoryToken>,
    criteria: &SelectionCriteria,
    context: &SelectionContext<'_>,
) -> Result<Selection<'a>, String> {
    let glob = criteria
        .user_glob
        .as_deref()
        .map(compile_user_glob)
        .transpose()?;
    let mut selection = Selection {
        selected: Vec::new(),
        exclusions: Vec::new(),
        matched: 0,
    };
    for token in tokens {
        if !criteria.serial_ranges.is_empty()
            && !criteria
                .serial_ranges
                .iter()
                .any(|range| range.contains(&token.serial))
        {
            continue;
        }
        if let Some(glob) = &glob {
            match &token.user {
                Some(user) if glob.is_match(user.login()) => {}
                _ => continue,
            }
        }
        selection.matched += 1;
        let reason = match exclusion_reason(token, criteria, context) {
            Some(reason) => Some(reason),
            None => match criteria.max_count {
                Some(max) if selection.selected.len() >= max => {
                    Some(ExclusionReason::OverMaxCount { max })
                }
                _ => None,
            },
        };
        match reason {
            Some(reason) => selection.exclusions.push(Exclusion {
                serial: token.serial.clone(),
                login: token.user.as_ref().map(|user| user.login().to_owned()),
                reason,
            }),
            None => selection.selected.push(token),
        }
    }
    Ok(selection)
}

/// What the selection rules read of a token. The inventory's own tokens implement it, and so
/// does the interactive index ([`super::index`]), so `jobs submit` and the wizard apply one
/// set of rules, written once in [`exclusion_reason`].
pub trait SelectableToken {
    /// The assigned user's login; `None` when the token is not assigned.
    fn login(&self) -> Option<&str>;
    fn key_size(&self) -> KeySize;
    fn digits(&self) -> Digits;
    fn interval(&self) -> Interval;
    fn birth(&self) -> time::Date;
    /// Last valid day.
    fn expires(&self) -> time::Date;
    /// How many jobs distributed it before.
    fn distribution_count(&self) -> usize;
    /// The name of the last job that distributed it.
    fn last_job_name(&self) -> Option<&str>;
    /// The first user name field a token file cannot carry, even with accents folded.
    fn unwritable_name_field(&self) -> Option<&'static str>;
}

impl SelectableToken for InventoryToken {
    fn login(&self) -> Option<&str> {
        self.user.as_ref().map(|user| user.login())
    }
    fn key_size(&self) -> KeySize {
        self.key_size
    }
    fn digits(&self) -> Digits {
        self.digits
    }
    fn interval(&self) -> Interval {
        self.interval
    }
    fn birth(&self) -> time::Date {
        self.birth
    }
    fn expires(&self) -> time::Date {
        self.expires
    }
    fn distribution_count(&self) -> usize {
        self.distributions.len()
    }
    fn last_job_name(&self) -> Option<&str> {
        self.distributions.last().map(|last| last.job_name.as_str())
    }
    fn unwritable_name_field(&self) -> Option<&'static str> {
        let user = self.user.as_ref()?;
        unwritable_name_field(user.first_name(), user.last_name())
    }
}

/// The first of the user's names that cannot be written in a token file. Accented names are
/// written without their accents (see `ascii_fold`); others cannot be.
pub fn unwritable_name_field(first_name: &str, last_name: &str) -> Option<&'static str> {
    [("first name", first_name), ("last name", last_name)]
        .into_iter()
        .find(|(_, value)| fold_name(value).is_none())
        .map(|(field, _)| field)
}

/// The first rule a token breaks, in the order an administrator would look at them.
pub fn exclusion_reason<T: SelectableToken + ?Sized>(
    token: &T,
    criteria: &SelectionCriteria,
    context: &SelectionContext<'_>,
) -> Option<ExclusionReason> {
    let Some(login) = token.login() else {
        return Some(ExclusionReason::NotAssigned);
    };
    let expires = token.expires();
    if criteria.exclude_expired && context.today > expires {
        return Some(ExclusionReason::Expired { last_day: expires });
    }
    if token.birth() > expires {
        return Some(ExclusionReason::DatesInconsistent);
    }
    if token.key_size() != context.profile.key_bits {
        return Some(ExclusionReason::KeySizeDiffers {
            token: token.key_size(),
            profile: context.profile.key_bits,
        });
    }
    if token.digits() != context.profile.digits || token.interval() != context.profile.interval {
        return Some(ExclusionReason::CodeFormatDiffers {
            token_digits: token.digits(),
            token_interval: token.interval(),
            profile_digits: context.profile.digits,
            profile_interval: context.profile.interval,
        });
    }
    if !criteria.include_distributed
        && let Some(last_job) = token.last_job_name()
    {
        return Some(ExclusionReason::PreviouslyDistributed {
            times: token.distribution_count(),
            last_job: last_job.to_owned(),
        });
    }
    if let Some(reason) = password_reason(login, context) {
        return Some(reason);
    }
    if !login.chars().all(is_printable_ascii) {
        return Some(ExclusionReason::UserFieldNotWritable { field: "login" });
    }
    token
        .unwritable_name_field()
        .map(|field| ExclusionReason::UserFieldNotWritable { field })
}

/// Checks the file password this user's token would get.
fn password_reason(login: &str, context: &SelectionContext<'_>) -> Option<ExclusionReason> {
    let limit = context.profile.key_bits.max_password_chars();
    let password = context.password.map(SecretString::expose).unwrap_or("");
    let uses_login = matches!(
        context.protection,
        Protection::UserId | Protection::UserIdPassword
    );
    if uses_login && (login.is_empty() || !login.chars().all(is_printable_ascii)) {
        return Some(ExclusionReason::LoginUnusable);
    }
    let chars = match context.protection {
        Protection::None => return None,
        // One password for all: checked once for the job (validate::validate_password_not_origin).
        Protection::Password => return None,
        Protection::UserId => login.chars().count(),
        Protection::UserIdPassword => login.chars().count() + password.chars().count(),
    };
    if chars > limit {
        return Some(ExclusionReason::PasswordTooLong { chars, limit });
    }
    let origin = context.origin.trim();
    let equals_origin = match context.protection {
        Protection::UserId => login == origin,
        _ => {
            origin.len() == login.len() + password.len()
                && origin.starts_with(login)
                && origin.ends_with(password)
        }
    };
    equals_origin.then_some(ExclusionReason::PasswordEqualsOrigin)
}
