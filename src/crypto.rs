//! Encryption at rest for what the plugin must use again (outgoing connections' secrets and cached
//! tokens, apps' remote secrets, users' remote tokens, pending connect flows): ChaCha20-Poly1305
//! (RFC 8439) under a key derived with HKDF-SHA256 (RFC 5869) from the host's at-rest key
//! (Mattermost's `SqlSettings.AtRestEncryptKey`), which the database never holds.
//!
//! A sealed value names what it belongs to: the associated data is the KV key it is stored under,
//! so a value moved to another record (another user's token, another connection's secret) does not
//! open there.

use crate::ids::random_bytes;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;
use std::fmt;

/// Sealed values start with this; the plugin's plaintext records are JSON and start with `{`.
const PREFIX: &[u8] = b"enc1:";
const NONCE_LEN: usize = 12;
/// Mattermost refuses an `AtRestEncryptKey` shorter than this.
pub const MIN_KEY_LEN: usize = 32;

/// The host's at-rest key is shorter than [`MIN_KEY_LEN`] bytes (its length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTooShort(pub usize);

impl fmt::Display for KeyTooShort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the at-rest encryption key must be at least {MIN_KEY_LEN} bytes, got {}", self.0)
    }
}
/// HKDF's info: this plugin's key is not the host key itself, nor any other use's of it.
const KEY_INFO: &[u8] = b"oauth-plugin at-rest v1";

/// Why a value could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Not in the sealed format (written in plain text, or damaged).
    NotSealed,
    /// Sealed under another key, for another record, or tampered with.
    Rejected,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OpenError::NotSealed => "the value is not encrypted",
            OpenError::Rejected => "the value does not decrypt with this key for this record",
        })
    }
}

/// The cipher under the plugin's at-rest key. Its `Debug` shows nothing of the key.
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// Derives the plugin's key from the host's at-rest key; refuses a short one.
    pub fn from_host_key(host_key: &[u8]) -> Result<Sealer, KeyTooShort> {
        if host_key.len() < MIN_KEY_LEN {
            return Err(KeyTooShort(host_key.len()));
        }
        let mut key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's limit of 255 × 32: expanding cannot fail.
        Hkdf::<Sha256>::new(None, host_key).expand(KEY_INFO, &mut key).expect("32-byte HKDF output");
        Ok(Sealer { cipher: ChaCha20Poly1305::new(Key::from_slice(&key)) })
    }

    /// `plaintext`, encrypted for the record stored under `key`.
    pub fn seal(&self, key: &str, plaintext: &[u8]) -> Vec<u8> {
        let nonce: [u8; NONCE_LEN] = random_bytes();
        let payload = Payload { msg: plaintext, aad: key.as_bytes() };
        // Encryption fails only for messages beyond ChaCha20's 256 GiB limit.
        let ciphertext = self.cipher.encrypt(Nonce::from_slice(&nonce), payload).expect("a KV-sized message");
        let mut raw = nonce.to_vec();
        raw.extend_from_slice(&ciphertext);
        let mut sealed = PREFIX.to_vec();
        sealed.extend_from_slice(URL_SAFE_NO_PAD.encode(raw).as_bytes());
        sealed
    }

    /// The plaintext of a value sealed for the record under `key`.
    pub fn open(&self, key: &str, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        let encoded = sealed.strip_prefix(PREFIX).ok_or(OpenError::NotSealed)?;
        let raw = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| OpenError::NotSealed)?;
        if raw.len() < NONCE_LEN {
            return Err(OpenError::NotSealed);
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        let payload = Payload { msg: ciphertext, aad: key.as_bytes() };
        self.cipher.decrypt(Nonce::from_slice(nonce), payload).map_err(|_| OpenError::Rejected)
    }
}

/// Whether a stored value is in the sealed format.
pub fn is_sealed(value: &[u8]) -> bool {
    value.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn sealed_values_open_only_for_their_record_and_key() {
        let sealer = Sealer::from_host_key(KEY).unwrap();
        let sealed = sealer.seal("oc:abc", b"{\"client_secret\":\"s3cret\"}");
        assert!(is_sealed(&sealed));
        assert!(!String::from_utf8_lossy(&sealed).contains("s3cret"));
        assert_eq!(sealer.open("oc:abc", &sealed).unwrap(), b"{\"client_secret\":\"s3cret\"}");
        assert_eq!(sealer.open("oc:abd", &sealed), Err(OpenError::Rejected), "moved to another record");
        let other = Sealer::from_host_key(b"another key that is long enough!!").unwrap();
        assert_eq!(other.open("oc:abc", &sealed), Err(OpenError::Rejected), "another key");
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(sealer.open("oc:abc", &tampered), Err(OpenError::Rejected));
        assert_eq!(sealer.open("oc:abc", b"{\"client_secret\":\"x\"}"), Err(OpenError::NotSealed));
        assert_eq!(sealer.open("oc:abc", b"enc1:!!"), Err(OpenError::NotSealed));
        assert_eq!(sealer.open("oc:abc", b"enc1:"), Err(OpenError::NotSealed));
    }

    #[test]
    fn every_seal_is_new() {
        let sealer = Sealer::from_host_key(KEY).unwrap();
        assert_ne!(sealer.seal("k", b"same"), sealer.seal("k", b"same"), "random nonces");
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(Sealer::from_host_key(b"short").unwrap_err().to_string().contains("at least 32 bytes"));
        assert_eq!(format!("{:?}", Sealer::from_host_key(KEY).unwrap()), "Sealer(..)");
    }
}
