//! The key tables, one per context. Each row: keys, action, words for help, footer word.
//! Lists share their movement keys (k9s, lazygit and htop habits: j/k, g/G, Ctrl-D/Ctrl-U).

use super::{Action, Binding, alt, bind, ch, ctrl, key};
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
const UP: Binding = bind(&[key(KeyCode::Up), ch('k')], Up, "move up", None);
const DOWN: Binding = bind(&[key(KeyCode::Down), ch('j')], Down, "move down", None);
const PAGE_UP: Binding = bind(
    &[key(KeyCode::PageUp)],
    PageUp,
    "page up (the rows on screen)",
    None,
);
const PAGE_DOWN: Binding = bind(
    &[key(KeyCode::PageDown)],
    PageDown,
    "page down (the rows on screen)",
    None,
);
const HALF_UP: Binding = bind(&[ctrl('u')], HalfPageUp, "half a page up", None);
const HALF_DOWN: Binding = bind(&[ctrl('d')], HalfPageDown, "half a page down", None);
const HOME: Binding = bind(&[key(KeyCode::Home), ch('g')], Home, "first row", None);
const END: Binding = bind(&[key(KeyCode::End), ch('G')], End, "last row", None);
/// Help over a dialog (where `?` is not text).
const DIALOG_HELP: Binding = bind(
    &[key(KeyCode::F(1)), ch('?')],
    Help,
    "help: every key of this dialog",
    None,
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
    UP,
    DOWN,
    HOME,
    END,
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
    UP,
    DOWN,
    PAGE_UP,
    PAGE_DOWN,
    HALF_UP,
    HALF_DOWN,
    HOME,
    END,
    bind(
        &[key(KeyCode::Enter)],
        Next,
        "check and go to the review",
        Some("next"),
    ),
    BACK,
];

pub(super) static WIZARD_REVIEW: &[Binding] = &[
    bind(
        &[key(KeyCode::Enter)],
        Submit,
        "Submit Job (asks first when there are warnings)",
        Some("submit"),
    ),
    bind(
        &[ch(' ')],
        Toggle,
        "show or hide the serials of excluded tokens",
        Some("serials"),
    ),
    bind(&[key(KeyCode::Up), ch('k')], Up, "scroll up", None),
    bind(&[key(KeyCode::Down), ch('j')], Down, "scroll down", None),
    PAGE_UP,
    PAGE_DOWN,
    HALF_UP,
    HALF_DOWN,
    bind(&[key(KeyCode::Home), ch('g')], Home, "top", None),
    bind(&[key(KeyCode::End), ch('G')], End, "bottom", None),
    BACK,
];

pub(super) static PROGRESS: &[Binding] = &[bind(
    &[ch('c')],
    CancelJob,
    "cancel the running job (asks first)",
    Some("cancel job"),
)];

/// The run has ended and its end is being recorded: nothing to cancel yet nothing to open;
/// `c` says so instead of doing nothing.
pub(super) static RECORDING: &[Binding] = &[bind(
    &[ch('c')],
    CancelJob,
    "cancel: the run has ended, there is nothing left to cancel (says so)",
    None,
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
    UP,
    DOWN,
    PAGE_UP,
    PAGE_DOWN,
    HALF_UP,
    HALF_DOWN,
    HOME,
    END,
    bind(
        &[key(KeyCode::Enter)],
        Open,
        "actions for the job (details, download, delete)",
        Some("actions"),
    ),
    bind(
        &[ch('/')],
        Filter,
        "filter by name, profile or status",
        Some("filter"),
    ),
    bind(&[key(KeyCode::Esc)], Back, "clear the filter", None),
    bind(
        &[ch('c')],
        CancelJob,
        "cancel the running job (In progress; asks first)",
        None,
    ),
];

pub(super) static JOBS_FILTER: &[Binding] = &[
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

pub(super) static TOKENS: &[Binding] = &[
    bind(
        &[ch('/')],
        Filter,
        "filter by serial or user",
        Some("filter"),
    ),
    bind(&[key(KeyCode::Esc)], Back, "clear the filter", None),
    UP,
    DOWN,
    PAGE_UP,
    PAGE_DOWN,
    HALF_UP,
    HALF_DOWN,
    HOME,
    END,
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
    UP,
    DOWN,
    bind(&[key(KeyCode::Home), ch('g')], Home, "first action", None),
    bind(&[key(KeyCode::End), ch('G')], End, "last action", None),
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
    DIALOG_HELP,
];

pub(super) static CONFIRM: &[Binding] = &[
    bind(&[ch('y')], Yes, "yes", Some("yes")),
    bind(&[ch('n'), key(KeyCode::Esc)], No, "no", Some("no")),
    DIALOG_HELP,
];

pub(super) static PROMPT: &[Binding] = &[
    bind(
        &[key(KeyCode::Enter)],
        Open,
        "save to this path (~ is your home directory)",
        Some("save"),
    ),
    bind(&[key(KeyCode::Esc)], Close, "cancel", Some("cancel")),
    bind(
        &[ctrl('r')],
        RestoreDefault,
        "restore the configured default path",
        None,
    ),
    bind(
        &[key(KeyCode::F(1))],
        Help,
        "help: every key of this dialog",
        None,
    ),
];

pub(super) static DOWNLOADING: &[Binding] = &[
    bind(
        &[key(KeyCode::Esc), ch('c')],
        CancelJob,
        "cancel the download: nothing is saved, the job can be downloaded again",
        Some("cancel download"),
    ),
    bind(
        &[key(KeyCode::Enter)],
        Close,
        "hide: the download goes on, the header shows it; the job's menu shows it again",
        Some("hide"),
    ),
    bind(
        &[ch('q')],
        Quit,
        "quit (asks first: the download is cancelled)",
        None,
    ),
    DIALOG_HELP,
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
    PAGE_UP,
    PAGE_DOWN,
    bind(&[key(KeyCode::Home), ch('g')], Home, "top", None),
    bind(&[key(KeyCode::End), ch('G')], End, "bottom", None),
    DIALOG_HELP,
];

pub(super) static HELP: &[Binding] = &[
    bind(
        &[key(KeyCode::Esc), key(KeyCode::Enter), ch('?'), ch('q')],
        Close,
        "close help",
        Some("close"),
    ),
    bind(&[key(KeyCode::Up), ch('k')], Up, "scroll up", None),
    bind(&[key(KeyCode::Down), ch('j')], Down, "scroll down", None),
    PAGE_UP,
    PAGE_DOWN,
    bind(&[key(KeyCode::Home), ch('g')], Home, "top", None),
    bind(&[key(KeyCode::End), ch('G')], End, "bottom", None),
];

pub(super) static ADMIN_MENU: &[Binding] = &[
    UP,
    DOWN,
    bind(&[key(KeyCode::Home), ch('g')], Home, "first tool", None),
    bind(&[key(KeyCode::End), ch('G')], End, "last tool", None),
    bind(&[key(KeyCode::Enter)], Open, "open the tool", Some("open")),
];

pub(super) static ADMIN_FORM: &[Binding] = &[
    NEXT_FIELD,
    PREV_FIELD,
    bind(
        &[key(KeyCode::Enter)],
        Next,
        "check the fields and go on (nothing is changed before the review)",
        Some("go on"),
    ),
    bind(
        &[key(KeyCode::Esc)],
        Back,
        "back to the tools (typed secrets are cleared)",
        Some("back"),
    ),
];

pub(super) static ADMIN_REVIEW: &[Binding] = &[
    bind(
        &[key(KeyCode::Enter)],
        Submit,
        "apply what is listed (asks first)",
        Some("apply"),
    ),
    bind(&[key(KeyCode::Up), ch('k')], Up, "scroll up", None),
    bind(&[key(KeyCode::Down), ch('j')], Down, "scroll down", None),
    PAGE_UP,
    PAGE_DOWN,
    bind(&[key(KeyCode::Home), ch('g')], Home, "top", None),
    bind(&[key(KeyCode::End), ch('G')], End, "bottom", None),
    bind(
        &[key(KeyCode::Esc)],
        Back,
        "back to the form (keeps the input)",
        Some("back"),
    ),
];

/// Nothing but Ctrl-C (from ALWAYS), which says to wait.
pub(super) static ADMIN_BUSY: &[Binding] = &[];

pub(super) static ADMIN_DONE: &[Binding] = &[
    bind(
        &[key(KeyCode::Enter), key(KeyCode::Esc)],
        Close,
        "back to the tools",
        Some("close"),
    ),
    bind(&[key(KeyCode::Up), ch('k')], Up, "scroll up", None),
    bind(&[key(KeyCode::Down), ch('j')], Down, "scroll down", None),
    PAGE_UP,
    PAGE_DOWN,
    bind(&[key(KeyCode::Home), ch('g')], Home, "top", None),
    bind(&[key(KeyCode::End), ch('G')], End, "bottom", None),
];

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
        &[key(KeyCode::F(2)), ch('1'), alt('1')],
        GoWizard,
        "New job (wizard or running job)",
        None,
    ),
    bind(
        &[key(KeyCode::F(3)), ch('2'), alt('2')],
        GoJobs,
        "Jobs",
        None,
    ),
    bind(
        &[key(KeyCode::F(4)), ch('3'), alt('3')],
        GoTokens,
        "Tokens",
        None,
    ),
    bind(
        &[key(KeyCode::F(5)), ch('4'), alt('4')],
        GoAdmin,
        "Workspace tools (passphrase, retire, assign, check)",
        None,
    ),
    bind(
        &[ch('q'), ctrl('c')],
        Quit,
        "quit (asks first if work would be lost)",
        Some("quit"),
    ),
];
