//! A scratch workspace driven through the real binary: a temporary directory holding the
//! workspace (`ws/`), its passphrase file and whatever files a test writes next to them.

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use tokendist::secret::SecretString;
use tokendist::workspace::{KdfParams, Workspace, demo};

pub struct WorkspaceEnv {
    temp: tempfile::TempDir,
    /// The workspace directory (not created by [`WorkspaceEnv::new`]).
    pub dir: PathBuf,
    pub passphrase_file: PathBuf,
    passphrase: String,
}

impl WorkspaceEnv {
    /// A passphrase file for `passphrase` and a workspace path with nothing there yet.
    pub fn new(passphrase: &str) -> WorkspaceEnv {
        let temp = tempfile::tempdir().unwrap();
        let passphrase_file = temp.path().join("passphrase");
        std::fs::write(&passphrase_file, format!("{passphrase}\n")).unwrap();
        // Private, as an administrator keeps it (a readable one draws a warning).
        std::fs::set_permissions(
            &passphrase_file,
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
        WorkspaceEnv {
            dir: temp.path().join("ws"),
            passphrase_file,
            passphrase: passphrase.to_owned(),
            temp,
        }
    }

    /// An empty workspace, created with the fast test-only KDF parameters.
    pub fn initialised(passphrase: &str) -> WorkspaceEnv {
        let env = WorkspaceEnv::new(passphrase);
        drop(
            Workspace::init_with_kdf(
                &env.dir,
                &SecretString::from(passphrase),
                KdfParams::INSECURE_FOR_TESTS,
            )
            .unwrap(),
        );
        env
    }

    /// A demo workspace (passphrase `demo`).
    pub fn demo() -> WorkspaceEnv {
        let env = WorkspaceEnv::new(demo::DEMO_PASSPHRASE);
        drop(demo::create_demo(&env.dir).unwrap());
        env
    }

    /// Opens the workspace in-process.
    pub fn open(&self) -> Workspace {
        Workspace::open(&self.dir, &SecretString::from(self.passphrase.as_str())).unwrap()
    }

    /// `name` in the temporary directory, next to the workspace.
    pub fn path(&self, name: &str) -> PathBuf {
        self.temp.path().join(name)
    }

    /// Writes `content` to [`WorkspaceEnv::path`]`(name)` and returns that path.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content).unwrap();
        // Private, as an operator keeps files holding secrets (a readable one draws a warning).
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        path
    }

    /// `tokendist --workspace DIR --passphrase-file FILE ARGS`, with the environment's
    /// workspace settings removed, stdin closed and a timeout.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tokendist"));
        cmd.env_remove("TOKENDIST_HOME")
            .env_remove("TOKENDIST_PASSPHRASE_FILE")
            .arg("--workspace")
            .arg(&self.dir)
            .arg("--passphrase-file")
            .arg(&self.passphrase_file)
            .args(args)
            .timeout(Duration::from_secs(60))
            .write_stdin("");
        cmd
    }

    /// `tokens list --json ARGS`, parsed.
    pub fn list_json(&self, args: &[&str]) -> Vec<Value> {
        let output = self
            .cmd(&[&["tokens", "list", "--json"], args].concat())
            .assert()
            .success();
        let value: Value = serde_json::from_slice(&output.get_output().stdout).unwrap();
        value.as_array().unwrap().clone()
    }
}
