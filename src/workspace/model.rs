//! The workspace's data model: profiles and inventory tokens. Plain data; no I/O.

use crate::secret::Seed;
use crate::token::{Digits, Interval, KeySize, PinMode, Serial};
use serde::{Deserialize, Serialize};

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
    pub distributions: Vec<Distribution>,
}

impl InventoryToken {
    /// Expired on `today` (UTC) when `today` is after the last valid day.
    pub fn is_expired(&self, today: time::Date) -> bool {
        today > self.expires
    }
}
