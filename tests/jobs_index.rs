//! The interactive selection index gives exactly what `jobs::select` gives on the inventory:
//! the same selected tokens, the same match count and the same exclusions per reason, for
//! serial ranges, globs (with and without a literal prefix), max counts and every protection.

use crate::jobs_common;

use jobs_common::*;
use tokendist::jobs::index::{InventoryIndex, reason_kind};
use tokendist::jobs::{Protection, SelectionContext, SelectionCriteria, SerialRange, select};
use tokendist::secret::SecretString;
use tokendist::token::{Digits, KeySize};
use tokendist::workspace::InventoryToken;

/// 400 tokens with every kind of exclusion mixed in.
fn inventory() -> Vec<InventoryToken> {
    (0..400u64)
        .map(|i| {
            let login = match i % 13 {
                0 => None,
                1 => Some(format!("alice{i}")),
                2 => Some(format!("al{i}")),
                3 => Some("x".repeat(30)),
                4 => Some(format!("caf\u{e9}{i}")),
                5 => Some("tokendist".to_owned()),
                6 => Some(String::new()),
                _ => Some(format!("user{i:03}")),
            };
            let mut token = token(1_000 + i * 3, login.as_deref());
            match i % 17 {
                1 => token.expires = time::macros::date!(2026 - 01 - 01),
                2 => token.key_size = KeySize::Bits64,
                3 => token.digits = Digits::SIX,
                4 => token = distributed(token, "Earlier"),
                5 => token.birth = time::macros::date!(2031 - 01 - 01),
                6 => {
                    if let Some(user) = token.user.as_mut() {
                        user.set_first_name("王");
                    }
                }
                _ => {}
            }
            token
        })
        .collect()
}

fn ranges(text: &[&str]) -> Vec<SerialRange> {
    text.iter()
        .map(|t| SerialRange::parse(t).unwrap())
        .collect()
}

#[test]
fn the_index_selects_exactly_like_select() {
    let tokens = inventory();
    let index = InventoryIndex::build(&tokens);
    assert_eq!(index.len(), tokens.len());
    let password = SecretString::from("pw");
    let all_profiles = profiles();
    let criteria_list = [
        SelectionCriteria::default(),
        SelectionCriteria {
            serial_ranges: ranges(&["1000-1300", "1200-1500", "1900", "99999-999999"]),
            ..SelectionCriteria::default()
        },
        SelectionCriteria {
            user_glob: Some("al*".into()),
            ..SelectionCriteria::default()
        },
        SelectionCriteria {
            user_glob: Some("alice1*".into()),
            serial_ranges: ranges(&["1000-1600"]),
            ..SelectionCriteria::default()
        },
        SelectionCriteria {
            user_glob: Some("*3?".into()),
            include_distributed: true,
            exclude_expired: false,
            ..SelectionCriteria::default()
        },
        SelectionCriteria {
            user_glob: Some("user[0-2]*".into()),
            max_count: Some(7),
            ..SelectionCriteria::default()
        },
        SelectionCriteria {
            user_glob: Some("nobody".into()),
            ..SelectionCriteria::default()
        },
        // Globs the index answers without testing every login: one login (binary search),
        // a literal part found by substring search (inside, at the end, in any case, before
        // a class or alternatives, around an escape), and the ones it cannot narrow.
        SelectionCriteria {
            user_glob: Some("tokendist".into()),
            ..SelectionCriteria::default()
        },
        SelectionCriteria {
            user_glob: Some("al1".into()),
            serial_ranges: ranges(&["1000-1100", "1150-1200"]),
            ..SelectionCriteria::default()
        },
        SelectionCriteria {
            user_glob: Some("*ice1*".into()),
            serial_ranges: ranges(&["1000-1100", "1150-1500"]),
            ..SelectionCriteria::default()
        },
        SelectionCriteria {
            user_glob: Some("*E1?".into()),
            ..SelectionCriteria::default()
        },
        SelectionCriteria {
            user_glob: Some("*ser0[0-4]*".into()),
            ..SelectionCriteria::default()
        },
        SelectionCriteria {
            user_glob: Some("*xx{x,y}*".into()),
            ..SelectionCriteria::default()
        },
        SelectionCriteria {
            user_glob: Some("*se\\r1*".into()),
            ..SelectionCriteria::default()
        },
        SelectionCriteria {
            user_glob: Some("*caf\u{e9}1*".into()),
            ..SelectionCriteria::default()
        },
        SelectionCriteria {
            user_glob: Some("?".into()),
            ..SelectionCriteria::default()
        },
    ];
    for profile in &all_profiles {
        for protection in Protection::ALL {
            let context = SelectionContext {
                profile,
                protection,
                password: protection.needs_password().then_some(&password),
                origin: "tokendist",
                today: today(),
            };
            for criteria in &criteria_list {
                let expected = select(&tokens, criteria, &context).unwrap();
                let reasons = index.reasons(criteria, &context);
                assert!(reasons.holds_for(criteria, &context));
                let got = index.select(&reasons, criteria).unwrap();
                let label = format!("{} {protection:?} {criteria:?}", profile.name);
                assert_eq!(got.matched, expected.matched, "{label}");
                let selected: Vec<u64> = got
                    .selected
                    .iter()
                    .map(|at| index.row(*at as usize).serial.value())
                    .collect();
                let expected_selected: Vec<u64> =
                    expected.selected.iter().map(|t| t.serial.value()).collect();
                assert_eq!(selected, expected_selected, "{label}");
                let mut by_kind = [0usize; 11];
                for exclusion in &expected.exclusions {
                    by_kind[reason_kind(&exclusion.reason)] += 1;
                }
                assert_eq!(got.excluded_by_kind, by_kind, "{label}");
            }
        }
    }
}

#[test]
fn reasons_are_per_context_and_bad_globs_are_refused() {
    let tokens = inventory();
    let index = InventoryIndex::build(&tokens);
    let all_profiles = profiles();
    let context = SelectionContext {
        profile: &all_profiles[0],
        protection: Protection::UserId,
        password: None,
        origin: "tokendist",
        today: today(),
    };
    let criteria = SelectionCriteria::default();
    let reasons = index.reasons(&criteria, &context);
    let redistribute = SelectionCriteria {
        include_distributed: true,
        ..SelectionCriteria::default()
    };
    assert!(!reasons.holds_for(&redistribute, &context));
    let other = SelectionContext {
        protection: Protection::None,
        ..context
    };
    assert!(!reasons.holds_for(&criteria, &other));
    let bad = SelectionCriteria {
        user_glob: Some("a[".into()),
        ..SelectionCriteria::default()
    };
    assert!(
        index
            .select(&reasons, &bad)
            .unwrap_err()
            .contains("not a valid pattern")
    );
}

#[test]
fn the_filter_finds_serials_logins_and_names() {
    let tokens = inventory();
    let index = InventoryIndex::build(&tokens);
    let found = index.filter("ALICE14");
    assert!(!found.is_empty());
    for at in &found {
        let row = index.row(*at as usize);
        assert!(row.login.unwrap().to_lowercase().contains("alice14"));
    }
    assert_eq!(index.filter("000000001003").len(), 1);
    assert_eq!(index.filter("").len(), tokens.len());
    assert_eq!(
        index.assigned(),
        tokens.iter().filter(|t| t.user.is_some()).count()
    );
}

#[test]
fn the_filter_matches_a_token_by_token_scan_and_never_spans_two_fields() {
    let tokens = inventory();
    let index = InventoryIndex::build(&tokens);
    let naive = |needle: &str| -> Vec<u32> {
        let needle = needle.to_lowercase();
        tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                format!("{:012}", t.serial.value()).contains(&needle)
                    || t.user.as_ref().is_some_and(|u| {
                        u.login().to_lowercase().contains(&needle)
                            || format!("{} {}", u.first_name(), u.last_name())
                                .trim()
                                .to_lowercase()
                                .contains(&needle)
                    })
            })
            .map(|(at, _)| at as u32)
            .collect()
    };
    for needle in ["a", "ALI", "1", "0010", "ce1", "zzz", " "] {
        assert_eq!(index.filter(needle), naive(needle.trim()), "{needle:?}");
    }
    // The end of a serial and the start of a login are two fields, not one text.
    let last_digit_then_login = format!(
        "{}{}",
        tokens[0].serial.value() % 10,
        tokens[0].user.as_ref().map_or("", |u| &u.login()[..1])
    );
    assert_eq!(
        index.filter(&last_digit_then_login),
        naive(&last_digit_then_login)
    );
}

/// A large index (searched in slices on several threads) finds what a token-by-token scan
/// finds, for the Tokens filter and for globs of every kind.
#[test]
fn a_large_index_searches_in_slices_and_finds_what_a_scan_finds() {
    let tokens: Vec<InventoryToken> = (0..20_000u64)
        .map(|i| {
            let login = format!("u{:05}x{}", i * 7919 % 20_000, i % 3);
            token(1_000_000 + i, (i % 11 != 0).then_some(login.as_str()))
        })
        .collect();
    let index = InventoryIndex::build(&tokens);
    for needle in ["u1", "x2", "u19", "0", "u00007x", "nothing"] {
        let naive: Vec<u32> = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                format!("{:012}", t.serial.value()).contains(needle)
                    || t.user.as_ref().is_some_and(|u| {
                        u.login().contains(needle)
                            || format!("{} {}", u.first_name(), u.last_name())
                                .trim()
                                .to_lowercase()
                                .contains(needle)
                    })
            })
            .map(|(at, _)| at as u32)
            .collect();
        assert_eq!(index.filter(needle), naive, "{needle:?}");
    }
    let profile = &profiles()[0];
    let context = SelectionContext {
        profile,
        protection: Protection::None,
        password: None,
        origin: "tokendist",
        today: today(),
    };
    for glob in ["u1*", "*x2", "*19*x1", "u0000[0-3]x?", "?1*", "u12345x0"] {
        let criteria = SelectionCriteria {
            user_glob: Some(glob.into()),
            ..SelectionCriteria::default()
        };
        let expected = select(&tokens, &criteria, &context).unwrap();
        let reasons = index.reasons(&criteria, &context);
        let got = index.select(&reasons, &criteria).unwrap();
        assert_eq!(got.matched, expected.matched, "{glob}");
        let selected: Vec<u64> = got
            .selected
            .iter()
            .map(|at| index.row(*at as usize).serial.value())
            .collect();
        let expected: Vec<u64> = expected.selected.iter().map(|t| t.serial.value()).collect();
        assert_eq!(selected, expected, "{glob}");
    }
}
