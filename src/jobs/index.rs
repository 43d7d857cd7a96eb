//! The inventory indexed for interactive selection: what the wizard asks on every keystroke,
//! answered without touching seeds and without scanning more than the criteria can match.
//!
//! - serials in order: a serial range is two binary searches;
//! - users by login: a glob without wildcards is one binary search; a glob with a literal
//!   prefix (`ab*`) looks at the logins with that prefix only; any other glob with a literal
//!   part (`*smith*`) first finds the tokens whose text contains it (one substring search)
//!   and tests only those; a glob with no literal at all is tested on every login, on all
//!   cores;
//! - per token, why it is excluded is computed once per job context ([`ContextReasons`]: the
//!   profile, protection, password, `Origin`, today and the redistribute / expired switches),
//!   by the same [`exclusion_reason`] that `jobs submit` uses, so both front ends agree;
//! - the columns the screens show (serial, login, name, expiry, key size, digits, interval,
//!   distributions), so a window of rows is built without the inventory.
//!
//! The index owns copies of those columns (no seeds), so it can be shared with a worker thread
//! (`Arc`) while the UI thread keeps the workspace. It is built from the inventory's public
//! accessors and rebuilt when the inventory changes (after a job).

use super::select::{
    ExclusionReason, SelectableToken, SelectionContext, compile_user_glob, exclusion_reason,
    unwritable_name_field,
};
use super::spec::{SelectionCriteria, SerialRange};
use crate::jobs::Protection;
use crate::secret::SecretString;
use crate::token::{Digits, Interval, KeySize, Serial};
use crate::workspace::{InventoryToken, Profile};

/// Every exclusion reason's stable code, in the order [`exclusion_reason`] checks them (the
/// over-max-count cut comes last). A reason is stored per token as its place in this list.
pub const REASON_CODES: [&str; 11] = [
    "not-assigned",
    "expired",
    "dates-inconsistent",
    "key-size-differs",
    "code-format-differs",
    "previously-distributed",
    "login-unusable",
    "password-too-long",
    "password-equals-origin",
    "user-field-not-writable",
    "over-max-count",
];

/// The place of `reason` in [`REASON_CODES`].
pub fn reason_kind(reason: &ExclusionReason) -> usize {
    REASON_CODES
        .iter()
        .position(|code| *code == reason.code())
        .expect("every reason code is listed")
}

const OVER_MAX_COUNT: usize = 10;
/// Stored for a token that no rule excludes.
const NO_REASON: u8 = u8::MAX;

/// The per-token facts the rules read, packed.
#[derive(Debug, Clone, Copy)]
struct Facts {
    birth: time::Date,
    expires: time::Date,
    distributions: u32,
    /// Index into `job_names`, or `u32::MAX` when never distributed.
    last_job: u32,
    key_size: KeySize,
    digits: Digits,
    interval: Interval,
    assigned: bool,
    /// 0 writable, 1 first name, 2 last name.
    unwritable_name: u8,
}

/// The inventory's selection columns, in serial order. Positions (`u32`) index every column.
#[derive(Debug, Default)]
pub struct InventoryIndex {
    serials: Vec<u64>,
    /// Per token `login` then `First Last`: `text[bounds[2i]..bounds[2i+1]]` is the login,
    /// `text[bounds[2i+1]..bounds[2i+2]]` the full name.
    text: String,
    bounds: Vec<u32>,
    facts: Vec<Facts>,
    job_names: Vec<String>,
    /// Positions of assigned tokens, ordered by login (then serial).
    by_login: Vec<u32>,
    assigned: usize,
    /// What the Tokens filter searches, one record per token: the 12-digit serial, the
    /// login and the full name, lowercased and each ended by [`SEARCH_END`]. One substring
    /// search over it finds every match at memory speed, instead of a scan token by token.
    search: Vec<u8>,
    /// Where each token's record starts in `search`.
    search_starts: Vec<u32>,
}

/// Ends each field of [`InventoryIndex::search`]: a control character, which the filter
/// removes from what it looks for, so no match runs from one field (or token) into the next.
const SEARCH_END: u8 = 0;

/// One token's row as the screens show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedRow {
    pub serial: Serial,
    pub login: Option<String>,
    pub full_name: String,
    pub expires: time::Date,
    pub key_size: KeySize,
    pub digits: Digits,
    pub interval: Interval,
    pub distributed_count: usize,
}

/// A token of the index, read through the selection rules' trait.
#[derive(Clone, Copy)]
pub struct IndexedToken<'a> {
    index: &'a InventoryIndex,
    at: usize,
}

impl SelectableToken for IndexedToken<'_> {
    fn login(&self) -> Option<&str> {
        self.index.login(self.at)
    }
    fn key_size(&self) -> KeySize {
        self.index.facts[self.at].key_size
    }
    fn digits(&self) -> Digits {
        self.index.facts[self.at].digits
    }
    fn interval(&self) -> Interval {
        self.index.facts[self.at].interval
    }
    fn birth(&self) -> time::Date {
        self.index.facts[self.at].birth
    }
    fn expires(&self) -> time::Date {
        self.index.facts[self.at].expires
    }
    fn distribution_count(&self) -> usize {
        self.index.facts[self.at].distributions as usize
    }
    fn last_job_name(&self) -> Option<&str> {
        let last = self.index.facts[self.at].last_job;
        self.index.job_names.get(last as usize).map(String::as_str)
    }
    fn unwritable_name_field(&self) -> Option<&'static str> {
        match self.index.facts[self.at].unwritable_name {
            1 => Some("first name"),
            2 => Some("last name"),
            _ => None,
        }
    }
}

fn offset(text: &str) -> u32 {
    u32::try_from(text.len()).expect("the index's text stays under 4 GiB")
}

impl InventoryIndex {
    /// Indexes tokens given in serial order (the inventory's order).
    pub fn build<'a>(tokens: impl IntoIterator<Item = &'a InventoryToken>) -> Self {
        let tokens = tokens.into_iter();
        let mut index = InventoryIndex {
            bounds: vec![0],
            ..Self::default()
        };
        let (low, _) = tokens.size_hint();
        index.serials.reserve(low);
        index.facts.reserve(low);
        index.bounds.reserve(2 * low);
        let mut job_numbers = std::collections::HashMap::<String, u32>::new();
        for token in tokens {
            index.serials.push(token.serial.value());
            let name_field = match &token.user {
                Some(user) => {
                    index.text.push_str(user.login());
                    index.bounds.push(offset(&index.text));
                    let full = format!("{} {}", user.first_name(), user.last_name());
                    index.text.push_str(full.trim());
                    index.assigned += 1;
                    match unwritable_name_field(user.first_name(), user.last_name()) {
                        Some("first name") => 1,
                        Some(_) => 2,
                        None => 0,
                    }
                }
                None => {
                    index.bounds.push(offset(&index.text));
                    0
                }
            };
            index.bounds.push(offset(&index.text));
            index.push_search_record(token);
            let last_job = match token.last_job_name() {
                Some(name) => {
                    let next = job_numbers.len() as u32;
                    let number = *job_numbers.entry(name.to_owned()).or_insert(next);
                    if number == next {
                        index.job_names.push(name.to_owned());
                    }
                    number
                }
                None => u32::MAX,
            };
            index.facts.push(Facts {
                birth: token.birth(),
                expires: token.expires(),
                distributions: u32::try_from(token.distribution_count()).unwrap_or(u32::MAX),
                last_job,
                key_size: token.key_size(),
                digits: token.digits(),
                interval: token.interval(),
                assigned: token.user.is_some(),
                unwritable_name: name_field,
            });
        }
        let mut by_login: Vec<u32> = (0..index.serials.len() as u32)
            .filter(|at| index.facts[*at as usize].assigned)
            .collect();
        by_login.sort_by(|a, b| {
            index
                .login(*a as usize)
                .cmp(&index.login(*b as usize))
                .then(a.cmp(b))
        });
        index.by_login = by_login;
        index
    }

    pub fn len(&self) -> usize {
        self.serials.len()
    }

    pub fn is_empty(&self) -> bool {
        self.serials.is_empty()
    }

    /// Tokens assigned to a user.
    pub fn assigned(&self) -> usize {
        self.assigned
    }

    fn login(&self, at: usize) -> Option<&str> {
        self.facts[at]
            .assigned
            .then(|| &self.text[self.bounds[2 * at] as usize..self.bounds[2 * at + 1] as usize])
    }

    fn full_name(&self, at: usize) -> &str {
        &self.text[self.bounds[2 * at + 1] as usize..self.bounds[2 * at + 2] as usize]
    }

    /// The token at `at` (a position below [`Self::len`]).
    pub fn token(&self, at: usize) -> IndexedToken<'_> {
        IndexedToken { index: self, at }
    }

    /// The row at `at`, for display.
    pub fn row(&self, at: usize) -> IndexedRow {
        let facts = &self.facts[at];
        IndexedRow {
            serial: Serial::from_value(self.serials[at]).expect("indexed from a valid serial"),
            login: self.login(at).map(str::to_owned),
            full_name: self.full_name(at).to_owned(),
            expires: facts.expires,
            key_size: facts.key_size,
            digits: facts.digits,
            interval: facts.interval,
            distributed_count: facts.distributions as usize,
        }
    }

    /// Positions `[start, end)` of one inclusive serial range.
    fn span(&self, range: &SerialRange) -> (usize, usize) {
        let (from, to) = (range.from.value(), range.to.value());
        let start = self.serials.partition_point(|s| *s < from);
        let end = self.serials.partition_point(|s| *s <= to);
        (start, end.max(start))
    }

    /// The position spans the ranges cover, sorted and merged (every token when empty).
    fn spans(&self, ranges: &[SerialRange]) -> Vec<(usize, usize)> {
        if ranges.is_empty() {
            return vec![(0, self.len())];
        }
        let mut spans: Vec<(usize, usize)> = ranges
            .iter()
            .map(|r| self.span(r))
            .filter(|(a, b)| a < b)
            .collect();
        spans.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
        for (start, end) in spans {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        merged
    }

    /// Why each token is excluded under `context` (the slow part: once per context).
    pub fn reasons(
        &self,
        criteria: &SelectionCriteria,
        context: &SelectionContext<'_>,
    ) -> ContextReasons {
        let reasons = (0..self.len())
            .map(|at| {
                exclusion_reason(&self.token(at), criteria, context)
                    .map_or(NO_REASON, |reason| reason_kind(&reason) as u8)
            })
            .collect();
        ContextReasons {
            key: ContextKey::new(criteria, context),
            reasons,
        }
    }

    /// The selection for `criteria` with reasons computed for the same context. Gives the
    /// same tokens, counts and reasons as [`super::select`] on the inventory.
    pub fn select(
        &self,
        reasons: &ContextReasons,
        criteria: &SelectionCriteria,
    ) -> Result<IndexedSelection, String> {
        let glob = criteria
            .user_glob
            .as_deref()
            .map(compile_user_glob)
            .transpose()?;
        let mut selection = IndexedSelection::default();
        let mut visit = |at: usize| {
            selection.matched += 1;
            match reasons.reasons[at] {
                NO_REASON => match criteria.max_count {
                    Some(max) if selection.selected.len() >= max => {
                        selection.excluded_by_kind[OVER_MAX_COUNT] += 1;
                    }
                    _ => selection.selected.push(at as u32),
                },
                kind => selection.excluded_by_kind[kind as usize] += 1,
            }
        };
        let spans = self.spans(&criteria.serial_ranges);
        let (Some(glob), Some(text)) = (&glob, criteria.user_glob.as_deref()) else {
            for (start, end) in spans {
                (start..end).for_each(&mut visit);
            }
            return Ok(selection);
        };
        use rayon::prelude::*;
        let matches = |at: usize| self.login(at).is_some_and(|l| glob.is_match(l));
        // The logins are tested on all cores, then visited in serial order.
        let mut found: Vec<usize> = match self.glob_candidates(text, &spans) {
            Some(candidates) => {
                // Spans are sorted and disjoint.
                let keep = |at: &u32| {
                    let at = *at as usize;
                    let span = spans.partition_point(|(_, end)| *end <= at);
                    spans.get(span).is_some_and(|(start, _)| *start <= at) && matches(at)
                };
                if candidates.len() >= PARALLEL_FROM {
                    candidates
                        .par_iter()
                        .filter(|at| keep(at))
                        .map(|at| *at as usize)
                        .collect()
                } else {
                    candidates
                        .iter()
                        .filter(|at| keep(at))
                        .map(|at| *at as usize)
                        .collect()
                }
            }
            None => spans
                .iter()
                .flat_map(|&(start, end)| -> Vec<usize> {
                    if end - start >= PARALLEL_FROM {
                        (start..end)
                            .into_par_iter()
                            .filter(|at| matches(*at))
                            .collect()
                    } else {
                        (start..end).filter(|at| matches(*at)).collect()
                    }
                })
                .collect(),
        };
        // Serial order (already so, except after a login prefix: then only the matches are
        // sorted, not every candidate).
        found.sort_unstable();
        found.into_iter().for_each(&mut visit);
        Ok(selection)
    }

    /// The positions (in no particular order) that can match the glob `text`, when the index
    /// can narrow them down cheaper than testing every login in `spans`; `None` otherwise.
    fn glob_candidates(&self, text: &str, spans: &[(usize, usize)]) -> Option<Vec<u32>> {
        let in_spans: usize = spans.iter().map(|(a, b)| b - a).sum();
        let prefix = literal_prefix(text);
        if prefix.len() == text.len() {
            // No wildcard: the glob is one login.
            let (start, end) = self.login_range(text, true);
            return Some(self.by_login[start..end].to_vec());
        }
        if !prefix.is_empty() {
            let (start, end) = self.login_range(prefix, false);
            if end - start < in_spans {
                // In login order: the few that match are put in serial order afterwards.
                return Some(self.by_login[start..end].to_vec());
            }
        }
        // A part every match contains: the tokens whose text holds it (serial, login or
        // name: a superset, each then tested). Only ASCII, whose lowercase is the same bytes
        // wherever it stands in a lowercased login.
        let literal = longest_literal(text).filter(|l| l.is_ascii() && l.len() >= 2)?;
        Some(self.records_containing(literal.to_ascii_lowercase().as_bytes()))
    }

    /// `[start, end)` in `by_login` of the logins equal to `text` (`whole`) or starting with it.
    fn login_range(&self, text: &str, whole: bool) -> (usize, usize) {
        let login = |at: &u32| self.login(*at as usize).unwrap_or("");
        let start = self.by_login.partition_point(|at| login(at) < text);
        let rest = &self.by_login[start..];
        let end = if whole {
            rest.partition_point(|at| login(at) == text)
        } else {
            rest.partition_point(|at| login(at).starts_with(text))
        };
        (start, start + end)
    }

    fn push_search_record(&mut self, token: &InventoryToken) {
        use std::io::Write;
        let start = u32::try_from(self.search.len()).expect("the filter's text stays under 4 GiB");
        self.search_starts.push(start);
        let _ = write!(self.search, "{:012}", token.serial.value());
        self.search.push(SEARCH_END);
        if let Some(user) = &token.user {
            self.search
                .extend_from_slice(user.login().to_lowercase().as_bytes());
            self.search.push(SEARCH_END);
            let full = format!("{} {}", user.first_name(), user.last_name());
            self.search
                .extend_from_slice(full.trim().to_lowercase().as_bytes());
        }
        self.search.push(SEARCH_END);
    }

    /// Positions whose serial, login or name contains `needle` (case-insensitive), in serial
    /// order: the Tokens browser's filter. One substring search over the whole inventory's
    /// text (a few milliseconds at a million tokens), not a test per token.
    pub fn filter(&self, needle: &str) -> Vec<u32> {
        let needle: String = needle
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        if needle.is_empty() {
            return (0..self.len() as u32).collect();
        }
        self.records_containing(needle.as_bytes())
    }

    /// Positions whose search record contains `needle` (lowercase, no control character), in
    /// serial order. The text is cut into slices at record boundaries, searched on all cores.
    fn records_containing(&self, needle: &[u8]) -> Vec<u32> {
        use rayon::prelude::*;
        let finder = memchr::memmem::Finder::new(needle);
        let records = self.len();
        let slices = if records >= PARALLEL_FROM {
            (rayon::current_num_threads() * 4)
                .min(records / 1024)
                .max(1)
        } else {
            1
        };
        let first_record = |slice: usize| slice * records / slices;
        let found: Vec<Vec<u32>> = (0..slices)
            .into_par_iter()
            .map(|slice| {
                let (first, last) = (first_record(slice), first_record(slice + 1));
                let begin = self.search_starts.get(first).map_or(0, |s| *s as usize);
                let end = self
                    .search_starts
                    .get(last)
                    .map_or(self.search.len(), |s| *s as usize);
                let starts = &self.search_starts[first..last];
                let mut found: Vec<u32> = Vec::new();
                let mut record = 0;
                let mut from = begin;
                // Matches come in text order: the record cursor only moves forward. After a
                // match the search goes on from the next record (a digit can occur a dozen
                // times in one record; one is enough).
                while let Some(hit) = finder.find(&self.search[from..end]) {
                    let at = from + hit;
                    while record + 1 < starts.len() && starts[record + 1] as usize <= at {
                        record += 1;
                    }
                    found.push((first + record) as u32);
                    from = starts.get(record + 1).map_or(end, |next| *next as usize);
                }
                found
            })
            .collect();
        found.concat()
    }
}

/// Below this many tokens a search runs on one thread (spreading it costs more than it saves).
const PARALLEL_FROM: usize = 8 * 1024;

/// The longest run of plain characters in the glob `text` that every match contains: runs
/// are cut at wildcards and escapes, and only the part before any `[` class or `{`
/// alternatives is read (what is inside those is not required).
fn longest_literal(text: &str) -> Option<&str> {
    let head = &text[..text.find(['[', '{']).unwrap_or(text.len())];
    head.split(['*', '?', '\\'])
        .max_by_key(|run| run.len())
        .filter(|run| !run.is_empty())
}

/// The glob's text before its first special character: every match starts with it.
fn literal_prefix(glob: &str) -> &str {
    let end = glob.find(['*', '?', '[', '{', '\\']).unwrap_or(glob.len());
    &glob[..end]
}

/// What the per-token reasons depend on besides the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextKey {
    profile: Profile,
    protection: Protection,
    password: Option<SecretString>,
    origin: String,
    today: time::Date,
    include_distributed: bool,
    exclude_expired: bool,
}

impl ContextKey {
    pub fn new(criteria: &SelectionCriteria, context: &SelectionContext<'_>) -> Self {
        Self {
            profile: context.profile.clone(),
            protection: context.protection,
            password: context.password.cloned(),
            origin: context.origin.to_owned(),
            today: context.today,
            include_distributed: criteria.include_distributed,
            exclude_expired: criteria.exclude_expired,
        }
    }
}

/// Each token's exclusion under one job context.
#[derive(Debug)]
pub struct ContextReasons {
    key: ContextKey,
    reasons: Vec<u8>,
}

impl ContextReasons {
    /// True when these reasons hold for `criteria` under `context`.
    pub fn holds_for(&self, criteria: &SelectionCriteria, context: &SelectionContext<'_>) -> bool {
        self.key == ContextKey::new(criteria, context)
    }
}

/// A selection over the index: positions of the selected tokens and the counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexedSelection {
    /// Positions in the index, in serial order.
    pub selected: Vec<u32>,
    /// Tokens that matched the serial ranges and the user filter.
    pub matched: usize,
    /// Excluded tokens per [`REASON_CODES`] entry.
    pub excluded_by_kind: [usize; REASON_CODES.len()],
}

impl IndexedSelection {
    pub fn excluded(&self) -> usize {
        self.excluded_by_kind.iter().sum()
    }

    /// (reason code, count) of every reason that excluded a token, in check order.
    pub fn exclusion_groups(&self) -> Vec<(&'static str, usize)> {
        REASON_CODES
            .iter()
            .zip(self.excluded_by_kind)
            .filter(|(_, count)| *count > 0)
            .map(|(code, count)| (*code, count))
            .collect()
    }
}
