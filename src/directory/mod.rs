//! Users from the site's directory (LDAP / Active Directory), for assigning tokens to the people
//! the identity source lists rather than to a hand-made CSV.
//!
//! `settings` is the `[directory]` table of `tokendist.toml`; `client` is the network edge
//! (ldap3's blocking API over rustls). Turning entries into users is pure and lives here.

pub mod client;
pub mod settings;

pub use client::search_users;
pub use settings::{DirectorySettings, Preset, Transport};

use crate::workspace::auto_assign::{Candidate, check_login, check_name};
use std::path::PathBuf;

/// One entry as the server returned it: the first value of each configured attribute;
/// `Some(Err(()))` when the value is not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryEntry {
    pub dn: String,
    pub login: Option<Result<String, ()>>,
    pub first_name: Option<Result<String, ()>>,
    pub last_name: Option<Result<String, ()>>,
}

impl DirectoryEntry {
    /// The user this entry names, or why it cannot be given a token. Names are kept exactly as
    /// the directory has them (UTF-8); only surrounding spaces are trimmed.
    pub fn candidate(&self, settings: &DirectorySettings) -> Result<Candidate, String> {
        let login = match &self.login {
            None => return Err(format!("no {} attribute", settings.login_attribute)),
            Some(Err(())) => return Err(format!("{} is not UTF-8 text", settings.login_attribute)),
            Some(Ok(login)) => login.trim(),
        };
        check_login(login).map_err(|why| format!("{} {why}", settings.login_attribute))?;
        let name = |value: &Option<Result<String, ()>>, attribute: &str| match value {
            None => Ok(String::new()),
            Some(Err(())) => Err(format!("{attribute} is not UTF-8 text")),
            Some(Ok(text)) => {
                let text = text.trim();
                check_name(text).map_err(|why| format!("{attribute} {why}"))?;
                Ok(text.to_owned())
            }
        };
        Ok(Candidate {
            login: login.to_owned(),
            first_name: name(&self.first_name, &settings.first_name_attribute)?,
            last_name: name(&self.last_name, &settings.last_name_attribute)?,
            source: self.dn.clone(),
        })
    }
}

/// The users a search found: those who can be given a token, and the entries that cannot
/// (with the reason), as both front ends review them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUsers {
    pub candidates: Vec<Candidate>,
    pub skipped: Vec<crate::workspace::auto_assign::Skipped>,
    /// Entries the search returned.
    pub entries: usize,
}

/// Binds, searches with `filter`, and turns the entries into users (or reasons they cannot be).
pub fn read_users(
    settings: &DirectorySettings,
    password: Option<&crate::secret::SecretString>,
    filter: &str,
) -> Result<DirectoryUsers, DirectoryError> {
    let entries = search_users(settings, password, filter)?;
    let mut users = DirectoryUsers {
        candidates: Vec::with_capacity(entries.len()),
        skipped: Vec::new(),
        entries: entries.len(),
    };
    for entry in &entries {
        match entry.candidate(settings) {
            Ok(candidate) => users.candidates.push(candidate),
            Err(reason) => users.skipped.push(crate::workspace::auto_assign::Skipped {
                source: entry.dn.clone(),
                reason,
            }),
        }
    }
    Ok(users)
}

/// Why the directory could not be read. Each names the server's URL.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("cannot connect to the directory at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("the directory at {url} refused the bind as {bind_dn:?}: {reason}")]
    Bind {
        url: String,
        bind_dn: String,
        reason: String,
    },
    #[error("the bind password for {bind_dn:?} is empty; an empty password would bind anonymously")]
    EmptyPassword { bind_dn: String },
    #[error("searching the directory at {url} under {base_dn:?} with {filter} failed: {reason}")]
    Search {
        url: String,
        base_dn: String,
        filter: String,
        reason: String,
    },
    #[error("directory.ca_file {}: {reason}", path.display())]
    CaFile { path: PathBuf, reason: String },
    #[error(
        "no system CA certificates found to verify {url}; set directory.ca_file to the site CA"
    )]
    NoSystemRoots { url: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn settings() -> DirectorySettings {
        let raw: settings::RawDirectory =
            toml::from_str("url = \"ldap://localhost\"\nbase_dn = \"dc=example,dc=org\"\n")
                .unwrap();
        raw.check(Path::new("/")).unwrap()
    }

    fn entry(login: Option<&str>, first: Option<&str>, last: Option<&str>) -> DirectoryEntry {
        let value = |v: Option<&str>| v.map(|s| Ok(s.to_owned()));
        DirectoryEntry {
            dn: "uid=x,dc=example,dc=org".into(),
            login: value(login),
            first_name: value(first),
            last_name: value(last),
        }
    }

    #[test]
    fn names_stay_in_utf8_and_missing_names_are_empty() {
        let user = entry(Some(" jgarcia "), Some("José"), Some("García"))
            .candidate(&settings())
            .unwrap();
        assert_eq!(user.login, "jgarcia");
        assert_eq!(user.first_name, "José");
        assert_eq!(user.last_name, "García");
        let user = entry(Some("wang"), None, Some("王"))
            .candidate(&settings())
            .unwrap();
        assert_eq!(
            (user.first_name.as_str(), user.last_name.as_str()),
            ("", "王")
        );
    }

    #[test]
    fn entries_without_a_usable_login_are_refused_with_the_reason() {
        let settings = settings();
        let no_login = entry(None, Some("A"), Some("B")).candidate(&settings);
        assert_eq!(no_login.unwrap_err(), "no uid attribute");
        let accented = entry(Some("josé"), None, None).candidate(&settings);
        assert!(accented.unwrap_err().contains("printable ASCII"));
        let control = entry(Some("eve"), Some("E\u{1b}[31m"), None).candidate(&settings);
        assert!(control.unwrap_err().contains("control"));
        let mut binary = entry(Some("bin"), None, None);
        binary.last_name = Some(Err(()));
        assert_eq!(
            binary.candidate(&settings).unwrap_err(),
            "sn is not UTF-8 text"
        );
    }
}
