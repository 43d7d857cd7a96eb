//! CONTRACT: filled in by the owning work.

pub fn run(
    _global: &super::GlobalArgs,
    _command: super::TokensCommand,
) -> Result<(), super::CliError> {
    todo!()
}
