//! JWT access tokens (RFC 9068) for the protected resources registered to validate tokens
//! themselves, against the server's published keys, instead of asking the introspection endpoint.
//!
//! Such a token is stored like any other (by its hash, pointing at its grant), so revocation,
//! introspection and the chat API treat it exactly as an opaque one; only its text differs.

use super::resource_indicators::{same_resource, Audience};
use super::resources::{self, TokenFormat};
use super::signing::{self, SigningError};
use crate::context::Context;
use crate::host::Host;
use crate::ids::{ClientId, UserId};
use crate::store::StoreResult;
use serde::Serialize;

/// What a token says of whom and what it is for (RFC 9068 §2.2); the server adds `iss`, `iat`
/// and `exp`.
pub struct Grant<'a> {
    /// A fresh secret, so that no two tokens are alike and none can be guessed.
    pub jti: &'a str,
    pub aud: &'a Audience,
    pub sub: &'a UserId,
    pub client_id: &'a ClientId,
    /// §2.2.3.1: the granted scope, as the token response gives it.
    pub scope: &'a str,
    /// §2.2.1: when the user's session authenticated (ms), as in an ID token.
    pub auth_time: Option<i64>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    exp: i64,
    aud: &'a [String],
    sub: &'a UserId,
    client_id: &'a ClientId,
    iat: i64,
    jti: &'a str,
    scope: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_time: Option<i64>,
}

/// Whether tokens for `audience` are JWTs: one of the resources it names was registered with
/// the `jwt` token format. A token without an audience (every Mattermost client's) never is.
pub async fn wanted<H: Host>(ctx: &Context<'_, H>, audience: &Audience) -> StoreResult<bool> {
    let issuer = ctx.config.issuer();
    for identifier in audience.identifiers().iter().filter(|id| !same_resource(id, issuer)) {
        let resource = resources::find_by_identifier(ctx, identifier).await?;
        if resource.is_some_and(|r| r.token_format == TokenFormat::Jwt) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The signed token, valid for `lifetime_seconds`.
pub async fn mint<H: Host>(
    ctx: &Context<'_, H>,
    grant: Grant<'_>,
    lifetime_seconds: i64,
) -> Result<String, SigningError> {
    let now = ctx.host.now_millis() / 1000;
    let claims = Claims {
        iss: ctx.config.issuer(),
        exp: now + lifetime_seconds,
        aud: grant.aud.identifiers(),
        sub: grant.sub,
        client_id: grant.client_id,
        iat: now,
        jti: grant.jti,
        scope: grant.scope,
        auth_time: grant.auth_time.map(|ms| ms / 1000),
    };
    // §2.1: the media type `at+jwt`, so that no ID token passes for an access token.
    signing::sign(ctx, "at+jwt", &claims).await
}
