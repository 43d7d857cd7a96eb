//! Step 3: DeviceSerialNumber. The profile's device-class id is filled in (any device of that
//! class may import the token); replacing it with one device's id binds every file to that
//! device. The panel always says which binding is in effect.

use super::panel::{hint, text_field};
use super::{Wizard, binding_words};
use crate::jobs::Binding;
use crate::tui::app::State;
use crate::tui::msg::Effect;
use crate::workspace::Profile;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use tui_input::Input;

pub fn on_text(wizard: &mut Wizard, profiles: &[Profile], key: KeyEvent) -> Vec<Effect> {
    wizard.edit_text(profiles, key, |w| &mut w.device_id)
}

/// Ctrl-R: back to the profile's device-class id.
pub fn restore(wizard: &mut Wizard, profiles: &[Profile]) -> Vec<Effect> {
    let class_id = wizard
        .chosen_profile(profiles)
        .map(|p| p.device_class_id.clone())
        .unwrap_or_default();
    wizard.device_id = Input::new(class_id);
    wizard.edited(profiles)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let wizard = &state.wizard;
    let profile = wizard.chosen_profile(&state.profiles);
    let [intro, _, field, _, status, help] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(
            "The DeviceSerialNumber written into each file decides which devices may import it.",
        )
        .wrap(Wrap { trim: true }),
        intro,
    );
    text_field(
        frame,
        field,
        "DeviceSerialNumber",
        &wizard.device_id,
        true,
        theme,
    );
    let binding = wizard.binding(&state.profiles);
    let style = match binding {
        Binding::DeviceClass => theme.ok(),
        Binding::Device(_) => theme.warning(),
    };
    let in_effect = if wizard.device_id.value().is_empty() {
        Line::from(Span::styled(
            "In effect: none yet (the field is empty)",
            theme.error(),
        ))
    } else {
        Line::from(vec![
            Span::raw("In effect: "),
            Span::styled(binding_words(&binding), style),
        ])
    };
    frame.render_widget(Paragraph::new(in_effect).wrap(Wrap { trim: true }), status);
    let class = profile.map(|p| p.device_class_id.as_str()).unwrap_or("-");
    let mut lines = vec![
        hint(format!("Device-class id of the profile: {class}"), theme),
        hint(
            "Clear the field (Ctrl-U) and type a device id to bind to one device;",
            theme,
        ),
        hint("Ctrl-R restores the device-class id.", theme),
    ];
    if profile.is_some_and(|p| p.site_specific) {
        lines.push(Line::from(Span::styled(
            "This profile's device-class id is site-specific: check it against your console.",
            theme.warning(),
        )));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), help);
}
