//! Distribution jobs: the console's rules, token selection, the review summary, parallel
//! generation with progress, the job history and the output ZIP.
//!
//! CONTRACT (filled in by the jobs work): `spec` holds the data types the TUI and CLI build a
//! job from; keep them stable. The rest of the API is the jobs work's to design.

mod spec;

pub use spec::{
    Binding, JobField, JobSpec, Protection, SelectionCriteria, SerialRange, SerialRangeError,
};
