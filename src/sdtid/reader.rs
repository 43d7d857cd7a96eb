//! Reading: the document structure (spec Appendix A step 1) and every field value that can be
//! checked without keys. Verification and decryption live in `verify`.

use super::lookup::{self, Source};
use super::values::{self, invalid};
use super::xml::{self, Document, NodeId};
use super::{BatchHeader, MAX_DOCUMENT_BYTES, SdtidError, TokenAttributes, UserInfo, mac};
use crate::token::{Digits, Interval, KeySize, PinMode, Serial};
use time::{Date, Month};

/// `Birth` when a file has none (informational only; stoken's export default).
pub const DEFAULT_BIRTH: Date = match Date::from_calendar_date(2000, Month::January, 1) {
    Ok(date) => date,
    Err(_) => panic!("valid date"),
};

/// A parsed but not yet decrypted document: the element tree (raw leaf text kept for the MACs)
/// and every value that can be checked without keys.
#[derive(Clone)]
pub struct Batch {
    pub(super) doc: Document,
    pub(super) header: NodeId,
    pub(super) fields: BatchFields,
    pub(super) tokens: Vec<TokenInfo>,
    /// MAC buffer of the header, computed once (it is the same for every password tried).
    pub(super) header_buffer: Vec<u8>,
}

/// The batch-wide values of `TKNHeader`, as written (untrimmed) plus the decoded binaries.
#[derive(Debug, Clone)]
pub(super) struct BatchFields {
    pub origin: String,
    pub dest: String,
    pub name: String,
    pub secret: [u8; 16],
    pub header_mac: [u8; 16],
}

/// What can be known about one token before decryption.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// `SN` exactly as written (the form key derivation uses; vendor files may omit zeros).
    pub sn_as_written: String,
    /// The 12-digit form.
    pub serial: Serial,
    pub attributes: TokenAttributes,
    pub user: UserInfo,
    pub device_serial_number: String,
    pub nickname: String,
    /// Line of the `TKN` start tag.
    pub line: usize,
    pub(super) node: NodeId,
    pub(super) encrypted_seed: [u8; 16],
    pub(super) token_mac: [u8; 16],
}

/// One leaf of the document as written, for inspection (unknown elements included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawElement {
    /// Dotted path from the section down, as the MACs name it (`TKN.TokenAttributes.Nickname`).
    pub long_name: String,
    /// The leaf's own name.
    pub name: String,
    /// Decoded, untrimmed text.
    pub value: String,
    pub line: usize,
    /// Index of the token (`TKN` element) this leaf belongs to, if any.
    pub token: Option<usize>,
    /// Whether the format defines this element here (unknown ones are kept and hashed all the same).
    pub known: bool,
}

const HEADER_ELEMENTS: &[&str] = &[
    "Version",
    "Origin",
    "Dest",
    "Name",
    "FirstToken",
    "LastToken",
    "NumTokens",
    "Secret",
    "DefBirth",
    "DefDeath",
    "DefDigits",
    "DefInterval",
    "DefAlg",
    "DefMode",
    "DefPrecision",
    "DefSmallWin",
    "DefMediumWin",
    "DefLargeWin",
    "DefAddPIN",
    "DefLocalPIN",
    "DefCopyProtection",
    "DefPinType",
    "DefKeypad",
    "DefProtLevel",
    "DefRevision",
    "DefTimeDerivedSeeds",
    "DefAppDerivedSeeds",
    "DefFormFactor",
    "HeaderMAC",
];

/// Per-token override names, in the order writers emit them (spec §1.5).
pub const OVERRIDE_ELEMENTS: &[&str] = &[
    "Birth",
    "Death",
    "Digits",
    "Interval",
    "Alg",
    "Mode",
    "Precision",
    "SmallWin",
    "MediumWin",
    "LargeWin",
    "AddPIN",
    "LocalPIN",
    "CopyProtection",
    "PinType",
    "Keypad",
    "ProtLevel",
    "Revision",
    "TimeDerivedSeeds",
    "AppDerivedSeeds",
    "FormFactor",
];

const TOKEN_ELEMENTS: &[&str] = &[
    "SN",
    "Seed",
    "UserFirstName",
    "UserLastName",
    "UserLogin",
    "TokenAttributes",
    "DeviceSerialNumber",
    "Nickname",
    "TokenMAC",
];

const TRAILER_ELEMENTS: &[&str] = &["BatchSignature", "BatchCertificate"];

/// Parses untrusted bytes (see [`super::parse`]).
pub fn parse(bytes: &[u8]) -> Result<Batch, SdtidError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(SdtidError::TooLarge {
            size: bytes.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    batch_from_document(xml::parse_document(bytes)?, 0)
}

/// The checks of [`parse`] after the XML layer, on a tree built elsewhere (the streaming
/// reader grafts one token at a time); `first_index` numbers its tokens in messages.
pub(super) fn batch_from_document(doc: Document, first_index: usize) -> Result<Batch, SdtidError> {
    let root = doc.root();
    if doc.name(root) != "TKNBatch" {
        return Err(SdtidError::NotTknBatch {
            found: doc.name(root).chars().take(40).collect(),
        });
    }
    let header = doc
        .child(root, "TKNHeader")
        .ok_or_else(|| SdtidError::MissingElement {
            element: "TKNHeader".into(),
            location: " in <TKNBatch>".into(),
        })?;
    let fields = batch_fields(&doc, header)?;
    let mut tokens = Vec::new();
    for (index, node) in doc
        .children(root)
        .filter(|&c| doc.name(c) == "TKN")
        .enumerate()
    {
        tokens.push(token_info(&doc, header, node, first_index + index)?);
    }
    if tokens.is_empty() {
        return Err(SdtidError::MissingElement {
            element: "TKN".into(),
            location: " in <TKNBatch>: a file holds at least one token".into(),
        });
    }
    let header_buffer = mac::section_buffer(&doc, header);
    Ok(Batch {
        doc,
        header,
        fields,
        tokens,
        header_buffer,
    })
}

fn with_line(error: SdtidError, line: usize) -> SdtidError {
    match error {
        SdtidError::InvalidValue { element, reason } => SdtidError::InvalidValue {
            element,
            reason: format!("{reason} (line {line})"),
        },
        other => other,
    }
}

fn batch_fields(doc: &Document, header: NodeId) -> Result<BatchFields, SdtidError> {
    let text = |field: &str| lookup::required(doc, header, field).map(|(_, v)| v.to_owned());
    let binary = |field: &str| -> Result<[u8; 16], SdtidError> {
        let (id, value) = lookup::required(doc, header, field)?;
        values::parse_base64_16(field, value).map_err(|e| with_line(e, doc.line(id)))
    };
    Ok(BatchFields {
        origin: text("Origin")?,
        dest: text("Dest")?,
        name: text("Name")?,
        secret: binary("Secret")?,
        header_mac: binary("HeaderMAC")?,
    })
}

/// Looks a token attribute up and parses it; `Ok(None)` when absent.
fn attribute<T>(
    doc: &Document,
    header: NodeId,
    token: NodeId,
    field: &str,
    parse: impl FnOnce(&str, &str) -> Result<T, SdtidError>,
) -> Result<Option<T>, SdtidError> {
    let Some((id, _source)) = lookup::token_attribute(doc, header, token, field) else {
        return Ok(None);
    };
    let value = lookup::value_of(doc, id)?;
    parse(doc.name(id), value)
        .map(Some)
        .map_err(|e| with_line(e, doc.line(id)))
}

fn text_attribute(
    doc: &Document,
    header: NodeId,
    token: NodeId,
    field: &str,
) -> Result<String, SdtidError> {
    Ok(attribute(doc, header, token, field, |_, v| Ok(user_text(v)))?.unwrap_or_default())
}

/// A user-facing string: the single space writers use for "no value" reads as empty.
fn user_text(value: &str) -> String {
    if value == " " {
        String::new()
    } else {
        value.to_owned()
    }
}

fn token_info(
    doc: &Document,
    header: NodeId,
    node: NodeId,
    index: usize,
) -> Result<TokenInfo, SdtidError> {
    let line = doc.line(node);
    let at = |e: SdtidError| with_line(e, line);
    let missing = |field: &str, also: &str| SdtidError::MissingElement {
        element: field.to_owned(),
        location: format!(" in TKN #{} (line {line}){also}", index + 1),
    };
    let own = |field: &str| -> Result<(NodeId, &str), SdtidError> {
        let id = lookup::find(doc, node, field).ok_or_else(|| missing(field, ""))?;
        Ok((id, lookup::value_of(doc, id)?))
    };

    let (sn_id, sn_text) = own("SN")?;
    let sn = values::parse_sn(sn_text).map_err(|e| with_line(e, doc.line(sn_id)))?;
    let serial = Serial::parse(sn)
        .map_err(|e| invalid("SN", e.to_string()))
        .map_err(at)?;
    let (seed_id, seed_text) = own("Seed")?;
    let encrypted_seed =
        values::parse_seed_field(seed_text).map_err(|e| with_line(e, doc.line(seed_id)))?;
    let (mac_id, mac_text) = own("TokenMAC")?;
    let token_mac = values::parse_base64_16("TokenMAC", mac_text)
        .map_err(|e| with_line(e, doc.line(mac_id)))?;

    let digits = attribute(doc, header, node, "Digits", |name, v| {
        // The format's field could say 1-8 (spec §6.4), but only 6- and 8-digit tokens exist
        // and every other value is a damaged or hand-made file: refused, never guessed at.
        match values::parse_uint(name, v, u32::MAX)? {
            6 => Ok(Digits::SIX),
            8 => Ok(Digits::EIGHT),
            _ => Err(invalid(
                name,
                "must be 6 or 8 (tokencodes have 6 or 8 digits)",
            )),
        }
    })?
    .unwrap_or(Digits::SIX);
    let interval = attribute(doc, header, node, "Interval", |name, v| {
        let n = values::parse_uint(name, v, u32::MAX)?;
        Interval::new(n).map_err(|_| invalid(name, "must be 30 or 60"))
    })?
    .unwrap_or(Interval::Seconds60);
    let key_size = attribute(
        doc,
        header,
        node,
        "Alg",
        |name, v| match values::parse_uint(name, v, u32::MAX)? {
            0 => Ok(KeySize::Bits64),
            1 => Ok(KeySize::Bits128),
            _ => Err(invalid(name, "must be 0 (64-bit) or 1 (128-bit AES)")),
        },
    )?
    .unwrap_or(KeySize::Bits128);
    let flag = |field: &str| {
        attribute(doc, header, node, field, values::parse_flag).map(|f| f.unwrap_or(false))
    };
    let pin_mode = PinMode::from_flags(flag("AddPIN")?, flag("LocalPIN")?);
    let copy_protection = flag("CopyProtection")?;
    let birth = attribute(doc, header, node, "Birth", values::parse_date)?.unwrap_or(DEFAULT_BIRTH);
    let death = attribute(doc, header, node, "Death", values::parse_date)?
        .ok_or_else(|| missing("Death", ", nor <DefDeath> in TKNHeader"))?;

    Ok(TokenInfo {
        sn_as_written: sn.to_owned(),
        serial,
        attributes: TokenAttributes {
            digits,
            interval,
            pin_mode,
            key_size,
            copy_protection,
            birth,
            death,
        },
        user: UserInfo {
            login: text_attribute(doc, header, node, "UserLogin")?,
            first_name: text_attribute(doc, header, node, "UserFirstName")?,
            last_name: text_attribute(doc, header, node, "UserLastName")?,
        },
        device_serial_number: text_attribute(doc, header, node, "DeviceSerialNumber")?,
        nickname: text_attribute(doc, header, node, "Nickname")?,
        line,
        node,
        encrypted_seed,
        token_mac,
    })
}

/// Shows the shape, never the values: the encrypted seeds of a password-less file are as good
/// as the seeds themselves.
impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("elements", &self.doc.len())
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for TokenInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenInfo")
            .field("sn_as_written", &self.sn_as_written)
            .field("attributes", &self.attributes)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl Batch {
    /// Number of `TKN` elements.
    pub fn token_count(&self) -> usize {
        self.tokens.len()
    }

    /// Every token's fields (no seeds: those need [`Batch::decrypt`]).
    pub fn tokens(&self) -> &[TokenInfo] {
        &self.tokens
    }

    /// `Origin`, `Dest` and `Name` as used for keys (trimmed).
    pub fn header(&self) -> BatchHeader {
        BatchHeader {
            origin: values::trim_key_material(&self.fields.origin).to_owned(),
            dest: values::trim_key_material(&self.fields.dest).to_owned(),
            name: values::trim_key_material(&self.fields.name).to_owned(),
        }
    }

    /// Where a token's attribute comes from (token override, header `Def<X>`, header `<X>`).
    pub fn attribute_source(&self, token: usize, field: &str) -> Option<Source> {
        let info = self.tokens.get(token)?;
        lookup::token_attribute(&self.doc, self.header, info.node, field).map(|(_, source)| source)
    }

    /// Every leaf of the document in document order, with its long name and whether the format
    /// knows it. Unknown elements are listed too (they are covered by the MACs like the rest).
    pub fn elements(&self) -> Vec<RawElement> {
        let mut out = Vec::new();
        self.for_each_element(|element| out.push(element));
        out
    }

    /// [`Batch::elements`] one at a time, without holding them all: what a large file's report
    /// streams from.
    pub fn for_each_element(&self, mut visit: impl FnMut(RawElement)) {
        let doc = &self.doc;
        let mut token_index = 0;
        for section in doc.children(doc.root()) {
            let section_name = doc.name(section);
            let token = if section_name == "TKN" {
                token_index += 1;
                Some(token_index - 1)
            } else {
                None
            };
            let known: &[&str] = match section_name {
                "TKNHeader" => HEADER_ELEMENTS,
                "TKN" => TOKEN_ELEMENTS,
                "TKNTrailer" => TRAILER_ELEMENTS,
                _ => &[],
            };
            if doc.is_leaf(section) {
                visit(RawElement {
                    long_name: section_name.to_owned(),
                    name: section_name.to_owned(),
                    value: doc.text(section).to_owned(),
                    line: doc.line(section),
                    token,
                    known: false,
                });
                continue;
            }
            let mut path = vec![section_name.to_owned()];
            collect_leaves(doc, section, &mut path, token, known, &mut visit);
        }
    }

    /// The text of the first `TKNTrailer/BatchSignature` leaf, found without listing (and
    /// copying) every leaf of the document.
    pub(super) fn batch_signature_text(&self) -> Option<&str> {
        let doc = &self.doc;
        doc.children(doc.root())
            .filter(|&section| doc.name(section) == "TKNTrailer")
            .flat_map(|trailer| doc.children(trailer))
            .find(|&leaf| doc.is_leaf(leaf) && doc.name(leaf) == "BatchSignature")
            .map(|leaf| doc.text(leaf))
    }

    /// The header's MAC buffer (spec §4.2), as the MAC is computed over it.
    pub fn header_mac_buffer(&self) -> &[u8] {
        &self.header_buffer
    }

    /// A token's MAC buffer (spec §4.2).
    pub fn token_mac_buffer(&self, token: usize) -> Option<Vec<u8>> {
        self.tokens
            .get(token)
            .map(|info| mac::section_buffer(&self.doc, info.node))
    }

    /// The signing-mode buffer of spec §5 over the header and every token.
    pub fn signing_buffer(&self) -> Vec<u8> {
        let nodes: Vec<NodeId> = self.tokens.iter().map(|t| t.node).collect();
        mac::signing_buffer(&self.doc, self.header, &nodes)
    }
}

fn collect_leaves(
    doc: &Document,
    element: NodeId,
    path: &mut Vec<String>,
    token: Option<usize>,
    known: &[&str],
    visit: &mut impl FnMut(RawElement),
) {
    for child in doc.children(element) {
        let name = doc.name(child);
        if doc.is_leaf(child) {
            let in_attributes = path.len() == 2 && path[1] == "TokenAttributes";
            let known = (path.len() == 1 || in_attributes)
                && (known.contains(&name)
                    || (token.is_some() && path.len() == 1 && OVERRIDE_ELEMENTS.contains(&name)));
            let mut long_name = path.join(".");
            long_name.push('.');
            long_name.push_str(name);
            visit(RawElement {
                long_name,
                name: name.to_owned(),
                value: doc.text(child).to_owned(),
                line: doc.line(child),
                token,
                known,
            });
        } else {
            path.push(name.to_owned());
            collect_leaves(doc, child, path, token, known, visit);
            path.pop();
        }
    }
}
