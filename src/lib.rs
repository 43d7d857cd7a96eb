//! tokendist: distribute RSA SecurID-compatible software tokens as SDTID files.
//!
//! Layers, in the direction imports flow: [`token`] (token math) and [`sdtid`] (the file
//! format) are pure; [`workspace`] keeps configuration, the encrypted inventory and locking;
//! [`jobs`] turns a job specification into files; [`cli`] and [`tui`] are the edges.

pub mod cli;
pub mod crashpoint;
pub mod directory;
#[doc(hidden)]
pub mod fuzzing;
pub mod jobs;
pub mod sdtid;
pub mod secret;
pub mod secret_input;
pub mod text;
pub mod token;
pub mod tui;
pub mod workspace;
