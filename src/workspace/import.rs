//! Importing token record files: every MAC verified and every seed decrypted before anything
//! is added (all or nothing); serials already held are reported and skipped, or replaced.

use super::WorkspaceError;
use super::inventory::Inventory;
use super::model::{AssignedUser, InventoryToken};
use crate::sdtid::{self, SdtidToken};
use crate::secret::SecretString;
use crate::token::Serial;
use std::path::Path;
use zeroize::Zeroizing;

/// Why an imported token was not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// The inventory already holds this serial with the same seed (a re-import).
    AlreadyHeld,
    /// The inventory holds this serial with a different seed: a conflict the administrator must
    /// resolve (`--replace` takes the file's token).
    AlreadyHeldDifferentSeed,
}

impl SkipReason {
    /// Why `incoming` is skipped when `held` already has its serial.
    fn held(held: &InventoryToken, incoming: &InventoryToken) -> SkipReason {
        if held.seed == incoming.seed {
            Self::AlreadyHeld
        } else {
            Self::AlreadyHeldDifferentSeed
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::AlreadyHeld => "already in the inventory (same seed)",
            Self::AlreadyHeldDifferentSeed => {
                "already in the inventory with a DIFFERENT seed (use --replace to take the file's token)"
            }
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub imported: Vec<Serial>,
    pub replaced: Vec<Serial>,
    pub skipped: Vec<(Serial, SkipReason)>,
    /// Added tokens whose user login or names are not printable ASCII: token files cannot carry
    /// them, so they must be reassigned with ASCII names before they can be distributed.
    pub non_ascii_users: Vec<Serial>,
}

impl ImportReport {
    /// Lists an added token whose user cannot go into a token file as it is.
    fn note_user(&mut self, token: &InventoryToken) {
        if token
            .user
            .as_ref()
            .is_some_and(|user| !printable_ascii(user))
        {
            self.non_ascii_users.push(token.serial.clone());
        }
    }
}

fn printable_ascii(user: &AssignedUser) -> bool {
    [&user.login, &user.first_name, &user.last_name]
        .iter()
        .all(|text| text.bytes().all(|b| (b' '..=b'~').contains(&b)))
}

/// Reads a token record file's bytes, wiped when dropped. Read once, then decoded with
/// [`tokens_from_record_file`] (a second time with a typed password when it turns out to need
/// one), so both attempts see the same bytes.
pub fn read_record_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, WorkspaceError> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(WorkspaceError::io("read", path))
}

/// Decodes a token record file read from `path`: parses it, verifies every MAC and decrypts
/// every seed. Any failure rejects the whole file; errors name `path`.
pub fn tokens_from_record_file(
    bytes: &[u8],
    path: &Path,
    password: Option<&SecretString>,
) -> Result<Vec<InventoryToken>, WorkspaceError> {
    decode_record_file(bytes, password)
        .map_err(|source| WorkspaceError::TokenFile {
            path: path.to_path_buf(),
            source,
        })
        .and_then(|tokens| {
            check_unique(&tokens).map_err(|serial| {
                WorkspaceError::Invalid(format!(
                    "{}: serial {serial} appears more than once",
                    path.display()
                ))
            })?;
            Ok(tokens)
        })
}

/// [`tokens_from_record_file`] without the file name and the duplicate-serial check.
pub fn decode_record_file(
    bytes: &[u8],
    password: Option<&SecretString>,
) -> Result<Vec<InventoryToken>, sdtid::SdtidError> {
    let batch = sdtid::parse(bytes)?;
    let decrypted = batch.decrypt(password)?;
    Ok(decrypted.tokens.into_iter().map(inventory_token).collect())
}

fn check_unique(tokens: &[InventoryToken]) -> Result<(), Serial> {
    let mut serials: Vec<&Serial> = tokens.iter().map(|t| &t.serial).collect();
    serials.sort_unstable();
    match serials.windows(2).find(|pair| pair[0] == pair[1]) {
        Some(pair) => Err(pair[0].clone()),
        None => Ok(()),
    }
}

/// A decrypted file token as an inventory token; a blank login means "not assigned".
fn inventory_token(token: SdtidToken) -> InventoryToken {
    let user = (!token.user.login.trim().is_empty()).then(|| AssignedUser {
        login: token.user.login.trim().to_owned(),
        first_name: token.user.first_name.trim().to_owned(),
        last_name: token.user.last_name.trim().to_owned(),
    });
    InventoryToken {
        serial: token.serial.clone(),
        seed: token.seed.clone(),
        key_size: token.attributes.key_size,
        digits: token.attributes.digits,
        interval: token.attributes.interval,
        pin_mode: token.attributes.pin_mode,
        birth: token.attributes.birth,
        expires: token.attributes.death,
        user,
        distributions: Vec::new(),
    }
}

/// Adds `tokens` to `inventory`. A serial already held is skipped, or with `replace` takes the
/// file's token: the file's user if it names one (else the current assignment stays), and the
/// distribution history only while the seed is unchanged (files made from the old seed no
/// longer matter to the new one).
pub fn apply_import(
    inventory: &mut Inventory,
    tokens: Vec<InventoryToken>,
    replace: bool,
) -> ImportReport {
    let mut report = ImportReport::default();
    let mut new: Vec<InventoryToken> = Vec::new();
    // Serials added by this call, so a list holding a serial twice cannot add it twice.
    let mut added: std::collections::HashMap<Serial, usize> = std::collections::HashMap::new();
    for mut token in tokens {
        if let Some(&at) = added.get(&token.serial) {
            let reason = SkipReason::held(&new[at], &token);
            report.skipped.push((token.serial, reason));
            continue;
        }
        match inventory.get_mut(&token.serial) {
            None => {
                report.imported.push(token.serial.clone());
                report.note_user(&token);
                added.insert(token.serial.clone(), new.len());
                new.push(token);
            }
            Some(held) => {
                if !replace {
                    let reason = SkipReason::held(held, &token);
                    report.skipped.push((token.serial, reason));
                    continue;
                }
                if token.user.is_none() {
                    token.user = held.user.take();
                }
                if held.seed == token.seed {
                    token.distributions = std::mem::take(&mut held.distributions);
                }
                report.replaced.push(token.serial.clone());
                report.note_user(&token);
                *held = token;
            }
        }
    }
    inventory.insert_new(new);
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Seed;
    use crate::token::{Digits, Interval, KeySize, PinMode};
    use time::macros::date;

    fn token(serial: u64, seed: u8, login: Option<&str>) -> InventoryToken {
        InventoryToken {
            serial: Serial::from_value(serial).unwrap(),
            seed: Seed::new([seed; 16]),
            key_size: KeySize::Bits128,
            digits: Digits::EIGHT,
            interval: Interval::Seconds60,
            pin_mode: PinMode::new(2).unwrap(),
            birth: date!(2025 - 01 - 01),
            expires: date!(2030 - 01 - 01),
            user: login.map(|login| AssignedUser {
                login: login.into(),
                first_name: String::new(),
                last_name: String::new(),
            }),
            distributions: Vec::new(),
        }
    }

    #[test]
    fn duplicates_are_skipped_with_the_reason_or_replaced() {
        let mut inventory =
            Inventory::from_tokens(vec![token(1, 1, Some("ann")), token(2, 2, None)]).unwrap();
        let report = apply_import(
            &mut inventory,
            vec![token(1, 1, None), token(2, 9, None), token(3, 3, None)],
            false,
        );
        assert_eq!(report.imported, vec![Serial::from_value(3).unwrap()]);
        assert_eq!(report.skipped[0].1, SkipReason::AlreadyHeld);
        assert_eq!(report.skipped[1].1, SkipReason::AlreadyHeldDifferentSeed);
        assert_eq!(inventory.len(), 3);
        assert_eq!(
            inventory.get(&Serial::from_value(2).unwrap()).unwrap().seed,
            Seed::new([2; 16])
        );

        let report = apply_import(
            &mut inventory,
            vec![token(1, 7, None), token(2, 9, Some("bob"))],
            true,
        );
        assert_eq!(report.replaced.len(), 2);
        let one = inventory.get(&Serial::from_value(1).unwrap()).unwrap();
        assert_eq!(one.seed, Seed::new([7; 16]));
        assert_eq!(
            one.user.as_ref().unwrap().login,
            "ann",
            "assignment kept when the file has none"
        );
        let two = inventory.get(&Serial::from_value(2).unwrap()).unwrap();
        assert_eq!(two.user.as_ref().unwrap().login, "bob");
    }

    #[test]
    fn a_file_with_a_serial_twice_is_refused() {
        assert!(check_unique(&[token(1, 1, None), token(1, 2, None)]).is_err());
        assert!(check_unique(&[token(1, 1, None), token(2, 2, None)]).is_ok());
        let mut inventory = Inventory::default();
        let report = apply_import(
            &mut inventory,
            vec![token(1, 1, None), token(1, 2, None)],
            false,
        );
        assert_eq!((report.imported.len(), report.skipped.len()), (1, 1));
        assert_eq!(inventory.len(), 1);
        let mut accented = token(9, 9, Some("jose"));
        accented.user.as_mut().unwrap().first_name = "José".into();
        let report = apply_import(&mut inventory, vec![accented], false);
        assert_eq!(report.non_ascii_users, vec![Serial::from_value(9).unwrap()]);
    }
}
