//! Checks that a single-token file we wrote decodes in each referee to the token we meant to
//! write: same serial, seed and attributes, and the tokencodes we compute at every time.

use crate::support::{DecodeRequest, PythonSecurid, Stoken};
use std::path::PathBuf;
use time::macros::date;
use tokendist::sdtid::SdtidToken;
use tokendist::token::tokencode;

/// A file on disk and what every reader must find in it.
pub struct Expectation {
    /// Names the case in failure messages (no secrets).
    pub label: String,
    pub file: PathBuf,
    /// The password a reader needs: `None` for a password-less file (including one written
    /// with an empty password).
    pub password: Option<String>,
    pub token: SdtidToken,
    pub times: Vec<i64>,
    /// A PIN for tokens whose PIN mode adds one.
    pub pin: String,
}

impl Expectation {
    pub fn code(&self, unix_seconds: i64, pin: Option<&str>) -> String {
        let token = &self.token;
        let attributes = &token.attributes;
        tokencode(
            &token.seed,
            &token.serial,
            attributes.digits,
            attributes.interval,
            pin,
            unix_seconds,
        )
    }

    fn adds_pin(&self) -> bool {
        self.token.attributes.pin_mode.add_pin()
    }

    fn seed_hex(&self) -> String {
        self.token
            .seed
            .expose()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The "Expiration date" stoken reports: the day after `Death`, but never later than the
    /// 2038-01-19 it uses for "does not expire".
    fn stoken_expiration(&self) -> String {
        let after = self
            .token
            .attributes
            .death
            .next_day()
            .expect("not the last date");
        let shown = after.min(date!(2038 - 01 - 19));
        format!(
            "{:04}/{:02}/{:02}",
            shown.year(),
            u8::from(shown.month()),
            shown.day()
        )
    }
}

/// Everything stoken says about `expected.file`, compared with what we wrote. Returns one line
/// per disagreement.
pub fn in_stoken(stoken: &Stoken, expected: &Expectation) -> Vec<String> {
    let mut failures = Vec::new();
    let mut fail = |what: String| failures.push(format!("stoken, {}: {what}", expected.label));
    let password = expected.password.as_deref();

    match stoken.show_seed(&expected.file, password) {
        Err(error) => {
            fail(error);
            return failures;
        }
        Ok(show) => {
            let attributes = &expected.token.attributes;
            let wanted = [
                (
                    "serial",
                    expected.token.serial.to_string(),
                    show.serial.clone(),
                ),
                (
                    "seed",
                    expected.seed_hex(),
                    show.seed_hex.clone().unwrap_or_default(),
                ),
                (
                    "digits",
                    attributes.digits.to_string(),
                    show.digits.to_string(),
                ),
                (
                    "interval",
                    attributes.interval.seconds().to_string(),
                    show.interval.to_string(),
                ),
                (
                    "PIN mode",
                    attributes.pin_mode.get().to_string(),
                    show.pin_mode.to_string(),
                ),
                (
                    "expiration",
                    expected.stoken_expiration(),
                    show.expiration.clone(),
                ),
                (
                    "password protection",
                    password.is_some().to_string(),
                    show.password_protected.to_string(),
                ),
            ];
            for (field, ours, theirs) in wanted {
                if ours != theirs {
                    let shown = if field == "seed" {
                        "(differs)".to_owned()
                    } else {
                        theirs
                    };
                    fail(format!("{field}: stoken shows {shown}, we wrote {ours}"));
                }
            }
        }
    }

    for (index, &time) in expected.times.iter().enumerate() {
        // "0000" is the PIN stoken needs for a PIN-mode 2/3 token whose user has none yet; it
        // adds nothing. The real PIN goes in at every time for those tokens, and once for the
        // others, where stoken must ignore it.
        let mut pins = vec![("0000", None)];
        if expected.adds_pin() {
            pins.push((expected.pin.as_str(), Some(expected.pin.as_str())));
        } else if index == 0 {
            pins.push((expected.pin.as_str(), None));
        }
        for (given, added) in pins {
            let ours = expected.code(time, added);
            match stoken.tokencode(&expected.file, password, given, time) {
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

/// Decodes all `expected` files in one python-securid run and compares each with what we
/// wrote. python-securid adds a given PIN whatever the PIN mode, so it only gets one for tokens
/// that add it.
pub fn in_python(python: &PythonSecurid, expected: &[Expectation]) -> Vec<String> {
    let requests: Vec<DecodeRequest> = expected
        .iter()
        .map(|e| DecodeRequest {
            file: e.file.clone(),
            password: e.password.clone(),
            times: e.times.clone(),
            pins: if e.adds_pin() {
                vec![None, Some(e.pin.parse().expect("digits"))]
            } else {
                vec![None]
            },
        })
        .collect();
    let results = match python.decode(&requests) {
        Ok(results) => results,
        Err(error) => return vec![format!("python-securid: {error}")],
    };

    let mut failures = Vec::new();
    for (e, result) in expected.iter().zip(results) {
        let mut fail = |what: String| failures.push(format!("python-securid, {}: {what}", e.label));
        let decoded = match result {
            Ok(decoded) => decoded,
            Err(error) => {
                fail(format!("cannot decode: {error}"));
                continue;
            }
        };
        let attributes = &e.token.attributes;
        let death = attributes.death;
        let wanted = [
            ("serial", e.token.serial.to_string(), decoded.serial.clone()),
            ("seed", e.seed_hex(), decoded.seed.clone()),
            (
                "digits",
                attributes.digits.to_string(),
                decoded.digits.to_string(),
            ),
            (
                "interval",
                attributes.interval.seconds().to_string(),
                decoded.interval.to_string(),
            ),
            (
                "death",
                format!(
                    "{:04}/{:02}/{:02}",
                    death.year(),
                    u8::from(death.month()),
                    death.day()
                ),
                decoded.death.clone().unwrap_or_default(),
            ),
        ];
        for (field, ours, theirs) in wanted {
            if ours != theirs {
                let shown = if field == "seed" {
                    "(differs)".to_owned()
                } else {
                    theirs
                };
                fail(format!(
                    "{field}: python-securid reads {shown}, we wrote {ours}"
                ));
            }
        }
        for (&time, codes) in e.times.iter().zip(&decoded.codes) {
            let plain = e.code(time, None);
            if codes.first() != Some(&plain) {
                fail(format!(
                    "code at t={time}: python-securid {codes:?}, ours {plain}"
                ));
            }
            if e.adds_pin() {
                let with_pin = e.code(time, Some(&e.pin));
                if codes.get(1) != Some(&with_pin) {
                    fail(format!(
                        "code at t={time} with PIN {}: python-securid {codes:?}, ours {with_pin}",
                        e.pin
                    ));
                }
            }
        }
        if decoded.codes.len() != e.times.len() {
            fail(format!(
                "{} code rows for {} times",
                decoded.codes.len(),
                e.times.len()
            ));
        }
    }
    failures
}
