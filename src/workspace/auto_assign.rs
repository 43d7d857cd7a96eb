//! Giving each listed user who has no token the next free one (`tokens assign --from-directory`
//! and `--auto users.csv`). Pure: a plan is computed from the inventory and the list, shown for
//! review, then applied all at once.
//!
//! A free token is unassigned, not expired and of the key size asked; they are handed out in
//! serial order to users sorted by login, so the same inputs always give the same plan. Logins
//! are compared ignoring ASCII case, as directories do.

use super::WorkspaceError;
use super::inventory::Inventory;
use super::model::AssignedUser;
use crate::jobs::ascii_fold::fold_name;
use crate::token::{KeySize, Serial};
use serde::Serialize;
use std::collections::HashMap;

/// Longest login or name accepted (the CSV assignment's limit).
pub const MAX_FIELD_CHARS: usize = 255;

/// A user who should hold a token. Names are UTF-8 as the source has them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub login: String,
    pub first_name: String,
    pub last_name: String,
    /// Where the user came from: a DN, or `users.csv:7`.
    pub source: String,
}

/// A login goes into token files unchanged (in `user-id` protection modes it is the password),
/// so it must be printable ASCII already.
pub fn check_login(login: &str) -> Result<(), String> {
    if login.is_empty() {
        return Err("is empty".into());
    }
    if let Some(bad) = login.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(format!(
            "{login:?} contains {bad:?}: logins go into token files unchanged and must be printable ASCII"
        ));
    }
    if login.chars().count() > MAX_FIELD_CHARS {
        return Err(format!("is longer than {MAX_FIELD_CHARS} characters"));
    }
    Ok(())
}

/// A name may be any UTF-8 text without control characters.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.chars().any(char::is_control) {
        return Err("contains a control character".into());
    }
    if name.chars().count() > MAX_FIELD_CHARS {
        return Err(format!("is longer than {MAX_FIELD_CHARS} characters"));
    }
    Ok(())
}

/// One token to be given to one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedAssignment {
    pub serial: Serial,
    pub login: String,
    pub first_name: String,
    pub last_name: String,
    /// The names as token files will carry them (accents removed); `None` when a name has no
    /// ASCII spelling, so distribution jobs will keep this token out until it is renamed.
    pub first_name_in_files: Option<String>,
    pub last_name_in_files: Option<String>,
    pub source: String,
}

impl PlannedAssignment {
    /// True when the names in token files differ from the names kept in the inventory.
    pub fn is_folded(&self) -> bool {
        self.first_name_in_files.as_deref() != Some(self.first_name.as_str())
            || self.last_name_in_files.as_deref() != Some(self.last_name.as_str())
    }

    /// True when token files cannot carry a name at all.
    pub fn has_unwritable_name(&self) -> bool {
        self.first_name_in_files.is_none() || self.last_name_in_files.is_none()
    }
}

/// A listed user who already holds a token: reported, not changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlreadyHolding {
    pub login: String,
    pub serials: Vec<Serial>,
    /// True when every token the user holds has expired (`tokens unassign` them to have the
    /// user given a new one).
    pub only_expired: bool,
}

/// A listed entry that cannot be given a token, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub source: String,
    pub reason: String,
}

/// Who gets which token; nothing is changed until [`apply`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentPlan {
    pub key_size: u32,
    /// Free tokens of that size before the plan.
    pub free_tokens: usize,
    pub assign: Vec<PlannedAssignment>,
    pub already_holding: Vec<AlreadyHolding>,
    pub skipped: Vec<Skipped>,
}

/// Why no plan could be made; nothing is changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "not enough free {bits}-bit tokens: {needed} user(s) need one but only {free} are free (unassigned and not expired); nothing was assigned — import more tokens or narrow the list"
    )]
    NotEnoughTokens {
        bits: u32,
        needed: usize,
        free: usize,
    },
    #[error(
        "the free tokens are of both key sizes ({free_128} of 128 bits, {free_64} of 64 bits): choose with --key-size 128 or --key-size 64"
    )]
    MixedKeySizes { free_128: usize, free_64: usize },
}

/// Plans the assignment of `candidates` (in any order, possibly with repeats).
///
/// `key_size` `None` means "the size of the free tokens", refused when both sizes are free.
pub fn plan(
    inventory: &Inventory,
    candidates: Vec<Candidate>,
    rejected: Vec<Skipped>,
    key_size: Option<KeySize>,
    today: time::Date,
) -> Result<AssignmentPlan, PlanError> {
    let is_free = |token: &super::InventoryToken| token.user.is_none() && !token.is_expired(today);
    let key_size = match key_size {
        Some(size) => size,
        None => {
            let count = |size| {
                inventory
                    .iter()
                    .filter(|t| t.key_size == size && is_free(t))
                    .count()
            };
            match (count(KeySize::Bits128), count(KeySize::Bits64)) {
                (free_128, free_64) if free_128 > 0 && free_64 > 0 => {
                    return Err(PlanError::MixedKeySizes { free_128, free_64 });
                }
                (0, free_64) if free_64 > 0 => KeySize::Bits64,
                _ => KeySize::Bits128,
            }
        }
    };

    let mut held: HashMap<String, Vec<(Serial, bool)>> = HashMap::new();
    for token in inventory.iter() {
        if let Some(user) = &token.user {
            held.entry(user.login().to_ascii_lowercase())
                .or_default()
                .push((token.serial.clone(), token.is_expired(today)));
        }
    }

    let mut candidates = candidates;
    // Stable: repeats keep their source order, so the first one listed is the one kept.
    candidates.sort_by_cached_key(|c| c.login.to_ascii_lowercase());
    let mut skipped = rejected;
    let mut already_holding = Vec::new();
    let mut wanting: Vec<Candidate> = Vec::new();
    for candidate in candidates {
        let key = candidate.login.to_ascii_lowercase();
        if let Some(previous) = wanting
            .last()
            .filter(|p| p.login.eq_ignore_ascii_case(&candidate.login))
        {
            skipped.push(Skipped {
                reason: format!(
                    "login {:?} is listed again (first at {})",
                    candidate.login, previous.source
                ),
                source: candidate.source,
            });
            continue;
        }
        if let Some(tokens) = held.get(&key) {
            if already_holding
                .last()
                .is_some_and(|h: &AlreadyHolding| h.login.eq_ignore_ascii_case(&candidate.login))
            {
                continue;
            }
            already_holding.push(AlreadyHolding {
                login: candidate.login,
                serials: tokens.iter().map(|(serial, _)| serial.clone()).collect(),
                only_expired: tokens.iter().all(|(_, expired)| *expired),
            });
            continue;
        }
        wanting.push(candidate);
    }

    let free: Vec<&Serial> = inventory
        .iter()
        .filter(|t| t.key_size == key_size && is_free(t))
        .map(|t| &t.serial)
        .collect();
    if wanting.len() > free.len() {
        return Err(PlanError::NotEnoughTokens {
            bits: key_size.bits(),
            needed: wanting.len(),
            free: free.len(),
        });
    }
    let assign = wanting
        .into_iter()
        .zip(&free)
        .map(|(user, serial)| PlannedAssignment {
            serial: (*serial).clone(),
            first_name_in_files: fold_name(&user.first_name),
            last_name_in_files: fold_name(&user.last_name),
            login: user.login,
            first_name: user.first_name,
            last_name: user.last_name,
            source: user.source,
        })
        .collect();
    Ok(AssignmentPlan {
        key_size: key_size.bits(),
        free_tokens: free.len(),
        assign,
        already_holding,
        skipped,
    })
}

/// Applies a plan made from this same inventory. Every token must still be free and every user
/// still without a token; otherwise nothing is changed (the caller saves only on success).
pub fn apply(
    inventory: &mut Inventory,
    plan: &AssignmentPlan,
    today: time::Date,
) -> Result<usize, WorkspaceError> {
    let holders: std::collections::HashSet<String> = inventory
        .iter()
        .filter_map(|t| t.user.as_ref().map(|u| u.login().to_ascii_lowercase()))
        .collect();
    for planned in &plan.assign {
        if holders.contains(&planned.login.to_ascii_lowercase()) {
            return Err(WorkspaceError::Invalid(format!(
                "{} was given a token meanwhile; nothing was assigned",
                planned.login
            )));
        }
        let token = inventory.get_mut(&planned.serial).ok_or_else(|| {
            WorkspaceError::Invalid(format!(
                "token {} left the inventory meanwhile; nothing was assigned",
                planned.serial
            ))
        })?;
        if token.user.is_some() || token.is_expired(today) {
            return Err(WorkspaceError::Invalid(format!(
                "token {} is no longer free; nothing was assigned",
                planned.serial
            )));
        }
        token.user = Some(AssignedUser::new(
            &planned.login,
            &planned.first_name,
            &planned.last_name,
        ));
    }
    Ok(plan.assign.len())
}

/// Where the users of a plan came from, for the review (both front ends) and the JSON plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum UserSource {
    Directory {
        url: String,
        base_dn: String,
        filter: String,
        entries: usize,
    },
    List {
        file: String,
        users: usize,
    },
}

/// Applies a reviewed plan to the workspace in one atomic inventory update (all or nothing);
/// returns how many tokens were assigned.
pub fn assign_planned(
    workspace: &mut super::Workspace,
    plan: &AssignmentPlan,
    today: time::Date,
) -> Result<usize, WorkspaceError> {
    let count = workspace.update_inventory(|inventory| apply(inventory, plan, today))?;
    crate::crashpoint::reached("auto-assign.saved");
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Seed;
    use crate::token::{Digits, Interval, PinMode};
    use crate::workspace::InventoryToken;
    use time::macros::date;

    const TODAY: time::Date = date!(2026 - 06 - 01);

    fn token(
        serial: &str,
        key_size: KeySize,
        expires: time::Date,
        user: Option<&str>,
    ) -> InventoryToken {
        InventoryToken {
            serial: Serial::parse(serial).unwrap(),
            seed: Seed::new([7; 16]),
            key_size,
            digits: Digits::new(8).unwrap(),
            interval: Interval::new(60).unwrap(),
            pin_mode: PinMode::from_flags(false, false),
            birth: date!(2024 - 01 - 01),
            expires,
            user: user.map(|login| AssignedUser::new(login, "", "")),
            distributions: Default::default(),
        }
    }

    fn candidate(login: &str, first: &str, last: &str) -> Candidate {
        Candidate {
            login: login.into(),
            first_name: first.into(),
            last_name: last.into(),
            source: format!("uid={login}"),
        }
    }

    fn inventory() -> Inventory {
        let later = date!(2030 - 01 - 01);
        Inventory::from_tokens(vec![
            token("000000000001", KeySize::Bits128, later, Some("Alice")),
            token(
                "000000000002",
                KeySize::Bits128,
                date!(2026 - 05 - 31),
                None,
            ),
            token("000000000003", KeySize::Bits128, later, None),
            token("000000000004", KeySize::Bits64, later, None),
            token("000000000005", KeySize::Bits128, later, None),
            token(
                "000000000006",
                KeySize::Bits128,
                date!(2025 - 01 - 01),
                Some("olga"),
            ),
        ])
        .unwrap()
    }

    #[test]
    fn free_tokens_go_in_serial_order_to_users_sorted_by_login() {
        let inventory = inventory();
        let users = vec![
            candidate("zoe", "Zoë", "Ångström"),
            candidate("alice", "Alice", "A"),
            candidate("bob", "Bob", "B"),
            candidate("olga", "Olga", "O"),
        ];
        let plan = plan(&inventory, users, Vec::new(), Some(KeySize::Bits128), TODAY).unwrap();
        let given: Vec<(&str, &str)> = plan
            .assign
            .iter()
            .map(|a| (a.login.as_str(), a.serial.as_str()))
            .collect();
        // 000000000002 has expired, 000000000004 is 64-bit.
        assert_eq!(given, [("bob", "000000000003"), ("zoe", "000000000005")]);
        assert_eq!(plan.free_tokens, 2);
        assert_eq!(plan.assign[1].first_name, "Zoë");
        assert_eq!(
            plan.assign[1].last_name_in_files.as_deref(),
            Some("Angstrom")
        );
        assert!(plan.assign[1].is_folded());
        assert!(!plan.assign[0].is_folded());
        let holders: Vec<(&str, bool)> = plan
            .already_holding
            .iter()
            .map(|h| (h.login.as_str(), h.only_expired))
            .collect();
        assert_eq!(holders, [("alice", false), ("olga", true)]);
    }

    #[test]
    fn too_few_tokens_refuse_everything_with_the_counts() {
        let inventory = inventory();
        let users = vec![
            candidate("a", "", ""),
            candidate("b", "", ""),
            candidate("c", "", ""),
        ];
        let error = plan(&inventory, users, Vec::new(), Some(KeySize::Bits128), TODAY).unwrap_err();
        assert_eq!(
            error,
            PlanError::NotEnoughTokens {
                bits: 128,
                needed: 3,
                free: 2
            }
        );
        assert!(error.to_string().contains("nothing was assigned"));
    }

    #[test]
    fn the_key_size_must_be_chosen_when_both_are_free() {
        let inventory = inventory();
        let error = plan(
            &inventory,
            vec![candidate("b", "", "")],
            Vec::new(),
            None,
            TODAY,
        )
        .unwrap_err();
        assert_eq!(
            error,
            PlanError::MixedKeySizes {
                free_128: 2,
                free_64: 1
            }
        );
        let plan = plan(
            &inventory,
            vec![candidate("b", "", "")],
            Vec::new(),
            Some(KeySize::Bits64),
            TODAY,
        )
        .unwrap();
        assert_eq!(plan.assign[0].serial.as_str(), "000000000004");
    }

    #[test]
    fn a_login_listed_twice_gets_one_token() {
        let inventory = inventory();
        let users = vec![candidate("bob", "Bob", ""), candidate("BOB", "Robert", "")];
        let plan = plan(&inventory, users, Vec::new(), Some(KeySize::Bits128), TODAY).unwrap();
        assert_eq!(plan.assign.len(), 1);
        assert_eq!(plan.assign[0].first_name, "Bob");
        assert_eq!(plan.skipped.len(), 1);
        assert!(
            plan.skipped[0]
                .reason
                .contains("listed again (first at uid=bob)"),
            "{:?}",
            plan.skipped
        );
    }

    #[test]
    fn names_without_an_ascii_spelling_are_flagged() {
        let inventory = inventory();
        let plan = plan(
            &inventory,
            vec![candidate("wang", "", "王")],
            Vec::new(),
            Some(KeySize::Bits128),
            TODAY,
        )
        .unwrap();
        assert!(plan.assign[0].has_unwritable_name());
    }

    #[test]
    fn apply_assigns_exactly_the_plan_and_refuses_a_stale_one() {
        let mut inventory = inventory();
        let users = vec![candidate("bob", "Bob", "B"), candidate("zoe", "Zoë", "Z")];
        let plan = plan(&inventory, users, Vec::new(), Some(KeySize::Bits128), TODAY).unwrap();
        let before = inventory.clone();
        assert_eq!(apply(&mut inventory, &plan, TODAY).unwrap(), 2);
        let user = |serial: &str| {
            inventory
                .get(&Serial::parse(serial).unwrap())
                .unwrap()
                .user
                .clone()
        };
        assert_eq!(user("000000000003").unwrap().login(), "bob");
        assert_eq!(user("000000000005").unwrap().first_name(), "Zoë");
        let changed = before
            .iter()
            .zip(inventory.iter())
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(changed, 2);
        // Applying the same plan again finds the users already served.
        let mut again = inventory.clone();
        assert!(apply(&mut again, &plan, TODAY).is_err());
    }

    #[test]
    fn logins_and_names_are_checked() {
        assert!(check_login("j.doe").is_ok());
        assert!(check_login("").is_err());
        assert!(check_login("jöe").unwrap_err().contains("printable ASCII"));
        assert!(check_name("José García").is_ok());
        assert!(check_name("a\nb").is_err());
        assert!(check_name(&"x".repeat(256)).is_err());
    }
}
