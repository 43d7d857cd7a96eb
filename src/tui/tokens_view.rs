//! Tokens: a read-only browser of the inventory, filtered by serial or user with `/`, so the
//! administrator can check assignments before a job.

use super::app::State;
use super::keymap::Action;
use super::msg::Effect;
use super::wizard::panel::text_field;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, TableState};
use tui_input::Input;

/// Token rows the table shows in the screen's body: below the filter line and the table's
/// header, above the status line.
pub fn table_rows(body: Rect) -> u16 {
    body.height.saturating_sub(3)
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Effect> {
    let page = usize::from(table_rows(super::view::body_area(state.viewport)));
    let tokens = &mut state.tokens;
    let len = tokens.visible().len();
    match action {
        Action::Filter => tokens.filtering = true,
        Action::Close => tokens.filtering = false,
        Action::Back => {
            tokens.filter = Input::default();
            tokens.filtering = false;
            tokens.cursor = 0;
        }
        _ => super::list::move_cursor(&mut tokens.cursor, action, len, page),
    }
    Vec::new()
}

pub fn on_text(state: &mut State, key: KeyEvent) {
    if super::wizard::input_edit(&mut state.tokens.filter, key) {
        state.tokens.cursor = 0;
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let tokens = &state.tokens;
    let [filter_area, table_area, status_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    text_field(
        frame,
        filter_area,
        "Filter (/)",
        &tokens.filter,
        tokens.filtering,
        theme,
    );
    let visible = tokens.visible();
    let today_marker = |expired: bool| if expired { " expired" } else { "" };
    // Header row and nothing else take room from the table area.
    let (first, end) = super::view::window(
        tokens.cursor,
        visible.len(),
        usize::from(table_area.height.saturating_sub(1)),
    );
    let rows: Vec<Row> = visible[first..end]
        .iter()
        .map(|t| {
            Row::new(vec![
                t.serial.to_string(),
                t.login.clone().unwrap_or_else(|| "(unassigned)".into()),
                t.full_name.clone(),
                format!("{}{}", t.expires, today_marker(t.expired)),
                t.key_bits.to_string(),
                t.distributed_count.to_string(),
            ])
        })
        .collect();
    let empty = rows.is_empty();
    let table = Table::new(
        rows,
        [
            Constraint::Length(12),
            Constraint::Length(14),
            Constraint::Min(12),
            Constraint::Length(18),
            Constraint::Length(4),
            Constraint::Length(5),
        ],
    )
    .header(
        Row::new(vec!["Serial", "User", "Name", "Expires", "Bits", "Dist."]).style(theme.header()),
    )
    .highlight_symbol(if tokens.filtering { "  " } else { "> " })
    .row_highlight_style(if tokens.filtering {
        theme.text()
    } else {
        theme.focus()
    });
    let mut table_state =
        TableState::default().with_selected((!empty).then_some(tokens.cursor - first));
    frame.render_stateful_widget(table, table_area, &mut table_state);
    let assigned = tokens.rows.iter().filter(|t| t.login.is_some()).count();
    let status = format!(
        "{} of {} tokens shown · {} assigned · read-only",
        visible.len(),
        tokens.rows.len(),
        assigned
    );
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(status, theme.dim()))),
        status_area,
    );
}
