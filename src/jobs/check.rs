//! `tokendist check`, the jobs' part: the history parses, every downloadable output is there
//! and decrypts in full to its recorded size and SHA-256, no staged directory or record is an
//! orphan, and the inventory's distributions name jobs the history holds. Reads only.

use super::engine::staged_dir;
use super::history::{HISTORY_FILE, JobRecord, JobStatus};
use super::staging::{self, CopyError, JobKey, SealedReader};
use crate::workspace::check::Finding;
use crate::workspace::rotate::NEXT_SUFFIX;
use crate::workspace::{Inventory, JOBS_DIR, VaultKey};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

fn rel(parts: &[&str]) -> PathBuf {
    parts.iter().collect()
}

/// The whole check both front ends run: the workspace's files, then the jobs', sorted errors
/// first. Nothing is changed. A wrong passphrase is an error of the check itself.
pub struct WholeCheck {
    pub findings: Vec<Finding>,
    /// Tokens in the inventory, when it could be read.
    pub tokens: Option<usize>,
}

impl WholeCheck {
    pub fn count(&self, severity: crate::workspace::check::Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// Runs [`crate::workspace::check::check_workspace`] and [`check_jobs`] on `dir`. With
/// `holding_lock` the caller holds the workspace open itself, so its own lock is no finding.
pub fn check_whole(
    dir: &Path,
    passphrase: &crate::secret::SecretString,
    holding_lock: bool,
) -> Result<WholeCheck, crate::workspace::WorkspaceError> {
    let checked = crate::workspace::check::check_workspace(dir, passphrase)?;
    let mut findings = checked.findings;
    if holding_lock && crate::workspace::Workspace::lock_holder(dir) == Some(std::process::id()) {
        findings.retain(|f| f.path != Path::new(crate::workspace::LOCK_FILE));
    }
    findings.extend(check_jobs(
        dir,
        checked.key.as_ref(),
        checked.inventory.as_ref(),
    ));
    findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.path.cmp(&b.path)));
    Ok(WholeCheck {
        findings,
        tokens: checked.inventory.as_ref().map(|i| i.len()),
    })
}

/// Checks the job history and staged outputs under `root/jobs`. `key` is the vault key (None
/// when the inventory could not be unlocked: outputs are then only checked for presence);
/// `inventory` lets distributions be matched against the history.
pub fn check_jobs(
    root: &Path,
    key: Option<&VaultKey>,
    inventory: Option<&Inventory>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let jobs_dir = root.join(JOBS_DIR);
    let history_rel = rel(&[JOBS_DIR, HISTORY_FILE]);
    let records = read_history(&jobs_dir.join(HISTORY_FILE), &history_rel, &mut findings);
    let Some(records) = records else {
        return findings;
    };

    let mut seen = HashSet::new();
    for record in &records {
        if !seen.insert(record.id.as_str()) {
            findings.push(Finding::error(
                &history_rel,
                format!("job id {} appears twice", record.id),
                "restore jobs/history.jsonl from a backup",
            ));
        }
        if record.status == JobStatus::Running {
            findings.push(Finding::warning(
                &history_rel,
                format!("job {:?} is recorded as running but no process runs it", record.name),
                "run any jobs command (e.g. tokendist jobs list): it records the job as interrupted",
            ));
        }
        if record.has_output() {
            check_output(&jobs_dir, record, key, &mut findings);
        }
    }
    check_staged_dirs(&jobs_dir, &records, &mut findings);
    if let Some(inventory) = inventory {
        check_distributions(inventory, &records, &history_rel, &mut findings);
    }
    findings
}

/// Parses every line; `None` when the file cannot be read at all.
fn read_history(path: &Path, shown: &Path, findings: &mut Vec<Finding>) -> Option<Vec<JobRecord>> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Some(Vec::new()),
        Err(error) => {
            findings.push(Finding::error(
                shown,
                format!("cannot be read: {error}"),
                "restore jobs/history.jsonl from a backup",
            ));
            return None;
        }
    };
    let Ok(text) = String::from_utf8(text) else {
        findings.push(Finding::error(
            shown,
            "is not UTF-8 text",
            "restore jobs/history.jsonl from a backup",
        ));
        return None;
    };
    let mut records = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<JobRecord>(line) {
            Ok(record) => records.push(record),
            Err(error) => findings.push(Finding::error(
                shown,
                format!("line {}: not a job record ({error})", index + 1),
                "restore jobs/history.jsonl from a backup; opening the workspace for a jobs command moves the damaged file aside",
            )),
        }
    }
    Some(records)
}

fn check_output(
    jobs_dir: &Path,
    record: &JobRecord,
    key: Option<&VaultKey>,
    findings: &mut Vec<Finding>,
) {
    let dir = staged_dir(jobs_dir, &record.id);
    let key_rel = rel(&[JOBS_DIR, "staged", &record.id, staging::KEY_FILE]);
    let output_rel = rel(&[JOBS_DIR, "staged", &record.id, staging::OUTPUT_FILE]);
    let lost = format!(
        "delete the job's output record with `tokendist jobs delete {:?}` (the history keeps the job), or restore the workspace from a backup",
        record.name
    );
    let missing = [
        (dir.join(staging::KEY_FILE), &key_rel, "key"),
        (dir.join(staging::OUTPUT_FILE), &output_rel, "output"),
    ];
    let mut all_there = true;
    for (path, shown, what) in missing {
        if !path.is_file() {
            findings.push(Finding::error(
                shown,
                format!(
                    "the staged {what} of completed job {:?} is missing",
                    record.name
                ),
                &lost,
            ));
            all_there = false;
        }
    }
    let (Some(vault), true) = (key, all_there) else {
        return;
    };
    let open_key = |name: &str| {
        std::fs::read(dir.join(name))
            .map_err(|error| error.to_string())
            .and_then(|sealed| {
                vault
                    .unseal(&sealed, &staging::key_context(&record.id))
                    .map_err(|error| error.to_string())
            })
            .and_then(|plain| {
                <[u8; 32]>::try_from(plain.as_slice())
                    .map(JobKey::new)
                    .map_err(|_| "it has the wrong length".to_owned())
            })
    };
    // During an interrupted passphrase change that has committed, the key sealed under the
    // inventory's (new) key is still waiting as `key.sealed.next`; the next open switches it.
    let next = format!("{}{NEXT_SUFFIX}", staging::KEY_FILE);
    let opened = open_key(staging::KEY_FILE).or_else(|error| {
        if dir.join(&next).is_file() {
            open_key(&next).map_err(|_| error)
        } else {
            Err(error)
        }
    });
    let job_key = match opened {
        Ok(job_key) => job_key,
        Err(reason) => {
            findings.push(Finding::error(
                &key_rel,
                format!("the key of job {:?} does not open: {reason}", record.name),
                &lost,
            ));
            return;
        }
    };
    let output = record.output.as_ref().expect("has_output checked it");
    match digest(&dir.join(staging::OUTPUT_FILE), &job_key, &record.id) {
        Ok((bytes, sha256)) if bytes == output.bytes && sha256 == output.sha256 => {}
        Ok((bytes, _)) => findings.push(Finding::error(
            &output_rel,
            format!(
                "the output of job {:?} decrypts to {bytes} bytes with another SHA-256 than the {} bytes recorded",
                record.name, output.bytes
            ),
            &lost,
        )),
        Err(error) => findings.push(Finding::error(
            &output_rel,
            format!("the output of job {:?} is damaged: {error}", record.name),
            &lost,
        )),
    }
}

/// Size and SHA-256 of the whole decrypted output (every chunk authenticated, unsealed on
/// all cores while it is hashed).
fn digest(path: &Path, key: &JobKey, job_id: &str) -> std::io::Result<(u64, String)> {
    let mut reader = SealedReader::open(path, key, job_id)?;
    let (bytes, sha256) =
        reader
            .copy_hashing_to(&mut std::io::sink())
            .map_err(|error| match error {
                CopyError::Read(error) | CopyError::Write(error) => error,
            })?;
    Ok((bytes, sha256))
}

fn check_staged_dirs(jobs_dir: &Path, records: &[JobRecord], findings: &mut Vec<Finding>) {
    let Ok(entries) = std::fs::read_dir(jobs_dir.join("staged")) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let shown = rel(&[JOBS_DIR, "staged", &name]);
        let record = records.iter().find(|record| record.id == name);
        match record {
            None => findings.push(Finding::warning(
                &shown,
                "staged files of a job the history does not hold",
                "run any jobs command (e.g. tokendist jobs list): it removes them",
            )),
            Some(record) if !record.has_output() && record.status != JobStatus::Running => findings
                .push(Finding::warning(
                    &shown,
                    format!(
                        "staged files of job {:?}, which has no downloadable output ({})",
                        record.name,
                        record.status.label()
                    ),
                    "run any jobs command (e.g. tokendist jobs list): it removes them",
                )),
            Some(_) => {}
        }
        let Ok(files) = std::fs::read_dir(entry.path()) else {
            continue;
        };
        for file in files.flatten() {
            let file_name = file.file_name().to_string_lossy().into_owned();
            let known = [
                staging::KEY_FILE,
                staging::OUTPUT_FILE,
                super::exclusions::EXCLUSIONS_FILE,
            ]
            .contains(&file_name.as_str())
                || file_name.ends_with(NEXT_SUFFIX)
                || (file_name.starts_with('.') && file_name.ends_with(".tmp"));
            if !known {
                findings.push(Finding::warning(
                    shown.join(&file_name),
                    "not a tokendist file",
                    "move it out of the workspace",
                ));
            }
        }
    }
}

fn check_distributions(
    inventory: &Inventory,
    records: &[JobRecord],
    history_rel: &Path,
    findings: &mut Vec<Finding>,
) {
    let known: HashSet<&str> = records.iter().map(|record| record.id.as_str()).collect();
    let mut unknown: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for token in inventory.iter() {
        for distribution in &token.distributions {
            if !known.contains(distribution.job_id.as_str()) {
                *unknown
                    .entry((distribution.job_id.as_str(), distribution.job_name.as_str()))
                    .or_default() += 1;
            }
        }
    }
    for ((id, name), count) in unknown {
        findings.push(Finding::warning(
            history_rel,
            format!(
                "{count} token(s) in the inventory were distributed by job {name:?} (id {id}), which the history does not hold"
            ),
            "restore jobs/history.jsonl from a backup if it was lost; nothing else depends on it",
        ));
    }
}
