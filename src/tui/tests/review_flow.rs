//! The review prepared off the UI thread: "preparing…" until the answer to the newest
//! request, never a stale summary, Submit only once the review is ready, and Esc back at once
//! while the job is still being prepared.

use super::walk_to;
use crate::tui::backend::Answer;
use crate::tui::fake::Harness;
use crate::tui::wizard::{PreviewState, Step};
use crossterm::event::KeyCode;

/// At the selection step, counted, with answers held back from now on.
fn deferred_at_selection() -> Harness {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Selection);
    assert!(matches!(h.state.wizard.preview, PreviewState::Ready(_)));
    h.backend.defer_answers = true;
    h
}

/// Where the `nth` review answer waits among the deferred answers.
fn review_answer(h: &Harness, nth: usize) -> usize {
    h.backend
        .pending
        .iter()
        .enumerate()
        .filter(|(_, a)| matches!(a, Answer::Reviewed { .. }))
        .nth(nth)
        .map(|(at, _)| at)
        .expect("a review request")
}

/// Delivers every deferred count (not the reviews), oldest first.
fn deliver_counts(h: &mut Harness) {
    while let Some(at) = h
        .backend
        .pending
        .iter()
        .position(|a| !matches!(a, Answer::Reviewed { .. }))
    {
        h.deliver_answer(at);
    }
}

#[test]
fn a_large_inventory_draws_preparing_at_once_instead_of_waiting_for_the_review() {
    let mut h = deferred_at_selection();
    h.state.workspace.tokens = crate::tui::app::QUICK_REVIEW_TOKENS + 1;
    h.press(KeyCode::Enter);
    assert!(h.state.wizard.preparing());
    assert!(
        !h.state.awaits_answer(),
        "no wait for a review that cannot come within it"
    );
    let screen = h.render(80, 24);
    assert!(screen.contains("Preparing the review…"), "{screen}");
}

#[test]
fn the_review_says_preparing_until_its_answer_and_submit_waits_for_it() {
    let mut h = deferred_at_selection();
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.step, Step::Review);
    assert!(h.state.wizard.preparing());
    assert!(
        h.state.awaits_answer(),
        "the runtime gives the answer a moment"
    );
    let screen = h.render(80, 24);
    assert!(screen.contains("Preparing the review…"), "{screen}");
    assert!(!screen.contains("tokens will be distributed"), "{screen}");
    assert!(!screen.contains("> Submit Job <"), "{screen}");
    // Enter while preparing submits nothing.
    h.press(KeyCode::Enter);
    assert!(h.backend.started.is_empty());
    let at = review_answer(&h, 0);
    h.deliver_answer(at);
    assert!(!h.state.wizard.preparing());
    let screen = h.render(80, 24);
    assert!(screen.contains("tokens will be distributed"), "{screen}");
    assert!(screen.contains("> Submit Job <"), "{screen}");
    h.press(KeyCode::Enter);
    assert_eq!(h.backend.started.len(), 1);
}

#[test]
fn esc_while_preparing_goes_back_at_once_and_the_late_review_is_dropped() {
    let mut h = deferred_at_selection();
    h.press(KeyCode::Enter);
    assert!(h.state.wizard.preparing());
    h.press(KeyCode::Esc);
    assert_eq!(h.state.wizard.step, Step::Selection, "Esc does not wait");
    let late = review_answer(&h, 0);
    h.deliver_answer(late);
    assert_eq!(h.state.wizard.step, Step::Selection);
    assert!(h.state.wizard.review.is_none(), "a late review is not kept");
    let screen = h.render(80, 24);
    assert!(screen.contains("Step 7 of 8"), "{screen}");
}

#[test]
fn only_the_newest_review_shows_never_an_older_one() {
    let mut h = deferred_at_selection();
    // First review: every token.
    h.press(KeyCode::Enter);
    h.press(KeyCode::Esc);
    deliver_counts(&mut h);
    // Second review: ten serials.
    h.paste("100000000-100000009");
    deliver_counts(&mut h);
    let expected = h.state.wizard.preview.ready().unwrap().selected_count;
    assert_eq!(expected, 7);
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.step, Step::Review);
    // The first review's answer arrives now: stale, dropped.
    let stale = review_answer(&h, 0);
    h.deliver_answer(stale);
    assert!(h.state.wizard.preparing(), "no stale figures on the review");
    let screen = h.render(80, 24);
    assert!(!screen.contains("tokens will be distributed"), "{screen}");
    let newest = review_answer(&h, 0);
    h.deliver_answer(newest);
    let summary = h.state.wizard.review.clone().unwrap().unwrap();
    assert_eq!(summary.selected_count, expected);
    let screen = h.render(80, 24);
    assert!(
        screen.contains(&format!("{expected} tokens will be distributed")),
        "{screen}"
    );
}

#[test]
fn a_review_that_finds_problems_shows_them_once_answered() {
    let mut h = deferred_at_selection();
    // Another job with the same name is recorded while the wizard is open.
    let name = h.state.wizard.name.value().to_owned();
    h.backend.jobs.push(crate::tui::fake::job_row(
        "j-9",
        &name,
        crate::jobs::JobStatus::Completed,
        1,
    ));
    h.press(KeyCode::Enter);
    let at = review_answer(&h, 0);
    h.deliver_answer(at);
    let screen = h.render(80, 24);
    assert!(screen.contains("cannot be submitted yet"), "{screen}");
    h.press(KeyCode::Enter);
    assert!(h.backend.started.is_empty());
}
