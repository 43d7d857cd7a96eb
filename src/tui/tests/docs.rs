//! Keeps the wizard part of `docs/user-guide.md` true: its screen captures and its key map are generated from
//! the same scenarios and key tables the program uses. The captures run on the demo
//! workspace's data (`tokendist --demo`: its profiles, tokens and users, through the real job
//! engine), so a newcomer sees in the guide exactly what is on screen. Between `<!-- generated:NAME -->` and
//! `<!-- /generated -->` the guide holds what this test produces; run
//! `UPDATE_GUIDE=1 cargo test --lib guide` after changing a screen or a key.

use super::render::demo_scenario;
use crate::tui::keymap::ALL_CONTEXTS;
use std::path::Path;

const GUIDE: &str = "docs/user-guide.md";
const END: &str = "<!-- /generated -->";

/// The generated text for one marker.
fn generate(name: &str) -> String {
    if name == "keymap" {
        return keymap_markdown();
    }
    let screen = demo_scenario(name).render(80, 24);
    format!("```text\n{screen}```\n")
}

/// One table per screen, straight from the key tables.
pub fn keymap_markdown() -> String {
    let mut out = String::new();
    for (context, title) in ALL_CONTEXTS {
        out.push_str(&format!("\n**{title}**\n\n| Keys | Action |\n|---|---|\n"));
        for binding in context.bindings() {
            let keys = context.keys_label(binding).replace('|', "\\|");
            out.push_str(&format!("| `{keys}` | {} |\n", binding.description));
        }
    }
    out
}

/// The guide with every generated block refreshed.
fn refreshed(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<!-- generated:") {
        let open_end = start + rest[start..].find("-->").expect("marker closes") + 3;
        let name = rest[start + "<!-- generated:".len()..open_end - 3].trim();
        let close = open_end + rest[open_end..].find(END).expect("block ends");
        out.push_str(&rest[..open_end]);
        out.push('\n');
        out.push_str(&generate(name));
        out.push_str(END);
        rest = &rest[close + END.len()..];
    }
    out.push_str(rest);
    out
}

#[test]
fn guide_captures_and_key_map_are_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(GUIDE);
    let text = std::fs::read_to_string(&path).expect("the user guide exists");
    let fresh = refreshed(&text);
    if std::env::var_os("UPDATE_GUIDE").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    assert!(
        text == fresh,
        "{GUIDE} is out of date: run UPDATE_GUIDE=1 cargo test --lib guide"
    );
}
