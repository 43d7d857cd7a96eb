//! Distribution jobs: the console's rules, token selection, the review summary, parallel
//! generation with progress, the job history and the output ZIP.
//!
//! The flow, as the wizard and `jobs submit` drive it:
//! [`validate`] (per field, as the user types) → [`prepare`] (all rules, [`select`]ion and the
//! [`review`]) → [`start`] (background run, progress on a channel, cancellable) →
//! [`finish`] (inventory and [`history`] updated) → [`download`] / [`delete_output`].
//!
//! CONTRACT: `spec` holds the data types the TUI and CLI build a job from; keep them stable.

pub mod archive;
pub mod ascii_fold;
pub mod check;
mod delete;
mod download;
pub mod engine;
mod error;
pub mod exclusions;
pub mod history;
pub mod index;
pub mod job_id;
mod prepare;
mod recovery;
pub mod rekey;
pub mod review;
pub mod select;
mod spec;
pub mod staging;
mod store;
pub mod validate;
mod writeback;

pub use delete::{delete_output, mark_output_deleted, remove_staged};
pub use download::{
    BegunDownload, DOWNLOAD_PAUSE_POINT, DOWNLOAD_PROGRESS_INTERVAL, DownloadProgress,
    DownloadReport, DownloadWatch, begin_download, default_output_path, download, download_watched,
    end_download, file_name_safe,
};
pub use engine::{
    CancelToken, EngineOptions, FileCodec, JobEvent, JobHandle, JobOutcome, Progress, RunResult,
    SdtidCodec, finish, start, start_with,
};
pub use error::{HistoryError, JobError};
pub use history::{
    EXCLUSION_SAMPLE, ExcludedRecord, ExclusionSummary, History, JobRecord, JobStatus,
    PendingDownload, ReasonCount, minute_text,
};
pub use prepare::{PreparedJob, Rejected, prepare, prepare_from, prepare_snapshot, preview};
pub use recovery::{RecoveryReport, recover};
pub use review::ReviewSummary;
pub use select::{
    Exclusion, ExclusionReason, SelectableToken, Selection, SelectionContext, select,
};
pub use spec::{
    Binding, JobField, JobSpec, Protection, SelectionCriteria, SerialRange, SerialRangeError,
};
pub use store::{JobDistribution, JobStore};
pub use validate::{FieldError, default_job_name, validate_fields};
