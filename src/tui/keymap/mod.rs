//! Key bindings as data: one table per screen. The update looks keys up here, and the footer
//! and the help overlay are generated from the same tables, so they always agree.

mod tables;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tables::*;

/// What a key asks for. Screens interpret the actions that apply to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Next,
    Back,
    NextField,
    PrevField,
    Up,
    Down,
    PageUp,
    PageDown,
    HalfPageUp,
    HalfPageDown,
    Home,
    End,
    Toggle,
    RestoreDefault,
    Submit,
    Open,
    Filter,
    NextTab,
    PrevTab,
    CancelJob,
    NewJob,
    Yes,
    No,
    Close,
    Help,
    GoWizard,
    GoJobs,
    GoTokens,
    GoAdmin,
    Quit,
}

/// One key (code plus modifiers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn key(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

const fn alt(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::ALT,
    }
}

impl Key {
    /// True for a key that types a character: in a text field it is text, not a command.
    pub fn is_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && !self
                .mods
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    }

    fn matches(&self, event: &KeyEvent) -> bool {
        let mods = event.modifiers & !KeyModifiers::SHIFT;
        match (self.code, event.code) {
            // Shift-Tab arrives as BackTab, with or without the SHIFT flag.
            (KeyCode::BackTab, KeyCode::BackTab) => true,
            // Characters: the shift state is already in the character (`?`, `G`).
            (KeyCode::Char(a), KeyCode::Char(b)) => a == b && self.mods == mods,
            (a, b) => a == b && self.mods == (event.modifiers & !KeyModifiers::SHIFT),
        }
    }

    /// How the key is written in the footer and the help overlay.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::BackTab => "S-Tab".to_owned(),
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::Left => "←".to_owned(),
            KeyCode::Right => "→".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{}", base.to_uppercase())
        } else if self.mods.contains(KeyModifiers::ALT) {
            format!("Alt-{base}")
        } else {
            base
        }
    }
}

/// A row of a key table: the keys, what they do, and the words for help.
#[derive(Debug)]
pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    pub description: &'static str,
    /// The footer's short word for it (the main keys only); every binding is in the help.
    pub footer: Option<&'static str>,
}

const fn bind(
    keys: &'static [Key],
    action: Action,
    description: &'static str,
    footer: Option<&'static str>,
) -> Binding {
    Binding {
        keys,
        action,
        description,
        footer,
    }
}

/// Which table applies: the focused screen, panel or dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyContext {
    /// A wizard step whose focus is a one-line text field (name, device id, nickname).
    WizardText,
    /// A wizard step that is a list to choose from (profile, protection).
    WizardList,
    WizardPassword,
    /// Selection criteria, focus in one of its text fields.
    SelectionText,
    /// Selection criteria, focus on the checkbox or the table.
    SelectionOther,
    WizardReview,
    Progress,
    /// The job's panel while its end is being recorded.
    Recording,
    /// The job's panel once it has ended.
    Finished,
    Jobs,
    JobsFilter,
    Tokens,
    TokensFilter,
    Menu,
    Confirm,
    Prompt,
    /// The download under way.
    Downloading,
    Info,
    Help,
    /// Workspace tools: the list of tools.
    AdminMenu,
    /// A tool's form (text, masked and checkbox fields).
    AdminForm,
    /// A tool's review before it changes anything.
    AdminReview,
    /// A tool's task at work: no keys but Ctrl-C (which waits for it).
    AdminBusy,
    /// A tool's result.
    AdminDone,
}

impl KeyContext {
    /// Plain characters go to the text field instead of being commands.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Self::WizardText
                | Self::WizardPassword
                | Self::SelectionText
                | Self::TokensFilter
                | Self::JobsFilter
                | Self::Prompt
                | Self::AdminForm
        )
    }

    /// Dialogs take only their own keys (and Ctrl-C).
    pub fn is_modal(self) -> bool {
        matches!(
            self,
            Self::Menu
                | Self::Confirm
                | Self::Prompt
                | Self::Downloading
                | Self::Info
                | Self::Help
                | Self::AdminBusy
        )
    }

    /// The screen's own table.
    pub fn table(self) -> &'static [Binding] {
        match self {
            Self::WizardText => WIZARD_TEXT,
            Self::WizardList => WIZARD_LIST,
            Self::WizardPassword => WIZARD_PASSWORD,
            Self::SelectionText => SELECTION_TEXT,
            Self::SelectionOther => SELECTION_OTHER,
            Self::WizardReview => WIZARD_REVIEW,
            Self::Progress => PROGRESS,
            Self::Recording => RECORDING,
            Self::Finished => FINISHED,
            Self::Jobs => JOBS,
            Self::Tokens => TOKENS,
            Self::TokensFilter => TOKENS_FILTER,
            Self::JobsFilter => JOBS_FILTER,
            Self::Menu => MENU,
            Self::Confirm => CONFIRM,
            Self::Prompt => PROMPT,
            Self::Downloading => DOWNLOADING,
            Self::Info => INFO,
            Self::Help => HELP,
            Self::AdminMenu => ADMIN_MENU,
            Self::AdminForm => ADMIN_FORM,
            Self::AdminReview => ADMIN_REVIEW,
            Self::AdminBusy => ADMIN_BUSY,
            Self::AdminDone => ADMIN_DONE,
        }
    }

    /// Every binding in effect here: the screen's table, then the global keys that apply.
    pub fn bindings(self) -> Vec<&'static Binding> {
        let mut all: Vec<&'static Binding> = self.table().iter().collect();
        let global: &'static [Binding] = if self.is_modal() { ALWAYS } else { GLOBAL };
        for binding in global {
            let keys_left = binding
                .keys
                .iter()
                .any(|k| !(self.is_text() && k.is_text()));
            if keys_left {
                all.push(binding);
            }
        }
        all
    }

    /// The keys of `binding` that work here, written for the footer and help: in a text field
    /// the character keys are left out, because there they type text.
    pub fn keys_label(self, binding: &Binding) -> String {
        binding
            .keys
            .iter()
            .filter(|k| !(self.is_text() && k.is_text()))
            .map(Key::label)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The action bound to `event` here, if any. In a text context a typed character is
    /// always text.
    pub fn action_for(self, event: &KeyEvent) -> Option<Action> {
        let typed = Key {
            code: event.code,
            mods: event.modifiers & !KeyModifiers::SHIFT,
        };
        if self.is_text() && typed.is_text() {
            return None;
        }
        self.bindings()
            .into_iter()
            .find(|b| b.keys.iter().any(|k| k.matches(event)))
            .map(|b| b.action)
    }
}

/// The keys written for a global action ("1/F2", …), for the screen tabs in the header: the
/// digit first (F-keys do not pass every SSH client and console), then the F-key.
pub fn global_key_label(action: Action) -> String {
    GLOBAL
        .iter()
        .find(|b| b.action == action)
        .map(|b| {
            let mut keys: Vec<String> = b.keys.iter().take(2).map(Key::label).collect();
            keys.reverse();
            keys.join("/")
        })
        .unwrap_or_default()
}

/// Every context, for the generated key map in the docs.
pub const ALL_CONTEXTS: [(KeyContext, &str); 24] = [
    (
        KeyContext::WizardText,
        "Wizard: text steps (name, DeviceSerialNumber, nickname)",
    ),
    (
        KeyContext::WizardList,
        "Wizard: list steps (profile, protection)",
    ),
    (
        KeyContext::WizardPassword,
        "Wizard: password and confirmation",
    ),
    (
        KeyContext::SelectionText,
        "Wizard: selection, in a text field",
    ),
    (
        KeyContext::SelectionOther,
        "Wizard: selection, on the checkbox or the table",
    ),
    (KeyContext::WizardReview, "Wizard: review"),
    (KeyContext::Progress, "Job progress (running)"),
    (KeyContext::Recording, "Job progress (recording its end)"),
    (KeyContext::Finished, "Job progress (ended)"),
    (KeyContext::Jobs, "Jobs"),
    (KeyContext::JobsFilter, "Jobs: typing a filter"),
    (KeyContext::Tokens, "Tokens"),
    (KeyContext::TokensFilter, "Tokens: typing a filter"),
    (KeyContext::Menu, "Job actions menu"),
    (KeyContext::Confirm, "Confirmation"),
    (KeyContext::Prompt, "Download path"),
    (KeyContext::Downloading, "Download under way"),
    (KeyContext::Info, "Details and messages"),
    (KeyContext::Help, "Help"),
    (KeyContext::AdminMenu, "Workspace tools"),
    (
        KeyContext::AdminForm,
        "Workspace tools: a form (passphrase, serials, filter, …)",
    ),
    (KeyContext::AdminReview, "Workspace tools: the review"),
    (KeyContext::AdminBusy, "Workspace tools: at work"),
    (KeyContext::AdminDone, "Workspace tools: the result"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn q_is_text_in_a_text_field_and_quit_elsewhere() {
        let q = press(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(KeyContext::WizardText.action_for(&q), None);
        assert_eq!(KeyContext::WizardList.action_for(&q), Some(Quit));
        let ctrl_c = press(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(KeyContext::WizardText.action_for(&ctrl_c), Some(Quit));
        assert_eq!(KeyContext::Confirm.action_for(&ctrl_c), Some(Quit));
    }

    #[test]
    fn shift_tab_and_shifted_characters_match() {
        let back_tab = press(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(
            KeyContext::SelectionOther.action_for(&back_tab),
            Some(PrevField)
        );
        let question = press(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(KeyContext::Jobs.action_for(&question), Some(Help));
    }

    #[test]
    fn text_contexts_do_not_advertise_character_keys() {
        for (context, _) in ALL_CONTEXTS {
            if context.is_text() {
                for binding in context.bindings() {
                    assert!(binding.keys.iter().any(|k| !k.is_text()), "{context:?}");
                }
            }
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for (context, _) in ALL_CONTEXTS {
            let bindings = context.bindings();
            let keys: Vec<Key> = bindings
                .iter()
                .flat_map(|b| b.keys.iter().copied())
                .collect();
            for (i, a) in keys.iter().enumerate() {
                // Ctrl-C may appear in both the quit binding and ALWAYS only in modals.
                for b in &keys[i + 1..] {
                    assert!(!(a == b), "{context:?}: {} bound twice", a.label());
                }
            }
        }
    }
}
