//! The python-securid referee (PyPI `securid`), driven through `securid_driver.py`.
//!
//! The interpreter is `$TOKENDIST_PYTHON` when set; otherwise the project's own `.venv` (which
//! `.ci/run` creates next to `Cargo.toml`), then `python3` on `PATH`. An interpreter counts as
//! found only if it can `import securid`. Requests (file, password, times, PINs) go to the
//! driver as JSON on stdin, so passwords never appear in argv; many files are decoded in one
//! interpreter start.

use super::runner;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Names the interpreter to use; see the module doc.
pub const PYTHON_ENV: &str = "TOKENDIST_PYTHON";

/// The virtualenv `.ci/run` installs python-securid into, beside `Cargo.toml`.
pub fn project_venv_python() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python")
}

const DRIVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/support/securid_driver.py"
);

/// A Python interpreter that can `import securid`.
#[derive(Debug, Clone)]
pub struct PythonSecurid {
    interpreter: PathBuf,
}

/// One file to decode, and the times and PINs to compute codes for.
#[derive(Debug, Clone, Serialize)]
pub struct DecodeRequest {
    pub file: PathBuf,
    /// `None` lets python-securid use `Origin` (a password-less file).
    pub password: Option<String>,
    pub times: Vec<i64>,
    /// `None` computes the plain code; `Some(pin)` adds the PIN digit-wise (python-securid
    /// adds a given PIN whatever the token's PIN mode says).
    pub pins: Vec<Option<u32>>,
}

/// python-securid's view of one file: `Ok` or the exception it raised.
pub type DecodeResult = Result<Decoded, String>;

/// What python-securid decoded.
#[derive(Debug, Clone, Deserialize)]
pub struct Decoded {
    /// Zero-padded to 12 digits by python-securid.
    pub serial: String,
    pub digits: u32,
    pub interval: u32,
    /// `YYYY/MM/DD` (the file's `Death`).
    pub death: Option<String>,
    pub seed: String,
    /// `codes[time index][pin index]`.
    pub codes: Vec<Vec<String>>,
}

impl PythonSecurid {
    /// Locates the interpreter and checks `import securid`; `Err` says why it is unusable.
    pub fn locate() -> Result<Self, String> {
        if let Some(path) = std::env::var_os(PYTHON_ENV).filter(|path| !path.is_empty()) {
            return Self::usable(PathBuf::from(path));
        }
        let mut tried = Vec::new();
        for candidate in [
            Some(project_venv_python()),
            super::stoken::find_on_path("python3"),
        ]
        .into_iter()
        .flatten()
        .filter(|path| path.is_file())
        {
            match Self::usable(candidate) {
                Ok(found) => return Ok(found),
                Err(reason) => tried.push(reason),
            }
        }
        if tried.is_empty() {
            tried.push(format!(
                "{PYTHON_ENV} is not set, there is no {} and python3 is not on PATH",
                project_venv_python().display()
            ));
        }
        Err(tried.join("; "))
    }

    fn usable(interpreter: PathBuf) -> Result<Self, String> {
        let mut command = Command::new(&interpreter);
        command.args(["-c", "import securid"]);
        match runner::run(command) {
            Ok(output) if output.success() => Ok(Self { interpreter }),
            Ok(_) => Err(format!("{} cannot import securid", interpreter.display())),
            Err(error) => Err(error.to_string()),
        }
    }

    /// The interpreter in use.
    pub fn interpreter(&self) -> &Path {
        &self.interpreter
    }

    /// The installed `securid` package version, for logs.
    pub fn version(&self) -> Result<String, String> {
        let mut command = Command::new(&self.interpreter);
        command.args([
            "-c",
            "import importlib.metadata as m; print(m.version('securid'))",
        ]);
        let output = runner::run(command).map_err(|e| e.to_string())?;
        Ok(output.stdout.trim().to_owned())
    }

    /// Decodes every request in one interpreter run; results come back in request order.
    /// `Err` only when the driver itself failed.
    pub fn decode(&self, requests: &[DecodeRequest]) -> Result<Vec<DecodeResult>, String> {
        let input = serde_json::to_vec(requests).map_err(|e| e.to_string())?;
        let mut command = Command::new(&self.interpreter);
        command.arg(DRIVER);
        // About 10 ms per file; the limit leaves a wide margin on a loaded machine.
        let timeout = runner::DEFAULT_TIMEOUT + Duration::from_millis(200) * requests.len() as u32;
        let output = runner::run_with(command, Some(&input), timeout).map_err(|e| e.to_string())?;
        if !output.success() {
            return Err(format!(
                "securid driver failed ({}): {}",
                output.status, output.stderr
            ));
        }
        let raw: Vec<serde_json::Value> = serde_json::from_str(&output.stdout)
            .map_err(|e| format!("securid driver output is not the expected JSON: {e}"))?;
        if raw.len() != requests.len() {
            return Err(format!(
                "securid driver answered {} of {}",
                raw.len(),
                requests.len()
            ));
        }
        raw.into_iter()
            .map(|result| {
                if result["ok"] == serde_json::Value::Bool(true) {
                    serde_json::from_value(result)
                        .map(Ok)
                        .map_err(|e| format!("securid driver result malformed: {e}"))
                } else {
                    Ok(Err(result["error"]
                        .as_str()
                        .unwrap_or("unknown error")
                        .to_owned()))
                }
            })
            .collect()
    }
}
