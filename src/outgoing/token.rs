//! Getting a token from the integration's OAuth server: the client credentials grant (RFC 6749
//! §4.4) or the password grant (§4.3), `client_secret_post` as Mattermost sends it, through
//! [`crate::oauth_client`]. A token is fetched for every request, as Mattermost documents, unless
//! the connection caches tokens: then one is reused until shortly before it expires.

use super::connection::Connection;
use crate::context::Context;
use crate::grant_type::GrantType;
use crate::host::Host;
use crate::ids::{AuthorizationHeader, ConnectionId};
use crate::oauth_client::{request_token, TokenError};
use crate::store::keys;
use serde::{Deserialize, Serialize};

/// A cached token is dropped this long before the server said it expires, so that a request never
/// leaves with a token about to lapse on the way.
pub const CACHE_MARGIN_SECONDS: i64 = 30;
/// Without `expires_in`, a cached token is kept this long.
pub const CACHE_DEFAULT_SECONDS: i64 = 300;

#[derive(Debug, Serialize, Deserialize)]
struct CachedToken {
    v: u32,
    header: AuthorizationHeader,
}

/// A token for `connection` as an `Authorization` header value (`<token_type> <access_token>`).
pub async fn authorization_header<H: Host>(
    ctx: &Context<'_, H>,
    connection: &Connection,
) -> Result<AuthorizationHeader, TokenError> {
    let store = ctx.store();
    let cache_key = keys::outgoing_token(&connection.id);
    if connection.cache_tokens {
        if let Ok(Some(cached)) = store.get::<CachedToken>(&cache_key).await {
            return Ok(cached.header);
        }
    }
    let (header, expires_in) = fetch(ctx, connection).await?;
    if connection.cache_tokens {
        let keep = expires_in.map_or(CACHE_DEFAULT_SECONDS, |s| s - CACHE_MARGIN_SECONDS);
        if keep > 0 {
            // A cache that cannot be written only costs a fetch next time.
            let _ = store
                .put(&cache_key, &CachedToken { v: 1, header: header.clone() }, Some(keep.min(86_400) as u32))
                .await;
        }
    }
    Ok(header)
}

/// Forgets a cached token (after the connection's settings change).
pub async fn forget<H: Host>(ctx: &Context<'_, H>, connection_id: &ConnectionId) {
    let _ = ctx.store().delete(&keys::outgoing_token(connection_id)).await;
}

/// Asks the token server; returns the header value and the token's lifetime in seconds.
pub async fn fetch<H: Host>(
    ctx: &Context<'_, H>,
    connection: &Connection,
) -> Result<(AuthorizationHeader, Option<i64>), TokenError> {
    let mut form = vec![
        ("client_id", connection.client_id.as_str()),
        ("client_secret", connection.client_secret.secret().as_str()),
    ];
    if connection.grant_type == GrantType::Password {
        form.push(("username", &connection.credentials_username));
        form.push(("password", connection.credentials_password.secret()));
    }
    let token = request_token(ctx, &connection.oauth_token_url, connection.grant_type, &form).await?;
    Ok((AuthorizationHeader::new(token.header_value()), token.expires_in))
}
