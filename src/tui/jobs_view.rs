//! Jobs: tabs In progress, Completed and Failed (failed, cancelled, interrupted). Enter opens
//! the actions menu for the highlighted job.

use super::app::{ConfirmKind, JobsTab, MenuItem, Overlay, State};
use super::backend::{JobRow, JobStatus};
use super::keymap::{Action, KeyContext};
use super::msg::Effect;
use super::view::fit;
use super::wizard::panel::text_field;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState, Tabs};
use tui_input::Input;

/// The history arrived: keep each tab's cursor in range, or put it on the job asked for.
pub fn loaded(state: &mut State, result: Result<Vec<JobRow>, String>) {
    let jobs = &mut state.jobs;
    match result {
        Ok(rows) => {
            jobs.rows = rows;
            jobs.error = None;
        }
        Err(error) => jobs.error = Some(error),
    }
    if let Some(id) = jobs.focus_id.take() {
        // The job asked for is shown even if the filter would hide it.
        if !jobs.rows.iter().any(|r| r.id == id && jobs.passes(r)) {
            jobs.filter = Input::default();
            jobs.filtering = false;
        }
        if let Some(row) = jobs.rows.iter().find(|r| r.id == id)
            && let Some(tab) = JobsTab::ALL.into_iter().find(|t| t.holds(row.status))
        {
            jobs.tab = tab;
        }
        let tab = jobs.tab;
        if let Some(at) = jobs.rows_of(tab).iter().position(|r| r.id == id) {
            jobs.cursor[tab.index()] = at;
        }
    }
    for tab in JobsTab::ALL {
        let count = jobs.rows_of(tab).len();
        jobs.cursor[tab.index()] = jobs.cursor[tab.index()].min(count.saturating_sub(1));
    }
}

/// The actions that apply to a job.
pub fn menu_items(job: &JobRow) -> Vec<MenuItem> {
    let mut items = vec![MenuItem::ViewDetails];
    if job.status == JobStatus::Completed && job.output_available {
        items.push(MenuItem::Download);
        items.push(MenuItem::Delete);
    }
    items
}

pub fn on_action(state: &mut State, action: Action) -> Vec<Effect> {
    let page = super::view::page_rows(state, KeyContext::Jobs);
    let jobs = &mut state.jobs;
    let tab_index = jobs.tab.index();
    let len = jobs.visible().len();
    match action {
        Action::NextTab => jobs.tab = JobsTab::ALL[(tab_index + 1) % 3],
        Action::PrevTab => jobs.tab = JobsTab::ALL[(tab_index + 2) % 3],
        Action::Filter => jobs.filtering = true,
        Action::Close => jobs.filtering = false,
        Action::Back => {
            jobs.filter = Input::default();
            jobs.filtering = false;
        }
        Action::Open => {
            if let Some(job) = jobs.selected().cloned() {
                let items = menu_items(&job);
                state.overlay = Some(Overlay::Menu {
                    job: Box::new(job),
                    items,
                    cursor: 0,
                });
            }
        }
        Action::CancelJob => return cancel_selected(state),
        _ => super::list::move_cursor(&mut jobs.cursor[tab_index], action, len, page),
    }
    Vec::new()
}

/// `c` on a running job: the same confirmation as on the progress panel.
fn cancel_selected(state: &mut State) -> Vec<Effect> {
    let Some(job) = state
        .jobs
        .selected()
        .filter(|j| j.status == JobStatus::Running)
    else {
        return Vec::new();
    };
    let question = format!(
        "Cancel job {:?}? Files written so far are discarded.",
        job.name
    );
    if state.recording() {
        // The list is as it was before the run ended: nothing is left to cancel.
        state.notice = Some(
            "The job has ended and its end is being recorded: there is nothing to cancel.".into(),
        );
        return Vec::new();
    }
    state.overlay = Some(match &state.run {
        Some(run) if run.id == job.id && run.is_running() => Overlay::Confirm {
            kind: ConfirmKind::CancelJob,
            question,
        },
        _ => Overlay::Message {
            title: "Cannot cancel".into(),
            text: format!(
                "Job {:?} is not run by this session; it is marked interrupted the next time the workspace opens.",
                job.name
            ),
            error: true,
        },
    });
    Vec::new()
}

/// Typing in the jobs filter: the cursors go back to the top.
pub fn on_text(state: &mut State, key: KeyEvent) {
    if super::wizard::input_edit(&mut state.jobs.filter, key) {
        state.jobs.cursor = [0; 3];
    }
}

/// Why a job in the Failed tab did not complete, in words.
pub fn failure_reason(job: &JobRow) -> String {
    match (&job.error, job.status) {
        (Some(error), _) => error.clone(),
        (None, JobStatus::Cancelled) => format!(
            "cancelled after {} of {} files; none were kept",
            job.done_count, job.token_count
        ),
        (None, JobStatus::Interrupted) => {
            "the program stopped while the job ran; nothing was kept".to_owned()
        }
        (None, _) => String::new(),
    }
}

/// The screen's areas: tabs, the filter line (while one is typed or set), the table and the
/// status line.
fn areas(area: Rect, state: &State) -> [Rect; 4] {
    let jobs = &state.jobs;
    let filter_rows = u16::from(jobs.filtering || !jobs.filter.value().is_empty());
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(filter_rows),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// Job rows the table shows in `area` (the screen's body).
pub fn table_rows(area: Rect, state: &State) -> u16 {
    // The top border and the header row take two rows of the table area.
    areas(area, state)[2].height.saturating_sub(2)
}

/// A row of the Completed or In progress tab: name, profile, token count, then the tab's own
/// time and state columns; every cell cut with `…` to its column.
fn job_line(job: &JobRow, when: String, state: String, widths: &[u16]) -> Row<'static> {
    let cells = [
        job.name.clone(),
        job.profile.clone(),
        job.token_count.to_string(),
        when,
        state,
    ];
    Row::new(
        cells
            .iter()
            .zip(widths)
            .map(|(text, w)| fit(text, usize::from(*w)))
            .collect::<Vec<_>>(),
    )
}

/// Column widths that fill `width`: the fixed ones, and the first (the name) takes the rest.
fn fill_first(width: u16, fixed: &[u16]) -> Vec<u16> {
    // "> " and one space between columns.
    let used: u16 = fixed.iter().sum::<u16>() + 2 + fixed.len() as u16;
    let mut widths = vec![width.saturating_sub(used).max(8)];
    widths.extend_from_slice(fixed);
    widths
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let jobs = &state.jobs;
    let [tabs_area, filter_area, table_area, status_area] = areas(area, state);
    let titles: Vec<Line> = JobsTab::ALL
        .iter()
        .map(|t| {
            let count = jobs.rows_of(*t).len();
            Line::from(format!(" {} ({count}) ", t.title()))
        })
        .collect();
    frame.render_widget(
        Tabs::new(titles)
            .select(jobs.tab.index())
            .highlight_style(theme.focus())
            .divider("│"),
        tabs_area,
    );
    if filter_area.height > 0 {
        text_field(
            frame,
            filter_area,
            "Filter (/)",
            &jobs.filter,
            jobs.filtering,
            theme,
        );
    }
    let all = jobs.visible();
    let cursor = jobs.cursor[jobs.tab.index()];
    let page = usize::from(table_area.height.saturating_sub(2));
    let (first, end) = super::list::window(cursor, all.len(), page);
    let visible = &all[first..end];
    let (header, widths, rows): (Vec<&str>, Vec<u16>, Vec<Row>) = match jobs.tab {
        JobsTab::Completed => {
            let widths = fill_first(table_area.width, &[13, 6, 16, 10]);
            let rows = visible
                .iter()
                .map(|j| {
                    let downloaded = if j.downloaded() {
                        "yes"
                    } else if j.output_available {
                        "no"
                    } else {
                        "deleted"
                    };
                    job_line(
                        j,
                        j.finished_at.clone().unwrap_or_default(),
                        downloaded.to_owned(),
                        &widths,
                    )
                })
                .collect();
            (
                vec!["Name", "Profile", "Tokens", "Finished", "Downloaded"],
                widths,
                rows,
            )
        }
        JobsTab::InProgress => {
            let widths = fill_first(table_area.width, &[13, 6, 16, 10]);
            let rows = visible
                .iter()
                .map(|j| {
                    let status = match &state.run {
                        Some(run) if run.id == j.id && run.progress.total > 0 => {
                            format!("{}%", run.progress.percent())
                        }
                        _ => j.status.label().to_owned(),
                    };
                    job_line(j, j.created_at.clone(), status, &widths)
                })
                .collect();
            (
                vec!["Name", "Profile", "Tokens", "Started", "Status"],
                widths,
                rows,
            )
        }
        JobsTab::Failed => {
            // The name as wide as the longest one here (default names differ only at their
            // end), the reason gets the rest.
            let name_width = visible
                .iter()
                .map(|j| j.name.chars().count())
                .max()
                .unwrap_or(4)
                .clamp(12, 40) as u16;
            let fixed = [name_width, 11, 16];
            let used: u16 = fixed.iter().sum::<u16>() + 2 + 3;
            let reason_width = table_area.width.saturating_sub(used).max(10);
            let widths = vec![name_width, 11, 16, reason_width];
            let rows = visible
                .iter()
                .map(|j| {
                    let cells = [
                        j.name.clone(),
                        j.status.label().to_owned(),
                        j.finished_at.clone().unwrap_or_default(),
                        failure_reason(j),
                    ];
                    Row::new(
                        cells
                            .iter()
                            .zip(&widths)
                            .map(|(text, w)| fit(text, usize::from(*w)))
                            .collect::<Vec<_>>(),
                    )
                })
                .collect();
            (vec!["Name", "Status", "Finished", "Reason"], widths, rows)
        }
    };
    let empty = rows.is_empty();
    let table = Table::new(rows, widths.iter().map(|w| Constraint::Length(*w)))
        .header(Row::new(header).style(theme.header()))
        .block(Block::default().borders(Borders::TOP))
        .highlight_symbol("> ")
        .row_highlight_style(theme.focus());
    let mut table_state = TableState::default().with_selected((!empty).then_some(cursor - first));
    frame.render_stateful_widget(table, table_area, &mut table_state);
    let mut spans = if state.starting.is_some() {
        // The list is as it was loaded before: the worker starting the job holds the history.
        vec![Span::styled(
            "Starting a job… the list follows when it has started.",
            theme.warning(),
        )]
    } else if state.recording() {
        // The list is as it was loaded before: it follows once the end is recorded.
        vec![Span::styled(
            "Recording the last job's end… the list follows when it is done.",
            theme.warning(),
        )]
    } else if let Some(error) = &jobs.error {
        vec![Span::styled(error.clone(), theme.error())]
    } else if empty && !jobs.filter.value().is_empty() {
        vec![Span::styled(
            format!(
                "No job in {} matches the filter (Esc clears it).",
                jobs.tab.title()
            ),
            theme.dim(),
        )]
    } else if empty {
        vec![Span::styled(
            format!("No jobs in {}.", jobs.tab.title()),
            theme.dim(),
        )]
    } else {
        let cancel = if jobs.tab == JobsTab::InProgress {
            " · c: cancel"
        } else {
            ""
        };
        vec![Span::styled(
            format!("Enter: details, download, delete{cancel} · /: filter"),
            theme.dim(),
        )]
    };
    let indicator = super::list::indicator(cursor, all.len(), page);
    if !indicator.is_empty() {
        spans.push(Span::styled(format!("  {indicator}"), theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), status_area);
}
