//! The OAuth apps REST API, as Mattermost's `/api/v4/oauth/apps` (api4/oauth.go): create, list,
//! get, update, delete, regenerate the secret, and the public info of an app.

use super::app_ids;
use super::clients::{self, Actor, Client, ClientInput, Invalid, Refusal};
use crate::access::{self, MANAGE_OAUTH, MANAGE_SYSTEM, MANAGE_SYSTEM_WIDE_OAUTH};
use crate::context::Context;
use crate::host::Host;
use crate::http::{invalid_param, json_body, AppError, Params, Request, Response};
use crate::ids::{ClientId, UserId};
use serde::Serialize;

const DEFAULT_PER_PAGE: usize = 60;
const MAX_PER_PAGE: usize = 200;

/// `POST /api/v4/oauth/apps` (the caller holds `manage_oauth`): 201 with the app and its secret,
/// shown this once.
pub async fn create<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    user_id: &UserId,
) -> Result<Response, AppError> {
    let input: ClientInput = json_body(request, "oauth_app")?;
    let (client, secret) = clients::create(ctx, &actor(ctx, user_id).await, input).await?;
    Ok(Response::json(201, &client.view(secret.as_ref())))
}

/// `GET /api/v4/oauth/apps?page&per_page`: every app for `manage_system_wide_oauth`, else one's own.
pub async fn list<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    user_id: &UserId,
) -> Result<Response, AppError> {
    if !ctx.has_permission(user_id, MANAGE_OAUTH).await {
        return Err(AppError::new(
            403,
            "api.command.admin_only.app_error",
            "Integrations have been limited to admins only.",
        ));
    }
    let (page, per_page) = paging(request)?;
    let creator =
        if ctx.has_permission(user_id, MANAGE_SYSTEM_WIDE_OAUTH).await { None } else { Some(user_id) };
    let found = clients::list(ctx, creator, page, per_page).await?;
    let views: Vec<_> = found.iter().map(|client| client.view(None)).collect();
    Ok(Response::json(200, &views))
}

/// `GET /api/v4/oauth/apps/{id}`.
pub async fn get<H: Host>(ctx: &Context<'_, H>, user_id: &UserId, id: &str) -> Result<Response, AppError> {
    let client = managed_app(ctx, user_id, id).await?;
    Ok(Response::json(200, &client.view(None)))
}

/// `GET /api/v4/oauth/apps/{id}/info`: what any logged-in user may know (the consent page's data).
pub async fn info<H: Host>(ctx: &Context<'_, H>, id: &str) -> Result<Response, AppError> {
    let client = clients::get(ctx, &ClientId::new(id)).await?.ok_or(Refusal::NotFound)?;
    Ok(Response::json(200, &AppInfo::of(&client)))
}

/// `PUT /api/v4/oauth/apps/{id}`: the body's id must be the URL's.
pub async fn update<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    user_id: &UserId,
    id: &str,
) -> Result<Response, AppError> {
    let input: ClientInput = json_body(request, "oauth_app")?;
    if input.id != id {
        return Err(invalid_param("app_id"));
    }
    let current = managed_app(ctx, user_id, id).await?;
    let updated = clients::update(ctx, &actor(ctx, user_id).await, &current, input).await?;
    Ok(Response::json(200, &updated.view(None)))
}

/// `DELETE /api/v4/oauth/apps/{id}`: `{"status":"OK"}`.
pub async fn delete<H: Host>(ctx: &Context<'_, H>, user_id: &UserId, id: &str) -> Result<Response, AppError> {
    let client = managed_app(ctx, user_id, id).await?;
    clients::delete(ctx, &client).await?;
    Ok(Response::json(200, &serde_json::json!({"status": "OK"})))
}

/// `POST /api/v4/oauth/apps/{id}/regen_secret`: the app with its new secret, shown this once.
pub async fn regenerate_secret<H: Host>(
    ctx: &Context<'_, H>,
    user_id: &UserId,
    id: &str,
) -> Result<Response, AppError> {
    let client = managed_app(ctx, user_id, id).await?;
    let (client, secret) = clients::regenerate_secret(ctx, &client).await?;
    Ok(Response::json(200, &client.view(Some(&secret))))
}

/// The caller as the app rules see them: `manage_system` lets them make an app trusted and link it.
async fn actor<'u, H: Host>(ctx: &Context<'_, H>, user_id: &'u UserId) -> Actor<'u> {
    Actor { user_id, manages_system: ctx.has_permission(user_id, MANAGE_SYSTEM).await }
}

/// The app, for a caller (who holds `manage_oauth`) who created it or holds
/// `manage_system_wide_oauth`.
async fn managed_app<H: Host>(ctx: &Context<'_, H>, user_id: &UserId, id: &str) -> Result<Client, AppError> {
    let client = clients::get(ctx, &ClientId::new(id)).await?.ok_or(Refusal::NotFound)?;
    if client.creator_id != *user_id {
        ctx.require_permission(user_id, MANAGE_SYSTEM_WIDE_OAUTH).await?;
    }
    Ok(client)
}

/// Mattermost's `page` (from 0) and `per_page` (default 60, at most 200).
fn paging(request: &Request) -> Result<(usize, usize), AppError> {
    let params = Params::parse(request.query.as_bytes()).map_err(|_| invalid_param("query"))?;
    let number = |name: &str, default: usize| match params.get(name) {
        None => Ok(default),
        Some(text) => crate::http::query_count(text).ok_or_else(|| invalid_param(name)),
    };
    let page = number("page", 0)?.min(100_000);
    let per_page = number("per_page", DEFAULT_PER_PAGE)?.clamp(1, MAX_PER_PAGE);
    Ok((page, per_page))
}

/// The one mapping of the app rules' refusals to Mattermost's errors (ids as Mattermost's).
impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        let (status, id) = match &refusal {
            Refusal::Invalid(invalid) => (400, invalid_field_id(invalid)),
            Refusal::MayNotLink => return access::permission_denied(MANAGE_SYSTEM),
            Refusal::SwitchesClientType => (400, "model.oauth.is_valid.is_public.app_error"),
            Refusal::NoSecret => (400, "api.oauth.regenerate_secret.public_client.app_error"),
            Refusal::NotFound => (404, "app.oauth.get_app.find.app_error"),
            Refusal::ChangedMeanwhile => (409, "app.oauth.update_app.conflict.app_error"),
            Refusal::IdTaken => (500, "app.oauth.save_app.existing.app_error"),
            Refusal::AppId(app_ids::Refusal::Claimed(_)) => {
                (409, "app.oauth.mattermost_app_id.claimed.app_error")
            }
            Refusal::AppId(app_ids::Refusal::Busy) => (409, "app.oauth.mattermost_app_id.busy.app_error"),
            Refusal::AppId(app_ids::Refusal::Storage(_)) | Refusal::Storage(_) => {
                return AppError::internal(refusal)
            }
        };
        AppError::new(status, id, refusal.to_string())
    }
}

fn invalid_field_id(invalid: &Invalid) -> &'static str {
    match invalid {
        Invalid::Name => "model.oauth.is_valid.name.app_error",
        Invalid::Description => "model.oauth.is_valid.description.app_error",
        Invalid::Callbacks(_) => "model.oauth.is_valid.callback.app_error",
        Invalid::Homepage => "model.oauth.is_valid.homepage.app_error",
        Invalid::IconUrl => "model.oauth.is_valid.icon_url.app_error",
        Invalid::AppId => "model.oauth.is_valid.mattermost_app_id.app_error",
        Invalid::GrantTypes(_) => "model.oauth.is_valid.grant_types.app_error",
    }
}

/// What `/info` shows: no secret, no creator.
#[derive(Serialize)]
struct AppInfo<'a> {
    id: &'a ClientId,
    name: &'a str,
    description: &'a str,
    icon_url: &'a str,
    homepage: &'a str,
    callback_urls: &'a [String],
    is_trusted: bool,
    is_public: bool,
    client_secret: &'a str,
}

impl<'a> AppInfo<'a> {
    fn of(client: &'a Client) -> Self {
        AppInfo {
            id: &client.id,
            name: &client.name,
            description: &client.description,
            icon_url: &client.icon_url,
            homepage: &client.homepage,
            callback_urls: &client.callback_urls,
            is_trusted: client.is_trusted,
            is_public: client.is_public,
            client_secret: "",
        }
    }
}
