//! Users' authorized apps: `GET /api/v4/users/{user_id}/oauth/apps/authorized` and
//! `POST /oauth/deauthorize` `{client_id}`, as Mattermost's.

use super::client_metadata::is_client_id;
use super::consent;
use crate::access::EDIT_OTHER_USERS;
use crate::context::Context;
use crate::host::Host;
use crate::http::{invalid_param, invalid_url_param, json_body, AppError, Request, Response};
use crate::ids::{is_server_id, ClientId, UserId};
use serde::Deserialize;

/// The apps a user authorized, without secrets: for the user themself or `edit_other_users`.
pub async fn list<H: Host>(
    ctx: &Context<'_, H>,
    caller: &UserId,
    user_id: &str,
) -> Result<Response, AppError> {
    // Mattermost: `me` in a user id parameter is the session's user.
    let user_id = if user_id == "me" { caller.clone() } else { UserId::new(user_id) };
    if !is_server_id(user_id.as_str()) {
        return Err(invalid_url_param("user_id"));
    }
    if *caller != user_id {
        ctx.require_permission(caller, EDIT_OTHER_USERS).await?;
    }
    let found = consent::authorized_apps(ctx, &user_id).await?;
    let views: Vec<_> = found.iter().map(|client| client.view(None)).collect();
    Ok(Response::json(200, &views))
}

#[derive(Deserialize)]
struct DeauthorizeRequest {
    #[serde(default)]
    client_id: String,
}

/// Revokes the caller's tokens and codes for the app and forgets the approval.
pub async fn deauthorize<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    user_id: &UserId,
) -> Result<Response, AppError> {
    let body: DeauthorizeRequest = json_body(request, "client_id")?;
    if !is_client_id(&body.client_id) {
        return Err(invalid_param("client_id"));
    }
    consent::deauthorize(ctx, user_id, &ClientId::new(body.client_id)).await?;
    Ok(Response::json(200, &serde_json::json!({"status": "OK"})))
}
