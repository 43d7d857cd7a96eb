//! The Jobs view and its actions menu: details, download (with the overwrite question) and
//! delete; the Tokens browser's filter.

use super::walk_to;
use crate::tui::app::{ConfirmKind, JobsTab, MenuItem, Overlay, Screen};
use crate::tui::backend::{JobEvent, JobOutcome, JobStatus};
use crate::tui::fake::{Harness, job_row};
use crate::tui::wizard::Step;
use crossterm::event::KeyCode;
use std::path::PathBuf;

fn finished_job(h: &mut Harness) {
    walk_to(h, Step::Review);
    h.press(KeyCode::Enter);
    h.job_event(JobEvent::Finished(JobOutcome::Completed { tokens: 24 }));
}

#[test]
fn enter_after_completion_opens_the_job_in_completed() {
    let mut h = Harness::new();
    finished_job(&mut h);
    h.press(KeyCode::Enter);
    assert_eq!(h.state.screen, Screen::Jobs);
    assert_eq!(h.state.jobs.tab, JobsTab::Completed);
    assert_eq!(
        h.state.jobs.selected().unwrap().name,
        "Distribution 2026-11-29 14:30"
    );
}

#[test]
fn download_from_the_menu_asks_before_overwriting() {
    let mut h = Harness::new();
    finished_job(&mut h);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Enter);
    let Some(Overlay::Menu { items, .. }) = &h.state.overlay else {
        panic!("menu expected")
    };
    assert_eq!(
        items,
        &[MenuItem::ViewDetails, MenuItem::Download, MenuItem::Delete]
    );
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    let Some(Overlay::DownloadPrompt { input, .. }) = &h.state.overlay else {
        panic!("prompt expected")
    };
    assert_eq!(
        input.value(),
        "/home/admin/Distribution_2026-11-29_14_30.zip"
    );
    let target = PathBuf::from("/home/admin/Distribution_2026-11-29_14_30.zip");
    h.backend.existing.insert(target.clone());
    h.press(KeyCode::Enter);
    let Some(Overlay::Confirm {
        kind: ConfirmKind::Overwrite { path, .. },
        ..
    }) = &h.state.overlay
    else {
        panic!("overwrite question expected")
    };
    assert_eq!(path, &target);
    h.press(KeyCode::Char('n'));
    assert!(matches!(
        h.state.overlay,
        Some(Overlay::DownloadPrompt { .. })
    ));
    h.ctrl('u');
    h.type_text("/tmp/out/batch.zip");
    h.press(KeyCode::Enter);
    let Some(Overlay::Saved(saved)) = &h.state.overlay else {
        panic!("saved report expected")
    };
    assert_eq!(saved.path, PathBuf::from("/tmp/out/batch.zip"));
    assert_eq!(saved.sha256.len(), 64);
    h.press(KeyCode::Esc);
    assert!(h.state.jobs.selected().unwrap().downloaded());
    // The same again, accepting the overwrite this time.
    h.press(KeyCode::Enter);
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    h.ctrl('u');
    h.type_text("/tmp/out/batch.zip");
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('y'));
    assert!(matches!(h.state.overlay, Some(Overlay::Saved(_))));
    assert_eq!(h.state.jobs.selected().unwrap().downloads.len(), 2);
}

#[test]
fn an_empty_download_path_is_refused_in_words() {
    let mut h = Harness::new();
    h.press(KeyCode::F(3));
    h.press(KeyCode::Enter);
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    h.ctrl('u');
    h.press(KeyCode::Enter);
    let Some(Overlay::DownloadPrompt { error, .. }) = &h.state.overlay else {
        panic!()
    };
    assert_eq!(error.as_deref(), Some("type the path to save the ZIP to"));
    h.ctrl('r');
    let Some(Overlay::DownloadPrompt { input, .. }) = &h.state.overlay else {
        panic!()
    };
    assert_eq!(input.value(), "/home/admin/Pilot_batch.zip");
    h.press(KeyCode::Esc);
    assert!(h.state.overlay.is_none());
}

#[test]
fn delete_asks_then_removes_download_from_the_menu() {
    let mut h = Harness::new();
    h.press(KeyCode::F(3));
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('j'));
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    assert!(matches!(
        h.state.overlay,
        Some(Overlay::Confirm {
            kind: ConfirmKind::Delete { .. },
            ..
        })
    ));
    h.press(KeyCode::Char('y'));
    assert!(matches!(
        h.state.overlay,
        Some(Overlay::Message { error: false, .. })
    ));
    h.press(KeyCode::Enter);
    assert!(!h.state.jobs.selected().unwrap().output_available);
    h.press(KeyCode::Enter);
    let Some(Overlay::Menu { items, .. }) = &h.state.overlay else {
        panic!()
    };
    assert_eq!(items, &[MenuItem::ViewDetails]);
    h.press(KeyCode::Enter);
    assert!(matches!(h.state.overlay, Some(Overlay::Details { .. })));
}

#[test]
fn tabs_sort_jobs_by_status() {
    let mut h = Harness::new();
    h.backend
        .jobs
        .push(job_row("j-0002", "Broken batch", JobStatus::Failed, 3));
    h.backend.jobs.push(job_row(
        "j-0003",
        "Stopped batch",
        JobStatus::Interrupted,
        3,
    ));
    h.backend
        .jobs
        .push(job_row("j-0004", "Running batch", JobStatus::Running, 3));
    h.press(KeyCode::F(3));
    assert_eq!(h.state.jobs.tab, JobsTab::Completed);
    h.press(KeyCode::Tab);
    assert_eq!(h.state.jobs.tab, JobsTab::Failed);
    assert_eq!(h.state.jobs.visible().len(), 2);
    h.press(KeyCode::Char('l'));
    assert_eq!(h.state.jobs.tab, JobsTab::InProgress);
    assert_eq!(h.state.jobs.visible()[0].name, "Running batch");
    h.press(KeyCode::Left);
    assert_eq!(h.state.jobs.tab, JobsTab::Failed);
}

#[test]
fn tokens_filter_by_serial_or_user() {
    let mut h = Harness::new();
    h.press(KeyCode::F(4));
    assert_eq!(h.state.tokens.shown.len(), 30);
    h.press(KeyCode::Char('/'));
    h.type_text("user2");
    assert_eq!(h.state.tokens.shown.len(), 9);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('j'));
    assert_eq!(h.state.tokens.cursor, 1);
    h.press(KeyCode::Esc);
    assert_eq!(h.state.tokens.shown.len(), 30);
    h.press(KeyCode::Char('/'));
    h.type_text("100000012");
    assert_eq!(h.state.tokens.shown.len(), 1);
    assert!(h.state.tokens.shown.row(0).expired);
}

/// Jobs › Pilot batch › Delete, confirmed, with the worker's answer held back.
fn deleting(h: &mut Harness) {
    h.backend.defer_answers = true;
    h.press(KeyCode::F(3));
    h.press(KeyCode::Enter);
    h.press(KeyCode::End);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('y'));
}

fn deleted(h: &mut Harness) {
    let at = h
        .backend
        .pending
        .iter()
        .position(|a| matches!(a, crate::tui::backend::Answer::Deleted { .. }))
        .expect("the delete's answer is pending");
    h.deliver_answer(at);
}

#[test]
fn a_delete_runs_on_the_worker_and_says_so_until_its_answer() {
    let mut h = Harness::new();
    deleting(&mut h);
    assert_eq!(h.state.deleting.as_deref(), Some("j-0001"));
    let screen = h.render(80, 24);
    assert!(
        screen.contains("Deleting the output of job \"Pilot batch\"…"),
        "{screen}"
    );
    // Meanwhile: no download of that job, no second delete; each says why in one line.
    h.press(KeyCode::Esc);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    assert!(!matches!(
        h.state.overlay,
        Some(Overlay::DownloadPrompt { .. })
    ));
    let notice = h.state.notice.clone().unwrap_or_default();
    assert!(notice.contains("is being deleted"), "{notice}");
    h.press(KeyCode::Enter);
    h.press(KeyCode::End);
    h.press(KeyCode::Enter);
    let notice = h.state.notice.clone().unwrap_or_default();
    assert!(notice.starts_with("A delete is under way"), "{notice}");
    // The answer, with nothing else open, is shown as before.
    h.state.overlay = None;
    deleted(&mut h);
    assert!(h.state.deleting.is_none());
    let Some(Overlay::Message { title, .. }) = &h.state.overlay else {
        panic!("the result, not {:?}", h.state.overlay)
    };
    assert_eq!(title, "Deleted");
}

#[test]
fn a_delete_s_answer_replaces_its_message_or_waits_as_a_notice_behind_another_dialog() {
    let mut h = Harness::new();
    deleting(&mut h);
    deleted(&mut h);
    assert!(matches!(&h.state.overlay, Some(Overlay::Message { title, .. }) if title == "Deleted"));

    let mut h = Harness::new();
    deleting(&mut h);
    h.press(KeyCode::Esc);
    h.press(KeyCode::Enter);
    assert!(matches!(h.state.overlay, Some(Overlay::Menu { .. })));
    deleted(&mut h);
    assert!(
        matches!(h.state.overlay, Some(Overlay::Menu { .. })),
        "the menu keeps its keys"
    );
    let notice = h.state.notice.clone().unwrap_or_default();
    assert!(notice.contains("was deleted"), "{notice}");
}
