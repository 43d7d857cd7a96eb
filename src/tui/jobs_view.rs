//! Jobs: tabs In progress, Completed and Failed (failed, cancelled, interrupted). Enter opens
//! the actions menu for the highlighted job.

use super::app::{JobsTab, MenuItem, Overlay, State};
use super::backend::{JobRow, JobStatus};
use super::keymap::Action;
use super::msg::Effect;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState, Tabs};

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
        if let Some(row) = jobs.rows.iter().find(|r| r.id == id)
            && let Some(tab) = JobsTab::ALL.into_iter().find(|t| t.holds(row.status))
        {
            jobs.tab = tab;
        }
        let tab = jobs.tab;
        if let Some(at) = jobs
            .rows
            .iter()
            .filter(|r| tab.holds(r.status))
            .position(|r| r.id == id)
        {
            jobs.cursor[tab.index()] = at;
        }
    }
    for tab in JobsTab::ALL {
        let count = jobs.rows.iter().filter(|r| tab.holds(r.status)).count();
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
    let jobs = &mut state.jobs;
    let tab_index = jobs.tab.index();
    let last = jobs.visible().len().saturating_sub(1);
    let cursor = &mut jobs.cursor[tab_index];
    match action {
        Action::NextTab => jobs.tab = JobsTab::ALL[(tab_index + 1) % 3],
        Action::PrevTab => jobs.tab = JobsTab::ALL[(tab_index + 2) % 3],
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
        _ => super::view::move_cursor(cursor, action, last),
    }
    Vec::new()
}

/// Column widths of the Completed and In progress tabs, whose rows are [`job_line`]s.
const JOB_COLUMNS: [Constraint; 5] = [
    Constraint::Min(16),
    Constraint::Length(13),
    Constraint::Length(6),
    Constraint::Length(16),
    Constraint::Length(10),
];

/// A row of the Completed or In progress tab: name, profile, token count, then the tab's own
/// time and state columns.
fn job_line(job: &JobRow, when: String, state: String) -> Row<'static> {
    Row::new(vec![
        job.name.clone(),
        job.profile.clone(),
        job.token_count.to_string(),
        when,
        state,
    ])
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let jobs = &state.jobs;
    let [tabs_area, table_area, status_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let titles: Vec<Line> = JobsTab::ALL
        .iter()
        .map(|t| {
            let count = jobs.rows.iter().filter(|r| t.holds(r.status)).count();
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
    let all = jobs.visible();
    let cursor = jobs.cursor[jobs.tab.index()];
    // The top border and the header row take two rows of the table area.
    let (first, end) = super::view::window(
        cursor,
        all.len(),
        usize::from(table_area.height.saturating_sub(2)),
    );
    let visible = &all[first..end];
    let (header, widths, rows): (Vec<&str>, Vec<Constraint>, Vec<Row>) = match jobs.tab {
        JobsTab::Completed => (
            vec!["Name", "Profile", "Tokens", "Finished", "Downloaded"],
            JOB_COLUMNS.to_vec(),
            visible
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
                    )
                })
                .collect(),
        ),
        JobsTab::InProgress => (
            vec!["Name", "Profile", "Tokens", "Started", "Status"],
            JOB_COLUMNS.to_vec(),
            visible
                .iter()
                .map(|j| {
                    let status = match &state.run {
                        Some(run) if run.id == j.id && run.progress.total > 0 => {
                            format!("{}%", run.progress.percent())
                        }
                        _ => j.status.label().to_owned(),
                    };
                    job_line(j, j.created_at.clone(), status)
                })
                .collect(),
        ),
        JobsTab::Failed => (
            vec!["Name", "Status", "Finished", "Reason"],
            vec![
                Constraint::Length(20),
                Constraint::Length(11),
                Constraint::Length(16),
                Constraint::Min(10),
            ],
            visible
                .iter()
                .map(|j| {
                    Row::new(vec![
                        j.name.clone(),
                        j.status.label().to_owned(),
                        j.finished_at.clone().unwrap_or_default(),
                        j.error.clone().unwrap_or_default(),
                    ])
                })
                .collect(),
        ),
    };
    let empty = rows.is_empty();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.header()))
        .block(Block::default().borders(Borders::TOP))
        .highlight_symbol("> ")
        .row_highlight_style(theme.focus());
    let mut table_state = TableState::default().with_selected((!empty).then_some(cursor - first));
    frame.render_stateful_widget(table, table_area, &mut table_state);
    let status = if let Some(error) = &jobs.error {
        Line::from(Span::styled(error.clone(), theme.error()))
    } else if empty {
        Line::from(Span::styled(
            format!("No jobs in {}.", jobs.tab.title()),
            theme.dim(),
        ))
    } else {
        Line::from(Span::styled(
            "Enter: details, download, delete",
            theme.dim(),
        ))
    };
    frame.render_widget(Paragraph::new(status), status_area);
}
