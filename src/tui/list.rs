//! Moving a cursor through a list and choosing which rows show: written once, used by every
//! list (jobs, tokens, the selection table, the review, dialogs), so paging behaves the same
//! everywhere: a page is the rows that are visible, End shows a full last page.

use super::keymap::Action;

/// Moves `cursor` in a list of `len` rows of which `page` are visible, on Up, Down, PageUp,
/// PageDown, HalfPageUp, HalfPageDown, Home or End; any other action leaves it where it is.
pub fn move_cursor(cursor: &mut usize, action: Action, len: usize, page: usize) {
    let last = len.saturating_sub(1);
    let page = page.max(1);
    let half = page.div_ceil(2);
    *cursor = match action {
        Action::Up => cursor.saturating_sub(1),
        Action::Down => cursor.saturating_add(1),
        Action::PageUp => cursor.saturating_sub(page),
        Action::PageDown => cursor.saturating_add(page),
        Action::HalfPageUp => cursor.saturating_sub(half),
        Action::HalfPageDown => cursor.saturating_add(half),
        Action::Home => 0,
        Action::End => last,
        _ => *cursor,
    }
    .min(last);
}

/// True for the actions [`move_cursor`] handles.
pub fn is_movement(action: Action) -> bool {
    matches!(
        action,
        Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::HalfPageUp
            | Action::HalfPageDown
            | Action::Home
            | Action::End
    )
}

/// The rows of a list of `len` that show when `height` fit and the cursor is on `cursor`:
/// (first, end). Whole pages, so the rows stay put while the cursor moves within one; the
/// last page is a full one (no blank rows under the last entry). Only these rows are built,
/// so a list of a million rows costs one screenful per frame.
pub fn window(cursor: usize, len: usize, height: usize) -> (usize, usize) {
    let height = height.max(1);
    let cursor = cursor.min(len.saturating_sub(1));
    let first = (cursor / height * height).min(len.saturating_sub(height));
    (first, (first + height).min(len))
}

/// A scroll offset for text of `rows` rows in a box of `height`: moved like a cursor, kept so
/// the box never scrolls past the end.
pub fn scroll(offset: usize, action: Action, rows: usize, height: usize) -> usize {
    let max = rows.saturating_sub(height);
    let mut at = offset.min(max);
    let mut cursor = at;
    move_cursor(&mut cursor, action, max + 1, height);
    if is_movement(action) {
        at = cursor;
    }
    at
}

/// "12/300" (the selected row of how many) for a long list; empty when every row fits.
pub fn indicator(cursor: usize, len: usize, height: usize) -> String {
    if len <= height || len == 0 {
        String::new()
    } else {
        format!("{}/{len}", cursor.min(len - 1) + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    #[test]
    fn a_page_is_the_visible_rows() {
        let mut cursor = 0;
        move_cursor(&mut cursor, PageDown, 100, 19);
        assert_eq!(cursor, 19);
        move_cursor(&mut cursor, HalfPageDown, 100, 19);
        assert_eq!(cursor, 29);
        move_cursor(&mut cursor, HalfPageUp, 100, 19);
        assert_eq!(cursor, 19);
        move_cursor(&mut cursor, PageUp, 100, 19);
        assert_eq!(cursor, 0);
        move_cursor(&mut cursor, End, 100, 19);
        assert_eq!(cursor, 99);
        move_cursor(&mut cursor, Down, 100, 19);
        assert_eq!(cursor, 99);
        move_cursor(&mut cursor, PageDown, 0, 19);
        assert_eq!(cursor, 0);
    }

    #[test]
    fn the_window_follows_the_cursor_and_the_last_page_is_full() {
        assert_eq!(window(0, 1000, 10), (0, 10));
        assert_eq!(window(9, 1000, 10), (0, 10));
        assert_eq!(window(10, 1000, 10), (10, 20));
        assert_eq!(window(999, 1000, 10), (990, 1000));
        assert_eq!(window(1004, 1005, 10), (995, 1005));
        assert_eq!(window(0, 3, 10), (0, 3));
        assert_eq!(window(0, 0, 10), (0, 0));
        // End on 25 rows in a box of 19: the last 19 rows, no blank ones.
        assert_eq!(window(24, 25, 19), (6, 25));
    }

    #[test]
    fn scrolling_text_stops_at_its_end() {
        assert_eq!(scroll(0, End, 50, 20), 30);
        assert_eq!(scroll(30, Down, 50, 20), 30);
        assert_eq!(scroll(30, PageUp, 50, 20), 10);
        assert_eq!(scroll(5, Home, 50, 20), 0);
        assert_eq!(scroll(0, PageDown, 10, 20), 0);
    }

    #[test]
    fn the_row_indicator_shows_only_when_rows_are_hidden() {
        assert_eq!(indicator(0, 10, 19), "");
        assert_eq!(indicator(11, 300, 19), "12/300");
    }
}
