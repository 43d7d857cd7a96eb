//! Every panel and view drawn on a `TestBackend` at 80×24 and 120×40 (insta snapshots), plus
//! the checks that matter without looking: no password on screen, focus visible without colour.

use super::walk_to;
use crate::tui::backend::{JobEvent, JobOutcome, Progress};
use crate::tui::fake::Harness;
use crate::tui::theme::Theme;
use crate::tui::wizard::Step;
use crossterm::event::KeyCode;
use ratatui::style::{Color, Modifier};
use std::time::Duration;

/// Snapshots the screen at both sizes.
fn snap(name: &str, h: &Harness) {
    for (w, hgt) in [(80, 24), (120, 40)] {
        let text = h.render(w, hgt);
        insta::assert_snapshot!(format!("{name}_{w}x{hgt}"), text);
    }
}

fn at_step(step: Step) -> Harness {
    let mut h = Harness::new();
    walk_to(&mut h, step);
    h
}

#[test]
fn wizard_panels() {
    snap("01_name", &at_step(Step::Name));
    snap("02_profile", &at_step(Step::Profile));
    let mut h = at_step(Step::Profile);
    h.press(KeyCode::Down);
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    snap("02_profile_not_selectable", &h);
    snap("03_binding", &at_step(Step::Binding));
    let mut h = at_step(Step::Binding);
    h.ctrl('u');
    h.type_text("R58M12ABCDE");
    snap("03_binding_device", &h);
    snap("04_nickname", &at_step(Step::Nickname));
    snap("05_protection", &at_step(Step::Protection));
    let mut h = at_step(Step::Password);
    h.type_text("Secret12");
    h.press(KeyCode::Tab);
    h.type_text("Secret1");
    let screen = h.render(80, 24);
    assert!(!screen.contains("Secret"), "a password reached the screen");
    snap("06_password", &h);
    snap("07_selection", &at_step(Step::Selection));
    let mut h = at_step(Step::Selection);
    h.type_text("100000000-100000009");
    h.press(KeyCode::Tab);
    h.press(KeyCode::Tab);
    h.press(KeyCode::Char(' '));
    snap("07_selection_filtered", &h);
    let mut h = at_step(Step::Selection);
    h.press(KeyCode::Tab);
    h.press(KeyCode::Tab);
    h.press(KeyCode::Char(' '));
    h.press(KeyCode::Enter);
    snap("08_review", &h);
    assert!(!h.render(120, 40).contains("Secret12"));
}

#[test]
fn job_progress_and_outcome() {
    let mut h = at_step(Step::Review);
    h.press(KeyCode::Enter);
    h.job_event(JobEvent::Progress(Progress {
        done: 9,
        total: 24,
        rate: 412.0,
        eta: Some(Duration::from_secs(75)),
    }));
    snap("09_progress", &h);
    h.press(KeyCode::Char('c'));
    snap("09_progress_cancel_confirm", &h);
    h.press(KeyCode::Char('n'));
    h.job_event(JobEvent::Finished(JobOutcome::Completed { tokens: 24 }));
    snap("10_completed", &h);
}

#[test]
fn jobs_views_and_dialogs() {
    let mut h = at_step(Step::Review);
    h.press(KeyCode::Enter);
    h.job_event(JobEvent::Finished(JobOutcome::Completed { tokens: 24 }));
    h.press(KeyCode::Enter);
    snap("11_jobs_completed", &h);
    h.press(KeyCode::Enter);
    snap("12_jobs_menu", &h);
    h.press(KeyCode::Enter);
    snap("13_job_details", &h);
    h.press(KeyCode::Esc);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    snap("14_download_prompt", &h);
    h.press(KeyCode::Enter);
    snap("15_download_saved", &h);
    h.press(KeyCode::Esc);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Enter);
    snap("16_download_overwrite", &h);
    h.press(KeyCode::Esc);
    h.press(KeyCode::Esc);
    h.backend.jobs.push(crate::tui::fake::job_row(
        "j-0009",
        "Night batch",
        crate::tui::backend::JobStatus::Interrupted,
        40,
    ));
    h.press(KeyCode::F(3));
    h.press(KeyCode::Tab);
    snap("17_jobs_failed", &h);
}

#[test]
fn tokens_browser_and_help() {
    let mut h = Harness::new();
    h.press(KeyCode::F(4));
    snap("18_tokens", &h);
    h.press(KeyCode::Char('/'));
    h.type_text("user1");
    snap("19_tokens_filter", &h);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('?'));
    snap("20_help_tokens", &h);
    let mut h = at_step(Step::Selection);
    h.press(KeyCode::F(1));
    snap("21_help_selection", &h);
}

#[test]
fn help_lists_every_binding_of_the_screen() {
    let mut h = at_step(Step::Review);
    let context = h.state.key_context();
    h.press(KeyCode::Char('?'));
    let screen = h.render(120, 40);
    for binding in context.bindings() {
        assert!(
            screen.contains(binding.description),
            "help misses {:?}",
            binding.description
        );
    }
}

#[test]
fn without_colour_the_focus_is_reverse_video_and_no_colour_is_set() {
    let mut h = Harness::with_theme(Theme::plain());
    walk_to(&mut h, Step::Profile);
    let buffer = h.render_buffer(80, 24);
    let mut reversed_rows = Vec::new();
    for y in 0..24 {
        for x in 0..80 {
            let cell = &buffer[(x, y)];
            assert_eq!(
                (cell.fg, cell.bg),
                (Color::Reset, Color::Reset),
                "colour at {x},{y}"
            );
            if cell.modifier.contains(Modifier::REVERSED) && !reversed_rows.contains(&y) {
                reversed_rows.push(y);
            }
        }
    }
    // The header's current tab and the highlighted profile.
    assert_eq!(reversed_rows, vec![0, 3]);
    let text = h.render(80, 24);
    assert!(text.lines().nth(3).unwrap().contains("> android-file"));
}

#[test]
fn tiny_terminals_get_a_message_not_a_mangled_screen() {
    let h = Harness::new();
    let text = h.render(50, 12).replace('\n', " ");
    assert!(text.contains("needs at least 60×16"), "{text}");
}
