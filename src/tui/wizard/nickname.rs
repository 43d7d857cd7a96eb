//! Step 4: the nickname written into every file (optional; the app shows it as the token's
//! label).

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
    if input::edit(&mut wizard.nickname, key) {
        wizard.edited(profiles)
    } else {
        Vec::new()
    }
}

/// Ctrl-R: no nickname.
pub fn restore(wizard: &mut Wizard, profiles: &[Profile]) -> Vec<Effect> {
    wizard.nickname = Input::default();
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
        Paragraph::new("Optional: a label the token app shows for every token of this job.")
            .wrap(Wrap { trim: true }),
        intro,
    );
    text_field(
        frame,
        field,
        "Nickname",
        &state.wizard.nickname,
        true,
        theme,
    );
    let now = if state.wizard.nickname.value().is_empty() {
        "Empty: the files carry no nickname."
    } else {
        "Every file of the job carries this nickname."
    };
    frame.render_widget(
        Paragraph::new(vec![hint(now, theme), hint("Ctrl-R clears it.", theme)])
            .wrap(Wrap { trim: true }),
        help,
    );
}
