//! What an administrator asks a job to do: the fields of the console's wizard steps.

use crate::secret::SecretString;
use crate::token::Serial;
use serde::{Deserialize, Serialize};

/// How the output files are protected (wizard step 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protection {
    /// No password: the file is protected only by its `Origin` (anyone with it can import).
    None,
    /// One password for every file of the job.
    Password,
    /// Each file's password is its user's login.
    UserId,
    /// Each file's password is its user's login followed by the job password.
    #[serde(rename = "user-id+password")]
    UserIdPassword,
}

impl Protection {
    pub const ALL: [Protection; 4] = [
        Protection::Password,
        Protection::None,
        Protection::UserId,
        Protection::UserIdPassword,
    ];

    /// True when the administrator must type a job password.
    pub fn needs_password(self) -> bool {
        matches!(self, Self::Password | Self::UserIdPassword)
    }

    /// The CLI spelling (`none`, `password`, `user-id`, `user-id+password`).
    pub fn label(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Password => "password",
            Self::UserId => "user-id",
            Self::UserIdPassword => "user-id+password",
        }
    }

    /// Words for the review summary and the wizard.
    pub fn describe(self) -> &'static str {
        match self {
            Self::None => "no password",
            Self::Password => "password",
            Self::UserId => "user ID",
            Self::UserIdPassword => "user ID followed by password",
        }
    }
}

/// What goes into each file's DeviceSerialNumber (wizard step 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "id")]
pub enum Binding {
    /// The profile's device-class id: any device of that class may import the token.
    DeviceClass,
    /// One specific device id: only that device may import the token.
    Device(String),
}

/// An inclusive serial range; a single serial is a range of one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerialRange {
    pub from: Serial,
    pub to: Serial,
}

impl SerialRange {
    pub fn contains(&self, serial: &Serial) -> bool {
        (&self.from..=&self.to).contains(&serial)
    }

    /// A range of one serial.
    pub fn single(serial: Serial) -> Self {
        Self {
            from: serial.clone(),
            to: serial,
        }
    }

    /// Parses `FROM-TO` (inclusive, FROM not after TO) or a single `SERIAL`.
    pub fn parse(text: &str) -> Result<Self, SerialRangeError> {
        let bad = |reason: String| SerialRangeError {
            text: text.chars().take(60).collect(),
            reason,
        };
        let serial = |part: &str| Serial::parse(part.trim()).map_err(|e| bad(e.to_string()));
        let range = match text.split_once('-') {
            Some((from, to)) => SerialRange {
                from: serial(from)?,
                to: serial(to)?,
            },
            None => {
                let one = serial(text)?;
                SerialRange {
                    from: one.clone(),
                    to: one,
                }
            }
        };
        if range.from > range.to {
            return Err(bad(format!("{} comes after {}", range.from, range.to)));
        }
        Ok(range)
    }
}

impl std::fmt::Display for SerialRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

/// Why a `--serials` value is not a serial range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "serial range {text:?}: {reason} (expected FROM-TO or one serial, e.g. 000500000001-000500000100)"
)]
pub struct SerialRangeError {
    pub text: String,
    pub reason: String,
}

/// Which inventory tokens the job distributes (wizard step 7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionCriteria {
    /// Empty means every serial.
    pub serial_ranges: Vec<SerialRange>,
    /// Shell-style glob on the assigned user's login (`*`, `?`, `[..]`).
    pub user_glob: Option<String>,
    /// Include tokens that an earlier job already distributed (they will stop working for
    /// their current users until the new file is imported).
    pub include_distributed: bool,
    /// Leave expired tokens out (the default) or keep them in the exclusion list anyway.
    pub exclude_expired: bool,
    /// Take at most this many tokens (in serial order).
    pub max_count: Option<usize>,
}

impl Default for SelectionCriteria {
    fn default() -> Self {
        Self {
            serial_ranges: Vec::new(),
            user_glob: None,
            include_distributed: false,
            exclude_expired: true,
            max_count: None,
        }
    }
}

/// A job as the administrator filled it in. The password is never serialised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSpec {
    pub name: String,
    pub profile: String,
    pub binding: Binding,
    pub nickname: Option<String>,
    pub protection: Protection,
    #[serde(skip)]
    pub password: Option<SecretString>,
    pub selection: SelectionCriteria,
}

/// The field a validation message is about, so the TUI can show it on the right panel and the
/// CLI can name the flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobField {
    Name,
    Profile,
    DeviceId,
    Nickname,
    Protection,
    Password,
    Selection,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serial(text: &str) -> Serial {
        Serial::parse(text).unwrap()
    }

    #[test]
    fn parses_ranges_and_single_serials() {
        let range = SerialRange::parse("100-200").unwrap();
        assert_eq!((range.from.value(), range.to.value()), (100, 200));
        assert!(range.contains(&serial("150")) && !range.contains(&serial("201")));
        assert_eq!(
            SerialRange::parse(" 000000000042 ").unwrap(),
            SerialRange::single(serial("42"))
        );
        assert_eq!(
            SerialRange::parse("7-7").unwrap().to_string(),
            "000000000007"
        );
        assert_eq!(
            SerialRange::parse("1-2").unwrap().to_string(),
            "000000000001-000000000002"
        );
    }

    #[test]
    fn explains_what_is_wrong() {
        for bad in ["200-100", "1-2-3", "", "12a-20", "1-"] {
            let message = SerialRange::parse(bad).unwrap_err().to_string();
            assert!(message.contains(&format!("{bad:?}")), "{message}");
        }
        assert!(
            SerialRange::parse("200-100")
                .unwrap_err()
                .reason
                .contains("comes after")
        );
    }
}
