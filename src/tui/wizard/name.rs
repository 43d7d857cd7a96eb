//! Step 1: the job name (a default is filled in; any unique name may replace it).

use super::Wizard;
use super::panel::{hint, text_step};
use crate::tui::app::State;
use crate::tui::msg::Effect;
use crate::workspace::Profile;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use tui_input::Input;

pub fn on_text(wizard: &mut Wizard, profiles: &[Profile], key: KeyEvent) -> Vec<Effect> {
    wizard.edit_text(profiles, key, |w| &mut w.name)
}

/// Ctrl-R: back to the suggested name.
pub fn restore(wizard: &mut Wizard, profiles: &[Profile]) -> Vec<Effect> {
    wizard.name = Input::new(wizard.default_name.clone());
    wizard.edited(profiles)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let hints = vec![
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
    text_step(
        frame,
        area,
        "A name to find this job by in the Jobs view and the job history.",
        "Job name",
        &state.wizard.name,
        hints,
        theme,
    );
}
