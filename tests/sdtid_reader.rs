//! The reader's strictness and tolerance: what it refuses (naming the element) and which
//! harmless variations of a valid file it still verifies.

use crate::common;

use common::*;
use tokendist::sdtid::{self, SdtidError};

fn v1() -> String {
    fixture_text("v1.sdtid")
}

fn parse_error(text: &str) -> SdtidError {
    sdtid::parse(text.as_bytes())
        .err()
        .unwrap_or_else(|| panic!("should be refused:\n{text}"))
}

fn invalid_element(text: &str) -> String {
    match parse_error(text) {
        SdtidError::InvalidValue { element, reason } => {
            assert!(reason.contains("(line "), "{reason}");
            element
        }
        other => panic!("expected InvalidValue, got {other}"),
    }
}

#[test]
fn refuses_documents_that_are_not_token_files() {
    assert!(
        matches!(parse_error("<?xml version=\"1.0\"?>\n<html></html>"), SdtidError::NotTknBatch { found } if found == "html")
    );
    assert!(
        matches!(parse_error("<TKNBatch><TKN/></TKNBatch>"), SdtidError::MissingElement { element, .. } if element == "TKNHeader")
    );
    let header_only = v1().split("  <TKN>").next().unwrap().to_owned() + "</TKNBatch>\n";
    assert!(
        matches!(parse_error(&header_only), SdtidError::MissingElement { element, .. } if element == "TKN")
    );
    let doctype = v1().replacen(
        "<TKNBatch>",
        "<!DOCTYPE TKNBatch [<!ENTITY a \"b\">]>\n<TKNBatch>",
        1,
    );
    assert!(matches!(
        parse_error(&doctype),
        SdtidError::Doctype { line: 2 }
    ));
    assert!(matches!(
        parse_error(&v1().replace("<UserLogin> <", "<UserLogin>&a;<")),
        SdtidError::Xml { line: 39, .. }
    ));
    assert!(matches!(
        parse_error(&v1().replace("</TKNHeader>", "</TKNHeadr>")),
        SdtidError::Xml { .. }
    ));
    assert!(matches!(parse_error(""), SdtidError::Xml { .. }));
}

#[test]
fn refuses_bad_values_naming_the_element_and_line() {
    let v1 = v1();
    for (from, to, element) in [
        ("<DefDigits>8<", "<DefDigits>9<", "DefDigits"),
        ("<DefDigits>8<", "<DefDigits>8 <", "DefDigits"),
        ("<DefDigits>8<", "<DefDigits>0x8<", "DefDigits"),
        ("<DefInterval>60<", "<DefInterval>45<", "DefInterval"),
        ("<DefAlg>1<", "<DefAlg>2<", "DefAlg"),
        ("<DefAddPIN>1<", "<DefAddPIN>yes<", "DefAddPIN"),
        ("<DefDeath>2035/12/31<", "<DefDeath>2035/02/30<", "DefDeath"),
        ("<DefBirth>2014/01/01<", "<DefBirth>14/01/01<", "DefBirth"),
        (
            "<Secret>AAECAwQFBgcICQoLDA0ODw==<",
            "<Secret>AAECAwQFBgcICQoLDA0O<",
            "Secret",
        ),
        (
            "<HeaderMAC>/SuQfjzYMZVodyHcGKLcBw==<",
            "<HeaderMAC>/SuQfjzYMZVody HcGKLcBw==<",
            "HeaderMAC",
        ),
        ("<Seed>=Xos8", "<Seed>Xos8", "Seed"),
        ("<SN>123456789012<", "<SN>1234567890123<", "SN"),
        ("<SN>123456789012<", "<SN> 123456789012<", "SN"),
        ("<SN>123456789012<", "<SN><", "SN"),
        (
            "<TokenMAC>30cKYRor/OLxUkrKkKucOA==<",
            "<TokenMAC>30cKYRor/OLxUkrKkKucOA=<",
            "TokenMAC",
        ),
    ] {
        assert!(v1.contains(from), "{from}");
        assert_eq!(invalid_element(&v1.replace(from, to)), element, "{to}");
    }
    // A per-token override is checked like the header value it replaces.
    let with_override = v1.replace(
        "    <TokenAttributes>",
        "    <Digits>10</Digits>\n    <TokenAttributes>",
    );
    assert_eq!(invalid_element(&with_override), "Digits");
    let container = v1.replace(
        "    <TokenAttributes>",
        "    <Digits><x>6</x></Digits>\n    <TokenAttributes>",
    );
    assert_eq!(invalid_element(&container), "Digits");
    let no_death = v1.replace("    <DefDeath>2035/12/31</DefDeath>\n", "");
    assert!(
        matches!(parse_error(&no_death), SdtidError::MissingElement { element, .. } if element == "Death")
    );
}

#[test]
fn harmless_variations_still_verify() {
    let v1 = v1();
    let check = |text: &str, what: &str| {
        let batch = sdtid::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{what}: {e}"));
        let token = &batch
            .decrypt(None)
            .unwrap_or_else(|e| panic!("{what}: {e}"))
            .tokens[0];
        assert_eq!(
            hex(token.seed.expose()),
            "00112233445566778899aabbccddeeff",
            "{what}"
        );
    };
    check(&v1.replace('\n', "\r\n"), "CRLF between elements");
    check(&format!("\u{feff}{v1}"), "byte order mark");
    check(
        v1.strip_prefix("<?xml version=\"1.0\"?>\n").unwrap(),
        "no XML declaration",
    );
    check(
        &v1.replace("<TKNBatch>", "<!-- issued by hand -->\n<TKNBatch>"),
        "comment",
    );
    check(
        &v1.replace("<Version>0</Version>", "<Version><![CDATA[0]]></Version>"),
        "CDATA",
    );
    check(
        &v1.replace("<Origin>N/A</Origin>", "<Origin>N&#x2F;A</Origin>"),
        "character reference",
    );
    check(
        &v1.replace("<SN>123456789012</SN>", "<SN>123456789012</SN >"),
        "space in an end tag",
    );
    check(
        &v1.replace("  <TKNHeader>", "\t<TKNHeader>"),
        "tab indentation",
    );
    let trailer_extra = v1.replace(
        "  </TKNTrailer>",
        "    <Comment>not covered</Comment>\n  </TKNTrailer>",
    );
    check(&trailer_extra, "unknown trailer element");
    let batch = sdtid::parse(trailer_extra.as_bytes()).unwrap();
    let unknown: Vec<_> = batch
        .elements()
        .into_iter()
        .filter(|e| !e.known)
        .map(|e| e.long_name)
        .collect();
    assert_eq!(unknown, ["TKNTrailer.Comment"]);
}

#[test]
fn unknown_elements_are_kept_and_covered_by_the_macs() {
    let v1 = v1();
    let extra = v1.replace("    <Secret>", "    <Vendor>x</Vendor>\n    <Secret>");
    let batch = sdtid::parse(extra.as_bytes()).unwrap();
    assert!(
        batch
            .elements()
            .iter()
            .any(|e| e.long_name == "TKNHeader.Vendor" && !e.known && e.value == "x")
    );
    assert_eq!(batch.decrypt(None).unwrap_err(), SdtidError::HeaderCorrupt);
}

#[test]
fn header_def_value_wins_over_a_plain_header_value() {
    // `Digits` next to `DefDigits` in the header: the reference order takes `DefDigits`.
    let v1 = v1().replace(
        "    <DefDigits>8</DefDigits>\n",
        "    <Digits>6</Digits>\n    <DefDigits>8</DefDigits>\n",
    );
    let batch = sdtid::parse(v1.as_bytes()).unwrap();
    assert_eq!(batch.tokens()[0].attributes.digits.get(), 8);
    assert_eq!(
        batch.attribute_source(0, "Digits"),
        Some(sdtid::Source::HeaderDefault)
    );
    let only_plain = v1.replace("    <DefDigits>8</DefDigits>\n", "");
    let batch = sdtid::parse(only_plain.as_bytes()).unwrap();
    assert_eq!(batch.tokens()[0].attributes.digits.get(), 6);
    assert_eq!(
        batch.attribute_source(0, "Digits"),
        Some(sdtid::Source::Header)
    );
}

#[test]
fn missing_attributes_take_their_defaults() {
    let text = v1()
        .replace("    <DefDigits>8</DefDigits>\n", "")
        .replace("    <DefInterval>60</DefInterval>\n", "")
        .replace("    <DefAlg>1</DefAlg>\n", "")
        .replace("    <DefBirth>2014/01/01</DefBirth>\n", "");
    let batch = sdtid::parse(text.as_bytes()).unwrap();
    let a = &batch.tokens()[0].attributes;
    assert_eq!((a.digits.get(), a.interval.seconds()), (6, 60));
    assert_eq!(a.key_size, tokendist::token::KeySize::Bits128);
    assert_eq!(a.birth, sdtid::DEFAULT_BIRTH);
}

#[test]
fn debug_output_never_shows_seed_material() {
    let batch = sdtid::parse(&fixture("v1.sdtid")).unwrap();
    let debug = format!("{batch:?}");
    assert!(!debug.contains("Xos8OprMUbBNc8vhPI0KLQ"), "{debug}");
    assert!(
        !debug.contains("[94, 139"),
        "no raw encrypted seed bytes: {debug}"
    );
    let decrypted = batch.decrypt(None).unwrap();
    let debug = format!("{decrypted:?}");
    assert!(
        !debug.contains("0, 17, 34") && !debug.contains("00112233"),
        "{debug}"
    );
}
