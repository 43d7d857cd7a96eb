//! Step 1: the job name (a default is filled in; any unique name may replace it).

use super::panel::{hint, text_field};
use super::{Wizard, input};
use crate::tui::app::State;
use crate::tui::msg::Effect;
use crate::workspace::Profile;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Wrap};
use tui_input::Input;

pub fn on_text(wizard: &mut Wizard, profiles: &[Profile], key: KeyEvent) -> Vec<Effect> {
    if input::edit(&mut wizard.name, key) {
        wizard.edited(profiles)
    } else {
        Vec::new()
    }
}

/// Ctrl-R: back to the suggested name.
pub fn restore(wizard: &mut Wizard, profiles: &[Profile]) -> Vec<Effect> {
    wizard.name = Input::new(wizard.default_name.clone());
    wizard.edited(profiles)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let [intro, _, field, _, help] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new("A name to find this job by in the Jobs view and the job history.")
            .wrap(Wrap { trim: true }),
        intro,
    );
    text_field(frame, field, "Job name", &state.wizard.name, true, theme);
    let lines = vec![
        hint(
            "1 to 128 characters, no control characters, not used by another job.",
            theme,
        ),
        hint(
            format!(
                "Suggested: {}  (Ctrl-R restores it)",
                state.wizard.default_name
            ),
            theme,
        ),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), help);
}
