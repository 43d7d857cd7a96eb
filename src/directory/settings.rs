//! The `[directory]` table of `tokendist.toml`: where the site's users live (LDAP or Active
//! Directory) and which attributes name them. Parsed as strictly as the rest of the file: unknown
//! keys are errors, and each bad value is reported at its own line and column.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// Seconds to wait for the server (connect, bind, each page) unless `timeout_seconds` says.
const DEFAULT_TIMEOUT_SECONDS: u64 = 30;
/// Entries per page of a paged search unless `page_size` says; below Active Directory's
/// `MaxPageSize` (1000) and OpenLDAP's usual limits.
const DEFAULT_PAGE_SIZE: u32 = 500;
const MAX_TIMEOUT_SECONDS: u64 = 3600;

/// Defaults for the attribute names and filter of a directory product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// OpenLDAP and most RFC 2798 directories: `uid`, `givenName`, `sn`, `inetOrgPerson`.
    Openldap,
    /// Microsoft Active Directory: `sAMAccountName`, enabled user accounts only.
    ActiveDirectory,
}

impl Preset {
    fn login_attribute(self) -> &'static str {
        match self {
            Self::Openldap => "uid",
            Self::ActiveDirectory => "sAMAccountName",
        }
    }

    /// Users only; on AD, disabled accounts (userAccountControl bit 2) are left out.
    fn filter(self) -> &'static str {
        match self {
            Self::Openldap => "(objectClass=inetOrgPerson)",
            Self::ActiveDirectory => {
                "(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"
            }
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Openldap => "openldap",
            Self::ActiveDirectory => "active-directory",
        }
    }
}

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `ldap://` without StartTLS: everything, the bind password included, in clear.
    Plain,
    /// `ldap://` upgraded with the StartTLS extended operation before the bind.
    StartTls,
    /// `ldaps://`: TLS from the first byte.
    Ldaps,
}

/// A checked `[directory]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectorySettings {
    /// `ldap://host[:port]` or `ldaps://host[:port]`.
    pub url: String,
    pub transport: Transport,
    /// PEM file of the CA(s) to trust for TLS; the system's roots when `None`.
    pub ca_file: Option<PathBuf>,
    /// Anonymous bind when `None`.
    pub bind_dn: Option<String>,
    /// File whose first line is the bind password (else a flag or a prompt gives it).
    pub bind_password_file: Option<PathBuf>,
    pub base_dn: String,
    pub filter: String,
    pub preset: Preset,
    pub login_attribute: String,
    pub first_name_attribute: String,
    pub last_name_attribute: String,
    pub timeout: Duration,
    pub page_size: u32,
}

impl DirectorySettings {
    /// True when a bind password would cross the network unencrypted (plain LDAP to another
    /// host): both front ends warn before sending it.
    pub fn password_crosses_in_clear(&self) -> bool {
        self.transport == Transport::Plain && self.bind_dn.is_some() && !self.is_loopback()
    }

    /// True when the server is on this machine, where a plain connection crosses no network.
    pub fn is_loopback(&self) -> bool {
        url::Url::parse(&self.url)
            .ok()
            .and_then(|url| url.host().map(|host| host.to_owned()))
            .is_some_and(|host| match host {
                // ldap:// is not a "special" scheme to the URL standard, so IPv4 addresses
                // arrive as opaque host names.
                url::Host::Domain(name) => {
                    name.eq_ignore_ascii_case("localhost")
                        || name
                            .parse::<std::net::IpAddr>()
                            .is_ok_and(|ip| ip.is_loopback())
                }
                url::Host::Ipv4(ip) => ip.is_loopback(),
                url::Host::Ipv6(ip) => ip.is_loopback(),
            })
    }
}

/// The table as written; checked by [`RawDirectory::check`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDirectory {
    url: Spanned<String>,
    #[serde(default)]
    starttls: Option<Spanned<bool>>,
    ca_file: Option<Spanned<String>>,
    bind_dn: Option<Spanned<String>>,
    bind_password_file: Option<Spanned<String>>,
    base_dn: Spanned<String>,
    filter: Option<Spanned<String>>,
    preset: Option<Spanned<Preset>>,
    login_attribute: Option<Spanned<String>>,
    first_name_attribute: Option<Spanned<String>>,
    last_name_attribute: Option<Spanned<String>>,
    timeout_seconds: Option<Spanned<u64>>,
    page_size: Option<Spanned<u32>>,
}

/// A bad value: its byte offset in the file and what is wrong.
pub type FieldError = (usize, String);

impl RawDirectory {
    /// Checks every value; relative file paths are taken from `config_dir` (the directory of
    /// `tokendist.toml`), so the configuration means the same from any working directory.
    pub fn check(self, config_dir: &Path) -> Result<DirectorySettings, FieldError> {
        let at = |field: &Spanned<String>, why: String| (field.span().start, why);
        let url_text = self.url.get_ref().trim();
        let scheme =
            check_url(url_text).map_err(|why| at(&self.url, format!("directory.url {why}")))?;
        let starttls = self.starttls.as_ref().is_some_and(|s| *s.get_ref());
        let transport = match (scheme, starttls) {
            ("ldaps", true) => {
                let span = self.starttls.as_ref().map_or(0, |s| s.span().start);
                return Err((
                    span,
                    "directory.starttls applies to ldap:// URLs only (ldaps:// is TLS already)"
                        .into(),
                ));
            }
            ("ldaps", false) => Transport::Ldaps,
            (_, true) => Transport::StartTls,
            (_, false) => Transport::Plain,
        };
        let path_of =
            |field: &Option<Spanned<String>>, key: &str| -> Result<Option<PathBuf>, FieldError> {
                let Some(field) = field else { return Ok(None) };
                let text = field.get_ref();
                if text.trim().is_empty() {
                    return Err(at(
                        field,
                        format!("directory.{key} must not be empty (leave it out instead)"),
                    ));
                }
                let path = Path::new(text);
                Ok(Some(if path.is_absolute() {
                    path.to_path_buf()
                } else {
                    config_dir.join(path)
                }))
            };
        let ca_file = path_of(&self.ca_file, "ca_file")?;
        if ca_file.is_some() && transport == Transport::Plain {
            let field = self.ca_file.as_ref().expect("ca_file is set");
            return Err(at(
                field,
                "directory.ca_file is only used with TLS: use an ldaps:// URL or set starttls = true".into(),
            ));
        }
        let bind_password_file = path_of(&self.bind_password_file, "bind_password_file")?;
        let bind_dn = match &self.bind_dn {
            Some(field) => {
                check_dn(field.get_ref())
                    .map_err(|why| at(field, format!("directory.bind_dn {why}")))?;
                Some(field.get_ref().trim().to_owned())
            }
            None => None,
        };
        if bind_dn.is_none() && bind_password_file.is_some() {
            let field = self.bind_password_file.as_ref().expect("set");
            return Err(at(
                field,
                "directory.bind_password_file needs a bind_dn to bind as".into(),
            ));
        }
        check_dn(self.base_dn.get_ref())
            .map_err(|why| at(&self.base_dn, format!("directory.base_dn {why}")))?;
        let preset = self
            .preset
            .as_ref()
            .map_or(Preset::Openldap, |p| *p.get_ref());
        let filter = match &self.filter {
            Some(field) => {
                check_filter(field.get_ref())
                    .map_err(|why| at(field, format!("directory.filter {why}")))?;
                field.get_ref().trim().to_owned()
            }
            None => preset.filter().to_owned(),
        };
        let attribute = |field: &Option<Spanned<String>>, key: &str, default: &str| match field {
            Some(field) => check_attribute(field.get_ref())
                .map(|()| field.get_ref().clone())
                .map_err(|why| at(field, format!("directory.{key} {why}"))),
            None => Ok(default.to_owned()),
        };
        let login_attribute = attribute(
            &self.login_attribute,
            "login_attribute",
            preset.login_attribute(),
        )?;
        let first_name_attribute = attribute(
            &self.first_name_attribute,
            "first_name_attribute",
            "givenName",
        )?;
        let last_name_attribute =
            attribute(&self.last_name_attribute, "last_name_attribute", "sn")?;
        let timeout = match &self.timeout_seconds {
            Some(field) if !(1..=MAX_TIMEOUT_SECONDS).contains(field.get_ref()) => {
                return Err((
                    field.span().start,
                    format!("directory.timeout_seconds must be 1 to {MAX_TIMEOUT_SECONDS}"),
                ));
            }
            Some(field) => *field.get_ref(),
            None => DEFAULT_TIMEOUT_SECONDS,
        };
        let page_size = match &self.page_size {
            Some(field) if !(1..=10_000).contains(field.get_ref()) => {
                return Err((
                    field.span().start,
                    "directory.page_size must be 1 to 10000".into(),
                ));
            }
            Some(field) => *field.get_ref(),
            None => DEFAULT_PAGE_SIZE,
        };
        Ok(DirectorySettings {
            url: url_text.trim_end_matches('/').to_owned(),
            transport,
            ca_file,
            bind_dn,
            bind_password_file,
            base_dn: self.base_dn.get_ref().trim().to_owned(),
            filter,
            preset,
            login_attribute,
            first_name_attribute,
            last_name_attribute,
            timeout: Duration::from_secs(timeout),
            page_size,
        })
    }
}

/// The URL's scheme (`ldap` or `ldaps`) when it names a server and nothing else.
fn check_url(text: &str) -> Result<&'static str, String> {
    let url = url::Url::parse(text)
        .map_err(|e| format!("is not a URL ({e}); write ldap://host or ldaps://host"))?;
    let scheme = match url.scheme() {
        "ldap" => "ldap",
        "ldaps" => "ldaps",
        other => {
            return Err(format!(
                "must start with ldap:// or ldaps:// (got {other}://; for StartTLS write ldap:// and starttls = true)"
            ));
        }
    };
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must name a server (ldap://host or ldaps://host:port)".into());
    }
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Err(
            "must name the server only (ldaps://host:port); give base_dn and filter as their own keys".into(),
        );
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials; use bind_dn and a password file or prompt".into());
    }
    Ok(scheme)
}

fn check_dn(text: &str) -> Result<(), String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("must not be empty".into());
    }
    if text.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    if !text.contains('=') {
        return Err(format!(
            "{text:?} is not a DN (expected e.g. \"ou=people,dc=example,dc=org\")"
        ));
    }
    Ok(())
}

/// An LDAP search filter (RFC 4515) the client library can encode.
pub fn check_filter(text: &str) -> Result<(), String> {
    let text = text.trim();
    if !text.starts_with('(') || !text.ends_with(')') {
        return Err(format!(
            "{text:?} is not an LDAP filter: it must be in parentheses, e.g. \"(objectClass=inetOrgPerson)\""
        ));
    }
    ldap3::parse_filter(text)
        .map(|_| ())
        .map_err(|()| format!("{text:?} is not a valid LDAP filter (RFC 4515)"))
}

/// An attribute description: a name (letter, then letters, digits, hyphens) or a numeric OID.
fn check_attribute(text: &str) -> Result<(), String> {
    let is_name = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let is_oid = !text.is_empty()
        && text
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()));
    if is_name || is_oid {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not an attribute name (e.g. \"uid\" or \"sAMAccountName\")"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<DirectorySettings, FieldError> {
        let raw: RawDirectory = toml::from_str(text).map_err(|e| (0, e.to_string()))?;
        raw.check(Path::new("/etc/tokendist"))
    }

    const BASE: &str =
        "url = \"ldaps://ldap.example.org\"\nbase_dn = \"ou=people,dc=example,dc=org\"\n";

    #[test]
    fn defaults_are_openldap_and_paths_are_relative_to_the_config() {
        let settings = check(&format!("{BASE}ca_file = \"ca.pem\"\n")).unwrap();
        assert_eq!(settings.transport, Transport::Ldaps);
        assert_eq!(settings.login_attribute, "uid");
        assert_eq!(settings.first_name_attribute, "givenName");
        assert_eq!(settings.last_name_attribute, "sn");
        assert_eq!(settings.filter, "(objectClass=inetOrgPerson)");
        assert_eq!(
            settings.ca_file.as_deref(),
            Some(Path::new("/etc/tokendist/ca.pem"))
        );
        assert_eq!(settings.bind_dn, None);
        assert!(!settings.is_loopback());
    }

    #[test]
    fn the_active_directory_preset_reads_sam_account_name() {
        let settings = check(&format!("{BASE}preset = \"active-directory\"\n")).unwrap();
        assert_eq!(settings.login_attribute, "sAMAccountName");
        assert!(
            settings.filter.contains("objectCategory=person"),
            "{}",
            settings.filter
        );
        let settings = check(&format!(
            "{BASE}preset = \"active-directory\"\nlogin_attribute = \"userPrincipalName\"\n"
        ))
        .unwrap();
        assert_eq!(settings.login_attribute, "userPrincipalName");
    }

    #[test]
    fn transports_follow_the_url_and_starttls() {
        let plain = check("url = \"ldap://127.0.0.1:3890/\"\nbase_dn = \"dc=x\"\n").unwrap();
        assert_eq!(plain.transport, Transport::Plain);
        assert_eq!(plain.url, "ldap://127.0.0.1:3890");
        assert!(plain.is_loopback());
        let upgraded =
            check("url = \"ldap://ldap.example.org\"\nstarttls = true\nbase_dn = \"dc=x\"\n")
                .unwrap();
        assert_eq!(upgraded.transport, Transport::StartTls);
        let both = check(&format!("{BASE}starttls = true\n")).unwrap_err();
        assert!(both.1.contains("ldap:// URLs only"), "{both:?}");
    }

    #[test]
    fn bad_values_name_the_key() {
        for (text, expected) in [
            (
                "url = \"https://ldap.example.org\"\nbase_dn = \"dc=x\"\n",
                "directory.url must start with ldap://",
            ),
            (
                "url = \"ldaps://ldap.example.org/dc=x?uid\"\nbase_dn = \"dc=x\"\n",
                "server only",
            ),
            ("url = \"ldaps://\"\nbase_dn = \"dc=x\"\n", "directory.url"),
            (
                "url = \"ldap://h\"\nbase_dn = \"people\"\n",
                "directory.base_dn \"people\" is not a DN",
            ),
            (
                "url = \"ldap://h\"\nbase_dn = \"dc=x\"\nca_file = \"ca.pem\"\n",
                "only used with TLS",
            ),
            (
                "url = \"ldap://h\"\nbase_dn = \"dc=x\"\nfilter = \"(uid=*\"\n",
                "directory.filter",
            ),
            (
                "url = \"ldap://h\"\nbase_dn = \"dc=x\"\nfilter = \"uid=a\"\n",
                "in parentheses",
            ),
            (
                "url = \"ldap://h\"\nbase_dn = \"dc=x\"\nlogin_attribute = \"u id\"\n",
                "directory.login_attribute",
            ),
            (
                "url = \"ldap://h\"\nbase_dn = \"dc=x\"\nbind_password_file = \"pw\"\n",
                "needs a bind_dn",
            ),
            (
                "url = \"ldap://h\"\nbase_dn = \"dc=x\"\ntimeout_seconds = 0\n",
                "timeout_seconds",
            ),
            (
                "url = \"ldap://h\"\nbase_dn = \"dc=x\"\npreset = \"novell\"\n",
                "openldap",
            ),
            (
                "url = \"ldap://h\"\nbase_dn = \"dc=x\"\ncolour = \"blue\"\n",
                "colour",
            ),
        ] {
            let error = check(text).unwrap_err();
            assert!(error.1.contains(expected), "{text}: {error:?}");
        }
    }

    #[test]
    fn errors_point_at_the_bad_value() {
        let text = "url = \"ldap://h\"\nbase_dn = \"people\"\n";
        let (offset, _) = check(text).unwrap_err();
        assert_eq!(&text[offset..offset + 8], "\"people\"");
    }
}
