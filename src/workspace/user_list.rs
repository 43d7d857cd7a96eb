//! The user list of `tokens assign --auto users.csv`: a header `user_login`, optionally followed
//! by `first_name,last_name`, then one user per line. Unlike the serial-per-user CSV, names may
//! be any UTF-8 (they are kept as written and spelled in ASCII in token files).
//!
//! Every problem is reported with its line; one bad line refuses the whole file.

use super::assign::{CsvErrors, RowError};
use super::auto_assign::{Candidate, check_login, check_name};
use std::path::Path;

const LOGIN_ONLY: [&str; 1] = ["user_login"];
const WITH_NAMES: [&str; 3] = ["user_login", "first_name", "last_name"];

/// The users listed in `bytes` (the file at `path`, named in errors and in each user's source).
pub fn parse_user_list(bytes: &[u8], path: &Path) -> Result<Vec<Candidate>, CsvErrors> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut errors = Vec::new();
    let mut users = Vec::new();
    let mut columns: Option<usize> = None;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
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
        let Ok(fields) = record
            .iter()
            .map(std::str::from_utf8)
            .collect::<Result<Vec<&str>, _>>()
        else {
            errors.push(RowError {
                line,
                message: "not valid UTF-8 text".into(),
            });
            continue;
        };
        let fields: Vec<&str> = fields.iter().map(|f| f.trim()).collect();
        let Some(expected) = columns else {
            let is = |header: &[&str]| {
                fields.len() == header.len()
                    && fields
                        .iter()
                        .zip(header)
                        .all(|(got, want)| got.eq_ignore_ascii_case(want))
            };
            if is(&LOGIN_ONLY) {
                columns = Some(1);
            } else if is(&WITH_NAMES) {
                columns = Some(3);
            } else {
                errors.push(RowError {
                    line,
                    message: format!(
                        "the header must be `{}` or `{}`",
                        LOGIN_ONLY.join(","),
                        WITH_NAMES.join(",")
                    ),
                });
                break;
            }
            continue;
        };
        if fields.len() == 1 && fields[0].is_empty() {
            continue; // a blank line
        }
        if fields.len() != expected {
            errors.push(RowError {
                line,
                message: format!(
                    "expected {expected} field(s) as in the header, found {}",
                    fields.len()
                ),
            });
            continue;
        }
        if let Err(why) = check_login(fields[0]) {
            errors.push(RowError {
                line,
                message: format!("user_login {why}"),
            });
            continue;
        }
        let (first_name, last_name) = if expected == 3 {
            (fields[1], fields[2])
        } else {
            ("", "")
        };
        let names = check_name(first_name)
            .map_err(|why| format!("first_name {why}"))
            .and_then(|()| check_name(last_name).map_err(|why| format!("last_name {why}")));
        if let Err(message) = names {
            errors.push(RowError { line, message });
            continue;
        }
        users.push(Candidate {
            login: fields[0].to_owned(),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            source: format!("{name}:{line}"),
        });
    }
    if columns.is_none() && errors.is_empty() {
        errors.push(RowError {
            line: 1,
            message: format!(
                "the file is empty (expected the header `{}`)",
                LOGIN_ONLY.join(",")
            ),
        });
    }
    if errors.is_empty() {
        Ok(users)
    } else {
        Err(CsvErrors {
            path: path.to_path_buf(),
            errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Candidate>, CsvErrors> {
        parse_user_list(text.as_bytes(), Path::new("/tmp/users.csv"))
    }

    #[test]
    fn logins_alone_or_with_utf8_names() {
        let users = parse("user_login\nalice\nbob\n\n").unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users[1].login, "bob");
        assert_eq!(users[1].source, "users.csv:3");
        assert_eq!(users[1].first_name, "");
        let users =
            parse("\u{feff}User_Login,First_Name,Last_Name\njgarcia, José , García\n").unwrap();
        assert_eq!(
            (users[0].first_name.as_str(), users[0].last_name.as_str()),
            ("José", "García")
        );
    }

    #[test]
    fn every_bad_line_is_reported_and_nothing_is_returned() {
        let error = parse("user_login,first_name,last_name\nalice,A\njösé,J,G\nbob,B,\"x\u{7}\"\n")
            .unwrap_err();
        let text = error.to_string();
        assert!(text.contains("users.csv:2: expected 3 field(s)"), "{text}");
        assert!(text.contains("users.csv:3: user_login \"jösé\""), "{text}");
        assert!(
            text.contains("users.csv:4: last_name contains a control character"),
            "{text}"
        );
        assert!(text.ends_with("nothing was assigned"), "{text}");
        assert!(parse("").unwrap_err().to_string().contains("empty"));
        assert!(
            parse("serial,user_login\n")
                .unwrap_err()
                .to_string()
                .contains("header must be")
        );
    }
}
