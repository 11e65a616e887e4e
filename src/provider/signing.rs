//! The provider's signing keys: RS256 (RFC 7518 §3.3, which OpenID Connect Core §15.1 requires),
//! made on first activation, the private keys sealed at rest (the key ring is a sealed record), and
//! published as a JWK Set (RFC 7517 §5).
//!
//! Rotation makes a new current key; the previous ones stay published until every token signed
//! with them has expired (the longer of the ID token and the access token lifetimes after their
//! retirement), then they are dropped. The RSA operations are the host's (`Host::generate_signing_key`,
//! `Host::sign_rs256`: WebCrypto's or the platform's own, fast where RSA in wasm is slow); this
//! module keeps the keys and assembles the JWS Compact Serialization around the signature (RFC 7515 §7.1).

use crate::context::Context;
use crate::host::{Host, HostError, RsaPublicJwk};
use crate::store::{keys, StoreError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// The longest any token this server signs lives: ID tokens, and JWT access tokens (which,
/// checked where no revocation reaches, must not live long). A retired key stays published so long.
pub const SIGNED_TOKEN_LIFETIME_SECONDS: i64 = 3600;
/// NIST SP 800-57's minimum for RSA today, and RFC 7518 §3.3's: 2048 bits. A key from the host
/// with a shorter modulus is refused.
const MIN_MODULUS_BYTES: usize = 256;
pub const ALGORITHM: &str = "RS256";

#[derive(Debug)]
pub enum SigningError {
    Storage(StoreError),
    /// No signing key yet (the plugin was not activated).
    NoKey,
    /// The host could not make a key, sign or read a key's public half.
    Host(HostError),
    /// A key (stored, or from the host) that is not what it must be.
    Key(&'static str),
}

impl fmt::Display for SigningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigningError::Storage(error) => error.fmt(f),
            SigningError::NoKey => f.write_str("there is no signing key"),
            SigningError::Host(error) => write!(f, "signing key: {error}"),
            SigningError::Key(reason) => write!(f, "signing key: {reason}"),
        }
    }
}

impl From<StoreError> for SigningError {
    fn from(error: StoreError) -> Self {
        SigningError::Storage(error)
    }
}

/// The keys, the current one first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct KeyRing {
    v: u32,
    keys: Vec<StoredKey>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredKey {
    kid: String,
    created_at: i64,
    /// When a newer key replaced it: it verifies tokens until they have expired.
    #[serde(default)]
    retired_at: Option<i64>,
    /// PKCS #8 DER, base64url: a secret (the ring is sealed at rest).
    private_pkcs8: String,
    /// The public key; keys made before the host made them have none stored, and the host derives
    /// it from the private key when the key is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public: Option<RsaPublicJwk>,
}

/// A public key as a JWK (RFC 7517 §4, RFC 7518 §6.3.1).
#[derive(Debug, Clone, Serialize)]
pub struct Jwk {
    pub kty: &'static str,
    #[serde(rename = "use")]
    pub usage: &'static str,
    pub alg: &'static str,
    pub kid: String,
    pub n: String,
    pub e: String,
}

/// RFC 7517 §5.
#[derive(Debug, Clone, Serialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Our headers and claims are plain structs: encoding them cannot fail.
fn json_b64<T: Serialize + ?Sized>(value: &T) -> String {
    b64(&serde_json::to_vec(value).unwrap_or_default())
}

/// An unsigned big-endian integer in base64url without leading zero octets (RFC 7518 §6.3.1.1), so
/// that the thumbprint of a key is the same whoever encoded it; `None` when it is not base64url
/// or is zero.
fn canonical_integer(encoded: &str) -> Option<(String, usize)> {
    let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
    let significant = &bytes[bytes.iter().position(|b| *b != 0)?..];
    Some((b64(significant), significant.len()))
}

/// The host's public key, checked and in canonical form: a modulus of 2048 bits or more, and an
/// exponent that fits the 64 bits no real key's exceeds.
fn checked_public(public: &RsaPublicJwk) -> Result<RsaPublicJwk, SigningError> {
    let (n, modulus_bytes) =
        canonical_integer(&public.n).ok_or(SigningError::Key("the modulus is not base64url"))?;
    let (e, exponent_bytes) =
        canonical_integer(&public.e).ok_or(SigningError::Key("the exponent is not base64url"))?;
    if modulus_bytes < MIN_MODULUS_BYTES {
        return Err(SigningError::Key("the modulus is shorter than 2048 bits"));
    }
    if exponent_bytes > 8 {
        return Err(SigningError::Key("the exponent is longer than 64 bits"));
    }
    Ok(RsaPublicJwk { n, e })
}

fn public_jwk(kid: &str, public: RsaPublicJwk) -> Jwk {
    Jwk { kty: "RSA", usage: "sig", alg: ALGORITHM, kid: kid.to_owned(), n: public.n, e: public.e }
}

/// RFC 7638 §3: the key's thumbprint, which names it.
fn thumbprint(public: &RsaPublicJwk) -> String {
    let canonical = format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, public.e, public.n);
    b64(&Sha256::digest(canonical.as_bytes()))
}

async fn new_key<H: Host>(ctx: &Context<'_, H>, now: i64) -> Result<StoredKey, SigningError> {
    let made = ctx.host.generate_signing_key().await.map_err(SigningError::Host)?;
    let public = checked_public(&made.public)?;
    Ok(StoredKey {
        kid: thumbprint(&public),
        created_at: now,
        retired_at: None,
        private_pkcs8: b64(&made.private_pkcs8),
        public: Some(public),
    })
}

fn private_pkcs8(key: &StoredKey) -> Result<Vec<u8>, SigningError> {
    URL_SAFE_NO_PAD
        .decode(&key.private_pkcs8)
        .map_err(|_| SigningError::Key("the stored private key is not base64url"))
}

/// A key's public half: stored with it, or (for a key made before the host made keys) derived
/// from its private key by the host.
async fn public_key<H: Host>(ctx: &Context<'_, H>, key: &StoredKey) -> Result<RsaPublicJwk, SigningError> {
    match &key.public {
        Some(public) => Ok(public.clone()),
        None => {
            let public =
                ctx.host.signing_public_key(&private_pkcs8(key)?).await.map_err(SigningError::Host)?;
            checked_public(&public)
        }
    }
}

/// How long a retired key stays published: until the last token it signed has expired.
const RETENTION_MILLIS: i64 = SIGNED_TOKEN_LIFETIME_SECONDS * 1000;

fn still_verifies(key: &StoredKey, now: i64) -> bool {
    key.retired_at.is_none_or(|retired| retired + RETENTION_MILLIS > now)
}

async fn ring<H: Host>(ctx: &Context<'_, H>) -> Result<KeyRing, SigningError> {
    Ok(ctx.store().get::<KeyRing>(keys::SIGNING_KEYS).await?.unwrap_or_default())
}

/// At activation: makes the first key unless there is one. Of several nodes activating at once,
/// one key wins (an atomic insert) and the others' are dropped. Returns whether it made one.
pub async fn ensure_key<H: Host>(ctx: &Context<'_, H>) -> Result<bool, SigningError> {
    if !ring(ctx).await?.keys.is_empty() {
        return Ok(false);
    }
    let first = KeyRing { v: 1, keys: vec![new_key(ctx, ctx.host.now_millis()).await?] };
    Ok(ctx.store().insert(keys::SIGNING_KEYS, &first).await?)
}

/// A new current key; the previous ones are retired now, and those whose tokens have all expired
/// are dropped. Returns the new key's id.
pub async fn rotate<H: Host>(ctx: &Context<'_, H>) -> Result<String, SigningError> {
    let now = ctx.host.now_millis();
    // Made before the write: the update may run its change again.
    let fresh = new_key(ctx, now).await?;
    let kid = fresh.kid.clone();
    ctx.store()
        .update::<KeyRing, _>(keys::SIGNING_KEYS, |current| {
            let mut keys = vec![fresh.clone()];
            for mut key in current.unwrap_or_default().keys {
                key.retired_at.get_or_insert(now);
                if still_verifies(&key, now) {
                    keys.push(key);
                }
            }
            Some(KeyRing { v: 1, keys })
        })
        .await?;
    Ok(kid)
}

/// The public keys that verify tokens still valid: the current key and the retired ones kept.
pub async fn jwks<H: Host>(ctx: &Context<'_, H>) -> Result<Jwks, SigningError> {
    let now = ctx.host.now_millis();
    let mut published = Vec::new();
    for key in ring(ctx).await?.keys.iter().filter(|k| still_verifies(k, now)) {
        published.push(public_jwk(&key.kid, public_key(ctx, key).await?));
    }
    Ok(Jwks { keys: published })
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    typ: &'a str,
    kid: &'a str,
}

/// `claims` as a JWS Compact Serialization (RFC 7515 §7.1) signed with the current key: `typ`
/// is "JWT" for ID tokens, "at+jwt" for access tokens (RFC 9068 §2.1).
pub async fn sign<H: Host>(
    ctx: &Context<'_, H>,
    typ: &str,
    claims: &impl Serialize,
) -> Result<String, SigningError> {
    let ring = ring(ctx).await?;
    let current = ring.keys.first().ok_or(SigningError::NoKey)?;
    let header = Header { alg: ALGORITHM, typ, kid: &current.kid };
    let input = format!("{}.{}", json_b64(&header), json_b64(claims));
    let signature =
        ctx.host.sign_rs256(&private_pkcs8(current)?, input.as_bytes()).await.map_err(SigningError::Host)?;
    // RFC 8017 §8.2.1: the signature is as long as the modulus (2048 bits or more).
    if signature.len() < MIN_MODULUS_BYTES {
        return Err(SigningError::Key("the host's signature is too short"));
    }
    Ok(format!("{input}.{}", b64(&signature)))
}
