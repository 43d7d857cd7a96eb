//! The footer: the main keys of the current context, from its key table.

use super::app::State;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    if let Some(notice) = &state.notice {
        let text = super::view::fit(notice, usize::from(area.width));
        frame.render_widget(Paragraph::new(Span::styled(text, theme.warning())), area);
        return;
    }
    let context = state.key_context();
    let mut spans = Vec::new();
    for binding in context.bindings() {
        let Some(word) = binding.footer else { continue };
        let keys = context.keys_label(binding);
        if keys.is_empty() {
            continue;
        }
        if !spans.is_empty() {
            spans.push(Span::styled(" · ", theme.dim()));
        }
        spans.push(Span::styled(keys, theme.key()));
        spans.push(Span::raw(format!(" {word}")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
