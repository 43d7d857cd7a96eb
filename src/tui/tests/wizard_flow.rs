//! Walking the wizard with keys: every step, every validation message, Back keeping input.

use super::{messages, walk_to};
use crate::jobs::{Binding, Protection};
use crate::tui::app::{ConfirmKind, Overlay, Screen};
use crate::tui::backend::{JobEvent, Progress};
use crate::tui::fake::Harness;
use crate::tui::msg::Msg;
use crate::tui::wizard::Step;
use crossterm::event::KeyCode;

#[test]
fn defaults_walk_through_every_step_and_submit() {
    let mut h = Harness::new();
    assert_eq!(h.state.wizard.position(), (1, 8));
    walk_to(&mut h, Step::Selection);
    assert_eq!(h.state.wizard.position(), (7, 8));
    let preview = h.state.wizard.preview.ready().unwrap();
    // 30 tokens: 3 unassigned, 1 expired, 2 distributed before.
    assert_eq!((preview.selected_count, preview.selected.len()), (24, 24));
    assert_eq!(preview.excluded_count, 6);
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.step, Step::Review);
    let review = h.state.wizard.review.clone().unwrap().unwrap();
    assert_eq!(review.selected_count, 24);
    assert!(
        review
            .choices
            .iter()
            .any(|(k, v)| k == "Password" && v == "set (not shown)")
    );
    h.press(KeyCode::Enter);
    let spec = h.backend.started.last().expect("submitted");
    assert_eq!(spec.name, "Distribution 2026-11-29 14:30");
    assert_eq!(spec.profile, "android-file");
    assert_eq!(spec.binding, Binding::DeviceClass);
    assert_eq!(spec.protection, Protection::Password);
    assert_eq!(spec.password.as_ref().unwrap().expose(), "Secret12");
    assert!(h.state.shows_progress());
    assert!(h.state.job_running());
    h.job_event(JobEvent::Progress(Progress {
        done: 12,
        total: 24,
        rate: 400.0,
        eta: None,
    }));
    assert_eq!(h.state.run.as_ref().unwrap().progress.done, 12);
}

#[test]
fn name_rules_show_inline_and_hold_next() {
    let mut h = Harness::new();
    h.ctrl('u');
    assert_eq!(messages(&h), ["job name is empty"]);
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.step, Step::Name);
    h.type_text("pilot BATCH");
    h.press(KeyCode::Enter);
    assert_eq!(messages(&h), ["a job named \"pilot BATCH\" already exists"]);
    assert_eq!(h.state.wizard.step, Step::Name);
    h.ctrl('u');
    h.type_text(&"x".repeat(129));
    assert_eq!(messages(&h), ["job name is longer than 128 characters"]);
    h.ctrl('r');
    assert_eq!(h.state.wizard.name.value(), "Distribution 2026-11-29 14:30");
    assert!(messages(&h).is_empty());
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.step, Step::Profile);
}

#[test]
fn q_and_question_mark_are_text_in_a_text_field() {
    let mut h = Harness::new();
    h.ctrl('u');
    h.type_text("q?jk");
    assert_eq!(h.state.wizard.name.value(), "q?jk");
    assert!(!h.quit);
    assert!(h.state.overlay.is_none());
}

#[test]
fn a_profile_not_delivered_by_file_cannot_be_chosen() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Profile);
    h.press(KeyCode::Down);
    h.press(KeyCode::Char('j'));
    assert_eq!(
        h.state
            .wizard
            .chosen_profile(&h.state.profiles)
            .unwrap()
            .name,
        "windows-ctkip"
    );
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.step, Step::Profile);
    assert_eq!(
        messages(&h),
        [
            "profile \"windows-ctkip\" is delivered by ct-kip, not as a file: tokendist cannot distribute it"
        ]
    );
    h.press(KeyCode::Char('k'));
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.step, Step::Binding);
    // The device-class id followed the profile.
    assert_eq!(
        h.state.wizard.device_id.value(),
        "b2b4c1e4-4f0a-4d3c-9a7e-2f1d0c6b5a49"
    );
}

#[test]
fn device_binding_follows_the_field() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Binding);
    assert_eq!(
        h.state.wizard.binding(&h.state.profiles),
        Binding::DeviceClass
    );
    h.ctrl('u');
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.step, Step::Binding);
    assert!(messages(&h)[0].starts_with("DeviceSerialNumber is empty"));
    h.type_text(" phone-42");
    assert_eq!(messages(&h), ["device id has spaces at its start or end"]);
    h.press(KeyCode::Home);
    h.press(KeyCode::Delete);
    assert!(messages(&h).is_empty());
    assert_eq!(
        h.state.wizard.binding(&h.state.profiles),
        Binding::Device("phone-42".into())
    );
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.step, Step::Nickname);
    h.press(KeyCode::Esc);
    h.ctrl('r');
    assert_eq!(
        h.state.wizard.binding(&h.state.profiles),
        Binding::DeviceClass
    );
}

#[test]
fn password_length_and_confirmation_show_as_you_type() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Password);
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.step, Step::Password);
    assert_eq!(messages(&h), ["password is empty"]);
    h.type_text(&"a".repeat(25));
    assert_eq!(
        messages(&h),
        [
            "the confirmation does not match the password",
            "password is 25 characters; this 128-bit profile allows at most 24"
        ]
    );
    h.press(KeyCode::Backspace);
    h.press(KeyCode::Tab);
    h.type_text(&"a".repeat(23));
    assert_eq!(
        messages(&h),
        ["the confirmation does not match the password"]
    );
    h.type_text("a");
    assert!(messages(&h).is_empty());
    h.type_text("é");
    h.press(KeyCode::BackTab);
    h.type_text("é");
    assert_eq!(
        messages(&h),
        [
            "password is 25 characters; this 128-bit profile allows at most 24",
            "password must be printable ASCII (users type it on phones)"
        ]
    );
}

#[test]
fn a_64_bit_profile_allows_eight_characters() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Profile);
    h.press(KeyCode::End);
    walk_to(&mut h, Step::Password);
    h.type_text("123456789");
    h.press(KeyCode::Tab);
    h.type_text("123456789");
    assert_eq!(
        messages(&h),
        ["password is 9 characters; this 64-bit profile allows at most 8"]
    );
}

#[test]
fn protection_without_password_skips_the_password_step() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Protection);
    h.press(KeyCode::Down);
    assert_eq!(h.state.wizard.protection(), Protection::None);
    assert_eq!(h.state.wizard.position(), (5, 7));
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.step, Step::Selection);
    h.press(KeyCode::Esc);
    assert_eq!(h.state.wizard.step, Step::Protection);
}

#[test]
fn selection_counts_live_and_explains_bad_ranges() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Selection);
    let count = |h: &Harness| h.state.wizard.preview.ready().unwrap().selected_count;
    h.type_text("100000000-100000009");
    assert_eq!(count(&h), 7);
    h.type_text("x");
    assert_eq!(
        messages(&h),
        [
            "serial range \"100000000-100000009x\": serial number \"100000009x\" must contain only the digits 0-9"
        ]
    );
    h.press(KeyCode::Backspace);
    h.press(KeyCode::Tab);
    h.type_text("user0[0-5]");
    assert_eq!(count(&h), 4);
    h.press(KeyCode::Tab);
    h.press(KeyCode::Char(' '));
    assert_eq!(count(&h), 6);
    h.press(KeyCode::Tab);
    h.press(KeyCode::End);
    assert_eq!(h.state.wizard.table_cursor, 5);
    h.press(KeyCode::BackTab);
    h.press(KeyCode::BackTab);
    h.ctrl('u');
    h.type_text("nobody*");
    assert_eq!(count(&h), 0);
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.step, Step::Selection);
    assert_eq!(
        messages(&h),
        ["token selection: no token in the inventory matches the serial ranges and user filter"]
    );
}

#[test]
fn back_keeps_everything_entered() {
    let mut h = Harness::new();
    h.ctrl('u');
    h.type_text("Field rollout");
    h.press(KeyCode::Enter);
    walk_to(&mut h, Step::Nickname);
    h.type_text("Corp VPN");
    h.press(KeyCode::Enter);
    walk_to(&mut h, Step::Selection);
    h.type_text("100000001-100000020");
    for _ in 0..6 {
        h.press(KeyCode::Esc);
    }
    assert_eq!(h.state.wizard.step, Step::Name);
    assert_eq!(h.state.wizard.name.value(), "Field rollout");
    h.press(KeyCode::Esc);
    assert_eq!(h.state.wizard.step, Step::Name);
    walk_to(&mut h, Step::Password);
    assert_eq!(h.state.wizard.nickname.value(), "Corp VPN");
    assert_eq!(h.state.wizard.password.secret().expose(), "Secret12");
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.ranges.value(), "100000001-100000020");
}

#[test]
fn quitting_asks_when_input_would_be_lost() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Profile);
    h.press(KeyCode::Down);
    h.press(KeyCode::Char('q'));
    assert!(matches!(
        h.state.overlay,
        Some(Overlay::Confirm {
            kind: ConfirmKind::Quit,
            ..
        })
    ));
    h.press(KeyCode::Char('n'));
    assert!(h.state.overlay.is_none() && !h.quit);
    h.ctrl('c');
    h.press(KeyCode::Char('y'));
    assert!(h.quit);
}

#[test]
fn quitting_without_input_does_not_ask() {
    let mut h = Harness::new();
    h.press(KeyCode::F(3));
    assert_eq!(h.state.screen, Screen::Jobs);
    h.press(KeyCode::Char('q'));
    assert!(h.quit);
}

#[test]
fn a_running_job_is_cancelled_only_after_confirmation() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Review);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('c'));
    assert!(matches!(
        h.state.overlay,
        Some(Overlay::Confirm {
            kind: ConfirmKind::CancelJob,
            ..
        })
    ));
    h.press(KeyCode::Esc);
    assert!(!h.job.as_ref().unwrap().cancel.is_cancelled());
    h.press(KeyCode::Char('c'));
    h.press(KeyCode::Char('y'));
    assert!(h.job.as_ref().unwrap().cancel.is_cancelled());
    // The job reports its end by itself once cancelled, and is recorded so.
    h.deliver_job_events();
    assert!(!h.state.job_running());
    assert_eq!(
        h.backend.jobs[0].status,
        crate::tui::backend::JobStatus::Cancelled
    );
    h.press(KeyCode::Char('n'));
    assert!(!h.state.shows_progress());
    assert_eq!(h.state.wizard.step, Step::Name);
    assert_eq!(h.state.wizard.name.value(), "Distribution 2026-11-29 14:31");
}

#[test]
fn a_signal_quits_and_the_runtime_cancels_the_job() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Review);
    h.press(KeyCode::Enter);
    h.send(Msg::Signal("SIGHUP"));
    assert!(h.quit && h.state.quitting);
}
