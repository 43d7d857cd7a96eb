//! Styles in one place. With `NO_COLOR` set the theme uses no colour at all and keeps only
//! modifiers (reverse video, bold) and text markers, so focus stays visible.
//!
//! No colour at all matters beyond taste: crossterm 0.29 writes an empty SGR (`ESC[;m`, a full
//! reset) for any colour change when `NO_COLOR` is set, which would wipe a reversed highlight
//! drawn just before it. Cells whose colours are never set produce no colour change at all.

use ratatui::style::{Color, Modifier, Style};

/// The palette, with or without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to a non-empty value (<https://no-color.org>).
    pub fn from_env() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self { color: !no_color }
    }

    pub fn colored() -> Self {
        Self { color: true }
    }

    pub fn plain() -> Self {
        Self { color: false }
    }

    pub fn has_color(&self) -> bool {
        self.color
    }

    fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// Ordinary text.
    pub fn text(&self) -> Style {
        Style::new()
    }

    /// Panel titles and the step indicator.
    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// The focused row or field: reverse video in both modes.
    pub fn focus(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
    }

    /// Border of the focused input box.
    pub fn focus_border(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// Validation messages and failures.
    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// Warnings (redistribution).
    pub fn warning(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// Success (completed, saved).
    pub fn ok(&self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }

    /// Secondary text: hints, items that cannot be chosen.
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    /// Key names in the footer and help.
    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// Table headers.
    pub fn header(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    /// The gauge's filled part.
    pub fn gauge(&self) -> Style {
        self.fg(Color::Green)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_theme_sets_no_colour_but_keeps_focus_visible() {
        let plain = Theme::plain();
        for style in [
            plain.title(),
            plain.focus(),
            plain.error(),
            plain.warning(),
            plain.ok(),
            plain.dim(),
            plain.key(),
        ] {
            assert_eq!(style.fg, None);
            assert_eq!(style.bg, None);
        }
        assert!(plain.focus().add_modifier.contains(Modifier::REVERSED));
    }
}
