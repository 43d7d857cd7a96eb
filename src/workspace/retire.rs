//! Tokens over their life: which state a token is in (for `tokens list --state`) and
//! removing tokens that are lost, broken or expired (`tokens remove`).
//!
//! Removing a token drops it (and its seed) from the inventory only; the job history keeps
//! every record of the jobs that distributed it, so what was sent to whom stays on file.

use super::WorkspaceError;
use super::inventory::{Inventory, in_ranges};
use super::model::InventoryToken;
use crate::jobs::SerialRange;
use crate::token::Serial;
use time::Date;

/// A state a token can be in; a token is in several at once (assigned and distributed, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Assigned,
    Unassigned,
    Distributed,
    Expired,
}

impl TokenState {
    pub fn holds(self, token: &InventoryToken, today: Date) -> bool {
        match self {
            Self::Assigned => token.user.is_some(),
            Self::Unassigned => token.user.is_none(),
            Self::Distributed => !token.distributions.is_empty(),
            Self::Expired => token.is_expired(today),
        }
    }
}

/// The `tokens list` filters on state and expiry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateFilter {
    /// Any of these (empty: no restriction).
    pub states: Vec<TokenState>,
    /// Not expired yet, but expiring within this many days of today (0: expires today).
    pub expiring_within_days: Option<u32>,
}

impl StateFilter {
    pub fn matches(&self, token: &InventoryToken, today: Date) -> bool {
        let state = self.states.is_empty() || self.states.iter().any(|s| s.holds(token, today));
        let expiring = self.expiring_within_days.is_none_or(|days| {
            !token.is_expired(today) && (token.expires - today).whole_days() <= i64::from(days)
        });
        state && expiring
    }
}

/// Which tokens a removal takes, in serial order, and what the review says about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalPlan {
    pub serials: Vec<Serial>,
    /// Of those, still assigned to a user.
    pub assigned: usize,
    /// Of those, distributed by some job (their holders may still use them).
    pub distributed: usize,
    /// Of those, expired.
    pub expired: usize,
}

impl RemovalPlan {
    pub fn is_empty(&self) -> bool {
        self.serials.is_empty()
    }
}

/// The tokens `ranges` name (every token when empty), keeping only expired ones when
/// `expired_only`. A single serial that the inventory does not hold is an error naming it, so
/// a typing mistake is not a silent no-op.
pub fn plan_removal(
    inventory: &Inventory,
    ranges: &[SerialRange],
    expired_only: bool,
    today: Date,
) -> Result<RemovalPlan, WorkspaceError> {
    if ranges.is_empty() && !expired_only {
        return Err(WorkspaceError::Invalid(
            "name the tokens to remove (SERIALS) or give --expired".into(),
        ));
    }
    let unknown: Vec<String> = ranges
        .iter()
        .filter(|range| range.from == range.to && !inventory.contains(&range.from))
        .map(|range| range.from.to_string())
        .collect();
    if !unknown.is_empty() {
        return Err(WorkspaceError::Invalid(format!(
            "not in the inventory: {}; nothing was removed",
            unknown.join(", ")
        )));
    }
    let mut plan = RemovalPlan {
        serials: Vec::new(),
        assigned: 0,
        distributed: 0,
        expired: 0,
    };
    for token in inventory.iter() {
        if !in_ranges(ranges, &token.serial) {
            continue;
        }
        let expired = token.is_expired(today);
        if expired_only && !expired {
            continue;
        }
        plan.serials.push(token.serial.clone());
        plan.assigned += usize::from(token.user.is_some());
        plan.distributed += usize::from(!token.distributions.is_empty());
        plan.expired += usize::from(expired);
    }
    Ok(plan)
}

/// Removes the planned tokens; returns how many were removed. One pass over the inventory,
/// however many tokens go.
pub fn remove(inventory: &mut Inventory, serials: &[Serial]) -> usize {
    let doomed: std::collections::HashSet<&Serial> = serials.iter().collect();
    let before = inventory.len();
    let kept: Vec<InventoryToken> = inventory
        .iter()
        .filter(|token| !doomed.contains(&token.serial))
        .cloned()
        .collect();
    *inventory = Inventory::from_tokens(kept).expect("a subset of an inventory has unique serials");
    before - inventory.len()
}

/// One token of a removal's review: what the administrator must see before it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalRow {
    pub serial: Serial,
    /// The assigned user's login, if any.
    pub login: Option<String>,
    pub expires: Date,
    pub expired: bool,
    /// The job that distributed it last, and when; `None` when no job did.
    pub last_job: Option<(String, time::OffsetDateTime)>,
    /// How many jobs distributed it.
    pub distributed: usize,
}

/// The review rows of the first `limit` tokens of `plan` (both front ends show a bounded list
/// with the counts of the whole plan).
pub fn review_rows(
    inventory: &Inventory,
    plan: &RemovalPlan,
    today: Date,
    limit: usize,
) -> Vec<RemovalRow> {
    plan.serials
        .iter()
        .take(limit)
        .filter_map(|serial| inventory.get(serial))
        .map(|token| RemovalRow {
            serial: token.serial.clone(),
            login: token.user.as_ref().map(|user| user.login().to_owned()),
            expires: token.expires,
            expired: token.is_expired(today),
            last_job: token
                .distributions
                .last()
                .map(|d| (d.job_name.clone(), d.at)),
            distributed: token.distributions.len(),
        })
        .collect()
}

/// Removes the planned tokens from the workspace in one atomic inventory update; returns how
/// many were removed. The job history is not touched.
pub fn remove_planned(
    workspace: &mut super::Workspace,
    plan: &RemovalPlan,
) -> Result<usize, WorkspaceError> {
    let removed = workspace.update_inventory(|inventory| {
        let removed = remove(inventory, &plan.serials);
        crate::crashpoint::reached("tokens.remove.changed");
        Ok(removed)
    })?;
    crate::crashpoint::reached("tokens.remove.saved");
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Seed;
    use crate::token::{Digits, Interval, KeySize, PinMode};
    use crate::workspace::{AssignedUser, Distribution};
    use time::macros::{date, datetime};

    fn token(serial: u64, expires: Date, user: bool, distributed: bool) -> InventoryToken {
        InventoryToken {
            serial: Serial::from_value(serial).unwrap(),
            seed: Seed::new([1; 16]),
            key_size: KeySize::Bits128,
            digits: Digits::EIGHT,
            interval: Interval::Seconds60,
            pin_mode: PinMode::new(0).unwrap(),
            birth: date!(2020 - 01 - 01),
            expires,
            user: user.then(|| AssignedUser::new(&format!("u{serial}"), "Zoë", "Ødegård")),
            distributions: if distributed {
                vec![Distribution {
                    job_id: "j".into(),
                    job_name: "Pilot".into(),
                    at: datetime!(2026-01-01 00:00 UTC),
                }]
            } else {
                Vec::new()
            }
            .into(),
        }
    }

    const TODAY: Date = date!(2026 - 11 - 30);

    fn sample() -> Inventory {
        Inventory::from_tokens(vec![
            token(1, date!(2026 - 11 - 29), true, true), // expired yesterday
            token(2, TODAY, false, false),               // last valid day is today
            token(3, date!(2026 - 12 - 30), true, false), // 30 days left
            token(4, date!(2027 - 12 - 31), false, true),
        ])
        .unwrap()
    }

    fn serials(inventory: &Inventory, filter: &StateFilter) -> Vec<u64> {
        inventory
            .iter()
            .filter(|t| filter.matches(t, TODAY))
            .map(|t| t.serial.value())
            .collect()
    }

    #[test]
    fn states_and_expiry_windows_select_what_they_say() {
        let inventory = sample();
        let only = |states: Vec<TokenState>| StateFilter {
            states,
            expiring_within_days: None,
        };
        assert_eq!(serials(&inventory, &only(vec![TokenState::Expired])), [1]);
        assert_eq!(
            serials(&inventory, &only(vec![TokenState::Assigned])),
            [1, 3]
        );
        assert_eq!(
            serials(&inventory, &only(vec![TokenState::Unassigned])),
            [2, 4]
        );
        assert_eq!(
            serials(&inventory, &only(vec![TokenState::Distributed])),
            [1, 4]
        );
        assert_eq!(
            serials(
                &inventory,
                &only(vec![TokenState::Expired, TokenState::Unassigned])
            ),
            [1, 2, 4]
        );
        let within = |days| StateFilter {
            states: Vec::new(),
            expiring_within_days: Some(days),
        };
        assert_eq!(serials(&inventory, &within(0)), [2]);
        assert_eq!(serials(&inventory, &within(29)), [2]);
        assert_eq!(serials(&inventory, &within(30)), [2, 3]);
    }

    #[test]
    fn removal_plans_name_unknown_serials_and_honour_expired_only() {
        let inventory = sample();
        let range = |text: &str| SerialRange::parse(text).unwrap();
        let error = plan_removal(&inventory, &[range("9")], false, TODAY).unwrap_err();
        assert!(error.to_string().contains("000000000009"), "{error}");
        assert!(plan_removal(&inventory, &[], false, TODAY).is_err());

        let expired = plan_removal(&inventory, &[], true, TODAY).unwrap();
        assert_eq!(expired.serials, [Serial::from_value(1).unwrap()]);
        assert_eq!(
            (expired.assigned, expired.distributed, expired.expired),
            (1, 1, 1)
        );

        let some = plan_removal(&inventory, &[range("2-4")], false, TODAY).unwrap();
        assert_eq!(some.serials.len(), 3);
        assert!(
            plan_removal(&inventory, &[range("2-4")], true, TODAY)
                .unwrap()
                .is_empty()
        );

        let mut changed = inventory.clone();
        assert_eq!(remove(&mut changed, &some.serials), 3);
        assert_eq!(
            changed.iter().map(|t| t.serial.value()).collect::<Vec<_>>(),
            [1]
        );
    }
}
