//! The `?` overlay: every key of the screen or dialog underneath, generated from its key table.

use super::app::{Overlay, State};
use super::dialog::help_box;
use super::keymap::KeyContext;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// The context the help describes: the dialog it was opened over, or the screen.
pub fn described_context(state: &State, under: Option<&Overlay>) -> KeyContext {
    under.map_or_else(|| state.screen_context(), Overlay::key_context)
}

/// Help lines for a context: "keys  description", one binding per line.
pub fn lines(context: KeyContext, state: &State) -> Vec<Line<'static>> {
    let theme = &state.theme;
    context
        .bindings()
        .into_iter()
        .map(|binding| {
            Line::from(vec![
                Span::styled(format!(" {:<16}", context.keys_label(binding)), theme.key()),
                Span::raw(binding.description),
            ])
        })
        .collect()
}

pub fn render(
    frame: &mut Frame,
    area: Rect,
    state: &State,
    under: Option<&Overlay>,
    scroll: usize,
) {
    let theme = &state.theme;
    let context = described_context(state, under);
    let mut text = lines(context, state);
    text.push(Line::from(""));
    text.push(Line::from(Span::styled(
        if context.is_text() {
            " Letters are text here; ←/→ Home End Backspace Ctrl-U edit."
        } else {
            " Lists: j/k move, g/G first/last, Ctrl-D/Ctrl-U half a page, PgUp/PgDn a page."
        },
        theme.dim(),
    )));
    let rows = text.len();
    let box_area = help_box(area, rows as u16);
    let height = usize::from(box_area.height.saturating_sub(2));
    let scroll = scroll.min(rows.saturating_sub(height));
    super::dialog::clear_under(frame, box_area, frame.area());
    let title = if rows > height {
        format!(
            " Keys {}-{} of {rows} (Esc closes) ",
            scroll + 1,
            (scroll + height).min(rows)
        )
    } else {
        " Keys (Esc closes) ".to_owned()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focus_border())
        .title(Span::styled(title, theme.title()));
    let shown: Vec<Line> = text.into_iter().skip(scroll).collect();
    frame.render_widget(
        Paragraph::new(shown)
            .wrap(Wrap { trim: false })
            .block(block),
        box_area,
    );
}
