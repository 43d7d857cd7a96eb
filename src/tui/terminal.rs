//! Entering and always leaving the full-screen terminal mode: normal exit, error, panic (a hook
//! installed before raw mode that restores and then chains to the previous hook) and signals
//! (the runtime ends its loop and drops the guard).

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{Stdout, stdout};
use std::sync::Once;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Puts the terminal back: bracketed paste off, main screen, cursor shown, cooked mode. Safe to call twice and on a
/// terminal that has gone away (errors are ignored: there is nobody left to tell).
pub fn restore() {
    let _ = execute!(stdout(), DisableBracketedPaste, LeaveAlternateScreen, Show);
    let _ = disable_raw_mode();
}

static HOOK: Once = Once::new();

/// Restores the terminal before the panic message is printed, then runs the previous hook.
pub fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// The full-screen session; dropping it restores the terminal.
pub struct Session {
    pub terminal: Term,
}

impl Session {
    /// Installs the panic hook, then enters raw mode and the alternate screen, and turns on
    /// bracketed paste (a pasted range arrives as one message, not one key per character).
    pub fn enter() -> Result<Self, String> {
        install_panic_hook();
        let failed = |e: std::io::Error| {
            restore();
            format!("cannot set up the terminal: {e}")
        };
        enable_raw_mode().map_err(failed)?;
        execute!(stdout(), EnterAlternateScreen, Hide, EnableBracketedPaste).map_err(failed)?;
        let terminal = Terminal::new(CrosstermBackend::new(stdout())).map_err(failed)?;
        Ok(Self { terminal })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        restore();
    }
}
