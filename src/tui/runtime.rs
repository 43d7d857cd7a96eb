//! The event loop at the edge: terminal input, signals and job progress come in over channels
//! and become messages; effects go to the backend. The loop blocks on its channels (no busy
//! wait) and redraws once per batch of messages.

use super::app::State;
use super::backend::{Answer, Backend, JobEvent, JobHandle, JobOutcome};
use super::effects::{Performed, perform, started_msg};
use super::msg::Msg;
use super::terminal::Session;
use super::theme::Theme;
use super::update::update;
use super::view::view;
use crossbeam_channel::{Receiver, Sender, never, select, unbounded};
use crossterm::event::{self, Event};
use ratatui::Terminal;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// While a job runs, redraw at least this often (elapsed time, ETA).
const TICK: Duration = Duration::from_millis(500);
/// How long a cancelled job may take to record itself before we leave anyway.
const CANCEL_WAIT: Duration = Duration::from_secs(30);
/// Messages handled before a redraw at most, so a flood of progress cannot starve the screen.
const BATCH: usize = 256;
/// While a count or filter is out, wait this long (from the first message of a batch) for its
/// answer before drawing "counting…": a quick answer (a serial range, a narrow filter) then
/// costs one frame instead of two, and a slow one still shows the keystroke within a frame.
/// A quarter of a 16 ms frame: the rest is left to drawing and to a loaded machine's
/// scheduling (at 8 ms, restarted by every message, the echo of a key missed the frame under
/// load while a search held the cores).
const ANSWER_GRACE: Duration = Duration::from_millis(4);

/// How the session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The administrator quit.
    Quit,
    /// A signal ended it; a running job was cancelled first.
    Signal(&'static str),
}

/// Runs the UI on the terminal until the administrator quits or a signal arrives.
pub fn run(backend: &mut dyn Backend, theme: Theme) -> Result<Ended, String> {
    let (sender, receiver) = unbounded();
    let signals = watch_signals(sender.clone())?;
    let mut session = Session::enter()?;
    spawn_input(sender);
    let mut state = State::new(backend.profiles(), backend.default_job_name(), theme);
    state.workspace = backend.workspace_info();
    let result = run_loop(&mut session.terminal, &mut state, backend, receiver);
    signals.close();
    drop(session);
    result
}

/// The loop itself, on any ratatui backend (the tests use `TestBackend`).
pub fn run_loop<B: ratatui::backend::Backend>(
    terminal: &mut Terminal<B>,
    state: &mut State,
    backend: &mut dyn Backend,
    receiver: Receiver<Msg>,
) -> Result<Ended, String> {
    let mut looper = Loop {
        receiver,
        answers: backend.answers(),
        job: None,
        queue: VecDeque::new(),
        signal: None,
        answers_closed: false,
    };
    let size = terminal
        .size()
        .map_err(|e| format!("cannot read the terminal's size: {e}"))?;
    looper.queue.push_back(Msg::Resize {
        width: size.width,
        height: size.height,
    });
    looper.run(terminal, state, backend)
}

struct Loop {
    receiver: Receiver<Msg>,
    /// The backend's answers computed on its worker (previews, filters).
    answers: Receiver<Answer>,
    job: Option<JobHandle>,
    queue: VecDeque<Msg>,
    signal: Option<&'static str>,
    /// Every worker that answers is gone (nothing more will come on `answers`).
    answers_closed: bool,
}

impl Loop {
    fn run<B: ratatui::backend::Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        state: &mut State,
        backend: &mut dyn Backend,
    ) -> Result<Ended, String> {
        loop {
            let first = match self.queue.pop_front() {
                Some(msg) => msg,
                None => self.wait()?,
            };
            // The answer is waited for until this instant at most, however many messages
            // (stale answers, more keys) come meanwhile: the first message's frame is never
            // held back longer than the grace.
            let answer_deadline = Instant::now() + ANSWER_GRACE;
            let mut next = Some(first);
            let mut handled = 0;
            while let Some(msg) = next {
                if let Msg::Signal(name) = msg {
                    self.signal = Some(name);
                }
                for effect in update(state, msg) {
                    match perform(backend, effect) {
                        Performed::Msgs(msgs) => self.queue.extend(msgs),
                        Performed::Started(handle) => {
                            self.queue.push_back(started_msg(&handle));
                            self.job = Some(handle);
                        }
                        Performed::Cancel => {
                            if let Some(job) = &self.job {
                                job.cancel.cancel();
                            }
                        }
                        Performed::Quit => return Ok(self.leave(terminal, state, backend)),
                    }
                }
                handled += 1;
                next = if handled < BATCH {
                    self.queue.pop_front().or_else(|| self.try_next())
                } else {
                    None
                };
                if next.is_none() && handled < BATCH && state.awaits_answer() {
                    let left = answer_deadline.saturating_duration_since(Instant::now());
                    if !left.is_zero() {
                        backend.dispatch();
                        next = self.answer_within(left);
                    }
                }
            }
            if let Err(error) = terminal.draw(|frame| view(frame, state)) {
                // The terminal went away (a dropped connection): stop a job cleanly first.
                self.leave(terminal, state, backend);
                return Err(format!("cannot draw on the terminal: {error}"));
            }
            // The frame is out: now the workers may take the cores.
            backend.dispatch();
        }
    }

    /// Blocks until the next message: a key, a signal, job progress, or a tick while a job runs.
    fn wait(&mut self) -> Result<Msg, String> {
        let events = self
            .job
            .as_ref()
            .map(|j| j.events.clone())
            .unwrap_or_else(never);
        let tick = if self.job.is_some() {
            TICK
        } else {
            Duration::from_secs(3600)
        };
        select! {
            recv(self.receiver) -> msg => msg.map_err(|_| "the terminal input stopped".to_owned()),
            recv(events) -> event => Ok(self.job_msg(event.ok())),
            recv(self.answers) -> answer => Ok(self.answer_msg(answer.ok())),
            default(tick) => Ok(Msg::Tick),
        }
    }

    /// The backend's answer, if one arrives within `grace` (a key pressed meanwhile also ends
    /// the wait, so typing is never held up).
    fn answer_within(&mut self, grace: Duration) -> Option<Msg> {
        select! {
            recv(self.answers) -> answer => Some(self.answer_msg(answer.ok())),
            recv(self.receiver) -> msg => msg.ok(),
            default(grace) => None,
        }
    }

    fn answer_msg(&mut self, answer: Option<Answer>) -> Msg {
        match answer {
            Some(answer) => answer.into(),
            None => {
                // The worker is gone: stop listening; the screen keeps saying "counting…".
                self.answers = never();
                self.answers_closed = true;
                Msg::Tick
            }
        }
    }

    fn try_next(&mut self) -> Option<Msg> {
        if let Ok(msg) = self.receiver.try_recv() {
            return Some(msg);
        }
        match self.answers.try_recv() {
            Ok(answer) => return Some(answer.into()),
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                self.answers = never();
                self.answers_closed = true;
            }
            Err(crossbeam_channel::TryRecvError::Empty) => {}
        }
        let event = self.job.as_ref().map(|j| j.events.try_recv())?;
        match event {
            Ok(event) => Some(self.job_msg(Some(event))),
            Err(crossbeam_channel::TryRecvError::Empty) => None,
            Err(crossbeam_channel::TryRecvError::Disconnected) => Some(self.job_msg(None)),
        }
    }

    fn job_msg(&mut self, event: Option<JobEvent>) -> Msg {
        match event {
            Some(JobEvent::Progress(progress)) => Msg::JobProgress(progress),
            Some(JobEvent::Finished(outcome)) => {
                self.job = None;
                Msg::JobEnded(outcome)
            }
            None => {
                self.job = None;
                Msg::JobEnded(JobOutcome::Failed(
                    "the job stopped without reporting its end".into(),
                ))
            }
        }
    }

    /// Cancels a running job and waits for it to record itself, then reports how we ended.
    /// A job's end being recorded (or reported and not yet recorded) is recorded to the end
    /// first: leaving never abandons it half-way. The screen says what it waits for.
    fn leave<B: ratatui::backend::Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        state: &mut State,
        backend: &mut dyn Backend,
    ) -> Ended {
        let mut start_answered = false;
        for msg in std::mem::take(&mut self.queue) {
            match msg {
                Msg::StartDone => start_answered = true,
                // Started at once (a backend without a worker): `self.job` already has it.
                msg @ Msg::JobStarted { .. } => {
                    update(state, msg);
                }
                Msg::JobEnded(reported) => {
                    self.record_before_leaving(terminal, state, backend, Some(reported))
                }
                // Recorded at once (a backend without a worker): take it up.
                Msg::JobFinished(outcome) => {
                    update(state, Msg::JobFinished(outcome));
                    backend.job_recorded();
                }
                msg @ (Msg::DownloadDone { .. } | Msg::Deleted { .. }) => {
                    update(state, msg);
                }
                _ => {}
            }
        }
        self.finish_start_before_leaving(terminal, state, backend, start_answered);
        self.record_before_leaving(terminal, state, backend, None);
        if let Some(job) = self.job.take() {
            job.cancel.cancel();
            say(
                terminal,
                state,
                "Cancelling the running job before leaving…",
            );
            let deadline = Instant::now() + CANCEL_WAIT;
            let reported = loop {
                match job.events.recv_deadline(deadline) {
                    Ok(JobEvent::Finished(outcome)) => break Some(outcome),
                    Ok(JobEvent::Progress(_)) => continue,
                    Err(_) => break None,
                }
            };
            // Past the deadline the job is left as running; the next start marks it interrupted.
            if let Some(reported) = reported {
                self.record_before_leaving(terminal, state, backend, Some(reported));
            }
        }
        self.cancel_download_before_leaving(terminal, state, backend);
        self.finish_delete_before_leaving(terminal, state, backend);
        // A workspace tool at work (a passphrase change, an assignment) is let finish: each is
        // safe to interrupt, but finishing spares the next open its recovery.
        if state.admin.is_busy() && !self.answers_closed {
            let deadline = Instant::now() + CANCEL_WAIT;
            while let Ok(answer) = self.answers.recv_deadline(deadline) {
                if let Answer::Admin(answer) = answer {
                    update(state, Msg::Admin(answer));
                    break;
                }
            }
        }
        match self.signal {
            Some(name) => Ended::Signal(name),
            None => Ended::Quit,
        }
    }

    /// A job being started is let start (its durable steps are never cut short), saying so on
    /// the screen; the started job is then cancelled as a running one is. No deadline: the
    /// worker always answers (also when it fails or panics).
    fn finish_start_before_leaving<B: ratatui::backend::Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        state: &mut State,
        backend: &mut dyn Backend,
        answered: bool,
    ) {
        if state.starting.is_none() {
            return;
        }
        if !answered {
            say(
                terminal,
                state,
                "Starting the job before leaving (it is cancelled then)…",
            );
            backend.dispatch();
            while !self.answers_closed {
                match self.answers.recv() {
                    Ok(Answer::StartDone) => break,
                    Ok(answer) => self.take_up(state, backend, answer),
                    Err(_) => self.answers_closed = true,
                }
            }
        }
        match backend.take_started_job() {
            Some(Ok(handle)) => {
                update(state, started_msg(&handle));
                self.job = Some(handle);
            }
            Some(Err(error)) => {
                update(state, Msg::JobStartFailed(error));
            }
            None => {}
        }
        state.starting = None;
    }

    /// Cancels a download under way and waits for its worker to remove what it wrote and
    /// clear its note in the history, saying so on the screen. Past the deadline it is left:
    /// the next start settles the note and removes the temporary file.
    fn cancel_download_before_leaving<B: ratatui::backend::Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        state: &mut State,
        backend: &mut dyn Backend,
    ) {
        if !state.downloading() {
            return;
        }
        backend.cancel_download();
        say(terminal, state, "Cancelling the download before leaving…");
        let deadline = Instant::now() + CANCEL_WAIT;
        while state.downloading() && !self.answers_closed {
            match self.answers.recv_deadline(deadline) {
                Ok(answer) => self.take_up(state, backend, answer),
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => return,
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                    self.answers_closed = true
                }
            }
        }
    }

    /// Waits for a delete under way (its folder half removed would only be finished by the
    /// next open), saying so on the screen; up to 30 s.
    fn finish_delete_before_leaving<B: ratatui::backend::Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        state: &mut State,
        backend: &mut dyn Backend,
    ) {
        if state.deleting.is_none() {
            return;
        }
        say(terminal, state, "Deleting the job's output before leaving…");
        backend.dispatch();
        let deadline = Instant::now() + CANCEL_WAIT;
        while state.deleting.is_some() && !self.answers_closed {
            match self.answers.recv_deadline(deadline) {
                Ok(answer) => self.take_up(state, backend, answer),
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => return,
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                    self.answers_closed = true
                }
            }
        }
    }

    /// Records the end `reported` (when given), and waits for a recording under way to be
    /// done, saying so on the screen.
    fn record_before_leaving<B: ratatui::backend::Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        state: &mut State,
        backend: &mut dyn Backend,
        reported: Option<JobOutcome>,
    ) {
        if let Some(reported) = reported {
            state.recording = Some(reported.clone());
            if let Some(answer) = backend.record_job_end(reported) {
                self.take_up(state, backend, answer);
            }
        }
        if !state.recording() {
            return;
        }
        say(terminal, state, "Recording the job's end before leaving…");
        backend.dispatch();
        // No deadline: the worker always answers (also when it fails), and its sender keeps
        // the channel open until it has.
        while state.recording() && !self.answers_closed {
            match self.answers.recv() {
                Ok(answer) => self.take_up(state, backend, answer),
                Err(_) => self.answers_closed = true,
            }
        }
    }

    /// An answer that came while leaving: the recording's end is taken up, a tool's answer
    /// and a download's end shown; the rest is no longer wanted.
    fn take_up(&mut self, state: &mut State, backend: &mut dyn Backend, answer: Answer) {
        match answer {
            Answer::Recorded(outcome) => {
                update(state, Msg::JobFinished(outcome));
                backend.job_recorded();
            }
            Answer::Admin(answer) => {
                update(state, Msg::Admin(answer));
            }
            // A download's or a delete's end (also while a recording is waited for).
            answer @ (Answer::Downloaded { .. } | Answer::Deleted { .. }) => {
                update(state, answer.into());
            }
            _ => {}
        }
    }
}

/// Shows `notice` in place of the footer while leaving waits for something (a terminal
/// already gone is not an error here).
fn say<B: ratatui::backend::Backend>(terminal: &mut Terminal<B>, state: &mut State, notice: &str) {
    state.notice = Some(notice.to_owned());
    let _ = terminal.draw(|frame| view(frame, state));
}

/// Terminal events become messages. The thread ends when the terminal goes away.
fn spawn_input(sender: Sender<Msg>) {
    std::thread::spawn(move || {
        loop {
            let msg = match event::read() {
                Ok(Event::Key(key)) => Msg::Key(key),
                Ok(Event::Paste(text)) => Msg::Paste(zeroize::Zeroizing::new(text)),
                Ok(Event::Resize(width, height)) => Msg::Resize { width, height },
                Ok(_) => continue,
                Err(_) => {
                    // The terminal is gone: end like a hangup.
                    let _ = sender.send(Msg::Signal("the loss of the terminal"));
                    return;
                }
            };
            if sender.send(msg).is_err() {
                return;
            }
        }
    });
}

/// SIGTERM, SIGHUP (a dropped SSH session), SIGINT and SIGQUIT end the session cleanly.
fn watch_signals(sender: Sender<Msg>) -> Result<signal_hook::iterator::Handle, String> {
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT])
        .map_err(|e| format!("cannot watch for signals: {e}"))?;
    let handle = signals.handle();
    std::thread::spawn(move || {
        for signal in signals.forever() {
            let name = match signal {
                SIGTERM => "SIGTERM",
                SIGHUP => "SIGHUP",
                SIGINT => "SIGINT",
                _ => "SIGQUIT",
            };
            if sender.send(Msg::Signal(name)).is_err() {
                return;
            }
        }
    });
    Ok(handle)
}
