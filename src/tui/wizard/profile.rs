//! Step 2: the software token profile. Every profile is listed; those not delivered by file
//! are shown but cannot be chosen, with the reason. The highlighted profile's attributes are
//! shown beside the list.

use super::Wizard;
use super::panel::hint;
use crate::tui::app::State;
use crate::tui::keymap::Action;
use crate::tui::msg::Effect;
use crate::workspace::Profile;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};
use tui_input::Input;

/// Moves the highlight; the device-class id follows the profile unless it was replaced.
pub fn on_action(wizard: &mut Wizard, profiles: &[Profile], action: Action) -> Vec<Effect> {
    if profiles.is_empty() {
        return Vec::new();
    }
    let last = profiles.len() - 1;
    let target = match action {
        Action::Up => wizard.profile.saturating_sub(1),
        Action::Down => (wizard.profile + 1).min(last),
        Action::Home => 0,
        Action::End => last,
        _ => return Vec::new(),
    };
    if target == wizard.profile {
        return Vec::new();
    }
    let old_class = profiles[wizard.profile].device_class_id.clone();
    wizard.profile = target;
    if wizard.device_id.value() == old_class {
        wizard.device_id = Input::new(profiles[target].device_class_id.clone());
    }
    wizard.edited(profiles)
}

/// Why a profile cannot be chosen, if it cannot.
pub fn not_selectable_reason(profile: &Profile) -> Option<String> {
    (!profile.is_distributable()).then(|| {
        format!(
            "delivered by {}, not as a file: tokendist cannot distribute it",
            profile.delivery.label()
        )
    })
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let [list_area, detail_area] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let items: Vec<ListItem> = state
        .profiles
        .iter()
        .map(|p| {
            if p.is_distributable() {
                ListItem::new(Line::from(p.name.clone()))
            } else {
                ListItem::new(Line::from(vec![
                    Span::styled(p.name.clone(), theme.dim()),
                    Span::styled(format!(" ({}, n/a)", p.delivery.label()), theme.dim()),
                ]))
            }
        })
        .collect();
    let list = List::new(items)
        .block(Block::default().borders(Borders::RIGHT))
        .highlight_symbol("> ")
        .highlight_style(theme.focus());
    let mut list_state = ListState::default().with_selected(Some(state.wizard.profile));
    frame.render_stateful_widget(list, list_area, &mut list_state);

    let Some(profile) = state.wizard.chosen_profile(&state.profiles) else {
        frame.render_widget(Paragraph::new("No profiles are configured."), detail_area);
        return;
    };
    let row = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!(" {label:<16}"), theme.dim()),
            Span::raw(value),
        ])
    };
    let mut lines = vec![
        Line::from(Span::styled(format!(" {}", profile.name), theme.title())),
        row("Delivery", profile.delivery.label().to_owned()),
        row("Device type", profile.device_type.clone()),
        row("Device class id", String::new()),
        Line::from(format!("   {}", profile.device_class_id)),
        row("Key size", format!("{} bit", profile.key_bits.bits())),
        row("Digits", profile.digits.to_string()),
        row("Interval", profile.interval.to_string()),
        row("PIN type", profile.pin_type.label().to_owned()),
        row(
            "Copy protection",
            if profile.copy_protection { "yes" } else { "no" }.to_owned(),
        ),
    ];
    if profile.site_specific {
        lines.push(Line::from(Span::styled(
            " Device class id is site-specific",
            theme.warning(),
        )));
    }
    if !profile.description.is_empty() {
        lines.push(hint(format!(" {}", profile.description), theme));
    }
    if let Some(reason) = not_selectable_reason(profile) {
        lines.push(Line::from(Span::styled(
            format!(" Not selectable: {reason}"),
            theme.error(),
        )));
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }),
        detail_area,
    );
}
