//! Which tokens are in force: the one rule for access tokens (introspection, revocation, the chat
//! API, UserInfo and the app store's sessions ask here) and the grant a refresh token belongs to.
//! A token is valid only while its grant names it as current (see `grants`).

use super::client_metadata;
use super::clients::Client;
use super::grants::{active_user, grant_of, live_grant, Failure, Grant};
use crate::context::Context;
use crate::host::{Host, User};
use crate::ids::SecretHash;
use crate::store::keys;

/// An access token that is valid: what it grants, to which app, for which user.
#[derive(Debug, Clone)]
pub struct ValidToken {
    pub grant: Grant,
    pub client: Client,
    pub user: User,
}

/// The one rule for whether an access token is valid: it is current for a live grant (not
/// revoked, not deauthorized), unexpired, its app still exists and its user is active.
/// Introspection, revocation and [`chat_api_token`] ask here.
pub async fn valid_access_token<H: Host>(
    ctx: &Context<'_, H>,
    token: &str,
) -> Result<Option<ValidToken>, Failure> {
    let hash = SecretHash::of(token);
    let Some((grant_id, _)) = grant_of(ctx, token, keys::access_token).await? else {
        return Ok(None);
    };
    let app = |grant: &Grant| client_metadata::record_key(ctx, &grant.client_id);
    let Some(grant) = live_grant(ctx, &grant_id, app).await? else {
        return Ok(None);
    };
    if grant.access_hash != hash || grant.access_expires_at <= ctx.host.now_millis() {
        return Ok(None);
    }
    let Some(client) = client_metadata::known(ctx, &grant.client_id).await? else {
        return Ok(None);
    };
    let Some(user) = active_user(ctx, &grant.user_id).await? else {
        return Ok(None);
    };
    Ok(Some(ValidToken { grant, client, user }))
}

impl ValidToken {
    /// Whether the token is meant for the resource `identifier` (RFC 8707): one asked for no
    /// resource is the chat server's alone.
    pub fn is_for<H: Host>(&self, ctx: &Context<'_, H>, identifier: &str) -> bool {
        self.grant.access_audience.admits(identifier, ctx.config.issuer())
    }
}

/// A valid access token that the chat server's own API takes: one meant for it (RFC 8707; RFC 6750
/// §3.1 `invalid_token` otherwise). The API (through the host), UserInfo and the app store's app
/// sessions ask here.
pub async fn chat_api_token<H: Host>(
    ctx: &Context<'_, H>,
    token: &str,
) -> Result<Option<ValidToken>, Failure> {
    let valid = valid_access_token(ctx, token).await?;
    Ok(valid.filter(|valid| valid.is_for(ctx, ctx.config.issuer())))
}

/// The grant a refresh token currently belongs to (not a rotated one).
pub async fn resolve_refresh_token<H: Host>(
    ctx: &Context<'_, H>,
    token: &str,
) -> Result<Option<Grant>, Failure> {
    let hash = SecretHash::of(token);
    let Some((grant_id, _)) = grant_of(ctx, token, keys::refresh_token).await? else {
        return Ok(None);
    };
    let grant = live_grant(ctx, &grant_id, |_| None).await?;
    Ok(grant.filter(|g| g.refresh_hash.as_ref() == Some(&hash)))
}
