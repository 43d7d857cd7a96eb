//! Job ids: the only names the job layer ever turns into paths. An id is exactly what
//! [`crate::jobs::start`] makes, `YYYYMMDD-HHMMSS-xxxx` (four lowercase hex digits); anything
//! else read from the history or found on disk is refused, so a hostile or damaged record
//! (`../../victim`) can never point a removal outside `jobs/staged/`.

use std::path::{Path, PathBuf};

/// Folder of the staged outputs inside the jobs directory.
pub const STAGED_DIR: &str = "staged";

/// True when `id` has the form of a job id we create.
pub fn is_valid(id: &str) -> bool {
    let bytes = id.as_bytes();
    bytes.len() == 20
        && bytes[..8].iter().all(u8::is_ascii_digit)
        && bytes[8] == b'-'
        && bytes[9..15].iter().all(u8::is_ascii_digit)
        && bytes[15] == b'-'
        && bytes[16..]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// The staging directory of job `id`, or `None` when `id` is not one of our ids.
pub fn staged_dir(jobs_dir: &Path, id: &str) -> Option<PathBuf> {
    is_valid(id).then(|| jobs_dir.join(STAGED_DIR).join(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_format_is_an_id() {
        assert!(is_valid("20261129-164000-0a9f"));
        for bad in [
            "",
            "../../../victim",
            "20261129-164000-0A9F",
            "20261129-164000-0a9",
            "20261129-164000-0a9fx",
            "20261129_164000-0a9f",
            "2026112a-164000-0a9f",
            "20261129-164000-/a9f",
            "20261129-164000-..9f",
        ] {
            assert!(!is_valid(bad), "{bad:?}");
        }
        assert_eq!(staged_dir(Path::new("j"), "../x"), None);
        assert_eq!(
            staged_dir(Path::new("j"), "20261129-164000-0a9f"),
            Some(PathBuf::from("j/staged/20261129-164000-0a9f"))
        );
    }
}
