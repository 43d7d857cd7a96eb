//! The top-level view: the screen tabs, the current screen, a notice line, the footer and any
//! dialog. Views only read the state.

use super::app::{Screen, State};
use super::keymap::{Action, global_key_label};
use super::{dialog, footer, jobs_view, progress, tokens_view, wizard};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Below this the screen cannot be laid out usefully; say so instead.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// The page of a long list that holds the cursor row: (first, end). Only these rows are
/// built, so a list of a million tokens costs one screenful per frame.
pub fn window(cursor: usize, len: usize, height: usize) -> (usize, usize) {
    // Whole pages: the rows stay put while the cursor moves within a page.
    let height = height.max(1);
    let first = cursor.min(len.saturating_sub(1)) / height * height;
    (first, (first + height).min(len))
}

/// Rows PageUp and PageDown move a table's cursor.
const PAGE: usize = 10;

/// Moves a table's cursor (`last` is the index of its last row) on Up, Down, PageUp,
/// PageDown, Home or End; any other action leaves it where it is.
pub fn move_cursor(cursor: &mut usize, action: Action, last: usize) {
    *cursor = match action {
        Action::Up => cursor.saturating_sub(1),
        Action::Down => (*cursor + 1).min(last),
        Action::PageUp => cursor.saturating_sub(PAGE),
        Action::PageDown => (*cursor + PAGE).min(last),
        Action::Home => 0,
        Action::End => last,
        _ => *cursor,
    };
}

pub fn view(frame: &mut Frame, state: &State) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "The terminal is {}×{}; tokendist needs at least {MIN_WIDTH}×{MIN_HEIGHT} (80×24 recommended).",
            area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    let [header, body, footer_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(frame, header, state);
    match state.screen {
        Screen::Wizard if state.run.is_some() => progress::render(frame, body, state),
        Screen::Wizard => wizard::panel::render(frame, body, state),
        Screen::Jobs => jobs_view::render(frame, body, state),
        Screen::Tokens => tokens_view::render(frame, body, state),
    }
    footer::render(frame, footer_area, state);
    dialog::render(frame, body, state);
}

fn render_header(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let mut spans = vec![Span::styled(" tokendist ", theme.title())];
    for (screen, action, label) in [
        (Screen::Wizard, Action::GoWizard, "New job"),
        (Screen::Jobs, Action::GoJobs, "Jobs"),
        (Screen::Tokens, Action::GoTokens, "Tokens"),
    ] {
        let text = format!(" {} {label} ", global_key_label(action));
        spans.push(if state.screen == screen {
            Span::styled(text, theme.focus())
        } else {
            Span::raw(text)
        });
    }
    if let Some(run) = state.run.as_ref().filter(|r| r.is_running()) {
        let p = &run.progress;
        let percent = p.percent();
        spans.push(Span::styled(
            format!("  ● job running {percent}%"),
            theme.warning(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use super::window;

    #[test]
    fn the_window_follows_the_cursor() {
        assert_eq!(window(0, 1000, 10), (0, 10));
        assert_eq!(window(9, 1000, 10), (0, 10));
        assert_eq!(window(10, 1000, 10), (10, 20));
        assert_eq!(window(999, 1000, 10), (990, 1000));
        assert_eq!(window(1004, 1005, 10), (1000, 1005));
        assert_eq!(window(0, 3, 10), (0, 3));
        assert_eq!(window(0, 0, 10), (0, 0));
    }
}
