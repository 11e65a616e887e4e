//! Ids and secrets: one place for how they are made, stored and checked.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use data_encoding::{Encoding, Specification, HEXLOWER};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use subtle::ConstantTimeEq;

/// Mattermost's id alphabet (base32 without padding, lower case, no look-alike characters).
const ID_ALPHABET: &str = "ybndrfg8ejkmcpqxot1uwisza345h769";

/// Length of a Mattermost id: 16 random bytes in base32.
pub const ID_LEN: usize = 26;

fn id_encoding() -> &'static Encoding {
    static ENCODING: OnceLock<Encoding> = OnceLock::new();
    ENCODING.get_or_init(|| {
        let mut spec = Specification::new();
        spec.symbols.push_str(ID_ALPHABET);
        // The alphabet is a fixed, valid 32-symbol set: building it cannot fail.
        spec.encoding().expect("valid base32 alphabet")
    })
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The platform's CSPRNG (crypto.getRandomValues in wasm). Without it no id or secret can be
    // made safely, so there is nothing sensible to fall back to.
    getrandom::fill(&mut bytes).expect("system random number generator");
    bytes
}

/// A new Mattermost-style id: 26 characters of [`ID_ALPHABET`].
pub fn new_id() -> String {
    id_encoding().encode(&random_bytes::<16>())
}

/// Whether `candidate` has the shape of a Mattermost id.
pub fn is_valid_id(candidate: &str) -> bool {
    candidate.len() == ID_LEN && candidate.bytes().all(|b| ID_ALPHABET.as_bytes().contains(&b))
}

/// Whether `candidate` has the shape of an id the chat server made (a user id): Mattermost's
/// `IsValidId`, 26 letters or digits. Looser than [`is_valid_id`], which is for ids this plugin
/// makes, because other servers' ids need not use the same alphabet.
pub fn is_server_id(candidate: &str) -> bool {
    candidate.len() == ID_LEN && candidate.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A new secret or token: 256 random bits, base64url without padding (43 characters).
pub fn new_secret() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// What is stored of a secret, token or code: its SHA-256, in hex. The plaintext is shown once.
pub fn hash_secret(secret: &str) -> String {
    HEXLOWER.encode(&Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` is the one whose hash is `stored_hash`, in constant time.
pub fn secret_matches(secret: &str, stored_hash: &str) -> bool {
    hash_secret(secret).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_have_mattermosts_shape() {
        for _ in 0..200 {
            let id = new_id();
            assert_eq!(id.len(), ID_LEN, "{id}");
            assert!(is_valid_id(&id), "{id}");
        }
    }

    #[test]
    fn ids_and_secrets_do_not_repeat() {
        let ids: HashSet<String> = (0..1000).map(|_| new_id()).collect();
        let secrets: HashSet<String> = (0..1000).map(|_| new_secret()).collect();
        assert_eq!(ids.len(), 1000);
        assert_eq!(secrets.len(), 1000);
    }

    #[test]
    fn secrets_are_long_and_url_safe() {
        let secret = new_secret();
        assert_eq!(secret.len(), 43);
        assert!(secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }

    #[test]
    fn secrets_are_checked_against_their_hash() {
        let secret = new_secret();
        let stored = hash_secret(&secret);
        assert_eq!(stored.len(), 64);
        assert_ne!(stored, secret);
        assert!(secret_matches(&secret, &stored));
        assert!(!secret_matches(&new_secret(), &stored));
        assert!(!secret_matches("", &stored));
    }

    #[test]
    fn server_ids_are_26_letters_or_digits() {
        assert!(is_server_id("alicealicealicealicealice1"));
        assert!(is_server_id(&new_id()));
        assert!(!is_server_id("alicealicealicealicealice"));
        assert!(!is_server_id("alice:alicealicealicealice"));
        assert!(!is_server_id(&"a".repeat(200)));
        assert!(!is_server_id("ålicealicealicealicealic"));
    }

    #[test]
    fn id_check_refuses_other_shapes() {
        assert!(!is_valid_id("short"));
        assert!(!is_valid_id("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
        assert!(!is_valid_id("0000000000000000000000000l"));
        assert!(is_valid_id("ybndrfg8ejkmcpqxot1uwisza3"));
    }
}
