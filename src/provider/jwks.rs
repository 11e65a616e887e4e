//! The signing keys' endpoints: the JWK Set (RFC 7517 §5) that OpenID Connect's `jwks_uri` names,
//! and their rotation by a system admin.

use super::signing;
use crate::context::Context;
use crate::host::{Host, LogLevel};
use crate::http::{AppError, Response};
use crate::ids::UserId;

/// `GET /oauth/jwks`, open to any origin.
pub async fn serve<H: Host>(ctx: &Context<'_, H>) -> Result<Response, AppError> {
    let jwks = signing::jwks(ctx).await.map_err(AppError::internal)?;
    Ok(Response::json(200, &jwks))
}

/// `POST /plugins/oauth-plugin/api/v1/signing_keys/rotate`: a new current key, `{"kid": …}`.
pub async fn rotate<H: Host>(ctx: &Context<'_, H>, user_id: &UserId) -> Result<Response, AppError> {
    let kid = signing::rotate(ctx).await.map_err(AppError::internal)?;
    ctx.host.log(LogLevel::Info, "signing key rotated", &[("kid", &kid), ("user_id", user_id.as_str())]);
    Ok(Response::json(200, &serde_json::json!({ "kid": kid })))
}
