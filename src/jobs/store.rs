//! The parts of the workspace a job touches, as a trait so the engine's bookkeeping can be
//! tested on a plain directory. [`Workspace`] is the implementation everyone else uses.

use crate::token::Serial;
use crate::workspace::{Distribution, UnlockedVault, Workspace};
use std::path::PathBuf;
use zeroize::Zeroizing;

/// What the inventory says about one job: it is the commit record of a job's completion
/// (see `docs/architecture.md`, "Failure model").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobDistribution {
    /// The job's name as the inventory recorded it.
    pub name: String,
    /// When the job was recorded as distributing the tokens.
    pub at: time::OffsetDateTime,
    /// How many tokens record a distribution by the job.
    pub tokens: usize,
}

/// A workspace as the job layer sees it. Holding one (and so its lock) is what allows
/// writing the history and the staged outputs.
pub trait JobStore {
    /// Directory of the job history and staged outputs.
    fn jobs_dir(&self) -> PathBuf;
    /// Seals a job key under the workspace's vault key.
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8>;
    /// Opens what [`JobStore::seal`] sealed.
    fn open_sealed(&self, sealed: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, String>;
    /// Notes in the inventory (saved atomically) that these tokens were distributed.
    fn record_distributions(
        &mut self,
        serials: &[Serial],
        distribution: &Distribution,
    ) -> Result<(), String>;
    /// The distribution the inventory records for job `job_id`, if any token has one. Recovery
    /// asks this to learn whether a job whose process died had committed.
    fn job_distribution(&self, job_id: &str) -> Option<JobDistribution>;
    /// False when the inventory is not open (a store unlocked for job outputs only): then
    /// [`JobStore::job_distribution`] cannot answer, and a job left running by a dead process
    /// stays unsettled until a command that opens the inventory settles it.
    fn knows_distributions(&self) -> bool {
        true
    }
}

impl JobStore for Workspace {
    fn jobs_dir(&self) -> PathBuf {
        Workspace::jobs_dir(self)
    }

    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        self.vault().seal(plaintext, context)
    }

    fn open_sealed(&self, sealed: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
        self.vault()
            .open(sealed, context)
            .map_err(|error| error.to_string())
    }

    fn record_distributions(
        &mut self,
        serials: &[Serial],
        distribution: &Distribution,
    ) -> Result<(), String> {
        // One record shared by every token of the job (a million copies of the job's id and
        // name were most of what a large job's completion added to memory).
        let shared = std::sync::Arc::new(distribution.clone());
        self.update_inventory(|inventory| {
            for serial in serials {
                // A token removed from the inventory meanwhile has nothing to record.
                if let Some(token) = inventory.get_mut(serial) {
                    token
                        .distributions
                        .push_shared(std::sync::Arc::clone(&shared));
                }
            }
            Ok(())
        })
        .map_err(|error| error.to_string())
    }

    fn job_distribution(&self, job_id: &str) -> Option<JobDistribution> {
        let mut found: Option<JobDistribution> = None;
        for token in self.inventory().iter() {
            for distribution in token.distributions.iter().filter(|d| d.job_id == job_id) {
                let entry = found.get_or_insert_with(|| JobDistribution {
                    name: distribution.job_name.clone(),
                    at: distribution.at,
                    tokens: 0,
                });
                entry.tokens += 1;
            }
        }
        found
    }
}

/// Download and delete need only the vault key: this store serves them without the inventory.
impl JobStore for UnlockedVault {
    fn jobs_dir(&self) -> PathBuf {
        UnlockedVault::jobs_dir(self)
    }

    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        self.vault().seal(plaintext, context)
    }

    fn open_sealed(&self, sealed: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
        self.vault()
            .open(sealed, context)
            .map_err(|error| error.to_string())
    }

    fn record_distributions(
        &mut self,
        _serials: &[Serial],
        _distribution: &Distribution,
    ) -> Result<(), String> {
        Err("internal error: the inventory was not opened (the workspace was unlocked for job outputs only)".into())
    }

    fn job_distribution(&self, _job_id: &str) -> Option<JobDistribution> {
        None
    }

    fn knows_distributions(&self) -> bool {
        false
    }
}
