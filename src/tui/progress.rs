//! The running job: a gauge with done/total, rate and ETA; cancel with confirmation. Once the
//! job ends the panel shows how, and offers the Jobs view or a new job.

use super::app::{ConfirmKind, JobsTab, Overlay, Screen, State};
use super::backend::{JobOutcome, Progress};
use super::keymap::Action;
use super::msg::Effect;
use super::view::thousands;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use std::time::Duration;

pub fn on_action(state: &mut State, action: Action) -> Vec<Effect> {
    let Some(run) = &state.run else {
        return Vec::new();
    };
    match (action, &run.outcome) {
        (Action::CancelJob, None) if state.recording() => {
            state.notice = Some(
                "The job has ended and its end is being recorded: there is nothing to cancel."
                    .into(),
            );
            Vec::new()
        }
        (Action::CancelJob, None) => {
            state.overlay = Some(Overlay::Confirm {
                kind: ConfirmKind::CancelJob,
                question: format!(
                    "Cancel job {:?}? Files written so far are discarded.",
                    run.name
                ),
            });
            Vec::new()
        }
        (Action::Open, Some(outcome)) => {
            state.jobs.tab = match outcome {
                JobOutcome::Completed { .. } => JobsTab::Completed,
                _ => JobsTab::Failed,
            };
            state.jobs.focus_id = Some(run.id.clone());
            state.screen = Screen::Jobs;
            vec![Effect::LoadJobs]
        }
        (Action::NewJob, Some(_)) => vec![Effect::NewWizard],
        _ => Vec::new(),
    }
}

/// What the panel says while the job's end is being recorded: how the run ended, what is
/// being written, and what waits for it.
fn recording_lines(reported: &JobOutcome, theme: &super::theme::Theme) -> Vec<Line<'static>> {
    let run = match reported {
        JobOutcome::Completed { tokens } => {
            format!("The run ended: {tokens} token files written and verified.")
        }
        JobOutcome::Failed(_) => "The run failed.".to_owned(),
        JobOutcome::Cancelled => "The run was cancelled.".to_owned(),
    };
    vec![
        Line::from(run),
        Line::from("Its end is being written to the job history and the inventory."),
        Line::from(Span::styled(
            "Keys still work; a new job, downloads and the tools wait until it is done.",
            theme.dim(),
        )),
    ]
}

/// "1m 05s", "42s".
pub fn duration_words(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        0..=59 => format!("{seconds}s"),
        60..=3599 => format!("{}m {:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h {:02}m", seconds / 3600, seconds % 3600 / 60),
    }
}

/// A text gauge: it reads the same with or without colour.
pub fn gauge_bar(progress: &Progress, width: usize) -> (String, String) {
    let ratio = if progress.total == 0 {
        0.0
    } else {
        progress.done as f64 / progress.total as f64
    };
    let filled = ((ratio.clamp(0.0, 1.0)) * width as f64).round() as usize;
    ("█".repeat(filled), "░".repeat(width - filled))
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let Some(run) = &state.run else { return };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" Job {:?} ", run.name), theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [status, _, gauge, counts, _, outcome] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    let p = &run.progress;
    let status_line = match &run.outcome {
        None if state.recording() => {
            Line::from(Span::styled("Recording the job's end…", theme.title()))
        }
        None => Line::from(Span::styled("Generating token files…", theme.title())),
        Some(JobOutcome::Completed { .. }) => Line::from(Span::styled("✓ Completed", theme.ok())),
        Some(JobOutcome::Failed(_)) => Line::from(Span::styled("✗ Failed", theme.error())),
        Some(JobOutcome::Cancelled) => Line::from(Span::styled("✗ Cancelled", theme.warning())),
    };
    frame.render_widget(Paragraph::new(status_line), status);
    let percent = p.percent();
    let label = format!(" {percent:>3}%");
    let bar_width = usize::from(gauge.width).saturating_sub(label.len() + 1);
    let (filled, empty) = gauge_bar(p, bar_width);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(filled, theme.gauge()),
            Span::styled(empty, theme.dim()),
            Span::raw(label),
        ])),
        gauge,
    );
    let counts_text = match (&run.outcome, p.eta) {
        // The run has ended; its end is being recorded: no rate that would read as running.
        (None, _) if state.recording() => {
            format!("{} of {} tokens", thousands(p.done), thousands(p.total))
        }
        (None, Some(eta)) => format!(
            "{} of {} tokens · {:.0} tokens/s · ETA {}",
            thousands(p.done),
            thousands(p.total),
            p.rate,
            duration_words(eta)
        ),
        (None, None) => format!(
            "{} of {} tokens · {:.0} tokens/s",
            thousands(p.done),
            thousands(p.total),
            p.rate
        ),
        // Ended: no rate or ETA that would read as still running.
        (Some(_), _) => format!("{} of {} tokens", thousands(p.done), thousands(p.total)),
    };
    frame.render_widget(Paragraph::new(counts_text), counts);
    let lines = match (&run.outcome, &state.recording) {
        (None, Some(reported)) => recording_lines(reported, theme),
        (None, None) => vec![Line::from(Span::styled(
            "c cancels the job (asks first).",
            theme.dim(),
        ))],
        (Some(JobOutcome::Completed { tokens }), _) => vec![
            Line::from(format!("{tokens} token files written and verified.")),
            Line::from(Span::styled(
                "Enter opens the job in Jobs › Completed, where Download Output File saves the ZIP.",
                theme.dim(),
            )),
            Line::from(Span::styled("n starts a new job.", theme.dim())),
        ],
        (Some(JobOutcome::Failed(error)), _) => vec![
            Line::from(Span::styled(error.clone(), theme.error())),
            Line::from(Span::styled(
                "Enter opens Jobs › Failed; n starts a new job.",
                theme.dim(),
            )),
        ],
        (Some(JobOutcome::Cancelled), _) => vec![
            Line::from("The job was cancelled and recorded so; nothing is offered for download."),
            Line::from(Span::styled(
                "Enter opens Jobs › Failed; n starts a new job.",
                theme.dim(),
            )),
        ],
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), outcome);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_words(Duration::from_secs(42)), "42s");
        assert_eq!(duration_words(Duration::from_secs(65)), "1m 05s");
        assert_eq!(duration_words(Duration::from_secs(7300)), "2h 01m");
    }

    #[test]
    fn gauge_fills_in_proportion() {
        let p = Progress {
            done: 1,
            total: 4,
            ..Progress::default()
        };
        let (filled, empty) = gauge_bar(&p, 8);
        assert_eq!((filled.chars().count(), empty.chars().count()), (2, 6));
        let (filled, _) = gauge_bar(&Progress::default(), 8);
        assert!(filled.is_empty());
    }
}
