//! The work behind the workspace tools, on the open workspace: the same library operations the
//! CLI runs (`jobs::rekey`, `workspace::retire`, `workspace::auto_assign`, `directory`,
//! `jobs::check`). The real backend runs it on a worker thread; the test backend runs it on the
//! demo workspace. Never on the UI thread: a passphrase change derives keys for seconds, a
//! directory search waits on the network.

use super::port::{
    AdminAnswer, AdminTask, AssignmentReview, CheckReport, Refusal, RemovalReview, UsersFrom,
    fields,
};
use crate::directory::{self, DirectoryError};
use crate::secret::SecretString;
use crate::secret_input::NewPassphraseError;
use crate::token::KeySize;
use crate::workspace::auto_assign::{self, Candidate, PlanError, Skipped, UserSource};
use crate::workspace::retire;
use crate::workspace::{Workspace, WorkspaceError};

/// Tokens a removal review lists one by one (the counts cover the whole plan).
pub const REVIEW_ROWS: usize = 1000;

/// Runs `task` on `workspace`; `today` decides what has expired.
pub fn perform(workspace: &mut Workspace, task: AdminTask, today: time::Date) -> AdminAnswer {
    match task {
        AdminTask::ChangePassphrase { current, new } => {
            AdminAnswer::PassphraseChanged(change_passphrase(workspace, &current, &new))
        }
        AdminTask::PlanRemoval {
            ranges,
            expired_only,
        } => AdminAnswer::RemovalPlanned(
            retire::plan_removal(workspace.inventory(), &ranges, expired_only, today)
                .map(|plan| RemovalReview {
                    rows: retire::review_rows(workspace.inventory(), &plan, today, REVIEW_ROWS),
                    plan,
                })
                .map_err(|e| Refusal::new(Some(fields::SERIALS), e.to_string())),
        ),
        AdminTask::Remove(plan) => {
            AdminAnswer::Removed(retire::remove_planned(workspace, &plan).map_err(failed))
        }
        AdminTask::PlanAssignment { users, key_size } => AdminAnswer::AssignmentPlanned(
            read_users(workspace, users)
                .and_then(|read| plan_assignment(workspace, read, key_size, today)),
        ),
        AdminTask::Assign(plan) => {
            crate::crashpoint::reached("auto-assign.confirmed");
            AdminAnswer::Assigned(
                auto_assign::assign_planned(workspace, &plan, today).map_err(failed),
            )
        }
        AdminTask::Check { passphrase } => AdminAnswer::Checked(
            crate::jobs::check::check_whole(workspace.root(), &passphrase, true)
                .map(|checked| CheckReport {
                    findings: checked.findings,
                    tokens: checked.tokens,
                })
                .map_err(|error| match error {
                    WorkspaceError::WrongPassphrase { .. } => Refusal::new(
                        Some(fields::PASSPHRASE),
                        "wrong passphrase: it does not open this workspace",
                    ),
                    other => failed(other),
                }),
        ),
    }
}

fn failed(error: impl std::fmt::Display) -> Refusal {
    Refusal::new(None, error.to_string())
}

fn change_passphrase(
    workspace: &mut Workspace,
    current: &SecretString,
    new: &SecretString,
) -> Result<crate::workspace::rotate::RotationReport, Refusal> {
    if !workspace.accepts_passphrase(current) {
        return Err(Refusal::new(
            Some(fields::CURRENT),
            "wrong passphrase: it does not open this workspace; nothing was changed",
        ));
    }
    crate::secret_input::check_new_passphrase(new, None, Some(current)).map_err(|error| {
        let field = match error {
            NewPassphraseError::Differ => fields::REPEAT,
            NewPassphraseError::Empty | NewPassphraseError::Unchanged => fields::NEW,
        };
        Refusal::new(Some(field), format!("{error}; nothing was changed"))
    })?;
    crate::jobs::rekey::change_passphrase(workspace, new).map_err(|e| Refusal::new(None, e))
}

/// Users read for a plan: where from, who, who not (and why), what to warn about.
pub struct ReadUsers {
    pub source: UserSource,
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<Skipped>,
    pub warnings: Vec<String>,
}

/// Reads the users from the configured directory or from a CSV of logins.
pub fn read_users(workspace: &Workspace, users: UsersFrom) -> Result<ReadUsers, Refusal> {
    match users {
        UsersFrom::List(typed) => {
            // `~` and relative paths as the download prompt takes them.
            let path = crate::tui::download_path::absolute(
                &typed.display().to_string(),
                &crate::tui::download_path::RealFs,
            )
            .unwrap_or(typed);
            let bytes = std::fs::read(&path).map_err(|e| {
                Refusal::new(
                    Some(fields::USER_LIST),
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            let candidates = crate::workspace::user_list::parse_user_list(&bytes, &path)
                .map_err(|e| Refusal::new(Some(fields::USER_LIST), one_line(&e.to_string())))?;
            Ok(ReadUsers {
                source: UserSource::List {
                    file: path.display().to_string(),
                    users: candidates.len(),
                },
                candidates,
                skipped: Vec::new(),
                warnings: Vec::new(),
            })
        }
        UsersFrom::Directory {
            filter,
            bind_password,
        } => {
            let settings = workspace.config().directory.clone().ok_or_else(|| {
                Refusal::new(
                    None,
                    format!(
                        "{} has no [directory] table: add one (url, base_dn, …; see the commented example in the shipped tokendist.toml)",
                        crate::workspace::CONFIG_FILE
                    ),
                )
            })?;
            let filter = filter.unwrap_or_else(|| settings.filter.clone());
            directory::settings::check_filter(&filter)
                .map_err(|why| Refusal::new(Some(fields::FILTER), why))?;
            let mut warnings = Vec::new();
            if settings.password_crosses_in_clear() {
                warnings.push(format!(
                    "{} is plain LDAP: the bind password and the user data crossed the network unencrypted; use ldaps:// or starttls = true",
                    settings.url
                ));
            }
            let typed = bind_password.is_some();
            let password = match (&settings.bind_dn, bind_password) {
                (None, _) => None,
                (Some(_), Some(typed)) => Some(typed),
                (Some(bind_dn), None) => match &settings.bind_password_file {
                    Some(path) => {
                        let (password, warning) =
                            crate::secret_input::read_first_line_of_file_quietly(
                                path,
                                "the bind password",
                            )
                            .map_err(failed)?;
                        warnings.extend(warning);
                        Some(password)
                    }
                    None => {
                        return Err(Refusal::new(
                            Some(fields::BIND_PASSWORD),
                            format!("type the password of {bind_dn}"),
                        ));
                    }
                },
            };
            let read = directory::read_users(&settings, password.as_ref(), &filter);
            drop(password);
            let read = read.map_err(|error| {
                let field = match &error {
                    DirectoryError::Bind { .. } | DirectoryError::EmptyPassword { .. } if typed => {
                        Some(fields::BIND_PASSWORD)
                    }
                    _ => None,
                };
                Refusal::new(field, one_line(&error.to_string()))
            })?;
            Ok(ReadUsers {
                source: UserSource::Directory {
                    url: settings.url.clone(),
                    base_dn: settings.base_dn.clone(),
                    filter,
                    entries: read.entries,
                },
                candidates: read.candidates,
                skipped: read.skipped,
                warnings,
            })
        }
    }
}

/// The plan for users already read.
pub fn plan_assignment(
    workspace: &Workspace,
    read: ReadUsers,
    key_size: Option<KeySize>,
    today: time::Date,
) -> Result<AssignmentReview, Refusal> {
    let plan = auto_assign::plan(
        workspace.inventory(),
        read.candidates,
        read.skipped,
        key_size,
        today,
    )
    .map_err(|error| {
        let field = match error {
            PlanError::MixedKeySizes { .. } => Some(fields::KEY_SIZE),
            PlanError::NotEnoughTokens { .. } => None,
        };
        // The CLI's flag name means nothing on the form.
        let message = error.to_string().replace(
            "choose with --key-size 128 or --key-size 64",
            "type 128 or 64",
        );
        Refusal::new(field, message)
    })?;
    Ok(AssignmentReview {
        source: read.source,
        plan,
        warnings: read.warnings,
    })
}

/// Text from outside (the server, a file) on one line, without control characters.
pub fn one_line(text: &str) -> String {
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}
