//! Text from outside (token files, CSVs, the history) on its way to a terminal, and the
//! characters that must not reach one as they are.

/// Text that came from a file (token records, the history, a CSV), made safe for a terminal:
/// control characters (ESC, BEL, C1 …, which could drive the terminal), bidirectional overrides
/// and zero-width characters (which make a name read as another) are shown as `\u{…}` escapes.
/// Newlines are kept when `keep_newlines` (multi-line text the CLI itself laid out).
///
/// The one escaping function for the terminal: the CLI shows every such text through it.
pub fn printable_text(text: &str, keep_newlines: bool) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| (c != '\n' || !keep_newlines) && needs_escape(c);
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// [`printable_text`] for one-line values (table cells, names, error messages).
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    printable_text(text, false)
}

/// Characters that must not reach a terminal as they are.
pub fn needs_escape(c: char) -> bool {
    c.is_control() || is_invisible_format(c)
}

/// Bidirectional controls and zero-width characters: they change how the text around them is
/// shown without being visible themselves.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bidi_and_zero_width_characters_are_escaped_and_plain_text_is_borrowed() {
        assert!(matches!(
            printable("José Müller"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(printable("a\u{1b}[31mb\u{7}"), "a\\u{1b}[31mb\\u{7}");
        assert_eq!(printable("evil\u{202e}gpj.exe"), "evil\\u{202e}gpj.exe");
        assert_eq!(printable("ad\u{200b}min"), "ad\\u{200b}min");
        assert_eq!(printable("x\u{9b}2J"), "x\\u{9b}2J");
        assert_eq!(printable("a\nb"), "a\\nb");
        assert_eq!(printable_text("a\nb\u{1b}", true), "a\nb\\u{1b}");
    }
}
