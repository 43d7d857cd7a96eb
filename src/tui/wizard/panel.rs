//! Drawing pieces the wizard's panels share: the step frame, one-line fields, messages.

use super::Step;
use crate::tui::app::State;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use tui_input::Input;

/// Width of the label column of one-line fields.
pub const LABEL_WIDTH: u16 = 22;

/// The wizard's areas in the screen's body: (step indicator, panel frame, panel content,
/// messages). Rendering and paging (how many rows a list shows) both use it.
pub fn areas(area: Rect, state: &State) -> (Rect, Rect, Rect, Rect) {
    let wizard = &state.wizard;
    let messages = wizard.issues_for(wizard.step, &state.profiles);
    let message_rows = messages_height(&messages, area.width.saturating_sub(2));
    let notice_rows = inventory_notice(state).map_or(0, |n| {
        messages_height(std::slice::from_ref(&n), area.width.saturating_sub(2))
    });
    let [indicator, _notice, body] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(notice_rows),
        Constraint::Min(3),
    ])
    .areas(area);
    let inner = Block::default().borders(Borders::ALL).inner(body);
    let [content, _, issues] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(u16::from(message_rows > 0)),
        Constraint::Length(message_rows),
    ])
    .areas(inner);
    (indicator, body, content, issues)
}

/// What to do when the inventory cannot give a job any token: said from the first step on,
/// with the commands (the wizard holds the workspace lock, so they run after quitting).
pub fn inventory_notice(state: &State) -> Option<String> {
    let workspace = &state.workspace;
    if workspace.path.is_empty() {
        return None;
    }
    if workspace.tokens == 0 {
        Some("The inventory is empty: no job can select a token. Quit (q), import with `tokendist tokens import FILE`, assign users with `tokendist tokens assign USERS.csv`, then start again.".into())
    } else if workspace.assigned == 0 {
        Some(format!(
            "None of the {} tokens is assigned to a user, so no job can select one. Quit (q) and run `tokendist tokens assign USERS.csv` (serial,user_login,first_name,last_name).",
            workspace.tokens
        ))
    } else {
        None
    }
}

/// Draws the wizard: step indicator, the panel's frame, the panel, its messages.
pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let wizard = &state.wizard;
    let theme = &state.theme;
    let (at, total) = wizard.position();
    let messages = wizard.issues_for(wizard.step, &state.profiles);
    let (indicator, body, content, issues) = areas(area, state);
    let dots: String = (1..=total)
        .map(|i| if i <= at { '●' } else { '○' })
        .collect();
    let indicator_line = Line::from(vec![
        Span::styled(
            format!(" New job · Step {at} of {total}: {}", wizard.step.title()),
            theme.title(),
        ),
        Span::raw("  "),
        Span::styled(dots, theme.dim()),
    ]);
    frame.render_widget(Paragraph::new(indicator_line), indicator);
    if let Some(notice) = inventory_notice(state) {
        let notice_area = Rect {
            y: indicator.bottom(),
            height: body.y - indicator.bottom(),
            ..indicator
        };
        frame.render_widget(
            Paragraph::new(Span::styled(format!("⚠ {notice}"), theme.warning()))
                .wrap(Wrap { trim: true }),
            notice_area,
        );
    }

    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(" {} ", wizard.step.title()),
        theme.title(),
    ));
    frame.render_widget(block, body);
    match wizard.step {
        Step::Name => super::name::render(frame, content, state),
        Step::Profile => super::profile::render(frame, content, state),
        Step::Binding => super::binding::render(frame, content, state),
        Step::Nickname => super::nickname::render(frame, content, state),
        Step::Protection => super::protection::render(frame, content, state),
        Step::Password => super::password::render(frame, content, state),
        Step::Selection => super::selection::render(frame, content, state),
        Step::Review => super::review::render(frame, content, state),
    }
    render_messages(frame, issues, &messages, theme);
}

fn messages_height(messages: &[String], width: u16) -> u16 {
    let width = usize::from(width.max(10));
    let rows: usize = messages
        .iter()
        .map(|m| (m.chars().count() + 2).div_ceil(width))
        .sum();
    rows.min(5) as u16
}

/// Validation messages, one per line, marked so they read without colour.
pub fn render_messages(frame: &mut Frame, area: Rect, messages: &[String], theme: &Theme) {
    let lines: Vec<Line> = messages
        .iter()
        .map(|m| Line::from(Span::styled(format!("✗ {m}"), theme.error())))
        .collect();
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// A one-line labelled text field. The focused one is marked `>` and drawn reversed, with the
/// terminal cursor in it.
pub fn text_field(
    frame: &mut Frame,
    area: Rect,
    label: &str,
    input: &Input,
    focused: bool,
    theme: &Theme,
) {
    let value_width = area.width.saturating_sub(LABEL_WIDTH + 1).max(1);
    let scroll = input.visual_scroll(usize::from(value_width));
    let shown: String = input.value().chars().skip(scroll).collect();
    field_line(frame, area, label, &shown, focused, theme);
    if focused {
        let cursor = input.visual_cursor().saturating_sub(scroll) as u16;
        frame.set_cursor_position((area.x + LABEL_WIDTH + cursor.min(value_width - 1), area.y));
    }
}

/// A one-line field whose text is given (used for masked passwords).
pub fn field_line(
    frame: &mut Frame,
    area: Rect,
    label: &str,
    value: &str,
    focused: bool,
    theme: &Theme,
) {
    let value_width = usize::from(area.width.saturating_sub(LABEL_WIDTH + 1));
    let marker = if focused { "> " } else { "  " };
    let label_text = format!("{marker}{label}");
    let label_style = if focused { theme.title() } else { theme.text() };
    let padded = format!("{value:<value_width$}");
    let value_style = if focused {
        theme.focus()
    } else {
        theme
            .text()
            .add_modifier(ratatui::style::Modifier::UNDERLINED)
    };
    let line = Line::from(vec![
        Span::styled(
            format!("{label_text:<width$}", width = usize::from(LABEL_WIDTH)),
            label_style,
        ),
        Span::styled(padded, value_style),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

/// The panel of a step that is one text field (job name, nickname): a line or two saying
/// what the field is for, the field, and hints under it.
pub fn text_step(
    frame: &mut Frame,
    area: Rect,
    intro: &str,
    label: &str,
    input: &Input,
    hints: Vec<Line<'static>>,
    theme: &Theme,
) {
    let [intro_area, _, field, _, help] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(intro.to_owned()).wrap(Wrap { trim: true }),
        intro_area,
    );
    text_field(frame, field, label, input, true, theme);
    frame.render_widget(Paragraph::new(hints).wrap(Wrap { trim: true }), help);
}

/// Explanatory text under a field.
pub fn hint(text: impl Into<String>, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(text.into(), theme.dim()))
}
