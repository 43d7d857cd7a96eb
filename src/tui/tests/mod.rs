//! Tests of the update (key sequences through the real effects against the fake backend) and
//! of the views (snapshots on a `TestBackend` at 80×24 and 120×40).

mod admin;
mod docs;
mod download_flow;
mod jobs_flow;
mod recording_flow;
pub mod render;
mod render_edges;
mod review_flow;
mod runtime_loop;
mod speed_flow;
mod start_flow;
mod tool_flow;
mod ux;
mod wizard_flow;

use super::fake::Harness;
use super::wizard::Step;
use crossterm::event::KeyCode;

/// Walks a fresh wizard with default answers up to `step`, with "Secret12" as the password.
pub fn walk_to(h: &mut Harness, step: Step) {
    let order = [
        Step::Name,
        Step::Profile,
        Step::Binding,
        Step::Nickname,
        Step::Protection,
        Step::Password,
        Step::Selection,
        Step::Review,
    ];
    let start = order
        .iter()
        .position(|s| *s == h.state.wizard.step)
        .unwrap();
    for current in &order[start..] {
        let current = *current;
        if h.state.wizard.step == step {
            return;
        }
        assert_eq!(
            h.state.wizard.step, current,
            "walk got stuck: {:?}",
            h.state.wizard.issues
        );
        if current == Step::Password {
            h.type_text("Secret12");
            h.press(KeyCode::Tab);
            h.type_text("Secret12");
        }
        h.press(KeyCode::Enter);
    }
    assert_eq!(h.state.wizard.step, step);
}

/// The messages the current panel shows.
pub fn messages(h: &Harness) -> Vec<String> {
    h.state
        .wizard
        .issues_for(h.state.wizard.step, &h.state.profiles)
}
