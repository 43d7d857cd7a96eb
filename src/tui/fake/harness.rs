//! Drives the real update and effects with key presses, against the fake backend.

use super::FakeBackend;
use crate::tui::app::State;
use crate::tui::backend::{Backend, JobEvent, JobHandle};
use crate::tui::effects::{Performed, perform, started_msg};
use crate::tui::msg::Msg;
use crate::tui::theme::Theme;
use crate::tui::update::update;
use crate::tui::view::view;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Drives the real update and effects against a [`FakeBackend`].
pub struct Harness {
    pub state: State,
    pub backend: FakeBackend,
    pub job: Option<JobHandle>,
    pub quit: bool,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_theme(Theme::colored())
    }

    pub fn with_theme(theme: Theme) -> Self {
        Self::with_backend(FakeBackend::default(), theme)
    }

    /// A session on `backend` (e.g. with an empty inventory).
    pub fn with_backend(backend: FakeBackend, theme: Theme) -> Self {
        let mut state = State::new(backend.profiles(), backend.default_job_name(), theme);
        state.workspace = backend.workspace_info();
        let mut harness = Self {
            state,
            backend,
            job: None,
            quit: false,
        };
        harness.send(Msg::Resize {
            width: 80,
            height: 24,
        });
        harness
    }

    /// Feeds a message and every message its effects produce.
    pub fn send(&mut self, msg: Msg) {
        let mut queue = vec![msg];
        while !queue.is_empty() {
            let msg = queue.remove(0);
            for effect in update(&mut self.state, msg) {
                match perform(&mut self.backend, effect) {
                    Performed::Msgs(msgs) => queue.extend(msgs),
                    Performed::Started(handle) => {
                        queue.push(started_msg(&handle));
                        self.job = Some(handle);
                    }
                    Performed::Cancel => {
                        if let Some(job) = &self.job {
                            job.cancel.cancel();
                        }
                    }
                    Performed::Quit => self.quit = true,
                }
            }
        }
    }

    pub fn press(&mut self, code: KeyCode) {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    pub fn ctrl(&mut self, c: char) {
        self.send(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        )));
    }

    /// The terminal changes size.
    pub fn resize(&mut self, width: u16, height: u16) {
        self.send(Msg::Resize { width, height });
    }

    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    /// Delivers the deferred answer at `index` of the backend's pending list (as the worker
    /// would, in any order).
    pub fn deliver_answer(&mut self, index: usize) {
        let answer = self.backend.pending.remove(index);
        self.send(answer.into());
    }

    /// The backend's worker is done starting the job held by
    /// [`FakeBackend::hold_start`](super::FakeBackend::hold_start).
    pub fn deliver_start(&mut self) {
        self.send(Msg::StartDone);
    }

    /// Sends pasted text (bracketed paste).
    pub fn paste(&mut self, text: &str) {
        self.send(Msg::Paste(zeroize::Zeroizing::new(text.to_owned())));
    }

    /// The job engine reports: pushes an event and delivers what is queued.
    pub fn job_event(&mut self, event: JobEvent) {
        if let Some(sender) = &self.backend.job_events {
            sender.send(event).unwrap();
        }
        self.deliver_job_events();
    }

    /// Delivers what the job has reported so far.
    pub fn deliver_job_events(&mut self) {
        let events: Vec<JobEvent> = self
            .job
            .as_ref()
            .map(|j| j.events.try_iter().collect())
            .unwrap_or_default();
        for event in events {
            match event {
                JobEvent::Progress(p) => self.send(Msg::JobProgress(p)),
                JobEvent::Finished(outcome) => {
                    self.job = None;
                    self.send(Msg::JobEnded(outcome));
                }
            }
        }
    }

    /// The screen as text, one line per row, trailing spaces removed.
    pub fn render(&self, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| view(frame, &self.state)).unwrap();
        buffer_text(terminal.backend().buffer())
    }

    /// The buffer itself, for style checks.
    pub fn render_buffer(&self, width: u16, height: u16) -> ratatui::buffer::Buffer {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| view(frame, &self.state)).unwrap();
        terminal.backend().buffer().clone()
    }
}

pub fn buffer_text(buffer: &ratatui::buffer::Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let line: String = (0..area.width).map(|x| buffer[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
