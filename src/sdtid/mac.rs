//! The byte buffers the MACs and the batch signature are computed over (spec §4.2, §5).
//!
//! Each leaf of a section becomes one line, `longname value\n` (or `longname </name>\n` for an
//! empty leaf). In MAC mode, elements whose name ends in `MAC` are skipped and lines are placed
//! with the format's zero-padding and realignment rule; in signing mode the lines are simply
//! concatenated.

use super::xml::{Document, NodeId};

/// Whether an element is a MAC element (skipped by the section MACs): a name longer than three
/// characters that ends in `MAC` (case-sensitive).
pub fn is_mac_element(name: &str) -> bool {
    name.len() > 3 && name.ends_with("MAC")
}

/// Builds the MAC buffer of one section with the placement rule of spec §4.2.
#[derive(Debug, Default)]
pub struct SectionBuffer {
    bytes: Vec<u8>,
    pad: usize,
}

impl SectionBuffer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Empties the buffer for the next section, keeping its allocation.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.pad = 0;
    }

    /// Adds the line of one leaf. `path` is the long name without the leaf (`TKN` or
    /// `TKN.TokenAttributes`), `local` the leaf's own name.
    pub fn push_leaf(&mut self, path: &[&str], local: &str, value: &str) {
        let pos = self.bytes.len();
        let line_len = line_len(path, local, value);
        // Realignment: a short non-empty line that fits, with its zeros, into the current
        // block moves back to the block start, overwriting whatever is there.
        let start = if !value.is_empty() && line_len + self.pad <= 16 {
            pos - pos % 16
        } else {
            pos
        };
        self.bytes.truncate(start);
        append_line(&mut self.bytes, path, local, value);
        self.bytes.resize(self.bytes.len() + self.pad, 0);
        self.pad = match self.bytes.len() % 16 {
            0 => 16,
            misalignment => misalignment,
        };
    }

    /// Adds every line of `section` (whose own name starts the long names), skipping MACs.
    pub fn push_section(&mut self, doc: &Document, section: NodeId) {
        for_each_leaf(doc, section, is_mac_element, &mut |path, name, value| {
            self.push_leaf(path, name, value)
        });
    }

    /// The finished buffer, trailing zeros included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// The MAC buffer of a section (spec §4.2).
pub fn section_buffer(doc: &Document, section: NodeId) -> Vec<u8> {
    let mut buffer = SectionBuffer::new();
    buffer.push_section(doc, section);
    buffer.into_bytes()
}

/// Appends the signing-mode line of one leaf (spec §5): no padding, no realignment.
pub fn append_signing_line(out: &mut Vec<u8>, path: &[&str], local: &str, value: &str) {
    append_line(out, path, local, value);
}

/// Appends the signing-mode lines of `section`: every leaf, MACs included.
pub fn append_signing_lines(out: &mut Vec<u8>, doc: &Document, section: NodeId) {
    for_each_leaf(doc, section, |_| false, &mut |path, name, value| {
        append_line(out, path, name, value)
    });
}

/// Calls `visit(path, name, value)` for every leaf below `section` in document order, where
/// `path` is the chain of container names from `section` down. Elements for which `skip`
/// holds are left out together with everything inside them.
fn for_each_leaf<'a>(
    doc: &'a Document,
    section: NodeId,
    skip: fn(&str) -> bool,
    visit: &mut impl FnMut(&[&'a str], &'a str, &'a str),
) {
    fn walk<'a>(
        doc: &'a Document,
        element: NodeId,
        skip: fn(&str) -> bool,
        path: &mut Vec<&'a str>,
        visit: &mut impl FnMut(&[&'a str], &'a str, &'a str),
    ) {
        for child in doc.children(element) {
            let name = doc.name(child);
            if skip(name) {
                continue;
            }
            if doc.is_leaf(child) {
                visit(path, name, doc.text(child));
            } else {
                path.push(name);
                walk(doc, child, skip, path, visit);
                path.pop();
            }
        }
    }
    let mut path = vec![doc.name(section)];
    walk(doc, section, skip, &mut path, visit);
}

/// The signing buffer `M` of spec §5: the header's lines, then every token's lines in order.
pub fn signing_buffer(doc: &Document, header: NodeId, tokens: &[NodeId]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2048);
    append_signing_lines(&mut out, doc, header);
    for &token in tokens {
        append_signing_lines(&mut out, doc, token);
    }
    out
}

fn line_len(path: &[&str], local: &str, value: &str) -> usize {
    let long_name: usize = path.iter().map(|p| p.len() + 1).sum::<usize>() + local.len();
    if value.is_empty() {
        long_name + 2 + local.len() + 2
    } else {
        long_name + 1 + value.len() + 1
    }
}

fn append_line(out: &mut Vec<u8>, path: &[&str], local: &str, value: &str) {
    for part in path {
        out.extend_from_slice(part.as_bytes());
        out.push(b'.');
    }
    out.extend_from_slice(local.as_bytes());
    if value.is_empty() {
        out.extend_from_slice(b" </");
        out.extend_from_slice(local.as_bytes());
        out.extend_from_slice(b">\n");
    } else {
        out.push(b' ');
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_names_are_recognised_case_sensitively() {
        assert!(is_mac_element("HeaderMAC"));
        assert!(is_mac_element("TokenMAC"));
        assert!(!is_mac_element("MAC"));
        assert!(!is_mac_element("TokenMac"));
    }

    #[test]
    fn first_line_has_no_padding_and_later_lines_pad_by_misalignment() {
        let mut buffer = SectionBuffer::new();
        buffer.push_leaf(&["TKN"], "SN", "123456789012"); // 20 bytes, pad becomes 4
        buffer.push_leaf(&["TKN"], "Seed", "=Xos8OprMUbBNc8vhPI0KLQ=="); // 35 bytes + 4 zeros
        assert_eq!(buffer.as_bytes().len(), 20 + 35 + 4);
        assert!(buffer.as_bytes()[55..].iter().all(|&b| b == 0));
    }

    #[test]
    fn short_line_realigns_over_the_previous_line() {
        let mut buffer = SectionBuffer::new();
        buffer.push_leaf(&["TKN"], "SN", "123456789012");
        buffer.push_leaf(&["TKN"], "Alg", "1");
        assert_eq!(&buffer.as_bytes()[..0x1a], b"TKN.SN 123456789TKN.Alg 1\n");
        assert_eq!(buffer.as_bytes().len(), 0x1e);
    }

    #[test]
    fn empty_leaves_use_their_own_name_and_never_realign() {
        let mut buffer = SectionBuffer::new();
        buffer.push_leaf(&["T"], "A", "x"); // 6 bytes, pad 6
        buffer.push_leaf(&["T"], "B", ""); // "T.B </B>\n" 9 bytes: 9 + 6 <= 16 but empty
        assert_eq!(&buffer.as_bytes()[..15], b"T.A x\nT.B </B>\n");
    }
}
