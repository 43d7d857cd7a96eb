//! Step 8: the review summary (built by the job engine, shared with the CLI), then Submit Job.
//! The password is never shown, only whether one is set.

use super::Wizard;
use crate::tui::app::State;
use crate::tui::keymap::Action;
use crate::tui::msg::Effect;
use crate::tui::theme::Theme;
use crate::workspace::Profile;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Exclusions listed one per line before the rest are counted.
const LISTED: usize = 50;

pub fn on_action(wizard: &mut Wizard, action: Action) -> Vec<Effect> {
    let step = match action {
        Action::Up => -1,
        Action::Down => 1,
        Action::PageUp => -10,
        Action::PageDown => 10,
        Action::Home => -10_000,
        Action::End => 10_000,
        _ => 0,
    };
    wizard.review_scroll = (i32::from(wizard.review_scroll) + step).clamp(0, 2_000) as u16;
    Vec::new()
}

/// Submit Job: only once the engine's review came back clean.
pub fn submit(wizard: &mut Wizard, profiles: &[Profile]) -> Vec<Effect> {
    match &wizard.review {
        Some(Ok(_)) => vec![Effect::StartJob(Box::new(wizard.spec(profiles)))],
        _ => Vec::new(),
    }
}

pub fn lines(wizard: &Wizard, theme: &Theme) -> Vec<Line<'static>> {
    let Some(review) = &wizard.review else {
        return vec![Line::from(Span::styled(
            "Preparing the review…",
            theme.dim(),
        ))];
    };
    let summary = match review {
        Ok(summary) => summary,
        Err(issues) => {
            let mut lines = vec![Line::from(Span::styled(
                "The job cannot be submitted yet (Esc goes back to fix it):",
                theme.error(),
            ))];
            lines.extend(
                issues
                    .iter()
                    .map(|i| Line::from(Span::styled(format!("✗ {}", i.message), theme.error()))),
            );
            return lines;
        }
    };
    let mut lines: Vec<Line> = summary
        .choices
        .iter()
        .map(|(label, value)| {
            Line::from(vec![
                Span::styled(format!("{label:<20}"), theme.dim()),
                Span::raw(value.clone()),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        format!("{} tokens will be distributed.", summary.selected_count),
        theme.ok(),
    )));
    for warning in &summary.warnings {
        lines.push(Line::from(Span::styled(
            format!("⚠ {warning}"),
            theme.warning(),
        )));
    }
    if !summary.redistributed.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("Distributed before ({}):", summary.redistributed.len()),
            theme.warning(),
        )));
        let serials: Vec<String> = summary
            .redistributed
            .iter()
            .take(LISTED)
            .map(|s| s.to_string())
            .collect();
        lines.push(Line::from(format!("  {}", serials.join(", "))));
        if summary.redistributed.len() > LISTED {
            lines.push(Line::from(format!(
                "  … and {} more",
                summary.redistributed.len() - LISTED
            )));
        }
    }
    if !summary.excluded.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("{} tokens excluded:", summary.excluded.len()),
            theme.warning(),
        )));
        for exclusion in summary.excluded.iter().take(LISTED) {
            lines.push(Line::from(format!(
                "  {}  {}",
                exclusion.serial, exclusion.reason
            )));
        }
        if summary.excluded.len() > LISTED {
            lines.push(Line::from(format!(
                "  … and {} more",
                summary.excluded.len() - LISTED
            )));
        }
    }
    lines
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let wizard = &state.wizard;
    let [body, button] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let text = lines(wizard, theme);
    // Rows the text takes once wrapped, so scrolling stops at its end.
    let width = usize::from(body.width.max(1));
    let rows: usize = text
        .iter()
        .map(|line| line.width().max(1).div_ceil(width))
        .sum();
    let max_scroll = u16::try_from(rows)
        .unwrap_or(u16::MAX)
        .saturating_sub(body.height);
    let scroll = wizard.review_scroll.min(max_scroll);
    let paragraph = Paragraph::new(text)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0));
    frame.render_widget(paragraph, body);
    let more = if scroll < max_scroll {
        Span::styled("  ↓ more below (PgDn)", theme.warning())
    } else {
        Span::raw("")
    };
    let ready = matches!(wizard.review, Some(Ok(_)));
    let button_line = if ready {
        Line::from(vec![
            Span::styled(" > Submit Job < ", theme.focus()),
            Span::styled("  Enter submits · Esc back", theme.dim()),
            more,
        ])
    } else {
        Line::from(vec![
            Span::styled(
                "Submit Job is not available: go back and fix the messages above.",
                theme.dim(),
            ),
            more,
        ])
    };
    frame.render_widget(Paragraph::new(button_line), button);
}
