//! Drawing the Workspace screen: the menu, a tool's form, the work in progress, the reviews
//! and the results. Reads the state only.

use super::port::{AssignmentReview, CheckReport, RemovalReview};
use super::{Outcome, Phase, Tool};
use crate::tui::app::State;
use crate::tui::theme::Theme;
use crate::workspace::auto_assign::UserSource;
use crate::workspace::check::Severity;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// Rows a review or result is drawn in (under the title and a blank row).
pub fn text_rows(body: Rect) -> u16 {
    body.height.saturating_sub(2)
}

/// Rows PgUp/PgDn move a review or result by: the rows of text a page shows, the last row of
/// a page that has more below being the `↓ more below` marker, so paging skips no line.
pub fn page_rows(body: Rect) -> u16 {
    text_rows(body).saturating_sub(1).max(1)
}

pub fn render(frame: &mut Frame, area: Rect, state: &State) {
    let admin = &state.admin;
    let theme = &state.theme;
    let [title_area, _, content] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    let title = match admin.phase {
        Phase::Menu => "Workspace tools".to_owned(),
        _ => format!("Workspace › {}", admin.tool.title()),
    };
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(title, theme.title()))),
        title_area,
    );
    match &admin.phase {
        Phase::Menu => render_menu(frame, content, state),
        Phase::Form => render_form(frame, content, state),
        Phase::Working(words) => {
            let mut lines = vec![
                Line::from(Span::styled(words.clone(), theme.warning())),
                Line::from(""),
                Line::from(Span::styled(
                    "The workspace is busy; the keys come back when this has ended.",
                    theme.dim(),
                )),
            ];
            // The answer to a key pressed meanwhile (Ctrl-C: leaving waits for the tool).
            if let Some(notice) = &admin.notice {
                lines.push(Line::from(""));
                lines.push(Line::from(Span::styled(notice.clone(), theme.warning())));
            }
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), content);
        }
        Phase::ReviewRemoval(review) => {
            scrolled(frame, content, removal_lines(review, theme), admin.scroll)
        }
        Phase::ReviewAssignment(review) => scrolled(
            frame,
            content,
            assignment_lines(review, theme),
            admin.scroll,
        ),
        Phase::Done(outcome) => {
            scrolled(frame, content, outcome_lines(outcome, theme), admin.scroll)
        }
    }
}

/// Long text wrapped to the width (continuations indented), from row `scroll` (clamped so the
/// last page stays full), with a marker when more follows.
fn scrolled(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>, scroll: usize) {
    let rows = wrapped(lines, area.width);
    let height = usize::from(area.height);
    let first = scroll.min(rows.len().saturating_sub(height));
    let more = rows.len() > first + height;
    let mut shown: Vec<Line> = rows.into_iter().skip(first).take(height).collect();
    if more && let Some(last) = shown.last_mut() {
        *last = Line::from("  ↓ more below (↓/PgDn)");
    }
    frame.render_widget(Paragraph::new(shown), area);
}

/// The lines as the screen shows them at `width` columns.
fn wrapped(lines: Vec<Line<'static>>, width: u16) -> Vec<Line<'static>> {
    let width = usize::from(width).max(8);
    let mut rows = Vec::new();
    for line in lines {
        let style = line.spans.first().map(|s| s.style).unwrap_or_default();
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        for (at, row) in wrap(&text, width).into_iter().enumerate() {
            let row = if at == 0 { row } else { format!("    {row}") };
            rows.push(Line::from(Span::styled(row, style)));
        }
    }
    rows
}

/// The last first row a review or result can scroll to at the terminal's size (the update
/// keeps the offset within it, so a key up after End moves at once).
pub fn max_scroll(state: &State) -> usize {
    let body = crate::tui::view::body_area(state.viewport);
    let theme = &state.theme;
    let lines = match &state.admin.phase {
        Phase::ReviewRemoval(review) => removal_lines(review, theme),
        Phase::ReviewAssignment(review) => assignment_lines(review, theme),
        Phase::Done(outcome) => outcome_lines(outcome, theme),
        _ => return 0,
    };
    wrapped(lines, body.width)
        .len()
        .saturating_sub(usize::from(text_rows(body)))
}

/// `text` broken at spaces into rows of at most `width` columns (continuation rows get 4
/// columns less, for their indent); a word longer than a row is cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut rows = Vec::new();
    let mut row = String::new();
    // Whether `row` holds a word yet (an empty word is a run of spaces, kept as typed).
    let mut started = false;
    let room = |rows: &Vec<String>| if rows.is_empty() { width } else { width - 4 };
    for word in text.split(' ') {
        let needed = Span::raw(&row).width() + usize::from(started) + Span::raw(word).width();
        if needed > room(&rows) && !row.trim().is_empty() {
            rows.push(std::mem::take(&mut row));
            started = false;
        }
        if started {
            row.push(' ');
        }
        row.push_str(word);
        started = true;
        if Span::raw(&row).width() > room(&rows) {
            let cut = crate::tui::view::fit(&row, room(&rows));
            rows.push(cut);
            row.clear();
            started = false;
        }
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

fn render_menu(frame: &mut Frame, area: Rect, state: &State) {
    let admin = &state.admin;
    let theme = &state.theme;
    let mut lines = Vec::new();
    for (at, tool) in Tool::ALL.iter().enumerate() {
        let focused = at == admin.cursor;
        let marker = if focused { "> " } else { "  " };
        let style = if focused { theme.focus() } else { theme.text() };
        lines.push(Line::from(Span::styled(
            format!("{marker}{:<48}", tool.title()),
            style,
        )));
        let detail = match tool {
            Tool::AssignDirectory => match &admin.directory {
                Some(directory) => format!("    {} · {}", directory.url, directory.base_dn),
                None => "    not configured: no [directory] table in tokendist.toml".to_owned(),
            },
            _ => format!("    like `{}`", tool.command()),
        };
        lines.push(Line::from(Span::styled(
            crate::tui::view::fit(&detail, usize::from(area.width)),
            theme.dim(),
        )));
    }
    lines.push(Line::from(""));
    if let Some(notice) = &admin.notice {
        lines.push(Line::from(Span::styled(notice.clone(), theme.warning())));
    } else {
        lines.push(Line::from(Span::styled(
            "Enter opens a tool. Changes are reviewed and confirmed before anything is saved.",
            theme.dim(),
        )));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// What each form is about, above its fields (`width`: the columns there are).
fn intro(tool: Tool, state: &State, width: usize) -> Vec<String> {
    match tool {
        Tool::Passphrase => vec![
            "Re-seals the inventory and every staged job key under a new passphrase, as one".into(),
            "switch: a crash leaves the workspace opening with exactly one of the two.".into(),
        ],
        Tool::Retire => vec![
            "Removes lost, broken or expired tokens (and their seeds) from the inventory; the"
                .into(),
            "job history keeps its records. Serials: 000500000003 or FROM-TO, space-separated."
                .into(),
        ],
        Tool::AssignDirectory => {
            let directory = state.admin.directory.as_ref();
            let url = directory.map_or("", |d| d.url.as_str());
            let filter = directory.map_or("", |d| d.filter.as_str());
            let mut lines = vec![
                format!("Gives each user the search finds a free token ({url})."),
                crate::tui::view::fit(
                    &format!("Empty filter: the configured one, {}", shown(filter)),
                    width,
                ),
            ];
            lines.push(match directory.and_then(|d| d.password_file.as_ref()) {
                Some(file) => format!("Bind password: from {file}"),
                None if directory.is_some_and(|d| d.bind_dn.is_none()) => {
                    "Anonymous bind (no bind_dn configured).".into()
                }
                None => "Bind password: typed below, used for this search only.".into(),
            });
            lines
        }
        Tool::AssignList => vec![
            "Gives each listed login that holds no token the next free one (CSV with a".into(),
            "user_login column; first_name and last_name optional).".into(),
        ],
        Tool::Check => vec![
            "Verifies every file of the workspace without changing anything: integrity,".into(),
            "staged outputs against their recorded size and SHA-256, orphans, permissions.".into(),
        ],
    }
}

fn render_form(frame: &mut Frame, area: Rect, state: &State) {
    let admin = &state.admin;
    let theme = &state.theme;
    let intro = intro(admin.tool, state, usize::from(area.width));
    let [intro_area, _, form_area, hint_area] = Layout::vertical([
        Constraint::Length(intro.len() as u16),
        Constraint::Length(1),
        Constraint::Min(admin.form.height()),
        Constraint::Length(2),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(intro.into_iter().map(Line::from).collect::<Vec<_>>()),
        intro_area,
    );
    admin.form.render(frame, form_area, theme);
    let hint = match admin.tool {
        Tool::Retire => {
            "Space ticks \"only expired\"; with no serials it takes every expired token."
        }
        Tool::AssignDirectory | Tool::AssignList => {
            "Key size: empty takes the size of the free tokens. Nothing changes before the review."
        }
        Tool::Passphrase => "At least 12 characters. Typed text is never shown.",
        Tool::Check => "Read-only: nothing is changed, whatever is found.",
    };
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(hint, theme.dim()))).wrap(Wrap { trim: true }),
        hint_area,
    );
}

fn plain(text: impl Into<String>) -> Line<'static> {
    Line::from(text.into())
}

fn styled(text: impl Into<String>, style: Style) -> Line<'static> {
    Line::from(Span::styled(text.into(), style))
}

/// Text from the directory or a file, safe to draw.
fn shown(text: &str) -> String {
    super::tasks::one_line(text)
}

fn removal_lines(review: &RemovalReview, theme: &Theme) -> Vec<Line<'static>> {
    let plan = &review.plan;
    let mut lines = vec![
        styled(
            format!(
                "{} token(s) will be removed from the inventory (seeds deleted; only a backup brings them back):",
                plan.serials.len()
            ),
            theme.warning(),
        ),
        styled(
            format!(
                "  {:<12}  {:<14}  {:<18}  {}",
                "Serial", "User", "Expires", "Distributed before by"
            ),
            theme.header(),
        ),
    ];
    for row in &review.rows {
        let expires = format!(
            "{}{}",
            row.expires,
            if row.expired { " expired" } else { "" }
        );
        let job = match &row.last_job {
            Some((name, at)) if row.distributed > 1 => {
                format!("{} ({}), {} jobs", shown(name), at.date(), row.distributed)
            }
            Some((name, at)) => format!("{} ({})", shown(name), at.date()),
            None => "-".into(),
        };
        lines.push(plain(format!(
            "  {:<12}  {:<14}  {:<18}  {job}",
            row.serial.to_string(),
            crate::tui::view::fit(&row.login.clone().unwrap_or_else(|| "-".into()), 14),
            expires
        )));
    }
    if plan.serials.len() > review.rows.len() {
        lines.push(plain(format!(
            "  … and {} more",
            plan.serials.len() - review.rows.len()
        )));
    }
    lines.push(plain(format!(
        "Of them: {} assigned to a user, {} distributed by a job, {} expired.",
        plan.assigned, plan.distributed, plan.expired
    )));
    if plan.assigned > 0 {
        lines.push(styled(
            format!(
                "⚠ {} are assigned to a user; those users lose the token from the inventory.",
                plan.assigned
            ),
            theme.warning(),
        ));
    }
    let active = plan.distributed.saturating_sub(plan.expired);
    if active > 0 {
        lines.push(styled(
            format!(
                "⚠ {active} were distributed and have not expired: a holder can still use the token until the authentication server disables it."
            ),
            theme.warning(),
        ));
    }
    lines.push(styled(
        "The job history keeps its records of them. Enter: remove (asks first) · Esc: change the choice",
        theme.dim(),
    ));
    lines
}

fn assignment_lines(review: &AssignmentReview, theme: &Theme) -> Vec<Line<'static>> {
    let plan = &review.plan;
    let mut lines = vec![match &review.source {
        UserSource::Directory {
            url,
            base_dn,
            filter,
            entries,
        } => plain(format!(
            "{url}: {entries} entr{} under {} matching {}",
            if *entries == 1 { "y" } else { "ies" },
            shown(base_dn),
            shown(filter)
        )),
        UserSource::List { file, users } => {
            plain(format!("{}: {users} user(s) listed", shown(file)))
        }
    }];
    for warning in &review.warnings {
        lines.push(styled(format!("⚠ {}", shown(warning)), theme.warning()));
    }
    lines.push(styled(
        format!(
            "{} user(s) get a {}-bit token ({} free now, {} after):",
            plan.assign.len(),
            plan.key_size,
            plan.free_tokens,
            plan.free_tokens - plan.assign.len()
        ),
        theme.ok(),
    ));
    if !plan.assign.is_empty() {
        lines.push(styled(
            format!(
                "  {:<12}  {:<14}  {}",
                "Serial", "Login", "Name (in token files)"
            ),
            theme.header(),
        ));
    }
    for a in &plan.assign {
        let name = format!("{} {}", a.first_name, a.last_name)
            .trim()
            .to_owned();
        let in_files = if a.has_unwritable_name() {
            " (no ASCII spelling: jobs will skip it)".to_owned()
        } else if a.is_folded() {
            format!(
                " ({} {})",
                a.first_name_in_files.as_deref().unwrap_or_default(),
                a.last_name_in_files.as_deref().unwrap_or_default()
            )
        } else {
            String::new()
        };
        lines.push(plain(format!(
            "  {:<12}  {:<14}  {}{in_files}",
            a.serial.to_string(),
            crate::tui::view::fit(&shown(&a.login), 14),
            shown(&name)
        )));
    }
    if !plan.already_holding.is_empty() {
        lines.push(plain(format!(
            "{} user(s) already hold a token and are left unchanged:",
            plan.already_holding.len()
        )));
        for holder in &plan.already_holding {
            let serials: Vec<String> = holder.serials.iter().map(ToString::to_string).collect();
            lines.push(plain(format!(
                "  {:<14}  {}{}",
                shown(&holder.login),
                serials.join(" "),
                if holder.only_expired {
                    "  (all expired: unassign them to have a new token given)"
                } else {
                    ""
                }
            )));
        }
    }
    if !plan.skipped.is_empty() {
        lines.push(styled(
            format!("{} could not be given a token:", plan.skipped.len()),
            theme.warning(),
        ));
        for skipped in &plan.skipped {
            lines.push(plain(format!(
                "  {}: {}",
                shown(&skipped.source),
                shown(&skipped.reason)
            )));
        }
    }
    lines.push(styled(
        if plan.assign.is_empty() {
            "Nothing to assign. Enter: close · Esc: change the choice"
        } else {
            "Enter: assign (asks first; all or nothing) · Esc: change the choice"
        },
        theme.dim(),
    ));
    lines
}

fn outcome_lines(outcome: &Outcome, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (at, line) in outcome.lines.iter().enumerate() {
        let style = match (at, outcome.ok) {
            (0, true) => theme.ok(),
            (0, false) => theme.error(),
            _ if line.starts_with("error:") => theme.error(),
            _ if line.starts_with("warning:") => theme.warning(),
            _ => theme.text(),
        };
        let mark = match (at, outcome.ok) {
            (0, true) => "✓ ",
            (0, false) => "✗ ",
            _ => "",
        };
        lines.push(styled(format!("{mark}{line}"), style));
    }
    lines.push(plain(""));
    lines.push(styled("Enter or Esc: back to the tools", theme.dim()));
    lines
}

/// The check's result as the screen says it: the summary first, then one line per finding.
pub fn check_outcome(report: &CheckReport) -> Outcome {
    let count = |severity| {
        report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let tokens = report.tokens.map_or_else(
        || "inventory unreadable".to_owned(),
        |n| format!("{n} token(s)"),
    );
    let mut lines = vec![format!(
        "{errors} error(s), {warnings} warning(s) ({tokens}); nothing was changed"
    )];
    if report.findings.is_empty() {
        lines.push("Every file is intact.".into());
    }
    lines.extend(report.findings.iter().map(|f| shown(&f.to_string())));
    Outcome {
        ok: errors == 0,
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn long_lines_wrap_at_spaces_keeping_runs_of_spaces_and_cutting_long_words() {
        assert_eq!(wrap("  a  b", 20), ["  a  b"]);
        assert_eq!(wrap("one two three four", 9), ["one two", "three", "four"]);
        let rows = wrap(&"x".repeat(30), 10);
        assert_eq!(rows[0], format!("{}…", "x".repeat(9)));
        assert_eq!(wrap("", 10), [""]);
    }
}
