//! Reading a token record file one token at a time, for files too large to hold whole (a
//! vendor's 1,000,000-token order is about 700 MB).
//!
//! The XML is read from any [`Read`] through a small buffer that is wiped when dropped. Each
//! direct child of `<TKNBatch>` is built into its own small tree and dropped once used: the
//! header is kept, and every `<TKN>` is grafted with it under a batch root, so the ordinary
//! reader, MAC and decryption code checks it exactly as it checks a whole file. Memory stays
//! at one token's worth whatever the file's size. Line numbers in errors are the file's own.
//!
//! What streaming cannot do that [`super::parse`] does: the header must come before the first
//! token (every known writer puts it there), and the trailer is read only for well-formedness.

use super::reader::{self, Batch};
use super::xml::{self, Builder, Document, MAX_DEPTH, xml_error};
use super::{BatchHeader, SdtidError, SdtidToken};
use crate::secret::SecretString;
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use std::collections::VecDeque;
use std::io::{self, BufRead, Read};
use zeroize::Zeroizing;

/// Limits against hostile input; a genuine file of any size the limits allow reads in
/// constant memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// Most bytes read from the input.
    pub max_bytes: u64,
    /// Most `<TKN>` elements.
    pub max_tokens: usize,
}

impl Default for StreamLimits {
    /// Room for a 2,000,000-token order (about 1.4 GB) with a margin.
    fn default() -> Self {
        Self {
            max_bytes: 4 << 30,
            max_tokens: 2_000_000,
        }
    }
}

/// Most elements in one direct child of the root: a token has about 25, a header about 30.
pub const MAX_SECTION_ELEMENTS: usize = 4096;

/// Reads tokens one by one; see the module documentation.
pub struct TokenReader<R: Read> {
    sections: SectionReader<R>,
    header: Option<Document>,
    tokens_read: usize,
    limits: StreamLimits,
    password: Option<SecretString>,
    header_values: Option<BatchHeader>,
    password_protected: Option<bool>,
}

impl<R: Read> TokenReader<R> {
    /// Starts reading `input`; `password` is tried after `Origin`, as [`Batch::decrypt`] does.
    pub fn new(input: R, password: Option<&SecretString>, limits: StreamLimits) -> Self {
        Self {
            sections: SectionReader::new(input, limits.max_bytes),
            header: None,
            tokens_read: 0,
            limits,
            password: password.cloned(),
            header_values: None,
            password_protected: None,
        }
    }

    /// The next token, decrypted with both MACs verified; `Ok(None)` after the last one.
    /// The first error ends the file: nothing after it is read.
    pub fn next_token(&mut self) -> Result<Option<SdtidToken>, SdtidError> {
        loop {
            let Some(section) = self.sections.next_section()? else {
                if self.tokens_read == 0 {
                    return Err(missing_token());
                }
                return Ok(None);
            };
            match section.name(section.root()) {
                "TKNHeader" if self.header.is_none() => self.header = Some(section),
                "TKN" => return self.token(section).map(Some),
                // A second header, the trailer, unknown elements: none of them takes part
                // in any MAC; `parse` ignores them too.
                _ => {}
            }
        }
    }

    /// Number of tokens returned so far.
    pub fn tokens_read(&self) -> usize {
        self.tokens_read
    }

    /// The batch's header values, once the first token has been read.
    pub fn header(&self) -> Option<&BatchHeader> {
        self.header_values.as_ref()
    }

    /// Whether the file has a password (keys not from `Origin`), once the first token is read.
    pub fn password_protected(&self) -> Option<bool> {
        self.password_protected
    }

    fn token(&mut self, section: Document) -> Result<SdtidToken, SdtidError> {
        let line = section.line(section.root());
        let Some(header) = &self.header else {
            return Err(SdtidError::MissingElement {
                element: "TKNHeader".into(),
                location: format!(" before the first <TKN> (line {line})"),
            });
        };
        if self.tokens_read >= self.limits.max_tokens {
            return Err(xml_error(
                line,
                format!(
                    "more than {} tokens in one file (the configured import limit)",
                    self.limits.max_tokens
                ),
            ));
        }
        let doc = Document::graft("TKNBatch", self.sections.root_line, &[header, &section]);
        drop(section);
        let batch: Batch = reader::batch_from_document(doc, self.tokens_read)?;
        let decrypted = batch.decrypt(self.password.as_ref())?;
        self.tokens_read += 1;
        if self.header_values.is_none() {
            self.header_values = Some(decrypted.header.clone());
            self.password_protected = Some(decrypted.password_protected);
        }
        Ok(decrypted
            .tokens
            .into_iter()
            .next()
            .expect("a grafted batch holds exactly one token"))
    }
}

fn missing_token() -> SdtidError {
    SdtidError::MissingElement {
        element: "TKN".into(),
        location: " in <TKNBatch>: a file holds at least one token".into(),
    }
}

/// Splits a document into the element trees of its root's children.
struct SectionReader<R: Read> {
    reader: Reader<LineReader<R>>,
    buf: Zeroizing<Vec<u8>>,
    /// Line of the root's start tag, once seen.
    root_line: usize,
    state: RootState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RootState {
    Before,
    Inside,
    Closed,
}

impl<R: Read> SectionReader<R> {
    fn new(input: R, max_bytes: u64) -> Self {
        let mut reader = Reader::from_reader(LineReader::new(input, max_bytes));
        xml::configure(&mut reader);
        Self {
            reader,
            buf: Zeroizing::new(Vec::with_capacity(64 * 1024)),
            root_line: 1,
            state: RootState::Before,
        }
    }

    /// The next direct child of the root, or `None` at the end of a well-formed document.
    fn next_section(&mut self) -> Result<Option<Document>, SdtidError> {
        let mut section: Option<Builder> = None;
        loop {
            self.buf.clear();
            let before = self.reader.buffer_position();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(event) => event,
                Err(error) => {
                    let lines = self.reader.get_mut();
                    if let Some(limit) = lines.exceeded {
                        return Err(SdtidError::TooLarge {
                            size: usize::try_from(lines.read).unwrap_or(usize::MAX),
                            limit: usize::try_from(limit).unwrap_or(usize::MAX),
                        });
                    }
                    let at = self.reader.error_position();
                    let line = self.reader.get_mut().line_at(at);
                    return Err(match error {
                        quick_xml::Error::Encoding(_) => {
                            xml_error(line, "the document is not valid UTF-8")
                        }
                        error => xml_error(line, error.to_string()),
                    });
                }
            };
            let lines = self.reader.get_mut();
            if let Event::DocType(_) = event {
                return Err(SdtidError::Doctype {
                    line: lines.line_at(before),
                });
            }
            if let Some(builder) = section.as_mut() {
                if let Event::Eof = event {
                    let name = builder.innermost().unwrap_or("TKNBatch").to_owned();
                    return Err(xml_error(
                        lines.line_at(before),
                        format!("document ends inside <{}>", xml::shorten(&name)),
                    ));
                }
                builder.apply(event, &mut || lines.line_at(before))?;
                if builder.depth() == 0 {
                    return Ok(section.take().map(Builder::finish));
                }
                continue;
            }
            match (self.state, event) {
                (_, Event::Eof) => {
                    let line = lines.line_at(before);
                    return match self.state {
                        RootState::Closed => Ok(None),
                        RootState::Before => {
                            Err(xml_error(line, "the document has no root element"))
                        }
                        RootState::Inside => Err(xml_error(
                            line,
                            "document ends inside <TKNBatch>".to_owned(),
                        )),
                    };
                }
                (RootState::Before, Event::Start(start)) => {
                    let name = start.name();
                    let name: &str = name.as_ref();
                    if name != "TKNBatch" {
                        return Err(SdtidError::NotTknBatch {
                            found: name.chars().take(40).collect(),
                        });
                    }
                    self.root_line = lines.line_at(before);
                    self.state = RootState::Inside;
                }
                (RootState::Before, Event::Empty(start)) => {
                    let name = start.name();
                    let name: &str = name.as_ref();
                    if name != "TKNBatch" {
                        return Err(SdtidError::NotTknBatch {
                            found: name.chars().take(40).collect(),
                        });
                    }
                    return Err(SdtidError::MissingElement {
                        element: "TKNHeader".into(),
                        location: " in <TKNBatch>".into(),
                    });
                }
                (RootState::Inside, Event::End(_)) => self.state = RootState::Closed,
                (RootState::Inside, event @ (Event::Start(_) | Event::Empty(_))) => {
                    let mut builder = Builder::limited(MAX_SECTION_ELEMENTS, MAX_DEPTH - 1);
                    builder.apply(event, &mut || lines.line_at(before))?;
                    if builder.depth() == 0 {
                        return Ok(Some(builder.finish()));
                    }
                    section = Some(builder);
                }
                (RootState::Closed, Event::Start(start) | Event::Empty(start)) => {
                    let name = start.name();
                    let name: &str = name.as_ref();
                    return Err(xml_error(
                        lines.line_at(before),
                        format!("second root element <{}>", xml::shorten(name)),
                    ));
                }
                (RootState::Inside, _) => {
                    // The root's own text, comments and the like: a container's text is not
                    // part of any MAC.
                }
                (_, Event::Text(text)) => {
                    if !text
                        .xml10_content()
                        .chars()
                        .all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
                    {
                        return Err(xml_error(
                            lines.line_at(before),
                            "text outside the root element",
                        ));
                    }
                }
                (_, Event::CData(_) | Event::GeneralRef(_)) => {
                    return Err(xml_error(
                        lines.line_at(before),
                        "content outside the root element",
                    ));
                }
                (_, _) => {}
            }
        }
    }
}

/// A buffered reader that knows the line of any byte offset not yet passed, refuses to read
/// past `max_bytes`, and wipes its buffer when dropped (a password-less file's encrypted
/// seeds are as good as the seeds).
struct LineReader<R: Read> {
    inner: R,
    buf: Zeroizing<Vec<u8>>,
    pos: usize,
    filled: usize,
    /// Bytes consumed so far.
    read: u64,
    max_bytes: u64,
    exceeded: Option<u64>,
    /// Offsets of the newlines consumed but not yet counted into `line`.
    newlines: VecDeque<u64>,
    /// Line of the first uncounted offset.
    line: usize,
}

impl<R: Read> LineReader<R> {
    fn new(inner: R, max_bytes: u64) -> Self {
        Self {
            inner,
            buf: Zeroizing::new(vec![0; 64 * 1024]),
            pos: 0,
            filled: 0,
            read: 0,
            max_bytes,
            exceeded: None,
            newlines: VecDeque::new(),
            line: 1,
        }
    }

    /// 1-based line of byte `offset`. Offsets are asked in increasing order (the parser only
    /// moves forward); an earlier one gets the line of the latest asked.
    fn line_at(&mut self, offset: u64) -> usize {
        while self.newlines.front().is_some_and(|&at| at < offset) {
            self.newlines.pop_front();
            self.line += 1;
        }
        self.line
    }
}

impl<R: Read> Read for LineReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for LineReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.filled {
            let n = loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            if self.read + n as u64 > self.max_bytes {
                self.exceeded = Some(self.max_bytes);
                self.read += n as u64;
                return Err(io::Error::other("the input is larger than the limit"));
            }
            self.pos = 0;
            self.filled = n;
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, amount: usize) {
        let amount = amount.min(self.filled - self.pos);
        for (i, &byte) in self.buf[self.pos..self.pos + amount].iter().enumerate() {
            if byte == b'\n' {
                self.newlines.push_back(self.read + i as u64);
            }
        }
        self.pos += amount;
        self.read += amount as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(text: &str) -> Vec<usize> {
        let mut reader = LineReader::new(text.as_bytes(), u64::MAX);
        let mut all = Vec::new();
        reader.read_to_end(&mut all).unwrap();
        (0..text.len() as u64)
            .map(|offset| reader.line_at(offset))
            .collect()
    }

    #[test]
    fn line_of_each_offset() {
        assert_eq!(lines_of("a\nb\n\nc"), vec![1, 1, 2, 2, 3, 4]);
    }

    #[test]
    fn the_byte_limit_is_an_error_naming_the_limit() {
        let text = "<TKNBatch>".to_owned() + &" ".repeat(100) + "</TKNBatch>";
        let mut tokens = TokenReader::new(
            text.as_bytes(),
            None,
            StreamLimits {
                max_bytes: 50,
                max_tokens: 10,
            },
        );
        assert!(matches!(
            tokens.next_token(),
            Err(SdtidError::TooLarge { limit: 50, .. })
        ));
    }
}
