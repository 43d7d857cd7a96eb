//! Errors of the job layer. None carries a password or seed; each names the job, file or
//! path concerned so the edge can print it as one line.

use std::path::PathBuf;

/// What went wrong with a job operation.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Workspace(#[from] crate::workspace::WorkspaceError),
    #[error("{0}")]
    Invalid(String),
    #[error("no job with id or name {0:?} in the job history")]
    NotFound(String),
    #[error("job {name:?} is {status}, not completed: it has no output to download")]
    NotCompleted { name: String, status: &'static str },
    #[error(
        "the output of job {name:?} was deleted on {deleted_at}; submit the job again to get new files"
    )]
    OutputDeleted { name: String, deleted_at: String },
    #[error("{path} already exists; choose another path or replace it with --force")]
    TargetExists { path: PathBuf },
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the staged output of job {name:?} ({path}) is damaged or incomplete: {reason}")]
    StagedOutputDamaged {
        name: String,
        path: PathBuf,
        reason: String,
    },
    #[error("the download to {path} was cancelled; nothing was saved there")]
    DownloadCancelled { path: PathBuf },
    #[error("job {name:?} is still running")]
    StillRunning { name: String },
}

impl JobError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Problems with the job history file.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(
        "job history {path} is damaged at line {line}: {reason}; it was kept as {kept_as} and a new history is started; staged job outputs are kept: run `tokendist jobs recover` to rebuild their records"
    )]
    Damaged {
        path: PathBuf,
        line: usize,
        reason: String,
        kept_as: PathBuf,
    },
    #[error("cannot {action} job history {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
