//! The full list of tokens a job left out, kept beside its staged output and sealed under the
//! job's key (`jobs/staged/<id>/exclusions.sealed`), not in the history.
//!
//! The history keeps a summary whose size does not grow with the inventory (counts per reason
//! and the first few serials, see [`super::ExclusionSummary`]): every command reads the
//! history, and a 10-token job on a 1,000,000-token inventory can leave 999,990 tokens out.
//! The whole list matters only when someone asks why a given token was not distributed
//! (`tokendist jobs show JOB --exclusions`), so it lives with the job's other files, is
//! written once when the job starts, and goes when the output is deleted.
//!
//! Plaintext: one JSON object per line, an [`ExcludedRecord`] per token in serial order. It
//! is sealed like the output (AES-256-GCM chunks, see [`super::staging`]) but with its own
//! associated data, so neither file can stand in for the other.

use super::history::ExcludedRecord;
use super::select::Exclusion;
use super::staging::{JobKey, SealedPoints, SealedReader, SealedWriter};
use std::io::{self, BufRead, Write};
use std::path::Path;

/// File name inside a job's staging directory.
pub const EXCLUSIONS_FILE: &str = "exclusions.sealed";

/// The crash points of writing the list (`TOKENDIST_CRASH_AT`).
const POINTS: SealedPoints = SealedPoints {
    created: "job.start.exclusions-created",
    chunk_sealed: "job.start.exclusions-chunk-sealed",
    synced: "job.start.exclusions-synced",
    dir_synced: "job.start.exclusions-dir-synced",
};

/// What the chunks of a job's list are bound to (never the output's binding).
fn context(job_id: &str) -> String {
    format!("{job_id} exclusions")
}

/// The record of one exclusion, as the list and the history's sample keep it.
pub fn record_of(exclusion: &Exclusion) -> ExcludedRecord {
    ExcludedRecord {
        serial: exclusion.serial.to_string(),
        login: exclusion.login.clone(),
        code: exclusion.reason.code().to_owned(),
        reason: exclusion.reason.to_string(),
    }
}

/// Writes the list into the staging directory `dir` (which must not hold one yet) and syncs
/// it. Written before the job generates anything: a crash here leaves a job that never
/// committed, whose staging directory the next open removes.
pub fn write(dir: &Path, key: &JobKey, job_id: &str, exclusions: &[Exclusion]) -> io::Result<()> {
    let path = dir.join(EXCLUSIONS_FILE);
    let mut writer = io::BufWriter::with_capacity(
        64 * 1024,
        SealedWriter::create_with_points(&path, key, &context(job_id), POINTS)?,
    );
    for exclusion in exclusions {
        serde_json::to_writer(&mut writer, &record_of(exclusion)).map_err(io::Error::other)?;
        writer.write_all(b"\n")?;
    }
    let sealed = writer.into_inner().map_err(|error| error.into_error())?;
    sealed.finish().map(drop)
}

/// Why [`read`] could not give the list.
#[derive(Debug, thiserror::Error)]
pub enum ExclusionsError {
    /// The job has no list: its staged files are gone, or it predates the list.
    #[error("not kept")]
    Missing,
    #[error("{0}")]
    Unreadable(String),
}

/// Reads a job's list, passing each record to `each` in serial order; memory stays flat.
/// Every chunk is authenticated; a list cut short or damaged is an error after the records
/// read so far (the caller says the list is incomplete).
pub fn read(
    dir: &Path,
    key: &JobKey,
    job_id: &str,
    mut each: impl FnMut(ExcludedRecord) -> io::Result<()>,
) -> Result<usize, ExclusionsError> {
    let path = dir.join(EXCLUSIONS_FILE);
    let reader = match SealedReader::open(&path, key, &context(job_id)) {
        Ok(reader) => reader,
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(ExclusionsError::Missing);
        }
        Err(error) => {
            return Err(ExclusionsError::Unreadable(format!(
                "{}: {error}",
                path.display()
            )));
        }
    };
    let mut count = 0;
    for (index, line) in io::BufReader::new(reader).lines().enumerate() {
        let line = line
            .map_err(|error| ExclusionsError::Unreadable(format!("{}: {error}", path.display())))?;
        let record: ExcludedRecord = serde_json::from_str(&line).map_err(|error| {
            ExclusionsError::Unreadable(format!("{}: line {}: {error}", path.display(), index + 1))
        })?;
        each(record).map_err(|error| ExclusionsError::Unreadable(error.to_string()))?;
        count += 1;
    }
    Ok(count)
}

/// Reads the list of job `job_id` in the workspace's jobs directory, opening the job's key
/// with the vault key `store` holds (see [`read`]).
pub fn read_job(
    store: &impl super::JobStore,
    job_id: &str,
    each: impl FnMut(ExcludedRecord) -> io::Result<()>,
) -> Result<usize, ExclusionsError> {
    let dir = super::job_id::staged_dir(&store.jobs_dir(), job_id)
        .ok_or_else(|| ExclusionsError::Unreadable(format!("{job_id:?} is not a job id")))?;
    if !dir.join(EXCLUSIONS_FILE).exists() {
        return Err(ExclusionsError::Missing);
    }
    let key =
        super::download::open_key(store, &dir, job_id).map_err(ExclusionsError::Unreadable)?;
    read(&dir, &key, job_id, each)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::ExclusionReason;
    use crate::token::Serial;

    fn exclusions(count: u64) -> Vec<Exclusion> {
        (0..count)
            .map(|index| Exclusion {
                serial: Serial::from_value(500_000_000 + index).unwrap(),
                login: (index % 2 == 0).then(|| format!("user{index}\u{1b}[31m")),
                reason: if index % 3 == 0 {
                    ExclusionReason::NotAssigned
                } else {
                    ExclusionReason::LoginUnusable
                },
            })
            .collect()
    }

    fn read_all(
        dir: &Path,
        key: &JobKey,
        job: &str,
    ) -> Result<Vec<ExcludedRecord>, ExclusionsError> {
        let mut records = Vec::new();
        read(dir, key, job, |record| {
            records.push(record);
            Ok(())
        })?;
        Ok(records)
    }

    #[test]
    fn the_list_reads_back_whole_and_in_order_across_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let key = JobKey::new([9; 32]);
        // Enough records for several 256 KiB chunks.
        let listed = exclusions(20_000);
        write(dir.path(), &key, "20261130-120000-abcd", &listed).unwrap();
        let records = read_all(dir.path(), &key, "20261130-120000-abcd").unwrap();
        assert_eq!(records.len(), listed.len());
        assert_eq!(records[0], record_of(&listed[0]));
        assert_eq!(records[19_999], record_of(&listed[19_999]));
        let sealed = std::fs::read(dir.path().join(EXCLUSIONS_FILE)).unwrap();
        assert!(
            !sealed.windows(9).any(|window| window == b"500000000"),
            "serials are sealed"
        );
    }

    #[test]
    fn another_jobs_key_or_id_or_a_cut_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = JobKey::new([9; 32]);
        write(dir.path(), &key, "20261130-120000-abcd", &exclusions(10)).unwrap();
        assert!(matches!(
            read_all(dir.path(), &JobKey::new([8; 32]), "20261130-120000-abcd"),
            Err(ExclusionsError::Unreadable(_))
        ));
        assert!(matches!(
            read_all(dir.path(), &key, "20261130-120000-ffff"),
            Err(ExclusionsError::Unreadable(_))
        ));
        let path = dir.path().join(EXCLUSIONS_FILE);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert!(matches!(
            read_all(dir.path(), &key, "20261130-120000-abcd"),
            Err(ExclusionsError::Unreadable(_))
        ));
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            read_all(dir.path(), &key, "20261130-120000-abcd"),
            Err(ExclusionsError::Missing)
        ));
    }

    #[test]
    fn the_output_file_cannot_stand_in_for_the_list() {
        let dir = tempfile::tempdir().unwrap();
        let key = JobKey::new([9; 32]);
        let job = "20261130-120000-abcd";
        let mut output =
            SealedWriter::create(&dir.path().join(EXCLUSIONS_FILE), &key, job).unwrap();
        output.write_all(b"{\"serial\":\"1\"}\n").unwrap();
        output.finish().unwrap();
        assert!(matches!(
            read_all(dir.path(), &key, job),
            Err(ExclusionsError::Unreadable(_))
        ));
    }
}
