//! `tokens assign --from-directory` and `tokens assign --auto users.csv`: read the users, plan
//! who gets which free token, show the plan for review (or print it as JSON), ask, then save
//! the whole assignment in one atomic inventory update.

use crate::cli::sdtid_cmd::printable;
use crate::cli::table::{width, write_row};
use crate::cli::workspace_cmd::open_workspace;
use crate::cli::{AssignArgs, CliError, GlobalArgs, secrets};
use crate::directory::{self, DirectorySettings};
use crate::secret::SecretString;
use crate::token::KeySize;
use crate::workspace::auto_assign::{
    self, AssignmentPlan, Candidate, Skipped, UserSource as Source,
};
use crate::workspace::user_list::parse_user_list;
use serde::Serialize;
use std::io::{IsTerminal, Write};

#[derive(Serialize)]
struct JsonPlan<'a> {
    source: &'a Source,
    #[serde(flatten)]
    plan: &'a AssignmentPlan,
    applied: bool,
}

pub fn run(global: &GlobalArgs, args: &AssignArgs) -> Result<(), CliError> {
    let key_size = args
        .key_size
        .map(|bits| KeySize::new(bits).map_err(CliError::usage))
        .transpose()?;
    if let Some(filter) = &args.filter {
        directory::settings::check_filter(filter)
            .map_err(|why| CliError::usage(format!("--filter {}", printable(&why))))?;
    }
    // The user list is read before the passphrase is asked for, so a typo costs nothing.
    let listed = match &args.auto {
        Some(path) => {
            let bytes = std::fs::read(path)
                .map_err(|e| CliError::failed(format!("cannot read {}: {e}", path.display())))?;
            Some((
                path,
                parse_user_list(&bytes, path)
                    .map_err(|e| CliError::failed(printable(&e.to_string())))?,
            ))
        }
        None => None,
    };
    let mut workspace = open_workspace(global)?;
    let (source, candidates, rejected) = match listed {
        Some((path, users)) => (
            Source::List {
                file: path.display().to_string(),
                users: users.len(),
            },
            users,
            Vec::new(),
        ),
        None => {
            let settings = workspace.config().directory.clone().ok_or_else(|| {
                CliError::failed(format!(
                    "{} has no [directory] table: add one (url, base_dn, …; see the commented example in the shipped tokendist.toml)",
                    workspace.root().join(crate::workspace::CONFIG_FILE).display()
                ))
            })?;
            read_directory(&settings, args)?
        }
    };
    let today = time::OffsetDateTime::now_utc().date();
    let plan = auto_assign::plan(workspace.inventory(), candidates, rejected, key_size, today)
        .map_err(CliError::failed)?;

    let dry_run = args.json && !args.yes;
    if !args.json {
        print_review(&source, &plan).map_err(write_error)?;
    }
    if plan.assign.is_empty() {
        if args.json {
            print_json(&source, &plan, false)?;
        } else {
            crate::cli_outln!(
                "Nothing to assign: every listed user already holds a token or was skipped."
            );
        }
        return Ok(());
    }
    if dry_run {
        return print_json(&source, &plan, false);
    }
    if !args.yes {
        confirm(plan.assign.len())?;
    }
    crate::crashpoint::reached("auto-assign.confirmed");
    let count =
        auto_assign::assign_planned(&mut workspace, &plan, today).map_err(CliError::failed)?;
    if args.json {
        print_json(&source, &plan, true)
    } else {
        crate::cli_outln!(
            "{count} token(s) assigned. Distribute them with `tokendist jobs submit` (the review there names each user)."
        );
        Ok(())
    }
}

/// Binds, searches, and turns the entries into users (or reasons they cannot be).
fn read_directory(
    settings: &DirectorySettings,
    args: &AssignArgs,
) -> Result<(Source, Vec<Candidate>, Vec<Skipped>), CliError> {
    let filter = args
        .filter
        .clone()
        .unwrap_or_else(|| settings.filter.clone());
    if settings.password_crosses_in_clear() {
        eprintln!(
            "tokendist: warning: {} is plain LDAP: the bind password and the user data cross the network unencrypted; use ldaps:// or starttls = true",
            settings.url
        );
    }
    let password = bind_password(settings, args)?;
    if std::io::stderr().is_terminal() {
        eprintln!("Reading users from {} …", settings.url);
    }
    let users = directory::read_users(settings, password.as_ref(), &filter)
        .map_err(|e| CliError::failed(printable(&e.to_string())))?;
    let source = Source::Directory {
        url: settings.url.clone(),
        base_dn: settings.base_dn.clone(),
        filter,
        entries: users.entries,
    };
    let (candidates, skipped) = (users.candidates, users.skipped);
    Ok((source, candidates, skipped))
}

/// The bind password: `--bind-password-stdin`, `--bind-password-file`, the configured
/// `bind_password_file`, or a prompt. `None` for an anonymous bind.
fn bind_password(
    settings: &DirectorySettings,
    args: &AssignArgs,
) -> Result<Option<SecretString>, CliError> {
    let Some(bind_dn) = &settings.bind_dn else {
        return Ok(None);
    };
    let what = "the bind password";
    if args.bind_password_stdin {
        return crate::secret_input::read_first_line_of_stdin(what)
            .map(Some)
            .map_err(CliError::from);
    }
    if let Some(path) = args
        .bind_password_file
        .as_ref()
        .or(settings.bind_password_file.as_ref())
    {
        return secrets::read_first_line_of_file(path, what)
            .map(Some)
            .map_err(CliError::from);
    }
    let label = format!("Bind password for {}: ", printable(bind_dn));
    secrets::prompt(&label)?.map(Some).ok_or_else(|| {
        CliError::usage(
            "no bind password: give --bind-password-file PATH or --bind-password-stdin, or set directory.bind_password_file (no terminal to prompt on)",
        )
    })
}

fn confirm(count: usize) -> Result<(), CliError> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(CliError::failed(
            "no terminal to confirm on: review the plan (--json prints it) and rerun with --yes; nothing was assigned",
        ));
    }
    eprint!("Assign {count} token(s) as listed above? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(CliError::failed)?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(())
    } else {
        Err(CliError::failed("nothing was assigned (not confirmed)"))
    }
}

fn write_error(error: std::io::Error) -> CliError {
    CliError::failed(format!("cannot write the review: {error}"))
}

fn print_json(source: &Source, plan: &AssignmentPlan, applied: bool) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(
        &mut out,
        &JsonPlan {
            source,
            plan,
            applied,
        },
    )
    .map_err(|e| CliError::failed(format!("cannot write the plan: {e}")))?;
    writeln!(out).map_err(write_error)
}

/// The review: where the users came from, who gets which token (with the spelling token files
/// will carry), who already holds one, and what was skipped. Directory text is escaped.
fn print_review(source: &Source, plan: &AssignmentPlan) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match source {
        Source::Directory {
            url,
            base_dn,
            filter,
            entries,
        } => writeln!(
            out,
            "Directory {url}: {entries} entr{} under {} matching {}",
            if *entries == 1 { "y" } else { "ies" },
            printable(base_dn),
            printable(filter)
        )?,
        Source::List { file, users } => {
            writeln!(out, "{}: {users} user(s) listed", printable(file))?
        }
    }
    writeln!(
        out,
        "{} user(s) get a {}-bit token ({} free now, {} after)",
        plan.assign.len(),
        plan.key_size,
        plan.free_tokens,
        plan.free_tokens - plan.assign.len()
    )?;
    if !plan.assign.is_empty() {
        let header = [
            "SERIAL",
            "LOGIN",
            "FIRST NAME",
            "LAST NAME",
            "IN TOKEN FILES",
        ];
        let rows: Vec<[String; 5]> = plan
            .assign
            .iter()
            .map(|a| {
                let in_files = if a.has_unwritable_name() {
                    "(no ASCII spelling: jobs will skip it)".to_owned()
                } else if a.is_folded() {
                    format!(
                        "{} {}",
                        a.first_name_in_files.as_deref().unwrap_or_default(),
                        a.last_name_in_files.as_deref().unwrap_or_default()
                    )
                    .trim()
                    .to_owned()
                } else {
                    "(as shown)".to_owned()
                };
                [
                    a.serial.to_string(),
                    printable(&a.login),
                    printable(&a.first_name),
                    printable(&a.last_name),
                    in_files,
                ]
            })
            .collect();
        let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        write!(out, "  ")?;
        write_row(&mut out, &widths, &header)?;
        for row in &rows {
            write!(out, "  ")?;
            write_row(&mut out, &widths, row)?;
        }
    }
    if !plan.already_holding.is_empty() {
        writeln!(
            out,
            "{} user(s) already hold a token (not changed):",
            plan.already_holding.len()
        )?;
        for holder in &plan.already_holding {
            let serials: Vec<String> = holder.serials.iter().map(ToString::to_string).collect();
            writeln!(
                out,
                "  {}  {}{}",
                printable(&holder.login),
                serials.join(" "),
                if holder.only_expired {
                    "  (all expired: unassign them to have a new token given)"
                } else {
                    ""
                }
            )?;
        }
    }
    if !plan.skipped.is_empty() {
        writeln!(
            out,
            "{} entr{} skipped:",
            plan.skipped.len(),
            if plan.skipped.len() == 1 { "y" } else { "ies" }
        )?;
        for skipped in &plan.skipped {
            writeln!(
                out,
                "  {}: {}",
                printable(&skipped.source),
                printable(&skipped.reason)
            )?;
        }
    }
    out.flush()
}
