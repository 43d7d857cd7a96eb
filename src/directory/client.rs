//! Talking to the directory server: connect (plain, StartTLS or ldaps, verified by rustls
//! against the site CA or the system roots), bind, and read every matching entry with a paged
//! search, so a directory larger than the server's size limit is read completely.

use super::settings::{DirectorySettings, Transport};
use super::{DirectoryEntry, DirectoryError};
use crate::secret::SecretString;
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{LdapConn, LdapConnSettings, LdapError, Scope, SearchEntry};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::sync::Arc;

/// LDAP result code for a failed simple bind (RFC 4511).
const INVALID_CREDENTIALS: u32 = 49;
const NO_SUCH_OBJECT: u32 = 32;
const SIZE_LIMIT_EXCEEDED: u32 = 4;
const INSUFFICIENT_ACCESS: u32 = 50;

/// Reads the users `filter` selects under the base DN, each with the configured attributes.
///
/// `password` is `None` for an anonymous bind. Entries come in the server's order.
pub fn search_users(
    settings: &DirectorySettings,
    password: Option<&SecretString>,
    filter: &str,
) -> Result<Vec<DirectoryEntry>, DirectoryError> {
    let url = settings.url.as_str();
    let mut conn_settings = LdapConnSettings::new()
        .set_conn_timeout(settings.timeout)
        .set_starttls(settings.transport == Transport::StartTls);
    if settings.transport != Transport::Plain {
        conn_settings = conn_settings.set_config(tls_config(settings)?);
    }
    let mut conn =
        LdapConn::with_settings(conn_settings, url).map_err(|e| connect_error(settings, &e))?;
    if let Some(bind_dn) = &settings.bind_dn {
        let password = password.map_or("", |p| p.expose());
        // An empty password would be an unauthenticated bind (RFC 4513 5.1.2), which many
        // servers accept as anonymous: refuse it rather than read as nobody.
        if password.is_empty() {
            return Err(DirectoryError::EmptyPassword {
                bind_dn: bind_dn.clone(),
            });
        }
        let result = conn
            .with_timeout(settings.timeout)
            .simple_bind(bind_dn, password)
            .map_err(|e| connect_error(settings, &e))?;
        if result.rc != 0 {
            return Err(DirectoryError::Bind {
                url: url.to_owned(),
                bind_dn: bind_dn.clone(),
                reason: if result.rc == INVALID_CREDENTIALS {
                    "invalid credentials (wrong bind DN or password)".to_owned()
                } else {
                    describe_result(result.rc, &result.text)
                },
            });
        }
    }
    let attributes = vec![
        settings.login_attribute.clone(),
        settings.first_name_attribute.clone(),
        settings.last_name_attribute.clone(),
    ];
    let page_size = i32::try_from(settings.page_size).unwrap_or(i32::MAX);
    let adapters: Vec<Box<dyn Adapter<'static, String, Vec<String>>>> = vec![
        Box::new(EntriesOnly::new()),
        Box::new(PagedResults::new(page_size)),
    ];
    let search_error = |reason: String| DirectoryError::Search {
        url: url.to_owned(),
        base_dn: settings.base_dn.clone(),
        filter: filter.to_owned(),
        reason,
    };
    let mut stream = conn
        .with_timeout(settings.timeout)
        .streaming_search_with(
            adapters,
            &settings.base_dn,
            Scope::Subtree,
            filter,
            attributes,
        )
        .map_err(|e| search_error(describe_error(&e)))?;
    let mut entries = Vec::new();
    loop {
        match stream.next() {
            Ok(Some(entry)) => entries.push(entry_of(SearchEntry::construct(entry), settings)),
            Ok(None) => break,
            Err(error) => return Err(search_error(describe_error(&error))),
        }
    }
    let result = stream.result();
    match result.rc {
        0 => {}
        NO_SUCH_OBJECT => {
            return Err(search_error(format!(
                "the base DN does not exist on the server{}",
                if result.matched.is_empty() {
                    String::new()
                } else {
                    format!(" (it has {:?})", result.matched)
                }
            )));
        }
        SIZE_LIMIT_EXCEEDED => {
            return Err(search_error(
                "the server's size limit cut the result short even with paged results; raise the limit for the bind DN".to_owned(),
            ));
        }
        rc => return Err(search_error(describe_result(rc, &result.text))),
    }
    let _ = conn.unbind();
    Ok(entries)
}

/// The values of the configured attributes, matched ignoring case as LDAP does.
fn entry_of(entry: SearchEntry, settings: &DirectorySettings) -> DirectoryEntry {
    let value = |name: &str| -> Option<Result<String, ()>> {
        if let Some((_, values)) = entry
            .attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            return values.first().cloned().map(Ok);
        }
        // Values that are not UTF-8 arrive as binary.
        entry
            .bin_attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|_| Err(()))
    };
    DirectoryEntry {
        dn: entry.dn.clone(),
        login: value(&settings.login_attribute),
        first_name: value(&settings.first_name_attribute),
        last_name: value(&settings.last_name_attribute),
    }
}

/// The rustls configuration: only the site CA from `ca_file` when given, else the system's
/// roots. Server names are always verified.
fn tls_config(settings: &DirectorySettings) -> Result<Arc<rustls::ClientConfig>, DirectoryError> {
    let mut roots = rustls::RootCertStore::empty();
    match &settings.ca_file {
        Some(path) => {
            let ca_error = |reason: String| DirectoryError::CaFile {
                path: path.clone(),
                reason,
            };
            let bytes = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
            for cert in CertificateDer::pem_slice_iter(&bytes) {
                let cert =
                    cert.map_err(|e| ca_error(format!("not a PEM certificate file ({e})")))?;
                roots
                    .add(cert)
                    .map_err(|e| ca_error(format!("a certificate is not usable as a CA ({e})")))?;
            }
            if roots.is_empty() {
                return Err(ca_error(
                    "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
                ));
            }
        }
        None => {
            let loaded = rustls_native_certs::load_native_certs();
            for cert in loaded.certs {
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                return Err(DirectoryError::NoSystemRoots {
                    url: settings.url.clone(),
                });
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DirectoryError::Connect {
            url: settings.url.clone(),
            reason: format!("TLS setup failed: {e}"),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn connect_error(settings: &DirectorySettings, error: &LdapError) -> DirectoryError {
    let reason = describe_error(error);
    let tls_problem = reason.contains("certificate") || reason.contains("Certificate");
    DirectoryError::Connect {
        url: settings.url.clone(),
        reason: if tls_problem {
            format!(
                "{reason} (check directory.ca_file and that the URL's host name is one the server's certificate names)"
            )
        } else {
            reason
        },
    }
}

/// The error and its causes on one line.
fn describe_error(error: &LdapError) -> String {
    if let LdapError::LdapResult { result } = error {
        return describe_result(result.rc, &result.text);
    }
    if let LdapError::Timeout { .. } = error {
        return "the server did not answer in time (directory.timeout_seconds)".to_owned();
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn describe_result(rc: u32, text: &str) -> String {
    let name = match rc {
        INVALID_CREDENTIALS => "invalid credentials",
        NO_SUCH_OBJECT => "no such object",
        INSUFFICIENT_ACCESS => "insufficient access rights",
        SIZE_LIMIT_EXCEEDED => "size limit exceeded",
        3 => "time limit exceeded",
        11 => "administrative limit exceeded",
        13 => "confidentiality required (use ldaps:// or starttls = true)",
        48 => "inappropriate authentication",
        51 => "server busy",
        52 => "server unavailable",
        53 => "unwilling to perform",
        87 => "filter error",
        _ => "error",
    };
    let text = text.trim();
    if text.is_empty() {
        format!("{name} (LDAP result {rc})")
    } else {
        format!("{name} (LDAP result {rc}: {text})")
    }
}
