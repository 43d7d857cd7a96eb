//! The distribution wizard: one panel per step, each in its own file (its keys and its view).
//! This file holds the wizard's state, the step order and the job specification built from it.

pub mod binding;
mod input;
pub mod name;
pub mod nickname;
pub mod panel;
pub mod password;
pub mod profile;
pub mod protection;
pub mod review;
pub mod selection;

pub use input::{LONG_CAPACITY, SecretInput, edit as input_edit, paste as input_paste};

use super::backend::{FieldIssue, ReviewSummary, SelectionPreview};
use super::keymap::KeyContext;
use super::msg::Effect;
use crate::jobs::{Binding, JobField, JobSpec, Protection, SelectionCriteria};
use crate::workspace::Profile;
use crossterm::event::KeyEvent;
use std::collections::HashSet;
use tui_input::Input;

/// The wizard's steps, in order. The password step only exists for protections that need one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Name,
    Profile,
    Binding,
    Nickname,
    Protection,
    Password,
    Selection,
    Review,
}

impl Step {
    pub fn title(self) -> &'static str {
        match self {
            Self::Name => "Job name",
            Self::Profile => "Software token profile",
            Self::Binding => "DeviceSerialNumber",
            Self::Nickname => "Nickname",
            Self::Protection => "Password protection",
            Self::Password => "Password",
            Self::Selection => "Token selection",
            Self::Review => "Review and submit",
        }
    }

    /// The specification fields this step edits: their validation messages show here.
    pub fn fields(self) -> &'static [JobField] {
        match self {
            Self::Name => &[JobField::Name],
            Self::Profile => &[JobField::Profile],
            Self::Binding => &[JobField::DeviceId],
            Self::Nickname => &[JobField::Nickname],
            Self::Protection => &[JobField::Protection],
            Self::Password => &[JobField::Password],
            Self::Selection => &[JobField::Selection],
            Self::Review => &[],
        }
    }
}

/// Which password box has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordFocus {
    Password,
    Confirm,
}

/// Which part of the selection panel has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectionFocus {
    Ranges,
    User,
    IncludeDistributed,
    Table,
}

/// The live count on the selection panel. Never a number that is not the answer to the
/// criteria on screen: while a count is out the panel says "counting…".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewState {
    /// A request is out (or none was made yet).
    Counting,
    /// The criteria cannot be counted; the message says why.
    Invalid(String),
    Ready(SelectionPreview),
}

impl PreviewState {
    pub fn ready(&self) -> Option<&SelectionPreview> {
        match self {
            Self::Ready(preview) => Some(preview),
            _ => None,
        }
    }
}

/// What the administrator has entered so far; Back never loses any of it.
#[derive(Debug, Clone)]
pub struct Wizard {
    pub step: Step,
    pub name: Input,
    pub default_name: String,
    /// Index into the profiles list.
    pub profile: usize,
    pub device_id: Input,
    pub nickname: Input,
    /// Index into [`Protection::ALL`].
    pub protection: usize,
    pub password: SecretInput,
    pub confirm: SecretInput,
    pub password_focus: PasswordFocus,
    pub ranges: Input,
    pub user: Input,
    pub include_distributed: bool,
    pub selection_focus: SelectionFocus,
    pub table_cursor: usize,
    pub preview: PreviewState,
    /// The newest preview request; answers to older ones are dropped.
    pub preview_generation: u64,
    /// Enter was pressed while counting: move on once the count says a token is left.
    pub advance_when_counted: bool,
    /// The review; `None` while the job is being prepared ("preparing…").
    pub review: Option<Result<ReviewSummary, Vec<FieldIssue>>>,
    /// The newest review request; answers to older ones are dropped.
    pub review_generation: u64,
    pub review_scroll: u16,
    /// The review lists the serials under each exclusion reason (Space).
    pub review_expanded: bool,
    /// The job engine's latest messages on the current input.
    pub issues: Vec<FieldIssue>,
    /// Steps whose messages are shown: edited, or Next tried.
    pub shown: HashSet<Step>,
    /// Steps where Next was tried.
    pub attempted: HashSet<Step>,
    /// Something was typed or chosen: quitting asks first.
    pub dirty: bool,
}

impl Wizard {
    pub fn new(default_name: String, profiles: &[Profile]) -> Self {
        let profile = profiles
            .iter()
            .position(Profile::is_distributable)
            .unwrap_or(0);
        let class_id = profiles
            .get(profile)
            .map(|p| p.device_class_id.clone())
            .unwrap_or_default();
        Self {
            step: Step::Name,
            name: Input::new(default_name.clone()),
            default_name,
            profile,
            device_id: Input::new(class_id),
            nickname: Input::default(),
            protection: 0,
            password: SecretInput::default(),
            confirm: SecretInput::default(),
            password_focus: PasswordFocus::Password,
            ranges: Input::default(),
            user: Input::default(),
            include_distributed: false,
            selection_focus: SelectionFocus::Ranges,
            table_cursor: 0,
            preview: PreviewState::Counting,
            preview_generation: 0,
            advance_when_counted: false,
            review: None,
            review_generation: 0,
            review_scroll: 0,
            review_expanded: false,
            issues: Vec::new(),
            shown: HashSet::new(),
            attempted: HashSet::new(),
            dirty: false,
        }
    }

    pub fn protection(&self) -> Protection {
        Protection::ALL[self.protection.min(Protection::ALL.len() - 1)]
    }

    /// The steps in effect for the current choices.
    pub fn steps(&self) -> Vec<Step> {
        use Step::*;
        [
            Name, Profile, Binding, Nickname, Protection, Password, Selection, Review,
        ]
        .into_iter()
        .filter(|s| *s != Password || self.protection().needs_password())
        .collect()
    }

    /// (1-based position, number of steps).
    pub fn position(&self) -> (usize, usize) {
        let steps = self.steps();
        let at = steps.iter().position(|s| *s == self.step).unwrap_or(0);
        (at + 1, steps.len())
    }

    pub fn next_step(&self) -> Option<Step> {
        let steps = self.steps();
        let at = steps.iter().position(|s| *s == self.step)?;
        steps.get(at + 1).copied()
    }

    pub fn previous_step(&self) -> Option<Step> {
        let steps = self.steps();
        let at = steps.iter().position(|s| *s == self.step)?;
        at.checked_sub(1).map(|i| steps[i])
    }

    pub fn chosen_profile<'a>(&self, profiles: &'a [Profile]) -> Option<&'a Profile> {
        profiles.get(self.profile)
    }

    /// The binding the DeviceSerialNumber field means: the profile's device-class id, or the
    /// one device typed in its place.
    pub fn binding(&self, profiles: &[Profile]) -> Binding {
        let text = self.device_id.value();
        match self.chosen_profile(profiles) {
            Some(p) if p.device_class_id == text => Binding::DeviceClass,
            _ => Binding::Device(text.to_owned()),
        }
    }

    /// The job as entered so far (ranges that do not parse are left out; see
    /// [`Wizard::local_issues`]).
    pub fn spec(&self, profiles: &[Profile]) -> JobSpec {
        let protection = self.protection();
        let nickname = self.nickname.value();
        let user = self.user.value().trim();
        JobSpec {
            name: self.name.value().to_owned(),
            profile: self
                .chosen_profile(profiles)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            binding: self.binding(profiles),
            nickname: (!nickname.is_empty()).then(|| nickname.to_owned()),
            protection,
            password: protection
                .needs_password()
                .then(|| self.password.secret().clone()),
            selection: SelectionCriteria {
                serial_ranges: selection::parse_ranges(self.ranges.value()).unwrap_or_default(),
                user_glob: (!user.is_empty()).then(|| user.to_owned()),
                include_distributed: self.include_distributed,
                ..SelectionCriteria::default()
            },
        }
    }

    /// Checks the wizard makes itself: a profile that cannot be chosen, the confirmation, an empty device id, range syntax.
    pub fn local_issues(&self, profiles: &[Profile]) -> Vec<FieldIssue> {
        let mut issues = Vec::new();
        if let Some(reason) = self
            .chosen_profile(profiles)
            .and_then(profile::not_selectable_reason)
        {
            let name = &profiles[self.profile].name;
            issues.push(FieldIssue::new(
                JobField::Profile,
                format!("profile {name:?} is {reason}"),
            ));
        }
        if self.device_id.value().is_empty() {
            issues.push(FieldIssue::new(
                JobField::DeviceId,
                "DeviceSerialNumber is empty: type the device's id, or press Ctrl-R for the profile's device-class id",
            ));
        }
        if self.protection().needs_password()
            && (self.confirm.char_len() > 0 || self.attempted.contains(&Step::Password))
            && self.password.secret() != self.confirm.secret()
        {
            issues.push(FieldIssue::new(
                JobField::Password,
                "the confirmation does not match the password",
            ));
        }
        if let Err(message) = selection::parse_ranges(self.ranges.value()) {
            issues.push(FieldIssue::new(JobField::Selection, message));
        }
        if self.step == Step::Selection {
            match &self.preview {
                PreviewState::Invalid(message) => {
                    issues.push(FieldIssue::new(JobField::Selection, message.clone()));
                }
                PreviewState::Ready(preview) if preview.selected_count == 0 => {
                    let message = if preview.matched() == 0 {
                        "token selection: no token in the inventory matches the serial ranges and user filter".to_owned()
                    } else {
                        format!(
                            "token selection: no token left to distribute: all {} matched tokens are excluded (reasons below)",
                            preview.matched()
                        )
                    };
                    issues.push(FieldIssue::new(JobField::Selection, message));
                }
                _ => {}
            }
        }
        issues
    }

    /// The messages to show on `step`: the wizard's own, then the job engine's.
    pub fn issues_for(&self, step: Step, profiles: &[Profile]) -> Vec<String> {
        if !self.shown.contains(&step) {
            return Vec::new();
        }
        let local = self.local_issues(profiles);
        // Where the wizard's own check already explains a field (an empty device id, a range
        // that does not parse), the engine's view of the same field would only repeat it.
        let explained = |field: JobField| {
            field != JobField::Password && local.iter().any(|issue| issue.field == field)
        };
        let engine = self.issues.iter().filter(|issue| !explained(issue.field));
        let mut messages: Vec<String> = Vec::new();
        for issue in local.iter().chain(engine) {
            if step.fields().contains(&issue.field) && !messages.contains(&issue.message) {
                messages.push(issue.message.clone());
            }
        }
        messages
    }

    pub fn key_context(&self) -> KeyContext {
        match self.step {
            Step::Name | Step::Binding | Step::Nickname => KeyContext::WizardText,
            Step::Profile | Step::Protection => KeyContext::WizardList,
            Step::Password => KeyContext::WizardPassword,
            Step::Selection => match self.selection_focus {
                SelectionFocus::Ranges | SelectionFocus::User => KeyContext::SelectionText,
                _ => KeyContext::SelectionOther,
            },
            Step::Review => KeyContext::WizardReview,
        }
    }

    /// A key typed into one of the step's plain text fields (`field` picks which): only a key
    /// that changed the value counts as an edit and rechecks the step.
    pub fn edit_text(
        &mut self,
        profiles: &[Profile],
        key: KeyEvent,
        field: impl FnOnce(&mut Self) -> &mut Input,
    ) -> Vec<Effect> {
        let changed = input::edit(field(self), key);
        self.edited_if(changed, profiles)
    }

    /// After a key in one of the step's fields: an edit only when it `changed` the value.
    pub fn edited_if(&mut self, changed: bool, profiles: &[Profile]) -> Vec<Effect> {
        if changed {
            self.edited(profiles)
        } else {
            Vec::new()
        }
    }

    /// After an edit on the current step: show its messages and ask the engine again.
    pub fn edited(&mut self, profiles: &[Profile]) -> Vec<Effect> {
        self.dirty = true;
        self.shown.insert(self.step);
        self.recheck(profiles)
    }

    /// Effects that refresh validation (and the live selection, on that step).
    pub fn recheck(&mut self, profiles: &[Profile]) -> Vec<Effect> {
        let spec = Box::new(self.spec(profiles));
        let mut effects = Vec::new();
        if self.step == Step::Selection {
            // A newer request makes every answer still out stale.
            self.preview_generation += 1;
            self.advance_when_counted = false;
            match selection::parse_ranges(self.ranges.value()) {
                // Criteria that do not parse are not counted: no figure is better than the
                // figure for "all serials".
                Err(message) => self.preview = PreviewState::Invalid(message),
                Ok(_) => {
                    self.preview = PreviewState::Counting;
                    effects.push(Effect::Preview {
                        spec: spec.clone(),
                        generation: self.preview_generation,
                    });
                }
            }
        }
        effects.push(Effect::Validate {
            spec,
            step: self.step,
            advance: false,
        });
        effects
    }

    /// Moves to `step` and asks for what that panel shows.
    pub fn enter(&mut self, step: Step, profiles: &[Profile]) -> Vec<Effect> {
        self.step = step;
        // Whatever step this is, a review still being prepared is no longer wanted.
        self.review_generation += 1;
        self.review = None;
        if step == Step::Review {
            self.review_scroll = 0;
            return vec![Effect::Review {
                spec: Box::new(self.spec(profiles)),
                generation: self.review_generation,
            }];
        }
        self.recheck(profiles)
    }

    /// Next: the engine checks the input; the answer moves on if this step is clean.
    pub fn try_next(&mut self, profiles: &[Profile]) -> Vec<Effect> {
        self.attempted.insert(self.step);
        self.shown.insert(self.step);
        vec![Effect::Validate {
            spec: Box::new(self.spec(profiles)),
            step: self.step,
            advance: true,
        }]
    }

    /// The engine's answer.
    pub fn validated(
        &mut self,
        issues: Vec<FieldIssue>,
        step: Step,
        advance: bool,
        profiles: &[Profile],
    ) -> Vec<Effect> {
        if step != self.step {
            // An answer about a step the administrator has left: nothing to show.
            return Vec::new();
        }
        self.issues = issues;
        if advance && self.step == Step::Selection && self.preview == PreviewState::Counting {
            // Whether a token is left is not known yet: decide when the count arrives.
            self.advance_when_counted = true;
            return Vec::new();
        }
        if advance
            && self.issues_for(self.step, profiles).is_empty()
            && let Some(next) = self.next_step()
        {
            return self.enter(next, profiles);
        }
        Vec::new()
    }

    /// The count for request `generation` arrived: shown if it answers the newest request,
    /// dropped otherwise. A pending Enter moves on now if a token is left.
    pub fn previewed(
        &mut self,
        generation: u64,
        result: Result<SelectionPreview, String>,
        profiles: &[Profile],
    ) -> Vec<Effect> {
        if generation != self.preview_generation || self.step != Step::Selection {
            return Vec::new();
        }
        self.preview = match result {
            Ok(preview) => {
                let last = preview.selected.len().saturating_sub(1);
                self.table_cursor = self.table_cursor.min(last);
                PreviewState::Ready(preview)
            }
            Err(message) => PreviewState::Invalid(message),
        };
        if std::mem::take(&mut self.advance_when_counted)
            && self.issues_for(self.step, profiles).is_empty()
            && let Some(next) = self.next_step()
        {
            return self.enter(next, profiles);
        }
        Vec::new()
    }

    /// The review for request `generation` arrived: shown if it answers the newest request
    /// and the review is still on screen, dropped otherwise (never a stale summary).
    pub fn reviewed(&mut self, generation: u64, result: Result<ReviewSummary, Vec<FieldIssue>>) {
        if generation == self.review_generation && self.step == Step::Review {
            self.review = Some(result);
        }
    }

    /// True while the review step waits for the job to be prepared.
    pub fn preparing(&self) -> bool {
        self.step == Step::Review && self.review.is_none()
    }

    /// Back: to the previous step, keeping everything typed.
    pub fn back(&mut self, profiles: &[Profile]) -> Vec<Effect> {
        match self.previous_step() {
            Some(previous) => self.enter(previous, profiles),
            None => Vec::new(),
        }
    }
}

/// Pasted text into the focused field of the current step: one edit, one recheck.
pub fn paste(wizard: &mut Wizard, profiles: &[Profile], text: &str) -> Vec<Effect> {
    let changed = match (wizard.step, wizard.selection_focus, wizard.password_focus) {
        (Step::Name, ..) => input::paste(&mut wizard.name, text),
        (Step::Binding, ..) => input::paste(&mut wizard.device_id, text),
        (Step::Nickname, ..) => input::paste(&mut wizard.nickname, text),
        (Step::Password, _, PasswordFocus::Password) => wizard.password.paste(text),
        (Step::Password, _, PasswordFocus::Confirm) => wizard.confirm.paste(text),
        (Step::Selection, SelectionFocus::Ranges, _) => input::paste(&mut wizard.ranges, text),
        (Step::Selection, SelectionFocus::User, _) => input::paste(&mut wizard.user, text),
        _ => false,
    };
    if changed && wizard.step == Step::Selection {
        wizard.table_cursor = 0;
    }
    wizard.edited_if(changed, profiles)
}

/// One-line description of a binding, for the binding panel and the review.
pub fn binding_words(binding: &Binding) -> String {
    match binding {
        Binding::DeviceClass => {
            "device class: any device of the profile's class may import".to_owned()
        }
        Binding::Device(id) => format!("one device: only device {id:?} may import"),
    }
}
