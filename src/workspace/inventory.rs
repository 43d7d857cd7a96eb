//! The token inventory: tokens kept sorted by serial in one vector.
//!
//! A sorted vector keeps a million tokens compact (no per-node overhead), iterates in serial
//! order for listings and exports, finds one serial by binary search and a serial range with two
//! of them. Bulk changes (import) append and sort once instead of inserting one by one.
//!
//! The vector is shared (`Arc`): cloning an inventory is a snapshot that costs nothing, which
//! is how a running job reads its tokens without copying them (it holds a snapshot and the
//! positions of its tokens). A change to an inventory whose snapshot is still held copies the
//! vector once (copy on write); the workspace changes its inventory in place otherwise.

use super::model::InventoryToken;
use crate::jobs::SerialRange;
use crate::token::Serial;
use std::sync::Arc;

/// The token inventory, ordered by serial.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    tokens: Arc<Vec<InventoryToken>>,
}

impl Inventory {
    /// Builds an inventory from tokens in any order; `None` if a serial appears twice.
    pub fn from_tokens(mut tokens: Vec<InventoryToken>) -> Option<Inventory> {
        tokens.sort_unstable_by(|a, b| a.serial.cmp(&b.serial));
        if tokens
            .windows(2)
            .any(|pair| pair[0].serial == pair[1].serial)
        {
            return None;
        }
        Some(Inventory {
            tokens: Arc::new(tokens),
        })
    }

    /// Tokens kept in the given order, unchecked: for a job's own list of tokens when it
    /// was prepared from plain data rather than from an inventory.
    pub(crate) fn in_given_order(tokens: Vec<InventoryToken>) -> Inventory {
        Inventory {
            tokens: Arc::new(tokens),
        }
    }

    fn tokens_mut(&mut self) -> &mut Vec<InventoryToken> {
        Arc::make_mut(&mut self.tokens)
    }

    /// The token at a position of [`Inventory::iter`]'s order.
    pub fn at(&self, position: usize) -> Option<&InventoryToken> {
        self.tokens.get(position)
    }

    /// The position of a token borrowed from this inventory (from [`Inventory::iter`],
    /// [`Inventory::range`], …), found from where it lives rather than by searching.
    pub fn position_of(&self, token: &InventoryToken) -> Option<usize> {
        let size = std::mem::size_of::<InventoryToken>();
        let start = self.tokens.as_ptr() as usize;
        let at = token as *const InventoryToken as usize;
        let offset = at.checked_sub(start)?;
        (offset % size == 0 && offset / size < self.tokens.len()).then_some(offset / size)
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn position(&self, serial: &Serial) -> Result<usize, usize> {
        self.tokens
            .binary_search_by(|token| token.serial.cmp(serial))
    }

    pub fn get(&self, serial: &Serial) -> Option<&InventoryToken> {
        self.position(serial).ok().map(|at| &self.tokens[at])
    }

    pub fn get_mut(&mut self, serial: &Serial) -> Option<&mut InventoryToken> {
        let at = self.position(serial).ok()?;
        Some(&mut self.tokens_mut()[at])
    }

    pub fn contains(&self, serial: &Serial) -> bool {
        self.position(serial).is_ok()
    }

    /// All tokens in serial order.
    pub fn iter(&self) -> impl Iterator<Item = &InventoryToken> {
        self.tokens.iter()
    }

    /// Tokens of one inclusive serial range, in serial order.
    pub fn range(&self, range: &SerialRange) -> &[InventoryToken] {
        let start = self
            .tokens
            .partition_point(|token| token.serial < range.from);
        let end = self
            .tokens
            .partition_point(|token| token.serial <= range.to);
        &self.tokens[start..end.max(start)]
    }

    /// Tokens in any of `ranges` (every token when `ranges` is empty), in serial order and
    /// each once even when ranges overlap.
    pub fn select<'a>(
        &'a self,
        ranges: &'a [SerialRange],
    ) -> impl Iterator<Item = &'a InventoryToken> {
        self.tokens
            .iter()
            .filter(move |token| in_ranges(ranges, &token.serial))
    }

    /// Adds a token, or replaces the one with the same serial and returns it.
    pub fn insert(&mut self, token: InventoryToken) -> Option<InventoryToken> {
        match self.position(&token.serial) {
            Ok(at) => Some(std::mem::replace(&mut self.tokens_mut()[at], token)),
            Err(at) => {
                self.tokens_mut().insert(at, token);
                None
            }
        }
    }

    /// Adds many tokens whose serials are not yet held (checked: panics on a duplicate, which
    /// would be a bug in the caller). One sort instead of a shift per token.
    pub fn insert_new(&mut self, tokens: Vec<InventoryToken>) {
        let all = self.tokens_mut();
        all.extend(tokens);
        all.sort_by(|a, b| a.serial.cmp(&b.serial));
        assert!(
            !all.windows(2).any(|pair| pair[0].serial == pair[1].serial),
            "insert_new was given a serial the inventory already holds"
        );
    }

    /// Removes and returns the token with this serial.
    pub fn remove(&mut self, serial: &Serial) -> Option<InventoryToken> {
        let at = self.position(serial).ok()?;
        Some(self.tokens_mut().remove(at))
    }
}

/// True when `serial` is in one of `ranges`, or `ranges` is empty (no restriction).
pub(crate) fn in_ranges(ranges: &[SerialRange], serial: &Serial) -> bool {
    ranges.is_empty() || ranges.iter().any(|range| range.contains(serial))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Seed;
    use crate::token::{Digits, Interval, KeySize, PinMode};
    use time::macros::date;

    fn token(serial: u64) -> InventoryToken {
        InventoryToken {
            serial: Serial::from_value(serial).unwrap(),
            seed: Seed::new([serial as u8; 16]),
            key_size: KeySize::Bits128,
            digits: Digits::EIGHT,
            interval: Interval::Seconds60,
            pin_mode: PinMode::new(0).unwrap(),
            birth: date!(2026 - 01 - 01),
            expires: date!(2030 - 01 - 01),
            user: None,
            distributions: Default::default(),
        }
    }

    fn serials<'a>(tokens: impl IntoIterator<Item = &'a InventoryToken>) -> Vec<u64> {
        tokens.into_iter().map(|t| t.serial.value()).collect()
    }

    #[test]
    fn stays_sorted_and_finds_by_serial_and_range() {
        let mut inventory = Inventory::from_tokens(vec![token(30), token(10), token(20)]).unwrap();
        assert!(inventory.insert(token(15)).is_none());
        assert!(
            inventory.insert(token(20)).is_some(),
            "same serial replaces"
        );
        inventory.insert_new(vec![token(5), token(40)]);
        assert_eq!(serials(inventory.iter()), [5, 10, 15, 20, 30, 40]);
        assert!(inventory.get(&Serial::from_value(15).unwrap()).is_some());
        assert!(inventory.get(&Serial::from_value(16).unwrap()).is_none());
        let range = SerialRange::parse("12-30").unwrap();
        assert_eq!(serials(inventory.range(&range)), [15, 20, 30]);
        let ranges = [
            SerialRange::parse("1-10").unwrap(),
            SerialRange::parse("5-15").unwrap(),
            SerialRange::parse("40").unwrap(),
        ];
        assert_eq!(serials(inventory.select(&ranges)), [5, 10, 15, 40]);
        assert_eq!(inventory.select(&[]).count(), 6);
        assert_eq!(
            inventory.range(&SerialRange::parse("41-99").unwrap()).len(),
            0
        );
        assert!(inventory.remove(&Serial::from_value(5).unwrap()).is_some());
        assert_eq!(inventory.len(), 5);
        assert!(Inventory::from_tokens(vec![token(1), token(1)]).is_none());
    }

    #[test]
    fn serial_ranges_parse_and_say_what_is_wrong() {
        let range = SerialRange::parse("000500000001-000500000100").unwrap();
        assert_eq!(
            (range.from.value(), range.to.value()),
            (500_000_001, 500_000_100)
        );
        let one = SerialRange::parse("500000007").unwrap();
        assert_eq!(one.from, one.to);
        assert!(
            SerialRange::parse("9-1")
                .unwrap_err()
                .to_string()
                .contains("comes after")
        );
        assert!(SerialRange::parse("1-x").is_err());
        assert!(SerialRange::parse("").is_err());
        assert!(SerialRange::parse("1-2-3").is_err());
    }
}
