//! The `?` overlay: every key of the screen underneath, generated from its key table.

use super::app::State;
use super::dialog::centered;
use super::keymap::KeyContext;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// The context the help describes: the screen under the overlay.
pub fn described_context(state: &State) -> KeyContext {
    state.screen_context()
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

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let context = described_context(state);
    let mut text = lines(context, state);
    if context.is_text() {
        text.push(Line::from(""));
        text.push(Line::from(Span::styled(
            " Letters are text here; ←/→ Home End Backspace Ctrl-U edit.",
            theme.dim(),
        )));
    }
    let height = (text.len() as u16 + 2).min(area.height);
    let box_area = centered(area, 78, height);
    frame.render_widget(Clear, box_area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focus_border())
        .title(Span::styled(" Keys (Esc closes) ", theme.title()));
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(block),
        box_area,
    );
}
