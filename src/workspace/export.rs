//! Exporting the inventory as one password-protected multi-token record file that import
//! reads back: a backup, or a way to move tokens to another console.

use super::WorkspaceError;
use super::inventory::Inventory;
use super::model::InventoryToken;
use crate::jobs::SerialRange;
use crate::sdtid::{self, BatchHeader, SdtidToken, TokenAttributes, UserInfo};
use crate::secret::SecretString;

/// Writes the selected tokens (every token when `ranges` is empty) as one password-protected
/// token record file. Returns the document and the number of tokens in it.
pub fn export_record_file(
    inventory: &Inventory,
    header: &BatchHeader,
    ranges: &[SerialRange],
    password: &SecretString,
) -> Result<(String, usize), WorkspaceError> {
    if password.is_empty() {
        return Err(WorkspaceError::Invalid(
            "an exported token file needs a password".into(),
        ));
    }
    let tokens: Vec<SdtidToken> = inventory.select(ranges).map(sdtid_token).collect();
    if tokens.is_empty() {
        return Err(WorkspaceError::Invalid(
            "no token matches the selection; nothing to export".into(),
        ));
    }
    let document = sdtid::write(header, &tokens, Some(password))
        .map_err(|e| WorkspaceError::Invalid(format!("cannot write the token file: {e}")))?;
    Ok((document, tokens.len()))
}

fn sdtid_token(token: &InventoryToken) -> SdtidToken {
    let user = token
        .user
        .as_ref()
        .map_or_else(UserInfo::default, |user| UserInfo {
            login: user.login.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
        });
    SdtidToken {
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
    }
}
