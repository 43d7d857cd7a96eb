//! Assigning tokens to users from a CSV file (`serial,user_login,first_name,last_name`).
//!
//! Every row is checked and every problem reported with its line number; the rows apply
//! together or not at all.

use super::WorkspaceError;
use super::inventory::Inventory;
use super::model::AssignedUser;
use crate::token::Serial;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The header the file must start with.
pub const CSV_HEADER: [&str; 4] = ["serial", "user_login", "first_name", "last_name"];
const MAX_FIELD_CHARS: usize = 255;
/// Errors listed before "and N more".
const MAX_LISTED_ERRORS: usize = 20;

/// One validated row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub line: u64,
    pub serial: Serial,
    pub user: AssignedUser,
}

/// A problem on one line of the CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub message: String,
}

/// Every problem found in a CSV file; nothing was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvErrors {
    pub path: PathBuf,
    pub errors: Vec<RowError>,
}

impl fmt::Display for CsvErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.errors.iter().take(MAX_LISTED_ERRORS).enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{}:{}: {}",
                self.path.display(),
                error.line,
                error.message
            )?;
        }
        if self.errors.len() > MAX_LISTED_ERRORS {
            write!(f, "\n… and {} more", self.errors.len() - MAX_LISTED_ERRORS)?;
        }
        write!(f, "\nnothing was assigned")
    }
}

impl std::error::Error for CsvErrors {}

/// What applying the assignments changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssignReport {
    /// Tokens that had no user before.
    pub assigned: usize,
    /// Tokens that moved from one user to another.
    pub reassigned: usize,
    /// Rows that matched the current assignment already.
    pub unchanged: usize,
}

/// Parses and checks the CSV rows against `inventory` (serials must be held).
pub fn parse_assignments(
    bytes: &[u8],
    path: &Path,
    inventory: &Inventory,
) -> Result<Vec<Assignment>, CsvErrors> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut first_line_of: HashMap<Serial, u64> = HashMap::new();
    let mut saw_header = false;
    for record in reader.byte_records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line());
                errors.push(RowError {
                    line,
                    message: format!("not valid CSV: {error}"),
                });
                break;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let fields: Result<Vec<&str>, _> = record.iter().map(std::str::from_utf8).collect();
        let Ok(fields) = fields else {
            errors.push(RowError {
                line,
                message: "not valid UTF-8 text".into(),
            });
            continue;
        };
        let fields: Vec<&str> = fields.iter().map(|f| f.trim()).collect();
        if !saw_header {
            saw_header = true;
            let matches = fields.len() == CSV_HEADER.len()
                && fields
                    .iter()
                    .zip(CSV_HEADER)
                    .all(|(got, want)| got.eq_ignore_ascii_case(want));
            if !matches {
                errors.push(RowError {
                    line,
                    message: format!("the header must be `{}`", CSV_HEADER.join(",")),
                });
                break;
            }
            continue;
        }
        if fields.len() == 1 && fields[0].is_empty() {
            continue; // a blank line
        }
        match check_row(&fields, inventory) {
            Err(message) => errors.push(RowError { line, message }),
            Ok((serial, user)) => {
                if let Some(first) = first_line_of.get(&serial) {
                    errors.push(RowError {
                        line,
                        message: format!("serial {serial} is already assigned on line {first}"),
                    });
                    continue;
                }
                first_line_of.insert(serial.clone(), line);
                rows.push(Assignment { line, serial, user });
            }
        }
    }
    if !saw_header {
        errors.push(RowError {
            line: 1,
            message: format!(
                "the file is empty (expected the header `{}`)",
                CSV_HEADER.join(",")
            ),
        });
    } else if errors.is_empty() && rows.is_empty() {
        errors.push(RowError {
            line: 1,
            message: "no rows after the header".into(),
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(CsvErrors {
            path: path.to_path_buf(),
            errors,
        })
    }
}

fn check_row(fields: &[&str], inventory: &Inventory) -> Result<(Serial, AssignedUser), String> {
    if fields.len() != CSV_HEADER.len() {
        return Err(format!(
            "expected {} fields ({}), found {}",
            CSV_HEADER.len(),
            CSV_HEADER.join(","),
            fields.len()
        ));
    }
    let serial = Serial::parse(fields[0]).map_err(|e| format!("malformed serial: {e}"))?;
    if !inventory.contains(&serial) {
        return Err(format!("serial {serial} is not in the inventory"));
    }
    let login = fields[1];
    if login.is_empty() {
        return Err(format!("user_login is empty for serial {serial}"));
    }
    for (name, value) in [
        ("user_login", login),
        ("first_name", fields[2]),
        ("last_name", fields[3]),
    ] {
        if let Some(bad) = value.chars().find(|c| !(' '..='~').contains(c)) {
            return Err(format!(
                "{name} contains {bad:?}: token files carry printable ASCII only (write it without accents, e.g. \"Jose\" for \"José\")"
            ));
        }
        if value.chars().count() > MAX_FIELD_CHARS {
            return Err(format!(
                "{name} is longer than {MAX_FIELD_CHARS} characters"
            ));
        }
    }
    let user = AssignedUser::new(login, fields[2], fields[3]);
    Ok((serial, user))
}

/// Applies checked assignments (all serials are held: [`parse_assignments`] made sure).
pub fn apply_assignments(
    inventory: &mut Inventory,
    rows: Vec<Assignment>,
) -> Result<AssignReport, WorkspaceError> {
    let mut report = AssignReport::default();
    for row in rows {
        let token = inventory.get_mut(&row.serial).ok_or_else(|| {
            WorkspaceError::Invalid(format!("serial {} is not in the inventory", row.serial))
        })?;
        match &token.user {
            None => report.assigned += 1,
            Some(current) if *current == row.user => report.unchanged += 1,
            Some(_) => report.reassigned += 1,
        }
        token.user = Some(row.user);
    }
    Ok(report)
}

/// Removes the assignment of each serial; all must be held. Returns how many had a user.
pub fn unassign(inventory: &mut Inventory, serials: &[Serial]) -> Result<usize, WorkspaceError> {
    let unknown: Vec<String> = serials
        .iter()
        .filter(|s| !inventory.contains(s))
        .map(|s| s.to_string())
        .collect();
    if !unknown.is_empty() {
        return Err(WorkspaceError::Invalid(format!(
            "not in the inventory: {}; nothing was unassigned",
            unknown.join(", ")
        )));
    }
    let mut count = 0;
    for serial in serials {
        if let Some(token) = inventory.get_mut(serial) {
            count += usize::from(token.user.take().is_some());
        }
    }
    Ok(count)
}
