//! The output ZIP's pieces: one `<serial>.sdtid` entry per token and `manifest.csv` (no
//! secrets) written last.
//!
//! The job engine writes the ZIP container itself (`engine/container.rs`): each worker deflates
//! its files with one reused deflater (level 1, the fastest: 1,217 instead of 998 bytes per
//! token at level 6, which costs twice the time of writing and checking a file) and writes
//! their manifest rows with [`ManifestWriter::rows_into`]. The `ZipWriter` helpers below
//! remain for small archives built in one piece.

use crate::token::Serial;
use sha2::{Digest, Sha256};
use std::io::Write;
use zip::write::SimpleFileOptions;

/// The manifest's entry name and columns.
pub const MANIFEST_NAME: &str = "manifest.csv";
pub const MANIFEST_HEADER: [&str; 8] = [
    "serial",
    "user_login",
    "first_name",
    "last_name",
    "binding",
    "device_serial_number",
    "file_name",
    "sha256",
];

/// The ZIP entry name of a token's file.
pub fn entry_name(serial: &Serial) -> String {
    let mut name = String::new();
    entry_name_into(serial, &mut name);
    name
}

/// [`entry_name`] into a reused string (its old contents replaced).
pub fn entry_name_into(serial: &Serial, out: &mut String) {
    out.clear();
    out.push_str(serial.as_str());
    out.push_str(".sdtid");
}

/// One manifest row: who the file is for and how to check it; never a seed or password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestRow {
    pub serial: String,
    pub user_login: String,
    pub first_name: String,
    pub last_name: String,
    /// `device-class` or `device`.
    pub binding: &'static str,
    pub device_serial_number: String,
    pub file_name: String,
    pub sha256: String,
}

/// A [`ManifestRow`] borrowed from where its cells already are.
#[derive(Debug, Clone, Copy)]
pub struct ManifestCells<'a> {
    pub serial: &'a str,
    pub user_login: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub binding: &'static str,
    pub device_serial_number: &'a str,
    pub file_name: &'a str,
    pub sha256: &'a str,
}

/// A token's verified file and its manifest row, ready to append. The file is wiped from
/// memory once appended (a `user-id` file is only as strong as a login against guessing).
pub struct PreparedEntry {
    pub file: zeroize::Zeroizing<Vec<u8>>,
    pub row: ManifestRow,
}

/// Options shared by every entry: fast deflate, owner-only permissions, and the job's start
/// time so that the archive's bytes depend only on the files.
pub fn entry_options(modified: time::OffsetDateTime) -> SimpleFileOptions {
    let utc = modified.to_offset(time::UtcOffset::UTC);
    let stamp = zip::DateTime::from_date_and_time(
        utc.year().clamp(1980, 2107) as u16,
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
    )
    .unwrap_or_default();
    SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .last_modified_time(stamp)
        .unix_permissions(0o600)
}

/// Pairs a file with its manifest row, filling in the file's SHA-256.
pub fn prepare_entry(file: Vec<u8>, mut row: ManifestRow) -> PreparedEntry {
    row.sha256 = super::staging::hex(&Sha256::digest(&file));
    PreparedEntry {
        file: zeroize::Zeroizing::new(file),
        row,
    }
}

/// Appends the file to the archive (compressed) and its row to the manifest.
pub fn append_entry<W: Write + std::io::Seek>(
    zip: &mut zip::ZipWriter<W>,
    manifest: &mut ManifestWriter,
    entry: &PreparedEntry,
    options: SimpleFileOptions,
) -> zip::result::ZipResult<()> {
    zip.start_file(entry.row.file_name.as_str(), options)?;
    zip.write_all(&entry.file)?;
    manifest.push(&entry.row);
    Ok(())
}

/// A cell as a spreadsheet will not run it (CSV injection, OWASP): a value that begins with
/// `=`, `+`, `-`, `@` (or their full-width forms), a tab or a carriage return would be taken
/// as a formula by Excel, LibreOffice or Sheets when an administrator opens `manifest.csv`, so
/// it gets a leading `'`, which spreadsheets show as text and hide. Everything else is kept
/// as it is. The rule is documented with the manifest in the user guide.
pub fn spreadsheet_safe(value: &str) -> std::borrow::Cow<'_, str> {
    const FORMULA_STARTS: [char; 10] = [
        '=', '+', '-', '@', '\t', '\r', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
    ];
    match value.chars().next() {
        Some(first) if FORMULA_STARTS.contains(&first) => format!("'{value}").into(),
        _ => value.into(),
    }
}

/// Collects manifest rows as CSV text (rows are small; files are not kept).
pub struct ManifestWriter<W: Write = Vec<u8>> {
    csv: csv::Writer<W>,
}

impl Default for ManifestWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl ManifestWriter {
    pub fn new() -> Self {
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.write_record(MANIFEST_HEADER)
            .expect("writing to memory cannot fail");
        Self { csv }
    }

    /// The header row alone, as [`ManifestWriter::new`] writes it.
    pub fn header_row() -> Vec<u8> {
        Self::new()
            .csv
            .into_inner()
            .expect("writing to memory cannot fail")
    }
}

impl<W: Write> ManifestWriter<W> {
    /// Rows without the header, appended to `out` (a worker's share of the manifest).
    pub fn rows_into(out: W) -> Self {
        Self {
            csv: csv::WriterBuilder::new()
                .buffer_capacity(4096)
                .from_writer(out),
        }
    }

    /// Flushes the rows into the writer given to [`ManifestWriter::rows_into`].
    pub fn finish(mut self) -> std::io::Result<()> {
        self.csv.flush()
    }

    /// Appends a row; the cells that come from people (user and device) are neutralised for
    /// spreadsheets ([`spreadsheet_safe`]).
    pub fn push(&mut self, row: &ManifestRow) {
        self.push_cells(&ManifestCells {
            serial: &row.serial,
            user_login: &row.user_login,
            first_name: &row.first_name,
            last_name: &row.last_name,
            binding: row.binding,
            device_serial_number: &row.device_serial_number,
            file_name: &row.file_name,
            sha256: &row.sha256,
        });
    }

    /// [`ManifestWriter::push`] from borrowed cells (a job's workers: no row to build per
    /// file).
    pub fn push_cells(&mut self, row: &ManifestCells<'_>) {
        self.csv
            .write_record([
                row.serial,
                &spreadsheet_safe(row.user_login),
                &spreadsheet_safe(row.first_name),
                &spreadsheet_safe(row.last_name),
                row.binding,
                &spreadsheet_safe(row.device_serial_number),
                row.file_name,
                row.sha256,
            ])
            .expect("writing to memory cannot fail");
    }
}

impl ManifestWriter {
    /// Appends `manifest.csv` to the archive.
    pub fn write_into<W: Write + std::io::Seek>(
        self,
        zip: &mut zip::ZipWriter<W>,
        options: SimpleFileOptions,
    ) -> zip::result::ZipResult<()> {
        let bytes = self
            .csv
            .into_inner()
            .map_err(|error| std::io::Error::other(error.to_string()))?;
        zip.start_file(MANIFEST_NAME, options)?;
        zip.write_all(&bytes)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn manifest_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised() {
        let mut manifest = ManifestWriter::new();
        let mut hostile = row("000123456789");
        hostile.user_login = "=HYPERLINK(\"http://x\",\"y\")".into();
        hostile.first_name = "+1+2".into();
        hostile.last_name = "-2+3".into();
        hostile.device_serial_number = "@SUM(A1)".into();
        manifest.push(&hostile);
        let mut tabbed = row("000123456790");
        tabbed.user_login = "\tjdoe".into();
        tabbed.first_name = "\r=1".into();
        tabbed.last_name = "O'Brien".into();
        manifest.push(&tabbed);
        let text = String::from_utf8(manifest.csv.into_inner().unwrap()).unwrap();
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(Result::unwrap)
            .collect();
        assert_eq!(&rows[0][1], "'=HYPERLINK(\"http://x\",\"y\")");
        assert_eq!(&rows[0][2], "'+1+2");
        assert_eq!(&rows[0][3], "'-2+3");
        assert_eq!(&rows[0][5], "'@SUM(A1)");
        assert_eq!(&rows[1][1], "'\tjdoe");
        assert_eq!(&rows[1][2], "'\r=1");
        assert_eq!(
            &rows[1][3], "O'Brien",
            "a quote inside a value is left alone"
        );
        assert_eq!(&rows[0][0], "000123456789");
        assert_eq!(spreadsheet_safe("jdoe"), "jdoe");
        assert_eq!(spreadsheet_safe(""), "");
        assert_eq!(spreadsheet_safe("\u{FF1D}1+1"), "'\u{FF1D}1+1");
    }

    fn row(serial: &str) -> ManifestRow {
        ManifestRow {
            serial: serial.into(),
            user_login: "jdoe".into(),
            first_name: "Jane, \"JJ\"".into(),
            last_name: "Doe".into(),
            binding: "device-class",
            device_serial_number: "a01c4380-fc01-4df0-b113-7fb98ec74694".into(),
            file_name: format!("{serial}.sdtid"),
            sha256: String::new(),
        }
    }

    #[test]
    fn a_streamed_archive_holds_every_file_and_the_manifest() {
        let options = entry_options(time::macros::datetime!(2026-11-29 16:40 UTC));
        let mut zip = zip::ZipWriter::new_stream(Vec::new());
        let mut manifest = ManifestWriter::new();
        for (serial, body) in [
            ("000000000001", b"first".as_slice()),
            ("000000000002", b"second"),
        ] {
            let entry = prepare_entry(body.to_vec(), row(serial));
            append_entry(&mut zip, &mut manifest, &entry, options).unwrap();
        }
        manifest.write_into(&mut zip, options).unwrap();
        let bytes = zip.finish().unwrap().into_inner();

        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 3);
        let mut text = String::new();
        archive
            .by_name("000000000002.sdtid")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "second");
        let mut manifest = String::new();
        archive
            .by_name(MANIFEST_NAME)
            .unwrap()
            .read_to_string(&mut manifest)
            .unwrap();
        let mut reader = csv::Reader::from_reader(manifest.as_bytes());
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            MANIFEST_HEADER
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0][2], "Jane, \"JJ\"");
        assert_eq!(&rows[1][7], staging_hex(b"second"));
    }

    fn staging_hex(data: &[u8]) -> String {
        super::super::staging::hex(&Sha256::digest(data))
    }
}
