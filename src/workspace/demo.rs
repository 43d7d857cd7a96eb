//! A ready demo workspace: a few hundred tokens with random seeds, most assigned to made-up
//! users, and a few that the job rules will exclude (unassigned, expired, 64-bit, already
//! distributed, 6-digit/30-second). Used by `tokendist demo` and the wizard's `--demo`.
//!
//! The "already distributed" tokens are distributed for real, by a completed job named
//! [`PILOT_JOB`] that the demo runs when it is created, so the inventory, the job history and
//! the staged output tell the same story (and the pilot's ZIP can be downloaded).

use super::model::{AssignedUser, InventoryToken};
use super::{Inventory, KdfParams, Workspace, WorkspaceError};
use crate::secret::{SecretString, Seed};
use crate::token::{Digits, Interval, KeySize, PinMode, Serial};
use std::path::Path;
use time::{Date, Duration, OffsetDateTime};

/// The demo workspace's passphrase.
pub const DEMO_PASSPHRASE: &str = "demo";
/// Number of tokens in the demo inventory.
pub const DEMO_TOKEN_COUNT: u64 = 300;
/// First demo serial; the others follow.
pub const DEMO_FIRST_SERIAL: u64 = 500_000_001;
/// The job that distributed the demo's pilot tokens.
pub const PILOT_JOB: &str = "Pilot rollout";
/// The password of the pilot job's token files.
pub const PILOT_PASSWORD: &str = "pilot-demo";

const FIRST_NAMES: [&str; 24] = [
    "Alice",
    "Bruno",
    "Chloe",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ingrid",
    "Jamal",
    "Katarzyna",
    "Liam",
    "Mei",
    "Nadia",
    "Oscar",
    "Priya",
    "Quentin",
    "Rosa",
    "Samuel",
    "Tomas",
    "Uma",
    "Viktor",
    "Wanjiru",
    "Yusuf",
];
const LAST_NAMES: [&str; 16] = [
    "Andersen", "Baptiste", "Costa", "Dubois", "Eriksson", "Fischer", "Garcia", "Hughes",
    "Ivanova", "Jensen", "Kowalski", "Laurent", "Moreau", "Nakamura", "O'Neill", "Petrov",
];

/// Creates a demo workspace in `dir` (which must not hold one) with passphrase `demo`.
pub fn create_demo(dir: &Path) -> Result<Workspace, WorkspaceError> {
    create_demo_at(dir, KdfParams::PRODUCTION, OffsetDateTime::now_utc())
}

/// [`create_demo`] with the key derivation and the clock given: the user guide's captures
/// of the demo come from one made at a fixed time, so they do not change from day to day.
pub fn create_demo_at(
    dir: &Path,
    kdf: KdfParams,
    now: OffsetDateTime,
) -> Result<Workspace, WorkspaceError> {
    let passphrase = SecretString::from(DEMO_PASSPHRASE);
    let mut workspace = Workspace::init_with_kdf(dir, &passphrase, kdf)?;
    let tokens = demo_tokens(now.date());
    workspace.update_inventory(|inventory| {
        *inventory = Inventory::from_tokens(tokens).expect("demo serials are distinct");
        Ok(())
    })?;
    run_pilot_job(&mut workspace, now)?;
    Ok(workspace)
}

/// Indexes (from the first serial) of the tokens the pilot job distributes; the unassigned
/// one among them is left out by the job's rules, as a real pilot would leave it.
fn is_pilot(index: u64) -> bool {
    matches!(index % 50, 2 | 3)
}

/// Distributes the pilot tokens with a real job, recorded in the history.
fn run_pilot_job(workspace: &mut Workspace, now: OffsetDateTime) -> Result<(), WorkspaceError> {
    let today = now.date();
    use crate::jobs::{
        self, Binding, History, JobSpec, Protection, SelectionCriteria, SerialRange,
    };
    let failed = |error: String| WorkspaceError::Invalid(format!("demo pilot job: {error}"));
    let mut history = History::open(&*workspace).map_err(|e| failed(e.to_string()))?;
    let serial_ranges = (0..DEMO_TOKEN_COUNT)
        .filter(|index| is_pilot(*index))
        .map(|index| {
            SerialRange::single(
                Serial::from_value(DEMO_FIRST_SERIAL + index).expect("demo serials fit"),
            )
        })
        .collect();
    let spec = JobSpec {
        name: PILOT_JOB.into(),
        profile: "Android".into(),
        binding: Binding::DeviceClass,
        nickname: Some("Pilot".into()),
        protection: Protection::Password,
        password: Some(SecretString::from(PILOT_PASSWORD)),
        selection: SelectionCriteria {
            serial_ranges,
            ..SelectionCriteria::default()
        },
    };
    let prepared =
        jobs::prepare(workspace, &history, spec, today).map_err(|e| failed(e.to_string()))?;
    let handle =
        jobs::start(&*workspace, &mut history, prepared, now).map_err(|e| failed(e.to_string()))?;
    let outcome = handle.wait(|_| {});
    let record =
        jobs::finish(workspace, &mut history, outcome, now).map_err(|e| failed(e.to_string()))?;
    if !record.has_output() {
        return Err(failed(format!(
            "it ended {}: {}",
            record.status.label(),
            record.error.unwrap_or_default()
        )));
    }
    Ok(())
}

/// The demo tokens for `today` (random seeds; everything else is fixed).
pub fn demo_tokens(today: Date) -> Vec<InventoryToken> {
    (0..DEMO_TOKEN_COUNT)
        .map(|index| {
            let serial =
                Serial::from_value(DEMO_FIRST_SERIAL + index).expect("demo serials fit 12 digits");
            let mut token = InventoryToken {
                serial,
                seed: Seed::random(),
                key_size: KeySize::Bits128,
                digits: Digits::EIGHT,
                interval: Interval::Seconds60,
                pin_mode: PinMode::from_flags(true, true),
                birth: today - Duration::days(30),
                expires: today + Duration::days(3 * 365),
                user: demo_user(index),
                distributions: Default::default(),
            };
            match index % 50 {
                // 6-digit, 30-second tokens for the "Android 6-digit 30s" profile.
                7 | 19 | 33 => {
                    token.digits = Digits::SIX;
                    token.interval = Interval::Seconds30;
                    token.pin_mode = PinMode::from_flags(false, false);
                }
                // Legacy 64-bit tokens: excluded from 128-bit profiles.
                11 | 41 => {
                    token.key_size = KeySize::Bits64;
                    token.digits = Digits::SIX;
                    token.pin_mode = PinMode::from_flags(false, false);
                }
                // Expired tokens.
                23 => {
                    token.birth = today - Duration::days(5 * 365);
                    token.expires = today - Duration::days(10 + index as i64 / 50);
                }
                // Distributed by the pilot job (see `run_pilot_job`).
                _ => {}
            }
            token
        })
        .collect()
}

/// Most tokens belong to a user; every 12th (and a few others) is left unassigned.
fn demo_user(index: u64) -> Option<AssignedUser> {
    if index % 12 == 5 || index % 50 == 29 {
        return None;
    }
    let first = FIRST_NAMES[(index as usize * 7) % FIRST_NAMES.len()];
    let last = LAST_NAMES[(index as usize * 5 + index as usize / 16) % LAST_NAMES.len()];
    let login = format!("{}{}{}", ascii_initial(first), ascii_login(last), index);
    Some(AssignedUser::new(&login, first, last))
}

fn ascii_initial(name: &str) -> char {
    name.chars().next().map_or('x', |c| c.to_ascii_lowercase())
}

fn ascii_login(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_demo_has_something_for_every_job_rule() {
        let today = date!(2026 - 06 - 01);
        let tokens = demo_tokens(today);
        assert_eq!(tokens.len() as u64, DEMO_TOKEN_COUNT);
        let count = |f: &dyn Fn(&InventoryToken) -> bool| tokens.iter().filter(|t| f(t)).count();
        let unassigned = count(&|t| t.user.is_none());
        assert!(unassigned > 10 && unassigned < 60, "{unassigned}");
        assert!(count(&|t| t.is_expired(today)) >= 3);
        assert!(count(&|t| t.key_size == KeySize::Bits64) >= 6);
        assert!(count(&|t| t.digits == Digits::SIX && t.interval == Interval::Seconds30) >= 9);
        let pilot = (0..DEMO_TOKEN_COUNT).filter(|i| is_pilot(*i)).count();
        assert!(pilot >= 6, "{pilot}");
        let logins: std::collections::HashSet<_> = tokens
            .iter()
            .filter_map(|t| t.user.as_ref())
            .map(|u| u.login().to_owned())
            .collect();
        assert_eq!(logins.len(), tokens.len() - unassigned, "logins are unique");
        assert!(
            logins
                .iter()
                .all(|l| l.bytes().all(|b| b.is_ascii_alphanumeric()))
        );
        assert_eq!(tokens[0].serial.as_str(), "000500000001");
    }
}
