//! Exporting the inventory as one password-protected multi-token record file that import
//! reads back: a backup, or a way to move tokens to another console.

use super::WorkspaceError;
use super::inventory::Inventory;
use super::model::InventoryToken;
use crate::jobs::SerialRange;
use crate::jobs::ascii_fold::{fold_name, needs_folding};
use crate::sdtid::{self, BatchHeader, SdtidToken, TokenAttributes, UserInfo};
use crate::secret::SecretString;
use crate::token::Serial;

/// An exported token record file and what had to change to write it.
#[derive(Debug)]
pub struct ExportedFile {
    /// The document (seeds encrypted under the export password).
    pub document: String,
    /// Tokens in it.
    pub count: usize,
    /// Tokens whose user login or names are not printable ASCII in the inventory (import
    /// accepts them, token files cannot carry them): the file holds the ASCII spelling that
    /// job files use (García → Garcia), or nothing where a character has none (王).
    pub respelled: Vec<Serial>,
}

/// Writes the selected tokens (every token when `ranges` is empty) as one password-protected
/// token record file.
///
/// The inventory always exports: a user field that token files cannot carry is written in its
/// ASCII spelling and the token is listed in [`ExportedFile::respelled`] for the operator.
pub fn export_record_file(
    inventory: &Inventory,
    header: &BatchHeader,
    ranges: &[SerialRange],
    password: &SecretString,
) -> Result<ExportedFile, WorkspaceError> {
    if password.is_empty() {
        return Err(WorkspaceError::Invalid(
            "an exported token file needs a password".into(),
        ));
    }
    let mut respelled = Vec::new();
    let tokens: Vec<SdtidToken> = inventory
        .select(ranges)
        .map(|token| {
            let (sdtid, changed) = sdtid_token(token);
            if changed {
                respelled.push(token.serial.clone());
            }
            sdtid
        })
        .collect();
    if tokens.is_empty() {
        return Err(WorkspaceError::Invalid(
            "no token matches the selection; nothing to export".into(),
        ));
    }
    let document = sdtid::write(header, &tokens, Some(password))
        .map_err(|e| WorkspaceError::Invalid(format!("cannot write the token file: {e}")))?;
    Ok(ExportedFile {
        document,
        count: tokens.len(),
        respelled,
    })
}

/// The value as a token file can carry it: printable ASCII as it is, otherwise the ASCII
/// spelling (accents dropped) or, where a character has none, nothing. True when changed.
fn file_spelling(value: &str) -> (String, bool) {
    if !needs_folding(value) {
        return (value.to_owned(), false);
    }
    (fold_name(value).unwrap_or_default(), true)
}

fn sdtid_token(token: &InventoryToken) -> (SdtidToken, bool) {
    let mut changed = false;
    let mut spell = |value: &str| {
        let (text, respelled) = file_spelling(value);
        changed |= respelled;
        text
    };
    let user = token
        .user
        .as_ref()
        .map_or_else(UserInfo::default, |user| UserInfo {
            login: spell(user.login()),
            first_name: spell(user.first_name()),
            last_name: spell(user.last_name()),
        });
    let token = SdtidToken {
        serial: token.serial.clone(),
        seed: token.seed.clone(),
        attributes: TokenAttributes {
            digits: token.digits,
            interval: token.interval,
            pin_mode: token.pin_mode,
            key_size: token.key_size,
            copy_protection: true,
            birth: token.birth,
            death: token.expires,
        },
        user,
        device_serial_number: String::new(),
        nickname: String::new(),
    };
    (token, changed)
}
