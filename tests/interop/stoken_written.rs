//! Files written by stoken (`export --sdtid --template`, `issue --template`) from random
//! templates, and the check that our reader finds in them what stoken put there.

use super::generate;
use crate::support::Stoken;
use crate::support::rng::TestRng;
use base64::Engine as _;
use std::fmt::Write as _;
use std::path::Path;
use time::Date;
use tokendist::sdtid::{self, BatchHeader, MAX_KEY_TEXT_BYTES, MAX_NAME_BYTES};
use tokendist::secret::SecretString;
use tokendist::token::{Digits, Interval, PinMode, Serial, tokencode};

/// Which stoken command writes the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StokenWriter {
    /// `stoken export --random --sdtid --template T`: the template's `Seed` is the plaintext seed.
    Export,
    /// `stoken issue --template T`: stoken picks the seed (read back with `show --seed`).
    Issue,
}

/// One file for stoken to write, and what it must contain.
pub struct StokenCase {
    pub label: String,
    pub writer: StokenWriter,
    pub template: String,
    pub header: BatchHeader,
    pub serial: Serial,
    /// The seed given in the template (export only).
    pub seed: Option<[u8; 16]>,
    pub digits: Digits,
    pub interval: Interval,
    pub pin_mode: PinMode,
    pub birth: Date,
    pub death: Date,
    pub login: String,
    pub first_name: String,
    pub last_name: String,
    pub nickname: String,
    pub new_password: Option<String>,
    pub new_devid: Option<String>,
    pub times: Vec<i64>,
    pub pin: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn date_text(date: Date) -> String {
    format!(
        "{:04}/{:02}/{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// A random case. A third of them put digits, interval, PIN flags and `Death` as per-token
/// overrides in the `TKN` (with different header defaults), which must win.
pub fn case(rng: &mut TestRng, index: usize) -> StokenCase {
    let writer = if index % 3 == 2 {
        StokenWriter::Issue
    } else {
        StokenWriter::Export
    };
    let mut header_text = |max| {
        if rng.chance(1, 3) {
            None
        } else {
            Some(generate::text(rng, max, true))
        }
    };
    let (origin, dest, name) = (
        header_text(MAX_KEY_TEXT_BYTES),
        header_text(MAX_KEY_TEXT_BYTES),
        header_text(MAX_NAME_BYTES),
    );
    let token = generate::token(rng, index);
    let a = &token.attributes;
    let overrides = index % 3 == 1;
    let optional = |rng: &mut TestRng| {
        if rng.chance(1, 3) {
            String::new()
        } else {
            generate::text(rng, 40, true)
        }
    };
    let (login, first_name, last_name, nickname) =
        (optional(rng), optional(rng), optional(rng), optional(rng));
    let new_password = match rng.range(0, 1) {
        0 => None,
        _ => Some(generate::text(rng, MAX_KEY_TEXT_BYTES, true))
            .filter(|p| Some(p) != origin.as_ref()),
    };
    let new_devid = rng.chance(1, 2).then(|| generate::text(rng, 40, true));

    let mut t = String::from("<?xml version=\"1.0\"?>\n<TKNBatch>\n<TKNHeader>\n");
    for (element, value) in [("Origin", &origin), ("Dest", &dest), ("Name", &name)] {
        if let Some(value) = value {
            let _ = writeln!(t, "<{element}>{}</{element}>", escape(value));
        }
    }
    let add = u8::from(a.pin_mode.add_pin());
    let local = u8::from(a.pin_mode.local_pin());
    let digits = a.digits.get();
    let interval = a.interval.seconds();
    let (death, birth) = (date_text(a.death), date_text(a.birth));
    if overrides {
        // Header defaults opposite to the token's own values.
        let other_digits = if digits == 6 { 8 } else { 6 };
        let other_interval = if interval == 30 { 60 } else { 30 };
        let _ = write!(
            t,
            "<DefBirth>{birth}</DefBirth>\n<DefDeath>2031/01/01</DefDeath>\n\
             <DefDigits>{other_digits}</DefDigits>\n<DefInterval>{other_interval}</DefInterval>\n\
             <DefAddPIN>{}</DefAddPIN>\n<DefLocalPIN>{}</DefLocalPIN>\n",
            1 - add,
            1 - local
        );
    } else {
        let _ = write!(
            t,
            "<DefBirth>{birth}</DefBirth>\n<DefDeath>{death}</DefDeath>\n\
             <DefDigits>{digits}</DefDigits>\n<DefInterval>{interval}</DefInterval>\n\
             <DefAddPIN>{add}</DefAddPIN>\n<DefLocalPIN>{local}</DefLocalPIN>\n"
        );
    }
    let _ = write!(t, "</TKNHeader>\n<TKN>\n<SN>{}</SN>\n", token.serial);
    let seed = (writer == StokenWriter::Export).then(|| *token.seed.expose());
    if let Some(seed) = seed {
        let encoded = base64::engine::general_purpose::STANDARD.encode(seed);
        let _ = writeln!(t, "<Seed>={encoded}</Seed>");
    }
    for (element, value) in [
        ("UserFirstName", &first_name),
        ("UserLastName", &last_name),
        ("UserLogin", &login),
    ] {
        if !value.is_empty() {
            let _ = writeln!(t, "<{element}>{}</{element}>", escape(value));
        }
    }
    if overrides {
        let _ = write!(
            t,
            "<Death>{death}</Death>\n<Digits>{digits}</Digits>\n<Interval>{interval}</Interval>\n\
             <AddPIN>{add}</AddPIN>\n<LocalPIN>{local}</LocalPIN>\n"
        );
    }
    t.push_str("<TokenAttributes>\n");
    if !nickname.is_empty() {
        let _ = writeln!(t, "<Nickname>{}</Nickname>", escape(&nickname));
    }
    t.push_str("</TokenAttributes>\n</TKN>\n</TKNBatch>\n");

    let default = |value: Option<String>| value.unwrap_or_else(|| "N/A".to_owned());
    StokenCase {
        label: format!(
            "stoken {:?} case #{index} (serial {}, {digits} digits, {interval}s, PIN mode {}, {}{}{})",
            writer,
            token.serial,
            a.pin_mode.get(),
            if new_password.is_some() {
                "password"
            } else {
                "no password"
            },
            if new_devid.is_some() {
                ", device id"
            } else {
                ""
            },
            if overrides {
                ", per-token overrides"
            } else {
                ""
            },
        ),
        writer,
        template: t,
        header: BatchHeader {
            origin: default(origin),
            dest: default(dest),
            name: default(name),
        },
        serial: token.serial.clone(),
        seed,
        digits: a.digits,
        interval: a.interval,
        pin_mode: a.pin_mode,
        birth: a.birth,
        death: a.death,
        login,
        first_name,
        last_name,
        nickname,
        new_password,
        new_devid,
        times: generate::times(rng, index, a.interval),
        pin: generate::pin(rng),
    }
}

/// Has stoken write the case into `dir`, then reads it with our codec and compares fields,
/// seed and codes with what stoken says. Returns one line per disagreement.
pub fn check(stoken: &Stoken, case: &StokenCase, dir: &Path, index: usize) -> Vec<String> {
    let mut failures = Vec::new();
    let mut fail = |what: String| failures.push(format!("{}: {what}", case.label));
    let template = dir.join(format!("template-{index}.xml"));
    let file = dir.join(format!("stoken-{index}.sdtid"));
    if let Err(error) = std::fs::write(&template, &case.template) {
        fail(format!("cannot write the template: {error}"));
        return failures;
    }
    let password = case.new_password.as_deref();
    let devid = case.new_devid.as_deref();
    let written = match case.writer {
        StokenWriter::Export => stoken.export_sdtid(&template, password, devid),
        StokenWriter::Issue => stoken.issue(&template, password, devid),
    };
    let document = match written.and_then(|text| {
        std::fs::write(&file, &text)
            .map(|_| text)
            .map_err(|e| e.to_string())
    }) {
        Ok(document) => document,
        Err(error) => {
            fail(error);
            return failures;
        }
    };
    let stoken_seed = match stoken.show_seed(&file, password) {
        Ok(show) => show.seed_hex.unwrap_or_default(),
        Err(error) => {
            fail(error);
            return failures;
        }
    };

    let secret = case.new_password.as_deref().map(SecretString::from);
    let decrypted =
        match sdtid::parse(document.as_bytes()).and_then(|batch| batch.decrypt(secret.as_ref())) {
            Ok(decrypted) => decrypted,
            Err(error) => {
                fail(format!("our reader refuses stoken's file: {error}"));
                return failures;
            }
        };
    if decrypted.tokens.len() != 1 {
        fail(format!(
            "we read {} tokens, stoken wrote 1",
            decrypted.tokens.len()
        ));
        return failures;
    }
    let token = &decrypted.tokens[0];
    let our_seed: String = token
        .seed
        .expose()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let template_seed = case
        .seed
        .map(|seed| seed.iter().map(|b| format!("{b:02x}")).collect::<String>());
    if our_seed != stoken_seed {
        fail("seed: ours differs from `stoken show --seed`".into());
    }
    if template_seed.is_some_and(|seed| seed != stoken_seed) {
        fail("seed: stoken did not keep the template's seed".into());
    }
    let a = &token.attributes;
    let compare = [
        ("serial", case.serial.to_string(), token.serial.to_string()),
        ("digits", case.digits.to_string(), a.digits.to_string()),
        (
            "interval",
            case.interval.to_string(),
            a.interval.to_string(),
        ),
        (
            "PIN mode",
            case.pin_mode.get().to_string(),
            a.pin_mode.get().to_string(),
        ),
        ("birth", date_text(case.birth), date_text(a.birth)),
        ("death", date_text(case.death), date_text(a.death)),
        ("UserLogin", case.login.clone(), token.user.login.clone()),
        (
            "UserFirstName",
            case.first_name.clone(),
            token.user.first_name.clone(),
        ),
        (
            "UserLastName",
            case.last_name.clone(),
            token.user.last_name.clone(),
        ),
        ("Nickname", case.nickname.clone(), token.nickname.clone()),
        (
            "DeviceSerialNumber",
            case.new_devid.clone().unwrap_or_default(),
            token.device_serial_number.clone(),
        ),
        (
            "Origin",
            case.header.origin.clone(),
            decrypted.header.origin.clone(),
        ),
        (
            "Dest",
            case.header.dest.clone(),
            decrypted.header.dest.clone(),
        ),
        (
            "Name",
            case.header.name.clone(),
            decrypted.header.name.clone(),
        ),
        (
            "password protection",
            case.new_password.is_some().to_string(),
            decrypted.password_protected.to_string(),
        ),
    ];
    for (field, wanted, ours) in compare {
        if wanted != ours {
            fail(format!(
                "{field}: we read {ours:?}, stoken was given {wanted:?}"
            ));
        }
    }

    for &time in &case.times {
        let mut pins = vec![("0000", None)];
        if case.pin_mode.add_pin() {
            pins.push((case.pin.as_str(), Some(case.pin.as_str())));
        }
        for (given, added) in pins {
            let ours = tokencode(
                &token.seed,
                &token.serial,
                a.digits,
                a.interval,
                added,
                time,
            );
            match stoken.tokencode(&file, password, given, time) {
                Ok(theirs) if theirs == ours => {}
                Ok(theirs) => fail(format!(
                    "code at t={time} with PIN {given}: stoken {theirs}, ours {ours}"
                )),
                Err(error) => fail(error),
            }
        }
    }
    failures
}
