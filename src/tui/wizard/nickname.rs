//! Step 4: the nickname written into every file (optional; the app shows it as the token's
//! label).

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
    wizard.edit_text(profiles, key, |w| &mut w.nickname)
}

/// Ctrl-R: no nickname.
pub fn restore(wizard: &mut Wizard, profiles: &[Profile]) -> Vec<Effect> {
    wizard.nickname = Input::default();
    wizard.edited(profiles)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let now = if state.wizard.nickname.value().is_empty() {
        "Empty: the files carry no nickname."
    } else {
        "Every file of the job carries this nickname."
    };
    text_step(
        frame,
        area,
        "Optional: a label the token app shows for every token of this job.",
        "Nickname",
        &state.wizard.nickname,
        vec![hint(now, theme), hint("Ctrl-R clears it.", theme)],
        theme,
    );
}
