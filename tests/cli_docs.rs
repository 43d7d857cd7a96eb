//! The command line documents itself: every argument has help text, every command's `--help`
//! ends with an example that really parses to that command, and the completion scripts and
//! man pages cover every subcommand. The command tree is walked from the clap definition, not
//! from a list here, so commands and options added later are held to the same rules.

use assert_cmd::Command;
use clap::CommandFactory;
use std::time::Duration;
use tokendist::cli::Cli;

/// One command of the tree: its path below `tokendist` (empty for the root) and definition.
struct Node {
    path: Vec<String>,
    command: clap::Command,
}

impl Node {
    fn describe(&self) -> String {
        std::iter::once("tokendist")
            .chain(self.path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Every command, root first, depth first, without clap's generated `help` subcommands.
fn tree() -> Vec<Node> {
    fn walk(command: &clap::Command, path: Vec<String>, nodes: &mut Vec<Node>) {
        nodes.push(Node {
            path: path.clone(),
            command: command.clone(),
        });
        for sub in command.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let mut sub_path = path.clone();
            sub_path.push(sub.get_name().to_owned());
            walk(sub, sub_path, nodes);
        }
    }
    let mut root = Cli::command();
    root.build();
    let mut nodes = Vec::new();
    walk(&root, Vec::new(), &mut nodes);
    nodes
}

/// Splits an example into words: whitespace separates, single quotes group. Stops at a shell
/// redirection (`>`), which is not part of the command.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quote in example {line:?}");
    if in_word {
        words.push(word);
    }
    match words.iter().position(|word| word.starts_with('>')) {
        Some(redirect) => words[..redirect].to_vec(),
        None => words,
    }
}

#[test]
fn the_tree_walk_sees_nested_commands() {
    // Guards the walk itself: a broken walk would make the checks below vacuous.
    let paths: Vec<String> = tree().iter().map(Node::describe).collect();
    for expected in ["tokendist", "tokendist jobs", "tokendist jobs submit"] {
        assert!(paths.iter().any(|path| path == expected), "{paths:?}");
    }
    assert!(paths.len() > 15, "{paths:?}");
}

#[test]
fn every_argument_has_help_text() {
    let mut missing = Vec::new();
    for node in tree() {
        for arg in node.command.get_arguments() {
            let help = arg.get_help().or(arg.get_long_help());
            if help.is_none_or(|text| text.to_string().trim().is_empty()) {
                let name = arg
                    .get_long()
                    .map(|long| format!("--{long}"))
                    .unwrap_or_else(|| arg.get_id().to_string().to_uppercase());
                missing.push(format!("{} {name}", node.describe()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "arguments without help text (add a `///` doc comment):\n  {}",
        missing.join("\n  ")
    );
}

/// The example in an `after_help`: `Example: tokendist …` on one line, or the first line under
/// an `Example:`/`Examples:` heading (further text, such as exit statuses, may stand around it).
fn first_example(text: &str) -> Option<&str> {
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if let Some(example) = line.strip_prefix("Example: ") {
            return Some(example);
        }
        if line == "Example:" || line == "Examples:" {
            return lines.next().filter(|next| next.starts_with("tokendist"));
        }
    }
    None
}

#[test]
fn every_command_has_an_example_that_parses_to_itself() {
    let mut problems = Vec::new();
    for node in tree() {
        let after = node.command.get_after_help().map(ToString::to_string);
        let Some(example) = after.as_deref().and_then(first_example) else {
            problems.push(format!(
                "{}: no `after_help = \"Example: tokendist ...\"`",
                node.describe()
            ));
            continue;
        };
        if example.contains('\n') {
            problems.push(format!("{}: the example is not one line", node.describe()));
            continue;
        }
        let words = shell_words(example);
        match Cli::command().try_get_matches_from(&words) {
            Err(error) => problems.push(format!(
                "{}: example {example:?} does not parse: {}",
                node.describe(),
                error
                    .render()
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or_default()
            )),
            Ok(matches) => {
                let mut reached = Vec::new();
                let mut current = &matches;
                while let Some((name, sub)) = current.subcommand() {
                    reached.push(name.to_owned());
                    current = sub;
                }
                // A group's example necessarily runs one of its subcommands.
                let fits = reached == node.path
                    || (node.command.is_subcommand_required_set()
                        && reached.starts_with(&node.path));
                if !fits {
                    problems.push(format!(
                        "{}: example {example:?} runs `{}` instead",
                        node.describe(),
                        reached.join(" ")
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn help_output_shows_the_example() {
    let output = Command::new(env!("CARGO_BIN_EXE_tokendist"))
        .args(["jobs", "download", "--help"])
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    let text = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    assert!(text.contains("Example: tokendist jobs download"), "{text}");
    assert!(text.contains("Replace an existing file"), "{text}");
}

fn run_tokendist(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_tokendist"))
        .args(args)
        .env_clear()
        .timeout(Duration::from_secs(30))
        .write_stdin("")
        .assert()
        .success();
    String::from_utf8(output.get_output().stdout.clone()).expect("UTF-8 output")
}

/// Whether `word` occurs in `text` as a whole word (not as part of a longer name).
fn mentions(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '-'));
        boundary(before) && boundary(after)
    })
}

#[test]
fn completion_scripts_mention_every_subcommand() {
    let nodes = tree();
    for shell in ["bash", "zsh", "fish"] {
        let script = run_tokendist(&["completions", shell]);
        assert!(script.len() > 1000, "{shell}: {script}");
        let missing: Vec<String> = nodes
            .iter()
            .skip(1)
            .filter(|node| !mentions(&script, node.path.last().expect("a subcommand")))
            .map(Node::describe)
            .collect();
        assert!(missing.is_empty(), "{shell} completion lacks {missing:?}");
        // Options too, at any depth: a completion that only knows command names is half done.
        // (fish spells them `-l passphrase-file`.)
        for option in ["passphrase-file", "protection", "include-distributed"] {
            assert!(script.contains(option), "{shell} completion lacks {option}");
        }
    }
    let error = Command::new(env!("CARGO_BIN_EXE_tokendist"))
        .args(["completions", "tcsh"])
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&error.get_output().stderr).into_owned();
    assert!(
        stderr.contains("bash") && stderr.contains("fish"),
        "{stderr}"
    );
}

#[test]
fn the_bash_completion_script_is_valid_bash() {
    let script = run_tokendist(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokendist.bash");
    std::fs::write(&path, script).unwrap();
    // `bash -n` parses without running; then sourcing must register the completion function.
    Command::new("bash")
        .arg("-n")
        .arg(&path)
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!(". '{}' && complete -p tokendist", path.display()))
        .timeout(Duration::from_secs(30))
        .assert()
        .success();
    let registered = String::from_utf8_lossy(&output.get_output().stdout).into_owned();
    assert!(registered.contains("tokendist"), "{registered}");
}

#[test]
fn man_prints_the_top_page_naming_every_command() {
    let page = run_tokendist(&["man"]);
    assert!(
        page.contains("\n.TH tokendist 1 "),
        "{}",
        &page[..80.min(page.len())]
    );
    for node in tree().iter().filter(|node| node.path.len() == 1) {
        let reference = format!("tokendist\\-{}(1)", node.path[0]);
        assert!(page.contains(&reference), "top page lacks {reference}");
    }
}

#[test]
fn man_dir_writes_one_page_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let out_text = out.to_str().expect("UTF-8 temp path");
    let said = run_tokendist(&["man", "--dir", out_text]);
    let nodes = tree();
    assert!(
        said.contains(&format!("wrote {} man pages", nodes.len())),
        "{said}"
    );
    for node in &nodes {
        let name = std::iter::once("tokendist")
            .chain(node.path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("-");
        let page = std::fs::read_to_string(out.join(format!("{name}.1")))
            .unwrap_or_else(|e| panic!("{name}.1: {e}"));
        let roff_name = name.replace('-', "\\-");
        let version = env!("CARGO_PKG_VERSION");
        assert!(
            page.contains(&format!("\n.TH {name} 1  \"tokendist {version}\"")),
            "{name}.1 starts {:?}",
            &page[..120.min(page.len())]
        );
        // Its example, and a reference to each of its own subcommands' pages.
        assert!(
            page.contains("Example: tokendist")
                || page.contains("Example:\n") && page.contains("\n  tokendist ")
                || page.contains("Examples:\n"),
            "{name}.1 has no example"
        );
        for sub in node.command.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let reference = format!("{roff_name}\\-{}(1)", sub.get_name());
            assert!(page.contains(&reference), "{name}.1 lacks {reference}");
        }
    }
    let written = std::fs::read_dir(&out).unwrap().count();
    assert_eq!(written, nodes.len(), "one page per command, nothing else");
}
