//! Fixtures shared by the jobs tests: profiles, tokens, a plain-directory job store and a
//! stand-in codec, so the job layer is tested without a workspace or the real codec.
#![allow(dead_code)]

pub mod workspace;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;
use tokendist::jobs::{
    Binding, FileCodec, JobDistribution, JobSpec, JobStore, Protection, SelectionCriteria,
};
use tokendist::sdtid::{BatchHeader, SdtidToken};
use tokendist::secret::{SecretString, Seed};
use tokendist::token::{Digits, Interval, KeySize, PinMode, Serial};
use tokendist::workspace::{
    AssignedUser, Config, Delivery, Distribution, InventoryToken, PinType, Profile,
};
use zeroize::Zeroizing;

pub const ANDROID_CLASS: &str = "a01c4380-fc01-4df0-b113-7fb98ec74694";

pub fn profile(name: &str, key_bits: KeySize, delivery: Delivery) -> Profile {
    Profile {
        name: name.into(),
        description: String::new(),
        delivery,
        device_type: "Android".into(),
        device_class_id: ANDROID_CLASS.into(),
        key_bits,
        digits: Digits::EIGHT,
        interval: Interval::Seconds60,
        pin_type: PinType::Pinpad,
        copy_protection: true,
        site_specific: false,
    }
}

pub fn profiles() -> Vec<Profile> {
    vec![
        profile("android", KeySize::Bits128, Delivery::File),
        profile("legacy-64", KeySize::Bits64, Delivery::File),
        profile("ios-ctkip", KeySize::Bits128, Delivery::CtKip),
    ]
}

pub fn config() -> Config {
    Config {
        header: BatchHeader {
            origin: "tokendist".into(),
            dest: "acme".into(),
            name: "acme-tokens".into(),
        },
        profiles: profiles(),
        output_path_template: "./{job}.zip".into(),
        ..Config::default_config()
    }
}

pub fn today() -> time::Date {
    time::macros::date!(2026 - 11 - 29)
}

pub fn now() -> time::OffsetDateTime {
    time::macros::datetime!(2026-11-29 16:40 UTC)
}

pub fn serial(value: u64) -> Serial {
    Serial::from_value(value).unwrap()
}

/// A 128-bit token, valid until 2030, assigned to `login` when given.
pub fn token(value: u64, login: Option<&str>) -> InventoryToken {
    let mut seed = [0u8; 16];
    seed[..8].copy_from_slice(&value.to_be_bytes());
    seed[8..].copy_from_slice(&(value ^ 0xA5A5_5A5A).to_be_bytes());
    InventoryToken {
        serial: serial(value),
        seed: Seed::new(seed),
        key_size: KeySize::Bits128,
        digits: Digits::EIGHT,
        interval: Interval::Seconds60,
        pin_mode: PinMode::from_flags(true, true),
        birth: time::macros::date!(2025 - 01 - 01),
        expires: time::macros::date!(2030 - 12 - 31),
        user: login.map(|login| {
            AssignedUser::new(login, &format!("First {login}"), &format!("Last {login}"))
        }),
        distributions: Default::default(),
    }
}

/// `count` assigned tokens from serial 1000, users `user0001`, …
pub fn tokens(count: u64) -> Vec<InventoryToken> {
    (0..count)
        .map(|i| token(1000 + i, Some(&format!("user{i:04}"))))
        .collect()
}

pub fn distributed(mut token: InventoryToken, job: &str) -> InventoryToken {
    token.distributions.push(Distribution {
        job_id: format!("id-{job}"),
        job_name: job.into(),
        at: now(),
    });
    token
}

pub fn spec(name: &str, protection: Protection, password: Option<&str>) -> JobSpec {
    JobSpec {
        name: name.into(),
        profile: "android".into(),
        binding: Binding::DeviceClass,
        nickname: None,
        protection,
        password: password.map(SecretString::from),
        selection: SelectionCriteria::default(),
    }
}

/// A job store on a plain directory; "sealing" XORs with a fixed byte and prefixes the
/// context, enough to check the job layer seals and opens with the right context.
pub struct DirStore {
    pub dir: tempfile::TempDir,
    pub recorded: Mutex<Vec<(Serial, Distribution)>>,
    pub fail_recording: bool,
}

impl DirStore {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            recorded: Mutex::new(Vec::new()),
            fail_recording: false,
        }
    }
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl JobStore for DirStore {
    fn jobs_dir(&self) -> PathBuf {
        self.dir.path().join("jobs")
    }
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Vec<u8> {
        [
            context,
            b"|",
            &plaintext.iter().map(|b| b ^ 0x5c).collect::<Vec<u8>>(),
        ]
        .concat()
    }
    fn open_sealed(&self, sealed: &[u8], context: &[u8]) -> Result<Zeroizing<Vec<u8>>, String> {
        let body = sealed
            .strip_prefix(context)
            .and_then(|rest| rest.strip_prefix(b"|"))
            .ok_or("wrong context")?;
        Ok(Zeroizing::new(body.iter().map(|b| b ^ 0x5c).collect()))
    }
    fn record_distributions(
        &mut self,
        serials: &[Serial],
        distribution: &Distribution,
    ) -> Result<(), String> {
        if self.fail_recording {
            return Err("injected inventory failure".into());
        }
        let mut recorded = self.recorded.lock().unwrap();
        recorded.extend(
            serials
                .iter()
                .map(|serial| (serial.clone(), distribution.clone())),
        );
        Ok(())
    }
    fn job_distribution(&self, job_id: &str) -> Option<JobDistribution> {
        let recorded = self.recorded.lock().unwrap();
        let mine: Vec<_> = recorded
            .iter()
            .filter(|(_, distribution)| distribution.job_id == job_id)
            .collect();
        let (_, first) = mine.first()?;
        Some(JobDistribution {
            name: first.job_name.clone(),
            at: first.at,
            tokens: mine.len(),
        })
    }
}

/// A codec that writes a recognisable text per token, optionally slowly or failing on one
/// serial. It records the password each file got so tests can check protection modes.
#[derive(Default)]
pub struct FakeCodec {
    pub delay: Duration,
    pub fail_on: Option<Serial>,
    pub passwords: Mutex<Vec<(Serial, Option<String>)>>,
}

impl FileCodec for FakeCodec {
    fn write_verified(
        &self,
        header: &BatchHeader,
        token: &SdtidToken,
        password: Option<&SecretString>,
    ) -> Result<Vec<u8>, String> {
        std::thread::sleep(self.delay);
        if self.fail_on.as_ref() == Some(&token.serial) {
            return Err("injected codec failure".into());
        }
        self.passwords.lock().unwrap().push((
            token.serial.clone(),
            password.map(|p| p.expose().to_owned()),
        ));
        Ok(format!(
            "FAKE {} user={} dsn={} nick={} origin={} digits={}\n",
            token.serial,
            token.user.login,
            token.device_serial_number,
            token.nickname,
            header.origin,
            token.attributes.digits
        )
        .into_bytes())
    }
}

/// Reads every entry of a ZIP file into (name, bytes) pairs.
pub fn unzip(path: &Path) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|index| {
            let mut entry = archive.by_index(index).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (entry.name().unwrap().to_string(), bytes)
        })
        .collect()
}
