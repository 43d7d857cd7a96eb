//! From a filled-in job to one ready to run: every rule checked, tokens selected, the review
//! built. Nothing is written; the UI thread can call it as often as it likes.

use super::history::History;
use super::review::ReviewSummary;
use super::select::{Exclusion, Selection, SelectionContext, select};
use super::spec::{JobField, JobSpec, Protection};
use super::validate::{
    FieldError, validate_criteria, validate_password_not_origin, validate_profile, validate_spec,
};
use crate::sdtid::BatchHeader;
use crate::workspace::{Config, Inventory, InventoryToken, Profile, Workspace};

/// A validated job with its tokens, ready for [`super::start`].
#[derive(Debug, Clone)]
pub struct PreparedJob {
    /// The job as submitted, with its name trimmed.
    pub spec: JobSpec,
    pub profile: Profile,
    pub header: BatchHeader,
    pub review: ReviewSummary,
    /// Tokens to distribute, in serial order: positions in a snapshot of the inventory
    /// (shared, not copied; the seeds stay in memory only).
    pub(crate) tokens: JobTokens,
    pub exclusions: Vec<Exclusion>,
}

/// A job's tokens: an inventory snapshot (an `Arc`, so free to hold) and the positions of the
/// job's tokens in it. Four bytes per token instead of a copy of each token.
#[derive(Debug, Clone)]
pub(crate) struct JobTokens {
    pub inventory: Inventory,
    pub selected: Vec<u32>,
}

impl PreparedJob {
    pub fn token_count(&self) -> usize {
        self.tokens.selected.len()
    }
}

/// Why a job cannot run. `review` is there when the fields were valid but no token is left,
/// so the administrator can see why every token was excluded.
#[derive(Debug, Clone)]
pub struct Rejected {
    pub errors: Vec<FieldError>,
    pub review: Option<Box<ReviewSummary>>,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let messages: Vec<String> = self.errors.iter().map(ToString::to_string).collect();
        f.write_str(&messages.join("; "))
    }
}

impl std::error::Error for Rejected {}

/// The tokens the job's criteria pick right now, for the wizard's live count and table.
/// Only the profile and the criteria need to be valid.
pub fn preview<'a>(
    config: &Config,
    inventory: impl IntoIterator<Item = &'a InventoryToken>,
    spec: &JobSpec,
    today: time::Date,
) -> Result<Selection<'a>, FieldError> {
    let profile = validate_profile(&spec.profile, &config.profiles)?;
    validate_criteria(&spec.selection)?;
    let context = SelectionContext {
        profile,
        protection: spec.protection,
        password: spec.password.as_ref(),
        origin: &config.header.origin,
        today,
    };
    select(inventory, &spec.selection, &context)
        .map_err(|message| FieldError::new(JobField::Selection, message))
}

/// Checks a job against the workspace and its history and selects its tokens.
pub fn prepare(
    workspace: &Workspace,
    history: &History,
    spec: JobSpec,
    today: time::Date,
) -> Result<PreparedJob, Rejected> {
    prepare_snapshot(
        workspace.config(),
        workspace.inventory(),
        history.names(),
        spec,
        today,
    )
}

/// [`prepare`] on a snapshot of the inventory (an `Arc`, free to clone) and the names of the
/// jobs in the history: what a worker thread needs, so the wizard can prepare a job of a
/// million tokens without holding the workspace or the UI thread.
pub fn prepare_snapshot<'n>(
    config: &Config,
    inventory: &Inventory,
    job_names: impl IntoIterator<Item = &'n str>,
    spec: JobSpec,
    today: time::Date,
) -> Result<PreparedJob, Rejected> {
    prepare_in(
        config,
        inventory.iter(),
        Some(inventory),
        job_names,
        spec,
        today,
    )
}

/// [`prepare`] on plain data, for callers (and tests) that hold no workspace.
pub fn prepare_from<'a>(
    config: &Config,
    inventory: impl IntoIterator<Item = &'a InventoryToken>,
    history: &History,
    spec: JobSpec,
    today: time::Date,
) -> Result<PreparedJob, Rejected> {
    prepare_in(config, inventory, None, history.names(), spec, today)
}

/// `tokens` are the inventory's tokens when `snapshot` is given (the job then keeps their
/// positions in it); otherwise the selected tokens are copied.
fn prepare_in<'a, 'n>(
    config: &Config,
    tokens: impl IntoIterator<Item = &'a InventoryToken>,
    snapshot: Option<&Inventory>,
    job_names: impl IntoIterator<Item = &'n str>,
    mut spec: JobSpec,
    today: time::Date,
) -> Result<PreparedJob, Rejected> {
    let inventory = tokens;
    let reject = |errors| Rejected {
        errors,
        review: None,
    };
    let profile = validate_spec(&spec, &config.profiles, job_names)
        .map_err(reject)?
        .clone();
    if spec.protection == Protection::Password {
        validate_password_not_origin(spec.password.as_ref(), &config.header.origin)
            .map_err(|error| reject(vec![error]))?;
    }
    spec.name = spec.name.trim().to_owned();
    spec.profile = profile.name.clone();
    if spec.nickname.as_deref() == Some("") {
        spec.nickname = None;
    }
    let context = SelectionContext {
        profile: &profile,
        protection: spec.protection,
        password: spec.password.as_ref(),
        origin: &config.header.origin,
        today,
    };
    let selection = select(inventory, &spec.selection, &context)
        .map_err(|message| reject(vec![FieldError::new(JobField::Selection, message)]))?;
    let review = ReviewSummary::new(&spec, &profile, &selection, today);
    if selection.selected.is_empty() {
        let message = if selection.matched == 0 {
            "no token in the inventory matches the serial ranges and user filter".to_owned()
        } else {
            format!(
                "no token left to distribute: {} matched and all were excluded (see the reasons in the review)",
                selection.matched
            )
        };
        return Err(Rejected {
            errors: vec![FieldError::new(JobField::Selection, message)],
            review: Some(Box::new(review)),
        });
    }
    let positions = snapshot.and_then(|inventory| {
        selection
            .selected
            .iter()
            .map(|token| {
                inventory
                    .position_of(token)
                    .and_then(|at| u32::try_from(at).ok())
            })
            .collect::<Option<Vec<u32>>>()
            .map(|selected| JobTokens {
                inventory: inventory.clone(),
                selected,
            })
    });
    let tokens = positions.unwrap_or_else(|| JobTokens {
        inventory: Inventory::in_given_order(
            selection
                .selected
                .iter()
                .map(|token| (*token).clone())
                .collect(),
        ),
        selected: (0..selection.selected.len() as u32).collect(),
    });
    Ok(PreparedJob {
        spec,
        profile,
        header: config.header.clone(),
        review,
        tokens,
        exclusions: selection.exclusions,
    })
}
