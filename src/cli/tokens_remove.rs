//! `tokendist tokens remove`: review, confirm, remove (see `workspace::retire`).

use super::table::{width, write_row};
use super::workspace_cmd::open_workspace;
use super::{CliError, GlobalArgs, TokenRemoveArgs, TokenState};
use crate::jobs::SerialRange;
use crate::workspace::listing::iso_date;
use crate::workspace::retire::{self, RemovalPlan, StateFilter};
use std::io::{BufRead, IsTerminal, Read, Write};

/// Tokens listed one per line in the review before "… and N more".
const MAX_REVIEWED: usize = 50;

pub fn run(global: &GlobalArgs, args: &TokenRemoveArgs) -> Result<(), CliError> {
    let ranges = args
        .serials
        .iter()
        .map(|text| SerialRange::parse(text).map_err(CliError::usage))
        .collect::<Result<Vec<_>, _>>()?;
    if !args.yes && !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "tokens remove asks for confirmation on the terminal; give --yes to remove without asking",
        ));
    }
    let mut workspace = open_workspace(global)?;
    let today = time::OffsetDateTime::now_utc().date();
    let plan = retire::plan_removal(workspace.inventory(), &ranges, args.expired, today)
        .map_err(CliError::failed)?;
    if plan.is_empty() {
        crate::cli_outln!("No token matches; nothing was removed.");
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    review(&mut out, workspace.inventory(), &plan, today)
        .and_then(|()| out.flush())
        .map_err(|e| CliError::failed(format!("cannot write the review: {e}")))?;
    drop(out);
    if !args.yes && !confirm(plan.serials.len())? {
        crate::cli_outln!("Nothing was removed.");
        return Ok(());
    }
    let removed = retire::remove_planned(&mut workspace, &plan).map_err(CliError::failed)?;
    crate::cli_outln!(
        "{removed} token(s) removed; {} remain. The job history keeps its records of them.",
        workspace.inventory().len()
    );
    Ok(())
}

fn review(
    out: &mut impl Write,
    inventory: &crate::workspace::Inventory,
    plan: &RemovalPlan,
    today: time::Date,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} token(s) will be removed from the inventory (seeds deleted; this cannot be undone except from a backup):",
        plan.serials.len()
    )?;
    let header = ["SERIAL", "USER", "EXPIRES", "LAST JOB"];
    let rows: Vec<[String; 4]> = retire::review_rows(inventory, plan, today, MAX_REVIEWED)
        .into_iter()
        .map(|row| {
            let mut expires = iso_date(row.expires);
            if row.expired {
                expires.push_str(" (expired)");
            }
            [
                row.serial.to_string(),
                row.login.unwrap_or_else(|| "-".to_owned()),
                expires,
                row.last_job
                    .map_or_else(|| "-".to_owned(), |(name, _)| name),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    write_row(out, &widths, &header)?;
    for row in &rows {
        write_row(out, &widths, row)?;
    }
    if plan.serials.len() > MAX_REVIEWED {
        writeln!(out, "  … and {} more", plan.serials.len() - MAX_REVIEWED)?;
    }
    if plan.assigned > 0 {
        writeln!(
            out,
            "warning: {} of them are assigned to a user; those users lose the token from the inventory",
            plan.assigned
        )?;
    }
    let active = plan.distributed.saturating_sub(plan.expired);
    if active > 0 {
        writeln!(
            out,
            "warning: {} of them were distributed and have not expired; a holder can still use the token until the authentication server disables it",
            active
        )?;
    }
    Ok(())
}

fn confirm(count: usize) -> Result<bool, CliError> {
    eprint!("Remove {count} token(s)? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .take(64)
        .read_line(&mut answer)
        .map_err(|e| CliError::failed(format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// The `--state`/`--expiring-within` part of `tokens list`.
pub fn state_filter(states: &[TokenState], expiring_within: Option<u32>) -> StateFilter {
    StateFilter {
        states: states
            .iter()
            .map(|state| match state {
                TokenState::Assigned => retire::TokenState::Assigned,
                TokenState::Unassigned => retire::TokenState::Unassigned,
                TokenState::Distributed => retire::TokenState::Distributed,
                TokenState::Expired => retire::TokenState::Expired,
            })
            .collect(),
        expiring_within_days: expiring_within,
    }
}
