//! `tokendist completions` and `tokendist man`: shell completion scripts and roff man pages,
//! generated from the clap definitions so they can never disagree with the real options.
//!
//! An air-gapped console has no package manager to bring these; the operator copies them next
//! to the binary (see the user guide's "Installing on an air-gapped console").

use super::{Cli, CliError};
use clap::{CommandFactory, ValueEnum};
use std::io::Write;
use std::path::Path;

/// Shells we write completion scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

impl CompletionShell {
    fn clap_shell(self) -> clap_complete::Shell {
        match self {
            Self::Bash => clap_complete::Shell::Bash,
            Self::Zsh => clap_complete::Shell::Zsh,
            Self::Fish => clap_complete::Shell::Fish,
        }
    }

    /// The file name each shell looks for (bash-completion, zsh `fpath`, fish `completions/`).
    pub fn file_name(self) -> &'static str {
        match self {
            Self::Bash => "tokendist",
            Self::Zsh => "_tokendist",
            Self::Fish => "tokendist.fish",
        }
    }
}

/// The completion script for `shell`.
pub fn completion_script(shell: CompletionShell) -> Vec<u8> {
    let mut command = Cli::command();
    let name = command.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(shell.clap_shell(), &mut command, name, &mut script);
    script
}

/// One man page: its file name (`tokendist-jobs-submit.1`) and roff text.
#[derive(Debug, Clone)]
pub struct ManPage {
    pub file_name: String,
    pub roff: Vec<u8>,
}

/// `tokendist.1` first, then a page for every subcommand at any depth, in definition order.
pub fn man_pages() -> Result<Vec<ManPage>, std::io::Error> {
    // `help` is not a command worth a page; building fills in what clap derives lazily (full
    // display names such as `tokendist-jobs-submit`, global options propagated to subcommands),
    // so every page shows the options that really apply there.
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let mut pages = Vec::new();
    collect_pages(&command, &mut pages)?;
    Ok(pages)
}

fn collect_pages(command: &clap::Command, pages: &mut Vec<ManPage>) -> std::io::Result<()> {
    // The page title and file name are the display name (`tokendist-jobs-submit`), which is
    // also what the parent's SUBCOMMANDS section refers to as `tokendist-jobs-submit(1)`.
    let man = clap_mangen::Man::new(command.clone())
        .source(concat!("tokendist ", env!("CARGO_PKG_VERSION")));
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    pages.push(ManPage {
        file_name: man.get_filename(),
        roff,
    });
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        collect_pages(sub, pages)?;
    }
    Ok(())
}

pub(super) fn completions(shell: CompletionShell) -> Result<(), CliError> {
    write_stdout(&completion_script(shell))
}

pub(super) fn man(dir: Option<&Path>) -> Result<(), CliError> {
    let pages = man_pages().map_err(|e| CliError::failed(format!("man page: {e}")))?;
    let Some(dir) = dir else {
        return write_stdout(&pages[0].roff);
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::failed(format!("{}: {e}", dir.display())))?;
    for page in &pages {
        let path = dir.join(&page.file_name);
        std::fs::write(&path, &page.roff)
            .map_err(|e| CliError::failed(format!("{}: {e}", path.display())))?;
    }
    crate::cli_outln!("wrote {} man pages to {}", pages.len(), dir.display());
    Ok(())
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a message.
fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::failed(format!("standard output: {e}"))),
    }
}
