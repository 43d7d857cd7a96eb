//! Workspace tools (F5): the operator's year in the full screen — change the passphrase,
//! retire tokens, give tokens to users from the directory or a list, check the workspace.
//!
//! Each tool is a form, then work on the backend's worker (the screen says what it is doing
//! and takes no keys meanwhile), then for the changes a review that must be confirmed, then a
//! result. The work is the library's, shared with the CLI ([`tasks`]). Pure update here; the
//! drawing is in [`view`].

pub mod form;
pub mod port;
pub mod tasks;
pub mod view;

use super::app::{ConfirmKind, Overlay, State};
use super::keymap::{Action, KeyContext};
use super::msg::Effect;
use crossterm::event::KeyEvent;
use form::{Field, Form};
use port::{
    AdminAnswer, AdminTask, AssignmentReview, DirectoryInfo, Refusal, RemovalReview, UsersFrom,
    fields,
};

/// The tools, in menu order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Passphrase,
    Retire,
    AssignDirectory,
    AssignList,
    Check,
}

impl Tool {
    pub const ALL: [Tool; 5] = [
        Tool::Passphrase,
        Tool::Retire,
        Tool::AssignDirectory,
        Tool::AssignList,
        Tool::Check,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Passphrase => "Change the passphrase",
            Self::Retire => "Retire tokens",
            Self::AssignDirectory => "Assign tokens to users from the directory",
            Self::AssignList => "Assign tokens to users from a list of logins",
            Self::Check => "Check the workspace",
        }
    }

    /// The command line doing the same, for scripts.
    pub fn command(self) -> &'static str {
        match self {
            Self::Passphrase => "tokendist passphrase",
            Self::Retire => "tokendist tokens remove",
            Self::AssignDirectory => "tokendist tokens assign --from-directory",
            Self::AssignList => "tokendist tokens assign --auto FILE",
            Self::Check => "tokendist check",
        }
    }

    /// True for the tools that change the workspace (refused while a job runs).
    pub fn changes_workspace(self) -> bool {
        self != Self::Check
    }

    fn form(self, directory: Option<&DirectoryInfo>) -> Form {
        Form::new(match self {
            Self::Passphrase => vec![
                Field::secret(fields::CURRENT),
                Field::secret(fields::NEW),
                Field::secret(fields::REPEAT),
            ],
            Self::Retire => vec![
                Field::text(fields::SERIALS),
                Field::check(fields::EXPIRED_ONLY),
            ],
            Self::AssignDirectory => {
                let mut list = vec![Field::text(fields::FILTER), Field::text(fields::KEY_SIZE)];
                if directory.is_some_and(|d| d.bind_dn.is_some() && d.password_file.is_none()) {
                    list.push(Field::secret(fields::BIND_PASSWORD));
                }
                list
            }
            Self::AssignList => vec![
                Field::text(fields::USER_LIST),
                Field::text(fields::KEY_SIZE),
            ],
            Self::Check => vec![Field::secret(fields::PASSPHRASE)],
        })
    }
}

/// A finished tool's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub ok: bool,
    pub lines: Vec<String>,
}

/// Where the open tool is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// The list of tools.
    Menu,
    Form,
    /// The worker is at it: what it is doing, in words.
    Working(String),
    ReviewRemoval(RemovalReview),
    ReviewAssignment(AssignmentReview),
    Done(Outcome),
}

/// The Workspace screen.
#[derive(Debug, Clone)]
pub struct AdminState {
    /// The menu's cursor.
    pub cursor: usize,
    /// The tool open (or last open: its plain fields are kept for the next time).
    pub tool: Tool,
    pub form: Form,
    pub phase: Phase,
    /// First line shown of a review or result.
    pub scroll: usize,
    /// The `[directory]` table, when configured.
    pub directory: Option<DirectoryInfo>,
    /// A line under the menu (why a tool cannot open now).
    pub notice: Option<String>,
}

impl Default for AdminState {
    fn default() -> Self {
        Self {
            cursor: 0,
            tool: Tool::Passphrase,
            form: Tool::Passphrase.form(None),
            phase: Phase::Menu,
            scroll: 0,
            directory: None,
            notice: None,
        }
    }
}

impl AdminState {
    /// True while the worker runs a task: the screen takes no keys.
    pub fn is_busy(&self) -> bool {
        matches!(self.phase, Phase::Working(_))
    }

    pub fn key_context(&self) -> KeyContext {
        match self.phase {
            Phase::Menu => KeyContext::AdminMenu,
            Phase::Form => KeyContext::AdminForm,
            Phase::Working(_) => KeyContext::AdminBusy,
            Phase::ReviewRemoval(_) | Phase::ReviewAssignment(_) => KeyContext::AdminReview,
            Phase::Done(_) => KeyContext::AdminDone,
        }
    }
}

/// The screen opened: the directory settings may have changed since.
pub fn loaded(state: &mut State, directory: Option<DirectoryInfo>) {
    state.admin.directory = directory;
}

pub fn on_action(state: &mut State, action: Action, page: usize) -> Vec<Effect> {
    // No clone of the phase: a review can hold a million serials.
    match &state.admin.phase {
        Phase::Menu => menu_action(state, action),
        Phase::Form => form_action(state, action),
        Phase::Working(_) => Vec::new(),
        Phase::ReviewRemoval(_) | Phase::ReviewAssignment(_) => review_action(state, action, page),
        Phase::Done(_) => {
            match action {
                Action::Close | Action::Back => {
                    state.admin.phase = Phase::Menu;
                    state.admin.scroll = 0;
                }
                movement => scroll(state, movement, page),
            }
            Vec::new()
        }
    }
}

fn scroll(state: &mut State, action: Action, page: usize) {
    let offset = &state.admin.scroll;
    let moved = match action {
        Action::Up => offset.saturating_sub(1),
        Action::Down => *offset + 1,
        Action::PageUp => offset.saturating_sub(page),
        Action::PageDown => *offset + page,
        Action::Home => 0,
        Action::End => usize::MAX,
        _ => *offset,
    };
    state.admin.scroll = moved.min(view::max_scroll(state));
}

fn menu_action(state: &mut State, action: Action) -> Vec<Effect> {
    let admin = &mut state.admin;
    match action {
        Action::Open => {
            let tool = Tool::ALL[admin.cursor.min(Tool::ALL.len() - 1)];
            open(state, tool);
        }
        movement => {
            super::list::move_cursor(&mut admin.cursor, movement, Tool::ALL.len(), 1);
            admin.notice = None;
        }
    }
    Vec::new()
}

/// Opens `tool`'s form (the plain fields of the last use kept; secrets never are).
pub fn open(state: &mut State, tool: Tool) {
    let job_running = state.job_running();
    let recording = state.recording();
    let admin = &mut state.admin;
    admin.cursor = Tool::ALL.iter().position(|t| *t == tool).unwrap_or(0);
    if recording {
        // Every tool reads or changes what the recording writes.
        admin.notice =
            Some("The last job's end is being recorded: the tools open once it is done.".into());
        return;
    }
    if tool.changes_workspace() && job_running {
        admin.notice = Some(
            "A job is running: the workspace changes once it has ended (Jobs › In progress)."
                .into(),
        );
        return;
    }
    if tool == Tool::AssignDirectory && admin.directory.is_none() {
        admin.notice = Some(format!(
            "{} has no [directory] table: add one (url, base_dn, …) to read users from LDAP.",
            crate::workspace::CONFIG_FILE
        ));
        return;
    }
    if admin.tool != tool || admin.form.fields.is_empty() {
        admin.form = tool.form(admin.directory.as_ref());
    }
    admin.form.wipe_secrets();
    admin.form.error = None;
    admin.form.focus = 0;
    admin.tool = tool;
    admin.notice = None;
    admin.scroll = 0;
    admin.phase = Phase::Form;
}

fn form_action(state: &mut State, action: Action) -> Vec<Effect> {
    let admin = &mut state.admin;
    match action {
        Action::NextField => admin.form.next_field(),
        Action::PrevField => admin.form.prev_field(),
        Action::Back => {
            admin.form.wipe_secrets();
            admin.form.error = None;
            admin.phase = Phase::Menu;
        }
        Action::Next => return submit(state),
        _ => {}
    }
    Vec::new()
}

pub fn on_text(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if state.admin.phase == Phase::Form {
        state.admin.form.on_key(key);
    }
    Vec::new()
}

pub fn on_paste(state: &mut State, text: &str) -> Vec<Effect> {
    if state.admin.phase == Phase::Form {
        state.admin.form.on_paste(text);
    }
    Vec::new()
}

/// Enter on a form: the checks that need no workspace, then the task (secrets leave the
/// state with it; a refusal here keeps those not at fault).
fn submit(state: &mut State) -> Vec<Effect> {
    let admin = &mut state.admin;
    let form = &mut admin.form;
    let task = match admin.tool {
        Tool::Passphrase => passphrase_task(form),
        Tool::Retire => retire_task(form),
        Tool::AssignDirectory | Tool::AssignList => assign_task(admin.tool, form),
        Tool::Check => match form.secret(fields::PASSPHRASE) {
            Some(passphrase) if !passphrase.is_empty() => Ok(AdminTask::Check { passphrase }),
            _ => Err(Refusal::new(
                Some(fields::PASSPHRASE),
                "type the passphrase: the check opens every sealed file with it",
            )),
        },
    };
    match task {
        Ok(task) => {
            form.wipe_secrets();
            admin.phase = Phase::Working(working_words(&task, admin.directory.as_ref()));
            form.error = None;
            vec![Effect::Admin(task)]
        }
        Err(refusal) => {
            // Refused before the worker: the secrets stay, except a refused new passphrase
            // and its repetition (which one was mistyped is not known: both are typed again).
            if matches!(refusal.field, Some(fields::NEW | fields::REPEAT)) {
                form.clear_secret(fields::NEW);
                form.clear_secret(fields::REPEAT);
            }
            form.refuse(refusal.field, refusal.message);
            Vec::new()
        }
    }
}

fn passphrase_task(form: &Form) -> Result<AdminTask, Refusal> {
    let secret = |label| form.secret(label).unwrap_or_default();
    let (current, new, repeat) = (
        secret(fields::CURRENT),
        secret(fields::NEW),
        secret(fields::REPEAT),
    );
    if current.is_empty() {
        return Err(Refusal::new(
            Some(fields::CURRENT),
            "type the passphrase that opens this workspace now",
        ));
    }
    use crate::secret_input::{NewPassphraseError, SHORT_PASSPHRASE, check_new_passphrase};
    match check_new_passphrase(&new, Some(&repeat), Some(&current)) {
        Ok(false) => Ok(AdminTask::ChangePassphrase { current, new }),
        Ok(true) => Err(Refusal::new(
            Some(fields::NEW),
            format!(
                "shorter than {SHORT_PASSPHRASE} characters; it is all that protects the token seeds at rest"
            ),
        )),
        Err(NewPassphraseError::Differ) => Err(Refusal::new(
            Some(fields::REPEAT),
            format!("{}; type both again", NewPassphraseError::Differ),
        )),
        Err(error) => Err(Refusal::new(Some(fields::NEW), error.to_string())),
    }
}

fn retire_task(form: &Form) -> Result<AdminTask, Refusal> {
    let ranges = super::wizard::selection::parse_ranges(&form.text(fields::SERIALS))
        .map_err(|why| Refusal::new(Some(fields::SERIALS), why))?;
    let expired_only = form.checked(fields::EXPIRED_ONLY);
    if ranges.is_empty() && !expired_only {
        return Err(Refusal::new(
            Some(fields::SERIALS),
            "name the tokens to remove (serials or FROM-TO ranges), or tick \"only expired\" for every expired token",
        ));
    }
    Ok(AdminTask::PlanRemoval {
        ranges,
        expired_only,
    })
}

fn assign_task(tool: Tool, form: &Form) -> Result<AdminTask, Refusal> {
    let key_size = match form.text(fields::KEY_SIZE).as_str() {
        "" => None,
        text => Some(
            text.parse::<u32>()
                .ok()
                .and_then(|bits| crate::token::KeySize::new(bits).ok())
                .ok_or_else(|| {
                    Refusal::new(
                        Some(fields::KEY_SIZE),
                        format!("{text:?} is not a key size: type 128 or 64, or leave it empty"),
                    )
                })?,
        ),
    };
    let users = if tool == Tool::AssignList {
        let path = form.text(fields::USER_LIST);
        if path.is_empty() {
            return Err(Refusal::new(
                Some(fields::USER_LIST),
                "type the path of a CSV file with a user_login column",
            ));
        }
        UsersFrom::List(path.into())
    } else {
        let filter = form.text(fields::FILTER);
        if !filter.is_empty() {
            crate::directory::settings::check_filter(&filter)
                .map_err(|why| Refusal::new(Some(fields::FILTER), why))?;
        }
        let bind_password = form.secret(fields::BIND_PASSWORD);
        if bind_password.as_ref().is_some_and(|p| p.is_empty()) {
            return Err(Refusal::new(
                Some(fields::BIND_PASSWORD),
                "type the bind password (an empty one would read the directory anonymously)",
            ));
        }
        UsersFrom::Directory {
            filter: (!filter.is_empty()).then_some(filter),
            bind_password,
        }
    };
    Ok(AdminTask::PlanAssignment { users, key_size })
}

fn working_words(task: &AdminTask, directory: Option<&DirectoryInfo>) -> String {
    match task {
        AdminTask::ChangePassphrase { .. } => {
            "Re-sealing… the inventory and every staged job key move to the new passphrase.".into()
        }
        AdminTask::PlanRemoval { .. } => "Reading the inventory…".into(),
        AdminTask::Remove(plan) => format!("Removing {} token(s)…", plan.serials.len()),
        AdminTask::PlanAssignment {
            users: UsersFrom::Directory { .. },
            ..
        } => format!(
            "Searching the directory at {}…",
            directory.map_or("the configured server", |d| d.url.as_str())
        ),
        AdminTask::PlanAssignment { .. } => "Reading the list of users…".into(),
        AdminTask::Assign(plan) => format!("Assigning {} token(s)…", plan.assign.len()),
        AdminTask::Check { .. } => "Checking every file of the workspace…".into(),
    }
}

fn review_action(state: &mut State, action: Action, page: usize) -> Vec<Effect> {
    let admin = &mut state.admin;
    match action {
        Action::Back => {
            admin.phase = Phase::Form;
            admin.scroll = 0;
        }
        Action::Submit => match &admin.phase {
            Phase::ReviewRemoval(review) => {
                state.overlay = Some(Overlay::Confirm {
                    question: format!(
                        "Remove {} token(s) from the inventory? Their seeds are deleted; only a backup brings them back.",
                        review.plan.serials.len()
                    ),
                    kind: ConfirmKind::Remove,
                });
            }
            Phase::ReviewAssignment(review) if review.plan.assign.is_empty() => {
                admin.phase = Phase::Done(Outcome {
                    ok: true,
                    lines: vec![
                        "Nothing to assign: every listed user already holds a token or was skipped."
                            .into(),
                    ],
                });
            }
            Phase::ReviewAssignment(review) => {
                state.overlay = Some(Overlay::Confirm {
                    question: format!(
                        "Assign {} token(s) as listed? All of them are saved at once, or none.",
                        review.plan.assign.len()
                    ),
                    kind: ConfirmKind::Assign,
                });
            }
            _ => {}
        },
        movement => scroll(state, movement, page),
    }
    Vec::new()
}

/// The confirmation said yes: the reviewed plan goes to the worker.
pub fn confirmed(state: &mut State, kind: &ConfirmKind) -> Vec<Effect> {
    let admin = &mut state.admin;
    let task = match (&admin.phase, kind) {
        (Phase::ReviewRemoval(review), ConfirmKind::Remove) => {
            AdminTask::Remove(review.plan.clone())
        }
        (Phase::ReviewAssignment(review), ConfirmKind::Assign) => {
            AdminTask::Assign(review.plan.clone())
        }
        _ => return Vec::new(),
    };
    admin.phase = Phase::Working(working_words(&task, admin.directory.as_ref()));
    admin.scroll = 0;
    vec![Effect::Admin(task)]
}

/// The worker's answer. An answer nobody waits for (the phase moved on) is dropped.
pub fn answered(state: &mut State, answer: AdminAnswer) -> Vec<Effect> {
    let admin = &mut state.admin;
    if !admin.is_busy() {
        return Vec::new();
    }
    let effects = if answer.changed_inventory() {
        vec![Effect::InventoryChanged]
    } else {
        Vec::new()
    };
    // A notice given while the tool was at work is answered now.
    admin.notice = None;
    admin.scroll = 0;
    admin.phase = match answer {
        AdminAnswer::PassphraseChanged(Ok(report)) => Phase::Done(Outcome {
            ok: true,
            lines: vec![
                format!(
                    "Passphrase changed: the inventory ({} token(s)) and {} staged job key(s) are sealed under the new passphrase.",
                    report.tokens, report.sealed_files
                ),
                "The old passphrase no longer opens this workspace; update any passphrase file that scripts use.".into(),
            ],
        }),
        AdminAnswer::RemovalPlanned(Ok(review)) if review.plan.is_empty() => Phase::Done(Outcome {
            ok: true,
            lines: vec!["No token matches; nothing was removed.".into()],
        }),
        AdminAnswer::RemovalPlanned(Ok(review)) => Phase::ReviewRemoval(review),
        AdminAnswer::Removed(Ok(removed)) => Phase::Done(Outcome {
            ok: true,
            lines: vec![
                format!("{removed} token(s) removed; {} remain.", state.workspace.tokens.saturating_sub(removed)),
                "The job history keeps its records of them.".into(),
            ],
        }),
        AdminAnswer::AssignmentPlanned(Ok(review)) => Phase::ReviewAssignment(review),
        AdminAnswer::Assigned(Ok(count)) => Phase::Done(Outcome {
            ok: true,
            lines: vec![
                format!("{count} token(s) assigned."),
                "Distribute them with a new job (F2): its review names each user.".into(),
            ],
        }),
        AdminAnswer::Checked(Ok(report)) => Phase::Done(view::check_outcome(&report)),
        AdminAnswer::Removed(Err(refusal)) | AdminAnswer::Assigned(Err(refusal)) => {
            Phase::Done(Outcome {
                ok: false,
                lines: vec![refusal.message],
            })
        }
        AdminAnswer::PassphraseChanged(Err(refusal))
        | AdminAnswer::RemovalPlanned(Err(refusal))
        | AdminAnswer::AssignmentPlanned(Err(refusal))
        | AdminAnswer::Checked(Err(refusal)) => {
            admin.form.refuse(refusal.field, refusal.message);
            Phase::Form
        }
    };
    effects
}
