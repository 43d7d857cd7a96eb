//! Every panel and view drawn on a `TestBackend` at 80×24 and 120×40 (insta snapshots), plus
//! the checks that matter without looking: no password on screen, focus visible without colour.

use super::walk_to;
use crate::tui::backend::Backend;
use crate::tui::backend::{JobEvent, JobOutcome, JobStatus, Progress};
use crate::tui::fake::{FakeBackend, Harness, job_row};
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

/// Every screen worth a picture, by name: the snapshots and the user guide use the same list.
pub const SCENARIOS: &[&str] = &[
    "01_name",
    "02_profile",
    "02_profile_not_selectable",
    "03_binding",
    "03_binding_device",
    "04_nickname",
    "05_protection",
    "06_password",
    "07_selection",
    "07_selection_filtered",
    "08_review",
    "08_review_starting",
    "09_progress",
    "09_progress_cancel_confirm",
    "09_progress_recording",
    "09_progress_recording_cancel",
    "10_completed",
    "11_jobs_completed",
    "11_jobs_recording",
    "12_jobs_menu",
    "13_job_details",
    "14_download_prompt",
    "14_download_progress",
    "14_download_cancelling",
    "15_download_saved",
    "16_download_overwrite",
    "17_jobs_failed",
    "18_tokens",
    "19_tokens_filter",
    "20_help_tokens",
    "21_help_selection",
];

/// Builds the named screen with keys, as an administrator would reach it.
pub fn scenario(name: &str) -> Harness {
    scenario_themed(name, Theme::colored())
}

pub fn scenario_themed(name: &str, theme: Theme) -> Harness {
    scenario_on(name, Harness::with_theme(theme))
}

/// The named screen on the demo workspace's data (`tokendist --demo`), for the user guide.
pub fn demo_scenario(name: &str) -> Harness {
    scenario_on(
        name,
        Harness::with_backend(FakeBackend::demo(), Theme::colored()),
    )
}

/// The job's size as the engine announced it.
fn job_total(h: &Harness) -> u64 {
    h.state.run.as_ref().map_or(0, |r| r.progress.total)
}

/// Builds the named screen with keys on `h`'s data.
pub fn scenario_on(name: &str, mut h: Harness) -> Harness {
    use KeyCode::*;
    let run = |h: &mut Harness| {
        walk_to(h, Step::Review);
        h.press(Enter);
    };
    let complete = |h: &mut Harness| {
        run(h);
        let tokens = job_total(h) as usize;
        h.job_event(JobEvent::Finished(JobOutcome::Completed { tokens }));
        h.press(Enter);
    };
    match name {
        "01_name" => {}
        "02_profile" => walk_to(&mut h, Step::Profile),
        "02_profile_not_selectable" => {
            walk_to(&mut h, Step::Profile);
            let first_listed_only = h
                .state
                .profiles
                .iter()
                .position(|p| !p.is_distributable())
                .expect("a profile that is only listed");
            for _ in 0..first_listed_only {
                h.press(Down);
            }
            h.press(Enter);
        }
        "03_binding" => walk_to(&mut h, Step::Binding),
        "03_binding_device" => {
            walk_to(&mut h, Step::Binding);
            h.ctrl('u');
            h.type_text("R58M12ABCDE");
        }
        "04_nickname" => walk_to(&mut h, Step::Nickname),
        "05_protection" => walk_to(&mut h, Step::Protection),
        "06_password" => {
            walk_to(&mut h, Step::Password);
            h.type_text("Secret12");
            h.press(Tab);
            h.type_text("Secret1");
        }
        "07_selection" => walk_to(&mut h, Step::Selection),
        "07_selection_filtered" => {
            walk_to(&mut h, Step::Selection);
            let serial = |i: usize| {
                h.backend.tokens[i]
                    .serial
                    .as_str()
                    .trim_start_matches('0')
                    .to_owned()
            };
            let range = format!("{}-{}", serial(0), serial(9));
            h.type_text(&range);
            h.press(Tab);
            h.press(Tab);
            h.press(Char(' '));
        }
        "08_review" => {
            walk_to(&mut h, Step::Selection);
            h.press(Tab);
            h.press(Tab);
            h.press(Char(' '));
            h.press(Enter);
        }
        "08_review_starting" => {
            // The backend starts the job on its worker: the answer has not come yet.
            h.backend.hold_start = true;
            run(&mut h);
        }
        "09_progress" | "09_progress_cancel_confirm" => {
            run(&mut h);
            let total = job_total(&h);
            h.job_event(JobEvent::Progress(Progress {
                done: total * 3 / 8,
                total,
                rate: 412.0,
                eta: Some(Duration::from_secs(75)),
            }));
            if name.ends_with("confirm") {
                h.press(Char('c'));
            }
        }
        "09_progress_recording" | "09_progress_recording_cancel" | "11_jobs_recording" => {
            run(&mut h);
            let tokens = job_total(&h) as usize;
            // The backend records the end on its worker: the answer has not come yet.
            h.backend.defer_answers = true;
            h.job_event(JobEvent::Finished(JobOutcome::Completed { tokens }));
            match name {
                "09_progress_recording_cancel" => h.press(Char('c')),
                "11_jobs_recording" => h.press(F(3)),
                _ => {}
            }
        }
        "10_completed" => {
            run(&mut h);
            let tokens = job_total(&h) as usize;
            h.job_event(JobEvent::Finished(JobOutcome::Completed { tokens }));
        }
        "11_jobs_completed" => complete(&mut h),
        "12_jobs_menu" | "13_job_details" => {
            complete(&mut h);
            h.press(Enter);
            if name == "13_job_details" {
                h.press(Enter);
            }
        }
        "14_download_prompt" | "15_download_saved" | "16_download_overwrite" => {
            complete(&mut h);
            if name == "16_download_overwrite" {
                let job = h.backend.jobs[0].clone();
                let path = h.backend.default_download_path(&job);
                h.backend.existing.insert(path);
            }
            h.press(Enter);
            h.press(Down);
            h.press(Enter);
            if name != "14_download_prompt" {
                h.press(Enter);
            }
        }
        "14_download_progress" | "14_download_cancelling" => {
            complete(&mut h);
            h.press(Enter);
            h.press(Down);
            h.press(Enter);
            // The worker writes the ZIP: its answers come while the dialog is on screen.
            h.backend.defer_answers = true;
            h.press(Enter);
            let run = h.state.download.as_ref().expect("a download under way");
            let (job_id, total) = (run.job.id.clone(), run.total);
            h.send(crate::tui::msg::Msg::DownloadProgress {
                job_id,
                written: total * 3 / 8,
                total,
            });
            if name == "14_download_cancelling" {
                h.press(Esc);
            }
        }
        "17_jobs_failed" => {
            let profile = h.state.profiles[0].name.clone();
            for (id, name, status, tokens) in [
                ("j-0009", "Night batch", JobStatus::Interrupted, 40),
                ("j-0008", "Friday batch", JobStatus::Failed, 12),
            ] {
                let mut row = job_row(id, name, status, tokens);
                row.profile = profile.clone();
                h.backend.jobs.push(row);
            }
            h.press(F(3));
            h.press(Tab);
        }
        "18_tokens" => h.press(F(4)),
        "19_tokens_filter" | "20_help_tokens" => {
            h.press(F(4));
            h.press(Char('/'));
            let login = h
                .backend
                .tokens
                .iter()
                .filter_map(|t| t.login.clone())
                .nth(10)
                .unwrap_or_default();
            let sample: String = login.chars().take(5).collect();
            h.type_text(&sample);
            if name == "20_help_tokens" {
                h.press(Enter);
                h.press(Char('?'));
            }
        }
        "21_help_selection" => {
            walk_to(&mut h, Step::Selection);
            h.press(F(1));
        }
        other => return super::admin::scenario(other, h),
    }
    h
}

#[test]
fn every_screen_at_80x24_and_120x40() {
    for name in SCENARIOS {
        snap(name, &scenario(name));
    }
}

#[test]
fn no_password_reaches_the_screen() {
    for name in ["06_password", "08_review"] {
        let h = scenario(name);
        for (w, hgt) in [(80, 24), (120, 40)] {
            assert!(!h.render(w, hgt).contains("Secret"), "{name}");
        }
    }
}

#[test]
fn help_lists_every_binding_of_the_screen() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Review);
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
fn without_colour_no_screen_sets_a_colour() {
    for name in SCENARIOS {
        let h = scenario_themed(name, Theme::plain());
        let buffer = h.render_buffer(80, 24);
        for cell in buffer.content() {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{name}");
        }
        assert!(
            buffer
                .content()
                .iter()
                .any(|c| c.modifier.contains(Modifier::REVERSED)),
            "{name}: nothing is highlighted"
        );
    }
}

#[test]
fn tiny_terminals_get_a_message_not_a_mangled_screen() {
    let h = Harness::new();
    let text = h.render(50, 12).replace('\n', " ");
    assert!(
        text.contains("Terminal too small (need 80×24, have 50×12)"),
        "{text}"
    );
}

#[test]
fn a_long_review_says_there_is_more_below_until_scrolled_to_the_end() {
    let mut h = scenario("08_review");
    // Space lists the serials under each exclusion reason: more than fits at 80×24.
    h.press(KeyCode::Char(' '));
    assert!(h.render(80, 24).contains("more below (PgDn)"));
    h.press(KeyCode::End);
    assert!(!h.render(80, 24).contains("more below"));
    assert!(h.render(80, 24).contains("000100000027  -"));
}

/// Rows made up on demand: a million of them cost nothing until drawn.
struct Generated(usize);

impl crate::tui::backend::RowSource for Generated {
    fn len(&self) -> usize {
        self.0
    }
    fn row(&self, at: usize) -> crate::tui::backend::TokenRow {
        let mut row = crate::tui::fake::tokens()[0].clone();
        row.serial = crate::token::Serial::from_value(500_000_000 + at as u64).unwrap();
        row
    }
}

#[test]
fn a_million_row_selection_draws_only_its_window() {
    let mut h = scenario("07_selection");
    let crate::tui::wizard::PreviewState::Ready(preview) = &mut h.state.wizard.preview else {
        panic!("counted");
    };
    preview.selected = crate::tui::backend::Rows::new(Generated(1_000_000));
    preview.selected_count = 1_000_000;
    let screen = h.render(80, 24);
    assert!(screen.contains("1000000 tokens match"), "{screen}");
    assert!(screen.contains("000500000000"), "{screen}");
    h.press(KeyCode::Tab);
    h.press(KeyCode::Tab);
    h.press(KeyCode::Tab);
    h.press(KeyCode::End);
    assert_eq!(h.state.wizard.table_cursor, 999_999);
    let screen = h.render(80, 24);
    assert!(screen.contains("000500999999"), "{screen}");
    assert!(!screen.contains("000500000000"), "{screen}");
}
