//! Text entry: plain fields use tui-input; password fields use [`SecretInput`], which keeps
//! the text in a [`SecretString`] (zeroized when replaced or dropped) and is only ever drawn
//! as a row of mask characters.

use crate::secret::SecretString;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

/// Applies an editing key to a plain field; true when its value changed.
pub fn edit(input: &mut Input, key: KeyEvent) -> bool {
    match to_input_request(&Event::Key(key)) {
        Some(request) => input.handle(request).is_some_and(|changed| changed.value),
        None => false,
    }
}

/// The characters of pasted text a one-line field takes: line breaks and tabs become spaces
/// (a column of serials pasted from a spreadsheet becomes a space-separated list), other
/// control characters are dropped, and the ends are trimmed.
fn pasted_chars(text: &str) -> impl Iterator<Item = char> + '_ {
    // Terminals send a pasted line break as CR, LF or CR LF: each is one space.
    let text = text.trim();
    let mut chars = text.chars().peekable();
    std::iter::from_fn(move || {
        let c = chars.next()?;
        if c == '\r' && chars.peek() == Some(&'\n') {
            chars.next();
        }
        Some(c)
    })
    .map(|c| {
        if matches!(c, '\r' | '\n' | '\t') {
            ' '
        } else {
            c
        }
    })
    .filter(|c| !c.is_control())
}

/// Longest paste a plain field takes: far above any field's use, so a stray paste of a whole
/// document cannot stall the screen.
const PASTE_LIMIT: usize = 4096;

/// Inserts pasted text at the cursor of a plain field, as one edit; true when it changed.
pub fn paste(input: &mut Input, text: &str) -> bool {
    let mut changed = false;
    for c in pasted_chars(text).take(PASTE_LIMIT) {
        changed |= input
            .handle(tui_input::InputRequest::InsertChar(c))
            .is_some_and(|change| change.value);
    }
    changed
}

/// Longest password the field accepts: far above any profile's limit, so the length message
/// shows, but bounded so the buffer never reallocates (no stray copies left in memory).
const CAPACITY: usize = 64;

/// A masked password field, edited at its end (append, Backspace, Ctrl-U).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretInput {
    text: SecretString,
    /// Characters it takes; 0 means [`CAPACITY`].
    capacity: usize,
}

/// Longest workspace passphrase or bind password the full screen takes (a long diceware
/// passphrase fits; a longer one is read from a file by the CLI).
pub const LONG_CAPACITY: usize = 256;

impl SecretInput {
    /// A field taking up to `chars` characters (instead of the password fields' [`CAPACITY`]).
    pub fn with_capacity(chars: usize) -> Self {
        Self {
            text: SecretString::default(),
            capacity: chars,
        }
    }

    fn capacity(&self) -> usize {
        if self.capacity == 0 {
            CAPACITY
        } else {
            self.capacity
        }
    }

    pub fn secret(&self) -> &SecretString {
        &self.text
    }

    pub fn char_len(&self) -> usize {
        self.text.char_len()
    }

    /// Applies an editing key; true when the value changed.
    pub fn edit(&mut self, key: KeyEvent) -> bool {
        let control = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('u') if control => {
                let changed = self.char_len() > 0;
                self.clear();
                changed
            }
            KeyCode::Char(c) if !control && !key.modifiers.contains(KeyModifiers::ALT) => {
                if self.text.char_len() >= self.capacity() {
                    return false;
                }
                self.replace(|buffer| buffer.push(c))
            }
            KeyCode::Backspace => self.replace(|buffer| {
                buffer.pop();
            }),
            _ => false,
        }
    }

    /// Builds the new text in a buffer sized up front, from the old text; the old
    /// `SecretString` is zeroized when it is replaced.
    fn replace(&mut self, change: impl FnOnce(&mut String)) -> bool {
        let before = self.text.char_len();
        let mut buffer = String::with_capacity(self.capacity() * 4);
        buffer.push_str(self.text.expose());
        change(&mut buffer);
        let changed = buffer.chars().count() != before || buffer != self.text.expose();
        self.text = SecretString::new(buffer);
        changed
    }

    /// Appends pasted text (up to the field's capacity), as one edit; true when it changed.
    pub fn paste(&mut self, text: &str) -> bool {
        let room = self.capacity().saturating_sub(self.char_len());
        let mut chars = pasted_chars(text).take(room).peekable();
        if chars.peek().is_none() {
            return false;
        }
        self.replace(|buffer| buffer.extend(chars))
    }

    /// Empties the field (the old text is wiped); the capacity stays.
    pub fn clear(&mut self) {
        self.text = SecretString::default();
    }

    /// What the screen shows: one mask character per typed character.
    pub fn masked(&self) -> String {
        "•".repeat(self.text.char_len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn secret_input_appends_deletes_and_masks() {
        let mut input = SecretInput::default();
        for c in "s3cr3t".chars() {
            assert!(input.edit(key(KeyCode::Char(c))));
        }
        assert!(input.edit(key(KeyCode::Backspace)));
        assert_eq!(input.secret().expose(), "s3cr3");
        assert_eq!(input.masked(), "•••••");
        assert!(!format!("{input:?}").contains("s3cr3"));
        assert!(input.edit(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)));
        assert_eq!(input.char_len(), 0);
        assert!(!input.edit(key(KeyCode::Backspace)));
    }

    #[test]
    fn a_paste_is_one_edit_with_line_breaks_as_spaces() {
        let mut input = Input::default();
        assert!(paste(&mut input, "100-200\r\n300\t400\x07\n"));
        assert_eq!(input.value(), "100-200 300 400");
        assert!(!paste(&mut input, "\n"));
        let mut secret = SecretInput::default();
        assert!(secret.paste("pass word\n"));
        assert_eq!(secret.secret().expose(), "pass word");
        assert!(secret.paste(&"x".repeat(100)));
        assert_eq!(secret.char_len(), CAPACITY);
        assert!(!secret.paste("y"));
    }

    #[test]
    fn plain_field_takes_characters_and_editing_keys() {
        let mut input = Input::new("ab".into());
        assert!(edit(&mut input, key(KeyCode::Char('q'))));
        assert!(!edit(&mut input, key(KeyCode::Left)));
        assert!(edit(&mut input, key(KeyCode::Delete)));
        assert_eq!(input.value(), "ab");
    }
}
