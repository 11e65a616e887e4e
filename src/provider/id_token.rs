//! OpenID Connect ID tokens (Core §2, §3.1.3.6) and the user's claims by scope (Core §5.4), which
//! UserInfo returns too.

use super::grants::{IssuedTokens, Subject};
use super::scope::{self, EMAIL, PROFILE};
use super::signing::{self, SigningError, SIGNED_TOKEN_LIFETIME_SECONDS};
use crate::context::Context;
use crate::host::{Host, HostError, User};
use crate::ids::{ClientId, UserId};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;

/// Why no ID token could be made: never the client's fault.
#[derive(Debug)]
pub enum IdTokenError {
    Signing(SigningError),
    UserLookup(HostError),
    /// The user went away between the grant and now.
    UserGone,
}

impl fmt::Display for IdTokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdTokenError::Signing(error) => error.fmt(f),
            IdTokenError::UserLookup(error) => write!(f, "looking up the user failed: {error}"),
            IdTokenError::UserGone => f.write_str("the user is gone"),
        }
    }
}

/// The standard claims of `scope` from the user (Core §5.1, §5.4); empty ones are left out (§5.3.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

/// The claims [`UserClaims`] can hold, as the discovery document lists them with `sub` and the
/// ID token's own.
pub const CLAIMS_SUPPORTED: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "azp",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "preferred_username",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "email",
    "email_verified",
];

fn present(value: &str) -> Option<String> {
    Some(value.trim().to_owned()).filter(|v| !v.is_empty())
}

pub fn user_claims(user: &User, granted: &str) -> UserClaims {
    let mut claims = UserClaims::default();
    if scope::has(granted, PROFILE) {
        claims.preferred_username = present(&user.username);
        claims.name = present(&format!("{} {}", user.first_name, user.last_name));
        claims.given_name = present(&user.first_name);
        claims.family_name = present(&user.last_name);
        claims.nickname = present(&user.nickname);
    }
    if scope::has(granted, EMAIL) {
        claims.email = present(&user.email);
        claims.email_verified = claims.email.is_some().then_some(user.email_verified);
    }
    claims
}

/// Core §3.1.3.6.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a UserId,
    aud: &'a ClientId,
    azp: &'a ClientId,
    exp: i64,
    iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    at_hash: String,
    #[serde(flatten)]
    user: UserClaims,
}

/// Core §3.1.3.8: the left half of the SHA-256 of the access token, base64url.
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

/// The ID token for `tokens`, when their scope has `openid`.
pub async fn for_tokens<H: Host>(
    ctx: &Context<'_, H>,
    tokens: &IssuedTokens,
) -> Result<Option<String>, IdTokenError> {
    if !scope::has(&tokens.scope, scope::OPENID) {
        return Ok(None);
    }
    let Subject { user_id, client_id, auth_time, nonce } = &tokens.subject;
    let user = ctx.host.get_user(user_id.as_str()).await.map_err(IdTokenError::UserLookup)?;
    let user = user.ok_or(IdTokenError::UserGone)?;
    let now = ctx.host.now_millis() / 1000;
    let claims = Claims {
        iss: ctx.config.issuer(),
        sub: user_id,
        aud: client_id,
        azp: client_id,
        exp: now + SIGNED_TOKEN_LIFETIME_SECONDS,
        iat: now,
        auth_time: auth_time.map(|ms| ms / 1000),
        nonce: nonce.as_deref(),
        at_hash: at_hash(tokens.access_token.secret()),
        user: user_claims(&user, &tokens.scope),
    };
    let signed = signing::sign(ctx, "JWT", &claims).await.map_err(IdTokenError::Signing)?;
    Ok(Some(signed))
}
