//! What the UI does while a workspace tool's worker holds the workspace, and after a tool
//! changed the inventory: the Tokens browser never waits for the new index (it says
//! "indexing…" and loads itself when the index is announced), and what would write to the
//! workspace meanwhile is refused in one line.

use super::render::scenario;
use crate::tui::admin::Phase;
use crate::tui::admin::Tool;
use crate::tui::app::{ConfirmKind, Overlay, Screen};
use crate::tui::fake::{FakeBackend, Harness};
use crate::tui::msg::{Effect, Msg};
use crate::tui::theme::Theme;
use crate::tui::update::{TOOL_AT_WORK_NOTICE, update};
use crossterm::event::KeyCode::*;

/// The demo workspace after Tools › Retire tokens removed four of its 300 tokens, while
/// the backend's worker indexes the changed inventory.
fn retired_while_indexing() -> Harness {
    let mut h = super::admin::scenario(
        "27_retire_done",
        Harness::with_backend(FakeBackend::demo(), Theme::colored()),
    );
    assert_eq!(h.state.admin.tool, Tool::Retire);
    h.backend.indexing = true;
    h
}

#[test]
fn after_a_tool_the_browser_says_indexing_then_loads_itself_when_the_index_is_ready() {
    let mut h = retired_while_indexing();
    // The header's counts came back with the tool's answer, not from the index.
    assert_eq!(h.state.workspace.tokens, 296);
    h.press(Char('3'));
    assert_eq!(h.state.screen, Screen::Tokens);
    assert!(h.state.tokens.indexing);
    assert!(h.state.tokens.all.is_none());
    let screen = h.render(80, 24);
    assert!(screen.contains("indexing the inventory…"), "{screen}");
    // No count of the old inventory passes for the new one's.
    assert!(!screen.contains("tokens shown"), "{screen}");
    assert!(!screen.contains("000500000001"), "{screen}");

    // Keys answer meanwhile: moving, typing a filter.
    h.press(Down);
    h.press(Char('/'));
    h.type_text("0005");
    assert_eq!(h.state.tokens.filter.value(), "0005");
    h.press(Enter);

    // The index is ready: the browser loads itself, with the filter typed meanwhile.
    h.backend.indexing = false;
    h.send(Msg::Indexed);
    assert!(!h.state.tokens.indexing);
    assert_eq!(h.state.tokens.total(), 296);
    assert_eq!(h.state.tokens.filter.value(), "0005");
    assert!(!h.state.tokens.counting, "the filter answered");
    let screen = h.render(80, 24);
    assert!(screen.contains("296 of 296 tokens shown"), "{screen}");
    assert!(!screen.contains("indexing"), "{screen}");
}

#[test]
fn an_index_that_is_not_the_browser_s_leaves_it_waiting() {
    let mut h = retired_while_indexing();
    h.press(Char('3'));
    // Another inventory's index (an earlier change's) is announced: the backend still
    // indexes the newest, so the browser asks and keeps waiting.
    h.send(Msg::Indexed);
    assert!(h.state.tokens.indexing);
    assert!(h.render(80, 24).contains("indexing the inventory…"));
}

#[test]
fn an_index_announced_while_the_browser_is_closed_is_loaded_when_it_opens() {
    let mut h = retired_while_indexing();
    h.press(Char('3'));
    h.press(F(2));
    h.backend.indexing = false;
    assert!(
        update(&mut h.state, Msg::Indexed).is_empty(),
        "nothing is loaded for a browser off screen"
    );
    h.press(F(4));
    assert!(!h.state.tokens.indexing);
    assert_eq!(h.state.tokens.total(), 296);
}

#[test]
fn a_change_taken_up_while_the_browser_is_on_screen_reloads_it() {
    let mut h = Harness::with_backend(FakeBackend::demo(), Theme::colored());
    h.press(F(4));
    assert_eq!(h.state.tokens.total(), 300);
    h.backend.indexing = true;
    let info = h.state.workspace.clone();
    let effects = update(&mut h.state, Msg::WorkspaceChanged(info));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::LoadTokens)),
        "{effects:?}"
    );
}

/// Pretends a tool's worker is at work (the Tools screen takes no keys meanwhile: this is
/// the state's own guard for a request that would come another way).
fn tool_at_work(h: &mut Harness) {
    h.state.admin.phase = Phase::Working("Removing 4 token(s)…".into());
}

#[test]
fn a_new_job_is_refused_in_one_line_while_a_tool_works() {
    let mut h = Harness::new();
    super::walk_to(&mut h, crate::tui::wizard::Step::Review);
    tool_at_work(&mut h);
    h.press(Enter);
    if let Some(Overlay::Confirm {
        kind: ConfirmKind::Submit,
        ..
    }) = h.state.overlay
    {
        h.press(Char('y'));
    }
    assert!(h.backend.started.is_empty(), "no job started");
    match &h.state.overlay {
        Some(Overlay::Message { text, error, .. }) => {
            assert!(*error);
            assert_eq!(text, TOOL_AT_WORK_NOTICE);
        }
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn a_download_is_refused_in_one_line_while_a_tool_works() {
    let mut h = scenario("14_download_prompt");
    tool_at_work(&mut h);
    h.press(Enter);
    match &h.state.overlay {
        Some(Overlay::DownloadPrompt { error, .. }) => {
            assert_eq!(error.as_deref(), Some(TOOL_AT_WORK_NOTICE));
        }
        other => panic!("not refused at the prompt: {other:?}"),
    }
    assert!(h.backend.jobs[0].downloads.is_empty(), "nothing downloaded");
}

#[test]
fn ctrl_c_while_a_tool_works_is_answered_on_its_screen_and_forgotten_after() {
    let mut h = Harness::with_backend(FakeBackend::demo(), Theme::colored());
    h.backend.defer_answers = true;
    h.press(F(5));
    h.press(Down);
    h.press(Enter);
    h.type_text("000500000003");
    h.press(Enter);
    assert!(h.state.admin.is_busy());
    h.ctrl('c');
    assert!(!h.quit, "leaving waits for the tool");
    let screen = h.render(80, 24);
    assert!(
        screen.contains("A workspace tool is at work: quit when it has ended."),
        "{screen}"
    );
    h.deliver_answer(0);
    assert!(!h.state.admin.is_busy());
    h.press(Esc);
    h.press(Esc);
    assert_eq!(h.state.admin.phase, Phase::Menu);
    let screen = h.render(80, 24);
    assert!(!screen.contains("A workspace tool is at work"), "{screen}");
}
