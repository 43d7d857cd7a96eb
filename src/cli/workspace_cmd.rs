//! CONTRACT: `init` and `demo`, filled in by the workspace work.

pub fn init(_global: &super::GlobalArgs) -> Result<(), super::CliError> {
    todo!()
}

pub fn demo(_global: &super::GlobalArgs) -> Result<(), super::CliError> {
    todo!()
}
