//! The console's rules for each field of a job, one validator per wizard panel so the TUI can
//! check as the administrator types, and [`validate_spec`] for the CLI, which checks them all
//! at once. Messages are in words an administrator understands and name what to change.

use super::spec::{Binding, JobField, JobSpec, Protection, SelectionCriteria};
use crate::secret::SecretString;
use crate::token::KeySize;
use crate::workspace::Profile;
use std::fmt;

/// Longest job name, in characters after trimming.
pub const NAME_MAX_CHARS: usize = 128;
/// Longest specific device id (DeviceSerialNumber) we write.
pub const DEVICE_ID_MAX_CHARS: usize = 64;
/// Longest nickname; the apps show it in a narrow list.
pub const NICKNAME_MAX_CHARS: usize = 24;

/// One rule a field breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: JobField,
    pub message: String,
}

impl FieldError {
    pub fn new(field: JobField, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", field_label(self.field), self.message)
    }
}

impl std::error::Error for FieldError {}

/// The field's name as the wizard and the review show it.
pub fn field_label(field: JobField) -> &'static str {
    match field {
        JobField::Name => "job name",
        JobField::Profile => "profile",
        JobField::DeviceId => "device id",
        JobField::Nickname => "nickname",
        JobField::Protection => "protection",
        JobField::Password => "password",
        JobField::Selection => "token selection",
    }
}

/// Checks a job name and returns it trimmed, the form that is stored.
///
/// `existing` are the names of the jobs in the history; names compare case-insensitively.
pub fn validate_name<'a>(
    name: &str,
    existing: impl IntoIterator<Item = &'a str>,
) -> Result<String, FieldError> {
    let trimmed = name.trim();
    let error = |message: String| Err(FieldError::new(JobField::Name, message));
    if trimmed.is_empty() {
        return error("enter a name for the job".into());
    }
    let chars = trimmed.chars().count();
    if chars > NAME_MAX_CHARS {
        return error(format!(
            "is {chars} characters long; use at most {NAME_MAX_CHARS}"
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return error("must not contain control characters (tabs, line breaks, …)".into());
    }
    if let Some(hidden) = trimmed
        .chars()
        .find(|&c| crate::text::is_invisible_format(c))
    {
        return error(format!(
            "must not contain invisible characters ({}: a direction override or zero-width character makes the name read as another)",
            describe_char(hidden)
        ));
    }
    if looks_like_job_id(trimmed) {
        return error(
            "has the form of a job id (YYYYMMDD-HHMMSS-xxxx); commands take a job's id or name, so choose a name that cannot be taken for an id"
                .into(),
        );
    }
    let folded = trimmed.to_lowercase();
    if let Some(taken) = existing
        .into_iter()
        .find(|other| other.trim().to_lowercase() == folded)
    {
        return error(format!(
            "a job named {taken:?} already exists; choose another name"
        ));
    }
    Ok(trimmed.to_owned())
}

/// True for text of the shape job ids have (`YYYYMMDD-HHMMSS-` then hex digits): a job with
/// such a name could be confused with another job's id by `jobs show`, `download`, `delete`.
fn looks_like_job_id(text: &str) -> bool {
    let mut parts = text.split('-');
    let (Some(date), Some(time), Some(suffix), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    date.len() == 8
        && date.bytes().all(|b| b.is_ascii_digit())
        && time.len() == 6
        && time.bytes().all(|b| b.is_ascii_digit())
        && !suffix.is_empty()
        && suffix.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A name for a new job, from the date and time, made unique among `existing` by a suffix.
pub fn default_job_name<'a>(
    now: time::OffsetDateTime,
    existing: impl IntoIterator<Item = &'a str>,
) -> String {
    let taken: std::collections::HashSet<String> = existing
        .into_iter()
        .map(|name| name.trim().to_lowercase())
        .collect();
    let base = format!("Distribution {}", super::history::minute_text(now));
    if !taken.contains(&base.to_lowercase()) {
        return base;
    }
    (2..)
        .map(|n| format!("{base} ({n})"))
        .find(|candidate| !taken.contains(&candidate.to_lowercase()))
        .expect("an unbounded counter always finds a free name")
}

/// Finds the profile by name (exact, else ignoring ASCII case) and checks it can deliver files.
pub fn validate_profile<'a>(
    name: &str,
    profiles: &'a [Profile],
) -> Result<&'a Profile, FieldError> {
    let error = |message: String| Err(FieldError::new(JobField::Profile, message));
    if name.trim().is_empty() {
        return error("choose a software token profile".into());
    }
    let found = profiles
        .iter()
        .find(|profile| profile.name == name)
        .or_else(|| {
            profiles
                .iter()
                .find(|profile| profile.name.eq_ignore_ascii_case(name.trim()))
        });
    let Some(profile) = found else {
        let known: Vec<&str> = profiles
            .iter()
            .map(|profile| profile.name.as_str())
            .collect();
        return error(format!(
            "no profile named {name:?} (profiles: {})",
            known.join(", ")
        ));
    };
    if !profile.is_distributable() {
        return error(format!(
            "profile {:?} delivers by {}; only profiles that deliver by file can be distributed as token files",
            profile.name,
            profile.delivery.label()
        ));
    }
    if let Err(problem) = validate_device_id(&profile.device_class_id) {
        return error(format!(
            "profile {:?} has a device-class id that token files cannot carry ({}); fix it in tokendist.toml",
            profile.name, problem.message
        ));
    }
    Ok(profile)
}

/// Checks a specific device id (the DeviceSerialNumber one device reports).
pub fn validate_device_id(id: &str) -> Result<(), FieldError> {
    let error = |message: String| Err(FieldError::new(JobField::DeviceId, message));
    if id.is_empty() {
        return error("enter the device id, or keep the profile's device class".into());
    }
    if id.trim() != id {
        return error("must not begin or end with a space".into());
    }
    let chars = id.chars().count();
    if chars > DEVICE_ID_MAX_CHARS {
        return error(format!(
            "is {chars} characters long; use at most {DEVICE_ID_MAX_CHARS}"
        ));
    }
    if let Some(bad) = id.chars().find(|c| !is_printable_ascii(*c)) {
        return error(format!(
            "may contain only printable ASCII characters (letters, digits, punctuation); found {}",
            describe_char(bad)
        ));
    }
    Ok(())
}

/// Checks the binding: the device-class binding is always valid, a device id must be.
pub fn validate_binding(binding: &Binding) -> Result<(), FieldError> {
    match binding {
        Binding::DeviceClass => Ok(()),
        Binding::Device(id) => validate_device_id(id),
    }
}

/// Checks the optional nickname (`None` or empty: the file carries none).
pub fn validate_nickname(nickname: Option<&str>) -> Result<(), FieldError> {
    let Some(nickname) = nickname.filter(|text| !text.is_empty()) else {
        return Ok(());
    };
    let error = |message: String| Err(FieldError::new(JobField::Nickname, message));
    if nickname.trim() != nickname {
        return error("must not begin or end with a space".into());
    }
    let chars = nickname.chars().count();
    if chars > NICKNAME_MAX_CHARS {
        return error(format!(
            "is {chars} characters long; use at most {NICKNAME_MAX_CHARS}"
        ));
    }
    if let Some(bad) = nickname.chars().find(|c| !is_printable_ascii(*c)) {
        return error(format!(
            "may contain only printable ASCII characters (letters, digits, punctuation, space); found {}",
            describe_char(bad)
        ));
    }
    Ok(())
}

/// The length rule for the chosen protection and key size, in words, for the wizard to show
/// before anything is typed.
pub fn password_rule(protection: Protection, key_size: KeySize) -> String {
    let limit = key_size.max_password_chars();
    let bits = key_size.bits();
    match protection {
        Protection::None => "no password: anyone who has a file can import its token".into(),
        Protection::Password => format!(
            "1–{limit} printable ASCII characters for {bits}-bit tokens (letters, digits, punctuation; users type it on phones)"
        ),
        Protection::UserId => format!(
            "each file's password is its user's login, which must be 1–{limit} printable ASCII characters for {bits}-bit tokens; longer logins are excluded"
        ),
        Protection::UserIdPassword => format!(
            "each file's password is the user's login followed by this password: together at most {limit} printable ASCII characters for {bits}-bit tokens; users whose login is too long are excluded"
        ),
    }
}

/// Checks the job password for the chosen protection and key size.
///
/// For `user-id+password` the password needs room for at least a one-character login; the
/// per-user limit is checked when tokens are selected.
pub fn validate_password(
    protection: Protection,
    password: Option<&SecretString>,
    key_size: KeySize,
) -> Result<(), FieldError> {
    let error = |message: String| Err(FieldError::new(JobField::Password, message));
    let limit = key_size.max_password_chars();
    let bits = key_size.bits();
    if !protection.needs_password() {
        return match password {
            Some(password) if !password.is_empty() => error(format!(
                "protection {:?} takes no job password; remove it or choose password protection",
                protection.label()
            )),
            _ => Ok(()),
        };
    }
    let Some(password) = password.filter(|password| !password.is_empty()) else {
        return error(format!(
            "enter a password (1–{limit} printable ASCII characters)"
        ));
    };
    let text = password.expose();
    if let Some(bad) = text.chars().find(|c| !is_printable_ascii(*c)) {
        // Never echo the character itself: it is part of a secret.
        let what = if bad.is_control() {
            "a control character"
        } else {
            "a non-ASCII character"
        };
        return error(format!(
            "contains {what}; use printable ASCII only (letters, digits, punctuation, space), as users type it on phones"
        ));
    }
    if text.starts_with(' ') || text.ends_with(' ') {
        return error("must not begin or end with a space (easy to miss when typing it)".into());
    }
    let chars = password.char_len();
    match protection {
        Protection::Password if chars > limit => error(format!(
            "is {chars} characters long; {bits}-bit tokens allow at most {limit}"
        )),
        Protection::UserIdPassword if chars >= limit => error(format!(
            "is {chars} characters long; the login and the password together may have at most {limit} characters for {bits}-bit tokens, so the password must leave room for the login"
        )),
        _ => Ok(()),
    }
}

/// A file whose password equals its `Origin` header value cannot be told apart from an
/// unprotected one (readers try `Origin` first), so such a job password is refused.
pub fn validate_password_not_origin(
    password: Option<&SecretString>,
    origin: &str,
) -> Result<(), FieldError> {
    match password {
        Some(password) if !password.is_empty() && password.expose() == origin.trim() => {
            Err(FieldError::new(
                JobField::Password,
                "is the same as the files' Origin header value, which would leave the files unprotected; choose another password",
            ))
        }
        _ => Ok(()),
    }
}

/// Checks that the confirmation matches (the wizard asks twice; the CLI reads it once).
pub fn validate_password_confirmation(
    password: &SecretString,
    confirmation: &SecretString,
) -> Result<(), FieldError> {
    if password == confirmation {
        Ok(())
    } else {
        Err(FieldError::new(
            JobField::Password,
            "the two passwords do not match",
        ))
    }
}

/// Checks the selection criteria themselves (not the tokens they select).
pub fn validate_criteria(criteria: &SelectionCriteria) -> Result<(), FieldError> {
    let error = |message: String| Err(FieldError::new(JobField::Selection, message));
    if let Some(glob) = &criteria.user_glob
        && let Err(reason) = super::select::compile_user_glob(glob)
    {
        return error(reason);
    }
    if criteria.max_count == Some(0) {
        return error("the maximum count must be at least 1".into());
    }
    for range in &criteria.serial_ranges {
        if range.from > range.to {
            return error(format!(
                "serial range {range}: the first serial is greater than the last"
            ));
        }
    }
    Ok(())
}

/// Every rule at once, in panel order. Returns the profile on success.
pub fn validate_spec<'p, 'n>(
    spec: &JobSpec,
    profiles: &'p [Profile],
    existing_names: impl IntoIterator<Item = &'n str>,
) -> Result<&'p Profile, Vec<FieldError>> {
    let mut errors = Vec::new();
    if let Err(error) = validate_name(&spec.name, existing_names) {
        errors.push(error);
    }
    let profile = validate_profile(&spec.profile, profiles)
        .map_err(|error| errors.push(error))
        .ok();
    if let Err(error) = validate_binding(&spec.binding) {
        errors.push(error);
    }
    if let Err(error) = validate_nickname(spec.nickname.as_deref()) {
        errors.push(error);
    }
    if let Some(profile) = profile
        && let Err(error) =
            validate_password(spec.protection, spec.password.as_ref(), profile.key_bits)
    {
        errors.push(error);
    }
    if let Err(error) = validate_criteria(&spec.selection) {
        errors.push(error);
    }
    match profile {
        Some(profile) if errors.is_empty() => Ok(profile),
        _ => Err(errors),
    }
}

/// The rules of the listed fields only (one wizard panel's), in panel order. The password is
/// checked against the chosen profile's key size, so it is skipped while the profile is not
/// valid; `origin` is the files' `Origin` header value (`Config::header.origin`).
pub fn validate_fields<'n>(
    spec: &JobSpec,
    profiles: &[Profile],
    existing_names: impl IntoIterator<Item = &'n str>,
    origin: &str,
    fields: &[JobField],
) -> Vec<FieldError> {
    let wants = |field| fields.contains(&field);
    let mut errors = Vec::new();
    if wants(JobField::Name)
        && let Err(error) = validate_name(&spec.name, existing_names)
    {
        errors.push(error);
    }
    let profile = validate_profile(&spec.profile, profiles);
    if wants(JobField::Profile)
        && let Err(error) = &profile
    {
        errors.push(error.clone());
    }
    if wants(JobField::DeviceId)
        && let Err(error) = validate_binding(&spec.binding)
    {
        errors.push(error);
    }
    if wants(JobField::Nickname)
        && let Err(error) = validate_nickname(spec.nickname.as_deref())
    {
        errors.push(error);
    }
    if wants(JobField::Password)
        && let Ok(profile) = profile
    {
        let password = spec.password.as_ref();
        let checked =
            validate_password(spec.protection, password, profile.key_bits).and_then(|()| {
                if spec.protection == Protection::Password {
                    validate_password_not_origin(password, origin)
                } else {
                    Ok(())
                }
            });
        if let Err(error) = checked {
            errors.push(error);
        }
    }
    if wants(JobField::Selection)
        && let Err(error) = validate_criteria(&spec.selection)
    {
        errors.push(error);
    }
    errors
}

/// The DeviceSerialNumber the files carry for this binding.
pub fn device_serial_number<'a>(binding: &'a Binding, profile: &'a Profile) -> &'a str {
    match binding {
        Binding::DeviceClass => &profile.device_class_id,
        Binding::Device(id) => id,
    }
}

/// Space through tilde: what users can type on any phone keyboard.
pub fn is_printable_ascii(c: char) -> bool {
    (' '..='~').contains(&c)
}

fn describe_char(c: char) -> String {
    if c.is_control() {
        format!("the control character U+{:04X}", c as u32)
    } else {
        format!("{c:?} (U+{:04X})", c as u32)
    }
}
