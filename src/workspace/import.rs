//! Importing token record files: every MAC verified and every seed decrypted before anything
//! is added (all or nothing); serials already held are reported and skipped, or replaced.

use super::WorkspaceError;
use super::inventory::Inventory;
use super::model::{AssignedUser, InventoryToken};
use crate::sdtid::{self, SdtidToken};
use crate::secret::SecretString;
use crate::token::Serial;
use std::path::Path;

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
    [&user.login(), &user.first_name(), &user.last_name()]
        .iter()
        .all(|text| text.bytes().all(|b| (b' '..=b'~').contains(&b)))
}

/// Decodes a whole token record file held in memory: parses it, verifies every MAC and
/// decrypts every seed (for small files and tests; `tokens import` streams with [`import_stream`]).
pub fn decode_record_file(
    bytes: &[u8],
    password: Option<&SecretString>,
) -> Result<Vec<InventoryToken>, sdtid::SdtidError> {
    let batch = sdtid::parse(bytes)?;
    let decrypted = batch.decrypt(password)?;
    Ok(decrypted.tokens.into_iter().map(inventory_token).collect())
}

/// A decrypted file token as an inventory token; a blank login means "not assigned".
fn inventory_token(token: SdtidToken) -> InventoryToken {
    let user = (!token.user.login.trim().is_empty()).then(|| {
        AssignedUser::new(
            token.user.login.trim(),
            token.user.first_name.trim(),
            token.user.last_name.trim(),
        )
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
        distributions: Default::default(),
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
    let mut import = Importer::new(replace);
    for token in tokens {
        import.add(inventory, token);
    }
    import.finish(inventory)
}

/// Reads a token record file from `input` one token at a time (every MAC verified, every seed
/// decrypted) and adds its tokens to `inventory` as [`apply_import`] does. Memory stays at the
/// inventory's own size whatever the file's size. On any error the caller must discard
/// `inventory` (the workspace does: [`super::Workspace::update_inventory`] keeps the old one):
/// the file is all or nothing. `path` names the file in errors.
pub fn import_stream(
    inventory: &mut Inventory,
    input: impl std::io::Read,
    path: &Path,
    password: Option<&SecretString>,
    replace: bool,
    limits: sdtid::StreamLimits,
) -> Result<(ImportReport, usize), WorkspaceError> {
    let token_error = |source| WorkspaceError::TokenFile {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = sdtid::TokenReader::new(input, password, limits);
    let mut import = Importer::new(replace);
    let mut in_file: std::collections::HashSet<Serial> = std::collections::HashSet::new();
    while let Some(token) = reader.next_token().map_err(token_error)? {
        let token = inventory_token(token);
        if !in_file.insert(token.serial.clone()) {
            return Err(WorkspaceError::Invalid(format!(
                "{}: serial {} appears more than once",
                path.display(),
                token.serial
            )));
        }
        import.add(inventory, token);
    }
    Ok((import.finish(inventory), reader.tokens_read()))
}

/// New tokens are merged into the inventory in batches of this many: one sort per batch
/// rather than a shift per token, and a bounded buffer however large the file.
const MERGE_BATCH: usize = 65_536;

/// One import in progress: decides each token and batches the new ones.
struct Importer {
    replace: bool,
    report: ImportReport,
    /// New tokens not yet merged into the inventory.
    new: Vec<InventoryToken>,
    /// Serials in `new`, to their index (a list holding a serial twice cannot add it twice).
    pending: std::collections::HashMap<Serial, usize>,
}

impl Importer {
    fn new(replace: bool) -> Self {
        Self {
            replace,
            report: ImportReport::default(),
            new: Vec::new(),
            pending: std::collections::HashMap::new(),
        }
    }

    fn add(&mut self, inventory: &mut Inventory, mut token: InventoryToken) {
        let report = &mut self.report;
        if let Some(&at) = self.pending.get(&token.serial) {
            let reason = SkipReason::held(&self.new[at], &token);
            report.skipped.push((token.serial, reason));
            return;
        }
        match inventory.get_mut(&token.serial) {
            None => {
                report.imported.push(token.serial.clone());
                report.note_user(&token);
                self.pending.insert(token.serial.clone(), self.new.len());
                self.new.push(token);
                if self.new.len() >= MERGE_BATCH {
                    self.merge(inventory);
                }
            }
            Some(held) => {
                if !self.replace {
                    let reason = SkipReason::held(held, &token);
                    report.skipped.push((token.serial, reason));
                    return;
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

    /// Moves the batched new tokens into the inventory (after which `get_mut` finds them, so a
    /// serial seen again is decided against the inventory as usual).
    fn merge(&mut self, inventory: &mut Inventory) {
        self.pending.clear();
        inventory.insert_new(std::mem::take(&mut self.new));
    }

    fn finish(mut self, inventory: &mut Inventory) -> ImportReport {
        self.merge(inventory);
        self.report
    }
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
            user: login.map(|login| AssignedUser::new(login, "", "")),
            distributions: Default::default(),
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
            one.user.as_ref().unwrap().login(),
            "ann",
            "assignment kept when the file has none"
        );
        let two = inventory.get(&Serial::from_value(2).unwrap()).unwrap();
        assert_eq!(two.user.as_ref().unwrap().login(), "bob");
    }

    #[test]
    fn a_list_with_a_serial_twice_adds_it_once() {
        let mut inventory = Inventory::default();
        let report = apply_import(
            &mut inventory,
            vec![token(1, 1, None), token(1, 2, None)],
            false,
        );
        assert_eq!((report.imported.len(), report.skipped.len()), (1, 1));
        assert_eq!(inventory.len(), 1);
        let mut accented = token(9, 9, Some("jose"));
        accented.user.as_mut().unwrap().set_first_name("José");
        let report = apply_import(&mut inventory, vec![accented], false);
        assert_eq!(report.non_ascii_users, vec![Serial::from_value(9).unwrap()]);
    }
}
