//! Issue 9's dead ends and gaps, each reproduced first: the review's grouped exclusions and
//! the users of redistributed tokens, confirming warnings, guidance on an empty inventory, the
//! open workspace in the header, the Jobs view, download paths, small terminals, paging and
//! the keys users bring from k9s, lazygit and htop.

use super::walk_to;
use crate::tui::app::{ConfirmKind, JobsTab, Overlay, Screen};
use crate::tui::backend::{JobEvent, JobOutcome, JobStatus, Progress};
use crate::tui::fake::{FakeBackend, Harness, job_row};
use crate::tui::keymap::KeyContext;
use crate::tui::theme::Theme;
use crate::tui::wizard::Step;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;
use std::time::Duration;

fn review_with_redistribution(h: &mut Harness) {
    walk_to(h, Step::Selection);
    h.press(KeyCode::Tab);
    h.press(KeyCode::Tab);
    h.press(KeyCode::Char(' '));
    h.press(KeyCode::Enter);
    assert_eq!(h.state.wizard.step, Step::Review);
}

fn overlay_kind(h: &Harness) -> Option<&ConfirmKind> {
    match &h.state.overlay {
        Some(Overlay::Confirm { kind, .. }) => Some(kind),
        _ => None,
    }
}

#[test]
fn the_review_groups_exclusions_by_reason_and_expands_to_serials() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Review);
    let screen = h.render(120, 40);
    assert!(screen.contains("6 tokens excluded"), "{screen}");
    assert!(
        screen.contains("     3  not assigned to a user"),
        "{screen}"
    );
    assert!(screen.contains("     1  expired"), "{screen}");
    // One line per reason, not one per token.
    assert!(!screen.contains("000100000007"), "{screen}");
    h.press(KeyCode::Char(' '));
    let screen = h.render(120, 40);
    assert!(screen.contains("000100000007"), "{screen}");
    assert!(screen.contains("expired on 2025-12-31"), "{screen}");
    h.press(KeyCode::Char(' '));
    assert!(!h.render(120, 40).contains("000100000007"));
}

#[test]
fn the_review_names_the_users_of_redistributed_tokens() {
    let mut h = Harness::new();
    review_with_redistribution(&mut h);
    let screen = h.render(120, 40);
    assert!(screen.contains("Distributed before (2)"), "{screen}");
    assert!(
        screen.contains("000100000003  user03           1×, last by \"Pilot batch\" on 2026-10-20"),
        "{screen}"
    );
}

#[test]
fn warnings_are_submitted_only_after_a_yes() {
    let mut h = Harness::new();
    review_with_redistribution(&mut h);
    h.press(KeyCode::Enter);
    assert_eq!(overlay_kind(&h), Some(&ConfirmKind::Submit));
    assert!(h.backend.started.is_empty(), "one Enter must not submit");
    let screen = h.render(80, 24);
    assert!(screen.contains("distributed before"), "{screen}");
    h.press(KeyCode::Char('n'));
    assert!(h.state.overlay.is_none());
    assert!(h.backend.started.is_empty());
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('y'));
    assert_eq!(h.backend.started.len(), 1);
    assert!(h.state.job_running());
}

#[test]
fn a_job_without_password_asks_before_it_is_submitted() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Protection);
    // "none" is the second protection.
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    walk_to(&mut h, Step::Review);
    h.press(KeyCode::Enter);
    assert_eq!(overlay_kind(&h), Some(&ConfirmKind::Submit));
    assert!(h.render(80, 24).contains("no password"));
    h.press(KeyCode::Char('y'));
    assert_eq!(h.backend.started.len(), 1);
}

#[test]
fn an_empty_inventory_says_what_to_do_on_the_first_step() {
    let backend = FakeBackend {
        tokens: Vec::new(),
        ..FakeBackend::default()
    };
    let h = Harness::with_backend(backend, Theme::colored());
    assert_eq!(h.state.wizard.step, Step::Name);
    let screen = h.render(80, 24).replace('\n', " ");
    assert!(screen.contains("inventory is empty"), "{screen}");
    assert!(screen.contains("tokendist tokens import"), "{screen}");
    assert!(screen.contains("tokens assign"), "{screen}");

    let mut backend = FakeBackend::default();
    for token in &mut backend.tokens {
        token.login = None;
    }
    let h = Harness::with_backend(backend, Theme::colored());
    let screen = h.render(80, 24).replace('\n', " ");
    assert!(
        screen.contains("None of the 30 tokens is assigned"),
        "{screen}"
    );
}

#[test]
fn the_header_shows_the_open_workspace_and_marks_a_demo() {
    let mut h = Harness::new();
    let header = h.render(80, 24).lines().next().unwrap().to_owned();
    assert!(header.contains("/srv/tokendist"), "{header}");
    assert!(!header.contains("DEMO"), "{header}");
    h.state.workspace.demo = true;
    h.state.workspace.path = "/tmp/tokendist-demo-x81KQd/a/very/long/path/to/it".into();
    let header = h.render(80, 24).lines().next().unwrap().to_owned();
    assert!(header.contains("DEMO"), "{header}");
    assert!(
        header.contains("…") && header.ends_with("to/it"),
        "{header}"
    );
}

#[test]
fn the_failed_tab_shows_whole_default_names_and_why_each_job_stopped() {
    let mut h = Harness::new();
    h.backend.jobs.push(job_row(
        "j-0007",
        "Distribution 2026-11-28 09:15",
        JobStatus::Cancelled,
        40,
    ));
    h.backend.jobs.push(job_row(
        "j-0008",
        "Distribution 2026-11-28 09:16",
        JobStatus::Failed,
        40,
    ));
    h.press(KeyCode::F(3));
    h.press(KeyCode::Tab);
    assert_eq!(h.state.jobs.tab, JobsTab::Failed);
    let screen = h.render(80, 24);
    assert!(screen.contains("Distribution 2026-11-28 09:15"), "{screen}");
    assert!(screen.contains("Distribution 2026-11-28 09:16"), "{screen}");
    // Reasons are cut with a mark, not silently; the details give them whole.
    assert!(screen.contains("cancelled after 20…"), "{screen}");
    assert!(screen.contains("disk full while st…"), "{screen}");
    h.press(KeyCode::Enter);
    h.press(KeyCode::Enter);
    let details = h.render(80, 24);
    assert!(
        details.contains("Reason      cancelled after 20 of 40 files; none were kept"),
        "{details}"
    );
}

#[test]
fn details_show_what_jobs_show_shows() {
    let mut h = Harness::new();
    h.press(KeyCode::F(3));
    h.press(KeyCode::Enter);
    h.press(KeyCode::Enter);
    assert!(matches!(h.state.overlay, Some(Overlay::Details { .. })));
    let screen = h.render(120, 40);
    for expected in [
        "Corp VPN",
        "000100000000-000100000029",
        "Users       all",
        "12 selected, 12 done, 3 excluded",
        "Excluded    3: not assigned to a user",
        "Started     2026-11-28 09:15",
        "47.1 KiB (48,213 bytes)",
    ] {
        assert!(screen.contains(expected), "{expected:?} missing:\n{screen}");
    }
}

#[test]
fn a_running_job_can_be_cancelled_from_jobs_in_progress() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Review);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('2'));
    assert_eq!(h.state.screen, Screen::Jobs);
    h.press(KeyCode::BackTab);
    assert_eq!(h.state.jobs.tab, JobsTab::InProgress);
    assert!(h.render(80, 24).contains("c: cancel"));
    h.press(KeyCode::Char('c'));
    assert_eq!(overlay_kind(&h), Some(&ConfirmKind::CancelJob));
    h.press(KeyCode::Char('n'));
    assert!(!h.job.as_ref().unwrap().cancel.is_cancelled());
    h.press(KeyCode::Char('c'));
    h.press(KeyCode::Char('y'));
    assert!(h.job.as_ref().unwrap().cancel.is_cancelled());
    h.deliver_job_events();
    assert_eq!(h.backend.jobs[0].status, JobStatus::Cancelled);
}

#[test]
fn slash_filters_jobs() {
    let mut h = Harness::new();
    for i in 0..5 {
        h.backend.jobs.push(job_row(
            &format!("j-01{i}"),
            &format!("Night batch {i}"),
            JobStatus::Completed,
            3,
        ));
    }
    h.press(KeyCode::F(3));
    assert_eq!(h.state.jobs.visible().len(), 6);
    h.press(KeyCode::Char('/'));
    assert_eq!(h.state.key_context(), KeyContext::JobsFilter);
    h.type_text("night");
    assert_eq!(h.state.jobs.visible().len(), 5);
    h.type_text(" batch 3");
    assert_eq!(h.state.jobs.visible().len(), 1);
    assert_eq!(h.state.jobs.visible()[0].name, "Night batch 3");
    h.press(KeyCode::Enter);
    assert!(h.render(80, 24).contains("night batch 3"));
    h.press(KeyCode::Esc);
    assert_eq!(h.state.jobs.visible().len(), 6);
}

fn open_download(h: &mut Harness) {
    h.press(KeyCode::F(3));
    h.press(KeyCode::Enter);
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    assert!(matches!(
        h.state.overlay,
        Some(Overlay::DownloadPrompt { .. })
    ));
}

fn saved_path(h: &Harness) -> PathBuf {
    match &h.state.overlay {
        Some(Overlay::Saved(saved)) => saved.path.clone(),
        other => panic!("saved report expected, got {other:?}"),
    }
}

fn prompt_error(h: &Harness) -> String {
    match &h.state.overlay {
        Some(Overlay::DownloadPrompt { error, .. }) => error.clone().unwrap_or_default(),
        other => panic!("prompt expected, got {other:?}"),
    }
}

#[test]
fn download_paths_are_absolute_expanded_and_directories_take_the_default_name() {
    let mut h = Harness::new();
    open_download(&mut h);
    let Some(Overlay::DownloadPrompt { input, .. }) = &h.state.overlay else {
        panic!()
    };
    assert!(input.value().starts_with('/'), "{}", input.value());
    h.ctrl('u');
    h.type_text("/tmp");
    h.press(KeyCode::Enter);
    assert_eq!(saved_path(&h), PathBuf::from("/tmp/Pilot_batch.zip"));
    h.press(KeyCode::Esc);
    open_download(&mut h);
    h.ctrl('u');
    h.type_text("~/pilot.zip");
    h.press(KeyCode::Enter);
    assert_eq!(saved_path(&h), PathBuf::from("/home/admin/pilot.zip"));
}

#[test]
fn a_missing_directory_is_named_in_one_clear_line() {
    let mut h = Harness::new();
    open_download(&mut h);
    h.ctrl('u');
    h.type_text("/tmp/nowhere/pilot.zip");
    h.press(KeyCode::Enter);
    assert_eq!(
        prompt_error(&h),
        "the directory /tmp/nowhere does not exist: create it first, or choose another"
    );
}

#[test]
fn ctrl_r_restores_the_configured_default_even_after_the_overwrite_question() {
    let mut h = Harness::new();
    h.backend.existing.insert("/tmp/out/x.zip".into());
    open_download(&mut h);
    h.ctrl('u');
    h.type_text("/tmp/out/x.zip");
    h.press(KeyCode::Enter);
    assert!(matches!(
        overlay_kind(&h),
        Some(ConfirmKind::Overwrite { .. })
    ));
    h.press(KeyCode::Char('n'));
    h.ctrl('r');
    let Some(Overlay::DownloadPrompt { input, .. }) = &h.state.overlay else {
        panic!()
    };
    assert_eq!(input.value(), "/home/admin/Pilot_batch.zip");
}

#[test]
fn a_terminal_below_80x24_says_so_instead_of_cutting_text() {
    let h = Harness::new();
    let text = h.render(79, 24).replace('\n', " ");
    assert!(
        text.contains("Terminal too small (need 80×24, have 79×24)"),
        "{text}"
    );
    assert!(h.render(80, 23).contains("have 80×23"));
    assert!(!h.render(80, 24).contains("too small"));
}

#[test]
fn page_down_moves_by_the_rows_on_screen_and_end_shows_a_full_page() {
    let mut h = Harness::new();
    h.press(KeyCode::F(4));
    // 80×24: 19 token rows are visible.
    h.press(KeyCode::PageDown);
    assert_eq!(h.state.tokens.cursor, 19);
    h.press(KeyCode::PageUp);
    assert_eq!(h.state.tokens.cursor, 0);
    h.press(KeyCode::End);
    assert_eq!(h.state.tokens.cursor, 29);
    let screen = h.render(80, 24);
    let rows = screen.lines().filter(|l| l.contains("0001000000")).count();
    assert_eq!(rows, 19, "{screen}");
    // A taller terminal pages by more.
    h.resize(120, 40);
    h.press(KeyCode::Home);
    h.press(KeyCode::PageDown);
    assert_eq!(h.state.tokens.cursor, 29);
}

#[test]
fn vim_and_less_keys_move_through_lists() {
    let mut h = Harness::new();
    h.press(KeyCode::F(3));
    h.press(KeyCode::Char('3'));
    assert_eq!(h.state.screen, Screen::Tokens);
    h.press(KeyCode::Char('G'));
    assert_eq!(h.state.tokens.cursor, 29);
    h.press(KeyCode::Char('g'));
    assert_eq!(h.state.tokens.cursor, 0);
    h.ctrl('d');
    assert_eq!(h.state.tokens.cursor, 10);
    h.ctrl('u');
    assert_eq!(h.state.tokens.cursor, 0);
    h.press(KeyCode::Char('2'));
    assert_eq!(h.state.screen, Screen::Jobs);
    h.press(KeyCode::Char('1'));
    assert_eq!(h.state.screen, Screen::Wizard);
    // In a text field a digit is text; Alt-digit still switches.
    assert_eq!(h.state.key_context(), KeyContext::WizardText);
    h.press(KeyCode::Char('2'));
    assert_eq!(h.state.screen, Screen::Wizard);
    assert!(h.state.wizard.name.value().ends_with('2'));
    h.send(crate::tui::msg::Msg::Key(KeyEvent::new(
        KeyCode::Char('2'),
        KeyModifiers::ALT,
    )));
    assert_eq!(h.state.screen, Screen::Jobs);
}

#[test]
fn long_lists_show_which_row_is_selected() {
    let mut h = Harness::new();
    for i in 0..40 {
        h.backend.jobs.push(job_row(
            &format!("j-1{i:03}"),
            &format!("Batch {i}"),
            JobStatus::Completed,
            3,
        ));
    }
    h.press(KeyCode::F(3));
    h.press(KeyCode::PageDown);
    let screen = h.render(80, 24);
    // 80×24: the table shows 18 jobs (tabs, border, header and status take the rest).
    assert!(screen.contains("19/41"), "{screen}");
}

#[test]
fn the_action_menu_takes_home_and_end_and_help_opens_over_dialogs() {
    let mut h = Harness::new();
    h.press(KeyCode::F(3));
    h.press(KeyCode::Enter);
    h.press(KeyCode::End);
    let Some(Overlay::Menu { cursor, items, .. }) = &h.state.overlay else {
        panic!()
    };
    assert_eq!(*cursor, items.len() - 1);
    h.press(KeyCode::Home);
    let Some(Overlay::Menu { cursor, .. }) = &h.state.overlay else {
        panic!()
    };
    assert_eq!(*cursor, 0);
    h.press(KeyCode::Char('?'));
    assert!(matches!(h.state.overlay, Some(Overlay::Help { .. })));
    assert!(h.render(80, 24).contains("run the chosen action"));
    h.press(KeyCode::Esc);
    assert!(
        matches!(h.state.overlay, Some(Overlay::Menu { .. })),
        "closing help brings the menu back"
    );
    // In the download prompt `?` is text, F1 is help.
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('?'));
    assert!(matches!(
        h.state.overlay,
        Some(Overlay::DownloadPrompt { .. })
    ));
    h.press(KeyCode::F(1));
    assert!(
        h.render(80, 24)
            .contains("restore the configured default path")
    );
    h.press(KeyCode::Esc);
    assert!(matches!(
        h.state.overlay,
        Some(Overlay::DownloadPrompt { .. })
    ));
}

#[test]
fn a_cancelled_job_shows_no_stale_eta() {
    let mut h = Harness::new();
    walk_to(&mut h, Step::Review);
    h.press(KeyCode::Enter);
    h.job_event(JobEvent::Progress(Progress {
        done: 9,
        total: 24,
        rate: 412.0,
        eta: Some(Duration::from_secs(75)),
    }));
    assert!(h.render(80, 24).contains("ETA 1m 15s"));
    h.job_event(JobEvent::Finished(JobOutcome::Cancelled));
    let screen = h.render(80, 24);
    assert!(!screen.contains("ETA"), "{screen}");
    assert!(screen.contains("9 of 24 tokens"), "{screen}");
}

#[test]
fn the_saved_report_gives_sizes_in_human_units() {
    let mut h = Harness::new();
    open_download(&mut h);
    h.press(KeyCode::Enter);
    assert!(h.render(80, 24).contains("47.1 KiB (48,213 bytes)"));
}
