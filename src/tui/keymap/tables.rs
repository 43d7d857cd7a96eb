//! The key tables, one per context. Each row: keys, action, words for help, footer word.

use super::{Action, Binding, bind, ch, ctrl, key};
use crossterm::event::KeyCode;

use Action::*;

const NEXT_FIELD: Binding = bind(&[key(KeyCode::Tab)], NextField, "next field", Some("field"));
const PREV_FIELD: Binding = bind(&[key(KeyCode::BackTab)], PrevField, "previous field", None);
const BACK: Binding = bind(
    &[key(KeyCode::Esc)],
    Back,
    "back to the previous step (keeps input)",
    Some("back"),
);

pub(super) static WIZARD_TEXT: &[Binding] = &[
    bind(
        &[key(KeyCode::Enter)],
        Next,
        "check this step and go to the next",
        Some("next"),
    ),
    BACK,
    bind(
        &[ctrl('r')],
        RestoreDefault,
        "restore the default value",
        None,
    ),
];

pub(super) static WIZARD_LIST: &[Binding] = &[
    bind(&[key(KeyCode::Up), ch('k')], Up, "move up", None),
    bind(&[key(KeyCode::Down), ch('j')], Down, "move down", None),
    bind(&[key(KeyCode::Home)], Home, "first entry", None),
    bind(&[key(KeyCode::End)], End, "last entry", None),
    bind(
        &[key(KeyCode::Enter)],
        Next,
        "choose and go to the next step",
        Some("next"),
    ),
    BACK,
];

pub(super) static WIZARD_PASSWORD: &[Binding] = &[
    NEXT_FIELD,
    PREV_FIELD,
    bind(
        &[key(KeyCode::Enter)],
        Next,
        "check and go to the next step",
        Some("next"),
    ),
    BACK,
];

pub(super) static SELECTION_TEXT: &[Binding] = &[
    NEXT_FIELD,
    PREV_FIELD,
    bind(
        &[key(KeyCode::Enter)],
        Next,
        "check and go to the review",
        Some("next"),
    ),
    BACK,
];

pub(super) static SELECTION_OTHER: &[Binding] = &[
    NEXT_FIELD,
    PREV_FIELD,
    bind(&[ch(' ')], Toggle, "toggle the checkbox", Some("toggle")),
    bind(
        &[key(KeyCode::Up), ch('k')],
        Up,
        "scroll the table up",
        None,
    ),
    bind(
        &[key(KeyCode::Down), ch('j')],
        Down,
        "scroll the table down",
        None,
    ),
    bind(&[key(KeyCode::PageUp)], PageUp, "page up", None),
    bind(&[key(KeyCode::PageDown)], PageDown, "page down", None),
    bind(&[key(KeyCode::Home)], Home, "first token", None),
    bind(&[key(KeyCode::End)], End, "last token", None),
    bind(
        &[key(KeyCode::Enter)],
        Next,
        "check and go to the review",
        Some("next"),
    ),
    BACK,
];

pub(super) static WIZARD_REVIEW: &[Binding] = &[
    bind(&[key(KeyCode::Enter)], Submit, "Submit Job", Some("submit")),
    bind(&[key(KeyCode::Up), ch('k')], Up, "scroll up", None),
    bind(&[key(KeyCode::Down), ch('j')], Down, "scroll down", None),
    bind(&[key(KeyCode::PageUp)], PageUp, "page up", None),
    bind(&[key(KeyCode::PageDown)], PageDown, "page down", None),
    bind(&[key(KeyCode::Home)], Home, "top", None),
    bind(&[key(KeyCode::End)], End, "bottom", None),
    BACK,
];

pub(super) static PROGRESS: &[Binding] = &[bind(
    &[ch('c')],
    CancelJob,
    "cancel the running job (asks first)",
    Some("cancel job"),
)];

pub(super) static FINISHED: &[Binding] = &[
    bind(
        &[key(KeyCode::Enter)],
        Open,
        "open the job in the Jobs view",
        Some("show in Jobs"),
    ),
    bind(&[ch('n')], NewJob, "start a new job", Some("new job")),
];

pub(super) static JOBS: &[Binding] = &[
    bind(
        &[key(KeyCode::Tab), key(KeyCode::Right), ch('l')],
        NextTab,
        "next tab",
        Some("next tab"),
    ),
    bind(
        &[key(KeyCode::BackTab), key(KeyCode::Left), ch('h')],
        PrevTab,
        "previous tab",
        None,
    ),
    bind(&[key(KeyCode::Up), ch('k')], Up, "move up", None),
    bind(&[key(KeyCode::Down), ch('j')], Down, "move down", None),
    bind(&[key(KeyCode::PageUp)], PageUp, "page up", None),
    bind(&[key(KeyCode::PageDown)], PageDown, "page down", None),
    bind(&[key(KeyCode::Home)], Home, "first job", None),
    bind(&[key(KeyCode::End)], End, "last job", None),
    bind(
        &[key(KeyCode::Enter)],
        Open,
        "actions for the job (details, download, delete)",
        Some("actions"),
    ),
];

pub(super) static TOKENS: &[Binding] = &[
    bind(
        &[ch('/')],
        Filter,
        "filter by serial or user",
        Some("filter"),
    ),
    bind(&[key(KeyCode::Esc)], Back, "clear the filter", None),
    bind(&[key(KeyCode::Up), ch('k')], Up, "move up", None),
    bind(&[key(KeyCode::Down), ch('j')], Down, "move down", None),
    bind(&[key(KeyCode::PageUp)], PageUp, "page up", None),
    bind(&[key(KeyCode::PageDown)], PageDown, "page down", None),
    bind(&[key(KeyCode::Home)], Home, "first token", None),
    bind(&[key(KeyCode::End)], End, "last token", None),
];

pub(super) static TOKENS_FILTER: &[Binding] = &[
    bind(
        &[key(KeyCode::Enter)],
        Close,
        "keep the filter and browse",
        Some("done"),
    ),
    bind(
        &[key(KeyCode::Esc)],
        Back,
        "clear the filter",
        Some("clear"),
    ),
];

pub(super) static MENU: &[Binding] = &[
    bind(&[key(KeyCode::Up), ch('k')], Up, "move up", None),
    bind(&[key(KeyCode::Down), ch('j')], Down, "move down", None),
    bind(
        &[key(KeyCode::Enter)],
        Open,
        "run the chosen action",
        Some("choose"),
    ),
    bind(
        &[key(KeyCode::Esc), ch('q')],
        Close,
        "close the menu",
        Some("close"),
    ),
];

pub(super) static CONFIRM: &[Binding] = &[
    bind(&[ch('y')], Yes, "yes", Some("yes")),
    bind(&[ch('n'), key(KeyCode::Esc)], No, "no", Some("no")),
];

pub(super) static PROMPT: &[Binding] = &[
    bind(
        &[key(KeyCode::Enter)],
        Open,
        "save to this path",
        Some("save"),
    ),
    bind(&[key(KeyCode::Esc)], Close, "cancel", Some("cancel")),
    bind(
        &[ctrl('r')],
        RestoreDefault,
        "restore the default path",
        None,
    ),
];

pub(super) static INFO: &[Binding] = &[
    bind(
        &[key(KeyCode::Enter), key(KeyCode::Esc), ch('q')],
        Close,
        "close",
        Some("close"),
    ),
    bind(&[key(KeyCode::Up), ch('k')], Up, "scroll up", None),
    bind(&[key(KeyCode::Down), ch('j')], Down, "scroll down", None),
];

pub(super) static HELP: &[Binding] = &[bind(
    &[key(KeyCode::Esc), key(KeyCode::Enter), ch('?'), ch('q')],
    Close,
    "close help",
    Some("close"),
)];

pub(super) static ALWAYS: &[Binding] = &[bind(
    &[ctrl('c')],
    Quit,
    "quit (asks first if work would be lost)",
    None,
)];

pub(super) static GLOBAL: &[Binding] = &[
    bind(
        &[key(KeyCode::F(1)), ch('?')],
        Help,
        "help: every key of this screen",
        Some("help"),
    ),
    bind(
        &[key(KeyCode::F(2))],
        GoWizard,
        "New job (wizard or running job)",
        None,
    ),
    bind(&[key(KeyCode::F(3))], GoJobs, "Jobs", None),
    bind(&[key(KeyCode::F(4))], GoTokens, "Tokens", None),
    bind(
        &[ch('q'), ctrl('c')],
        Quit,
        "quit (asks first if work would be lost)",
        Some("quit"),
    ),
];
