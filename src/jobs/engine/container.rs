//! The output ZIP's container records, written by us rather than through a `ZipWriter`, so
//! that the expensive part of every entry (deflate, CRC-32) happens on the workers and the
//! central directory never has to be held in memory.
//!
//! The format (APPNOTE 4.3/4.4) is small: per entry a local header, its name and the deflated
//! data; then the central directory (one record per entry, with the local header's offset);
//! then the end record. ZIP64 records are added when there are 65,535 entries or more, or an
//! offset or size does not fit 32 bits. A local header holds no offset, so a worker writes it
//! complete; the writer only adds the offset to the central record.
//!
//! Every entry is deflated (raw, level 1: the fastest level; the files are mostly base64 and
//! numbers, which higher levels barely shrink), owner-only (`0600`), stamped with the job's
//! start time so that the archive's bytes depend only on the files.

use flate2::{Compress, Compression, FlushCompress, Status};
use std::io::{self, Write};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const ZIP64_EXTRA: u16 = 0x0001;
const METHOD_DEFLATE: u16 = 8;
/// Version 2.0 (deflate) and 4.5 (ZIP64) needed to extract.
const VERSION_DEFLATE: u16 = 20;
const VERSION_ZIP64: u16 = 45;
/// "Made by" Unix (3), so readers apply the mode in the external attributes.
const MADE_BY_UNIX: u16 = 3 << 8;
/// Regular file, mode 0600, in the high half of the external attributes.
const EXTERNAL_ATTRIBUTES: u32 = 0o100_600 << 16;
/// Flag bit 3: sizes and CRC follow the data in a data descriptor.
const FLAG_DATA_DESCRIPTOR: u16 = 1 << 3;
/// Length of a central record before the name.
pub const CENTRAL_FIXED: usize = 46;
/// Offset of the local-header offset inside a central record.
const CENTRAL_OFFSET_FIELD: usize = 42;
const LIMIT_16: u64 = 0xFFFF;
const LIMIT_32: u64 = 0xFFFF_FFFF;

/// MS-DOS date and time of the entries (2-second resolution, years 1980–2107).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DosTime {
    pub time: u16,
    pub date: u16,
}

impl DosTime {
    pub fn from(moment: time::OffsetDateTime) -> Self {
        let utc = moment.to_offset(time::UtcOffset::UTC);
        let year = utc.year().clamp(1980, 2107) as u16;
        Self {
            time: (u16::from(utc.hour()) << 11)
                | (u16::from(utc.minute()) << 5)
                | (u16::from(utc.second()) / 2),
            date: ((year - 1980) << 9)
                | (u16::from(u8::from(utc.month())) << 5)
                | u16::from(utc.day()),
        }
    }
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// A worker's deflater, reused from entry to entry (a fresh one per file costs an allocation
/// of a few hundred KiB each time).
pub struct EntryEncoder {
    deflate: Compress,
    stamp: DosTime,
}

impl EntryEncoder {
    pub fn new(stamp: DosTime) -> Self {
        Self {
            deflate: Compress::new(Compression::new(1), false),
            stamp,
        }
    }

    /// Appends `name`'s local header and deflated `data` to `local`, and its central record
    /// (with the offset of the entry inside `local` in the offset field, for the writer to
    /// turn into the archive offset) to `central`.
    pub fn append(
        &mut self,
        name: &str,
        data: &[u8],
        local: &mut Vec<u8>,
        central: &mut Vec<u8>,
    ) -> io::Result<()> {
        let start = local.len();
        let crc = crc32fast::hash(data);
        let size =
            u32::try_from(data.len()).map_err(|_| io::Error::other("an entry of 4 GiB or more"))?;
        let name_len = u16::try_from(name.len()).map_err(|_| io::Error::other("a long name"))?;
        put32(local, LOCAL_HEADER);
        put16(local, VERSION_DEFLATE);
        put16(local, 0);
        put16(local, METHOD_DEFLATE);
        put16(local, self.stamp.time);
        put16(local, self.stamp.date);
        put32(local, crc);
        let compressed_field = local.len();
        put32(local, 0); // compressed size, filled in below
        put32(local, size);
        put16(local, name_len);
        put16(local, 0);
        local.extend_from_slice(name.as_bytes());
        let data_start = local.len();
        self.deflate.reset();
        loop {
            local.reserve(data.len() / 2 + 64);
            let consumed = self.deflate.total_in() as usize;
            let status = self
                .deflate
                .compress_vec(&data[consumed..], local, FlushCompress::Finish)
                .map_err(io::Error::other)?;
            if status == Status::StreamEnd {
                break;
            }
        }
        let compressed = u32::try_from(local.len() - data_start)
            .map_err(|_| io::Error::other("an entry of 4 GiB or more"))?;
        local[compressed_field..compressed_field + 4].copy_from_slice(&compressed.to_le_bytes());

        let relative = u32::try_from(start).map_err(|_| io::Error::other("a batch of 4 GiB"))?;
        central_record(
            central,
            self.stamp,
            Sizes {
                crc,
                compressed: compressed.into(),
                uncompressed: size.into(),
                flags: 0,
            },
            name,
            relative,
        );
        Ok(())
    }
}

struct Sizes {
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    flags: u16,
}

/// A central record with a 32-bit offset field (sizes must fit 32 bits).
fn central_record(out: &mut Vec<u8>, stamp: DosTime, sizes: Sizes, name: &str, offset: u32) {
    put32(out, CENTRAL_HEADER);
    put16(out, MADE_BY_UNIX | VERSION_DEFLATE);
    put16(out, VERSION_DEFLATE);
    put16(out, sizes.flags);
    put16(out, METHOD_DEFLATE);
    put16(out, stamp.time);
    put16(out, stamp.date);
    put32(out, sizes.crc);
    put32(out, sizes.compressed as u32);
    put32(out, sizes.uncompressed as u32);
    put16(out, name.len() as u16);
    put16(out, 0); // extra
    put16(out, 0); // comment
    put16(out, 0); // disk
    put16(out, 0); // internal attributes
    put32(out, EXTERNAL_ATTRIBUTES);
    put32(out, offset);
    out.extend_from_slice(name.as_bytes());
}

/// The writer's side: places workers' entries at their archive offsets and keeps count.
#[derive(Debug, Default)]
pub struct Layout {
    /// Bytes of the archive written so far (the next entry's offset).
    pub position: u64,
    pub entries: u64,
    pub central_bytes: u64,
}

impl Layout {
    /// Rewrites a batch's central records (whose offset fields are relative to the batch's
    /// first local header, at `self.position`) with archive offsets, into `out`, and counts
    /// the batch's `local_len` bytes as written.
    pub fn place(&mut self, central: &[u8], local_len: usize, out: &mut Vec<u8>) -> io::Result<()> {
        let base = self.position;
        let mut at = 0;
        while at < central.len() {
            let fixed = central
                .get(at..at + CENTRAL_FIXED)
                .ok_or_else(|| io::Error::other("a cut central record"))?;
            let name_len = u16::from_le_bytes([fixed[28], fixed[29]]) as usize;
            let record = &central[at..at + CENTRAL_FIXED + name_len];
            let relative = u32::from_le_bytes(
                fixed[CENTRAL_OFFSET_FIELD..CENTRAL_OFFSET_FIELD + 4]
                    .try_into()
                    .expect("4 bytes"),
            );
            let offset = base + u64::from(relative);
            let start = out.len();
            out.extend_from_slice(record);
            if offset < LIMIT_32 {
                out[start + CENTRAL_OFFSET_FIELD..start + CENTRAL_OFFSET_FIELD + 4]
                    .copy_from_slice(&(offset as u32).to_le_bytes());
            } else {
                // ZIP64 extra with the offset alone (the sizes fit).
                out[start + 4..start + 8].copy_from_slice(
                    &[
                        (MADE_BY_UNIX | VERSION_ZIP64).to_le_bytes(),
                        VERSION_ZIP64.to_le_bytes(),
                    ]
                    .concat(),
                );
                out[start + 30..start + 32].copy_from_slice(&12u16.to_le_bytes());
                out[start + CENTRAL_OFFSET_FIELD..start + CENTRAL_OFFSET_FIELD + 4]
                    .copy_from_slice(&u32::MAX.to_le_bytes());
                put16(out, ZIP64_EXTRA);
                put16(out, 8);
                put64(out, offset);
            }
            self.entries += 1;
            self.central_bytes += (out.len() - start) as u64;
            at += CENTRAL_FIXED + name_len;
        }
        self.position += local_len as u64;
        Ok(())
    }
}

/// Deflates an entry's data as it arrives, before the entry's place in the archive is known:
/// the manifest, whose rows come in with the files but which is written after them, is
/// compressed while the job runs (into a spill file) rather than all at the end, when one
/// thread would do it alone.
pub struct DeflateStream {
    deflate: Compress,
    crc: crc32fast::Hasher,
    buffer: Vec<u8>,
}

/// What [`DeflateStream::finish`] hands to [`StreamedEntry::finish`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deflated {
    pub crc: u32,
    pub compressed: u64,
    pub uncompressed: u64,
}

impl Default for DeflateStream {
    fn default() -> Self {
        Self::new()
    }
}

impl DeflateStream {
    pub fn new() -> Self {
        Self {
            deflate: Compress::new(Compression::new(1), false),
            crc: crc32fast::Hasher::new(),
            buffer: Vec::with_capacity(64 * 1024),
        }
    }

    /// Compresses `data`, writing what deflate gives out so far to `out`.
    pub fn write(&mut self, out: &mut impl Write, data: &[u8]) -> io::Result<()> {
        self.crc.update(data);
        self.pump(out, data, FlushCompress::None)
    }

    fn pump(&mut self, out: &mut impl Write, data: &[u8], flush: FlushCompress) -> io::Result<()> {
        let mut consumed = 0usize;
        loop {
            self.buffer.clear();
            let before = self.deflate.total_in();
            let status = self
                .deflate
                .compress_vec(&data[consumed..], &mut self.buffer, flush)
                .map_err(io::Error::other)?;
            consumed += (self.deflate.total_in() - before) as usize;
            out.write_all(&self.buffer)?;
            let finished = match flush {
                FlushCompress::Finish => status == Status::StreamEnd,
                _ => consumed == data.len() && self.buffer.len() < self.buffer.capacity(),
            };
            if finished {
                return Ok(());
            }
        }
    }

    /// Ends the data (the rest of it to `out`) and returns its CRC-32 and sizes.
    pub fn finish(mut self, out: &mut impl Write) -> io::Result<Deflated> {
        self.pump(out, &[], FlushCompress::Finish)?;
        Ok(Deflated {
            crc: self.crc.clone().finalize(),
            compressed: self.deflate.total_out(),
            uncompressed: self.deflate.total_in(),
        })
    }
}

/// Writes one entry deflated beforehand by a [`DeflateStream`] (the manifest): local header
/// with flag bit 3, the deflated data as it was produced, then a data descriptor with CRC and
/// sizes.
pub struct StreamedEntry {
    name: String,
    offset: u64,
    stamp: DosTime,
    zip64: bool,
}

impl StreamedEntry {
    /// Writes the local header at `layout.position`. `size_hint` is an upper bound of the
    /// uncompressed size, to choose 64-bit sizes when it might not fit 32 bits.
    pub fn start(
        out: &mut impl Write,
        layout: &mut Layout,
        name: &str,
        stamp: DosTime,
        size_hint: u64,
    ) -> io::Result<Self> {
        // Deflate can grow incompressible data slightly; leave a margin.
        let zip64 = size_hint + size_hint / 64 + 1024 >= LIMIT_32;
        let mut header = Vec::with_capacity(64);
        put32(&mut header, LOCAL_HEADER);
        put16(
            &mut header,
            if zip64 {
                VERSION_ZIP64
            } else {
                VERSION_DEFLATE
            },
        );
        put16(&mut header, FLAG_DATA_DESCRIPTOR);
        put16(&mut header, METHOD_DEFLATE);
        put16(&mut header, stamp.time);
        put16(&mut header, stamp.date);
        put32(&mut header, 0);
        put32(&mut header, if zip64 { u32::MAX } else { 0 });
        put32(&mut header, if zip64 { u32::MAX } else { 0 });
        put16(&mut header, name.len() as u16);
        put16(&mut header, if zip64 { 20 } else { 0 });
        header.extend_from_slice(name.as_bytes());
        if zip64 {
            put16(&mut header, ZIP64_EXTRA);
            put16(&mut header, 16);
            put64(&mut header, 0);
            put64(&mut header, 0);
        }
        out.write_all(&header)?;
        let offset = layout.position;
        layout.position += header.len() as u64;
        Ok(Self {
            name: name.to_owned(),
            offset,
            stamp,
            zip64,
        })
    }

    /// Appends deflated data as the [`DeflateStream`] gave it out.
    pub fn append(
        &mut self,
        out: &mut impl Write,
        layout: &mut Layout,
        deflated: &[u8],
    ) -> io::Result<()> {
        out.write_all(deflated)?;
        layout.position += deflated.len() as u64;
        Ok(())
    }

    /// Writes the descriptor of the data appended (`deflated` describes it), and returns the
    /// entry's central record.
    pub fn finish(
        self,
        out: &mut impl Write,
        layout: &mut Layout,
        deflated: Deflated,
    ) -> io::Result<Vec<u8>> {
        let Deflated {
            crc,
            compressed,
            uncompressed,
        } = deflated;
        let mut descriptor = Vec::with_capacity(24);
        put32(&mut descriptor, DATA_DESCRIPTOR);
        put32(&mut descriptor, crc);
        if self.zip64 {
            put64(&mut descriptor, compressed);
            put64(&mut descriptor, uncompressed);
        } else {
            if compressed >= LIMIT_32 || uncompressed >= LIMIT_32 {
                return Err(io::Error::other("the manifest outgrew its size estimate"));
            }
            put32(&mut descriptor, compressed as u32);
            put32(&mut descriptor, uncompressed as u32);
        }
        out.write_all(&descriptor)?;
        layout.position += descriptor.len() as u64;

        // Its central record, with a ZIP64 extra for whatever does not fit 32 bits.
        let big_sizes = self.zip64;
        let big_offset = self.offset >= LIMIT_32;
        let mut record = Vec::with_capacity(CENTRAL_FIXED + self.name.len() + 28);
        let extra_len = (if big_sizes { 16 } else { 0 }) + (if big_offset { 8 } else { 0 });
        let version = if extra_len > 0 {
            VERSION_ZIP64
        } else {
            VERSION_DEFLATE
        };
        put32(&mut record, CENTRAL_HEADER);
        put16(&mut record, MADE_BY_UNIX | version);
        put16(&mut record, version);
        put16(&mut record, FLAG_DATA_DESCRIPTOR);
        put16(&mut record, METHOD_DEFLATE);
        put16(&mut record, self.stamp.time);
        put16(&mut record, self.stamp.date);
        put32(&mut record, crc);
        put32(
            &mut record,
            if big_sizes {
                u32::MAX
            } else {
                compressed as u32
            },
        );
        put32(
            &mut record,
            if big_sizes {
                u32::MAX
            } else {
                uncompressed as u32
            },
        );
        put16(&mut record, self.name.len() as u16);
        put16(&mut record, if extra_len > 0 { extra_len + 4 } else { 0 });
        put16(&mut record, 0);
        put16(&mut record, 0);
        put16(&mut record, 0);
        put32(&mut record, EXTERNAL_ATTRIBUTES);
        put32(
            &mut record,
            if big_offset {
                u32::MAX
            } else {
                self.offset as u32
            },
        );
        record.extend_from_slice(self.name.as_bytes());
        if extra_len > 0 {
            put16(&mut record, ZIP64_EXTRA);
            put16(&mut record, extra_len);
            if big_sizes {
                put64(&mut record, uncompressed);
                put64(&mut record, compressed);
            }
            if big_offset {
                put64(&mut record, self.offset);
            }
        }
        Ok(record)
    }
}

/// The end of the archive, once the central directory (`layout.central_bytes` of it,
/// starting at `central_start`) has been written: ZIP64 end record and locator when needed,
/// then the classic end record.
pub fn end_records(layout: &Layout, central_start: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(98);
    let entries = layout.entries;
    let size = layout.central_bytes;
    let zip64 = entries >= LIMIT_16 || size >= LIMIT_32 || central_start >= LIMIT_32;
    if zip64 {
        let zip64_end = central_start + size;
        put32(&mut out, ZIP64_END_OF_CENTRAL_DIRECTORY);
        put64(&mut out, 44); // size of the rest of this record
        put16(&mut out, MADE_BY_UNIX | VERSION_ZIP64);
        put16(&mut out, VERSION_ZIP64);
        put32(&mut out, 0); // this disk
        put32(&mut out, 0); // disk with the central directory
        put64(&mut out, entries);
        put64(&mut out, entries);
        put64(&mut out, size);
        put64(&mut out, central_start);
        put32(&mut out, ZIP64_LOCATOR);
        put32(&mut out, 0);
        put64(&mut out, zip64_end);
        put32(&mut out, 1); // disks
    }
    let entries16 = if zip64 { u16::MAX } else { entries as u16 };
    put32(&mut out, END_OF_CENTRAL_DIRECTORY);
    put16(&mut out, 0);
    put16(&mut out, 0);
    put16(&mut out, entries16);
    put16(&mut out, entries16);
    put32(
        &mut out,
        if size >= LIMIT_32 {
            u32::MAX
        } else {
            size as u32
        },
    );
    put32(
        &mut out,
        if central_start >= LIMIT_32 {
            u32::MAX
        } else {
            central_start as u32
        },
    );
    put16(&mut out, 0); // comment
    out
}
