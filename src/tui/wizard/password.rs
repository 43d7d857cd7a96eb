//! Step 6 (only for `password` and `user-id+password`): the job password, typed twice. Both
//! boxes are masked; the length and whether the two agree show as you type.

use super::panel::{field_line, hint};
use super::{PasswordFocus, Wizard};
use crate::jobs::Protection;
use crate::tui::app::State;
use crate::tui::keymap::Action;
use crate::tui::msg::Effect;
use crate::workspace::Profile;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn on_action(wizard: &mut Wizard, action: Action) -> Vec<Effect> {
    if matches!(action, Action::NextField | Action::PrevField) {
        wizard.password_focus = match wizard.password_focus {
            PasswordFocus::Password => PasswordFocus::Confirm,
            PasswordFocus::Confirm => PasswordFocus::Password,
        };
    }
    Vec::new()
}

pub fn on_text(wizard: &mut Wizard, profiles: &[Profile], key: KeyEvent) -> Vec<Effect> {
    let field = match wizard.password_focus {
        PasswordFocus::Password => &mut wizard.password,
        PasswordFocus::Confirm => &mut wizard.confirm,
    };
    let changed = field.edit(key);
    wizard.edited_if(changed, profiles)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let wizard = &state.wizard;
    let [intro, _, first, _, second, _, status, help] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Min(0),
    ])
    .areas(area);
    let intro_text = match wizard.protection() {
        Protection::UserIdPassword => {
            "The job password: each file's password is the user's login followed by it."
        }
        _ => "The job password: every file of the job is protected by it.",
    };
    frame.render_widget(Paragraph::new(intro_text).wrap(Wrap { trim: true }), intro);
    let focus = wizard.password_focus;
    field_line(
        frame,
        first,
        "Password",
        &wizard.password.masked(),
        focus == PasswordFocus::Password,
        theme,
    );
    field_line(
        frame,
        second,
        "Confirm",
        &wizard.confirm.masked(),
        focus == PasswordFocus::Confirm,
        theme,
    );
    let (row, len) = match focus {
        PasswordFocus::Password => (first, wizard.password.char_len()),
        PasswordFocus::Confirm => (second, wizard.confirm.char_len()),
    };
    let cursor_x =
        (super::panel::LABEL_WIDTH as usize + len).min(usize::from(row.width.saturating_sub(1)));
    frame.set_cursor_position((row.x + cursor_x as u16, row.y));

    let max = wizard
        .chosen_profile(&state.profiles)
        .map(|p| p.key_bits.max_password_chars())
        .unwrap_or(24);
    let length = wizard.password.char_len();
    let length_style = if (1..=max).contains(&length) {
        theme.ok()
    } else {
        theme.error()
    };
    let same = wizard.password.secret() == wizard.confirm.secret();
    let match_span = if wizard.confirm.char_len() == 0 {
        Span::styled("confirmation not typed yet", theme.dim())
    } else if same {
        Span::styled("✓ the two entries match", theme.ok())
    } else {
        Span::styled("✗ the two entries differ", theme.error())
    };
    let lines = vec![
        Line::from(vec![
            Span::raw("Length: "),
            Span::styled(
                format!("{length} of at most {max} characters"),
                length_style,
            ),
        ]),
        Line::from(match_span),
    ];
    frame.render_widget(Paragraph::new(lines), status);
    frame.render_widget(
        Paragraph::new(vec![
            hint(
                "Printable ASCII only: users type it on their phones.",
                theme,
            ),
            hint(
                "Tab switches between the two boxes. The password is never shown or stored.",
                theme,
            ),
        ])
        .wrap(Wrap { trim: true }),
        help,
    );
}
