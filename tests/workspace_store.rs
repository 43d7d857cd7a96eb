//! The workspace store through the library: passphrase, tampering, interrupted updates, the
//! lock, and no seed on disk in any form.

use base64::Engine;
use std::path::Path;
use time::macros::date;
use tokendist::secret::{SecretString, Seed};
use tokendist::token::{Digits, Interval, KeySize, PinMode, Serial};
use tokendist::workspace::{
    AssignedUser, FailPoint, INVENTORY_FILE, InventoryToken, KdfParams, Workspace, WorkspaceError,
    inject_failure,
};

fn passphrase() -> SecretString {
    SecretString::from("correct horse battery staple")
}

fn token(serial: u64, seed: [u8; 16]) -> InventoryToken {
    InventoryToken {
        serial: Serial::from_value(serial).unwrap(),
        seed: Seed::new(seed),
        key_size: KeySize::Bits128,
        digits: Digits::EIGHT,
        interval: Interval::Seconds60,
        pin_mode: PinMode::new(3).unwrap(),
        birth: date!(2026 - 01 - 01),
        expires: date!(2031 - 12 - 31),
        user: Some(AssignedUser::new(
            &format!("user{serial}"),
            "Ada",
            "Lovelace",
        )),
        distributions: Default::default(),
    }
}

/// A workspace holding tokens with random seeds; returns the seeds.
fn workspace_with_tokens(dir: &Path, count: u64) -> (Workspace, Vec<[u8; 16]>) {
    let mut workspace =
        Workspace::init_with_kdf(dir, &passphrase(), KdfParams::INSECURE_FOR_TESTS).unwrap();
    let seeds: Vec<[u8; 16]> = (0..count).map(|_| *Seed::random().expose()).collect();
    let tokens: Vec<InventoryToken> = seeds
        .iter()
        .enumerate()
        .map(|(i, seed)| token(500_000_001 + i as u64, *seed))
        .collect();
    workspace
        .update_inventory(|inventory| {
            for token in tokens {
                inventory.insert(token);
            }
            Ok(())
        })
        .unwrap();
    (workspace, seeds)
}

#[test]
fn reopening_gives_back_exactly_what_was_saved() {
    let dir = tempfile::tempdir().unwrap();
    let (workspace, seeds) = workspace_with_tokens(dir.path(), 25);
    let saved: Vec<InventoryToken> = workspace.inventory().iter().cloned().collect();
    drop(workspace);
    let reopened = Workspace::open(dir.path(), &passphrase()).unwrap();
    let loaded: Vec<InventoryToken> = reopened.inventory().iter().cloned().collect();
    assert_eq!(loaded, saved);
    assert_eq!(loaded[3].seed.expose(), &seeds[3]);
}

#[test]
fn a_wrong_passphrase_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    drop(workspace_with_tokens(dir.path(), 1).0);
    let error = Workspace::open(
        dir.path(),
        &SecretString::from("Correct horse battery staple"),
    )
    .unwrap_err();
    assert!(
        matches!(error, WorkspaceError::WrongPassphrase { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("wrong passphrase"), "{error}");
}

#[test]
fn a_tampered_or_truncated_inventory_is_refused_never_read_as_garbage() {
    let dir = tempfile::tempdir().unwrap();
    drop(workspace_with_tokens(dir.path(), 10).0);
    let path = dir.path().join(INVENTORY_FILE);
    let original = std::fs::read(&path).unwrap();

    let mut tampered = original.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 0x04;
    std::fs::write(&path, &tampered).unwrap();
    let error = Workspace::open(dir.path(), &passphrase()).unwrap_err();
    assert!(matches!(error, WorkspaceError::Damaged { .. }), "{error}");
    assert!(
        error.to_string().contains("modified or corrupted"),
        "{error}"
    );

    std::fs::write(&path, &original[..original.len() - 100]).unwrap();
    let error = Workspace::open(dir.path(), &passphrase()).unwrap_err();
    assert!(error.to_string().contains("truncated"), "{error}");

    std::fs::write(&path, b"").unwrap();
    assert!(matches!(
        Workspace::open(dir.path(), &passphrase()),
        Err(WorkspaceError::Damaged { .. })
    ));

    std::fs::write(&path, &original).unwrap();
    assert_eq!(
        Workspace::open(dir.path(), &passphrase())
            .unwrap()
            .inventory()
            .len(),
        10
    );
}

#[test]
fn an_interrupted_update_leaves_the_previous_inventory_readable() {
    let dir = tempfile::tempdir().unwrap();
    let (mut workspace, _) = workspace_with_tokens(dir.path(), 5);
    let before: Vec<InventoryToken> = workspace.inventory().iter().cloned().collect();
    for point in [FailPoint::MidWrite, FailPoint::BeforeRename] {
        inject_failure(point);
        let error = workspace
            .update_inventory(|inventory| {
                inventory.insert(token(999_999_999, [7; 16]));
                Ok(())
            })
            .unwrap_err();
        assert!(error.to_string().contains("injected failure"), "{error}");
        // Unchanged in memory …
        assert_eq!(
            workspace.inventory().iter().cloned().collect::<Vec<_>>(),
            before
        );
    }
    drop(workspace);
    // … and on disk, with no temporary file left behind.
    let reopened = Workspace::open(dir.path(), &passphrase()).unwrap();
    assert_eq!(
        reopened.inventory().iter().cloned().collect::<Vec<_>>(),
        before
    );
    let stray: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn an_error_from_the_change_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut workspace, _) = workspace_with_tokens(dir.path(), 3);
    let file_before = std::fs::read(dir.path().join(INVENTORY_FILE)).unwrap();
    let result: Result<(), _> = workspace.update_inventory(|inventory| {
        inventory.remove(&Serial::from_value(500_000_001).unwrap());
        Err(WorkspaceError::Invalid("no".into()))
    });
    assert!(result.is_err());
    assert_eq!(workspace.inventory().len(), 3);
    assert_eq!(
        std::fs::read(dir.path().join(INVENTORY_FILE)).unwrap(),
        file_before
    );
}

#[test]
fn a_second_open_in_the_same_process_is_refused_with_our_pid() {
    let dir = tempfile::tempdir().unwrap();
    let (workspace, _) = workspace_with_tokens(dir.path(), 1);
    assert_eq!(Workspace::lock_holder(dir.path()), Some(std::process::id()));
    let error = Workspace::open(dir.path(), &passphrase()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "workspace {} is in use by process {}",
            dir.path().display(),
            std::process::id()
        )
    );
    drop(workspace);
    assert_eq!(Workspace::lock_holder(dir.path()), None);
    Workspace::open(dir.path(), &passphrase()).unwrap();
}

#[test]
fn init_refuses_an_existing_workspace_and_an_empty_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let error = Workspace::init_with_kdf(
        dir.path(),
        &SecretString::from(""),
        KdfParams::INSECURE_FOR_TESTS,
    )
    .unwrap_err();
    assert!(error.to_string().contains("must not be empty"), "{error}");
    drop(
        Workspace::init_with_kdf(dir.path(), &passphrase(), KdfParams::INSECURE_FOR_TESTS).unwrap(),
    );
    let error = Workspace::init_with_kdf(dir.path(), &passphrase(), KdfParams::INSECURE_FOR_TESTS)
        .unwrap_err();
    assert!(
        matches!(error, WorkspaceError::AlreadyInitialised { .. }),
        "{error}"
    );
}

#[test]
fn init_keeps_out_of_directories_holding_other_files_but_keeps_a_prepared_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let error = Workspace::init_with_kdf(dir.path(), &passphrase(), KdfParams::INSECURE_FOR_TESTS)
        .unwrap_err();
    assert!(error.to_string().contains("is not empty"), "{error}");
    assert!(!dir.path().join("tokendist.toml").exists());

    let prepared = tempfile::tempdir().unwrap();
    let config =
        tokendist::workspace::DEFAULT_CONFIG.replace("origin = \"N/A\"", "origin = \"ACME AM\"");
    std::fs::write(prepared.path().join("tokendist.toml"), &config).unwrap();
    let workspace = Workspace::init_with_kdf(
        prepared.path(),
        &passphrase(),
        KdfParams::INSECURE_FOR_TESTS,
    )
    .unwrap();
    assert_eq!(workspace.config().header.origin, "ACME AM");
}

#[test]
fn missing_workspaces_say_how_to_create_one() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let error = Workspace::open(&missing, &passphrase()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "no workspace at {0}: create one with `tokendist init --workspace {0}`",
            missing.display()
        )
    );
}

#[test]
fn vault_blobs_for_other_layers_are_bound_to_their_context() {
    let dir = tempfile::tempdir().unwrap();
    let (workspace, _) = workspace_with_tokens(dir.path(), 1);
    let sealed = workspace.vault().seal(b"staged output", b"job 1");
    assert_eq!(
        workspace
            .vault()
            .open(&sealed, b"job 1")
            .unwrap()
            .as_slice(),
        b"staged output"
    );
    assert!(workspace.vault().open(&sealed, b"job 2").is_err());
}

/// Every way a seed could be written: raw, hex (both cases), base64 (standard and URL-safe).
pub fn seed_encodings(seed: &[u8; 16]) -> Vec<Vec<u8>> {
    let hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        seed.to_vec(),
        hex.clone().into_bytes(),
        hex.to_uppercase().into_bytes(),
        base64::engine::general_purpose::STANDARD
            .encode(seed)
            .trim_end_matches('=')
            .as_bytes()
            .to_vec(),
        base64::engine::general_purpose::URL_SAFE
            .encode(seed)
            .trim_end_matches('=')
            .as_bytes()
            .to_vec(),
    ]
}

fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn no_seed_appears_in_any_workspace_file() {
    let dir = tempfile::tempdir().unwrap();
    let (mut workspace, seeds) = workspace_with_tokens(dir.path(), 40);
    workspace
        .update_inventory(|inventory| {
            inventory.remove(&Serial::from_value(500_000_002).unwrap());
            Ok(())
        })
        .unwrap();
    drop(workspace);
    let mut files = Vec::new();
    all_files(dir.path(), &mut files);
    assert!(files.len() >= 3, "{files:?}");
    for file in files {
        let content = std::fs::read(&file).unwrap();
        for seed in &seeds {
            for needle in seed_encodings(seed) {
                assert!(
                    !content
                        .windows(needle.len())
                        .any(|w| w == needle.as_slice()),
                    "a seed appears in {}",
                    file.display()
                );
            }
        }
    }
}

#[cfg(unix)]
#[test]
fn workspace_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    drop(workspace_with_tokens(&root, 1).0);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&root), 0o700);
    assert_eq!(mode(&root.join("jobs")), 0o700);
    for name in ["tokendist.toml", INVENTORY_FILE, "lock"] {
        assert_eq!(mode(&root.join(name)), 0o600, "{name}");
    }
}
