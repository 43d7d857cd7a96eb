//! CONTRACT: filled in by the owning work.

pub fn run(_command: super::SdtidCommand) -> Result<(), super::CliError> {
    todo!()
}
