//! Token selection, exclusions with reasons, the review summary and `prepare_from`.

use crate::jobs_common;

use jobs_common::*;
use tokendist::jobs::history::History;
use tokendist::jobs::review::REDISTRIBUTION_WARNING;
use tokendist::jobs::{
    ExclusionReason, JobField, Protection, SelectionContext, SelectionCriteria, SerialRange,
    prepare_from, select,
};
use tokendist::secret::SecretString;
use tokendist::token::KeySize;

fn context<'a>(
    profile: &'a tokendist::workspace::Profile,
    protection: Protection,
    password: Option<&'a SecretString>,
) -> SelectionContext<'a> {
    SelectionContext {
        profile,
        protection,
        password,
        origin: "tokendist",
        today: today(),
    }
}

fn reasons(selection: &tokendist::jobs::Selection<'_>) -> Vec<(u64, &'static str)> {
    selection
        .exclusions
        .iter()
        .map(|exclusion| (exclusion.serial.value(), exclusion.reason.code()))
        .collect()
}

fn empty_history() -> History {
    History::load_from(&tempfile::tempdir().unwrap().path().join("history.jsonl")).unwrap()
}

#[test]
fn every_exclusion_has_its_reason() {
    let profile = &profiles()[0];
    let mut expired = token(2, Some("old"));
    expired.expires = time::macros::date!(2026 - 11 - 28);
    let mut legacy = token(3, Some("legacy"));
    legacy.key_size = KeySize::Bits64;
    let inventory = vec![
        token(1, None),
        expired,
        legacy,
        distributed(token(4, Some("again")), "Earlier job"),
        token(5, Some(&"l".repeat(25))),
        token(6, Some("caf\u{e9}")),
        token(7, Some("tokendist")),
        {
            let mut accented = token(10, Some("jgarcia"));
            accented.user.as_mut().unwrap().set_last_name("王");
            accented
        },
        token(8, Some("fine")),
        token(9, Some("also-fine")),
        {
            let mut damaged = token(11, Some("dates"));
            damaged.birth = time::macros::date!(2031 - 01 - 01);
            damaged
        },
    ];
    let selection = select(
        &inventory,
        &SelectionCriteria::default(),
        &context(profile, Protection::UserId, None),
    )
    .unwrap();
    assert_eq!(selection.matched, 11);
    assert_eq!(
        selection
            .selected
            .iter()
            .map(|t| t.serial.value())
            .collect::<Vec<_>>(),
        [8, 9]
    );
    assert_eq!(
        reasons(&selection),
        [
            (1, "not-assigned"),
            (2, "expired"),
            (3, "key-size-differs"),
            (4, "previously-distributed"),
            (5, "password-too-long"),
            (6, "login-unusable"),
            (7, "password-equals-origin"),
            (10, "user-field-not-writable"),
            (11, "dates-inconsistent"),
        ]
    );
    assert_eq!(
        selection.exclusions[4].reason,
        ExclusionReason::PasswordTooLong {
            chars: 25,
            limit: 24
        }
    );
    assert_eq!(
        selection.exclusions[1].reason.to_string(),
        "expired (last valid day 2026-11-28)"
    );
    assert_eq!(selection.exclusions[0].login, None);
    assert_eq!(selection.exclusions[3].login.as_deref(), Some("again"));
}

#[test]
fn user_id_plus_password_limits_login_and_password_together() {
    let profile = &profiles()[0];
    let password = SecretString::from("0123456789"); // 10 characters: logins up to 14 fit
    let inventory = vec![
        token(1, Some(&"a".repeat(14))),
        token(2, Some(&"b".repeat(15))),
    ];
    let selection = select(
        &inventory,
        &SelectionCriteria::default(),
        &context(profile, Protection::UserIdPassword, Some(&password)),
    )
    .unwrap();
    assert_eq!(selection.selected.len(), 1);
    assert_eq!(
        selection.exclusions[0].reason,
        ExclusionReason::PasswordTooLong {
            chars: 25,
            limit: 24
        }
    );
    // 64-bit profile: 8 characters in all.
    let legacy_profile = &profiles()[1];
    let mut short = token(3, Some("abc"));
    short.key_size = KeySize::Bits64;
    let mut long = token(4, Some("abcdefg"));
    long.key_size = KeySize::Bits64;
    let pw = SecretString::from("12345");
    let selection = select(
        [&short, &long],
        &SelectionCriteria::default(),
        &context(legacy_profile, Protection::UserIdPassword, Some(&pw)),
    )
    .unwrap();
    assert_eq!(selection.selected.len(), 1);
    assert_eq!(
        selection.exclusions[0].reason,
        ExclusionReason::PasswordTooLong {
            chars: 12,
            limit: 8
        }
    );
    // Password and none protection do not look at logins.
    let selection = select(
        &inventory,
        &SelectionCriteria::default(),
        &context(profile, Protection::None, None),
    )
    .unwrap();
    assert_eq!(selection.selected.len(), 2);
}

#[test]
fn ranges_glob_include_distributed_expired_and_max_count() {
    let profile = &profiles()[0];
    let mut inventory = tokens(10); // serials 1000..=1009, user0000..user0009
    inventory[2] = distributed(inventory[2].clone(), "Before");
    inventory[3].expires = time::macros::date!(2020 - 01 - 01);
    inventory[3].birth = time::macros::date!(2019 - 01 - 01);
    let ctx = context(profile, Protection::None, None);
    let mut criteria = SelectionCriteria {
        serial_ranges: vec![
            SerialRange::parse("1000-1003").unwrap(),
            SerialRange::parse("1008").unwrap(),
        ],
        ..SelectionCriteria::default()
    };
    let selection = select(&inventory, &criteria, &ctx).unwrap();
    assert_eq!(selection.matched, 5);
    assert_eq!(selection.selected.len(), 3);
    criteria.include_distributed = true;
    criteria.exclude_expired = false;
    assert_eq!(
        select(&inventory, &criteria, &ctx).unwrap().selected.len(),
        5
    );
    criteria.user_glob = Some("user000[0-2]".into());
    let selection = select(&inventory, &criteria, &ctx).unwrap();
    assert_eq!((selection.matched, selection.selected.len()), (3, 3));
    criteria.user_glob = None;
    criteria.max_count = Some(2);
    let selection = select(&inventory, &criteria, &ctx).unwrap();
    assert_eq!(
        selection
            .selected
            .iter()
            .map(|t| t.serial.value())
            .collect::<Vec<_>>(),
        [1000, 1001]
    );
    assert_eq!(
        reasons(&selection),
        [
            (1002, "over-max-count"),
            (1003, "over-max-count"),
            (1008, "over-max-count")
        ]
    );
    // A glob never matches unassigned tokens; they are simply not selected.
    let unassigned = [token(1, None)];
    criteria.user_glob = Some("*".into());
    let selection = select(&unassigned, &criteria, &ctx).unwrap();
    assert_eq!((selection.matched, selection.exclusions.len()), (0, 0));
}

#[test]
fn review_shows_choices_counts_grouped_exclusions_and_the_redistribution_warning() {
    let mut inventory = tokens(30);
    inventory[0] = distributed(inventory[0].clone(), "Pilot");
    inventory[1].user = None;
    for token in &mut inventory[5..28] {
        token.user = None;
    }
    let mut spec = spec("  Review me ", Protection::Password, Some("s3cret-Pass"));
    spec.selection.include_distributed = true;
    spec.nickname = Some("Work".into());
    let job = prepare_from(&config(), &inventory, &empty_history(), spec, today()).unwrap();
    let review = &job.review;
    assert_eq!(review.job_name, "Review me");
    assert_eq!(review.token_count, 6);
    assert_eq!(review.matched, 30);
    assert_eq!(review.excluded_count(), 24);
    assert!(review.password_set);
    assert_eq!(review.device_serial_number, ANDROID_CLASS);
    assert_eq!(review.exclusions.len(), 1);
    assert_eq!(review.exclusions[0].reason, "not assigned to a user");
    assert_eq!(review.redistributed.len(), 1);
    assert_eq!(review.redistributed[0].last_job, "Pilot");
    assert!(review.has_warnings());
    let text = review.render_text();
    assert!(text.contains(REDISTRIBUTION_WARNING), "{text}");
    assert!(
        text.contains("one job password for every file (set)"),
        "{text}"
    );
    assert!(text.contains("… and 4 more"), "{text}");
    assert!(text.contains("Work"));
    assert!(
        !text.contains("s3cret"),
        "the review must never show the password"
    );
    assert!(!format!("{review:?}").contains("s3cret"));
    assert!(!serde_json::to_string(review).unwrap().contains("s3cret"));
}

#[test]
fn prepare_refuses_invalid_fields_and_jobs_with_no_token_left() {
    let history = empty_history();
    let rejected = prepare_from(
        &config(),
        &tokens(3),
        &history,
        spec("x", Protection::Password, Some("tokendist")),
        today(),
    )
    .unwrap_err();
    assert_eq!(rejected.errors[0].field, JobField::Password);
    assert!(rejected.errors[0].message.contains("Origin"));

    let unassigned: Vec<_> = (0..3).map(|i| token(i, None)).collect();
    let rejected = prepare_from(
        &config(),
        &unassigned,
        &history,
        spec("x", Protection::None, None),
        today(),
    )
    .unwrap_err();
    assert_eq!(rejected.errors[0].field, JobField::Selection);
    assert!(
        rejected.errors[0].message.contains("all were excluded"),
        "{}",
        rejected
    );
    let review = rejected.review.expect("the review explains the exclusions");
    assert_eq!(review.excluded_count(), 3);

    let mut nothing = spec("x", Protection::None, None);
    nothing.selection.serial_ranges = vec![SerialRange::parse("5-6").unwrap()];
    let rejected = prepare_from(&config(), &tokens(3), &history, nothing, today()).unwrap_err();
    assert!(
        rejected.errors[0]
            .message
            .contains("no token in the inventory matches")
    );
}

#[test]
fn tokens_whose_code_settings_differ_from_the_profile_are_excluded() {
    // A file carries the profile's digits and interval: a token recorded on the server with
    // others would show codes the server rejects, so it is left out rather than written.
    let mut inventory = tokens(3);
    inventory[1].digits = tokendist::token::Digits::SIX;
    inventory[2].interval = tokendist::token::Interval::Seconds30;
    let job = prepare_from(
        &config(),
        &inventory,
        &empty_history(),
        spec("x", Protection::UserId, None),
        today(),
    )
    .unwrap();
    assert_eq!(job.review.token_count, 1);
    assert_eq!(job.review.exclusions[0].code, "code-format-differs");
    assert_eq!(job.review.exclusions[0].tokens.len(), 2);
    assert!(
        job.review.exclusions[0].tokens[0]
            .detail
            .contains("6 digits every 60s, the profile's is 8 digits every 60s"),
        "{:?}",
        job.review.exclusions[0].tokens[0].detail
    );
    assert!(!job.review.has_warnings());
}

#[test]
fn accented_names_are_written_without_accents_and_others_are_excluded() {
    let mut inventory = tokens(3);
    inventory[0].user.as_mut().unwrap().set_last_name("García");
    inventory[1].user.as_mut().unwrap().set_first_name("王");
    let job = prepare_from(
        &config(),
        &inventory,
        &empty_history(),
        spec("x", Protection::UserId, None),
        today(),
    )
    .unwrap();
    assert_eq!(job.review.token_count, 2);
    assert_eq!(job.review.exclusions[0].code, "user-field-not-writable");
    assert!(
        job.review.exclusions[0].tokens[0]
            .detail
            .contains("first name")
    );
    assert!(job.review.notes[0].contains("without accents"));
    assert!(!job.review.has_warnings(), "folding needs no confirmation");
}

#[test]
fn every_reason_code_maps_back_to_its_label() {
    use tokendist::jobs::select::label_for_code;
    for code in [
        "not-assigned",
        "expired",
        "key-size-differs",
        "code-format-differs",
        "password-too-long",
        "login-unusable",
        "password-equals-origin",
        "previously-distributed",
        "user-field-not-writable",
        "dates-inconsistent",
        "over-max-count",
    ] {
        assert!(label_for_code(code).is_some(), "{code}");
    }
    assert_eq!(label_for_code("expired"), Some("expired"));
    assert_eq!(label_for_code("nonsense"), None);
}
