//! "Download Output File" on the backend's worker: the dialog shows the bytes written of the
//! total and a bar, keys answer meanwhile, Esc cancels (nothing saved, the job downloadable
//! again), the end shows what it showed before (path, size, SHA-256), and what conflicts with
//! the download under way is refused in one line or handled visibly.

use super::walk_to;
use crate::tui::app::{ConfirmKind, Overlay, Screen};
use crate::tui::backend::{Answer, DownloadError, JobEvent, JobOutcome};
use crate::tui::fake::Harness;
use crate::tui::msg::{Effect, Msg};
use crate::tui::update::update;
use crate::tui::wizard::Step;
use crossterm::event::KeyCode;
use std::path::PathBuf;

const TARGET: &str = "/tmp/out/batch.zip";

/// A job run to its end and recorded, then Jobs › its menu › Download Output File with
/// [`TARGET`] typed and Enter pressed; the worker has not answered yet.
fn downloading(h: &mut Harness) -> String {
    walk_to(h, Step::Review);
    h.press(KeyCode::Enter);
    h.job_event(JobEvent::Finished(JobOutcome::Completed { tokens: 24 }));
    h.press(KeyCode::Enter);
    assert_eq!(h.state.screen, Screen::Jobs);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    h.ctrl('u');
    h.type_text(TARGET);
    h.backend.defer_answers = true;
    h.press(KeyCode::Enter);
    assert!(matches!(h.state.overlay, Some(Overlay::Downloading)));
    h.state
        .download
        .as_ref()
        .expect("a download")
        .job
        .id
        .clone()
}

/// Delivers the download's answer (as the worker sends it at the end).
fn downloaded(h: &mut Harness) {
    let at = h
        .backend
        .pending
        .iter()
        .position(|a| matches!(a, Answer::Downloaded { .. }))
        .expect("the download's answer is pending");
    h.deliver_answer(at);
}

fn progress(h: &mut Harness, job_id: &str, written: u64) {
    let total = h.state.download.as_ref().unwrap().total;
    h.send(Msg::DownloadProgress {
        job_id: job_id.to_owned(),
        written,
        total,
    });
}

#[test]
fn the_dialog_shows_the_bytes_written_and_the_end_shows_path_size_and_sha() {
    let mut h = Harness::new();
    let job_id = downloading(&mut h);
    let run = h.state.download.as_ref().unwrap();
    assert_eq!((run.written, run.total), (0, 48_213));
    let screen = h.render(80, 24);
    assert!(screen.contains("0 bytes of 47.1 KiB"), "{screen}");
    assert!(screen.contains("● download 0%"), "{screen}");

    progress(&mut h, &job_id, 24_000);
    assert_eq!(h.state.download.as_ref().unwrap().percent(), 49);
    let screen = h.render(80, 24);
    assert!(screen.contains("23.4 KiB of 47.1 KiB"), "{screen}");
    assert!(screen.contains(" 49%"), "{screen}");
    assert!(screen.contains(TARGET), "{screen}");

    downloaded(&mut h);
    assert!(h.state.download.is_none());
    let Some(Overlay::Saved(saved)) = &h.state.overlay else {
        panic!("the saved report, not {:?}", h.state.overlay)
    };
    assert_eq!(saved.path, PathBuf::from(TARGET));
    let screen = h.render(80, 24);
    assert!(screen.contains("47.1 KiB (48,213 bytes)"), "{screen}");
    assert!(screen.contains(&"9f2c".repeat(16)), "{screen}");
    assert!(!screen.contains("● download"), "{screen}");
    h.press(KeyCode::Esc);
    assert!(h.state.jobs.selected().unwrap().downloaded());
}

#[test]
fn progress_of_another_job_or_after_the_end_changes_nothing() {
    let mut h = Harness::new();
    let job_id = downloading(&mut h);
    progress(&mut h, "some-other-job", 40_000);
    assert_eq!(h.state.download.as_ref().unwrap().written, 0);
    downloaded(&mut h);
    h.send(Msg::DownloadProgress {
        job_id,
        written: 1,
        total: 2,
    });
    assert!(h.state.download.is_none());
    assert!(matches!(h.state.overlay, Some(Overlay::Saved(_))));
}

#[test]
fn help_hiding_and_navigation_answer_while_downloading() {
    let mut h = Harness::new();
    let job_id = downloading(&mut h);
    h.press(KeyCode::Char('?'));
    let screen = h.render(120, 40);
    assert!(screen.contains("cancel the download"), "{screen}");
    h.press(KeyCode::Esc);
    assert!(
        matches!(h.state.overlay, Some(Overlay::Downloading)),
        "help closes back onto the download"
    );
    assert!(
        h.state.download.is_some(),
        "Esc in the help cancels nothing"
    );

    // Enter hides the dialog: the download goes on, the header shows it.
    h.press(KeyCode::Enter);
    assert!(h.state.overlay.is_none());
    assert!(h.state.download.is_some());
    let screen = h.render(80, 24);
    assert!(screen.contains("● download 0%"), "{screen}");
    assert!(screen.contains("The download goes on"), "{screen}");
    h.press(KeyCode::F(4));
    assert_eq!(h.state.screen, Screen::Tokens);
    h.press(KeyCode::Char('j'));
    assert_eq!(h.state.tokens.cursor, 1);
    progress(&mut h, &job_id, 48_213);
    assert!(h.render(80, 24).contains("● download 100%"));

    // The job's menu shows it again.
    h.press(KeyCode::F(3));
    h.press(KeyCode::Enter);
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    assert!(matches!(h.state.overlay, Some(Overlay::Downloading)));
    assert!(h.state.notice.is_none(), "the same job: nothing to explain");
}

#[test]
fn esc_cancels_once_and_the_end_says_nothing_was_saved() {
    let mut h = Harness::new();
    downloading(&mut h);
    h.press(KeyCode::Esc);
    assert!(h.state.download.as_ref().unwrap().cancelling);
    assert_eq!(h.backend.download_cancels, 1);
    let screen = h.render(80, 24);
    assert!(screen.contains("Cancelling…"), "{screen}");
    assert!(screen.contains("● download stops"), "{screen}");
    h.press(KeyCode::Char('c'));
    assert_eq!(h.backend.download_cancels, 1, "asked once");
    assert!(matches!(h.state.overlay, Some(Overlay::Downloading)));

    downloaded(&mut h);
    assert!(h.state.download.is_none());
    let Some(Overlay::Message { title, text, error }) = &h.state.overlay else {
        panic!("a message, not {:?}", h.state.overlay)
    };
    assert_eq!(title, "Download cancelled");
    assert!(!error);
    assert!(
        text.contains(&format!("Nothing was saved at {TARGET}")),
        "{text}"
    );
    assert!(text.contains("can be downloaded again"), "{text}");
    h.press(KeyCode::Esc);
    assert!(!h.state.jobs.selected().unwrap().downloaded());

    // Downloadable again, to the same path.
    h.backend.defer_answers = false;
    h.press(KeyCode::Enter);
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    h.ctrl('u');
    h.type_text(TARGET);
    h.press(KeyCode::Enter);
    assert!(matches!(h.state.overlay, Some(Overlay::Saved(_))));
}

#[test]
fn a_failure_brings_the_prompt_back_with_the_path_and_the_error() {
    let mut h = Harness::new();
    let job_id = downloading(&mut h);
    h.send(Msg::DownloadDone {
        job_id,
        result: Err(DownloadError::Failed(
            "cannot write /tmp/out/batch.zip: No space left on device".into(),
        )),
    });
    let Some(Overlay::DownloadPrompt { input, error, .. }) = &h.state.overlay else {
        panic!("the prompt, not {:?}", h.state.overlay)
    };
    assert_eq!(input.value(), TARGET);
    assert!(error.as_deref().unwrap().contains("No space left"));
    assert!(h.state.download.is_none());
}

#[test]
fn a_target_that_exists_asks_before_overwriting_as_before() {
    let mut h = Harness::new();
    h.backend.existing.insert(PathBuf::from(TARGET));
    downloading(&mut h);
    downloaded(&mut h);
    assert!(matches!(
        h.state.overlay,
        Some(Overlay::Confirm {
            kind: ConfirmKind::Overwrite { .. },
            ..
        })
    ));
    h.press(KeyCode::Char('y'));
    assert!(matches!(h.state.overlay, Some(Overlay::Downloading)));
    downloaded(&mut h);
    assert!(matches!(h.state.overlay, Some(Overlay::Saved(_))));
}

#[test]
fn a_second_download_shows_the_one_under_way_and_its_delete_is_refused() {
    let mut h = Harness::new();
    downloading(&mut h);
    h.press(KeyCode::Enter);
    // The other completed job ("Pilot batch") is the second row of Completed.
    h.press(KeyCode::Down);
    let other = h.state.jobs.selected().unwrap().clone();
    assert_eq!(other.name, "Pilot batch");
    h.press(KeyCode::Enter);
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    assert!(matches!(h.state.overlay, Some(Overlay::Downloading)));
    let notice = h.state.notice.clone().unwrap_or_default();
    assert!(notice.starts_with("One download at a time"), "{notice}");
    assert!(h.render(80, 24).contains("One download at a time"));
    assert_eq!(
        h.backend
            .pending
            .iter()
            .filter(|a| matches!(a, Answer::Downloaded { .. }))
            .count(),
        1,
        "no second download was asked for"
    );

    // Delete of the job being downloaded: refused in one line, the output kept.
    h.press(KeyCode::Enter);
    h.press(KeyCode::Up);
    h.press(KeyCode::Enter);
    h.press(KeyCode::End);
    h.press(KeyCode::Enter);
    assert!(h.state.overlay.is_none(), "no question");
    let notice = h.state.notice.clone().unwrap_or_default();
    assert!(notice.contains("is being downloaded"), "{notice}");
    assert!(h.backend.jobs.iter().all(|j| j.output_available));

    // Delete of another job's output is no conflict.
    h.press(KeyCode::Down);
    h.press(KeyCode::Enter);
    h.press(KeyCode::End);
    h.press(KeyCode::Enter);
    assert!(matches!(
        h.state.overlay,
        Some(Overlay::Confirm {
            kind: ConfirmKind::Delete { .. },
            ..
        })
    ));
}

#[test]
fn an_end_while_hidden_shows_the_result_unless_another_dialog_is_open() {
    let mut h = Harness::new();
    downloading(&mut h);
    h.press(KeyCode::Enter);
    downloaded(&mut h);
    assert!(matches!(h.state.overlay, Some(Overlay::Saved(_))));

    let mut h = Harness::new();
    downloading(&mut h);
    h.press(KeyCode::Enter);
    h.press(KeyCode::Enter);
    assert!(matches!(h.state.overlay, Some(Overlay::Menu { .. })));
    downloaded(&mut h);
    assert!(
        matches!(h.state.overlay, Some(Overlay::Menu { .. })),
        "the menu keeps its keys"
    );
    let notice = h.state.notice.clone().unwrap_or_default();
    assert!(
        notice.starts_with(&format!("Saved {TARGET} (47.1 KiB")),
        "{notice}"
    );
}

#[test]
fn quitting_while_downloading_asks_then_cancels_it() {
    let mut h = Harness::new();
    downloading(&mut h);
    h.press(KeyCode::Char('q'));
    let Some(Overlay::Confirm {
        kind: ConfirmKind::Quit,
        question,
    }) = &h.state.overlay
    else {
        panic!("a question, not {:?}", h.state.overlay)
    };
    assert!(question.contains("A download is under way"), "{question}");
    assert!(!h.quit);
    h.press(KeyCode::Char('y'));
    assert!(h.quit, "the runtime cancels the download and waits for it");
}

#[test]
fn a_new_job_can_start_while_a_download_runs() {
    let mut h = Harness::new();
    downloading(&mut h);
    h.press(KeyCode::Enter);
    h.press(KeyCode::F(2));
    h.press(KeyCode::Char('n'));
    h.backend.defer_answers = false;
    walk_to(&mut h, Step::Review);
    h.press(KeyCode::Enter);
    assert!(h.state.job_running(), "the job started");
    assert!(h.state.download.is_some(), "the download goes on");
}

#[test]
fn a_download_refused_while_a_job_s_end_is_recorded_leaves_no_download_state() {
    let mut h = Harness::new();
    downloading(&mut h);
    h.state.download = None;
    h.state.recording = Some(JobOutcome::Completed { tokens: 1 });
    let job = Box::new(h.backend.jobs[0].clone());
    h.state.overlay = Some(Overlay::DownloadPrompt {
        job,
        input: tui_input::Input::new(TARGET.into()),
        default: String::new(),
        error: None,
    });
    let effects = update(
        &mut h.state,
        Msg::Key(crossterm::event::KeyEvent::from(KeyCode::Enter)),
    );
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Download { .. })),
        "{effects:?}"
    );
    assert!(h.state.download.is_none());
    assert!(matches!(
        h.state.overlay,
        Some(Overlay::DownloadPrompt { error: Some(_), .. })
    ));
}

#[test]
fn an_end_under_the_help_opened_over_the_dialog_is_shown_when_the_help_closes() {
    let mut h = Harness::new();
    downloading(&mut h);
    h.press(KeyCode::Char('?'));
    downloaded(&mut h);
    assert!(matches!(h.state.overlay, Some(Overlay::Help { .. })));
    h.press(KeyCode::Esc);
    assert!(
        matches!(h.state.overlay, Some(Overlay::Saved(_))),
        "{:?}",
        h.state.overlay
    );
}

#[test]
fn at_80_columns_a_running_job_and_a_download_both_show_their_percent_in_the_header() {
    let mut h = Harness::new();
    let job_id = downloading(&mut h);
    let half = h.state.download.as_ref().unwrap().total / 2;
    progress(&mut h, &job_id, half);
    h.state.run = Some(crate::tui::app::RunningJob {
        id: "j".into(),
        name: "Running".into(),
        progress: crate::tui::backend::Progress {
            done: 42,
            total: 100,
            rate: 0.0,
            eta: None,
        },
        outcome: None,
    });
    let percent = h.state.download.as_ref().unwrap().percent();
    let screen = h.render(80, 24);
    let header = screen.lines().next().unwrap();
    assert!(header.contains("●job 42%"), "{header}");
    assert!(header.contains(&format!("●dl {percent}%")), "{header}");
    // With room, the marks are written out in full.
    let wide = h.render(120, 40);
    let header = wide.lines().next().unwrap();
    assert!(header.contains("● job 42%"), "{header}");
    assert!(
        header.contains(&format!("● download {percent}%")),
        "{header}"
    );
}
