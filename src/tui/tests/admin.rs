//! Workspace tools (F5): every tool's forms, refusals, reviews, confirmations and results,
//! through the real update and the library code the CLI runs, on the demo workspace; and their
//! screens as snapshots (also the user guide's captures).

use crate::secret::SecretString;
use crate::tui::admin::port::{DirectoryInfo, TaskKind, fields};
use crate::tui::admin::{Phase, Tool};
use crate::tui::app::{Overlay, RunningJob, Screen};
use crate::tui::fake::{FakeBackend, Harness};
use crate::tui::keymap::KeyContext;
use crate::tui::theme::Theme;
use crate::workspace::Workspace;
use crate::workspace::auto_assign::Candidate;
use crossterm::event::KeyCode::{self, *};

/// The tools' screens worth a picture (snapshots and the user guide).
pub const SCENARIOS: &[&str] = &[
    "22_tools_menu",
    "23_passphrase_refused",
    "24_passphrase_resealing",
    "25_passphrase_changed",
    "26_retire_review",
    "26_retire_confirm",
    "27_retire_done",
    "27_retire_tokens_indexing",
    "28_assign_directory_form",
    "29_assign_directory_review",
    "30_check_done",
    "31_check_findings",
];

const NEW_PASSPHRASE: &str = "correct horse battery staple";

fn demo() -> Harness {
    Harness::with_backend(FakeBackend::demo(), Theme::colored())
}

fn open_tool(h: &mut Harness, tool: Tool) {
    h.press(F(5));
    // Back to the menu from a form or a result, as an administrator would.
    while !matches!(h.state.admin.phase, Phase::Menu | Phase::Working(_)) {
        h.press(Esc);
    }
    let at = Tool::ALL.iter().position(|t| *t == tool).unwrap();
    h.press(Home);
    for _ in 0..at {
        h.press(Down);
    }
    h.press(Enter);
}

/// A configured directory asking for the bind password, and what its search finds: two users
/// without a token, one (the demo's first) who holds one, one listed twice.
fn with_directory(h: &mut Harness) {
    h.backend.directory = Some(DirectoryInfo {
        url: "ldaps://ldap.example.org".into(),
        base_dn: "ou=people,dc=example,dc=org".into(),
        filter: "(memberOf=cn=vpn,ou=groups,dc=example,dc=org)".into(),
        bind_dn: Some("cn=tokendist,ou=services,dc=example,dc=org".into()),
        password_file: None,
    });
    let holder = h.backend.tokens[0].login.clone().unwrap();
    let user = |login: &str, first: &str, last: &str| Candidate {
        login: login.into(),
        first_name: first.into(),
        last_name: last.into(),
        source: format!("uid={login},ou=people,dc=example,dc=org"),
    };
    h.backend.directory_users = vec![
        user("zoe.ng", "Zoë", "Ng"),
        user("jgarcia", "José", "García"),
        user(&holder, "Already", "Holding"),
        user("ZOE.NG", "Zoe", "Again"),
    ];
}

fn error(h: &Harness) -> Option<(Option<&'static str>, String)> {
    h.state.admin.form.error.clone()
}

fn error_field(h: &Harness) -> Option<&'static str> {
    error(h).and_then(|(field, _)| field)
}

fn focused_label(h: &Harness) -> &'static str {
    h.state.admin.form.fields[h.state.admin.form.focus].label
}

/// What an administrator finds on a console after a while: a job record cut short in the
/// history (an editor, a full disk), the history readable by others, the staged files of a job
/// the history does not hold, stray files. (Nothing that names the demo's job id, which is new
/// each run: the captures stay the same.)
fn damage(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    let jobs = dir.join(crate::workspace::JOBS_DIR);
    let history = jobs.join(crate::jobs::history::HISTORY_FILE);
    let mut text = std::fs::read_to_string(&history).unwrap();
    text.push_str("{\"id\":\"20261130-150000-");
    std::fs::write(&history, text).unwrap();
    mode(&history, 0o644);
    let orphan = jobs
        .join(crate::jobs::job_id::STAGED_DIR)
        .join("20261001-090000-0a9f");
    std::fs::create_dir(&orphan).unwrap();
    mode(&orphan, 0o700);
    let key = orphan.join(crate::jobs::staging::KEY_FILE);
    std::fs::write(&key, [0u8; 60]).unwrap();
    mode(&key, 0o600);
    for (name, file_mode) in [
        ("notes.txt", 0o644),
        ("users-old.csv", 0o600),
        ("inventory.vault.bak", 0o600),
        ("tokendist.toml~", 0o600),
        ("export-2026-10.csv", 0o600),
        ("pilot.zip", 0o600),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, "kept here by hand\n").unwrap();
        mode(&path, file_mode);
    }
}

/// Builds the named screen with keys on `h` (a demo harness for the guide).
pub fn scenario(name: &str, mut h: Harness) -> Harness {
    match name {
        "22_tools_menu" => h.press(F(5)),
        "23_passphrase_refused" => {
            open_tool(&mut h, Tool::Passphrase);
            h.type_text("demo");
            h.press(Tab);
            h.type_text(NEW_PASSPHRASE);
            h.press(Tab);
            h.type_text("correct horse battery stapel");
            h.press(Enter);
        }
        "24_passphrase_resealing" | "25_passphrase_changed" => {
            h.backend.defer_answers = name == "24_passphrase_resealing";
            open_tool(&mut h, Tool::Passphrase);
            h.type_text("demo");
            h.press(Tab);
            h.type_text(NEW_PASSPHRASE);
            h.press(Tab);
            h.type_text(NEW_PASSPHRASE);
            h.press(Enter);
        }
        "26_retire_review" | "26_retire_confirm" | "27_retire_done" => {
            open_tool(&mut h, Tool::Retire);
            h.type_text("000500000003-000500000005 000500000299");
            h.press(Enter);
            if name != "26_retire_review" {
                h.press(Enter);
            }
            if name == "27_retire_done" {
                h.press(Char('y'));
            }
        }
        "27_retire_tokens_indexing" => {
            // The backend's worker indexes the changed inventory (about a second at a
            // million tokens): the browser opened meanwhile says so.
            h = scenario("27_retire_done", h);
            h.backend.indexing = true;
            h.press(Char('3'));
        }
        "28_assign_directory_form" | "29_assign_directory_review" => {
            with_directory(&mut h);
            open_tool(&mut h, Tool::AssignDirectory);
            h.press(Tab);
            h.type_text("128");
            h.press(Tab);
            h.type_text("bind secret");
            if name == "29_assign_directory_review" {
                h.press(Enter);
            }
        }
        "30_check_done" | "31_check_findings" => {
            if name == "31_check_findings" {
                damage(h.backend.demo_dir());
            }
            open_tool(&mut h, Tool::Check);
            h.type_text("demo");
            h.press(Enter);
        }
        other => panic!("no scenario {other}"),
    }
    h
}

#[test]
fn tool_screens_at_80x24_and_120x40() {
    for name in SCENARIOS {
        let h = scenario(name, demo());
        for (w, hgt) in [(80, 24), (120, 40)] {
            insta::assert_snapshot!(format!("{name}_{w}x{hgt}"), h.render(w, hgt));
        }
    }
}

#[test]
fn the_tools_are_reachable_from_the_header_keys_and_listed_in_help() {
    let mut h = demo();
    h.press(F(3));
    h.press(Char('4'));
    assert_eq!(h.state.screen, Screen::Admin);
    assert_eq!(h.state.key_context(), KeyContext::AdminMenu);
    h.press(F(2));
    h.press(F(5));
    assert_eq!(h.state.screen, Screen::Admin);
    let screen = h.render(80, 24);
    assert!(
        screen.lines().next().unwrap().contains("4/F5 Tools"),
        "{screen}"
    );
    for tool in Tool::ALL {
        assert!(screen.contains(tool.title()), "{screen}");
    }
    h.press(Char('?'));
    assert!(matches!(h.state.overlay, Some(Overlay::Help { .. })));
    let help = h.render(80, 40);
    assert!(help.contains("open the tool"), "{help}");
    // The global key table names the screen too, so every other screen's help lists it.
    let global = KeyContext::Tokens.bindings();
    assert!(
        global
            .iter()
            .any(|b| b.description.starts_with("Workspace tools")),
        "{global:?}"
    );
}

fn secret_len(h: &Harness, label: &str) -> usize {
    h.state.admin.form.secret(label).unwrap().char_len()
}

#[test]
fn passphrase_refusals_name_the_field_and_never_reach_the_worker() {
    let mut h = demo();
    open_tool(&mut h, Tool::Passphrase);
    assert_eq!(h.state.key_context(), KeyContext::AdminForm);
    h.press(Enter);
    assert_eq!(error_field(&h), Some(fields::CURRENT));
    assert_eq!(focused_label(&h), fields::CURRENT);

    h.type_text("demo");
    h.press(Enter);
    assert_eq!(error_field(&h), Some(fields::NEW));
    assert!(error(&h).unwrap().1.contains("must not be empty"));
    assert_eq!(focused_label(&h), fields::NEW);
    // Refused on the form, nothing left it: the current passphrase is not typed again.
    assert_eq!(secret_len(&h, fields::CURRENT), 4);

    h.type_text("short");
    h.press(Tab);
    h.type_text("short");
    h.press(Enter);
    assert_eq!(error_field(&h), Some(fields::NEW));
    assert!(
        error(&h).unwrap().1.contains("shorter than 12"),
        "{:?}",
        error(&h)
    );
    // A refused new passphrase is typed again, twice, from its own field.
    assert_eq!(focused_label(&h), fields::NEW);
    assert_eq!(secret_len(&h, fields::NEW), 0);
    assert_eq!(secret_len(&h, fields::REPEAT), 0);
    assert_eq!(secret_len(&h, fields::CURRENT), 4);

    h.type_text(NEW_PASSPHRASE);
    h.press(Tab);
    h.type_text("correct horse battery");
    h.press(Enter);
    assert_eq!(error_field(&h), Some(fields::REPEAT));
    assert!(error(&h).unwrap().1.contains("differ; type both again"));
    // Which of the two was mistyped is not known: both are cleared, the cursor on the first.
    assert_eq!(focused_label(&h), fields::NEW);
    assert_eq!(secret_len(&h, fields::NEW), 0);
    assert_eq!(secret_len(&h, fields::REPEAT), 0);

    // The current passphrase again is no change.
    h.press(Esc);
    h.press(Enter);
    assert_eq!(
        secret_len(&h, fields::CURRENT),
        0,
        "Esc cleared the secrets"
    );
    for text in ["demo long enough!"; 3] {
        h.type_text(text);
        h.press(Tab);
    }
    h.press(Enter);
    assert_eq!(error_field(&h), Some(fields::NEW));
    assert!(error(&h).unwrap().1.contains("is the current one"));
    assert!(h.backend.admin_tasks.is_empty());

    // Typing clears the message; Esc leaves and clears the secrets.
    h.type_text("x");
    assert_eq!(error(&h), None);
    h.press(Esc);
    assert_eq!(h.state.admin.phase, Phase::Menu);
    assert!(h.state.admin.form.fields.iter().all(
        |f| !matches!(&f.value, crate::tui::admin::form::Value::Secret(s) if s.char_len() > 0)
    ));
}

#[test]
fn a_wrong_current_passphrase_comes_back_to_its_field_and_nothing_changes() {
    let mut h = demo();
    open_tool(&mut h, Tool::Passphrase);
    h.type_text("not the passphrase");
    h.press(Tab);
    h.type_text(NEW_PASSPHRASE);
    h.press(Tab);
    h.type_text(NEW_PASSPHRASE);
    h.press(Enter);
    assert_eq!(h.backend.admin_tasks, [TaskKind::ChangePassphrase]);
    assert_eq!(h.state.admin.phase, Phase::Form);
    assert_eq!(error_field(&h), Some(fields::CURRENT));
    assert_eq!(focused_label(&h), fields::CURRENT);
    assert!(error(&h).unwrap().1.contains("wrong passphrase"));
    let dir = h.backend.demo_dir().to_owned();
    assert!(Workspace::open(&dir, &SecretString::from("demo")).is_ok());
}

#[test]
fn the_passphrase_is_resealed_on_the_worker_while_the_screen_waits() {
    let mut h = scenario("24_passphrase_resealing", demo());
    assert!(h.state.admin.is_busy());
    assert_eq!(h.state.key_context(), KeyContext::AdminBusy);
    assert!(h.render(80, 24).contains("Re-sealing"));
    // Nothing typed stays in the state once handed over.
    for label in [fields::CURRENT, fields::NEW, fields::REPEAT] {
        assert!(
            h.state.admin.form.secret(label).unwrap().is_empty(),
            "{label}"
        );
    }
    // No key moves away meanwhile, and quitting waits.
    for key in [Esc, Enter, F(2), Char('1'), Char('q')] {
        h.press(key);
    }
    h.ctrl('c');
    assert!(h.state.admin.is_busy());
    assert_eq!(h.state.screen, Screen::Admin);
    assert!(!h.quit);
    assert!(h.state.admin.notice.is_some());

    h.deliver_answer(0);
    let Phase::Done(outcome) = &h.state.admin.phase else {
        panic!("{:?}", h.state.admin.phase)
    };
    assert!(
        outcome.ok && outcome.lines[0].contains("Passphrase changed"),
        "{outcome:?}"
    );
    let dir = h.backend.demo_dir().to_owned();
    assert!(Workspace::open(&dir, &SecretString::from(NEW_PASSPHRASE)).is_ok());
    assert!(Workspace::open(&dir, &SecretString::from("demo")).is_err());
    h.press(Enter);
    assert_eq!(h.state.admin.phase, Phase::Menu);
}

#[test]
fn a_running_job_keeps_the_changing_tools_closed_but_not_the_check() {
    let mut h = demo();
    h.state.run = Some(RunningJob {
        id: "j".into(),
        name: "Running".into(),
        progress: Default::default(),
        outcome: None,
    });
    open_tool(&mut h, Tool::Retire);
    assert_eq!(h.state.admin.phase, Phase::Menu);
    assert!(
        h.state
            .admin
            .notice
            .as_deref()
            .unwrap()
            .contains("A job is running")
    );
    h.press(Home);
    for _ in 0..4 {
        h.press(Down);
    }
    h.press(Enter);
    assert_eq!(h.state.admin.phase, Phase::Form);
    assert_eq!(h.state.admin.tool, Tool::Check);
}

fn review_removal(h: &Harness) -> &crate::tui::admin::port::RemovalReview {
    match &h.state.admin.phase {
        Phase::ReviewRemoval(review) => review,
        other => panic!("{other:?}"),
    }
}

#[test]
fn retiring_reviews_confirms_removes_and_keeps_the_history() {
    let mut h = scenario("26_retire_review", demo());
    let review = review_removal(&h);
    assert_eq!(review.plan.serials.len(), 4);
    // The pilot job distributed 000500000003-04: the review says so.
    let pilot = &review.rows[0];
    assert_eq!(pilot.serial.as_str(), "000500000003");
    assert_eq!(
        pilot.last_job.as_ref().map(|(name, _)| name.as_str()),
        Some(crate::workspace::demo::PILOT_JOB)
    );
    let screen = h.render(120, 40);
    assert!(screen.contains("Pilot rollout"), "{screen}");
    assert!(screen.contains("4 token(s) will be removed"), "{screen}");

    // Back keeps the input; the review comes again.
    h.press(Esc);
    assert_eq!(h.state.admin.phase, Phase::Form);
    assert_eq!(
        h.state.admin.form.text(fields::SERIALS),
        "000500000003-000500000005 000500000299"
    );
    h.press(Enter);
    review_removal(&h);
    // Enter asks; "n" changes nothing.
    h.press(Enter);
    assert!(matches!(h.state.overlay, Some(Overlay::Confirm { .. })));
    h.press(Char('n'));
    review_removal(&h);
    assert_eq!(h.state.workspace.tokens, 300);

    h.press(Enter);
    h.press(Char('y'));
    let Phase::Done(outcome) = &h.state.admin.phase else {
        panic!("{:?}", h.state.admin.phase)
    };
    assert_eq!(outcome.lines[0], "4 token(s) removed; 296 remain.");
    assert_eq!(h.state.workspace.tokens, 296);
    assert_eq!(h.backend.tokens.len(), 296);
    // The history still tells who got the pilot tokens.
    let dir = h.backend.demo_dir().to_owned();
    let workspace = Workspace::open(&dir, &SecretString::from("demo")).unwrap();
    let history = crate::jobs::History::open(&workspace).unwrap();
    assert!(
        history
            .records()
            .iter()
            .any(|r| r.name == crate::workspace::demo::PILOT_JOB)
    );
}

#[test]
fn retire_refusals_name_the_serials_field() {
    let mut h = demo();
    open_tool(&mut h, Tool::Retire);
    h.press(Enter);
    assert_eq!(error_field(&h), Some(fields::SERIALS));
    h.type_text("0005000x");
    h.press(Enter);
    assert_eq!(error_field(&h), Some(fields::SERIALS));
    assert!(h.backend.admin_tasks.is_empty());
    h.ctrl('u');
    h.type_text("000900000001");
    h.press(Enter);
    // Checked against the inventory by the worker: back on the form, input kept.
    assert_eq!(h.state.admin.phase, Phase::Form);
    assert_eq!(error_field(&h), Some(fields::SERIALS));
    assert!(
        error(&h).unwrap().1.contains("not in the inventory"),
        "{:?}",
        error(&h)
    );
    assert_eq!(h.state.admin.form.text(fields::SERIALS), "000900000001");
}

#[test]
fn only_expired_with_no_serials_takes_every_expired_token() {
    let mut h = demo();
    let expired = h.backend.tokens.iter().filter(|t| t.expired).count();
    assert!(expired >= 3);
    open_tool(&mut h, Tool::Retire);
    h.press(Tab);
    assert_eq!(focused_label(&h), fields::EXPIRED_ONLY);
    h.press(Char(' '));
    assert!(h.state.admin.form.checked(fields::EXPIRED_ONLY));
    h.press(Enter);
    let review = review_removal(&h);
    assert_eq!(review.plan.serials.len(), expired);
    assert_eq!(review.plan.expired, expired);
}

#[test]
fn directory_assignment_shows_the_plan_and_applies_it_all_at_once() {
    let mut h = scenario("29_assign_directory_review", demo());
    let Phase::ReviewAssignment(review) = &h.state.admin.phase else {
        panic!("{:?}", h.state.admin.phase)
    };
    let given: Vec<&str> = review
        .plan
        .assign
        .iter()
        .map(|a| a.login.as_str())
        .collect();
    assert_eq!(given, ["jgarcia", "zoe.ng"]);
    assert_eq!(review.plan.already_holding.len(), 1);
    assert_eq!(review.plan.skipped.len(), 1, "the second ZOE.NG");
    let screen = h.render(120, 40);
    for text in [
        "José García",
        "already hold a token",
        "could not be given a token",
    ] {
        assert!(screen.contains(text), "{text}\n{screen}");
    }
    assert!(!screen.contains("bind secret"));
    let before = h.state.workspace.assigned;
    h.press(Enter);
    h.press(Char('y'));
    let Phase::Done(outcome) = &h.state.admin.phase else {
        panic!("{:?}", h.state.admin.phase)
    };
    assert_eq!(outcome.lines[0], "2 token(s) assigned.");
    assert_eq!(h.state.workspace.assigned, before + 2);
    assert!(
        h.backend
            .tokens
            .iter()
            .any(|t| t.login.as_deref() == Some("jgarcia") && t.full_name == "José García")
    );
}

#[test]
fn directory_form_refusals_name_their_field_and_back_keeps_the_input() {
    let mut h = demo();
    open_tool(&mut h, Tool::AssignDirectory);
    // Not configured: the menu says so.
    assert_eq!(h.state.admin.phase, Phase::Menu);
    assert!(
        h.state
            .admin
            .notice
            .as_deref()
            .unwrap()
            .contains("[directory]")
    );

    with_directory(&mut h);
    h.press(F(5));
    open_tool(&mut h, Tool::AssignDirectory);
    assert_eq!(h.state.admin.phase, Phase::Form);
    h.type_text("(uid=unclosed");
    h.press(Enter);
    assert_eq!(error_field(&h), Some(fields::FILTER));
    h.ctrl('u');
    h.press(Tab);
    h.type_text("96");
    h.press(Enter);
    assert_eq!(error_field(&h), Some(fields::KEY_SIZE));
    h.ctrl('u');
    h.press(Enter);
    assert_eq!(
        error_field(&h),
        Some(fields::BIND_PASSWORD),
        "an empty password"
    );
    h.type_text("bind secret");
    h.press(Enter);
    // Both key sizes are free in the demo: the worker asks which.
    assert_eq!(error_field(&h), Some(fields::KEY_SIZE), "{:?}", error(&h));
    assert!(error(&h).unwrap().1.contains("type 128 or 64"));
    h.type_text("128");
    // The password left the form with the first try: typed again.
    h.press(Tab);
    h.type_text("bind secret");
    h.press(Enter);
    assert!(matches!(h.state.admin.phase, Phase::ReviewAssignment(_)));
    h.press(Esc);
    assert_eq!(h.state.admin.phase, Phase::Form);
    assert_eq!(h.state.admin.form.text(fields::KEY_SIZE), "128");
    assert!(
        h.state
            .admin
            .form
            .secret(fields::BIND_PASSWORD)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_list_of_logins_is_assigned_like_the_cli_auto_option() {
    let temp = tempfile::tempdir().unwrap();
    let list = temp.path().join("users.csv");
    std::fs::write(&list, "user_login\nnew.hire\n").unwrap();
    let mut h = demo();
    open_tool(&mut h, Tool::AssignList);
    h.type_text(list.to_str().unwrap());
    h.press(Tab);
    h.type_text("64");
    h.press(Enter);
    let Phase::ReviewAssignment(review) = &h.state.admin.phase else {
        panic!("{:?} {:?}", h.state.admin.phase, error(&h))
    };
    assert_eq!(review.plan.assign.len(), 1);
    assert_eq!(review.plan.key_size, 64);
    h.press(Enter);
    h.press(Char('y'));
    assert!(matches!(&h.state.admin.phase, Phase::Done(o) if o.ok));

    // A missing file is named on its field.
    open_tool(&mut h, Tool::AssignList);
    h.ctrl('u');
    h.type_text("/nonexistent/users.csv");
    h.press(Enter);
    assert_eq!(error_field(&h), Some(fields::USER_LIST));
}

#[test]
fn the_check_is_read_only_and_lists_its_findings() {
    let mut h = demo();
    open_tool(&mut h, Tool::Check);
    h.type_text("wrong");
    h.press(Enter);
    assert_eq!(error_field(&h), Some(fields::PASSPHRASE));
    let before =
        std::fs::read(h.backend.demo_dir().join(crate::workspace::INVENTORY_FILE)).unwrap();
    let mut h = scenario("30_check_done", h);
    let Phase::Done(outcome) = &h.state.admin.phase else {
        panic!("{:?}", h.state.admin.phase)
    };
    assert!(
        outcome.lines[0].contains("nothing was changed"),
        "{outcome:?}"
    );
    let after = std::fs::read(h.backend.demo_dir().join(crate::workspace::INVENTORY_FILE)).unwrap();
    assert_eq!(before, after);
    h.press(Esc);
    assert_eq!(h.state.admin.phase, Phase::Menu);
}

#[test]
fn secrets_are_masked_and_focus_shows_without_colour() {
    let mut h = Harness::with_backend(FakeBackend::demo(), Theme::plain());
    open_tool(&mut h, Tool::Passphrase);
    h.type_text("demo");
    h.press(Tab);
    h.type_text("hunter2-hunter2");
    let screen = h.render(80, 24);
    assert!(
        !screen.contains("hunter2") && !screen.contains("demo\n"),
        "{screen}"
    );
    assert!(screen.contains("> New passphrase"), "{screen}");
    assert!(screen.contains("••••"), "{screen}");
    let buffer = h.render_buffer(80, 24);
    let reversed = buffer
        .content()
        .iter()
        .filter(|cell| cell.modifier.contains(ratatui::style::Modifier::REVERSED))
        .count();
    assert!(reversed > 10, "the focused field is drawn reversed");
    let _ = KeyCode::Null;
}

#[test]
fn leaving_a_form_keeps_its_plain_fields_and_a_stale_answer_is_dropped() {
    let mut h = demo();
    open_tool(&mut h, Tool::Retire);
    h.type_text("000500000010");
    h.press(Esc);
    assert_eq!(h.state.admin.phase, Phase::Menu);
    h.press(Enter);
    assert_eq!(h.state.admin.phase, Phase::Form);
    assert_eq!(h.state.admin.form.text(fields::SERIALS), "000500000010");
    // An answer nobody waits for any more changes nothing.
    let before = h.state.admin.phase.clone();
    h.send(crate::tui::msg::Msg::Admin(
        crate::tui::admin::port::AdminAnswer::Removed(Ok(3)),
    ));
    assert_eq!(h.state.admin.phase, before);
    assert_eq!(h.state.workspace.tokens, 300);
}

#[test]
fn a_long_passphrase_is_taken_whole() {
    let mut h = demo();
    open_tool(&mut h, Tool::Check);
    let long = "word ".repeat(30);
    h.type_text(&long);
    assert_eq!(
        h.state
            .admin
            .form
            .secret(fields::PASSPHRASE)
            .unwrap()
            .char_len(),
        long.chars().count()
    );
    // Drawn masked within the screen's width.
    let screen = h.render(80, 24);
    assert!(screen.lines().all(|line| line.chars().count() <= 80));
    assert!(!screen.contains("word"));
}

#[test]
fn a_long_review_scrolls_by_pages_and_says_when_more_follows() {
    let mut h = demo();
    open_tool(&mut h, Tool::Retire);
    h.type_text("000500000001-000500000300");
    h.press(Enter);
    assert_eq!(review_removal(&h).plan.serials.len(), 300);
    let top = h.render(80, 24);
    assert!(
        top.contains("000500000001") && top.contains("more below"),
        "{top}"
    );
    h.press(PageDown);
    let paged = h.render(80, 24);
    assert!(
        !paged.contains("000500000001") && paged.contains("more below"),
        "{paged}"
    );
    h.press(End);
    let bottom = h.render(80, 24);
    assert!(
        bottom.contains("000500000300") && !bottom.contains("more below"),
        "{bottom}"
    );
    assert!(
        bottom.contains("The job history keeps its records"),
        "{bottom}"
    );
    // Up after End moves at once (the offset stays within the text).
    h.press(Up);
    assert!(h.render(80, 24).contains("more below"));
    h.press(Home);
    assert_eq!(h.render(80, 24), top);
}

#[test]
fn the_check_lists_every_finding_errors_first_and_scrolls_through_them() {
    let h = demo();
    let dir = h.backend.demo_dir().to_owned();
    let mut h = scenario("31_check_findings", h);
    let Phase::Done(outcome) = &h.state.admin.phase else {
        panic!("{:?}", h.state.admin.phase)
    };
    assert!(!outcome.ok);
    assert!(
        outcome.lines[0].starts_with("1 error(s), 9 warning(s) (300 token(s))"),
        "{outcome:?}"
    );
    let findings = &outcome.lines[1..];
    assert_eq!(findings.len(), 10, "{findings:?}");
    assert!(
        findings[0].starts_with("error: jobs/history.jsonl: line "),
        "{findings:?}"
    );
    assert!(findings[1..].iter().all(|f| f.starts_with("warning: ")));
    for text in [
        "users-old.csv: not a tokendist file",
        "inventory.vault.bak: not a tokendist file",
        "pilot.zip: not a tokendist file",
        "notes.txt: mode 0644",
        "jobs/history.jsonl: mode 0644",
        "jobs/staged/20261001-090000-0a9f: staged files of a job the history does not hold",
    ] {
        assert!(
            findings.iter().any(|f| f.contains(text)),
            "{text}: {findings:?}"
        );
    }
    // Nothing was repaired or moved.
    assert!(dir.join("notes.txt").exists());

    // More than a screen at 80x24: the last line says so, the keys scroll to the end.
    let top = h.render(80, 24);
    assert!(
        top.contains("✗ 1 error(s)") && top.contains("more below"),
        "{top}"
    );
    assert_eq!(h.state.key_context(), KeyContext::AdminDone);
    h.press(End);
    let bottom = h.render(80, 24);
    assert!(!bottom.contains("more below"), "{bottom}");
    assert!(
        bottom.contains("Enter or Esc: back to the tools"),
        "{bottom}"
    );
    assert!(!bottom.contains("✗ 1 error(s)"), "{bottom}");
    h.press(Char('k'));
    assert!(h.render(80, 24).contains("more below"));
    h.press(Char('g'));
    assert_eq!(h.render(80, 24), top);
    // At 120x40 everything fits: no scrolling needed, none offered.
    h.resize(120, 40);
    h.press(PageDown);
    assert_eq!(h.state.admin.scroll, 0);
    assert!(!h.render(120, 40).contains("more below"));
    h.press(Enter);
    assert_eq!(h.state.admin.phase, Phase::Menu);
}

/// The serials a screen shows, in order.
fn serials_on(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|word| word.len() == 12 && word.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
        .collect()
}

#[test]
fn paging_through_a_review_shows_every_line_once_in_order() {
    let mut h = demo();
    open_tool(&mut h, Tool::Retire);
    h.type_text("000500000001-000500000300");
    h.press(Enter);
    let mut seen = Vec::new();
    for _ in 0..100 {
        let screen = h.render(80, 24);
        for serial in serials_on(&screen) {
            // The last page may overlap the one before (it stays full): lines seen are not
            // counted again; a line no page showed is missing from `seen`.
            if seen.last().is_none_or(|last| serial > *last) {
                seen.push(serial);
            }
        }
        if !screen.contains("more below") {
            break;
        }
        h.press(PageDown);
    }
    let expected: Vec<String> = (1..=300)
        .map(|n| format!("{:012}", 500_000_000 + n))
        .collect();
    assert_eq!(seen, expected);
    // PgUp comes back the same way to the top.
    let bottom = h.state.admin.scroll;
    assert!(bottom > 0);
    for _ in 0..100 {
        h.press(PageUp);
    }
    assert_eq!(h.state.admin.scroll, 0);
}

fn reviewed_count(h: &Harness) -> usize {
    match &h.state.wizard.review {
        Some(Ok(summary)) => summary.selected_count,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_wizard_reviews_again_after_tokens_are_retired_or_assigned_in_the_tools() {
    let mut h = demo();
    crate::tui::tests::walk_to(&mut h, crate::tui::wizard::Step::Review);
    let before = reviewed_count(&h);
    assert!(before > 2);
    // Two of the tokens the review counts are retired meanwhile.
    open_tool(&mut h, Tool::Retire);
    h.type_text("000500000001-000500000002");
    h.press(Enter);
    h.press(Enter);
    h.press(Char('y'));
    assert!(matches!(&h.state.admin.phase, Phase::Done(o) if o.ok));
    h.press(F(2));
    assert_eq!(h.state.wizard.step, crate::tui::wizard::Step::Review);
    assert_eq!(reviewed_count(&h), before - 2);
    let screen = h.render(120, 40);
    assert!(screen.contains(&format!("{}", before - 2)), "{screen}");

    // On the selection step, the live count follows too.
    h.press(Esc);
    assert_eq!(h.state.wizard.step, crate::tui::wizard::Step::Selection);
    let counted = |h: &Harness| h.state.wizard.preview.ready().map(|p| p.selected_count);
    assert_eq!(counted(&h), Some(before - 2));
    let list = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(list.path(), "user_login\nnew.hire\n").unwrap();
    open_tool(&mut h, Tool::AssignList);
    h.type_text(list.path().to_str().unwrap());
    h.press(Tab);
    h.type_text("128");
    h.press(Enter);
    h.press(Enter);
    h.press(Char('y'));
    assert!(matches!(&h.state.admin.phase, Phase::Done(o) if o.ok));
    h.press(F(2));
    assert_eq!(counted(&h), Some(before - 1));
}
