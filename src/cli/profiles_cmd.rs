//! `tokendist profiles list`: reads the configuration only, so no passphrase is needed.

use super::workspace_cmd::workspace_dir;
use super::{CliError, GlobalArgs, ProfilesCommand};
use crate::workspace::{Profile, Workspace};
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct ProfileJson<'a> {
    name: &'a str,
    description: &'a str,
    delivery: &'static str,
    distributable: bool,
    device_type: &'a str,
    device_class_id: &'a str,
    site_specific: bool,
    key_bits: u32,
    digits: u8,
    interval: u32,
    pin_type: &'static str,
    copy_protection: bool,
}

impl<'a> From<&'a Profile> for ProfileJson<'a> {
    fn from(p: &'a Profile) -> Self {
        ProfileJson {
            name: &p.name,
            description: &p.description,
            delivery: p.delivery.label(),
            distributable: p.is_distributable(),
            device_type: &p.device_type,
            device_class_id: &p.device_class_id,
            site_specific: p.site_specific,
            key_bits: p.key_bits.bits(),
            digits: p.digits.get(),
            interval: p.interval.seconds(),
            pin_type: p.pin_type.label(),
            copy_protection: p.copy_protection,
        }
    }
}

pub fn run(global: &GlobalArgs, command: ProfilesCommand) -> Result<(), CliError> {
    let ProfilesCommand::List { json } = command;
    let dir = workspace_dir(global)?;
    let config = Workspace::load_config(&dir).map_err(CliError::failed)?;
    let mut out = crate::cli::output::stdout();
    let result = if json {
        let rows: Vec<ProfileJson<'_>> = config.profiles.iter().map(ProfileJson::from).collect();
        serde_json::to_writer_pretty(&mut out, &rows)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        print_table(&mut out, &config.profiles)
    };
    result.map_err(|e| CliError::failed(format!("cannot write the listing: {e}")))
}

fn print_table(out: &mut impl Write, profiles: &[Profile]) -> std::io::Result<()> {
    let rows: Vec<[String; 8]> = profiles
        .iter()
        .map(|p| {
            let mut notes = Vec::new();
            if !p.is_distributable() {
                notes.push("not distributable by file");
            }
            if p.site_specific {
                notes.push("device class id: check against your console");
            }
            [
                p.name.clone(),
                p.delivery.label().to_owned(),
                p.device_type.clone(),
                format!("{}-bit", p.key_bits.bits()),
                format!("{} digits/{}s", p.digits, p.interval.seconds()),
                p.pin_type.label().to_owned(),
                p.device_class_id.clone(),
                notes.join("; "),
            ]
        })
        .collect();
    let header = [
        "NAME",
        "DELIVERY",
        "DEVICE",
        "KEY",
        "CODE",
        "PIN",
        "DEVICE CLASS ID",
        "NOTES",
    ];
    super::table::write_table(out, &header, &rows)
}
