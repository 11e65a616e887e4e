//! The provider's signing keys: RS256 (RFC 7518 §3.3, which OpenID Connect Core §15.1 requires),
//! made on first activation, the private keys sealed at rest (the key ring is a sealed record), and
//! published as a JWK Set (RFC 7517 §5).
//!
//! Rotation makes a new current key; the previous ones stay published until every token signed
//! with them has expired (the longer of the ID token and the access token lifetimes after their
//! retirement), then they are dropped. The signature is the `rsa` crate's RSASSA-PKCS1-v1_5 with
//! SHA-256; this module only assembles the JWS Compact Serialization around it (RFC 7515 §7.1).

use crate::context::Context;
use crate::host::Host;
use crate::store::{keys, StoreError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::rand_core::{CryptoRng, RngCore};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// The longest any token this server signs lives: ID tokens, and JWT access tokens (which,
/// checked where no revocation reaches, must not live long). A retired key stays published so long.
pub const SIGNED_TOKEN_LIFETIME_SECONDS: i64 = 3600;
/// NIST SP 800-57's minimum for RSA today; what RFC 7518 §3.3 asks at least.
const RSA_BITS: usize = 2048;
pub const ALGORITHM: &str = "RS256";

#[derive(Debug)]
pub enum SigningError {
    Storage(StoreError),
    /// No signing key yet (the plugin was not activated).
    NoKey,
    /// A key could not be made or read back.
    Key(String),
}

impl fmt::Display for SigningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigningError::Storage(error) => error.fmt(f),
            SigningError::NoKey => f.write_str("there is no signing key"),
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
}

/// The platform's CSPRNG (crypto.getRandomValues in wasm) as the `rsa` crate takes randomness.
struct SystemRng;

impl RngCore for SystemRng {
    fn next_u32(&mut self) -> u32 {
        u32::from_le_bytes(crate::ids::random_bytes())
    }
    fn next_u64(&mut self) -> u64 {
        u64::from_le_bytes(crate::ids::random_bytes())
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // As ids::random_bytes: without the system generator no key can be made safely.
        getrandom::fill(dest).expect("system random number generator");
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for SystemRng {}

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

fn public_jwk(kid: &str, public: &RsaPublicKey) -> Jwk {
    Jwk {
        kty: "RSA",
        usage: "sig",
        alg: ALGORITHM,
        kid: kid.to_owned(),
        n: b64(&public.n().to_bytes_be()),
        e: b64(&public.e().to_bytes_be()),
    }
}

/// RFC 7638 §3: the key's thumbprint, which names it.
fn thumbprint(public: &RsaPublicKey) -> String {
    let jwk = public_jwk("", public);
    let canonical = format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, jwk.e, jwk.n);
    b64(&Sha256::digest(canonical.as_bytes()))
}

fn new_key(now: i64) -> Result<StoredKey, SigningError> {
    let private =
        RsaPrivateKey::new(&mut SystemRng, RSA_BITS).map_err(|e| SigningError::Key(e.to_string()))?;
    let der = private.to_pkcs8_der().map_err(|e| SigningError::Key(e.to_string()))?;
    Ok(StoredKey {
        kid: thumbprint(&private.to_public_key()),
        created_at: now,
        retired_at: None,
        private_pkcs8: b64(der.as_bytes()),
    })
}

fn private_key(key: &StoredKey) -> Result<RsaPrivateKey, SigningError> {
    let der = URL_SAFE_NO_PAD.decode(&key.private_pkcs8).map_err(|e| SigningError::Key(e.to_string()))?;
    RsaPrivateKey::from_pkcs8_der(&der).map_err(|e| SigningError::Key(e.to_string()))
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
    let first = KeyRing { v: 1, keys: vec![new_key(ctx.host.now_millis())?] };
    Ok(ctx.store().insert(keys::SIGNING_KEYS, &first).await?)
}

/// A new current key; the previous ones are retired now, and those whose tokens have all expired
/// are dropped. Returns the new key's id.
pub async fn rotate<H: Host>(ctx: &Context<'_, H>) -> Result<String, SigningError> {
    let now = ctx.host.now_millis();
    // Made before the write: key generation is slow, and the update may run its change again.
    let fresh = new_key(now)?;
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
        published.push(public_jwk(&key.kid, &private_key(key)?.to_public_key()));
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
    let signer = SigningKey::<Sha256>::new(private_key(current)?);
    let signature = signer.sign(input.as_bytes()).to_bytes();
    Ok(format!("{input}.{}", b64(&signature)))
}
