//! The token inventory: tokens kept sorted by serial in one vector.
//!
//! A sorted vector keeps a million tokens compact (no per-node overhead), iterates in serial
//! order for listings and exports, finds one serial by binary search and a serial range with two
//! of them. Bulk changes (import) append and sort once instead of inserting one by one.

use super::model::InventoryToken;
use crate::jobs::SerialRange;
use crate::token::Serial;

/// The token inventory, ordered by serial.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    tokens: Vec<InventoryToken>,
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
        Some(Inventory { tokens })
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
        self.position(serial).ok().map(|at| &mut self.tokens[at])
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
        self.tokens.iter().filter(move |token| {
            ranges.is_empty() || ranges.iter().any(|r| r.contains(&token.serial))
        })
    }

    /// Adds a token, or replaces the one with the same serial and returns it.
    pub fn insert(&mut self, token: InventoryToken) -> Option<InventoryToken> {
        match self.position(&token.serial) {
            Ok(at) => Some(std::mem::replace(&mut self.tokens[at], token)),
            Err(at) => {
                self.tokens.insert(at, token);
                None
            }
        }
    }

    /// Adds many tokens whose serials are not yet held (checked: panics on a duplicate, which
    /// would be a bug in the caller). One sort instead of a shift per token.
    pub fn insert_new(&mut self, tokens: Vec<InventoryToken>) {
        self.tokens.extend(tokens);
        self.tokens.sort_by(|a, b| a.serial.cmp(&b.serial));
        assert!(
            !self
                .tokens
                .windows(2)
                .any(|pair| pair[0].serial == pair[1].serial),
            "insert_new was given a serial the inventory already holds"
        );
    }

    /// Removes and returns the token with this serial.
    pub fn remove(&mut self, serial: &Serial) -> Option<InventoryToken> {
        self.position(serial).ok().map(|at| self.tokens.remove(at))
    }

    /// All tokens in serial order, as a slice (for parallel iteration).
    pub fn as_slice(&self) -> &[InventoryToken] {
        &self.tokens
    }
}
