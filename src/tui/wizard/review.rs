//! Step 8: the review summary (built by the job engine, shared with the CLI), then Submit Job.
//! The password is never shown, only whether one is set.

use super::Wizard;
use crate::tui::app::{ConfirmKind, Overlay, State};
use crate::tui::keymap::Action;
use crate::tui::msg::Effect;
use crate::tui::theme::Theme;
use crate::workspace::Profile;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Serials listed per exclusion group (once expanded) before "… and N more"; the redistributed
/// tokens likewise. The summary carries no more than these.
const LISTED: usize = crate::tui::backend::REVIEW_LISTED;

/// Space: show or hide the serials under each exclusion reason.
pub fn on_action(wizard: &mut Wizard, action: Action) -> Vec<Effect> {
    if action == Action::Toggle {
        wizard.review_expanded = !wizard.review_expanded;
    }
    Vec::new()
}

/// Scrolling the review by line, page, half page, to the top or the bottom.
pub fn scroll(state: &mut State, action: Action, page: usize) {
    let body = crate::tui::view::body_area(state.viewport);
    let (_, _, content, _) = super::panel::areas(body, state);
    let area = text_area(content);
    let rows = text_rows(&lines(&state.wizard, &state.theme), area.width);
    let offset =
        crate::tui::list::scroll(usize::from(state.wizard.review_scroll), action, rows, page);
    state.wizard.review_scroll = u16::try_from(offset).unwrap_or(u16::MAX);
}

/// Submit Job: only once the engine's review came back clean; with warnings (redistribution,
/// no password, expired tokens) only after a yes, like the CLI's y/N.
pub fn submit(state: &mut State) -> Vec<Effect> {
    let Some(Ok(summary)) = &state.wizard.review else {
        return Vec::new();
    };
    if summary.warnings.is_empty() {
        return submit_confirmed(&mut state.wizard, &state.profiles);
    }
    let mut question = String::from("This job has warnings:\n");
    for warning in &summary.warnings {
        question.push_str(&format!("⚠ {warning}\n"));
    }
    question.push_str(&format!(
        "Submit it anyway ({} tokens)?",
        summary.selected_count
    ));
    state.overlay = Some(Overlay::Confirm {
        kind: ConfirmKind::Submit,
        question,
    });
    Vec::new()
}

/// Starts the job (after the confirmation, when one was needed).
pub fn submit_confirmed(wizard: &mut Wizard, profiles: &[Profile]) -> Vec<Effect> {
    match &wizard.review {
        Some(Ok(_)) => vec![Effect::StartJob(Box::new(wizard.spec(profiles)))],
        _ => Vec::new(),
    }
}

/// The review's text area within the panel's content (the Submit line is under it).
pub fn text_area(content: Rect) -> Rect {
    let [body, _button] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(content);
    body
}

/// Rows `text` takes once wrapped to `width`.
fn text_rows(text: &[Line], width: u16) -> usize {
    let width = usize::from(width.max(1));
    text.iter()
        .map(|line| line.width().max(1).div_ceil(width))
        .sum()
}

pub fn lines(wizard: &Wizard, theme: &Theme) -> Vec<Line<'static>> {
    let Some(review) = &wizard.review else {
        // The job is being prepared on a worker: no figure until it is ready.
        return vec![
            Line::from(Span::styled(
                "Preparing the review… checking every selected token against the rules.",
                theme.warning(),
            )),
            Line::from(Span::styled(
                "Esc goes back at once; the figures appear here when they are ready.",
                theme.dim(),
            )),
        ];
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
    if summary.redistributed_count > 0 {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            format!(
                "Distributed before ({}): these users lose their current token until they import the new file:",
                summary.redistributed_count
            ),
            theme.warning(),
        )));
        for token in summary.redistributed.iter().take(LISTED) {
            lines.push(Line::from(format!(
                "  {}  {:<16} {}×, last by {:?} on {}",
                token.serial, token.login, token.times, token.last_job, token.last_at
            )));
        }
        if summary.redistributed_count > summary.redistributed.len() {
            lines.push(Line::from(format!(
                "  … and {} more (tokendist jobs submit --dry-run lists them all)",
                summary.redistributed_count - summary.redistributed.len()
            )));
        }
    }
    if !summary.exclusions.is_empty() {
        lines.push(Line::from(""));
        let hint = if wizard.review_expanded {
            "Space hides the serials"
        } else {
            "Space shows the serials"
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} tokens excluded", summary.excluded_count()),
                theme.warning(),
            ),
            Span::styled(format!(" ({hint}):"), theme.dim()),
        ]));
        for group in &summary.exclusions {
            lines.push(Line::from(format!(
                "  {:>6}  {}",
                group.count, group.reason
            )));
            if !wizard.review_expanded {
                continue;
            }
            for token in group.tokens.iter().take(LISTED) {
                lines.push(Line::from(Span::styled(
                    format!(
                        "          {}  {:<16} {}",
                        token.serial,
                        token.login.as_deref().unwrap_or("-"),
                        token.detail
                    ),
                    theme.dim(),
                )));
            }
            if group.count > group.tokens.len() {
                lines.push(Line::from(Span::styled(
                    format!("          … and {} more", group.count - group.tokens.len()),
                    theme.dim(),
                )));
            }
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
    let rows = text_rows(&text, body.width);
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
            Span::styled(
                if matches!(&wizard.review, Some(Ok(s)) if !s.warnings.is_empty()) {
                    "  Enter asks, then submits · Esc back"
                } else {
                    "  Enter submits · Esc back"
                },
                theme.dim(),
            ),
            more,
        ])
    } else if wizard.review.is_none() {
        Line::from(Span::styled(
            "The job can be submitted once the review is ready · Esc back",
            theme.dim(),
        ))
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
