//! A job's end recorded on the backend's worker: the "recording the job's end" phase. Keys
//! that move, scroll, type or open help answer meanwhile; what would read or change the
//! history or the inventory is refused with a notice or waits; the answer, whenever it comes,
//! brings the job list and the inventory up to date.

use super::walk_to;
use crate::tui::app::{ConfirmKind, Overlay, Screen};
use crate::tui::backend::{Answer, Backend, JobEvent, JobOutcome, JobStatus};
use crate::tui::fake::Harness;
use crate::tui::msg::Msg;
use crate::tui::update::RECORDING_NOTICE;
use crate::tui::wizard::Step;
use crossterm::event::KeyCode;

/// A job run to its end, whose recording has not answered yet.
fn recording(h: &mut Harness, reported: JobOutcome) {
    walk_to(h, Step::Review);
    h.press(KeyCode::Enter);
    assert!(h.state.job_running());
    h.backend.defer_answers = true;
    h.job_event(JobEvent::Finished(reported.clone()));
    assert_eq!(h.state.recording, Some(reported));
}

/// Delivers the recording's answer (as the worker sends it when done).
fn recorded(h: &mut Harness) {
    let at = h
        .backend
        .pending
        .iter()
        .position(|a| matches!(a, Answer::Recorded(_)))
        .expect("the recording's answer is pending");
    h.deliver_answer(at);
}

fn completed() -> JobOutcome {
    JobOutcome::Completed { tokens: 24 }
}

#[test]
fn the_run_s_end_starts_the_recording_phase_and_the_panel_says_so() {
    let mut h = Harness::new();
    recording(&mut h, completed());
    assert!(h.state.run.as_ref().unwrap().outcome.is_none());
    let screen = h.render(80, 24);
    assert!(screen.contains("Recording the job's end…"), "{screen}");
    assert!(screen.contains("● recording"), "{screen}");
    assert!(!screen.contains("Generating"), "{screen}");
    assert_eq!(h.backend.taken_up, 0, "nothing taken up before the answer");
}

#[test]
fn navigation_help_scrolling_and_typing_answer_while_recording() {
    let mut h = Harness::new();
    recording(&mut h, completed());
    h.press(KeyCode::Char('?'));
    assert!(matches!(h.state.overlay, Some(Overlay::Help { .. })));
    h.press(KeyCode::Esc);
    assert!(h.state.overlay.is_none());

    // The Jobs view opens at once with the list as it was; it is not read meanwhile.
    h.press(KeyCode::F(3));
    assert_eq!(h.state.screen, Screen::Jobs);
    assert_eq!(h.state.jobs.rows[0].status, JobStatus::Running);
    let screen = h.render(80, 24);
    assert!(
        screen.contains("Recording the last job's end… the list follows when it is done."),
        "{screen}"
    );
    h.press(KeyCode::Char('/'));
    h.type_text("pilot");
    assert_eq!(h.state.jobs.filter.value(), "pilot");
    h.press(KeyCode::Esc);

    // The Tokens browser: open, scroll, filter.
    h.press(KeyCode::F(4));
    assert_eq!(h.state.screen, Screen::Tokens);
    assert!(h.state.tokens.total() > 0);
    h.press(KeyCode::Down);
    assert_eq!(h.state.tokens.cursor, 1);
    h.press(KeyCode::Char('/'));
    h.type_text("00");
    assert_eq!(h.state.tokens.filter.value(), "00");

    // Back on the panel, still recording.
    h.press(KeyCode::F(2));
    assert!(h.state.recording.is_some());
}

#[test]
fn the_answer_brings_the_outcome_the_job_list_and_the_inventory_up_to_date() {
    let mut h = Harness::new();
    recording(&mut h, completed());
    h.press(KeyCode::F(3));
    recorded(&mut h);
    assert!(h.state.recording.is_none());
    assert_eq!(
        h.state.run.as_ref().unwrap().outcome,
        Some(JobOutcome::Completed { tokens: 24 })
    );
    assert_eq!(h.backend.taken_up, 1, "the backend took up the recording");
    // The job list was loaded again: the new job is completed.
    assert_eq!(h.state.jobs.rows[0].status, JobStatus::Completed);
    let screen = h.render(80, 24);
    assert!(!screen.contains("Recording"), "{screen}");
    assert!(screen.contains("Distribution 2026-11-29 14:30"), "{screen}");
}

#[test]
fn a_browser_on_screen_when_the_end_is_recorded_shows_the_new_inventory() {
    let mut h = Harness::new();
    recording(&mut h, completed());
    h.press(KeyCode::F(4));
    // Meanwhile the rows are the inventory before the job: the status line says they are
    // being updated, not that they are current.
    let screen = h.render(80, 24);
    assert!(
        screen.contains("assigned · updating after the job…"),
        "{screen}"
    );
    recorded(&mut h);
    assert!(
        h.state.tokens.all.is_some(),
        "the browser loaded the inventory the recording changed"
    );
    let screen = h.render(80, 24);
    assert!(screen.contains("assigned · read-only"), "{screen}");
    assert!(!screen.contains("updating"), "{screen}");
}

#[test]
fn cancelling_is_refused_with_a_notice_since_the_run_is_over() {
    let mut h = Harness::new();
    recording(&mut h, completed());
    h.press(KeyCode::Char('c'));
    assert!(h.state.overlay.is_none(), "no question about cancelling");
    let screen = h.render(80, 24);
    assert!(screen.contains("there is nothing to cancel"), "{screen}");
    h.press(KeyCode::Down);
    assert!(
        h.state.notice.is_none(),
        "the notice lasts until the next key"
    );
}

#[test]
fn cancelling_from_jobs_in_progress_is_refused_too() {
    let mut h = Harness::new();
    recording(&mut h, completed());
    h.press(KeyCode::F(3));
    h.press(KeyCode::Tab);
    h.press(KeyCode::Tab);
    assert_eq!(h.state.jobs.tab, crate::tui::app::JobsTab::InProgress);
    h.press(KeyCode::Char('c'));
    assert!(h.state.overlay.is_none(), "no question about cancelling");
    assert!(
        h.state
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("nothing to cancel"))
    );
}

#[test]
fn a_cancel_question_open_when_the_run_ends_is_closed() {
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
    h.backend.defer_answers = true;
    h.job_event(JobEvent::Finished(completed()));
    assert!(h.state.overlay.is_none());
}

#[test]
fn a_download_while_recording_is_refused_in_the_prompt_and_works_after() {
    let mut h = Harness::new();
    recording(&mut h, completed());
    h.press(KeyCode::F(3));
    // The earlier job ("Pilot batch") is in Completed.
    let pilot = h.state.jobs.selected().unwrap().clone();
    assert_eq!(pilot.status, JobStatus::Completed);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    assert!(matches!(
        h.state.overlay,
        Some(Overlay::DownloadPrompt { .. })
    ));
    h.press(KeyCode::Enter);
    let Some(Overlay::DownloadPrompt { error, .. }) = &h.state.overlay else {
        panic!("the prompt stays open")
    };
    assert_eq!(error.as_deref(), Some(RECORDING_NOTICE));
    assert!(
        h.backend.jobs.iter().all(|j| j.downloads.is_empty()),
        "nothing was written"
    );
    recorded(&mut h);
    h.press(KeyCode::Enter);
    assert!(
        matches!(h.state.overlay, Some(Overlay::Downloading)),
        "the same Enter starts the download once the end is recorded"
    );
    let at = h
        .backend
        .pending
        .iter()
        .position(|a| matches!(a, Answer::Downloaded { .. }))
        .expect("the download's answer is pending");
    h.deliver_answer(at);
    assert!(matches!(h.state.overlay, Some(Overlay::Saved(_))));
}

#[test]
fn a_delete_while_recording_is_refused_and_says_nothing_was_deleted() {
    let mut h = Harness::new();
    recording(&mut h, completed());
    h.press(KeyCode::F(3));
    h.press(KeyCode::Enter);
    h.press(KeyCode::End);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('y'));
    let Some(Overlay::Message { text, error, .. }) = &h.state.overlay else {
        panic!("a message expected, not {:?}", h.state.overlay)
    };
    assert!(*error);
    assert!(text.starts_with("Nothing was deleted."), "{text}");
    assert!(h.backend.jobs.iter().any(|j| j.output_available));
}

#[test]
fn the_tools_do_not_open_while_recording() {
    let mut h = Harness::new();
    recording(&mut h, completed());
    h.press(KeyCode::F(5));
    assert_eq!(h.state.screen, Screen::Admin);
    h.press(KeyCode::End);
    h.press(KeyCode::Enter);
    let notice = h.state.admin.notice.clone().unwrap_or_default();
    assert!(notice.contains("being recorded"), "{notice}");
    assert!(h.backend.admin_tasks.is_empty());
}

#[test]
fn quitting_while_recording_does_not_ask_about_cancelling_and_leaves() {
    let mut h = Harness::new();
    recording(&mut h, completed());
    h.press(KeyCode::Char('q'));
    assert!(h.state.overlay.is_none());
    assert!(
        h.quit && h.state.quitting,
        "the runtime waits for the recording"
    );
}

#[test]
fn a_failure_to_record_is_shown_as_it_is() {
    let mut h = Harness::new();
    h.backend.record_failure = Some("cannot rename jobs/history.jsonl: disk full".into());
    recording(&mut h, completed());
    recorded(&mut h);
    let Some(JobOutcome::Failed(text)) = h.state.run.as_ref().unwrap().outcome.clone() else {
        panic!("a failure to record is a failure")
    };
    assert!(text.contains("disk full"), "{text}");
    assert!(text.contains("files stay staged"), "{text}");
    let screen = h.render(120, 40);
    assert!(screen.contains("✗ Failed"), "{screen}");
    assert!(screen.contains("could not be recorded"), "{screen}");
}

#[test]
fn effects_that_read_the_history_or_inventory_are_held_while_recording() {
    let mut h = Harness::new();
    recording(&mut h, completed());
    // A wizard on the review step (as if the panel were gone) would prepare its review again
    // on a changed inventory: not while the inventory is being changed; the recording's
    // answer asks for it.
    h.state.run = None;
    let effects = crate::tui::update::update(
        &mut h.state,
        Msg::WorkspaceChanged(h.backend.workspace_info()),
    );
    assert!(effects.is_empty(), "{effects:?}");
    let effects = crate::tui::update::update(&mut h.state, Msg::Key(key(KeyCode::F(3))));
    assert!(effects.is_empty(), "the job list is not read: {effects:?}");
}

fn key(code: KeyCode) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(code, crossterm::event::KeyModifiers::NONE)
}
