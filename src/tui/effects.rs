//! Performing effects against the backend. Shared by the runtime and the tests, so the tests
//! drive exactly the code the program runs.

use super::backend::{Backend, JobHandle};
use super::msg::{Effect, Msg};

/// What performing an effect produced.
pub enum Performed {
    /// Messages to feed back into the update.
    Msgs(Vec<Msg>),
    /// A job started; the caller watches its events.
    Started(JobHandle),
    /// Ask the running job to stop.
    Cancel,
    /// Leave the program (after cancelling a running job).
    Quit,
}

pub fn perform(backend: &mut dyn Backend, effect: Effect) -> Performed {
    let msg = match effect {
        Effect::Validate {
            spec,
            step,
            advance,
        } => Msg::Validated {
            issues: backend.validate(&spec, step.fields()),
            step,
            advance,
        },
        Effect::Preview { spec, generation } => match backend.preview(&spec, generation) {
            Some(answer) => answer.into(),
            None => return Performed::Msgs(Vec::new()),
        },
        Effect::FilterTokens { needle, generation } => {
            match backend.filter_tokens(&needle, generation) {
                Some(answer) => answer.into(),
                None => return Performed::Msgs(Vec::new()),
            }
        }
        Effect::Review { spec, generation } => match backend.review(&spec, generation) {
            Some(answer) => answer.into(),
            None => return Performed::Msgs(Vec::new()),
        },
        Effect::StartJob(spec) => match backend.start_job(*spec) {
            Some(Ok(handle)) => return Performed::Started(handle),
            Some(Err(error)) => Msg::JobStartFailed(error),
            None => return Performed::Msgs(Vec::new()),
        },
        Effect::TakeUpStartedJob => match backend.take_started_job() {
            Some(Ok(handle)) => return Performed::Started(handle),
            Some(Err(error)) => Msg::JobStartFailed(error),
            None => return Performed::Msgs(Vec::new()),
        },
        Effect::RecordJobEnd(reported) => match backend.record_job_end(reported) {
            Some(answer) => answer.into(),
            None => return Performed::Msgs(Vec::new()),
        },
        Effect::TakeUpRecording => Msg::RecordingTakenUp(backend.job_recorded()),
        Effect::CancelJob => return Performed::Cancel,
        Effect::NewWizard => Msg::WizardReady {
            default_name: backend.default_job_name(),
        },
        Effect::LoadJobs => Msg::JobsLoaded(backend.jobs()),
        Effect::LoadTokens => match backend.tokens() {
            Some(inventory) => Msg::TokensLoaded(inventory),
            None => Msg::TokensIndexing,
        },
        Effect::SuggestDownloadPath(job) => Msg::DownloadPathSuggested {
            path: backend.default_download_path(&job),
            job_id: job.id,
        },
        Effect::Download {
            job_id,
            path,
            overwrite,
        } => match backend.download(&job_id, &path, overwrite) {
            Some(answer) => answer.into(),
            None => return Performed::Msgs(Vec::new()),
        },
        Effect::CancelDownload => {
            backend.cancel_download();
            return Performed::Msgs(Vec::new());
        }
        Effect::DeleteOutput { job_id, job_name } => {
            match backend.delete_output(&job_id, &job_name) {
                Some(answer) => answer.into(),
                None => return Performed::Msgs(Vec::new()),
            }
        }
        Effect::LoadAdmin => Msg::AdminLoaded(backend.directory()),
        Effect::Admin(task) => match backend.start_admin(task) {
            Some(answer) => answer.into(),
            None => return Performed::Msgs(Vec::new()),
        },
        Effect::InventoryChanged => Msg::WorkspaceChanged(backend.inventory_changed()),
        Effect::Quit => return Performed::Quit,
    };
    Performed::Msgs(vec![msg])
}

/// The message that tells the update a job started.
pub fn started_msg(handle: &JobHandle) -> Msg {
    Msg::JobStarted {
        id: handle.id.clone(),
        name: handle.name.clone(),
        total: handle.total,
    }
}
