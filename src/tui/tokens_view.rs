//! Tokens: a read-only browser of the inventory, filtered by serial or user with `/`, so the
//! administrator can check assignments before a job.
//!
//! The rows are the backend's shared list: only the visible window is built per frame, and
//! the filter runs on the backend's worker (the newest filter wins; older answers are
//! dropped), so a million tokens scroll and filter without holding up a keystroke.

use super::app::{Screen, State};
use super::backend::{Rows, TokenInventory, TokenRow};
use super::keymap::{Action, global_key_label};
use super::msg::Effect;
use super::wizard::panel::text_field;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, TableState, Wrap};
use tui_input::Input;

/// Token rows the table shows in the screen's body: below the filter line and the table's
/// header, above the status line.
pub fn table_rows(body: Rect) -> u16 {
    body.height.saturating_sub(3)
}

/// Widths of the columns but the name: serial, user, expires, bits, digits, interval,
/// distributions.
const FIXED_WIDTHS: [u16; 7] = [12, 14, 18, 4, 3, 4, 5];
/// The cursor's marker ("> ") and the space between the eight columns.
const MARKER_AND_GAPS: u16 = 2 + 7;

/// Every column's width in a table `width` columns wide: the name takes what is left (11 at
/// 80 columns). Cells are cut to these widths with `…`, so a cut name never passes for a
/// whole one.
pub fn column_widths(width: u16) -> [u16; 8] {
    let fixed: u16 = FIXED_WIDTHS.iter().sum();
    let name = width.saturating_sub(fixed + MARKER_AND_GAPS).max(4);
    let [serial, user, expires, bits, digits, interval, dist] = FIXED_WIDTHS;
    [serial, user, name, expires, bits, digits, interval, dist]
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Effect> {
    let page = usize::from(table_rows(super::view::body_area(state.viewport)));
    let tokens = &mut state.tokens;
    let len = tokens.shown.len();
    match action {
        Action::Filter => tokens.filtering = true,
        Action::Close => tokens.filtering = false,
        Action::Back => {
            tokens.filter = Input::default();
            tokens.filtering = false;
            tokens.cursor = 0;
            return refilter(state);
        }
        _ => super::list::move_cursor(&mut tokens.cursor, action, len, page),
    }
    Vec::new()
}

pub fn on_text(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if super::wizard::input_edit(&mut state.tokens.filter, key) {
        state.tokens.cursor = 0;
        return refilter(state);
    }
    Vec::new()
}

pub fn on_paste(state: &mut State, text: &str) -> Vec<Effect> {
    if super::wizard::input_paste(&mut state.tokens.filter, text) {
        state.tokens.cursor = 0;
        return refilter(state);
    }
    Vec::new()
}

/// The filter changed (or the inventory did): without a filter every row shows at once;
/// with one, the backend is asked and the list says "filtering…" until it answers.
fn refilter(state: &mut State) -> Vec<Effect> {
    let tokens = &mut state.tokens;
    tokens.generation += 1;
    let needle = tokens.filter.value().trim().to_owned();
    let Some(all) = &tokens.all else {
        return Vec::new();
    };
    if needle.is_empty() {
        tokens.shown = all.clone();
        tokens.counting = false;
        return Vec::new();
    }
    tokens.counting = true;
    vec![Effect::FilterTokens {
        needle,
        generation: tokens.generation,
    }]
}

/// The inventory arrived (on opening the screen).
pub fn loaded(state: &mut State, inventory: TokenInventory) -> Vec<Effect> {
    state.tokens.indexing = false;
    state.tokens.all = Some(inventory.rows);
    state.tokens.assigned = inventory.assigned;
    let effects = refilter(state);
    clamp_cursor(state);
    effects
}

/// The backend is indexing the inventory: nothing to show (not the old rows: their counts
/// would pass for the new inventory's) until [`indexed`].
pub fn indexing(state: &mut State) {
    let tokens = &mut state.tokens;
    tokens.indexing = true;
    tokens.all = None;
    tokens.shown = Rows::default();
    tokens.counting = false;
    tokens.generation += 1;
}

/// An index is ready: a browser on screen waiting for one asks again (and keeps waiting if
/// the one it needs is still being built). The UI never waits for it.
pub fn indexed(state: &mut State) -> Vec<Effect> {
    if state.tokens.indexing && state.screen == Screen::Tokens {
        vec![Effect::LoadTokens]
    } else {
        Vec::new()
    }
}

/// The filter's answer: shown only if it answers the newest request.
pub fn filtered(state: &mut State, generation: u64, rows: Rows) {
    if generation != state.tokens.generation {
        return;
    }
    state.tokens.shown = rows;
    state.tokens.counting = false;
    clamp_cursor(state);
}

fn clamp_cursor(state: &mut State) {
    let tokens = &mut state.tokens;
    tokens.cursor = tokens.cursor.min(tokens.shown.len().saturating_sub(1));
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
    if tokens.all.is_some() && tokens.total() == 0 {
        render_empty(frame, table_area, state);
        return;
    }
    let (first, window): (usize, Vec<TokenRow>) = if tokens.counting {
        // The rows of the previous filter would be stale: none until the answer.
        (0, Vec::new())
    } else {
        // Header row and nothing else take room from the table area.
        let (first, end) = super::view::window(
            tokens.cursor,
            tokens.shown.len(),
            usize::from(table_area.height.saturating_sub(1)),
        );
        (first, tokens.shown.window(first, end))
    };
    let expired_marker = |expired: bool| if expired { " expired" } else { "" };
    let widths = column_widths(table_area.width);
    let rows: Vec<Row> = window
        .iter()
        .map(|t| {
            let cells = [
                t.serial.to_string(),
                t.login.clone().unwrap_or_else(|| "(unassigned)".into()),
                t.full_name.clone(),
                format!("{}{}", t.expires, expired_marker(t.expired)),
                t.key_bits.to_string(),
                t.digits.to_string(),
                format!("{}s", t.interval_secs),
                t.distributed_count.to_string(),
            ];
            Row::new(
                cells
                    .iter()
                    .zip(widths)
                    .map(|(cell, width)| super::view::fit(cell, usize::from(width))),
            )
        })
        .collect();
    let empty = rows.is_empty();
    let table = Table::new(rows, widths.map(Constraint::Length))
        .header(
            Row::new(vec![
                "Serial", "User", "Name", "Expires", "Bits", "Dig", "Int", "Dist.",
            ])
            .style(theme.header()),
        )
        .highlight_symbol(if tokens.filtering { "  " } else { "> " })
        .row_highlight_style(if tokens.filtering {
            theme.text()
        } else {
            theme.focus()
        });
    let mut table_state =
        TableState::default().with_selected((!empty).then(|| tokens.cursor - first));
    frame.render_stateful_widget(table, table_area, &mut table_state);
    // While a job's end is recorded the rows are the inventory before it (its distributions
    // follow when it is recorded): the line says so instead of passing them for current.
    let kind = if state.recording() {
        "updating after the job…"
    } else {
        "read-only"
    };
    let status = if tokens.indexing {
        "indexing the inventory… the table shows it when it is ready · read-only".to_owned()
    } else if tokens.all.is_none() {
        "loading the inventory…".to_owned()
    } else if tokens.counting {
        format!(
            "filtering {} tokens… · {} assigned · {kind}",
            tokens.total(),
            tokens.assigned
        )
    } else {
        format!(
            "{} of {} tokens shown · {} assigned · {kind}",
            tokens.shown.len(),
            tokens.total(),
            tokens.assigned
        )
    };
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(status, theme.dim()))),
        status_area,
    );
}

/// An empty inventory: say what to do, with the commands.
fn render_empty(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let lines = vec![
        Line::from(Span::styled(
            "The inventory is empty: there is no token to distribute yet.",
            theme.warning(),
        )),
        Line::from(""),
        Line::from("1. Import the token records from the vendor's file (in a shell):"),
        Line::from(Span::styled(
            "     tokendist tokens import FILE",
            theme.key(),
        )),
        Line::from("2. Assign them to users (CSV header: serial,user_login,first_name,last_name):"),
        Line::from(Span::styled(
            "     tokendist tokens assign USERS.csv",
            theme.key(),
        )),
        Line::from(format!(
            "   (or, once tokens are imported, from the directory or a list in Tools, {})",
            global_key_label(Action::GoAdmin)
        )),
        Line::from(format!(
            "3. Come back here ({}) to check them, then start a job ({}).",
            global_key_label(Action::GoTokens),
            global_key_label(Action::GoWizard)
        )),
        Line::from(""),
        Line::from(Span::styled(
            "The wizard holds the workspace open: quit it (q) before running the commands.",
            theme.dim(),
        )),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
