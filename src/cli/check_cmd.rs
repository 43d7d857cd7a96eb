//! `tokendist check`: one line per finding, a summary, and an exit status for scripts.
//!
//! Exit status: 0 nothing found, 1 errors (or the check itself could not run, e.g. a wrong
//! passphrase), 3 warnings only. (2 stays clap's usage error.)

use super::secrets;
use super::workspace_cmd::workspace_dir;
use super::{CliError, GlobalArgs};
use crate::workspace::Workspace;
use crate::workspace::check::{Finding, Severity, check_workspace};
use std::io::Write;

/// Exit status when the check found warnings but no errors.
pub const WARNINGS_ONLY: i32 = 3;

pub fn run(global: &GlobalArgs) -> Result<(), CliError> {
    let dir = workspace_dir(global)?;
    Workspace::check_initialised(&dir).map_err(CliError::failed)?;
    let passphrase = secrets::passphrase(global)?;
    let checked = check_workspace(&dir, &passphrase).map_err(CliError::failed)?;
    drop(passphrase);
    let mut findings = checked.findings;
    findings.extend(crate::jobs::check::check_jobs(
        &dir,
        checked.key.as_ref(),
        checked.inventory.as_ref(),
    ));
    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.path.cmp(&b.path)));
    let errors = count(&findings, Severity::Error);
    let warnings = count(&findings, Severity::Warning);
    let mut out = std::io::stdout().lock();
    for finding in &findings {
        let _ = writeln!(out, "{finding}");
    }
    let tokens = checked.inventory.as_ref().map_or_else(
        || "inventory unreadable".to_owned(),
        |i| format!("{} token(s)", i.len()),
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

fn count(findings: &[Finding], severity: Severity) -> usize {
    findings.iter().filter(|f| f.severity == severity).count()
}
