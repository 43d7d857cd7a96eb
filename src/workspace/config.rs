//! The configuration file `tokendist.toml`: header defaults, output naming and the software
//! token profiles. Parsed strictly: unknown keys are errors, and every error names the file,
//! line and column and what was expected.

use super::model::Profile;
use crate::directory::DirectorySettings;
use crate::directory::settings::RawDirectory;
use crate::sdtid::{BatchHeader, StreamLimits};
use crate::token::Digits;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The default configuration shipped with tokendist, written by `init`.
pub const DEFAULT_CONFIG: &str = include_str!("../../config/tokendist.toml");

/// Longest `Origin`/`Dest` and `Name` header values (the console's limits).
const MAX_ORIGIN_DEST: usize = 32;
const MAX_BATCH_NAME: usize = 16;
const MAX_PROFILE_NAME: usize = 64;
const MAX_DEVICE_CLASS_ID: usize = 128;

/// The configuration file (`tokendist.toml`).
#[derive(Debug, Clone)]
pub struct Config {
    /// Header strings written into every SDTID file.
    pub header: BatchHeader,
    pub profiles: Vec<Profile>,
    /// Default download path for a job's ZIP; `{job}` is replaced by the sanitised job name.
    pub output_path_template: String,
    /// Caps on one token record file (`[import]`): a guard against hostile files, far above
    /// any genuine order.
    pub import_limits: StreamLimits,
    /// The site's user directory (`[directory]`), when configured.
    pub directory: Option<DirectorySettings>,
}

/// A configuration problem, located in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    header: RawHeader,
    output_path_template: Spanned<String>,
    #[serde(default)]
    profiles: Vec<Spanned<Profile>>,
    directory: Option<RawDirectory>,
    #[serde(default)]
    import: Option<Spanned<RawImport>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImport {
    max_file_mib: Option<u64>,
    max_tokens: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    origin: Spanned<String>,
    dest: Spanned<String>,
    name: Spanned<String>,
}

impl Config {
    /// Reads and validates the configuration file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let source = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read the configuration: {e}"),
        })?;
        Config::parse(&source, path)
    }

    /// Parses and validates configuration text; `path` is only used in error messages.
    pub fn parse(source: &str, path: &Path) -> Result<Config, ConfigError> {
        let locate = |offset: usize, message: String| {
            let (line, column) = line_column(source, offset);
            ConfigError {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let raw: RawConfig = toml::from_str(source).map_err(|e| {
            let offset = e.span().map_or(0, |span| span.start);
            locate(offset, e.message().trim().replace('\n', "; "))
        })?;

        let header_field = |field: &Spanned<String>, key: &str, max: usize| {
            check_header_value(field.get_ref(), max)
                .map_err(|why| locate(field.span().start, format!("header.{key} {why}")))
        };
        header_field(&raw.header.origin, "origin", MAX_ORIGIN_DEST)?;
        header_field(&raw.header.dest, "dest", MAX_ORIGIN_DEST)?;
        header_field(&raw.header.name, "name", MAX_BATCH_NAME)?;

        check_template(raw.output_path_template.get_ref()).map_err(|why| {
            locate(
                raw.output_path_template.span().start,
                format!("output_path_template {why}"),
            )
        })?;

        let mut profiles: Vec<Profile> = Vec::with_capacity(raw.profiles.len());
        let mut starts: Vec<usize> = Vec::new();
        for spanned in &raw.profiles {
            let profile = spanned.get_ref();
            let start = spanned.span().start;
            check_profile(profile)
                .map_err(|why| locate(start, format!("profile {:?}: {why}", profile.name)))?;
            if let Some(index) = profiles
                .iter()
                .position(|p| p.name.eq_ignore_ascii_case(&profile.name))
            {
                let (first_line, _) = line_column(source, starts[index]);
                return Err(locate(
                    start,
                    format!(
                        "profile name {:?} is used twice (first at line {first_line}); names must be unique, ignoring case",
                        profile.name
                    ),
                ));
            }
            profiles.push(profile.clone());
            starts.push(start);
        }

        let import_limits = match &raw.import {
            None => StreamLimits::default(),
            Some(spanned) => import_limits(spanned.get_ref())
                .map_err(|why| locate(spanned.span().start, format!("import.{why}")))?,
        };

        let config_dir = path.parent().unwrap_or(Path::new(""));
        let directory = match raw.directory {
            Some(table) => Some(
                table
                    .check(config_dir)
                    .map_err(|(offset, message)| locate(offset, message))?,
            ),
            None => None,
        };

        Ok(Config {
            directory,
            import_limits,
            header: BatchHeader {
                origin: raw.header.origin.into_inner(),
                dest: raw.header.dest.into_inner(),
                name: raw.header.name.into_inner(),
            },
            profiles,
            output_path_template: raw.output_path_template.into_inner(),
        })
    }

    /// The embedded default configuration, parsed.
    pub fn default_config() -> Config {
        Config::parse(DEFAULT_CONFIG, Path::new("(built-in tokendist.toml)"))
            .expect("the shipped default configuration is valid")
    }

    /// The profile with this name (ignoring case, as names are unique ignoring case).
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

/// Largest `import.max_file_mib` and `import.max_tokens` accepted: the limits guard memory
/// and time, so they cannot be switched off.
const MAX_IMPORT_MIB: u64 = 64 * 1024;
const MAX_IMPORT_TOKENS: usize = 20_000_000;

fn import_limits(raw: &RawImport) -> Result<StreamLimits, String> {
    let defaults = StreamLimits::default();
    let mib = raw.max_file_mib.unwrap_or(defaults.max_bytes >> 20);
    if !(1..=MAX_IMPORT_MIB).contains(&mib) {
        return Err(format!(
            "max_file_mib must be 1 to {MAX_IMPORT_MIB}, not {mib}"
        ));
    }
    let tokens = raw.max_tokens.unwrap_or(defaults.max_tokens);
    if !(1..=MAX_IMPORT_TOKENS).contains(&tokens) {
        return Err(format!(
            "max_tokens must be 1 to {MAX_IMPORT_TOKENS}, not {tokens}"
        ));
    }
    Ok(StreamLimits {
        max_bytes: mib << 20,
        max_tokens: tokens,
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn check_header_value(value: &str, max: usize) -> Result<(), String> {
    if value.is_empty() {
        return Err("must not be empty (write \"N/A\" for no value)".into());
    }
    if !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err("must be printable ASCII (it feeds the file's key derivation)".into());
    }
    if value.trim() != value {
        return Err("must not start or end with a space".into());
    }
    if value.len() > max {
        return Err(format!(
            "must be at most {max} characters (got {})",
            value.len()
        ));
    }
    Ok(())
}

fn check_template(template: &str) -> Result<(), String> {
    if !template.contains("{job}") {
        return Err("must contain {job} so that each job gets its own file".into());
    }
    let without = template.replace("{job}", "");
    if without.contains('{') || without.contains('}') {
        return Err("may only use the placeholder {job}".into());
    }
    Ok(())
}

fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

fn check_profile(profile: &Profile) -> Result<(), String> {
    let name = &profile.name;
    if name.trim().is_empty() {
        return Err("name must not be empty".into());
    }
    if name.trim() != name || has_control(name) {
        return Err("name must not contain control characters or start or end with a space".into());
    }
    if name.chars().count() > MAX_PROFILE_NAME {
        return Err(format!(
            "name must be at most {MAX_PROFILE_NAME} characters"
        ));
    }
    if has_control(&profile.description) {
        return Err("description must not contain control characters".into());
    }
    if profile.device_type.trim().is_empty() || has_control(&profile.device_type) {
        return Err("device_type must be a non-empty label such as \"Android\"".into());
    }
    let id = &profile.device_class_id;
    if id.is_empty() {
        return Err("device_class_id must not be empty".into());
    }
    if !id.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err("device_class_id must be printable ASCII without spaces".into());
    }
    if id.len() > MAX_DEVICE_CLASS_ID {
        return Err(format!(
            "device_class_id must be at most {MAX_DEVICE_CLASS_ID} characters"
        ));
    }
    if Digits::new(profile.digits.get().into()).is_err() {
        return Err(format!("digits must be 6 or 8 (got {})", profile.digits));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::model::{Delivery, PinType};

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("tokendist.toml"))
    }

    const MINIMAL: &str = r#"
output_path_template = "./{job}.zip"
[header]
origin = "N/A"
dest = "N/A"
name = "N/A"
"#;

    fn with_profile(extra: &str) -> String {
        format!(
            "{MINIMAL}
[[profiles]]
name = \"Android\"
delivery = \"file\"
device_type = \"Android\"
device_class_id = \"a01c4380-fc01-4df0-b113-7fb98ec74694\"
key_bits = 128
digits = 8
interval = 60
pin_type = \"pinpad\"
{extra}"
        )
    }

    #[test]
    fn the_shipped_default_is_valid_and_realistic() {
        let config = Config::default_config();
        let android = config.profile("android").expect("an Android profile");
        assert_eq!(
            android.device_class_id,
            "a01c4380-fc01-4df0-b113-7fb98ec74694"
        );
        assert_eq!(android.delivery, Delivery::File);
        assert!(!android.site_specific);
        for delivery in [Delivery::File, Delivery::Ctf, Delivery::CtKip] {
            assert!(
                config.profiles.iter().any(|p| p.delivery == delivery),
                "{delivery:?}"
            );
        }
        for device in ["Android", "iOS", "Windows", "macOS"] {
            assert!(
                config.profiles.iter().any(|p| p.device_type == device),
                "{device}"
            );
        }
        assert!(config.output_path_template.contains("{job}"));
    }

    #[test]
    fn a_profile_parses_with_defaults() {
        let config = parse(&with_profile("")).unwrap();
        let profile = &config.profiles[0];
        assert_eq!(profile.pin_type, PinType::Pinpad);
        assert!(profile.copy_protection);
        assert!(!profile.site_specific);
    }

    #[test]
    fn unknown_keys_are_errors_with_line_and_column() {
        let error = parse(&with_profile("colour = \"blue\"\n")).unwrap_err();
        assert_eq!(error.line, 17, "{error}");
        assert!(error.message.contains("colour"), "{error}");
        let text = error.to_string();
        assert!(
            text.starts_with("tokendist.toml:17:1: unknown field `colour`"),
            "{text}"
        );
    }

    #[test]
    fn wrong_values_say_what_was_expected() {
        let error =
            parse(&with_profile("").replace("key_bits = 128", "key_bits = 96")).unwrap_err();
        assert!(error.message.contains("128 or 64"), "{error}");
        assert_eq!(error.line, 13, "{error}");
        let error = parse(&with_profile("").replace("\"pinpad\"", "\"pad\"")).unwrap_err();
        assert!(error.message.contains("pinpad"), "{error}");
        let error = parse(&with_profile("").replace("digits = 8", "digits = 7")).unwrap_err();
        assert!(error.message.contains("digits must be 6 or 8"), "{error}");
    }

    #[test]
    fn profile_rules_are_enforced() {
        let error =
            parse(&with_profile("").replace("\"a01c4380-fc01-4df0-b113-7fb98ec74694\"", "\"\""))
                .unwrap_err();
        assert!(
            error.message.contains("device_class_id must not be empty"),
            "{error}"
        );
        assert_eq!(error.line, 8);
        let twice = format!(
            "{}{}",
            with_profile(""),
            with_profile("")
                .replace(MINIMAL, "")
                .replace("\"Android\"\ndelivery", "\"ANDROID\"\ndelivery")
        );
        let error = parse(&twice).unwrap_err();
        assert!(
            error.message.contains("used twice (first at line 8)"),
            "{error}"
        );
    }

    #[test]
    fn header_limits_are_enforced() {
        let long_name = MINIMAL.replace("name = \"N/A\"", "name = \"a name that is too long\"");
        let error = parse(&long_name).unwrap_err();
        assert!(
            error.message.contains("header.name must be at most 16"),
            "{error}"
        );
        assert_eq!((error.line, error.column), (6, 8));
        let spaced = MINIMAL.replace("origin = \"N/A\"", "origin = \" N/A\"");
        assert!(parse(&spaced).unwrap_err().message.contains("space"));
        let accented = MINIMAL.replace("dest = \"N/A\"", "dest = \"Zürich\"");
        assert!(parse(&accented).unwrap_err().message.contains("ASCII"));
        let fixed = MINIMAL.replace("./{job}.zip", "./out.zip");
        assert!(parse(&fixed).unwrap_err().message.contains("{job}"));
        let missing = MINIMAL.replace("dest = \"N/A\"\n", "");
        assert!(parse(&missing).unwrap_err().message.contains("dest"));
    }

    #[test]
    fn the_directory_table_is_checked_in_place() {
        let with_directory = |extra: &str| {
            format!(
                "{MINIMAL}[directory]\nurl = \"ldaps://ldap.example.org\"\nbase_dn = \"dc=example,dc=org\"\n{extra}"
            )
        };
        let config =
            Config::parse(&with_directory(""), Path::new("/srv/ws/tokendist.toml")).unwrap();
        let directory = config.directory.expect("a directory");
        assert_eq!(directory.login_attribute, "uid");
        let config = Config::parse(
            &with_directory("ca_file = \"site-ca.pem\"\n"),
            Path::new("/srv/ws/tokendist.toml"),
        )
        .unwrap();
        assert_eq!(
            config.directory.unwrap().ca_file.as_deref(),
            Some(Path::new("/srv/ws/site-ca.pem"))
        );
        let error = parse(&with_directory("login = \"uid\"\n")).unwrap_err();
        assert_eq!(error.line, 10, "{error}");
        assert!(error.message.contains("unknown field `login`"), "{error}");
        let error = parse(&with_directory("filter = \"(uid=*\"\n")).unwrap_err();
        assert_eq!((error.line, error.column), (10, 10), "{error}");
        assert!(error.message.contains("directory.filter"), "{error}");
        assert!(Config::default_config().directory.is_none());
    }
}
