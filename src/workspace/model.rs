//! The workspace's data model: profiles and inventory tokens. Plain data; no I/O.

use crate::secret::Seed;
use crate::token::{Digits, Interval, KeySize, PinMode, Serial};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How a software token profile delivers tokens. Only `File` (SDTID files) can be distributed
/// by tokendist; the others are listed so the administrator sees why they cannot be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    File,
    Ctf,
    CtKip,
}

impl Delivery {
    /// Short label as written in the configuration (`file`, `ctf`, `ct-kip`).
    pub fn label(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Ctf => "ctf",
            Self::CtKip => "ct-kip",
        }
    }
}

/// Where the user's PIN goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PinType {
    /// PIN entered in the app and integrated into the tokencode (AddPIN 1, LocalPIN 1).
    Pinpad,
    /// PIN typed before the tokencode at login (AddPIN 0, LocalPIN 0).
    Fob,
    /// Tokencode only (AddPIN 0, LocalPIN 0); differs from `Fob` on the server only.
    None,
}

impl PinType {
    /// The SDTID PIN mode this PIN type is written as.
    pub fn pin_mode(self) -> PinMode {
        match self {
            Self::Pinpad => PinMode::from_flags(true, true),
            Self::Fob | Self::None => PinMode::from_flags(false, false),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pinpad => "pinpad",
            Self::Fob => "fob",
            Self::None => "none",
        }
    }
}

/// A software token profile: how one platform's tokens are configured and delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub delivery: Delivery,
    /// Platform label: Android, iOS, Windows, macOS, …
    pub device_type: String,
    /// Default DeviceSerialNumber: binds tokens to the device class rather than one device.
    pub device_class_id: String,
    pub key_bits: KeySize,
    pub digits: Digits,
    pub interval: Interval,
    pub pin_type: PinType,
    #[serde(default = "yes")]
    pub copy_protection: bool,
    /// True when the device-class id could not be confirmed against the vendor's
    /// documentation and must be checked against the site's own console.
    #[serde(default)]
    pub site_specific: bool,
}

fn yes() -> bool {
    true
}

impl Profile {
    /// Only file-based profiles can be used for a distribution job.
    pub fn is_distributable(&self) -> bool {
        self.delivery == Delivery::File
    }
}

/// The user a token is assigned to: login, first name and last name.
///
/// Held as one text allocation (16 bytes in the token) rather than three `String`s (72 bytes
/// and three heap blocks): an inventory holds one per assigned token, up to a million. The
/// text is the login's and the first name's byte lengths, each as a length code (base-64
/// digits, one ASCII byte each, so the fields start on character boundaries), then the three
/// fields back to back.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AssignedUser {
    packed: Box<str>,
}

impl AssignedUser {
    /// Any text is accepted and kept exactly: what a login or name may contain is checked
    /// where it comes in (an assignment CSV, the directory, an imported file), and the packed
    /// form has no length limit.
    pub fn new(login: &str, first_name: &str, last_name: &str) -> AssignedUser {
        let mut packed =
            String::with_capacity(2 * 2 + login.len() + first_name.len() + last_name.len());
        push_length(&mut packed, login.len());
        push_length(&mut packed, first_name.len());
        packed.push_str(login);
        packed.push_str(first_name);
        packed.push_str(last_name);
        AssignedUser {
            packed: packed.into_boxed_str(),
        }
    }

    pub fn login(&self) -> &str {
        self.fields().0
    }

    pub fn first_name(&self) -> &str {
        self.fields().1
    }

    pub fn last_name(&self) -> &str {
        self.fields().2
    }

    /// Replaces the login (the names are kept).
    pub fn set_login(&mut self, login: &str) {
        let (_, first_name, last_name) = self.fields();
        *self = AssignedUser::new(login, first_name, last_name);
    }

    /// Replaces the first name (login and last name are kept).
    pub fn set_first_name(&mut self, first_name: &str) {
        let (login, _, last_name) = self.fields();
        *self = AssignedUser::new(login, first_name, last_name);
    }

    /// Replaces the last name (login and first name are kept).
    pub fn set_last_name(&mut self, last_name: &str) {
        let (login, first_name, _) = self.fields();
        *self = AssignedUser::new(login, first_name, last_name);
    }

    /// Login, first name and last name.
    pub fn fields(&self) -> (&str, &str, &str) {
        let (login_len, rest) = take_length(&self.packed);
        let (first_len, rest) = take_length(rest);
        let (login, rest) = rest.split_at(login_len);
        let (first_name, last_name) = rest.split_at(first_len);
        (login, first_name, last_name)
    }
}

/// Appends a length as base-64 digits, most significant first, one ASCII byte each: `0x40`
/// marks a digit that more follow, so lengths below 64 take one byte.
fn push_length(packed: &mut String, len: usize) {
    let mut digits = [0u8; usize::BITS.div_ceil(6) as usize];
    let mut first = digits.len();
    let mut rest = len;
    loop {
        first -= 1;
        digits[first] = (rest & 0x3f) as u8;
        rest >>= 6;
        if rest == 0 {
            break;
        }
    }
    let last = digits.len() - 1;
    for (at, digit) in digits.iter().enumerate().skip(first) {
        let more = if at < last { 0x40 } else { 0 };
        packed.push(char::from(digit | more));
    }
}

/// Reads what [`push_length`] wrote at the front of `packed`; returns it and the text after.
fn take_length(packed: &str) -> (usize, &str) {
    let mut len = 0usize;
    for (at, byte) in packed.bytes().enumerate() {
        len = len << 6 | usize::from(byte & 0x3f);
        if byte & 0x40 == 0 {
            return (len, &packed[at + 1..]);
        }
    }
    unreachable!("an AssignedUser's text starts with two length codes")
}

impl std::fmt::Debug for AssignedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (login, first_name, last_name) = self.fields();
        f.debug_struct("AssignedUser")
            .field("login", &login)
            .field("first_name", &first_name)
            .field("last_name", &last_name)
            .finish()
    }
}

/// One distribution of a token by a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distribution {
    pub job_id: String,
    pub job_name: String,
    /// When the job completed (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub at: time::OffsetDateTime,
}

/// A token held in the inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryToken {
    pub serial: Serial,
    pub seed: Seed,
    pub key_size: KeySize,
    pub digits: Digits,
    pub interval: Interval,
    pub pin_mode: PinMode,
    pub birth: time::Date,
    /// Last valid day (SDTID `Death`).
    pub expires: time::Date,
    pub user: Option<AssignedUser>,
    /// Oldest first.
    pub distributions: Distributions,
}

impl InventoryToken {
    /// Expired on `today` (UTC) when `today` is after the last valid day.
    pub fn is_expired(&self, today: time::Date) -> bool {
        today > self.expires
    }
}

/// A token's distributions, oldest first. A job distributes up to a million tokens at once,
/// so every token it distributed shares one record ([`Distributions::push_shared`]) instead of
/// holding its own copy of the job's id and name: the common case, one distribution, costs no
/// allocation per token.
#[derive(Debug, Clone, Default)]
pub struct Distributions(Shared);

#[derive(Debug, Clone, Default)]
enum Shared {
    #[default]
    None,
    One(Arc<Distribution>),
    /// Boxed so that the rare token distributed more than once does not make every token's
    /// field wider (one thin pointer, not a slice's pointer and length).
    #[allow(clippy::box_collection)]
    Many(Box<Vec<Arc<Distribution>>>),
}

impl Distributions {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a distribution (as the newest).
    pub fn push(&mut self, distribution: Distribution) {
        self.push_shared(Arc::new(distribution));
    }

    /// Appends a distribution record shared with other tokens (as the newest).
    pub fn push_shared(&mut self, distribution: Arc<Distribution>) {
        self.0 = match std::mem::take(&mut self.0) {
            Shared::None => Shared::One(distribution),
            Shared::One(first) => Shared::Many(Box::new(vec![first, distribution])),
            Shared::Many(mut all) => {
                all.push(distribution);
                Shared::Many(all)
            }
        };
    }

    fn as_slice(&self) -> &[Arc<Distribution>] {
        match &self.0 {
            Shared::None => &[],
            Shared::One(one) => std::slice::from_ref(one),
            Shared::Many(all) => all,
        }
    }

    /// Oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Distribution> + ExactSizeIterator {
        self.as_slice().iter().map(|shared| &**shared)
    }

    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    pub fn is_empty(&self) -> bool {
        matches!(self.0, Shared::None)
    }

    /// The newest.
    pub fn last(&self) -> Option<&Distribution> {
        self.as_slice().last().map(|shared| &**shared)
    }

    pub fn clear(&mut self) {
        self.0 = Shared::None;
    }
}

impl PartialEq for Distributions {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Distributions {}

impl From<Vec<Distribution>> for Distributions {
    fn from(all: Vec<Distribution>) -> Self {
        let mut distributions = Self::new();
        for distribution in all {
            distributions.push(distribution);
        }
        distributions
    }
}

impl<'a> IntoIterator for &'a Distributions {
    type Item = &'a Distribution;
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, Arc<Distribution>>,
        fn(&'a Arc<Distribution>) -> &'a Distribution,
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter().map(|shared| &**shared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A million-token inventory holds a million of these: a field that makes the token
    /// wider costs a megabyte per byte (issue 12's goal is 160 bytes per token in all).
    #[test]
    fn a_token_stays_72_bytes() {
        assert_eq!(std::mem::size_of::<Option<AssignedUser>>(), 16);
        assert_eq!(std::mem::size_of::<Distributions>(), 16);
        assert_eq!(std::mem::size_of::<InventoryToken>(), 72);
    }

    #[test]
    fn an_assigned_user_gives_back_exactly_what_it_was_given() {
        let long = |len: usize| "é".repeat(len / 2) + &"x".repeat(len % 2);
        let cases = [
            (String::new(), String::new(), String::new()),
            (
                "jdoe".into(),
                "Zoë".into(),
                "Ødegård-Łukasiewicz 山田".into(),
            ),
            (long(63), long(64), long(65)),
            (long(4095), long(4096), String::new()),
            (long(1 << 20), "A".into(), long(300)),
            ("@@@".into(), "\u{7f}\0".into(), "\u{10ffff}".into()),
        ];
        for (login, first_name, last_name) in &cases {
            let user = AssignedUser::new(login, first_name, last_name);
            assert_eq!(
                user.fields(),
                (login.as_str(), first_name.as_str(), last_name.as_str())
            );
            assert_eq!(user.login(), login);
            assert_eq!(user.first_name(), first_name);
            assert_eq!(user.last_name(), last_name);
        }
        // Equal exactly when all three fields are: moving text between fields is a change.
        assert_ne!(
            AssignedUser::new("ab", "c", ""),
            AssignedUser::new("a", "bc", "")
        );
        assert_ne!(
            AssignedUser::new("a", "", "b"),
            AssignedUser::new("a", "b", "")
        );
        assert_eq!(
            AssignedUser::new("a", "b", "c"),
            AssignedUser::new("a", "b", "c")
        );
        let mut user = AssignedUser::new("jdoe", "Jane", "Doe");
        user.set_login("jroe");
        user.set_first_name("Joan");
        user.set_last_name("Roe-Smith");
        assert_eq!(user.fields(), ("jroe", "Joan", "Roe-Smith"));
        assert_eq!(
            format!("{user:?}"),
            r#"AssignedUser { login: "jroe", first_name: "Joan", last_name: "Roe-Smith" }"#
        );
    }
}
