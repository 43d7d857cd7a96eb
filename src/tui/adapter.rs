//! The real [`Backend`](super::backend::Backend): the workspace and the job engine.
//! (Filled in once those layers are merged.)

use super::backend::*;
use crate::jobs::JobSpec;
use crate::workspace::Profile;
use std::path::{Path, PathBuf};

/// The workspace and job engine behind the UI.
pub struct RealBackend {
    _private: (),
}

/// Opens the workspace (asking for the passphrase first) or a fresh demo workspace.
pub fn open(global: &crate::cli::GlobalArgs, demo: bool) -> Result<RealBackend, String> {
    let _ = (global, demo);
    Err("the workspace layer is not available in this build yet".into())
}

impl Backend for RealBackend {
    fn profiles(&self) -> Vec<Profile> {
        Vec::new()
    }
    fn tokens(&self) -> Vec<TokenRow> {
        Vec::new()
    }
    fn default_job_name(&self) -> String {
        String::new()
    }
    fn validate(&self, _spec: &JobSpec, _fields: &[crate::jobs::JobField]) -> Vec<FieldIssue> {
        Vec::new()
    }
    fn preview(&self, _spec: &JobSpec) -> SelectionPreview {
        SelectionPreview::default()
    }
    fn review(&self, _spec: &JobSpec) -> Result<ReviewSummary, Vec<FieldIssue>> {
        Err(Vec::new())
    }
    fn start_job(&mut self, _spec: JobSpec) -> Result<JobHandle, String> {
        Err("not available".into())
    }
    fn finish_job(&mut self, reported: JobOutcome) -> JobOutcome {
        reported
    }
    fn jobs(&self) -> Result<Vec<JobRow>, String> {
        Ok(Vec::new())
    }
    fn default_download_path(&self, job: &JobRow) -> PathBuf {
        PathBuf::from(format!("./{}.zip", job.name))
    }
    fn download(
        &mut self,
        _job_id: &str,
        _path: &Path,
        _overwrite: bool,
    ) -> Result<Downloaded, DownloadError> {
        Err(DownloadError::Failed("not available".into()))
    }
    fn delete_output(&mut self, _job_id: &str) -> Result<(), String> {
        Err("not available".into())
    }
}
