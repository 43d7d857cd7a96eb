//! Wrappers for secret material (seeds, keys, passwords).
//!
//! Every secret in tokendist lives in one of these types so that it is wiped from memory when
//! dropped and can never be printed by `{:?}` in a log line, an error message or a panic.

use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A fixed-size secret byte array (AES keys, token seeds).
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes<const N: usize>([u8; N]);

impl<const N: usize> SecretBytes<N> {
    /// Takes ownership of the bytes; the caller should not keep another copy.
    pub fn new(bytes: [u8; N]) -> Self {
        Self(bytes)
    }

    /// Reads the bytes; keep the borrow short and never copy them into a long-lived value.
    pub fn expose(&self) -> &[u8; N] {
        &self.0
    }

    /// Fresh random bytes from the operating system's CSPRNG.
    pub fn random() -> Self {
        Self::try_random().expect("the operating system CSPRNG is unavailable")
    }

    /// Like [`SecretBytes::random`], for callers that report a failing CSPRNG instead of
    /// panicking. The bytes are filled in place, so no unwiped copy is left behind.
    pub fn try_random() -> Result<Self, getrandom::Error> {
        let mut secret = Self([0u8; N]);
        getrandom::fill(&mut secret.0)?;
        Ok(secret)
    }
}

impl<const N: usize> fmt::Debug for SecretBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes<{N}>(***)")
    }
}

/// A token seed: the 16-byte AES key of a 128-bit SecurID token.
pub type Seed = SecretBytes<16>;

/// A secret text (passwords, passphrases). Zeroized on drop, redacted in `Debug`.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop, Default)]
pub struct SecretString(String);

impl SecretString {
    /// Takes ownership of the text.
    pub fn new(text: String) -> Self {
        Self(text)
    }

    /// Reads the text; keep the borrow short.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when no characters were given (an empty SDTID password means "no password").
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of characters (not bytes), as the password length rules count them.
    pub fn char_len(&self) -> usize {
        self.0.chars().count()
    }
}

impl From<&str> for SecretString {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let seed = Seed::new([0xAB; 16]);
        let password = SecretString::from("hunter2");
        assert!(!format!("{seed:?}").contains("ab"));
        assert!(!format!("{seed:?}").contains("171"));
        assert!(!format!("{password:?}").contains("hunter2"));
    }
}
