//! Ids and secrets: one place for how they are made, stored and checked, and the types that keep
//! them apart. An id of one kind cannot be passed where another kind is wanted (a user id for a
//! client id), and a secret prints as `[redacted]` wherever it is formatted (as oauth2-rs's
//! `new_secret_type!` types do), so that no `Debug` of a record and no log line carries it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::fmt;
use subtle::ConstantTimeEq;

/// An id type: a string on the wire and in the store (`serde(transparent)`), a type of its own in
/// the code. Its shape is checked where it comes in (a path, a body), not here.
macro_rules! id_type {
    // An id this plugin makes: [`new_id`]'s shape.
    ($(#[$doc:meta])* $name:ident, made here) => {
        id_type!($(#[$doc])* $name);

        impl $name {
            pub fn random() -> Self {
                $name(new_id())
            }
        }
    };
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }
    };
}

id_type!(
    /// A user of the chat server: the host's id, 26 letters or digits ([`is_server_id`]).
    UserId
);
id_type!(
    /// An OAuth app (client) of this server's provider: an id of ours ([`is_valid_id`]).
    ClientId, made here
);
id_type!(
    /// A grant: one authorization with its current tokens.
    GrantId, made here
);
id_type!(
    /// An outgoing OAuth connection.
    ConnectionId, made here
);
id_type!(
    /// A registered protected resource (RFC 9728); also its `client_id` at introspection.
    ResourceId, made here
);

/// A secret type, after oauth2-rs's `new_secret_type!`: the value only through `.secret()`;
/// `Debug` prints `Name([redacted])` and `Display` `[redacted]`. Stored and sent as the plain
/// value (`serde(transparent)`): where it is stored, the store seals or hashes it.
macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident($type:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name($type);

        impl $name {
            pub fn new(secret: impl Into<$type>) -> Self {
                $name(secret.into())
            }

            /// The secret itself: for the one place that sends or checks it, never for a log.
            pub fn secret(&self) -> &$type {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }
    };
}

secret_type!(
    /// A client's password (RFC 6749 §2.3.1): ours just issued or presented, or another server's.
    ClientSecret(String)
);
secret_type!(
    /// An access token (RFC 6749 §1.4), ours or another server's.
    AccessToken(String)
);
secret_type!(
    /// A refresh token (RFC 6749 §1.5), ours or another server's.
    RefreshToken(String)
);
secret_type!(
    /// An authorization code (RFC 6749 §1.3.1).
    AuthorizationCode(String)
);
secret_type!(
    /// A device code (RFC 8628 §3.2): the device's secret while it polls.
    DeviceCode(String)
);
secret_type!(
    /// A user code (RFC 8628 §3.2, §6.1), as shown: `XXXX-XXXX`.
    UserCode(String)
);
secret_type!(
    /// A resource owner's password, for the password grant (RFC 6749 §4.3).
    Password(String)
);
secret_type!(
    /// A PKCE code verifier (RFC 7636 §4.1).
    PkceCodeVerifier(String)
);
secret_type!(
    /// The `state` of a connect flow this server started (RFC 6749 §10.12).
    ConnectStateToken(String)
);
secret_type!(
    /// An `Authorization` header value carrying a token (`Bearer …`).
    AuthorizationHeader(String)
);
secret_type!(
    /// A token response or an app's stored token, as JSON: it holds tokens.
    TokenJson(serde_json::Value)
);

/// What is stored of a secret, token or code: its SHA-256 in hex. Not a secret, but kept out of
/// `Debug` all the same, where it sits next to one.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretHash(String);

impl SecretHash {
    pub fn of(secret: &str) -> Self {
        SecretHash(hash_secret(secret))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `secret` is the one hashed here, in constant time.
    pub fn matches(&self, secret: &str) -> bool {
        secret_matches(secret, &self.0)
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

/// Mattermost's id alphabet (base32 without padding, lower case, no look-alike characters).
const ID_ALPHABET: &str = "ybndrfg8ejkmcpqxot1uwisza345h769";

/// Length of a Mattermost id: 16 random bytes in base32.
pub const ID_LEN: usize = 26;

/// `bytes` in base32 over [`ID_ALPHABET`], without padding: RFC 4648 §6's bit order, five bits a
/// character, the last one filled with zero bits (Go's `base32.NewEncoding(…).WithPadding(NoPadding)`,
/// which Mattermost's `NewId` uses). A loop of its own: a general encoding library costs the module
/// 20 KB for these few lines.
fn base32(bytes: &[u8]) -> String {
    let alphabet = ID_ALPHABET.as_bytes();
    let mut encoded = String::with_capacity((bytes.len() * 8).div_ceil(5));
    // The bits not encoded yet, the newest lowest; never more than 12 of them.
    let (mut pending, mut count) = (0u32, 0u32);
    for &byte in bytes {
        pending = (pending << 8 | u32::from(byte)) & 0xfff;
        count += 8;
        while count >= 5 {
            count -= 5;
            encoded.push(char::from(alphabet[(pending >> count & 31) as usize]));
        }
    }
    if count > 0 {
        encoded.push(char::from(alphabet[(pending << (5 - count) & 31) as usize]));
    }
    encoded
}

/// `bytes` in lower-case hexadecimal.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

/// How many random bytes are drawn from the platform at a time.
const RANDOM_POOL_BYTES: usize = 1024;

thread_local! {
    /// Random bytes not handed out yet, and how many of the pool are used up.
    static RANDOM_POOL: RefCell<([u8; RANDOM_POOL_BYTES], usize)> =
        const { RefCell::new(([0; RANDOM_POOL_BYTES], RANDOM_POOL_BYTES)) };
}

/// `N` bytes from the platform's CSPRNG (crypto.getRandomValues in wasm), drawn a kilobyte at a
/// time so that a token costs no trip across the wasm boundary. Each byte is handed out once and
/// then zeroed in the pool, so no copy of a secret's randomness stays behind.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    RANDOM_POOL.with_borrow_mut(|(pool, used)| {
        let mut filled = 0;
        while filled < N {
            if *used == RANDOM_POOL_BYTES {
                // Without the system generator no id or secret can be made safely, so there is
                // nothing sensible to fall back to.
                getrandom::fill(pool).expect("system random number generator");
                *used = 0;
            }
            let take = (N - filled).min(RANDOM_POOL_BYTES - *used);
            bytes[filled..filled + take].copy_from_slice(&pool[*used..*used + take]);
            pool[*used..*used + take].fill(0);
            *used += take;
            filled += take;
        }
    });
    bytes
}

/// A new Mattermost-style id: 26 characters of [`ID_ALPHABET`].
pub fn new_id() -> String {
    base32(&random_bytes::<16>())
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

/// Length of [`new_secret`]'s secrets.
pub const SECRET_LEN: usize = 43;

/// A new secret or token: 256 random bits, base64url without padding (43 characters).
pub fn new_secret() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// What is stored of a secret, token or code: its SHA-256, in hex. The plaintext is shown once.
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
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
    fn random_bytes_are_handed_out_once_across_refills_of_the_pool() {
        // 13 does not divide the pool's size: draws straddle its refills.
        let draws: Vec<[u8; 13]> = (0..(3 * RANDOM_POOL_BYTES / 13 + 7)).map(|_| random_bytes()).collect();
        assert!(draws.iter().all(|d| d.iter().any(|&b| b != 0)), "a used-up (zeroed) part was handed out");
        assert_eq!(draws.iter().collect::<HashSet<_>>().len(), draws.len(), "bytes handed out twice");
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
    fn typed_ids_are_plain_strings_on_the_wire_and_in_the_store() {
        let user = UserId::new("alicealicealicealicealice1");
        assert_eq!(serde_json::to_string(&user).unwrap(), r#""alicealicealicealicealice1""#);
        assert_eq!(serde_json::from_str::<ClientId>(r#""abc""#).unwrap(), ClientId::new("abc"));
        assert_eq!(user.to_string(), user.as_str());
        let secret: ClientSecret = serde_json::from_str(r#""s3cret""#).unwrap();
        assert_eq!(serde_json::to_string(&secret).unwrap(), r#""s3cret""#);
    }

    #[test]
    fn encodings_are_rfc_4648s_over_our_alphabets() {
        // data_encoding, a library nobody here wrote, with the same specifications.
        let mut spec = data_encoding::Specification::new();
        spec.symbols.push_str(ID_ALPHABET);
        let ids = spec.encoding().unwrap();
        for len in 0..=40 {
            let bytes: Vec<u8> = (0..len).map(|_| random_bytes::<1>()[0]).collect();
            assert_eq!(base32(&bytes), ids.encode(&bytes), "{bytes:?}");
            assert_eq!(hex(&bytes), data_encoding::HEXLOWER.encode(&bytes), "{bytes:?}");
        }
        for edge in [[0u8; 16], [255u8; 16]] {
            assert_eq!(base32(&edge), ids.encode(&edge));
        }
        // Go's base32 with Mattermost's alphabet, for 16 zero bytes: "y" 26 times.
        assert_eq!(base32(&[0; 16]), "y".repeat(26));
        assert_eq!(hash_secret("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn id_check_refuses_other_shapes() {
        assert!(!is_valid_id("short"));
        assert!(!is_valid_id("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
        assert!(!is_valid_id("0000000000000000000000000l"));
        assert!(is_valid_id("ybndrfg8ejkmcpqxot1uwisza3"));
    }
}
