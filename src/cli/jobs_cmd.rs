//! CONTRACT: filled in by the owning work.

pub fn run(
    _global: &super::GlobalArgs,
    _command: super::JobsCommand,
) -> Result<(), super::CliError> {
    todo!()
}
