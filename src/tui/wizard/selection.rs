//! Step 7: which tokens the job distributes: serial ranges, a user filter and whether tokens
//! distributed before are included, with a live count and a scrollable table of the matches.

use super::panel::{field_line, hint, text_field};
use super::{PreviewState, SelectionFocus, Wizard, input};
use crate::jobs::SerialRange;
use crate::token::Serial;
use crate::tui::app::State;
use crate::tui::keymap::Action;
use crate::tui::msg::Effect;
use crate::workspace::Profile;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

/// Parses `FROM-TO` ranges and single serials, separated by commas or spaces. Empty means
/// every serial.
pub fn parse_ranges(text: &str) -> Result<Vec<SerialRange>, String> {
    let mut ranges = Vec::new();
    for part in text.split([',', ' ']).filter(|p| !p.is_empty()) {
        let (from, to) = part.split_once('-').unwrap_or((part, part));
        let parse =
            |s: &str| Serial::parse(s.trim()).map_err(|e| format!("serial range {part:?}: {e}"));
        let (from, to) = (parse(from)?, parse(to)?);
        if from > to {
            return Err(format!(
                "serial range {part:?}: the first serial is after the last"
            ));
        }
        ranges.push(SerialRange { from, to });
    }
    Ok(ranges)
}

pub fn on_action(
    wizard: &mut Wizard,
    profiles: &[Profile],
    action: Action,
    page: usize,
) -> Vec<Effect> {
    use SelectionFocus::*;
    let order = [Ranges, User, IncludeDistributed, Table];
    let at = order
        .iter()
        .position(|f| *f == wizard.selection_focus)
        .unwrap_or(0);
    let count = wizard.preview.ready().map_or(0, |p| p.selected.len());
    match action {
        Action::NextField => wizard.selection_focus = order[(at + 1) % order.len()],
        Action::PrevField => wizard.selection_focus = order[(at + order.len() - 1) % order.len()],
        Action::Toggle if wizard.selection_focus == IncludeDistributed => {
            wizard.include_distributed = !wizard.include_distributed;
            return wizard.edited(profiles);
        }
        _ => crate::tui::list::move_cursor(&mut wizard.table_cursor, action, count, page),
    }
    Vec::new()
}

pub fn on_text(wizard: &mut Wizard, profiles: &[Profile], key: KeyEvent) -> Vec<Effect> {
    let field = match wizard.selection_focus {
        SelectionFocus::Ranges => &mut wizard.ranges,
        SelectionFocus::User => &mut wizard.user,
        _ => return Vec::new(),
    };
    let changed = input::edit(field, key);
    if changed {
        wizard.table_cursor = 0;
    }
    wizard.edited_if(changed, profiles)
}

/// Token rows the table shows in the panel's `content` area: below the three fields, the
/// hint and the count line, and under the table's header.
pub fn table_rows(content: Rect) -> u16 {
    content.height.saturating_sub(6)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let wizard = &state.wizard;
    let [ranges, user, include, hint_area, count, table] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(2),
    ])
    .areas(area);
    let focus = wizard.selection_focus;
    text_field(
        frame,
        ranges,
        "Serial ranges",
        &wizard.ranges,
        focus == SelectionFocus::Ranges,
        theme,
    );
    text_field(
        frame,
        user,
        "User filter",
        &wizard.user,
        focus == SelectionFocus::User,
        theme,
    );
    let check = if wizard.include_distributed {
        "[x]"
    } else {
        "[ ]"
    };
    field_line(
        frame,
        include,
        "Redistribute",
        &format!("{check} include tokens distributed before"),
        focus == SelectionFocus::IncludeDistributed,
        theme,
    );
    frame.render_widget(
        Paragraph::new(hint(
            "Ranges: FROM-TO or one serial, comma-separated; empty = all. User: a glob (a*).",
            theme,
        )),
        hint_area,
    );
    let (count_line, groups) = count_line(wizard, theme);
    frame.render_widget(Paragraph::new(count_line), count);
    match groups {
        Some(groups) => frame.render_widget(Paragraph::new(groups), table),
        None => render_table(frame, table, state),
    }
}

/// The count line, and — when every matched token is excluded — the reasons grouped with
/// their counts, shown where the (empty) table would be: the review will not open then, so
/// this is the only place they can be read.
fn count_line(
    wizard: &Wizard,
    theme: &crate::tui::theme::Theme,
) -> (Line<'static>, Option<Vec<Line<'static>>>) {
    let preview = match &wizard.preview {
        PreviewState::Counting => {
            return (Line::from(Span::styled("counting…", theme.dim())), None);
        }
        PreviewState::Invalid(message) => {
            let line = Line::from(vec![
                Span::styled("no count: ", theme.error()),
                Span::styled(
                    message
                        .strip_prefix("token selection: ")
                        .unwrap_or(message)
                        .to_owned(),
                    theme.error(),
                ),
            ]);
            return (line, Some(Vec::new()));
        }
        PreviewState::Ready(preview) => preview,
    };
    let style = if preview.selected_count == 0 {
        theme.error()
    } else {
        theme.ok()
    };
    let mut spans = vec![Span::styled(
        format!("{} tokens match", preview.selected_count),
        style,
    )];
    if preview.selected_count == 0 && preview.excluded_count > 0 {
        spans.push(Span::styled(
            format!(
                " · all {} matched tokens are excluded:",
                preview.excluded_count
            ),
            theme.warning(),
        ));
        let width = preview
            .excluded_groups
            .iter()
            .map(|(_, n)| n.to_string().len())
            .max()
            .unwrap_or(1);
        let groups = preview
            .excluded_groups
            .iter()
            .map(|(reason, n)| {
                Line::from(vec![
                    Span::styled(format!("  {n:>width$} "), theme.warning()),
                    Span::raw(reason.clone()),
                ])
            })
            .collect();
        return (Line::from(spans), Some(groups));
    }
    if preview.excluded_count > 0 {
        spans.push(Span::styled(
            format!(
                " · {} excluded (reasons on the review)",
                preview.excluded_count
            ),
            theme.warning(),
        ));
    }
    (Line::from(spans), None)
}

fn render_table(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let wizard = &state.wizard;
    let Some(preview) = wizard.preview.ready() else {
        return;
    };
    let (first, end) = crate::tui::view::window(
        wizard.table_cursor,
        preview.selected.len(),
        usize::from(area.height.saturating_sub(1)),
    );
    let rows: Vec<Row> = preview
        .selected
        .window(first, end)
        .into_iter()
        .map(|t| {
            Row::new(vec![
                Cell::from(t.serial.to_string()),
                Cell::from(t.login.unwrap_or_else(|| "-".into())),
                Cell::from(t.full_name),
                Cell::from(t.expires.to_string()),
                Cell::from(if t.distributed_count > 0 {
                    format!("{}×", t.distributed_count)
                } else {
                    String::new()
                }),
            ])
        })
        .collect();
    let focused = wizard.selection_focus == SelectionFocus::Table;
    let table = Table::new(
        rows,
        [
            Constraint::Length(12),
            Constraint::Length(14),
            Constraint::Min(10),
            Constraint::Length(10),
            Constraint::Length(5),
        ],
    )
    .header(Row::new(vec!["Serial", "User", "Name", "Expires", "Dist."]).style(theme.header()))
    .highlight_symbol(if focused { "> " } else { "  " })
    .row_highlight_style(if focused { theme.focus() } else { theme.text() });
    let mut table_state =
        TableState::default().with_selected(Some(wizard.table_cursor.saturating_sub(first)));
    frame.render_stateful_widget(table, area, &mut table_state);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_with_commas_spaces_and_single_serials() {
        let ranges = parse_ranges("100-200, 300  400-400").unwrap();
        assert_eq!(ranges.len(), 3);
        assert_eq!(ranges[0].from.as_str(), "000000000100");
        assert_eq!(ranges[1].from, ranges[1].to);
        assert_eq!(parse_ranges("").unwrap(), vec![]);
    }

    #[test]
    fn bad_ranges_are_explained() {
        assert!(
            parse_ranges("200-100")
                .unwrap_err()
                .contains("first serial is after the last")
        );
        assert!(parse_ranges("12a").unwrap_err().contains("only the digits"));
        assert!(parse_ranges("1-").unwrap_err().contains("empty"));
    }
}
