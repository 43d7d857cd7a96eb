//! Our `TKNTrailer` content.
//!
//! Known readers never check `BatchSignature` or `BatchCertificate` (spec §5), and we do not
//! copy any vendor certificate or anyone else's signing key. We write:
//!
//! * `BatchSignature`: 128 bytes (the size of an RSA-1024 signature) =
//!   [`SIGNATURE_MARKER`] (16 ASCII bytes) ‖ SHA-256 of the spec §5 signing buffer (32 bytes)
//!   ‖ 80 zero bytes. It is a fingerprint anyone can recompute, not a signature: it detects
//!   accidental damage, not tampering.
//! * `BatchCertificate`: the base64 of the ASCII text [`CERTIFICATE_PLACEHOLDER`], which says
//!   that no certificate is attached.

use sha2::{Digest, Sha256};

/// First 16 bytes of every `BatchSignature` we write.
pub const SIGNATURE_MARKER: &[u8; 16] = b"tokendist-sha256";

/// The text whose base64 we write as `BatchCertificate`.
pub const CERTIFICATE_PLACEHOLDER: &str =
    "tokendist: no certificate; BatchSignature holds a SHA-256 fingerprint, not an RSA signature";

/// The 128-byte `BatchSignature` value for a signing buffer.
pub fn signature(signing_buffer: &[u8]) -> [u8; 128] {
    let mut out = [0u8; 128];
    out[..16].copy_from_slice(SIGNATURE_MARKER);
    out[16..48].copy_from_slice(&Sha256::digest(signing_buffer));
    out
}

/// What a `BatchSignature` is, as far as we can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureKind {
    /// Our fingerprint, and it matches the document.
    TokendistMatching,
    /// Our fingerprint, but the document changed since it was written.
    TokendistMismatch,
    /// Something else (a vendor or stoken RSA signature), not checked.
    Other,
    /// No `TKNTrailer/BatchSignature`.
    Absent,
}

/// Classifies a `BatchSignature` text against the document's signing buffer.
pub fn classify(
    signature_text: Option<&str>,
    signing_buffer: impl FnOnce() -> Vec<u8>,
) -> SignatureKind {
    use base64::Engine;
    let Some(text) = signature_text else {
        return SignatureKind::Absent;
    };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(text) else {
        return SignatureKind::Other;
    };
    if bytes.len() != 128 || &bytes[..16] != SIGNATURE_MARKER {
        return SignatureKind::Other;
    }
    if bytes[..] == signature(&signing_buffer())[..] {
        SignatureKind::TokendistMatching
    } else {
        SignatureKind::TokendistMismatch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_marker_digest_and_zeros() {
        let sig = signature(b"abc");
        assert_eq!(&sig[..16], SIGNATURE_MARKER);
        assert_eq!(sig[16], 0xba); // SHA-256("abc") starts ba7816bf
        assert!(sig[48..].iter().all(|&b| b == 0));
    }
}
