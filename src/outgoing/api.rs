//! The outgoing connections REST API, as Mattermost's `/api/v4/oauth/outgoing_connections`
//! (so that Client4's `*OutgoingOAuthConnection*` methods work unchanged).

use super::connection::{Connection, ConnectionInput, Invalid};
use super::registry::{self, Refusal};
use super::token;
use crate::context::Context;
use crate::host::Host;
use crate::http::{invalid_param, json_body, AppError, Params, Request, Response};
use crate::ids::{ConnectionId, UserId};

pub const MANAGE_CONNECTIONS: &str = "manage_outgoing_oauth_connections";
pub const MANAGE_SLASH_COMMANDS: &str = "manage_slash_commands";
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;

/// The one mapping of the connection rules' refusals to Mattermost's errors (ids as Mattermost's).
impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        let (status, id) = match &refusal {
            Refusal::Invalid(invalid) => (400, invalid_field_id(invalid)),
            Refusal::AudienceClaimed { .. } => {
                (409, "app.outgoing_oauth_connection.audience_claimed.app_error")
            }
            Refusal::Busy => (409, "app.outgoing_oauth_connection.busy.app_error"),
            Refusal::Storage(_) => return AppError::internal(refusal),
        };
        AppError::new(status, id, refusal.to_string())
    }
}

impl From<Invalid> for AppError {
    fn from(invalid: Invalid) -> Self {
        Refusal::Invalid(invalid).into()
    }
}

fn invalid_field_id(invalid: &Invalid) -> &'static str {
    match invalid {
        Invalid::Name => "model.outgoing_oauth_connection.is_valid.name.error",
        Invalid::ClientId => "model.outgoing_oauth_connection.is_valid.client_id.error",
        Invalid::ClientSecret | Invalid::SecretNotResent => {
            "model.outgoing_oauth_connection.is_valid.client_secret.error"
        }
        Invalid::PasswordCredentials | Invalid::PasswordNotResent => {
            "model.outgoing_oauth_connection.is_valid.password_credentials.error"
        }
        Invalid::TokenUrl => "model.outgoing_oauth_connection.is_valid.oauth_token_url.error",
        Invalid::GrantType(_) => "model.outgoing_oauth_connection.is_valid.grant_type.error",
        Invalid::AudienceCount => "model.outgoing_oauth_connection.is_valid.audience.empty",
        Invalid::Audience(_) | Invalid::AudienceTwice(_) => {
            "model.outgoing_oauth_connection.is_valid.audience.error"
        }
    }
}

async fn existing<H: Host>(ctx: &Context<'_, H>, id: &ConnectionId) -> Result<Connection, AppError> {
    registry::get(ctx, id).await?.ok_or_else(|| {
        AppError::new(
            404,
            "app.outgoing_oauth_connection.get.not_found.app_error",
            "Outgoing OAuth connection not found.",
        )
    })
}

/// `GET …?team_id&limit|per_page&from_id|page&audience`: managers see client ids; those who may
/// only manage slash commands see the rest (the slash command form's "Connected to" hint).
pub async fn list<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    user_id: &UserId,
) -> Result<Response, AppError> {
    let is_manager = ctx.has_permission(user_id, MANAGE_CONNECTIONS).await;
    if !is_manager {
        ctx.require_permission(user_id, MANAGE_SLASH_COMMANDS).await?;
    }
    let params = Params::parse(request.query.as_bytes()).map_err(|_| invalid_param("query"))?;
    if let Some(audience) = params.get("audience") {
        let found = registry::for_url(ctx, audience).await?;
        let views: Vec<_> = found.iter().map(|c| c.view(is_manager)).collect();
        return Ok(Response::json(200, &views));
    }
    let number = |name: &str| {
        params.get(name).map(|v| crate::http::query_count(v).ok_or_else(|| invalid_param(name))).transpose()
    };
    let limit = number("limit")?.or(number("per_page")?).unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::new(
            400,
            "api.context.outgoing_oauth_connection.list_connections.input_error",
            "limit must be between 1 and 100.",
        ));
    }
    let skip = number("page")?.unwrap_or(0).saturating_mul(limit);
    let found = registry::list(ctx, params.get("from_id"), skip, limit).await?;
    let views: Vec<_> = found.iter().map(|c| c.view(is_manager)).collect();
    Ok(Response::json(200, &views))
}

/// The routes from here on are for holders of [`MANAGE_CONNECTIONS`].
pub async fn get<H: Host>(ctx: &Context<'_, H>, id: &str) -> Result<Response, AppError> {
    Ok(Response::json(200, &existing(ctx, &ConnectionId::new(id)).await?.view(true)))
}

pub async fn create<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    user_id: &UserId,
) -> Result<Response, AppError> {
    let input: ConnectionInput = json_body(request, "outgoing_oauth_connection")?;
    let connection = Connection::create(ConnectionId::random(), user_id, ctx.host.now_millis(), input)?;
    registry::save(ctx, &connection, None).await?;
    Ok(Response::json(201, &connection.view(true)))
}

/// `PUT /{id}`: a patch; the body's id, when given, must be the URL's.
pub async fn update<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    id: &str,
) -> Result<Response, AppError> {
    let input: ConnectionInput = json_body(request, "outgoing_oauth_connection")?;
    if !input.id.is_empty() && input.id != id {
        return Err(invalid_param("id"));
    }
    let current = existing(ctx, &ConnectionId::new(id)).await?;
    let updated = current.patched(ctx.host.now_millis(), input)?;
    registry::save(ctx, &updated, Some(&current)).await?;
    token::forget(ctx, &updated.id).await;
    Ok(Response::json(200, &updated.view(true)))
}

pub async fn delete<H: Host>(ctx: &Context<'_, H>, id: &str) -> Result<Response, AppError> {
    let connection = existing(ctx, &ConnectionId::new(id)).await?;
    registry::delete(ctx, &connection.id).await?;
    Ok(Response::json(200, &serde_json::json!({"status": "OK"})))
}

/// `POST /validate`: asks the token server for a token with these settings (with the stored
/// secret and password when `id` is given and they are left empty). 400 for settings that are
/// not valid, 502 with the server's answer when no token comes back.
pub async fn validate<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    user_id: &UserId,
) -> Result<Response, AppError> {
    let input: ConnectionInput = json_body(request, "outgoing_oauth_connection")?;
    let now = ctx.host.now_millis();
    let candidate = if input.id.is_empty() {
        Connection::create(ConnectionId::random(), user_id, now, input)?
    } else {
        existing(ctx, &ConnectionId::new(input.id.as_str())).await?.patched(now, input)?
    };
    token::fetch(ctx, &candidate).await.map_err(|reason| {
        AppError::new(
            502,
            "app.outgoing_oauth_connection.validate.token_error.app_error",
            format!("Connection not validated: {reason}."),
        )
    })?;
    Ok(Response::json(200, &serde_json::json!({"status": "OK"})))
}
