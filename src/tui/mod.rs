//! The full-screen wizard (ratatui + crossterm).
//!
//! Shape: state ([`app`]) → [`update`] → view ([`view`]). Keys, signals and job progress
//! become [`msg::Msg`]s; the pure update changes the state and returns [`msg::Effect`]s that
//! the [`runtime`] performs against a [`backend::Backend`] (the port onto the workspace and
//! the job engine, implemented by [`adapter`]). Each screen and wizard panel has its own file
//! with its keys and its view; key tables live in [`keymap`] and feed the footer and help.

pub mod adapter;
pub mod admin;
pub mod app;
pub mod backend;
pub mod counter;
pub mod deleter;
pub mod dialog;
pub mod download_path;
pub mod downloader;
pub mod effects;
pub mod footer;
pub mod help;
pub mod jobs_view;
pub mod keymap;
pub mod list;
pub mod msg;
pub mod preparer;
pub mod progress;
pub mod recorder;
pub mod runtime;
pub mod starter;
pub mod terminal;
pub mod theme;
pub mod tokens_view;
pub mod tool_worker;
pub mod update;
pub mod view;
pub mod wizard;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

/// Opens the wizard on the configured workspace, or on a fresh demo workspace.
///
/// The passphrase is asked for (when needed) before the terminal switches to full screen.
pub fn run(
    workspace: Option<&std::path::Path>,
    passphrase_file: Option<&std::path::Path>,
    demo: bool,
) -> Result<(), String> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(
            "the wizard needs a terminal on standard input and output; scripts use `tokendist jobs submit` and the other commands".into(),
        );
    }
    counter::leave_a_core_to_the_screen();
    let mut backend = adapter::open(workspace, passphrase_file, demo)?;
    match runtime::run(&mut backend, theme::Theme::from_env())? {
        runtime::Ended::Quit => Ok(()),
        runtime::Ended::Signal(name) => {
            Err(format!("stopped by {name}; a running job was cancelled"))
        }
    }
}
