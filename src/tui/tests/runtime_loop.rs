//! The runtime's loop on a `TestBackend` with the fake backend: messages arrive on its channel
//! as they would from the input and signal threads.

use crate::tui::app::State;
use crate::tui::backend::{Backend, JobStatus};
use crate::tui::fake::FakeBackend;
use crate::tui::msg::Msg;
use crate::tui::runtime::{Ended, run_loop};
use crate::tui::theme::Theme;
use crossbeam_channel::unbounded;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Keys that walk the wizard with its defaults and submit the job.
fn submit_keys() -> Vec<Msg> {
    let mut keys: Vec<Msg> = (0..5).map(|_| key(KeyCode::Enter)).collect();
    keys.extend("Secret12".chars().map(|c| key(KeyCode::Char(c))));
    keys.push(key(KeyCode::Tab));
    keys.extend("Secret12".chars().map(|c| key(KeyCode::Char(c))));
    keys.extend((0..3).map(|_| key(KeyCode::Enter)));
    keys
}

#[test]
fn a_hangup_mid_job_cancels_it_records_it_and_ends_the_loop() {
    let mut backend = FakeBackend::default();
    let mut state = State::new(
        backend.profiles(),
        backend.default_job_name(),
        Theme::plain(),
    );
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let (sender, receiver) = unbounded();
    for msg in submit_keys() {
        sender.send(msg).unwrap();
    }
    sender.send(Msg::Signal("SIGHUP")).unwrap();
    let ended = run_loop(&mut terminal, &mut state, &mut backend, receiver).unwrap();
    assert_eq!(ended, Ended::Signal("SIGHUP"));
    assert_eq!(backend.started.len(), 1, "the job was submitted");
    assert_eq!(
        backend.jobs[0].status,
        JobStatus::Cancelled,
        "and recorded as cancelled"
    );
    assert!(!state.job_running());
}

#[test]
fn quit_after_confirmation_ends_the_loop() {
    let mut backend = FakeBackend::default();
    let mut state = State::new(
        backend.profiles(),
        backend.default_job_name(),
        Theme::colored(),
    );
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let (sender, receiver) = unbounded();
    for msg in [
        key(KeyCode::Char('x')),
        key(KeyCode::F(3)),
        key(KeyCode::Char('q')),
        key(KeyCode::Char('y')),
    ] {
        sender.send(msg).unwrap();
    }
    let ended = run_loop(&mut terminal, &mut state, &mut backend, receiver).unwrap();
    assert_eq!(ended, Ended::Quit);
    assert!(backend.started.is_empty());
}

#[test]
fn leaving_waits_for_a_recording_on_the_worker_and_says_so_on_screen() {
    let mut backend = FakeBackend {
        // The recording answers on a channel, as the real backend's worker does.
        recording_channel: Some(unbounded()),
        ..FakeBackend::default()
    };
    let mut state = State::new(
        backend.profiles(),
        backend.default_job_name(),
        Theme::plain(),
    );
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let (sender, receiver) = unbounded();
    for msg in submit_keys() {
        sender.send(msg).unwrap();
    }
    sender.send(Msg::Signal("SIGTERM")).unwrap();
    let ended = run_loop(&mut terminal, &mut state, &mut backend, receiver).unwrap();
    assert_eq!(ended, Ended::Signal("SIGTERM"));
    assert_eq!(backend.started.len(), 1, "the job was submitted");
    assert_eq!(backend.taken_up, 1, "the recording's answer was waited for");
    assert_eq!(backend.jobs[0].status, JobStatus::Cancelled);
    assert!(state.recording.is_none());
    let screen = crate::tui::fake::buffer_text(terminal.backend().buffer());
    assert!(
        screen.contains("Recording the job's end before leaving…"),
        "{screen}"
    );
}

#[test]
fn leaving_cancels_a_download_and_waits_for_its_worker_saying_so_on_screen() {
    let mut backend = FakeBackend {
        // The download's end comes on a channel, as from the real backend's worker.
        recording_channel: Some(unbounded()),
        defer_answers: true,
        ..FakeBackend::default()
    };
    let mut state = State::new(
        backend.profiles(),
        backend.default_job_name(),
        Theme::plain(),
    );
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let (sender, receiver) = unbounded();
    // Jobs › Pilot batch › Download Output File › Enter (the default path).
    for msg in [
        key(KeyCode::F(3)),
        key(KeyCode::Enter),
        key(KeyCode::Down),
        key(KeyCode::Enter),
        key(KeyCode::Enter),
    ] {
        sender.send(msg).unwrap();
    }
    sender.send(Msg::Signal("SIGTERM")).unwrap();
    let ended = run_loop(&mut terminal, &mut state, &mut backend, receiver).unwrap();
    assert_eq!(ended, Ended::Signal("SIGTERM"));
    assert_eq!(backend.download_cancels, 1, "the download was cancelled");
    assert!(state.download.is_none(), "and its end waited for");
    assert!(backend.jobs.iter().all(|j| j.downloads.is_empty()));
    let screen = crate::tui::fake::buffer_text(terminal.backend().buffer());
    assert!(
        screen.contains("Cancelling the download before leaving…"),
        "{screen}"
    );
}
