//! A job started on the backend's worker: the "Starting the job…" phase. Keys answer
//! meanwhile; a second submit, a delete or a tool is refused in one line; the late answer
//! brings the job's panel (the runtime then watches its events) or its failure.

use super::walk_to;
use crate::tui::app::{Overlay, STARTING_TITLE, Screen};
use crate::tui::backend::{JobEvent, Progress};
use crate::tui::fake::Harness;
use crate::tui::update::STARTING_NOTICE;
use crate::tui::wizard::Step;
use crossterm::event::KeyCode;

/// The default job name of the fake backend's first job.
const NAME: &str = "Distribution 2026-11-29 14:30";

/// The review submitted, with the worker's start held back (the job list seen before, as it
/// is not asked again until the start answered: the worker holds the history).
fn starting(h: &mut Harness) {
    h.backend.hold_start = true;
    walk_to(h, Step::Review);
    h.press(KeyCode::F(3));
    assert!(!h.state.jobs.rows.is_empty());
    h.press(KeyCode::F(2));
    assert_eq!(h.state.wizard.step, Step::Review);
    h.press(KeyCode::Enter);
}

#[test]
fn submit_shows_the_starting_phase_until_the_worker_answers() {
    let mut h = Harness::new();
    starting(&mut h);
    assert_eq!(h.state.starting.as_deref(), Some(NAME));
    assert!(
        matches!(&h.state.overlay, Some(Overlay::Message { title, error: false, .. }) if title == STARTING_TITLE)
    );
    assert!(h.state.run.is_none(), "no panel before the job started");
    assert!(h.job.is_none());
    let screen = h.render(80, 24);
    assert!(screen.contains("● starting"), "{screen}");
    assert!(
        screen.contains(&format!("Starting the job {NAME:?}")),
        "{screen}"
    );
}

#[test]
fn keys_answer_while_the_job_starts_and_its_late_answer_brings_the_panel() {
    let mut h = Harness::new();
    starting(&mut h);
    // The message closes, help opens and closes, the screens switch.
    h.press(KeyCode::Esc);
    assert!(h.state.overlay.is_none());
    h.press(KeyCode::F(1));
    assert!(matches!(h.state.overlay, Some(Overlay::Help { .. })));
    h.press(KeyCode::Esc);
    h.press(KeyCode::F(3));
    let screen = h.render(80, 24);
    assert!(
        screen.contains("Starting a job… the list follows when it has started."),
        "{screen}"
    );
    h.press(KeyCode::F(4));
    assert_eq!(h.state.screen, Screen::Tokens);
    h.press(KeyCode::F(2));
    assert_eq!(h.state.screen, Screen::Wizard);
    // The answer: the job runs, its events reach the panel.
    h.deliver_start();
    assert!(h.state.starting.is_none());
    assert!(h.state.job_running());
    assert!(h.job.is_some(), "the runtime watches the job");
    h.job_event(JobEvent::Progress(Progress {
        done: 1,
        total: 3,
        rate: 1.0,
        eta: None,
    }));
    assert_eq!(h.state.run.as_ref().unwrap().progress.done, 1);
    let screen = h.render(80, 24);
    assert!(screen.contains(&format!("┌ Job {NAME:?}")), "{screen}");
}

#[test]
fn the_started_job_replaces_the_starting_message_but_not_another_dialog() {
    let mut h = Harness::new();
    starting(&mut h);
    h.deliver_start();
    assert!(h.state.overlay.is_none(), "{:?}", h.state.overlay);

    let mut h = Harness::new();
    starting(&mut h);
    h.press(KeyCode::Esc);
    h.press(KeyCode::F(1));
    h.deliver_start();
    assert!(matches!(h.state.overlay, Some(Overlay::Help { .. })));
    assert!(h.state.job_running());
}

#[test]
fn a_second_submit_and_a_delete_are_refused_in_one_line_while_the_job_starts() {
    let mut h = Harness::new();
    starting(&mut h);
    h.press(KeyCode::Esc);
    h.press(KeyCode::Enter);
    assert_eq!(h.state.notice.as_deref(), Some(STARTING_NOTICE));
    assert_eq!(h.backend.started.len(), 1, "one start only");
    // Jobs › Pilot batch › Delete, confirmed: refused, nothing deleted.
    h.press(KeyCode::F(3));
    h.press(KeyCode::Enter);
    h.press(KeyCode::End);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Char('y'));
    assert!(h.state.deleting.is_none());
    let Some(Overlay::Message { text, error, .. }) = &h.state.overlay else {
        panic!("the refusal, not {:?}", h.state.overlay)
    };
    assert!(*error);
    assert!(text.contains(STARTING_NOTICE), "{text}");
    h.deliver_start();
    assert!(h.state.job_running());
}

#[test]
fn quitting_while_the_job_starts_asks_to_cancel_it() {
    let mut h = Harness::new();
    starting(&mut h);
    h.press(KeyCode::Esc);
    h.ctrl('c');
    let Some(Overlay::Confirm { question, .. }) = &h.state.overlay else {
        panic!("a question, not {:?}", h.state.overlay)
    };
    assert!(question.contains("Quit and cancel it?"), "{question}");
}

#[test]
fn a_start_that_fails_on_the_worker_says_so_as_before() {
    let mut h = Harness::new();
    h.backend.start_failure = Some("cannot write the history: disk full".into());
    starting(&mut h);
    assert!(h.state.starting.is_some());
    h.deliver_start();
    assert!(h.state.starting.is_none());
    assert!(h.state.run.is_none());
    let Some(Overlay::Message { title, text, error }) = &h.state.overlay else {
        panic!("the failure, not {:?}", h.state.overlay)
    };
    assert_eq!(title, "The job did not start");
    assert_eq!(text, "cannot write the history: disk full");
    assert!(*error);
}
