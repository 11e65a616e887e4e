//! The `Host` trait: everything the plugin asks of the server, and nothing else.
//!
//! The plugin does all OAuth logic and no I/O; the server (the reference server in `reference-server/`, or the
//! in-memory [`memory::MemoryHost`] in tests) does all I/O. The KV calls keep Mattermost's plugin
//! KV semantics exactly (`KVSetWithOptions`), so that the same rules hold on every host.

#[cfg(any(test, feature = "memory-host"))]
pub mod memory;

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest KV key Mattermost accepts, in characters.
pub const MAX_KEY_CHARS: usize = 150;

/// Most keys one [`Host::kv_get_many`] call takes: a bound on one statement's size, far above the
/// handful a request reads ahead.
pub const MAX_KEYS_PER_GET: usize = 100;

/// A failure reported by the host: a refused or failed I/O call. Its message is meant for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostError(pub String);

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HostError {}

pub type HostResult<T> = Result<T, HostError>;

/// When a KV write takes effect (Mattermost's `Atomic` / `OldValue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KvCondition<'a> {
    /// Plain upsert; resets the expiry.
    Always,
    /// Atomic insert: only when the key is absent (an expired key counts as absent). Never with
    /// `value: None`, as in Mattermost: nothing is stored as null, so there is nothing to delete.
    Absent,
    /// Atomic compare-and-set (or compare-and-delete when the new value is `None`): only when the
    /// stored, unexpired value equals this one.
    Equals(&'a [u8]),
}

/// One KV write: `value: None` deletes.
#[derive(Debug, Clone, Copy)]
pub struct KvWrite<'a> {
    pub value: Option<&'a [u8]>,
    pub condition: KvCondition<'a>,
    /// Hide the key this many seconds after the write; `None` keeps it until deleted.
    pub expire_in_seconds: Option<u32>,
}

impl<'a> KvWrite<'a> {
    pub fn set(value: &'a [u8]) -> Self {
        KvWrite { value: Some(value), condition: KvCondition::Always, expire_in_seconds: None }
    }

    pub fn insert(value: &'a [u8]) -> Self {
        KvWrite { value: Some(value), condition: KvCondition::Absent, expire_in_seconds: None }
    }

    pub fn compare_and_set(old: &'a [u8], new: Option<&'a [u8]>) -> Self {
        KvWrite { value: new, condition: KvCondition::Equals(old), expire_in_seconds: None }
    }

    pub fn expiring_in(mut self, seconds: u32) -> Self {
        self.expire_in_seconds = Some(seconds);
        self
    }
}

/// Checks a KV key as Mattermost does: 1 to 150 characters, counted in code points as Go's
/// `utf8.RuneCountInString`. Nor may it hold NUL, which PostgreSQL text cannot store.
pub fn check_key(key: &str) -> HostResult<()> {
    let chars = key.chars().count();
    if chars == 0 || chars > MAX_KEY_CHARS {
        return Err(HostError(format!("KV key must be 1 to {MAX_KEY_CHARS} characters, got {chars}")));
    }
    if key.contains('\0') {
        return Err(HostError("KV key must not contain NUL".into()));
    }
    Ok(())
}

/// Checks the keys of one [`Host::kv_get_many`] call: at most [`MAX_KEYS_PER_GET`] of them, each
/// one a key [`check_key`] accepts.
pub fn check_keys(keys: &[&str]) -> HostResult<()> {
    if keys.len() > MAX_KEYS_PER_GET {
        return Err(HostError(format!(
            "KV get of at most {MAX_KEYS_PER_GET} keys per call, got {}",
            keys.len()
        )));
    }
    keys.iter().try_for_each(|key| check_key(key))
}

/// [`Host::kv_get_many`] as N single gets, for a host that has no multi-key read (Mattermost's
/// plugin API has none): the same answers, one round trip per key.
pub async fn kv_get_each<H: Host + ?Sized>(host: &H, keys: &[&str]) -> HostResult<Vec<Option<Vec<u8>>>> {
    // Checked first, as one call does: a bad key anywhere refuses the whole call, nothing read.
    check_keys(keys)?;
    let mut values = Vec::with_capacity(keys.len());
    for key in keys {
        values.push(host.kv_get(key).await?);
    }
    Ok(values)
}

/// An outbound HTTP request. The host applies its own timeout, size limit, no-redirect and
/// private-address rules on top of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub timeout_ms: Option<u32>,
    /// A response body longer than this is refused (the host's own limit still applies).
    pub max_response_bytes: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A user of the chat server, as Mattermost's user JSON (the fields the plugin reads).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct User {
    pub id: String,
    pub username: String,
    pub email: String,
    pub email_verified: bool,
    pub first_name: String,
    pub last_name: String,
    pub nickname: String,
    pub roles: String,
    pub delete_at: i64,
}

impl User {
    pub fn is_active(&self) -> bool {
        self.delete_at == 0
    }
}

/// An RSA public key as a JWK's members (RFC 7518 §6.3.1): the modulus and the exponent, unsigned
/// big-endian, base64url without padding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsaPublicJwk {
    pub n: String,
    pub e: String,
}

/// A signing key pair the host made. Its `Debug` shows nothing of the private key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeyPair {
    /// The private key, PKCS #8 DER: a secret, which the plugin keeps sealed in its KV store.
    pub private_pkcs8: Vec<u8>,
    pub public: RsaPublicJwk,
}

impl fmt::Debug for SigningKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyPair").field("public", &self.public).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// What the plugin asks of the server.
///
/// `async fn` without a `Send` bound on purpose: the wasm module is single-threaded and its
/// futures wrap JS promises, which are not `Send`.
#[allow(async_fn_in_trait)]
pub trait Host {
    async fn kv_get(&self, key: &str) -> HostResult<Option<Vec<u8>>>;
    /// The values of `keys` in their order, each exactly as [`Host::kv_get`] gives it (`None` for
    /// a missing or expired key; a key asked twice answered twice), in one round trip (one SQL
    /// statement on the reference server). At most [`MAX_KEYS_PER_GET`] keys; an invalid key, or
    /// too many, refuses the whole call. The plugin never relies on the values being read at one
    /// instant, so a host without a multi-key read (Mattermost's plugin API has none) keeps this
    /// default, N single gets ([`kv_get_each`]): the plugin works the same, with more round trips.
    async fn kv_get_many(&self, keys: &[&str]) -> HostResult<Vec<Option<Vec<u8>>>> {
        kv_get_each(self, keys).await
    }
    /// Returns whether the write took effect (always true for [`KvCondition::Always`]).
    async fn kv_set(&self, key: &str, write: KvWrite<'_>) -> HostResult<bool>;
    async fn kv_delete(&self, key: &str) -> HostResult<()>;
    /// Keys in ascending order, without expired ones, `per_page` at a time.
    async fn kv_list(&self, page: u32, per_page: u32) -> HostResult<Vec<String>>;
    async fn http_fetch(&self, request: FetchRequest) -> HostResult<FetchResponse>;
    async fn get_user(&self, user_id: &str) -> HostResult<Option<User>>;
    async fn has_permission(&self, user_id: &str, permission: &str) -> HostResult<bool>;
    /// Never pass a secret, token or code here: hosts write these lines as they are.
    fn log(&self, level: LogLevel, message: &str, fields: &[(&str, &str)]);
    /// The at-rest encryption key (Mattermost's `SqlSettings.AtRestEncryptKey`, or the host's own),
    /// which the database never holds; the plugin derives its sealing key from it.
    async fn at_rest_key(&self) -> HostResult<Vec<u8>>;
    /// A new RS256 signing key (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) with a 2048-bit
    /// modulus and the exponent 65537. The host keeps no copy and never logs it: the plugin seals
    /// the private key in its KV store and hands it back to [`Host::sign_rs256`].
    async fn generate_signing_key(&self) -> HostResult<SigningKeyPair>;
    /// The RSASSA-PKCS1-v1_5 SHA-256 signature of `message` under `private_pkcs8` (PKCS #8 DER).
    async fn sign_rs256(&self, private_pkcs8: &[u8], message: &[u8]) -> HostResult<Vec<u8>>;
    /// The public half of `private_pkcs8`: for keys stored before the host made them, which the
    /// plugin stored without it.
    async fn signing_public_key(&self, private_pkcs8: &[u8]) -> HostResult<RsaPublicJwk>;
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;
    /// Waits `millis` milliseconds, letting other work run meanwhile.
    async fn sleep(&self, millis: u32);
}
