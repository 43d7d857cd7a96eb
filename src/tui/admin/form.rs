//! A small form: one-line fields (plain text, masked secrets, checkboxes), Tab between them,
//! and one error line that names the field it is about.

use crate::secret::SecretString;
use crate::tui::theme::Theme;
use crate::tui::wizard::SecretInput;
use crate::tui::wizard::panel::{field_line, text_field};
use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use tui_input::Input;

/// What a field holds.
#[derive(Debug, Clone)]
pub enum Value {
    Text(Input),
    /// Drawn only as mask characters; wiped when replaced, cleared or dropped.
    Secret(SecretInput),
    Check(bool),
}

#[derive(Debug, Clone)]
pub struct Field {
    pub label: &'static str,
    pub value: Value,
}

impl Field {
    pub fn text(label: &'static str) -> Self {
        Self {
            label,
            value: Value::Text(Input::default()),
        }
    }
    pub fn secret(label: &'static str) -> Self {
        Self {
            label,
            value: Value::Secret(SecretInput::with_capacity(
                crate::tui::wizard::LONG_CAPACITY,
            )),
        }
    }
    pub fn check(label: &'static str) -> Self {
        Self {
            label,
            value: Value::Check(false),
        }
    }
}

/// The fields, which one has the focus, and the one error shown.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub fields: Vec<Field>,
    pub focus: usize,
    /// (field label, message); `None` as label for an error about no one field.
    pub error: Option<(Option<&'static str>, String)>,
}

impl Form {
    pub fn new(fields: Vec<Field>) -> Self {
        Self {
            fields,
            focus: 0,
            error: None,
        }
    }

    pub fn next_field(&mut self) {
        self.focus = (self.focus + 1) % self.fields.len().max(1);
    }

    pub fn prev_field(&mut self) {
        let len = self.fields.len().max(1);
        self.focus = (self.focus + len - 1) % len;
    }

    fn field(&self, label: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.label == label)
    }

    /// The trimmed text of a plain field ("" when there is no such field).
    pub fn text(&self, label: &str) -> String {
        match self.field(label).map(|f| &f.value) {
            Some(Value::Text(input)) => input.value().trim().to_owned(),
            _ => String::new(),
        }
    }

    /// A copy of a secret field's text (`None` when there is no such field).
    pub fn secret(&self, label: &str) -> Option<SecretString> {
        match self.field(label).map(|f| &f.value) {
            Some(Value::Secret(input)) => Some(input.secret().clone()),
            _ => None,
        }
    }

    pub fn has(&self, label: &str) -> bool {
        self.field(label).is_some()
    }

    pub fn checked(&self, label: &str) -> bool {
        matches!(
            self.field(label).map(|f| &f.value),
            Some(Value::Check(true))
        )
    }

    /// Clears every secret field: once handed to the worker they are not kept.
    pub fn wipe_secrets(&mut self) {
        for field in &mut self.fields {
            if let Value::Secret(input) = &mut field.value {
                input.clear();
            }
        }
    }

    /// Clears one secret field (a refused passphrase, and its repetition, are typed again).
    pub fn clear_secret(&mut self, label: &str) {
        if let Some(Field {
            value: Value::Secret(input),
            ..
        }) = self.fields.iter_mut().find(|f| f.label == label)
        {
            input.clear();
        }
    }

    /// Shows `message` about `field` and puts the focus where typing has to start again: the
    /// first empty secret field up to `field` (a secret handed to the worker is gone, so after a
    /// wrong bind password or a mismatched repetition the cursor is not left below an empty
    /// field), else `field` itself.
    pub fn refuse(&mut self, field: Option<&'static str>, message: impl Into<String>) {
        if let Some(at) = field.and_then(|label| self.fields.iter().position(|f| f.label == label))
        {
            self.focus = self.fields[..=at]
                .iter()
                .position(|f| matches!(&f.value, Value::Secret(input) if input.char_len() == 0))
                .unwrap_or(at);
        }
        self.error = Some((field, message.into()));
    }

    /// A typed key for the focused field; true when it changed. Space ticks a checkbox.
    pub fn on_key(&mut self, key: KeyEvent) -> bool {
        let Some(field) = self.fields.get_mut(self.focus) else {
            return false;
        };
        let changed = match &mut field.value {
            Value::Text(input) => crate::tui::wizard::input_edit(input, key),
            Value::Secret(input) => input.edit(key),
            Value::Check(checked) => {
                if key.code == KeyCode::Char(' ') {
                    *checked = !*checked;
                    true
                } else {
                    false
                }
            }
        };
        if changed {
            self.error = None;
        }
        changed
    }

    pub fn on_paste(&mut self, text: &str) -> bool {
        let Some(field) = self.fields.get_mut(self.focus) else {
            return false;
        };
        let changed = match &mut field.value {
            Value::Text(input) => crate::tui::wizard::input_paste(input, text),
            Value::Secret(input) => input.paste(text),
            Value::Check(_) => false,
        };
        if changed {
            self.error = None;
        }
        changed
    }

    /// Rows the form takes: a field per row with a blank row between, then the error.
    pub fn height(&self) -> u16 {
        (self.fields.len() * 2 + 1) as u16
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        for (at, field) in self.fields.iter().enumerate() {
            let y = area.y + (at * 2) as u16;
            if y >= area.bottom() {
                break;
            }
            let row = Rect::new(area.x, y, area.width, 1);
            let focused = at == self.focus;
            match &field.value {
                Value::Text(input) => text_field(frame, row, field.label, input, focused, theme),
                Value::Secret(input) => {
                    field_line(frame, row, field.label, &input.masked(), focused, theme);
                    if focused {
                        let x = area.x
                            + crate::tui::wizard::panel::LABEL_WIDTH
                            + input.char_len().min(usize::from(area.width)) as u16;
                        frame.set_cursor_position((x.min(area.right().saturating_sub(1)), y));
                    }
                }
                Value::Check(checked) => {
                    let mark = if *checked { "[x]" } else { "[ ]" };
                    field_line(frame, row, field.label, mark, focused, theme);
                }
            }
        }
        if let Some((field, message)) = &self.error {
            let y = area.y + (self.fields.len() * 2) as u16;
            if y < area.bottom() {
                let text = match field {
                    Some(label) => format!("✗ {label}: {message}"),
                    None => format!("✗ {message}"),
                };
                let rect = Rect::new(area.x, y, area.width, area.bottom() - y);
                frame.render_widget(
                    Paragraph::new(Line::from(Span::styled(text, theme.error())))
                        .wrap(Wrap { trim: true }),
                    rect,
                );
            }
        }
    }
}
