//! Every rule of the job specification, field by field and all at once.

use crate::jobs_common;

use jobs_common::*;
use tokendist::jobs::validate::*;
use tokendist::jobs::{Binding, JobField, Protection, SerialRange};
use tokendist::secret::SecretString;
use tokendist::token::KeySize;

fn message<T: std::fmt::Debug>(result: Result<T, FieldError>, field: JobField) -> String {
    let error = result.expect_err("the rule should refuse this value");
    assert_eq!(error.field, field, "{error}");
    error.message
}

#[test]
fn name_is_trimmed_bounded_free_of_control_characters_and_unique() {
    assert_eq!(validate_name("  Q4 rollout  ", []).unwrap(), "Q4 rollout");
    assert!(message(validate_name("   ", []), JobField::Name).contains("enter a name"));
    assert!(validate_name(&"x".repeat(128), []).is_ok());
    assert!(
        validate_name(&format!("  {}  ", "é".repeat(128)), []).is_ok(),
        "characters, not bytes"
    );
    assert!(message(validate_name(&"x".repeat(129), []), JobField::Name).contains("at most 128"));
    assert!(message(validate_name("a\tb", []), JobField::Name).contains("control"));
    assert!(message(validate_name("a\u{7f}b", []), JobField::Name).contains("control"));
    let taken = message(validate_name("q4 ROLLOUT ", ["Q4 Rollout"]), JobField::Name);
    assert!(taken.contains("already exists"), "{taken}");
}

#[test]
fn default_name_has_date_and_time_and_is_unique() {
    let name = default_job_name(now(), []);
    assert_eq!(name, "Distribution 2026-11-29 16:40");
    assert_eq!(
        default_job_name(now(), ["distribution 2026-11-29 16:40"]),
        "Distribution 2026-11-29 16:40 (2)"
    );
    assert_eq!(
        default_job_name(
            now(),
            [
                "Distribution 2026-11-29 16:40",
                "Distribution 2026-11-29 16:40 (2)"
            ]
        ),
        "Distribution 2026-11-29 16:40 (3)"
    );
    assert!(validate_name(&name, []).is_ok());
}

#[test]
fn profile_must_exist_and_deliver_by_file() {
    let profiles = profiles();
    assert_eq!(
        validate_profile("android", &profiles).unwrap().name,
        "android"
    );
    let missing = message(validate_profile("windows", &profiles), JobField::Profile);
    assert!(
        missing.contains("no profile named") && missing.contains("android"),
        "{missing}"
    );
    let ctkip = message(validate_profile("ios-ctkip", &profiles), JobField::Profile);
    assert!(
        ctkip.contains("ct-kip") && ctkip.contains("by file"),
        "{ctkip}"
    );
    assert!(message(validate_profile("", &profiles), JobField::Profile).contains("choose"));
    let mut broken = profiles.clone();
    broken[0].device_class_id = "café ".into();
    let bad_class = message(validate_profile("android", &broken), JobField::Profile);
    assert!(
        bad_class.contains("device-class id") && bad_class.contains("tokendist.toml"),
        "{bad_class}"
    );
}

#[test]
fn device_id_is_printable_ascii_without_surrounding_space_and_bounded() {
    assert!(validate_binding(&Binding::DeviceClass).is_ok());
    assert!(validate_device_id("ABC-123_x.y:z").is_ok());
    assert!(validate_device_id(&"d".repeat(64)).is_ok());
    assert!(
        message(validate_device_id(&"d".repeat(65)), JobField::DeviceId).contains("at most 64")
    );
    assert!(message(validate_device_id(" abc"), JobField::DeviceId).contains("space"));
    assert!(message(validate_device_id("abc "), JobField::DeviceId).contains("space"));
    assert!(message(validate_device_id("ab\u{1}c"), JobField::DeviceId).contains("control"));
    assert!(message(validate_device_id("gerät"), JobField::DeviceId).contains("printable ASCII"));
    assert!(message(validate_device_id(""), JobField::DeviceId).contains("enter the device id"));
    assert!(validate_binding(&Binding::Device("x y".into())).is_ok());
}

#[test]
fn nickname_is_optional_printable_and_short() {
    assert!(validate_nickname(None).is_ok());
    assert!(validate_nickname(Some("")).is_ok());
    assert!(validate_nickname(Some("Work phone")).is_ok());
    assert!(validate_nickname(Some(&"n".repeat(24))).is_ok());
    assert!(
        message(validate_nickname(Some(&"n".repeat(25))), JobField::Nickname)
            .contains("at most 24")
    );
    assert!(
        message(validate_nickname(Some("tab\there")), JobField::Nickname)
            .contains("printable ASCII")
    );
    assert!(message(validate_nickname(Some(" lead")), JobField::Nickname).contains("space"));
}

#[test]
fn password_length_follows_the_key_size_and_protection() {
    let pw = |text: &str| SecretString::from(text);
    let check = |protection, text: Option<&str>, bits| {
        validate_password(protection, text.map(pw).as_ref(), bits)
    };
    // password: 1-24 for 128-bit, 1-8 for 64-bit.
    assert!(
        check(
            Protection::Password,
            Some(&"p".repeat(24)),
            KeySize::Bits128
        )
        .is_ok()
    );
    assert!(
        message(
            check(
                Protection::Password,
                Some(&"p".repeat(25)),
                KeySize::Bits128
            ),
            JobField::Password
        )
        .contains("at most 24")
    );
    assert!(check(Protection::Password, Some("12345678"), KeySize::Bits64).is_ok());
    assert!(
        message(
            check(Protection::Password, Some("123456789"), KeySize::Bits64),
            JobField::Password
        )
        .contains("at most 8")
    );
    assert!(
        message(
            check(Protection::Password, None, KeySize::Bits128),
            JobField::Password
        )
        .contains("enter a password")
    );
    assert!(
        message(
            check(Protection::Password, Some(""), KeySize::Bits128),
            JobField::Password
        )
        .contains("enter a password")
    );
    // user-id+password: the password must leave room for the login.
    assert!(
        check(
            Protection::UserIdPassword,
            Some(&"p".repeat(23)),
            KeySize::Bits128
        )
        .is_ok()
    );
    assert!(
        message(
            check(
                Protection::UserIdPassword,
                Some(&"p".repeat(24)),
                KeySize::Bits128
            ),
            JobField::Password
        )
        .contains("together")
    );
    assert!(
        message(
            check(Protection::UserIdPassword, None, KeySize::Bits64),
            JobField::Password
        )
        .contains("enter")
    );
    // none and user-id take no password.
    assert!(check(Protection::None, None, KeySize::Bits128).is_ok());
    assert!(check(Protection::UserId, None, KeySize::Bits128).is_ok());
    assert!(
        message(
            check(Protection::UserId, Some("x"), KeySize::Bits128),
            JobField::Password
        )
        .contains("takes no job password")
    );
}

#[test]
fn password_is_printable_ascii_and_the_message_never_shows_it() {
    let check = |text: &str| {
        validate_password(
            Protection::Password,
            Some(&SecretString::from(text)),
            KeySize::Bits128,
        )
    };
    assert!(check("Pass word!~").is_ok());
    let accented = message(check("pässword"), JobField::Password);
    assert!(
        accented.contains("printable ASCII") && accented.contains("phones"),
        "{accented}"
    );
    assert!(
        !accented.contains('ä'),
        "the message must not echo the secret: {accented}"
    );
    assert!(message(check("tab\tpass"), JobField::Password).contains("control character"));
    assert!(message(check(" lead"), JobField::Password).contains("space"));
    assert!(message(check("trail "), JobField::Password).contains("space"));
    for rule in [
        Protection::Password,
        Protection::UserId,
        Protection::UserIdPassword,
    ] {
        assert!(password_rule(rule, KeySize::Bits64).contains('8'));
        assert!(password_rule(rule, KeySize::Bits128).contains("24"));
    }
}

#[test]
fn password_must_differ_from_origin_and_confirmation_must_match() {
    let origin = message(
        validate_password_not_origin(Some(&SecretString::from("tokendist")), " tokendist "),
        JobField::Password,
    );
    assert!(
        origin.contains("Origin") && !origin.contains("tokendist"),
        "{origin}"
    );
    assert!(validate_password_not_origin(Some(&SecretString::from("other")), "tokendist").is_ok());
    assert!(validate_password_confirmation(&"a".into(), &"a".into()).is_ok());
    assert!(
        message(
            validate_password_confirmation(&"a".into(), &"b".into()),
            JobField::Password
        )
        .contains("do not match")
    );
}

#[test]
fn selection_criteria_need_a_valid_glob_and_a_positive_maximum() {
    let mut criteria = tokendist::jobs::SelectionCriteria::default();
    assert!(validate_criteria(&criteria).is_ok());
    criteria.user_glob = Some("j[doe".into());
    assert!(
        message(validate_criteria(&criteria), JobField::Selection).contains("not a valid pattern")
    );
    criteria.user_glob = Some("j*".into());
    criteria.max_count = Some(0);
    assert!(message(validate_criteria(&criteria), JobField::Selection).contains("at least 1"));
    criteria.max_count = Some(5);
    criteria.serial_ranges = vec![SerialRange {
        from: serial(9),
        to: serial(3),
    }];
    assert!(message(validate_criteria(&criteria), JobField::Selection).contains("greater"));
}

#[test]
fn validate_spec_reports_every_broken_field_in_panel_order() {
    let mut spec = spec(" ", Protection::Password, Some("ü"));
    spec.binding = Binding::Device(" x".into());
    spec.nickname = Some("n".repeat(30));
    spec.selection.max_count = Some(0);
    let errors = validate_spec(&spec, &profiles(), []).unwrap_err();
    let fields: Vec<JobField> = errors.iter().map(|error| error.field).collect();
    assert_eq!(
        fields,
        [
            JobField::Name,
            JobField::DeviceId,
            JobField::Nickname,
            JobField::Password,
            JobField::Selection
        ]
    );
    assert!(errors[0].to_string().starts_with("job name: "));
    let ok = jobs_common::spec("ok", Protection::UserId, None);
    assert_eq!(validate_spec(&ok, &profiles(), []).unwrap().name, "android");
}

#[test]
fn validate_fields_checks_only_the_panel_asked_for() {
    let mut spec = spec("", Protection::Password, Some("tokendist"));
    spec.nickname = Some("n".repeat(30));
    let fields = |spec: &tokendist::jobs::JobSpec, wanted: &[JobField]| -> Vec<JobField> {
        validate_fields(spec, &profiles(), [], "tokendist", wanted)
            .iter()
            .map(|error| error.field)
            .collect()
    };
    assert_eq!(fields(&spec, &[JobField::Name]), [JobField::Name]);
    assert_eq!(fields(&spec, &[JobField::Nickname]), [JobField::Nickname]);
    assert_eq!(
        fields(&spec, &[JobField::DeviceId, JobField::Selection]),
        []
    );
    // The password equal to Origin is caught on the password panel.
    assert_eq!(fields(&spec, &[JobField::Password]), [JobField::Password]);
    spec.profile = "nope".into();
    assert_eq!(
        fields(&spec, &[JobField::Password]),
        [],
        "no key size to check against yet"
    );
}

#[test]
fn job_names_with_invisible_characters_or_of_the_form_of_a_job_id_are_refused() {
    for name in [
        "Sales\u{202e}gpj",
        "Sa\u{200b}les",
        "\u{2066}Sales\u{2069}",
        "Sales\u{feff}",
    ] {
        assert!(
            message(validate_name(name, []), JobField::Name).contains("invisible"),
            "{name:?}"
        );
    }
    for name in [
        "20261130-153805-67aa",
        "20261130-153805-67AA",
        "20261130-153805-abcdef",
    ] {
        assert!(
            message(validate_name(name, []), JobField::Name).contains("job id"),
            "{name:?}"
        );
    }
    for name in [
        "20261130 sales",
        "2026-11-30 rollout",
        "Distribution 2026-11-30 15:38",
    ] {
        assert!(validate_name(name, []).is_ok(), "{name:?}");
    }
}
