//! The top-level view: the screen tabs, the current screen, a notice line, the footer and any
//! dialog. Views only read the state.

use super::app::{Screen, State};
use super::keymap::{Action, KeyContext, global_key_label};
use super::{dialog, footer, jobs_view, progress, tokens_view, wizard};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Below this the screens would cut text (a date would read `2029-11-2`); say so instead.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub use super::list::window;

/// The screen between the header and the footer.
pub fn body_area(viewport: Rect) -> Rect {
    let [_, body, _] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(viewport);
    body
}

/// Rows the list of `context` shows now: the page PageUp/PageDown move by, half of it for
/// Ctrl-U/Ctrl-D. Computed from the same layouts the views draw with.
pub fn page_rows(state: &State, context: KeyContext) -> usize {
    let body = body_area(state.viewport);
    let rows = match context {
        KeyContext::Jobs => jobs_view::table_rows(body, state),
        KeyContext::Tokens => tokens_view::table_rows(body),
        KeyContext::SelectionOther => {
            let (_, _, content, _) = wizard::panel::areas(body, state);
            wizard::selection::table_rows(content)
        }
        KeyContext::WizardReview => {
            let (_, _, content, _) = wizard::panel::areas(body, state);
            wizard::review::text_area(content).height
        }
        KeyContext::Info | KeyContext::Help => dialog::text_rows(body, state),
        KeyContext::AdminReview | KeyContext::AdminDone => super::admin::view::page_rows(body),
        _ => 1,
    };
    usize::from(rows).max(1)
}

/// `text` cut to `width` columns, with `…` where it was cut.
pub fn fit(text: &str, width: usize) -> String {
    if Span::raw(text).width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = Span::raw(c.to_string()).width();
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// `text` cut from the left to `width` columns (`…` first): for paths, whose end matters.
pub fn fit_left(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_owned();
    }
    let keep: String = text.chars().skip(count + 1 - width.max(1)).collect();
    format!("…{keep}")
}

/// "61,355,493".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "58.5 MiB (61,355,493 bytes)": the size a person reads, and the exact one.
pub fn bytes_words(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {} ({} bytes)", UNITS[unit], thousands(bytes))
}

pub fn view(frame: &mut Frame, state: &State) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "Terminal too small (need {MIN_WIDTH}×{MIN_HEIGHT}, have {}×{}). Enlarge the window; q quits.",
            area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    let [header, body, footer_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(frame, header, state);
    match state.screen {
        Screen::Wizard if state.run.is_some() => progress::render(frame, body, state),
        Screen::Wizard => wizard::panel::render(frame, body, state),
        Screen::Jobs => jobs_view::render(frame, body, state),
        Screen::Tokens => tokens_view::render(frame, body, state),
        Screen::Admin => super::admin::view::render(frame, body, state),
    }
    footer::render(frame, footer_area, state);
    dialog::render(frame, body, state);
}

fn render_header(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.theme;
    let mut spans = vec![Span::styled(" tokendist ", theme.title())];
    for (screen, action, label) in [
        (Screen::Wizard, Action::GoWizard, "New job"),
        (Screen::Jobs, Action::GoJobs, "Jobs"),
        (Screen::Tokens, Action::GoTokens, "Tokens"),
        (Screen::Admin, Action::GoAdmin, "Tools"),
    ] {
        let text = format!(" {} {label} ", global_key_label(action));
        spans.push(if state.screen == screen {
            Span::styled(text, theme.focus())
        } else {
            Span::raw(text)
        });
    }
    // What runs, after the tabs: in full when it fits, else in short forms, else cut with …
    // (at 80 columns a job and a download together need the short forms).
    let marks = header_marks(state);
    if !marks.is_empty() {
        let tabs: usize = spans.iter().map(|s| s.width()).sum();
        let room = usize::from(area.width).saturating_sub(tabs);
        let full: String = marks.iter().map(|(full, _)| full.as_str()).collect();
        let text = if full.chars().count() <= room {
            full
        } else {
            let short: String = marks.iter().map(|(_, short)| short.as_str()).collect();
            fit(&short, room)
        };
        spans.push(Span::styled(text, theme.warning()));
    }
    // The open workspace on the right, so a demo is never taken for the real one.
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let room = usize::from(area.width).saturating_sub(used + 2);
    let workspace = &state.workspace;
    if !workspace.path.is_empty() && room > 8 {
        let (tag, tag_style) = if workspace.demo {
            ("DEMO ", theme.warning())
        } else {
            ("", theme.dim())
        };
        let path = fit_left(&workspace.path, room.saturating_sub(tag.len() + 1));
        let text_width = tag.len() + path.chars().count() + 1;
        spans.push(Span::raw(" ".repeat(room + 2 - text_width)));
        if !tag.is_empty() {
            spans.push(Span::styled(
                tag,
                tag_style.add_modifier(ratatui::style::Modifier::BOLD),
            ));
        }
        spans.push(Span::styled(format!("{path} "), theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The header's marks of what runs (a job's start, its run or the recording of its end, and
/// a download), each in full and in a short form.
fn header_marks(state: &State) -> Vec<(String, String)> {
    let mut marks = Vec::new();
    if state.starting.is_some() {
        marks.push(("  ● starting".to_owned(), " ●start".to_owned()));
    } else if state.recording() {
        marks.push(("  ● recording".to_owned(), " ●rec".to_owned()));
    } else if let Some(run) = state.run.as_ref().filter(|r| r.is_running()) {
        let percent = run.progress.percent();
        marks.push((format!("  ● job {percent}%"), format!(" ●job {percent}%")));
    }
    if let Some(download) = &state.download {
        marks.push(if download.cancelling {
            ("  ● download stops".to_owned(), " ●dl stops".to_owned())
        } else {
            let percent = download.percent();
            (
                format!("  ● download {percent}%"),
                format!(" ●dl {percent}%"),
            )
        });
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_text_is_marked() {
        assert_eq!(fit("2029-11-25", 10), "2029-11-25");
        assert_eq!(fit("2029-11-25", 9), "2029-11-…");
        assert_eq!(fit_left("/home/admin/tokendist", 10), "…tokendist");
    }

    #[test]
    fn sizes_read_in_human_units_beside_the_exact_bytes() {
        assert_eq!(bytes_words(61_355_493), "58.5 MiB (61,355,493 bytes)");
        assert_eq!(bytes_words(48_213), "47.1 KiB (48,213 bytes)");
        assert_eq!(bytes_words(900), "900 bytes");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
