//! `tokendist check`: one line per finding, a summary, and an exit status for scripts.
//!
//! Exit status: 0 nothing found, 1 errors (or the check itself could not run, e.g. a wrong
//! passphrase), 3 warnings only. (2 stays clap's usage error.)

use super::secrets;
use super::workspace_cmd::workspace_dir;
use super::{CliError, GlobalArgs};
use crate::workspace::Workspace;
use crate::workspace::check::Severity;
use std::io::Write;

/// Exit status when the check found warnings but no errors.
pub const WARNINGS_ONLY: i32 = 3;

pub fn run(global: &GlobalArgs) -> Result<(), CliError> {
    let dir = workspace_dir(global)?;
    Workspace::check_initialised(&dir).map_err(CliError::failed)?;
    let passphrase = secrets::passphrase(global)?;
    let checked =
        crate::jobs::check::check_whole(&dir, &passphrase, false).map_err(CliError::failed)?;
    drop(passphrase);
    let errors = checked.count(Severity::Error);
    let warnings = checked.count(Severity::Warning);
    let findings = checked.findings;
    let mut out = std::io::stdout().lock();
    for finding in &findings {
        let _ = writeln!(out, "{finding}");
    }
    let tokens = checked.tokens.map_or_else(
        || "inventory unreadable".to_owned(),
        |n| format!("{n} token(s)"),
    );
    let _ = writeln!(
        out,
        "{}: {errors} error(s), {warnings} warning(s) ({tokens}); nothing was changed",
        dir.display()
    );
    let _ = out.flush();
    if errors > 0 {
        Err(CliError::Status(1))
    } else if warnings > 0 {
        Err(CliError::Status(WARNINGS_ONLY))
    } else {
        Ok(())
    }
}
