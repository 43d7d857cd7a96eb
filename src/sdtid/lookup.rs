//! Where a field's value comes from (spec §1.6 with Appendix D.2).
//!
//! Token attributes: the token's `TKN` element (searched recursively, so `Nickname` is found
//! inside `TokenAttributes`), then `Def<X>` in the header, then `<X>` in the header. Batch-level
//! fields (`Origin`, `Secret`, `HeaderMAC`, …) come from the header only, and a token's own
//! fields (`SN`, `Seed`, `TokenMAC`) from its `TKN` only.

use super::SdtidError;
use super::values::invalid;
use super::xml::{Document, NodeId};

/// The first element called `name` below `scope`, depth-first in document order, looking at an
/// element's descendants before the element itself (the reference search order).
pub fn find(doc: &Document, scope: NodeId, name: &str) -> Option<NodeId> {
    for child in doc.children(scope) {
        if !doc.is_leaf(child)
            && let Some(found) = find(doc, child, name)
        {
            return Some(found);
        }
        if doc.name(child) == name {
            return Some(child);
        }
    }
    None
}

/// A found element's text, refusing an element that holds elements instead of a value.
pub fn value_of(doc: &Document, id: NodeId) -> Result<&str, SdtidError> {
    if doc.is_leaf(id) {
        Ok(doc.text(id))
    } else {
        Err(invalid(
            doc.name(id),
            format!("must hold a value, not elements (line {})", doc.line(id)),
        ))
    }
}

/// Where a value was found, for inspection output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// In the token's own `TKN` element (a per-token override).
    Token,
    /// `Def<X>` in the header.
    HeaderDefault,
    /// `<X>` in the header.
    Header,
}

/// A token attribute by the token → `Def<X>` → header rule: the element and where it was found.
pub fn token_attribute(
    doc: &Document,
    header: NodeId,
    token: NodeId,
    field: &str,
) -> Option<(NodeId, Source)> {
    if let Some(id) = find(doc, token, field) {
        return Some((id, Source::Token));
    }
    let mut def_name = String::with_capacity(3 + field.len());
    def_name.push_str("Def");
    def_name.push_str(field);
    if let Some(id) = find(doc, header, &def_name) {
        return Some((id, Source::HeaderDefault));
    }
    find(doc, header, field).map(|id| (id, Source::Header))
}

/// A required value inside `scope` (header-only or token-only fields).
pub fn required<'d>(
    doc: &'d Document,
    scope: NodeId,
    field: &str,
) -> Result<(NodeId, &'d str), SdtidError> {
    let id = find(doc, scope, field).ok_or_else(|| SdtidError::MissingElement {
        element: field.to_owned(),
        location: format!(" in <{}> (line {})", doc.name(scope), doc.line(scope)),
    })?;
    Ok((id, value_of(doc, id)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdtid::xml::parse_document;

    #[test]
    fn token_beats_def_beats_plain_header_and_search_is_recursive() {
        let doc = parse_document(
            b"<B><H><Digits>7</Digits><DefDigits>8</DefDigits><DefInterval>60</DefInterval><Nickname>h</Nickname></H>\
              <T><X><Digits>6</Digits></X><Digits>5</Digits><A><Nickname>n</Nickname></A></T></B>",
        )
        .unwrap();
        let header = doc.child(doc.root(), "H").unwrap();
        let token = doc.child(doc.root(), "T").unwrap();
        let (id, source) = token_attribute(&doc, header, token, "Digits").unwrap();
        assert_eq!((doc.text(id), source), ("6", Source::Token));
        let (id, source) = token_attribute(&doc, header, token, "Interval").unwrap();
        assert_eq!((doc.text(id), source), ("60", Source::HeaderDefault));
        let (id, _) = token_attribute(&doc, header, token, "Nickname").unwrap();
        assert_eq!(doc.text(id), "n");
        assert!(token_attribute(&doc, header, token, "Alg").is_none());
        let header_only = parse_document(b"<B><H><Digits>7</Digits></H><T/></B>").unwrap();
        let (h, t) = (
            header_only.child(0, "H").unwrap(),
            header_only.child(0, "T").unwrap(),
        );
        let (id, source) = token_attribute(&header_only, h, t, "Digits").unwrap();
        assert_eq!((header_only.text(id), source), ("7", Source::Header));
    }
}
