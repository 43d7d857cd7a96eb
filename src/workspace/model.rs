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

/// The user a token is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignedUser {
    pub login: String,
    pub first_name: String,
    pub last_name: String,
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
    Many(Box<[Arc<Distribution>]>),
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
            Shared::One(first) => Shared::Many(Box::new([first, distribution])),
            Shared::Many(all) => {
                let mut all = all.into_vec();
                all.push(distribution);
                Shared::Many(all.into_boxed_slice())
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
