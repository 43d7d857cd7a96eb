//! `tokendist tokens import|assign|unassign|list|export` (`remove` is in `tokens_remove`).

mod assign_auto;

use super::secrets;
use super::table::{width, write_row};
use super::workspace_cmd::open_workspace;
use super::{CliError, FilePasswordSource, GlobalArgs, TokenListArgs, TokensCommand};
use crate::cli::output::printable;
use crate::jobs::SerialRange;
use crate::sdtid::SdtidError;
use crate::secret::SecretString;
use crate::token::Serial;
use crate::workspace::listing::{AssignmentFilter, TokenFilter, TokenSummary};
use crate::workspace::{
    InventoryToken, WorkspaceError, assign, export as export_file, import as import_file,
    write_outside,
};
use std::borrow::Cow;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;

/// Skipped serials listed one per line before "… and N more".
const MAX_LISTED_SKIPS: usize = 50;

pub fn run(global: &GlobalArgs, command: TokensCommand) -> Result<(), CliError> {
    match command {
        TokensCommand::Import {
            file,
            password,
            replace,
        } => import(global, &file, &password, replace),
        TokensCommand::Assign(args) => match &args.csv {
            Some(csv) => assign_csv(global, csv),
            None => assign_auto::run(global, &args),
        },
        TokensCommand::Unassign { serials } => unassign(global, &serials),
        TokensCommand::List(args) => list(global, &args),
        TokensCommand::Remove(args) => super::tokens_remove::run(global, &args),
        TokensCommand::Export {
            file,
            password,
            serials,
            force,
        } => export(global, &file, &password, &serials, force),
    }
}

fn parse_ranges(texts: &[String]) -> Result<Vec<SerialRange>, CliError> {
    texts
        .iter()
        .map(|text| SerialRange::parse(text).map_err(CliError::usage))
        .collect()
}

fn has_source(source: &FilePasswordSource) -> bool {
    source.file_password_stdin || source.file_password_file.is_some()
}

fn import(
    global: &GlobalArgs,
    file: &Path,
    source: &FilePasswordSource,
    replace: bool,
) -> Result<(), CliError> {
    if !file.is_file() {
        return Err(CliError::failed(format!(
            "{}: no such token file",
            file.display()
        )));
    }
    let mut workspace = open_workspace(global)?;
    // A given password is used as is; without one, try the file as unprotected first and ask
    // on the terminal only when it turns out to need a password.
    let given = if has_source(source) {
        secrets::file_password(source, "")?
    } else {
        None
    };
    let limits = workspace.config().import_limits;
    let mut import_with = |password: Option<&SecretString>| {
        workspace.update_inventory(|inventory| {
            let input = std::fs::File::open(file).map_err(WorkspaceError::io("read", file))?;
            let imported =
                import_file::import_stream(inventory, input, file, password, replace, limits)?;
            crate::crashpoint::reached("tokens.import.changed");
            Ok(imported)
        })
    };
    let (report, count) = match import_with(given.as_ref()) {
        Err(WorkspaceError::TokenFile { source: SdtidError::PasswordRequired, .. }) if given.is_none() => {
            let typed = secrets::prompt("Token file password: ")?.ok_or_else(|| {
                CliError::failed(format!(
                    "{}: the file is password-protected: give --file-password-stdin or --file-password-file PATH",
                    file.display()
                ))
            })?;
            import_with(Some(&typed))
        }
        other => other,
    }
    .map_err(|e| CliError::failed(format!("{e}; nothing was imported")))?;
    crate::crashpoint::reached("tokens.import.saved");
    let mut out = crate::cli::output::stdout();
    let _ = writeln!(
        out,
        "{}: {count} token(s) in the file: {} imported, {} replaced, {} skipped",
        file.display(),
        report.imported.len(),
        report.replaced.len(),
        report.skipped.len()
    );
    for (serial, reason) in report.skipped.iter().take(MAX_LISTED_SKIPS) {
        let _ = writeln!(out, "  skipped {serial}: {}", reason.describe());
    }
    if report.skipped.len() > MAX_LISTED_SKIPS {
        let _ = writeln!(
            out,
            "  … and {} more skipped",
            report.skipped.len() - MAX_LISTED_SKIPS
        );
    }
    if !report.non_ascii_users.is_empty() {
        let _ = writeln!(
            out,
            "  note: {} token(s) have user names that are not printable ASCII ({}); token files cannot carry them, so reassign them (tokens assign) before distributing",
            report.non_ascii_users.len(),
            listed_serials(&report.non_ascii_users)
        );
    }
    Ok(())
}

/// The first ten serials, then how many more.
fn listed_serials(serials: &[Serial]) -> String {
    let mut text = serials
        .iter()
        .take(10)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if serials.len() > 10 {
        text.push_str(&format!(", … {} more", serials.len() - 10));
    }
    text
}

fn assign_csv(global: &GlobalArgs, csv: &Path) -> Result<(), CliError> {
    let bytes = std::fs::read(csv)
        .map_err(|e| CliError::failed(format!("cannot read {}: {e}", csv.display())))?;
    let mut workspace = open_workspace(global)?;
    let report = workspace
        .update_inventory(|inventory| {
            let rows = assign::parse_assignments(&bytes, csv, inventory)?;
            let report = assign::apply_assignments(inventory, rows)?;
            crate::crashpoint::reached("tokens.assign.changed");
            Ok(report)
        })
        .map_err(CliError::failed)?;
    crate::crashpoint::reached("tokens.assign.saved");
    crate::cli_outln!(
        "{}: {} newly assigned, {} reassigned to another user, {} unchanged",
        csv.display(),
        report.assigned,
        report.reassigned,
        report.unchanged
    );
    Ok(())
}

fn unassign(global: &GlobalArgs, texts: &[String]) -> Result<(), CliError> {
    let serials = texts
        .iter()
        .map(|text| Serial::parse(text).map_err(CliError::usage))
        .collect::<Result<Vec<_>, _>>()?;
    let mut workspace = open_workspace(global)?;
    let count = workspace
        .update_inventory(|inventory| {
            let count = assign::unassign(inventory, &serials)?;
            crate::crashpoint::reached("tokens.unassign.changed");
            Ok(count)
        })
        .map_err(CliError::failed)?;
    crate::crashpoint::reached("tokens.unassign.saved");
    crate::cli_outln!(
        "{count} token(s) unassigned ({} already had no user)",
        serials.len() - count
    );
    Ok(())
}

fn list(global: &GlobalArgs, args: &TokenListArgs) -> Result<(), CliError> {
    let ranges = parse_ranges(&args.serials)?;
    let assignment = match (args.assigned, args.unassigned) {
        (true, _) => AssignmentFilter::Assigned,
        (_, true) => AssignmentFilter::Unassigned,
        _ => AssignmentFilter::Any,
    };
    let filter =
        TokenFilter::new(ranges, args.user.as_deref(), assignment).map_err(CliError::usage)?;
    let states = super::tokens_remove::state_filter(&args.state, args.expiring_within);
    let workspace = open_workspace(global)?;
    let today = time::OffsetDateTime::now_utc().date();
    let tokens: Vec<&InventoryToken> = workspace
        .inventory()
        .iter()
        .filter(|t| filter.matches(t) && states.matches(t, today))
        .collect();
    let mut out = BufWriter::with_capacity(1 << 16, crate::cli::output::stdout());
    let written = if args.json {
        write_json(&mut out, &tokens, today)
    } else {
        write_token_table(&mut out, &tokens, today)
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| CliError::failed(format!("cannot write the listing: {e}")))?;
    if !args.json && std::io::stderr().is_terminal() {
        crate::cli_errln!(
            "{} of {} token(s)",
            tokens.len(),
            workspace.inventory().len()
        );
    }
    Ok(())
}

fn write_json(
    out: &mut impl Write,
    tokens: &[&InventoryToken],
    today: time::Date,
) -> std::io::Result<()> {
    out.write_all(b"[")?;
    for (index, token) in tokens.iter().enumerate() {
        out.write_all(if index == 0 { b"\n  " } else { b",\n  " })?;
        serde_json::to_writer(&mut *out, &TokenSummary::of(token, today))?;
    }
    out.write_all(if tokens.is_empty() { b"]\n" } else { b"\n]\n" })
}

const TABLE_HEADER: [&str; 9] = [
    "SERIAL",
    "USER",
    "FIRST NAME",
    "LAST NAME",
    "EXPIRES",
    "DIGITS",
    "INTERVAL",
    "KEY",
    "DISTRIBUTED",
];

fn cells<'a>(token: &'a InventoryToken, today: time::Date) -> [Cow<'a, str>; 9] {
    let (login, first, last) = match &token.user {
        Some(user) => (user.login(), user.first_name(), user.last_name()),
        None => ("-", "", ""),
    };
    let mut expires = crate::workspace::listing::iso_date(token.expires);
    if token.is_expired(today) {
        expires.push_str(" (expired)");
    }
    [
        Cow::Borrowed(token.serial.as_str()),
        // Names come from imported files and CSVs: escaped for the terminal.
        printable(login),
        printable(first),
        printable(last),
        Cow::Owned(expires),
        Cow::Owned(token.digits.to_string()),
        Cow::Owned(format!("{}s", token.interval.seconds())),
        Cow::Owned(format!("{}-bit", token.key_size.bits())),
        Cow::Owned(token.distributions.len().to_string()),
    ]
}

/// Two passes (widths, then rows) so a million-token listing needs no copy of the table.
fn write_token_table(
    out: &mut impl Write,
    tokens: &[&InventoryToken],
    today: time::Date,
) -> std::io::Result<()> {
    let mut widths: Vec<usize> = TABLE_HEADER.iter().map(|h| width(h)).collect();
    for token in tokens {
        for (w, cell) in widths.iter_mut().zip(cells(token, today)) {
            *w = (*w).max(width(&cell));
        }
    }
    write_row(out, &widths, &TABLE_HEADER)?;
    for token in tokens {
        write_row(out, &widths, &cells(token, today))?;
    }
    Ok(())
}

fn export(
    global: &GlobalArgs,
    file: &Path,
    source: &FilePasswordSource,
    serials: &[String],
    force: bool,
) -> Result<(), CliError> {
    let ranges = parse_ranges(serials)?;
    let already_exists = || {
        CliError::failed(format!(
            "{} already exists; give --force to replace it",
            file.display()
        ))
    };
    if file.exists() && !force {
        return Err(already_exists());
    }
    let workspace = open_workspace(global)?;
    let password = export_password(source)?;
    let exported = export_file::export_record_file(
        workspace.inventory(),
        &workspace.config().header,
        &ranges,
        &password,
    )
    .map_err(CliError::failed)?;
    let count = exported.count;
    let respelled = exported.respelled;
    let document = zeroize::Zeroizing::new(exported.document);
    // The check above fails fast; the no-clobber publish is what guarantees that a file
    // created meanwhile is not replaced without --force.
    // Unnamed until complete: a crash leaves no temporary file beside the target.
    let written = write_outside("tokens.export", file, document.as_bytes(), force);
    written.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            already_exists()
        } else {
            CliError::failed(format!("cannot write {}: {e}", file.display()))
        }
    })?;
    crate::cli_outln!(
        "{}: {count} token(s) exported (password-protected)",
        file.display()
    );
    if !respelled.is_empty() {
        crate::cli_outln!(
            "  note: {} token(s) have user names that are not printable ASCII ({}); the file holds their ASCII spelling (accents dropped, characters without one left out), as job files do",
            respelled.len(),
            listed_serials(&respelled)
        );
    }
    Ok(())
}

/// The export password: from the flags, or typed twice on the terminal. Never empty.
fn export_password(source: &FilePasswordSource) -> Result<SecretString, CliError> {
    let password = if has_source(source) {
        secrets::file_password(source, "")?.unwrap_or_default()
    } else {
        let first = secrets::prompt("Password for the exported file: ")?.ok_or_else(|| {
            CliError::usage("no password: give --file-password-stdin or --file-password-file PATH")
        })?;
        let second = secrets::prompt("Repeat the password: ")?.unwrap_or_default();
        if first != second {
            return Err(CliError::failed(
                "the two passwords differ; nothing was exported",
            ));
        }
        first
    };
    if password.is_empty() {
        return Err(CliError::failed(
            "the exported file needs a non-empty password; nothing was exported",
        ));
    }
    Ok(password)
}
