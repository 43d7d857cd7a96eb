//! Opening the job history of a workspace, and settling what a dead process left behind:
//! a job still marked running becomes `interrupted` (nothing offered for download, the
//! inventory untouched), and staged files that belong to no downloadable job are removed.

use super::engine::{is_live, staged_dir};
use super::error::HistoryError;
use super::history::{HISTORY_FILE, History, JobStatus};
use super::store::JobStore;

impl History {
    /// Loads the workspace's history and marks jobs whose process ended as interrupted.
    pub fn open(store: &impl JobStore) -> Result<History, HistoryError> {
        let jobs_dir = store.jobs_dir();
        let mut history = History::load_from(&jobs_dir.join(HISTORY_FILE))?;
        let now = time::OffsetDateTime::now_utc();
        let orphans: Vec<_> = history
            .records()
            .iter()
            .filter(|record| !record.status.is_finished() && !is_live(&record.id))
            .cloned()
            .collect();
        for mut record in orphans {
            let process = record
                .pid
                .map(|pid| format!(" (pid {pid})"))
                .unwrap_or_default();
            record.status = JobStatus::Interrupted;
            record.finished_at = Some(now);
            record.error = Some(format!(
                "the tokendist process{process} ended before the job finished; no file was kept and the inventory was not changed"
            ));
            let _ = std::fs::remove_dir_all(staged_dir(&jobs_dir, &record.id));
            history.put(record)?;
        }
        remove_stray_staging(&history, &jobs_dir);
        Ok(history)
    }
}

/// Staging directories with no downloadable job and no live run (e.g. a crash between
/// creating the directory and recording the job).
fn remove_stray_staging(history: &History, jobs_dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(jobs_dir.join("staged")) else {
        return;
    };
    for entry in entries.flatten() {
        let id = entry.file_name().to_string_lossy().into_owned();
        let keep = is_live(&id) || history.get(&id).is_some_and(|record| record.has_output());
        if !keep {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
