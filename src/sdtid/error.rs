//! Errors of the SDTID codec. Each names the element or field that is wrong; none ever carries
//! a seed, key or password.

/// What went wrong reading or writing an SDTID document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdtidError {
    #[error("document is {size} bytes, larger than the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("not well-formed XML at line {line}: {message}")]
    Xml { line: usize, message: String },
    #[error("DOCTYPE declarations are not allowed in token files (line {line})")]
    Doctype { line: usize },
    #[error("root element must be <TKNBatch>, found <{found}>")]
    NotTknBatch { found: String },
    /// `location` says where it was looked for (empty, or e.g. " in TKN #2 (line 40)").
    #[error("missing element <{element}>{location}")]
    MissingElement { element: String, location: String },
    #[error("element <{element}>: {reason}")]
    InvalidValue { element: String, reason: String },
    #[error("the file is password-protected: a password is required")]
    PasswordRequired,
    #[error("wrong password (neither MAC verifies)")]
    WrongPassword,
    #[error("the file is damaged: the header MAC does not verify but the token MAC does")]
    HeaderCorrupt,
    #[error("the file is damaged: the token MAC of serial {serial} does not verify")]
    TokenCorrupt { serial: String },
    #[error("token {serial} is a 64-bit (Alg 0) token; no tokencode can be computed for it")]
    Unsupported64Bit { serial: String },
    #[error("the operating system's random number generator failed: {0}")]
    RandomUnavailable(String),
}
