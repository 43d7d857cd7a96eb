//! The `stoken` referee (Debian package `stoken`, version 0.92 known to work).
//!
//! Every call runs with `--batch` (stoken fails instead of prompting), stdin closed, a timeout,
//! and `HOME` pointed at a scratch directory so that a developer's `~/.stokenrc` is neither
//! read nor written. Passwords go to stoken as `--password=`/`--new-password=` because stoken
//! has no other non-interactive channel; tests only ever pass throwaway random passwords.

use super::runner::{self, Output};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A located `stoken` binary.
#[derive(Debug, Clone)]
pub struct Stoken {
    program: PathBuf,
    home: PathBuf,
}

/// What `stoken show [--seed]` reports about a token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StokenShow {
    pub serial: String,
    /// Lower-case hex; only filled by [`Stoken::show_seed`].
    pub seed_hex: Option<String>,
    pub digits: u32,
    pub interval: u32,
    pub pin_mode: u32,
    /// `YYYY/MM/DD`: the day after `Death`, capped by stoken at 2038/01/19.
    pub expiration: String,
    pub password_protected: bool,
}

impl Stoken {
    /// Finds `stoken` on `PATH`; `None` when it is not installed.
    pub fn locate() -> Option<Self> {
        let program = find_on_path("stoken")?;
        let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("stoken-home");
        std::fs::create_dir_all(&home).ok()?;
        Some(Self { program, home })
    }

    /// `stoken --version`'s first line, for logs.
    pub fn version(&self) -> Result<String, String> {
        let output = self.run(["--version"])?;
        Ok(output.stdout.lines().next().unwrap_or_default().to_owned())
    }

    /// Runs stoken with `args` (and `--batch`), failing on a non-zero exit with stoken's stderr.
    pub fn run<I, S>(&self, args: I) -> Result<Output, String>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let mut command = Command::new(&self.program);
        command.env("HOME", &self.home).arg("--batch").args(&args);
        let output = runner::run(command).map_err(|e| e.to_string())?;
        if !output.success() {
            return Err(format!(
                "stoken {} failed ({}): {}",
                describe_args(&args),
                output.status,
                output.stderr.trim()
            ));
        }
        Ok(output)
    }

    /// The tokencode of the token in `file` at `unix_seconds`, with `pin` (stoken needs one for
    /// PIN-mode 2/3 tokens and ignores it otherwise). Expiry checks are overridden.
    pub fn tokencode(
        &self,
        file: &Path,
        password: Option<&str>,
        pin: &str,
        unix_seconds: i64,
    ) -> Result<String, String> {
        let mut args = vec![
            OsString::from("tokencode"),
            OsString::from("--force"),
            file_arg(file),
            OsString::from(format!("--use-time={unix_seconds}")),
            OsString::from(format!("--pin={pin}")),
        ];
        if let Some(password) = password {
            args.push(OsString::from(format!("--password={password}")));
        }
        let output = self.run(args)?;
        let code = output.stdout.trim();
        if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "stoken tokencode printed {code:?}, not a tokencode"
            ));
        }
        Ok(code.to_owned())
    }

    /// `stoken show`: the token's attributes as stoken understands them.
    pub fn show(&self, file: &Path, password: Option<&str>) -> Result<StokenShow, String> {
        self.show_impl(file, password, false)
    }

    /// `stoken show --seed`: as [`Stoken::show`], plus the decrypted seed.
    pub fn show_seed(&self, file: &Path, password: Option<&str>) -> Result<StokenShow, String> {
        self.show_impl(file, password, true)
    }

    fn show_impl(
        &self,
        file: &Path,
        password: Option<&str>,
        seed: bool,
    ) -> Result<StokenShow, String> {
        let mut args = vec![OsString::from("show"), file_arg(file)];
        if seed {
            args.push(OsString::from("--seed"));
        }
        if let Some(password) = password {
            args.push(OsString::from(format!("--password={password}")));
        }
        parse_show(&self.run(args)?.stdout)
    }

    /// `stoken export --random --sdtid --template T`: a file whose fields come from the
    /// template (its `Seed` element is taken as the plaintext seed).
    pub fn export_sdtid(
        &self,
        template: &Path,
        new_password: Option<&str>,
        new_devid: Option<&str>,
    ) -> Result<String, String> {
        let args = vec![
            OsString::from("export"),
            OsString::from("--random"),
            "--sdtid".into(),
        ];
        self.write_sdtid(args, Some(template), new_password, new_devid)
    }

    /// `stoken issue --template T`: a new token with a seed stoken chooses.
    pub fn issue(
        &self,
        template: &Path,
        new_password: Option<&str>,
        new_devid: Option<&str>,
    ) -> Result<String, String> {
        self.write_sdtid(
            vec![OsString::from("issue")],
            Some(template),
            new_password,
            new_devid,
        )
    }

    /// `stoken issue` without a template: a new token with stoken's own defaults.
    pub fn issue_default(&self, new_password: Option<&str>) -> Result<String, String> {
        self.write_sdtid(vec![OsString::from("issue")], None, new_password, None)
    }

    fn write_sdtid(
        &self,
        mut args: Vec<OsString>,
        template: Option<&Path>,
        new_password: Option<&str>,
        new_devid: Option<&str>,
    ) -> Result<String, String> {
        if let Some(template) = template {
            let mut template_arg = OsString::from("--template=");
            template_arg.push(template);
            args.push(template_arg);
        }
        if let Some(password) = new_password {
            args.push(OsString::from(format!("--new-password={password}")));
        }
        if let Some(devid) = new_devid {
            args.push(OsString::from(format!("--new-devid={devid}")));
        }
        Ok(self.run(args)?.stdout)
    }
}

fn file_arg(file: &Path) -> OsString {
    let mut arg = OsString::from("--file=");
    arg.push(file);
    arg
}

/// The arguments for an error message, with password values blanked out.
fn describe_args(args: &[OsString]) -> String {
    args.iter()
        .map(|arg| {
            let arg = arg.to_string_lossy();
            match arg.split_once('=') {
                Some((flag, _)) if flag.ends_with("password") => format!("{flag}=***"),
                _ => arg.into_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_show(stdout: &str) -> Result<StokenShow, String> {
    let mut show = StokenShow::default();
    let mut seen = 0;
    for line in stdout.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let number = || {
            value
                .parse::<u32>()
                .map_err(|_| format!("stoken show: {line:?}"))
        };
        match key.trim() {
            "Serial number" => show.serial = value.to_owned(),
            "Decrypted seed" => show.seed_hex = Some(value.split_whitespace().collect()),
            "Tokencode digits" => show.digits = number()?,
            "Seconds per tokencode" => show.interval = number()?,
            "PIN mode" => show.pin_mode = number()?,
            "Expiration date" => show.expiration = value.to_owned(),
            "Encrypted w/password" => show.password_protected = value == "yes",
            _ => continue,
        }
        seen += 1;
    }
    if seen < 6 {
        return Err(format!(
            "stoken show printed an unexpected report: {stdout:?}"
        ));
    }
    Ok(show)
}

/// The first executable file named `name` in the directories of `PATH`.
pub(super) fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}
