//! Raw deflate (RFC 1951) of one small file in a single fixed-Huffman block: what zlib's
//! fastest level produces for our files (greedy matching against one candidate per hash,
//! the format's fixed codes), without its per-stream cost.
//!
//! zlib-rs clears a 128 KiB hash table whenever a stream is reset, which for a 2 KiB token
//! file cost about as much as compressing it. Here the table has 4,096 entries (16 KiB) and
//! is cleared per file; positions are checked against the data before a match is used, so a
//! hash collision only costs a literal. Output is standard deflate that any inflater reads.

/// Entries of the match table (a power of two).
const HASH_BITS: u32 = 12;
const TABLE_SIZE: usize = 1 << HASH_BITS;
const MIN_MATCH: usize = 4;
const MAX_MATCH: usize = 258;
const MAX_DISTANCE: usize = 32_768;

/// First length of each length code 257..=285, and its extra bits (RFC 1951 §3.2.5).
const LENGTH_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LENGTH_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// First distance of each distance code 0..=29, and its extra bits.
const DISTANCE_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DISTANCE_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// `value`'s low `bits` bits in reverse order (Huffman codes go into the stream from their
/// most significant bit, the stream is filled from each byte's least significant bit).
const fn reverse(value: u16, bits: u8) -> u16 {
    let mut out = 0;
    let mut i = 0;
    while i < bits {
        out |= ((value >> i) & 1) << (bits - 1 - i);
        i += 1;
    }
    out
}

/// The fixed literal/length code of every symbol 0..=287, bit-reversed, with its length
/// (RFC 1951 §3.2.6).
const FIXED_CODES: [(u16, u8); 288] = {
    let mut table = [(0u16, 0u8); 288];
    let mut symbol = 0;
    while symbol < 288 {
        let (code, bits) = match symbol {
            0..=143 => (0x30 + symbol as u16, 8),
            144..=255 => (0x190 + (symbol as u16 - 144), 9),
            256..=279 => (symbol as u16 - 256, 7),
            _ => (0xc0 + (symbol as u16 - 280), 8),
        };
        table[symbol] = (reverse(code, bits), bits);
        symbol += 1;
    }
    table
};

/// Length code index (0..29) of every match length 3..=258, at `length - 3`.
const LENGTH_CODE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut code = 0;
    while code < 29 {
        let first = LENGTH_BASE[code] as usize - 3;
        let count = if code == 28 {
            1
        } else {
            1 << LENGTH_EXTRA[code]
        };
        let mut i = 0;
        while i < count && first + i < 256 {
            table[first + i] = code as u8;
            i += 1;
        }
        code += 1;
    }
    // Length 258 has its own code (285), not the last one of code 284's range.
    table[255] = 28;
    table
};

/// Distance code of `distance` (1..=32768).
fn distance_code(distance: usize) -> usize {
    // The bases double every two codes: the code follows from the position of the top bit of
    // `distance - 1` and the bit below it.
    let d = distance - 1;
    if d < 4 {
        return d;
    }
    let top = usize::BITS - 1 - d.leading_zeros();
    2 * top as usize + ((d >> (top - 1)) & 1)
}

/// Bits collected low-first and appended to the output a byte at a time.
struct Bits<'a> {
    out: &'a mut Vec<u8>,
    buffer: u64,
    count: u32,
}

impl Bits<'_> {
    /// Adds the low `count` bits of `value` (at most 32 at a time).
    #[inline]
    fn put(&mut self, value: u32, count: u32) {
        self.buffer |= u64::from(value) << self.count;
        self.count += count;
        if self.count >= 32 {
            self.out
                .extend_from_slice(&(self.buffer as u32).to_le_bytes());
            self.buffer >>= 32;
            self.count -= 32;
        }
    }

    /// Writes the last partial byte(s).
    fn finish(self) {
        let bytes = self.count.div_ceil(8) as usize;
        self.out
            .extend_from_slice(&self.buffer.to_le_bytes()[..bytes]);
    }
}

/// A worker's match table, kept from file to file.
pub struct QuickDeflate {
    /// Last position + 1 seen for each hash (0: none).
    table: Box<[u32; TABLE_SIZE]>,
}

impl Default for QuickDeflate {
    fn default() -> Self {
        Self {
            table: Box::new([0; TABLE_SIZE]),
        }
    }
}

#[inline]
fn read4(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

#[inline]
fn hash(value: u32) -> usize {
    (value.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
}

/// Length of the common prefix of `data[a..]` and `data[b..]` (a < b), at most `limit`.
#[inline]
fn common_length(data: &[u8], a: usize, b: usize, limit: usize) -> usize {
    let mut length = 0;
    while length + 8 <= limit {
        let x = u64::from_le_bytes(data[a + length..a + length + 8].try_into().unwrap());
        let y = u64::from_le_bytes(data[b + length..b + length + 8].try_into().unwrap());
        let differ = x ^ y;
        if differ != 0 {
            return length + (differ.trailing_zeros() / 8) as usize;
        }
        length += 8;
    }
    while length < limit && data[a + length] == data[b + length] {
        length += 1;
    }
    length
}

impl QuickDeflate {
    /// Appends the raw deflate stream of `data` to `out`.
    pub fn compress(&mut self, data: &[u8], out: &mut Vec<u8>) {
        self.table.fill(0);
        out.reserve(data.len() + data.len() / 8 + 16);
        let mut bits = Bits {
            out,
            buffer: 0,
            count: 0,
        };
        // BFINAL = 1, BTYPE = 01 (fixed Huffman codes).
        bits.put(0b011, 3);
        let literal = |bits: &mut Bits<'_>, byte: u8| {
            let (code, length) = FIXED_CODES[usize::from(byte)];
            bits.put(u32::from(code), u32::from(length));
        };
        let mut at = 0;
        while at + MIN_MATCH <= data.len() {
            let slot = hash(read4(data, at));
            let candidate = self.table[slot] as usize;
            // Positions past u32 are not remembered (no file comes close).
            self.table[slot] = u32::try_from(at + 1).unwrap_or(0);
            if candidate != 0 {
                let from = candidate - 1;
                let distance = at - from;
                if distance <= MAX_DISTANCE && read4(data, from) == read4(data, at) {
                    let limit = MAX_MATCH.min(data.len() - at);
                    let length = MIN_MATCH
                        + common_length(data, from + MIN_MATCH, at + MIN_MATCH, limit - MIN_MATCH);
                    let code = usize::from(LENGTH_CODE[length - 3]);
                    let (symbol, symbol_bits) = FIXED_CODES[257 + code];
                    bits.put(u32::from(symbol), u32::from(symbol_bits));
                    bits.put(
                        u32::from(length as u16 - LENGTH_BASE[code]),
                        u32::from(LENGTH_EXTRA[code]),
                    );
                    let code = distance_code(distance);
                    bits.put(u32::from(reverse(code as u16, 5)), 5);
                    bits.put(
                        (distance - usize::from(DISTANCE_BASE[code])) as u32,
                        u32::from(DISTANCE_EXTRA[code]),
                    );
                    at += length;
                    continue;
                }
            }
            literal(&mut bits, data[at]);
            at += 1;
        }
        for &byte in &data[at..] {
            literal(&mut bits, byte);
        }
        let (end, end_bits) = FIXED_CODES[256];
        bits.put(u32::from(end), u32::from(end_bits));
        bits.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Decompress, FlushDecompress, Status};

    fn inflate(stream: &[u8], size: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(size + 1);
        let status = Decompress::new(false)
            .decompress_vec(stream, &mut out, FlushDecompress::Finish)
            .unwrap();
        assert_eq!(status, Status::StreamEnd);
        out
    }

    fn round_trip(encoder: &mut QuickDeflate, data: &[u8]) -> usize {
        let mut out = vec![0xAA];
        encoder.compress(data, &mut out);
        assert_eq!(out[0], 0xAA, "appends, does not overwrite");
        assert_eq!(inflate(&out[1..], data.len()), data);
        out.len() - 1
    }

    #[test]
    fn the_tables_follow_the_rfc() {
        // Length 3 → code 257, 10 → 264, 11 → 265 (+0), 12 → 265 (+1), 258 → 285.
        assert_eq!(LENGTH_CODE[0], 0);
        assert_eq!(LENGTH_CODE[7], 7);
        assert_eq!(LENGTH_CODE[8], 8);
        assert_eq!(LENGTH_CODE[9], 8);
        assert_eq!(LENGTH_CODE[227 - 3], 27);
        assert_eq!(LENGTH_CODE[257 - 3], 27);
        assert_eq!(LENGTH_CODE[258 - 3], 28);
        for distance in 1..=MAX_DISTANCE {
            let code = distance_code(distance);
            let base = usize::from(DISTANCE_BASE[code]);
            assert!(base <= distance, "{distance}");
            assert!(distance - base < 1 << DISTANCE_EXTRA[code], "{distance}");
        }
        for length in 3..=MAX_MATCH {
            let code = usize::from(LENGTH_CODE[length - 3]);
            let base = usize::from(LENGTH_BASE[code]);
            assert!(base <= length && length - base < 1 << LENGTH_EXTRA[code].max(1));
        }
    }

    #[test]
    fn any_inflater_reads_it_back() {
        let mut encoder = QuickDeflate::default();
        assert_eq!(round_trip(&mut encoder, b""), 2);
        round_trip(&mut encoder, b"a");
        round_trip(&mut encoder, b"abc");
        round_trip(&mut encoder, b"abcdabcd");
        round_trip(&mut encoder, &[0u8; 100_000]);
        // Every length and a range of distances, then pseudo-random bytes (few matches) past
        // the window, with repeats just inside and just outside it.
        let mut state = 0x1234_5678u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let mut data = Vec::new();
        for length in 1..300usize {
            let start = data.len().saturating_sub(length * 3 + 1);
            let copied: Vec<u8> = data[start..].iter().take(length).copied().collect();
            data.extend_from_slice(&copied);
            data.extend((0..length % 7).map(|_| next() as u8));
        }
        let random: Vec<u8> = (0..70_000).map(|_| (next() % 7) as u8 + b'a').collect();
        data.extend_from_slice(&random);
        let far = data.len() - MAX_DISTANCE;
        let copy = data[far..far + 300].to_vec();
        data.extend_from_slice(&copy);
        let farther = data.len() - MAX_DISTANCE - 1;
        let copy = data[farther..farther + 300].to_vec();
        data.extend_from_slice(&copy);
        round_trip(&mut encoder, &data);
        // The same encoder, reused, with a shorter input afterwards.
        round_trip(
            &mut encoder,
            b"<TKN>\n  <SN>000123456789</SN>\n</TKN>\n<TKN>\n",
        );
    }

    #[test]
    fn a_token_file_shrinks_like_zlib_fast() {
        let token = crate::sdtid::SdtidToken {
            serial: crate::token::Serial::parse("000123456789").unwrap(),
            seed: crate::secret::Seed::new([0x5a; 16]),
            attributes: crate::sdtid::TokenAttributes {
                digits: crate::token::Digits::EIGHT,
                interval: crate::token::Interval::Seconds60,
                pin_mode: crate::token::PinMode::from_flags(true, true),
                key_size: crate::token::KeySize::Bits128,
                copy_protection: true,
                birth: time::macros::date!(2025 - 01 - 01),
                death: time::macros::date!(2035 - 12 - 31),
            },
            user: crate::sdtid::UserInfo {
                login: "jdoe".into(),
                first_name: "Jane".into(),
                last_name: "Doe".into(),
            },
            device_serial_number: "a01c4380-fc01-4df0-b113-7fb98ec74694".into(),
            nickname: "Work".into(),
        };
        let text = crate::sdtid::write(&crate::sdtid::BatchHeader::default(), &[token], None)
            .unwrap()
            .into_bytes();
        let ours = round_trip(&mut QuickDeflate::default(), &text);
        let mut zlib = Vec::with_capacity(text.len() + 64);
        flate2::Compress::new(flate2::Compression::new(1), false)
            .compress_vec(&text, &mut zlib, flate2::FlushCompress::Finish)
            .unwrap();
        assert!(
            ours <= zlib.len() + zlib.len() / 20,
            "{ours} bytes against zlib level 1's {}",
            zlib.len()
        );
    }
}
