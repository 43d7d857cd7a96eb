//! All integration tests, one crate: one link instead of one binary per file.
//! A new test file is a module here (`autotests = false` in Cargo.toml).

mod common;
mod interop;
mod jobs_common;
mod ops_common;
mod support;

mod backup_restore;
mod cli_docs;
mod cli_structure;
mod crash_points;
mod directory_ldap;
mod dist_bundle;
mod fuzz_corpus;
mod hostile_input;
mod interop_sdtid;
mod jobs_cli;
mod jobs_engine;
mod jobs_failures;
mod jobs_history_scale;
mod jobs_index;
mod jobs_select;
mod jobs_validate;
mod jobs_workspace;
mod jobs_zip;
mod passphrase_rotation;
mod referee_support;
mod sdtid_cli;
mod sdtid_cli_tty;
mod sdtid_properties;
mod sdtid_reader;
mod sdtid_stream;
mod sdtid_vectors;
mod sdtid_writer;
mod tokencode_properties;
mod tokens_remove;
mod tui_e2e;
mod workspace_check;
mod workspace_cli;
mod workspace_import;
mod workspace_init_tty;
mod workspace_store;
