//! Render checks on a `TestBackend` at the smallest supported terminal (80×24): text cut to a
//! column is marked with `…`, and a dialog leaves no stray character of the screen beneath
//! against its border.

use crate::tui::fake::{FakeBackend, Harness};
use crate::tui::theme::Theme;
use crossterm::event::KeyCode;

/// The Tokens browser over an inventory whose first token has a long login and name.
fn tokens_with_long_names() -> Harness {
    let mut backend = FakeBackend::default();
    backend.tokens[0].login = Some("maximiliane.oberhauser".into());
    backend.tokens[0].full_name = "Maximiliane Oberhauser-Lindqvist".into();
    let mut h = Harness::with_backend(backend, Theme::colored());
    h.press(KeyCode::F(4));
    h
}

#[test]
fn the_tokens_browser_marks_cut_logins_and_names_with_an_ellipsis() {
    let h = tokens_with_long_names();
    let screen = h.render(80, 24);
    let row = screen
        .lines()
        .find(|line| line.contains("000100000000"))
        .unwrap_or_else(|| panic!("no row for the first token:\n{screen}"));
    assert!(
        row.contains("maximiliane.o…"),
        "login cut silently: {row:?}"
    );
    assert!(row.contains("Maximilian…"), "name cut silently: {row:?}");
    // The columns after the name are where they always are.
    assert!(row.contains("2030-06-30"), "{row:?}");
    // Wide enough, nothing is cut.
    let wide = h.render(160, 40);
    assert!(wide.contains("Maximiliane Oberhauser-Lindqvist"), "{wide}");
    assert!(
        wide.contains("maximiliane.o…"),
        "the user column stays 14 wide"
    );
}

#[test]
fn the_help_over_the_tokens_browser_leaves_no_stray_characters_at_its_edges() {
    let mut h = tokens_with_long_names();
    h.press(KeyCode::Char('?'));
    let buffer = h.render_buffer(80, 24);
    let mut box_rows = 0;
    for y in 0..24 {
        let border = buffer[(1, y)].symbol();
        if !["┌", "│", "└"].contains(&border) {
            continue;
        }
        box_rows += 1;
        for x in [0, 79] {
            assert_eq!(
                buffer[(x, y)].symbol(),
                " ",
                "stray character at column {x}, row {y}:\n{}",
                crate::tui::fake::buffer_text(&buffer)
            );
        }
    }
    assert!(box_rows > 10, "the help box is drawn");
}
