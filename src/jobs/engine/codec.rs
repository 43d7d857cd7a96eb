//! Building one token's file and proving it decodes back: the per-token work of a job.
//!
//! The engine calls it through [`FileCodec`] so tests can stand in a slow or failing codec;
//! production uses [`SdtidCodec`], our own writer checked by our own reader.

use crate::jobs::spec::Protection;
use crate::sdtid::{self, BatchHeader, SdtidToken, TokenAttributes, UserInfo};
use crate::secret::SecretString;
use crate::workspace::{InventoryToken, Profile};

/// Writes one token's file and checks it before the job counts it.
pub trait FileCodec: Send + Sync {
    /// Returns the file's bytes, or why it could not be written or did not decode back
    /// (never a seed or password in the message).
    fn write_verified(
        &self,
        header: &BatchHeader,
        token: &SdtidToken,
        password: Option<&SecretString>,
    ) -> Result<Vec<u8>, String>;
}

/// Our codec: `sdtid::write`, then `sdtid::parse(..).decrypt(..)` with the same password,
/// which checks both MACs, and a comparison of what came back with what went in.
#[derive(Debug, Clone, Copy, Default)]
pub struct SdtidCodec;

impl FileCodec for SdtidCodec {
    fn write_verified(
        &self,
        header: &BatchHeader,
        token: &SdtidToken,
        password: Option<&SecretString>,
    ) -> Result<Vec<u8>, String> {
        let text = sdtid::write(header, std::slice::from_ref(token), password)
            .map_err(|error| format!("cannot write the file: {error}"))?;
        let decrypted = sdtid::parse(text.as_bytes())
            .and_then(|batch| batch.decrypt(password))
            .map_err(|error| format!("the written file does not decode back: {error}"))?;
        let [back] = decrypted.tokens.as_slice() else {
            return Err(format!(
                "the written file decodes to {} tokens instead of one",
                decrypted.tokens.len()
            ));
        };
        let protected = password.is_some_and(|password| !password.is_empty());
        if decrypted.password_protected != protected {
            return Err("the written file's password protection is not what was asked".into());
        }
        if back.serial != token.serial || back.seed != token.seed {
            return Err("the written file decodes to a different serial or seed".into());
        }
        if back.attributes != token.attributes {
            return Err("the written file decodes to different token attributes".into());
        }
        Ok(text.into_bytes())
    }
}

/// What every file of a job shares.
#[derive(Debug, Clone)]
pub struct FileTemplate {
    pub profile: Profile,
    pub device_serial_number: String,
    pub nickname: String,
    pub protection: Protection,
}

impl FileTemplate {
    /// The token as the file describes it: the profile's attributes with the token's own
    /// serial, seed and dates, its user, the binding and the nickname.
    pub fn token(&self, token: &InventoryToken) -> SdtidToken {
        let user = token.user.as_ref();
        SdtidToken {
            serial: token.serial.clone(),
            seed: token.seed.clone(),
            attributes: TokenAttributes {
                digits: self.profile.digits,
                interval: self.profile.interval,
                pin_mode: self.profile.pin_type.pin_mode(),
                key_size: self.profile.key_bits,
                copy_protection: self.profile.copy_protection,
                birth: token.birth,
                death: token.expires,
            },
            user: UserInfo {
                login: user.map(|user| user.login.clone()).unwrap_or_default(),
                first_name: user
                    .map(|user| ascii_name(&user.first_name))
                    .unwrap_or_default(),
                last_name: user
                    .map(|user| ascii_name(&user.last_name))
                    .unwrap_or_default(),
            },
            device_serial_number: self.device_serial_number.clone(),
            nickname: self.nickname.clone(),
        }
    }

    /// The file's password: none, the job password, the login, or login then password.
    pub fn password(
        &self,
        login: &str,
        job_password: Option<&SecretString>,
    ) -> Option<SecretString> {
        let job = || job_password.map(SecretString::expose).unwrap_or("");
        match self.protection {
            Protection::None => None,
            Protection::Password => Some(SecretString::from(job())),
            Protection::UserId => Some(SecretString::from(login)),
            Protection::UserIdPassword => {
                let mut text = String::with_capacity(login.len() + job().len());
                text.push_str(login);
                text.push_str(job());
                Some(SecretString::new(text))
            }
        }
    }
}

/// The name as the file carries it: accents dropped (selection has already left out names
/// that cannot be spelled in ASCII; should one slip through, the writer refuses it).
fn ascii_name(name: &str) -> String {
    crate::jobs::ascii_fold::fold_name(name).unwrap_or_else(|| name.to_owned())
}
