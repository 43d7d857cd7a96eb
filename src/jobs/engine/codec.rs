//! Building one token's file and proving it decodes back: the per-token work of a job.
//!
//! The engine calls it through [`FileCodec`] so tests can stand in a slow or failing codec;
//! production uses [`SdtidCodec`], our own writer checked by our own reader.

use crate::jobs::spec::Protection;
use crate::sdtid::{
    self, BatchHeader, CheckScratch, SdtidToken, TokenAttributes, UserInfo, WriteScratch,
};
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

    /// [`FileCodec::write_verified`] into a worker's reusable buffers: the file is left in
    /// `scratch.file`. Codecs that can avoid allocating per file override this.
    fn write_verified_into(
        &self,
        scratch: &mut CodecScratch,
        header: &BatchHeader,
        token: &SdtidToken,
        password: Option<&SecretString>,
    ) -> Result<(), String> {
        let file = zeroize::Zeroizing::new(self.write_verified(header, token, password)?);
        scratch.file.clear();
        scratch.file.extend_from_slice(&file);
        Ok(())
    }
}

/// One worker's buffers, kept from file to file (and wiped when the worker ends).
#[derive(Default)]
pub struct CodecScratch {
    /// The last file written.
    pub file: zeroize::Zeroizing<Vec<u8>>,
    write: WriteScratch,
    check: CheckScratch,
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

    /// `sdtid::write_with`, then the independent one-pass check [`sdtid::check_written`]
    /// (both MACs with keys derived again from the password, the seed decrypted, every field
    /// compared), without building a tree or allocating per file.
    fn write_verified_into(
        &self,
        scratch: &mut CodecScratch,
        header: &BatchHeader,
        token: &SdtidToken,
        password: Option<&SecretString>,
    ) -> Result<(), String> {
        sdtid::write_with(
            &mut scratch.write,
            header,
            std::slice::from_ref(token),
            password,
        )
        .map_err(|error| format!("cannot write the file: {error}"))?;
        let text = scratch.write.text().as_bytes();
        sdtid::check_written(&mut scratch.check, text, header, token, password)
            .map_err(|error| format!("the written file does not decode back: {error}"))?;
        scratch.write.take_text_into(&mut scratch.file);
        Ok(())
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
                login: user.map(|user| user.login().to_owned()).unwrap_or_default(),
                first_name: user
                    .map(|user| ascii_name(user.first_name()))
                    .unwrap_or_default(),
                last_name: user
                    .map(|user| ascii_name(user.last_name()))
                    .unwrap_or_default(),
            },
            device_serial_number: self.device_serial_number.clone(),
            nickname: self.nickname.clone(),
        }
    }

    /// [`FileTemplate::token`] into a token from an earlier call, reusing its strings.
    pub fn fill(&self, token: &InventoryToken, out: &mut SdtidToken) {
        out.serial.clone_from(&token.serial);
        out.seed.clone_from(&token.seed);
        out.attributes = TokenAttributes {
            digits: self.profile.digits,
            interval: self.profile.interval,
            pin_mode: self.profile.pin_type.pin_mode(),
            key_size: self.profile.key_bits,
            copy_protection: self.profile.copy_protection,
            birth: token.birth,
            death: token.expires,
        };
        let user = &mut out.user;
        match token.user.as_ref() {
            Some(assigned) => {
                user.login.clear();
                user.login.push_str(assigned.login());
                fill_ascii_name(&mut user.first_name, assigned.first_name());
                fill_ascii_name(&mut user.last_name, assigned.last_name());
            }
            None => {
                user.login.clear();
                user.first_name.clear();
                user.last_name.clear();
            }
        }
        out.device_serial_number
            .clone_from(&self.device_serial_number);
        out.nickname.clone_from(&self.nickname);
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

/// [`ascii_name`] into an existing string (no allocation for names already in ASCII).
fn fill_ascii_name(out: &mut String, name: &str) {
    if crate::jobs::ascii_fold::needs_folding(name) {
        *out = ascii_name(name);
    } else {
        out.clear();
        out.push_str(name);
    }
}
