//! Dialogs above the screen: the job actions menu, job details, the download path prompt, the
//! yes/no confirmation, the saved-file report and messages. All destructive actions pass
//! through the one confirmation.

use super::app::{ConfirmKind, DownloadRun, MenuItem, Overlay, State};
use super::backend::JobRow;
use super::keymap::Action;
use super::msg::Effect;
use super::theme::Theme;
use super::wizard::panel::{render_messages, text_field};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph, Wrap};
use std::path::PathBuf;
use tui_input::Input;

pub fn on_action(state: &mut State, action: Action) -> Vec<Effect> {
    let page = usize::from(text_rows(super::view::body_area(state.viewport), state));
    let Some(overlay) = state.overlay.take() else {
        return Vec::new();
    };
    if action == Action::Help && !matches!(overlay, Overlay::Help { .. }) {
        // Help over the dialog; closing it brings the dialog back as it was.
        state.overlay = Some(Overlay::Help {
            under: Some(Box::new(overlay)),
            scroll: 0,
        });
        return Vec::new();
    }
    match overlay {
        Overlay::Help { under, scroll } => {
            state.overlay = match action {
                Action::Close => under.map(|o| *o),
                _ => {
                    let rows = help_lines_count(under.as_deref(), state);
                    Some(Overlay::Help {
                        scroll: super::list::scroll(scroll, action, rows, page),
                        under,
                    })
                }
            };
            Vec::new()
        }
        Overlay::Menu { job, items, cursor } => menu_action(state, job, items, cursor, action),
        Overlay::Details { job, scroll } => {
            state.overlay = match action {
                Action::Close => None,
                _ => {
                    let rows = details_lines(&job, &state.theme, usize::MAX).len();
                    Some(Overlay::Details {
                        scroll: super::list::scroll(scroll, action, rows, page),
                        job,
                    })
                }
            };
            Vec::new()
        }
        Overlay::DownloadPrompt {
            job,
            input,
            default,
            error,
        } => match action {
            Action::Close => Vec::new(),
            Action::RestoreDefault => {
                let typed = default.clone();
                state.overlay = Some(prompt_filled_with(job, typed, default));
                Vec::new()
            }
            Action::Open => {
                let path = input.value().trim().to_owned();
                if path.is_empty() {
                    let error = Some("type the path to save the ZIP to".to_owned());
                    state.overlay = Some(Overlay::DownloadPrompt {
                        job,
                        input,
                        default,
                        error,
                    });
                    return Vec::new();
                }
                start_download(state, job, path, default, false)
            }
            _ => {
                state.overlay = Some(Overlay::DownloadPrompt {
                    job,
                    input,
                    default,
                    error,
                });
                Vec::new()
            }
        },
        Overlay::Confirm { kind, question } => match action {
            Action::Yes => confirmed(state, kind),
            Action::No => {
                if let ConfirmKind::Overwrite { job, path, default } = kind {
                    state.overlay =
                        Some(prompt_filled_with(job, path.display().to_string(), default));
                }
                Vec::new()
            }
            _ => {
                state.overlay = Some(Overlay::Confirm { kind, question });
                Vec::new()
            }
        },
        // A dialog whose download is over (never left open; a backstop): gone at any key.
        Overlay::Downloading if !state.downloading() => Vec::new(),
        Overlay::Downloading => {
            match action {
                Action::CancelJob => {
                    state.overlay = Some(Overlay::Downloading);
                    if let Some(run) = state.download.as_mut().filter(|r| !r.cancelling) {
                        run.cancelling = true;
                        return vec![Effect::CancelDownload];
                    }
                }
                // Hidden: the download goes on; the header shows it.
                Action::Close if state.downloading() => {
                    state.notice = Some(
                        "The download goes on (header); Jobs › its job › Download Output File shows it again."
                            .into(),
                    );
                }
                Action::Close => {}
                _ => state.overlay = Some(Overlay::Downloading),
            }
            Vec::new()
        }
        other @ (Overlay::Saved(_) | Overlay::Message { .. }) => {
            if action != Action::Close {
                state.overlay = Some(other);
            }
            Vec::new()
        }
    }
}

/// Starts downloading `job` to `path` (as typed): the progress dialog replaces the prompt
/// and the worker is asked; its answers move the dialog on.
fn start_download(
    state: &mut State,
    job: Box<JobRow>,
    path: String,
    default: String,
    overwrite: bool,
) -> Vec<Effect> {
    if state.downloading() {
        // Not reachable from the dialogs (the menu shows the download under way instead).
        state.overlay = Some(Overlay::Downloading);
        return Vec::new();
    }
    let job_id = job.id.clone();
    state.download = Some(DownloadRun {
        total: job.output_size.unwrap_or(0),
        job,
        typed: path.clone(),
        default,
        written: 0,
        cancelling: false,
    });
    state.overlay = Some(Overlay::Downloading);
    vec![Effect::Download {
        job_id,
        path: PathBuf::from(path),
        overwrite,
    }]
}

/// The download prompt holding `path`, with no error: after Ctrl-R, and back from the
/// overwrite question whatever the answer. `default` stays the configured path, so Ctrl-R
/// always restores that one.
fn prompt_filled_with(job: Box<JobRow>, path: String, default: String) -> Overlay {
    Overlay::DownloadPrompt {
        job,
        input: Input::new(path),
        default,
        error: None,
    }
}

/// Lines the help shows over `under` (or over the screen).
fn help_lines_count(under: Option<&Overlay>, state: &State) -> usize {
    let context = under.map_or_else(|| state.screen_context(), Overlay::key_context);
    super::help::lines(context, state).len() + 2
}

/// Rows of text the details and help boxes show in `body` (their scrolling page).
pub fn text_rows(body: Rect, state: &State) -> u16 {
    match &state.overlay {
        Some(Overlay::Details { .. }) => details_box(body).height.saturating_sub(2),
        Some(Overlay::Help { under, .. }) => {
            let rows = help_lines_count(under.as_deref(), state) as u16;
            help_box(body, rows).height.saturating_sub(2)
        }
        _ => 1,
    }
}

/// Where the job details go.
fn details_box(area: Rect) -> Rect {
    centered(area, 78, area.height.saturating_sub(2).max(10))
}

/// Where the help goes, for `rows` lines of it.
pub fn help_box(area: Rect, rows: u16) -> Rect {
    centered(area, 78, rows.saturating_add(2).min(area.height))
}

fn menu_action(
    state: &mut State,
    job: Box<JobRow>,
    items: Vec<MenuItem>,
    cursor: usize,
    action: Action,
) -> Vec<Effect> {
    let last = items.len().saturating_sub(1);
    match action {
        Action::Close => Vec::new(),
        Action::Up => {
            state.overlay = Some(Overlay::Menu {
                job,
                items,
                cursor: cursor.saturating_sub(1),
            });
            Vec::new()
        }
        Action::Down | Action::Home | Action::End => {
            let cursor = match action {
                Action::Down => (cursor + 1).min(last),
                Action::Home => 0,
                _ => last,
            };
            state.overlay = Some(Overlay::Menu { job, items, cursor });
            Vec::new()
        }
        Action::Open => match items.get(cursor) {
            Some(MenuItem::ViewDetails) => {
                state.overlay = Some(Overlay::Details { job, scroll: 0 });
                Vec::new()
            }
            Some(MenuItem::Download) if state.downloading() => {
                // One download at a time: the one under way is shown (Esc cancels it).
                if let Some(run) = state.download.as_ref().filter(|r| r.job.id != job.id) {
                    state.notice = Some(format!(
                        "One download at a time: job {:?} is being saved; Esc cancels it.",
                        run.job.name
                    ));
                }
                state.overlay = Some(Overlay::Downloading);
                Vec::new()
            }
            Some(MenuItem::Download) if state.deleting.as_deref() == Some(job.id.as_str()) => {
                state.notice = Some(format!(
                    "The output of job {:?} is being deleted: there is nothing to download.",
                    job.name
                ));
                Vec::new()
            }
            Some(MenuItem::Delete) if state.deleting.is_some() => {
                state.notice =
                    Some("A delete is under way: try again when it has ended.".to_owned());
                Vec::new()
            }
            Some(MenuItem::Delete)
                if state.download.as_ref().is_some_and(|r| r.job.id == job.id) =>
            {
                state.notice = Some(format!(
                    "The output of job {:?} is being downloaded: delete it when the download has ended.",
                    job.name
                ));
                Vec::new()
            }
            Some(MenuItem::Download) => {
                state.overlay = Some(Overlay::DownloadPrompt {
                    job: job.clone(),
                    input: Input::default(),
                    default: String::new(),
                    error: None,
                });
                vec![Effect::SuggestDownloadPath(job)]
            }
            Some(MenuItem::Delete) => {
                state.overlay = Some(Overlay::Confirm {
                    question: format!(
                        "Delete the output of job {:?}? It can no longer be downloaded; the history record stays.",
                        job.name
                    ),
                    kind: ConfirmKind::Delete {
                        job_id: job.id.clone(),
                        job_name: job.name.clone(),
                    },
                });
                Vec::new()
            }
            None => Vec::new(),
        },
        _ => {
            state.overlay = Some(Overlay::Menu { job, items, cursor });
            Vec::new()
        }
    }
}

fn confirmed(state: &mut State, kind: ConfirmKind) -> Vec<Effect> {
    match kind {
        ConfirmKind::Quit => {
            state.quitting = true;
            vec![Effect::Quit]
        }
        ConfirmKind::CancelJob => vec![Effect::CancelJob],
        ConfirmKind::Submit => {
            super::wizard::review::submit_confirmed(&mut state.wizard, &state.profiles)
        }
        ConfirmKind::Overwrite { job, path, default } => {
            start_download(state, job, path.display().to_string(), default, true)
        }
        ConfirmKind::Delete { job_id, job_name } => {
            state.deleting = Some(job_id.clone());
            state.overlay = Some(Overlay::Message {
                title: super::app::DELETING_TITLE.into(),
                text: format!("Deleting the output of job {job_name:?}…"),
                error: false,
            });
            vec![Effect::DeleteOutput { job_id, job_name }]
        }
        ConfirmKind::Remove | ConfirmKind::Assign => super::admin::confirmed(state, &kind),
    }
}

/// Typing in the download path prompt.
pub fn on_text(state: &mut State, key: KeyEvent) {
    if let Some(Overlay::DownloadPrompt { input, error, .. }) = state.overlay.as_mut()
        && super::wizard::input_edit(input, key)
    {
        *error = None;
    }
}

/// Pasted text into the download path.
pub fn on_paste(state: &mut State, text: &str) {
    if let Some(Overlay::DownloadPrompt { input, error, .. }) = state.overlay.as_mut()
        && super::wizard::input_paste(input, text)
    {
        *error = None;
    }
}

/// The configured default path arrived: fill it in unless something was typed already.
pub fn path_suggested(state: &mut State, job_id: &str, path: PathBuf) {
    if let Some(Overlay::DownloadPrompt {
        job,
        input,
        default,
        ..
    }) = state.overlay.as_mut()
        && job.id == job_id
    {
        *default = path.display().to_string();
        if input.value().is_empty() {
            *input = Input::new(default.clone());
        }
    }
}

/// A box centred in `area`, at most `width` × `height`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// Clears where a dialog goes and one column either side of it (within `screen`): a table
/// under the dialog would otherwise show a cut cell or its cursor marker right against the
/// border, stray characters that read as part of the dialog.
pub fn clear_under(frame: &mut Frame, dialog: Rect, screen: Rect) {
    let left = dialog.x.saturating_sub(1).max(screen.x);
    let right = dialog.right().saturating_add(1).min(screen.right());
    let margin = Rect {
        x: left,
        width: right.saturating_sub(left),
        ..dialog
    };
    frame.render_widget(Clear, margin.intersection(screen));
}

fn frame_box(frame: &mut Frame, area: Rect, title: &str, theme: &Theme) -> Rect {
    clear_under(frame, area, frame.area());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focus_border())
        .title(Span::styled(format!(" {title} "), theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let Some(overlay) = &state.overlay else {
        return;
    };
    match overlay {
        Overlay::Help { under, scroll } => {
            super::help::render(frame, area, state, under.as_deref(), *scroll)
        }
        Overlay::Menu { job, items, cursor } => {
            let inner = frame_box(
                frame,
                centered(area, 40, items.len() as u16 + 2),
                &job.name,
                theme,
            );
            let list = List::new(
                items
                    .iter()
                    .map(|i| ListItem::new(i.label()))
                    .collect::<Vec<_>>(),
            )
            .highlight_symbol("> ")
            .highlight_style(theme.focus());
            let mut list_state = ListState::default().with_selected(Some(*cursor));
            frame.render_stateful_widget(list, inner, &mut list_state);
        }
        Overlay::Details { job, scroll } => {
            let inner = frame_box(frame, details_box(area), "Job details", theme);
            let lines = details_lines(job, theme, usize::from(inner.width));
            let rows = lines.len();
            let height = usize::from(inner.height);
            let scroll = (*scroll).min(rows.saturating_sub(height));
            let shown: Vec<Line> = lines.into_iter().skip(scroll).take(height).collect();
            frame.render_widget(Paragraph::new(shown), inner);
            if rows > height {
                let more = format!(" {}-{} of {rows} ", scroll + 1, (scroll + height).min(rows));
                let corner = Rect {
                    x: inner.right().saturating_sub(more.len() as u16 + 1),
                    y: inner.bottom(),
                    width: more.len() as u16,
                    height: 1,
                };
                frame.render_widget(Paragraph::new(Span::styled(more, theme.dim())), corner);
            }
        }
        Overlay::DownloadPrompt {
            job, input, error, ..
        } => {
            let inner = frame_box(frame, centered(area, 78, 10), "Download Output File", theme);
            let [intro, _, field, _, message] = Layout::vertical([
                Constraint::Length(1),
                Constraint::Length(1),
                Constraint::Length(1),
                Constraint::Length(1),
                Constraint::Min(1),
            ])
            .areas(inner);
            frame.render_widget(
                Paragraph::new(format!("Save the ZIP of job {:?} to:", job.name)),
                intro,
            );
            text_field(frame, field, "Path", input, true, theme);
            match error {
                Some(error) => render_messages(frame, message, std::slice::from_ref(error), theme),
                None => frame.render_widget(
                    Paragraph::new(vec![
                        Line::from(Span::styled(
                            "A directory receives the ZIP under its own name; ~ is your home.",
                            theme.dim(),
                        )),
                        Line::from(Span::styled(
                            "Enter saves (asks before replacing a file) · Ctrl-R default · Esc cancels",
                            theme.dim(),
                        )),
                    ]),
                    message,
                ),
            }
        }
        Overlay::Downloading => render_downloading(frame, area, state),
        Overlay::Confirm { question, .. } => {
            let width: u16 = 70;
            let text_width = usize::from(width.min(area.width).saturating_sub(2)).max(10);
            let rows: usize = question
                .lines()
                .map(|l| l.chars().count().max(1).div_ceil(text_width))
                .sum();
            let height = (rows as u16).saturating_add(4);
            let inner = frame_box(frame, centered(area, width, height), "Confirm", theme);
            let mut lines: Vec<Line> = question.lines().map(|l| Line::from(l.to_owned())).collect();
            lines.extend([
                Line::from(""),
                Line::from(vec![
                    Span::styled(" y ", theme.focus()),
                    Span::raw(" yes    "),
                    Span::styled(" n ", theme.focus()),
                    Span::raw(" no (Esc)"),
                ]),
            ]);
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        }
        Overlay::Saved(saved) => {
            let inner = frame_box(frame, centered(area, 78, 9), "Saved", theme);
            let lines = vec![
                Line::from(Span::styled("✓ Output ZIP saved", theme.ok())),
                Line::from(format!("Path    {}", saved.path.display())),
                Line::from(format!("Size    {}", super::view::bytes_words(saved.bytes))),
                Line::from("SHA-256"),
                Line::from(saved.sha256.clone()),
            ];
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        }
        Overlay::Message { title, text, error } => {
            let inner = frame_box(frame, centered(area, 64, 8), title, theme);
            let style = if *error { theme.error() } else { theme.text() };
            frame.render_widget(
                Paragraph::new(Span::styled(text.clone(), style)).wrap(Wrap { trim: true }),
                inner,
            );
        }
    }
}

/// The download under way: the job, the bytes written of the total in human units, a bar
/// that reads the same without colour, and the keys.
fn render_downloading(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let Some(run) = &state.download else { return };
    let inner = frame_box(frame, centered(area, 78, 10), "Download Output File", theme);
    let status = if run.cancelling {
        Span::styled(
            "Cancelling… the temporary file is being removed.",
            theme.warning(),
        )
    } else {
        Span::raw(format!("Saving the ZIP of job {:?} to:", run.job.name))
    };
    let bar_width = usize::from(inner.width).saturating_sub(6).max(10);
    let progress = super::backend::Progress {
        done: run.written,
        total: run.total,
        ..Default::default()
    };
    let (filled, empty) = super::progress::gauge_bar(&progress, bar_width);
    let lines = vec![
        Line::from(status),
        Line::from(super::view::fit(&run.typed, usize::from(inner.width))),
        Line::from(""),
        Line::from(vec![
            Span::styled(filled, theme.ok()),
            Span::styled(empty, theme.dim()),
            Span::raw(format!(" {:>3}%", run.percent())),
        ]),
        Line::from(format!(
            "{} of {}",
            size_words(run.written),
            size_words(run.total)
        )),
        Line::from(""),
        Line::from(Span::styled(
            "Esc/c cancel (nothing is saved) · Enter hide (it goes on) · ? help",
            theme.dim(),
        )),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}

/// "58.5 MiB": a size in human units only (the exact bytes come with the result).
fn size_words(bytes: u64) -> String {
    let words = super::view::bytes_words(bytes);
    match words.split_once(" (") {
        Some((human, _)) => human.to_owned(),
        None => words,
    }
}

/// Everything `jobs show` says about a job, each value cut with `…` to `width` columns.
fn details_lines(job: &JobRow, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let value_width = width.saturating_sub(12);
    let row = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{label:<12}"), theme.dim()),
            Span::raw(super::view::fit(&value, value_width)),
        ])
    };
    let mut lines = vec![
        row("Name", job.name.clone()),
        row("Id", job.id.clone()),
        row("Status", job.status.label().to_owned()),
    ];
    let reason = super::jobs_view::failure_reason(job);
    if !reason.is_empty() {
        let label = if job.error.is_some() {
            "Error"
        } else {
            "Reason"
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{label:<12}"), theme.dim()),
            Span::styled(super::view::fit(&reason, value_width), theme.error()),
        ]));
    }
    lines.extend([
        row("Profile", job.profile.clone()),
        row("Binding", job.binding.clone()),
        row(
            "Nickname",
            job.nickname.clone().unwrap_or_else(|| "(none)".into()),
        ),
        row("Protection", job.protection.clone()),
        row("Serials", job.serials.clone()),
        row("Users", job.users.clone().unwrap_or_else(|| "all".into())),
        row(
            "Tokens",
            format!(
                "{} selected, {} done, {} excluded",
                job.token_count,
                job.done_count,
                job.excluded.iter().map(|(_, n)| n).sum::<usize>()
            ),
        ),
    ]);
    for (reason, count) in &job.excluded {
        lines.push(row("Excluded", format!("{count}: {reason}")));
    }
    lines.extend([
        row("Created", job.created_at.clone()),
        row(
            "Started",
            job.started_at.clone().unwrap_or_else(|| "-".into()),
        ),
        row(
            "Finished",
            job.finished_at.clone().unwrap_or_else(|| "-".into()),
        ),
    ]);
    if let Some(size) = job.output_size {
        lines.push(row(
            "Output",
            format!(
                "{}{}",
                super::view::bytes_words(size),
                if job.output_available {
                    ""
                } else {
                    " (deleted)"
                }
            ),
        ));
    }
    if let Some(sha) = &job.output_sha256 {
        lines.push(row("SHA-256", sha.clone()));
    }
    if job.downloads.is_empty() {
        lines.push(row("Downloads", "none yet".into()));
    }
    for (at, path) in &job.downloads {
        lines.push(row("Downloaded", format!("{at}  {path}")));
    }
    lines
}
