//! The live count and the Tokens filter answered off the UI thread: pastes are one edit,
//! "counting…" shows until the newest request is answered, stale answers are dropped, and
//! criteria that cannot be counted show no count at all. Plus the selection panel's dead ends
//! (every matched token excluded, an invalid criterion) and the empty inventory's Tokens view.

use super::{messages, walk_to};
use crate::tui::app::Screen;
use crate::tui::fake::Harness;
use crate::tui::wizard::{PreviewState, Step};
use crossterm::event::KeyCode;

fn count(h: &Harness) -> Option<usize> {
    h.state.wizard.preview.ready().map(|p| p.selected_count)
}

/// At the selection step with answers held back until a test delivers them.
fn deferred_selection() -> Harness {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Selection);
    h.backend.defer_answers = true;
    h
}

#[test]
fn a_paste_is_one_edit_and_one_count() {
    let mut h = deferred_selection();
    h.paste("100000000-100000009\r\n");
    assert_eq!(h.state.wizard.ranges.value(), "100000000-100000009");
    assert_eq!(
        h.backend.pending.len(),
        1,
        "one request for the whole paste"
    );
    h.deliver_answer(0);
    assert_eq!(count(&h), Some(7));
    // Typed, the same text is 19 edits and a count for each one that parses.
    h.ctrl('u');
    h.backend.pending.clear();
    h.type_text("100000000-100000009");
    assert_eq!(h.backend.pending.len(), 10);
}

#[test]
fn a_paste_outside_a_text_field_does_nothing() {
    let mut h = deferred_selection();
    h.press(KeyCode::Tab);
    h.press(KeyCode::Tab);
    h.paste("q");
    assert!(!h.quit);
    assert!(h.backend.pending.is_empty());
    assert_eq!(h.state.wizard.ranges.value(), "");
}

#[test]
fn counting_shows_until_the_newest_answer_and_stale_answers_are_dropped() {
    let mut h = deferred_selection();
    h.type_text("10000000");
    assert_eq!(h.state.wizard.preview, PreviewState::Counting);
    let screen = h.render(80, 24);
    assert!(screen.contains("counting…"), "{screen}");
    assert!(!screen.contains("tokens match"), "{screen}");
    assert!(!screen.contains("000100000000"), "no stale rows: {screen}");
    let requests = h.backend.pending.len();
    assert_eq!(requests, 8);
    // An old answer arriving late is dropped: the screen keeps counting.
    h.deliver_answer(0);
    assert_eq!(h.state.wizard.preview, PreviewState::Counting);
    // The newest answer shows, and an older one arriving after it changes nothing.
    let newest = h.backend.pending.len() - 1;
    h.deliver_answer(newest);
    assert!(matches!(
        h.state.wizard.preview,
        PreviewState::Invalid(_) | PreviewState::Ready(_)
    ));
    let shown = h.state.wizard.preview.clone();
    h.deliver_answer(0);
    assert_eq!(h.state.wizard.preview, shown);
}

#[test]
fn enter_while_counting_moves_on_when_the_count_says_tokens_are_left() {
    let mut h = deferred_selection();
    h.type_text("100000000-100000009");
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.step, Step::Selection, "not before the count");
    let newest = h.backend.pending.len() - 1;
    h.deliver_answer(newest);
    assert_eq!(h.state.wizard.step, Step::Review);

    let mut h = deferred_selection();
    h.type_text("100000003-100000004");
    h.press(KeyCode::Enter);
    let newest = h.backend.pending.len() - 1;
    h.deliver_answer(newest);
    assert_eq!(h.state.wizard.step, Step::Selection, "no token left: stays");
    assert_eq!(
        messages(&h),
        [
            "token selection: no token left to distribute: all 2 matched tokens are excluded (reasons below)"
        ]
    );
}

#[test]
fn when_every_matched_token_is_excluded_the_reasons_show_on_the_panel() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Selection);
    // Two distributed before, one expired, one unassigned.
    h.type_text("100000003-100000004,100000012,100000007");
    let preview = h.state.wizard.preview.ready().unwrap();
    assert_eq!((preview.selected_count, preview.excluded_count), (0, 4));
    let screen = h.render(80, 24);
    assert!(
        screen.contains("all 4 matched tokens are excluded:"),
        "{screen}"
    );
    assert!(screen.contains("2 distributed before"), "{screen}");
    assert!(screen.contains("1 not assigned to a user"), "{screen}");
    // The date is each token's own detail (on the review); the group is the reason.
    assert!(screen.contains("1 expired"), "{screen}");
}

#[test]
fn an_invalid_range_shows_no_count_and_no_table() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Selection);
    h.type_text("100000000-1x");
    assert!(matches!(h.state.wizard.preview, PreviewState::Invalid(_)));
    let screen = h.render(80, 24);
    assert!(!screen.contains("tokens match"), "{screen}");
    assert!(screen.contains("no count: serial range"), "{screen}");
    assert!(!screen.contains("000100000000"), "no table: {screen}");
    // Fixed, it counts again.
    h.press(KeyCode::Backspace);
    h.press(KeyCode::Backspace);
    h.type_text("100000009");
    assert_eq!(count(&h), Some(7));
}

#[test]
fn an_invalid_glob_shows_no_count_and_says_why() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Selection);
    h.press(KeyCode::Tab);
    h.type_text("user[");
    assert!(matches!(h.state.wizard.preview, PreviewState::Invalid(_)));
    let screen = h.render(80, 24);
    assert!(!screen.contains("0 tokens match"), "{screen}");
    assert!(screen.contains("not a valid pattern"), "{screen}");
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.step, Step::Selection);
}

#[test]
fn the_tokens_filter_counts_off_the_ui_thread_and_drops_stale_answers() {
    let mut h = Harness::new();
    h.backend.defer_answers = true;
    h.press(KeyCode::F(4));
    assert_eq!(h.state.tokens.total(), 30);
    assert_eq!(h.state.tokens.shown.len(), 30);
    h.press(KeyCode::Char('/'));
    h.type_text("user1");
    assert!(h.state.tokens.counting);
    assert!(h.render(80, 24).contains("filtering 30 tokens…"));
    assert_eq!(h.backend.pending.len(), 5);
    h.deliver_answer(0);
    assert!(h.state.tokens.counting, "stale answer dropped");
    h.deliver_answer(3);
    assert!(!h.state.tokens.counting);
    // user1, user10 … user19 without the unassigned 17.
    assert_eq!(h.state.tokens.shown.len(), 9);
    assert!(h.render(80, 24).contains("9 of 30 tokens shown"));
    // Clearing the filter needs no answer.
    h.press(KeyCode::Enter);
    h.press(KeyCode::Esc);
    assert_eq!(h.state.tokens.shown.len(), 30);
    assert!(!h.state.tokens.counting);
}

#[test]
fn an_empty_inventory_says_how_to_fill_it() {
    let mut h = Harness::new();
    h.backend.tokens.clear();
    h.press(KeyCode::F(4));
    assert_eq!(h.state.screen, Screen::Tokens);
    let screen = h.render(80, 24);
    assert!(screen.contains("The inventory is empty"), "{screen}");
    assert!(screen.contains("tokendist tokens import FILE"), "{screen}");
    assert!(
        screen.contains("tokendist tokens assign USERS.csv"),
        "{screen}"
    );
}

#[test]
fn the_tokens_view_shows_digits_and_interval() {
    let mut h = Harness::new();
    h.press(KeyCode::F(4));
    let screen = h.render(80, 24);
    assert!(screen.contains("Dig"), "{screen}");
    assert!(screen.contains("Int"), "{screen}");
    assert!(screen.contains("60s"), "{screen}");
}

/// Snapshots of the states this file adds (not in the guide's scenario list).
#[test]
fn snapshots_of_counting_dead_ends_and_the_empty_inventory() {
    let mut shots: Vec<(&str, Harness)> = Vec::new();
    let mut h = deferred_selection();
    h.paste("100000000-100000009");
    shots.push(("speed_selection_counting", h));
    let mut h = Harness::new();
    walk_to(&mut h, Step::Selection);
    h.type_text("100000003-100000004,100000012,100000007");
    shots.push(("speed_selection_all_excluded", h));
    let mut h = Harness::new();
    walk_to(&mut h, Step::Selection);
    h.type_text("200-100");
    shots.push(("speed_selection_invalid_range", h));
    let mut h = Harness::new();
    walk_to(&mut h, Step::Selection);
    h.press(KeyCode::Tab);
    h.type_text("[a-");
    shots.push(("speed_selection_invalid_glob", h));
    let mut h = Harness::new();
    h.backend.tokens.clear();
    h.press(KeyCode::F(4));
    shots.push(("speed_tokens_empty", h));
    let mut h = Harness::new();
    h.backend.defer_answers = true;
    h.press(KeyCode::F(4));
    h.press(KeyCode::Char('/'));
    h.type_text("user2");
    shots.push(("speed_tokens_filtering", h));
    for (name, h) in shots {
        for (w, hgt) in [(80, 24), (120, 40)] {
            insta::assert_snapshot!(format!("{name}_{w}x{hgt}"), h.render(w, hgt));
        }
    }
}
