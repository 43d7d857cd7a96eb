//! Token math: the value types that describe a software token and the 128-bit tokencode.
//!
//! Nothing here does I/O. The SDTID codec, the workspace and the job engine all speak these
//! types, so a serial number or an interval is validated once, where it enters the program.

mod params;
mod serial;
pub mod tokencode;

pub use params::{Digits, Interval, KeySize, ParamError, PinMode};
pub use serial::{Serial, SerialError};
pub use tokencode::tokencode;
