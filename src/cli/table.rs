//! Plain-text tables for listings: left-aligned columns, two spaces apart, no trailing blanks.

use std::io::{self, Write};

/// Width in characters (what a terminal shows for the text we list).
pub fn width(text: &str) -> usize {
    text.chars().count()
}

/// Writes one row padded to `widths` (the last column is not padded).
pub fn write_row<S: AsRef<str>>(
    out: &mut impl Write,
    widths: &[usize],
    cells: &[S],
) -> io::Result<()> {
    let last = cells.len().saturating_sub(1);
    let mut line = String::new();
    for (index, cell) in cells.iter().enumerate() {
        let cell = cell.as_ref();
        line.push_str(cell);
        if index < last {
            let pad = widths
                .get(index)
                .copied()
                .unwrap_or(0)
                .saturating_sub(width(cell))
                + 2;
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    writeln!(out, "{}", line.trim_end())
}

/// Writes a header and rows held in memory (small listings).
pub fn write_table<R: AsRef<[String]>>(
    out: &mut impl Write,
    header: &[&str],
    rows: &[R],
) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (index, cell) in row.as_ref().iter().enumerate() {
            if let Some(w) = widths.get_mut(index) {
                *w = (*w).max(width(cell));
            }
        }
    }
    write_row(out, &widths, header)?;
    for row in rows {
        write_row(out, &widths, row.as_ref())?;
    }
    Ok(())
}
