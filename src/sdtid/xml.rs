//! A bounded XML layer for SDTID documents: untrusted text in, a compact element tree out, and
//! the text escaping the writer uses.
//!
//! The tree keeps what the MACs need: elements in document order and the raw text of every leaf
//! (entity-decoded, CDATA included, line endings normalised as XML requires, never trimmed).
//! No DOCTYPE is accepted, so no entity can be defined, let alone expanded; only the five
//! predefined entities and character references are decoded. Nesting is limited to
//! [`MAX_DEPTH`] so that recursive walks over the tree are safe.

use super::SdtidError;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// Deepest element nesting accepted. The format needs 4 (`TKNBatch/TKN/TokenAttributes/leaf`).
pub const MAX_DEPTH: usize = 16;

/// Most elements accepted in one document: a 100,000-token file has about 1.1 million. With
/// this bound the tree of any accepted document stays below about 100 MiB.
pub const MAX_ELEMENTS: usize = 3_000_000;

/// Index of an element in a [`Document`].
pub type NodeId = u32;

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct Node {
    name: u32,
    text_start: u32,
    text_end: u32,
    first_child: u32,
    last_child: u32,
    next_sibling: u32,
    line: u32,
}

/// A parsed document as a compact arena: element names are interned, leaf texts live in one
/// string, so a 100,000-token file costs a few tens of MiB rather than millions of small
/// allocations. A leaf is an element without element children; its text is its value. A
/// container's own text (indentation) is not kept.
#[derive(Debug, Clone)]
pub struct Document {
    nodes: Vec<Node>,
    names: Vec<String>,
    texts: String,
}

impl Document {
    /// The root element.
    pub fn root(&self) -> NodeId {
        0
    }

    pub fn name(&self, id: NodeId) -> &str {
        &self.names[self.nodes[id as usize].name as usize]
    }

    /// The text of a leaf (empty for containers).
    pub fn text(&self, id: NodeId) -> &str {
        let node = &self.nodes[id as usize];
        &self.texts[node.text_start as usize..node.text_end as usize]
    }

    /// 1-based line of the start tag.
    pub fn line(&self, id: NodeId) -> usize {
        self.nodes[id as usize].line as usize
    }

    pub fn is_leaf(&self, id: NodeId) -> bool {
        self.nodes[id as usize].first_child == NONE
    }

    /// Element children in document order.
    pub fn children(&self, id: NodeId) -> Children<'_> {
        Children {
            doc: self,
            next: self.nodes[id as usize].first_child,
        }
    }

    /// The first direct child called `name`.
    pub fn child(&self, id: NodeId, name: &str) -> Option<NodeId> {
        self.children(id).find(|&c| self.name(c) == name)
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

impl Document {
    /// A new document whose root `root_name` (at `root_line`) holds each part's root element,
    /// in order. The streaming reader builds one small document per token this way: the
    /// batch root, the header, and that token, with every line number as in the file.
    pub(super) fn graft(root_name: &str, root_line: usize, parts: &[&Document]) -> Document {
        let mut builder = Builder::new(usize::MAX);
        // Cannot fail: the limits are off and nesting only grows by the one new root level,
        // which every part already respected below the original root.
        let _ = builder.open(root_name, root_line);
        for part in parts {
            if !part.is_empty() {
                builder.copy_subtree(part, part.root());
            }
        }
        builder.close();
        builder.finish()
    }
}

/// Iterator over the element children of one element.
pub struct Children<'a> {
    doc: &'a Document,
    next: u32,
}

impl Iterator for Children<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.doc.nodes[id as usize].next_sibling;
        Some(id)
    }
}

/// Builds a [`Document`] while the reader walks the text.
pub(super) struct Builder {
    /// Most elements this tree may hold.
    max_elements: usize,
    /// Deepest nesting this tree may hold.
    max_depth: usize,
    nodes: Vec<Node>,
    names: Vec<String>,
    name_ids: std::collections::HashMap<String, u32>,
    texts: String,
    /// Open elements, innermost last.
    stack: Vec<u32>,
    root_closed: bool,
}

impl Builder {
    pub(super) fn new(max_elements: usize) -> Self {
        Self::limited(max_elements, MAX_DEPTH)
    }

    /// A builder for one part of a document that sits `MAX_DEPTH - max_depth` levels down.
    pub(super) fn limited(max_elements: usize, max_depth: usize) -> Self {
        Self {
            max_elements,
            max_depth,
            nodes: Vec::new(),
            names: Vec::new(),
            name_ids: std::collections::HashMap::new(),
            texts: String::new(),
            stack: Vec::new(),
            root_closed: false,
        }
    }

    fn open(&mut self, name: &str, line: usize) -> Result<(), SdtidError> {
        if self.stack.is_empty() && (self.root_closed || !self.nodes.is_empty()) {
            return Err(xml_error(
                line,
                format!("second root element <{}>", shorten(name)),
            ));
        }
        if self.stack.len() >= self.max_depth {
            return Err(xml_error(
                line,
                format!("elements nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        if self.nodes.len() >= self.max_elements {
            return Err(xml_error(
                line,
                format!("more than {} elements", self.max_elements),
            ));
        }
        let name_id = match self.name_ids.get(name) {
            Some(&id) => id,
            None => {
                let id = self.names.len() as u32;
                self.names.push(name.to_owned());
                self.name_ids.insert(name.to_owned(), id);
                id
            }
        };
        let id = self.nodes.len() as u32;
        let text_at = self.texts.len() as u32;
        self.nodes.push(Node {
            name: name_id,
            text_start: text_at,
            text_end: text_at,
            first_child: NONE,
            last_child: NONE,
            next_sibling: NONE,
            line: u32::try_from(line).unwrap_or(u32::MAX),
        });
        if let Some(&parent) = self.stack.last() {
            let parent_node = &mut self.nodes[parent as usize];
            if parent_node.first_child == NONE {
                // From its first child element on, the parent is a container: drop its text.
                let start = parent_node.text_start;
                parent_node.text_end = start;
                parent_node.first_child = id;
                self.texts.truncate(start as usize);
                self.nodes[id as usize].text_start = start;
                self.nodes[id as usize].text_end = start;
            } else {
                let previous = parent_node.last_child;
                self.nodes[previous as usize].next_sibling = id;
            }
            self.nodes[parent as usize].last_child = id;
        }
        self.stack.push(id);
        Ok(())
    }

    fn close(&mut self) {
        // quick-xml checks that end tags match, so an end tag always has an open element here.
        self.stack.pop();
        if self.stack.is_empty() {
            self.root_closed = true;
        }
    }

    /// Character data: appended to the innermost element while it is a leaf; whitespace outside
    /// the root is allowed, anything else there is an error.
    fn text(&mut self, content: &str, line: impl FnOnce() -> usize) -> Result<(), SdtidError> {
        match self.stack.last() {
            Some(&id) => {
                let node = &mut self.nodes[id as usize];
                // Only the innermost open element can still be growing its text, and only if it
                // has no children yet; its text always ends at the end of the arena.
                if node.first_child == NONE {
                    self.texts.push_str(content);
                    node.text_end = self.texts.len() as u32;
                }
                Ok(())
            }
            None if content
                .chars()
                .all(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) =>
            {
                Ok(())
            }
            None => Err(xml_error(line(), "text outside the root element")),
        }
    }

    /// Appends `id` of `doc` (and everything below it) under the innermost open element.
    fn copy_subtree(&mut self, doc: &Document, id: NodeId) {
        let _ = self.open(doc.name(id), doc.line(id));
        if doc.is_leaf(id) {
            let top = *self.stack.last().expect("just opened");
            let node = &mut self.nodes[top as usize];
            self.texts.push_str(doc.text(id));
            node.text_end = self.texts.len() as u32;
        } else {
            for child in doc.children(id) {
                self.copy_subtree(doc, child);
            }
        }
        self.close();
    }

    /// Elements still open.
    pub(super) fn depth(&self) -> usize {
        self.stack.len()
    }

    /// Name of the innermost open element, for "ends inside <X>" messages.
    pub(super) fn innermost(&self) -> Option<&str> {
        let open = *self.stack.last()?;
        Some(&self.names[self.nodes[open as usize].name as usize])
    }

    pub(super) fn finish(self) -> Document {
        Document {
            nodes: self.nodes,
            names: self.names,
            texts: self.texts,
        }
    }
}

/// Incremental byte offset → line number conversion (the reader only moves forward).
struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl LineCounter<'_> {
    fn line_at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            return 1 + self.text.as_bytes()[..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
        }
        self.line += self.text.as_bytes()[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.offset = offset;
        self.line
    }
}

pub(super) fn xml_error(line: usize, message: impl Into<String>) -> SdtidError {
    SdtidError::Xml {
        line,
        message: message.into(),
    }
}

/// Parses a whole document (UTF-8, an optional BOM) into its element tree.
pub fn parse_document(bytes: &[u8]) -> Result<Document, SdtidError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        xml_error(line, "the document is not valid UTF-8")
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    configure(&mut reader);

    if text.len() > u32::MAX as usize / 2 {
        return Err(xml_error(1, "the document is too large"));
    }
    let mut lines = LineCounter {
        text,
        offset: 0,
        line: 1,
    };
    let mut builder = Builder::new(MAX_ELEMENTS);
    loop {
        let before = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                let line = lines.line_at(reader.error_position() as usize);
                return Err(xml_error(line, e.to_string()));
            }
        };
        if matches!(event, Event::Eof) {
            break;
        }
        builder.apply(event, &mut || lines.line_at(before))?;
    }
    if let Some(&open) = builder.stack.last() {
        let line = lines.line_at(text.len());
        let name = builder.names[builder.nodes[open as usize].name as usize].clone();
        return Err(xml_error(
            line,
            format!("document ends inside <{}>", shorten(&name)),
        ));
    }
    if builder.nodes.is_empty() {
        return Err(xml_error(
            lines.line_at(text.len()),
            "the document has no root element",
        ));
    }
    Ok(builder.finish())
}

/// The reader settings both parsers use: strict end names and comments, no dangling `&`,
/// text kept exactly as written.
pub(super) fn configure<R>(reader: &mut Reader<R>) {
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    config.allow_dangling_amp = false;
    config.expand_empty_elements = false;
    config.trim_text(false);
}

impl Builder {
    /// Applies one parser event (not `Eof`) to the tree; `line` gives the event's start line.
    pub(super) fn apply(
        &mut self,
        event: Event<'_>,
        line: &mut dyn FnMut() -> usize,
    ) -> Result<(), SdtidError> {
        match event {
            Event::DocType(_) => Err(SdtidError::Doctype { line: line() }),
            Event::Start(start) => self.open(start.name().as_ref(), line()),
            Event::Empty(start) => {
                self.open(start.name().as_ref(), line())?;
                self.close();
                Ok(())
            }
            Event::End(_) => {
                self.close();
                Ok(())
            }
            Event::Text(chunk) => self.text(&chunk.xml10_content(), &mut *line),
            Event::CData(chunk) => {
                if self.stack.is_empty() {
                    return Err(xml_error(line(), "CDATA outside the root element"));
                }
                self.text(&chunk.xml10_content(), || 0)
            }
            Event::GeneralRef(reference) => {
                let line = line();
                let ch = match reference.resolve_char_ref() {
                    Ok(Some(ch)) => ch,
                    Ok(None) => match reference.as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => {
                            return Err(xml_error(
                                line,
                                format!("undefined entity &{};", shorten(other)),
                            ));
                        }
                    },
                    Err(e) => return Err(xml_error(line, e.to_string())),
                };
                if self.stack.is_empty() {
                    return Err(xml_error(line, "entity reference outside the root element"));
                }
                let mut buf = [0u8; 4];
                self.text(ch.encode_utf8(&mut buf), || line)
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::Eof => Ok(()),
        }
    }
}

pub(super) fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// Escapes `&`, `<` and `>`; characters outside printable ASCII become character references
/// (the writer never produces them, but the serialiser stays correct for any text).
pub fn escape_into(out: &mut String, text: &str) {
    // Most values need no escaping: copy them whole.
    if text
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && !matches!(b, b'&' | b'<' | b'>'))
    {
        out.push_str(text);
        return;
    }
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            ' '..='~' => out.push(ch),
            other => {
                use std::fmt::Write;
                let _ = write!(out, "&#x{:X};", other as u32);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Document, SdtidError> {
        parse_document(text.as_bytes())
    }

    #[test]
    fn keeps_raw_leaf_text_and_decodes_entities_and_cdata() {
        let doc = parse("<?xml version=\"1.0\"?>\n<a>\n  <b> x &amp; &#x41;<![CDATA[<y>]]> </b>\n  <c/>\n  <d>t<e>u</e>v</d>\n</a>\n").unwrap();
        let root = doc.root();
        assert_eq!(doc.name(root), "a");
        let children: Vec<_> = doc.children(root).collect();
        assert_eq!(children.len(), 3);
        assert_eq!(doc.text(children[0]), " x & A<y> ");
        assert_eq!(doc.line(children[0]), 3);
        assert_eq!(doc.text(children[1]), "");
        assert!(doc.is_leaf(children[1]));
        assert!(!doc.is_leaf(children[2]));
        assert_eq!(doc.text(children[2]), "");
        let e = doc.child(children[2], "e").unwrap();
        assert_eq!(doc.text(e), "u");
        assert_eq!(doc.text(root), "");
    }

    #[test]
    fn normalises_line_endings_in_text() {
        let doc = parse("<a><b>x\r\ny\rz</b></a>").unwrap();
        let b = doc.child(doc.root(), "b").unwrap();
        assert_eq!(doc.text(b), "x\ny\nz");
    }

    #[test]
    fn rejects_doctype_entities_and_malformed_input() {
        let doctype = "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x \"y\">]>\n<a>&x;</a>";
        assert!(matches!(
            parse(doctype),
            Err(SdtidError::Doctype { line: 2 })
        ));
        for bad in [
            "<a>&x;</a>",
            "<a><b></a>",
            "<a></a><b></b>",
            "<a>",
            "junk<a></a>",
            "",
            "<a></a>junk",
            "</a>",
        ] {
            assert!(matches!(parse(bad), Err(SdtidError::Xml { .. })), "{bad}");
        }
        assert!(matches!(
            parse_document(b"<a>\n\xff</a>"),
            Err(SdtidError::Xml { line: 2, .. })
        ));
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(matches!(parse(&deep), Err(SdtidError::Xml { .. })));
    }

    #[test]
    fn escapes_markup_characters() {
        let mut out = String::new();
        escape_into(&mut out, "x&<>y'\"é");
        assert_eq!(out, "x&amp;&lt;&gt;y'\"&#xE9;");
    }
}
