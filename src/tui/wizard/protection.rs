//! Step 5: how the files are protected, with the password length rule of the chosen
//! profile's key size.

use super::Wizard;
use super::panel::hint;
use crate::jobs::Protection;
use crate::tui::app::State;
use crate::tui::keymap::Action;
use crate::tui::msg::Effect;
use crate::workspace::Profile;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph, Wrap};

pub fn on_action(wizard: &mut Wizard, profiles: &[Profile], action: Action) -> Vec<Effect> {
    let last = Protection::ALL.len() - 1;
    let target = match action {
        Action::Up => wizard.protection.saturating_sub(1),
        Action::Down => (wizard.protection + 1).min(last),
        Action::Home => 0,
        Action::End => last,
        _ => return Vec::new(),
    };
    if target == wizard.protection {
        return Vec::new();
    }
    wizard.protection = target;
    wizard.edited(profiles)
}

/// What each option means for the user who imports the file.
pub fn explain(protection: Protection) -> &'static str {
    match protection {
        Protection::Password => {
            "One password for every file of the job; tell it to the users separately."
        }
        Protection::None => "No password: anyone who gets the file can import the token.",
        Protection::UserId => "Each file's password is its user's login.",
        Protection::UserIdPassword => {
            "Each file's password is its user's login followed by the job password."
        }
    }
}

/// The length rule for `protection` under a profile's key size, in words.
pub fn length_rule(protection: Protection, max: usize, key_bits: u32) -> String {
    match protection {
        Protection::None => "No password, so no length rule.".to_owned(),
        Protection::Password => format!(
            "Password: 1 to {max} characters ({key_bits}-bit profile), printable ASCII only."
        ),
        Protection::UserId => format!(
            "Each user's login is the password: logins longer than {max} characters ({key_bits}-bit profile) are excluded."
        ),
        Protection::UserIdPassword => format!(
            "Login and password together: at most {max} characters per token ({key_bits}-bit profile); printable ASCII only."
        ),
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let wizard = &state.wizard;
    let [list_area, _, rule_area] = Layout::vertical([
        Constraint::Length(9),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    let items: Vec<ListItem> = Protection::ALL
        .iter()
        .map(|p| {
            ListItem::new(vec![
                Line::from(Span::styled(capitalise(p.describe()), theme.text())),
                Line::from(Span::styled(format!("   {}", explain(*p)), theme.dim())),
            ])
        })
        .collect();
    let list = List::new(items)
        .highlight_symbol("> ")
        .highlight_style(theme.focus());
    let mut list_state = ListState::default().with_selected(Some(wizard.protection));
    frame.render_stateful_widget(list, list_area, &mut list_state);
    let mut lines = Vec::new();
    if let Some(profile) = wizard.chosen_profile(&state.profiles) {
        let bits = profile.key_bits.bits();
        let max = profile.key_bits.max_password_chars();
        lines.push(Line::from(Span::styled(
            length_rule(wizard.protection(), max, bits),
            theme.warning(),
        )));
        lines.push(hint(format!("Profile: {}", profile.name), theme));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), rule_area);
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
