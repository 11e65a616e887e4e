//! The protected resources REST API under `/plugins/oauth-plugin/api/v1/resources`, in
//! Mattermost's JSON and errors: create, list, get, edit, delete, regenerate the secret. The route
//! table lets only callers with `manage_system` in.

use super::metadata::ProtectedResourceMetadata;
use super::resources::{self, Invalid, Placement, ProtectedResource, Refusal, ResourceInput, TokenFormat};
use crate::config::ServerConfig;
use crate::context::Context;
use crate::host::Host;
use crate::http::{invalid_param, json_body, AppError, Request, Response};
use crate::ids::{ClientSecret, ResourceId, UserId};
use serde::Serialize;

/// A resource as the API returns it: `client_secret` is empty except in the one response that
/// made it; `metadata` is the RFC 9728 document a client sees for it, and `metadata_url` where the
/// plugin serves it (empty for a resource beside the chat server, which serves it itself).
#[derive(Debug, Serialize)]
pub struct ResourceView<'a> {
    pub id: &'a ResourceId,
    pub identifier: &'a str,
    pub name: &'a str,
    pub scopes: &'a [String],
    pub token_format: TokenFormat,
    pub creator_id: &'a UserId,
    pub create_at: i64,
    pub update_at: i64,
    pub client_secret: &'a str,
    pub metadata: ProtectedResourceMetadata,
    pub metadata_url: String,
}

fn view<'a>(
    config: &ServerConfig,
    resource: &'a ProtectedResource,
    secret: Option<&'a ClientSecret>,
) -> ResourceView<'a> {
    let metadata_url = match resource.placement(config) {
        Placement::UnderSite { metadata_url } => metadata_url,
        Placement::Beside => String::new(),
    };
    ResourceView {
        id: &resource.id,
        identifier: &resource.identifier,
        name: &resource.name,
        scopes: &resource.scopes,
        token_format: resource.token_format,
        creator_id: &resource.creator_id,
        create_at: resource.create_at,
        update_at: resource.update_at,
        client_secret: secret.map_or("", |s| s.secret().as_str()),
        metadata: ProtectedResourceMetadata::for_resource(config, resource),
        metadata_url,
    }
}

/// `POST …/resources`: 201 with the resource and its secret, shown this once.
pub async fn create<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    user_id: &UserId,
) -> Result<Response, AppError> {
    let input: ResourceInput = json_body(request, "resource")?;
    let (resource, secret) = resources::create(ctx, user_id, input).await?;
    Ok(Response::json(201, &view(&ctx.config, &resource, Some(&secret))))
}

/// `GET …/resources`: every registered resource, oldest first.
pub async fn list<H: Host>(ctx: &Context<'_, H>) -> Result<Response, AppError> {
    let found = resources::list(ctx).await?;
    let views: Vec<_> = found.iter().map(|resource| view(&ctx.config, resource, None)).collect();
    Ok(Response::json(200, &views))
}

/// `GET …/resources/{id}`.
pub async fn get<H: Host>(ctx: &Context<'_, H>, id: &str) -> Result<Response, AppError> {
    let resource = existing(ctx, id).await?;
    Ok(Response::json(200, &view(&ctx.config, &resource, None)))
}

/// `PUT …/resources/{id}`: the body's id, when it has one, must be the URL's.
pub async fn update<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    id: &str,
) -> Result<Response, AppError> {
    let input: ResourceInput = json_body(request, "resource")?;
    if !input.id.is_empty() && input.id != id {
        return Err(invalid_param("resource_id"));
    }
    let current = existing(ctx, id).await?;
    let updated = resources::update(ctx, &current, input).await?;
    Ok(Response::json(200, &view(&ctx.config, &updated, None)))
}

/// `DELETE …/resources/{id}`: `{"status":"OK"}`.
pub async fn delete<H: Host>(ctx: &Context<'_, H>, id: &str) -> Result<Response, AppError> {
    let resource = existing(ctx, id).await?;
    resources::delete(ctx, &resource).await?;
    Ok(Response::json(200, &serde_json::json!({ "status": "OK" })))
}

/// `POST …/resources/{id}/regen_secret`: the resource with its new secret, shown this once.
pub async fn regenerate_secret<H: Host>(ctx: &Context<'_, H>, id: &str) -> Result<Response, AppError> {
    let current = existing(ctx, id).await?;
    let (resource, secret) = resources::regenerate_secret(ctx, &current).await?;
    Ok(Response::json(200, &view(&ctx.config, &resource, Some(&secret))))
}

async fn existing<H: Host>(ctx: &Context<'_, H>, id: &str) -> Result<ProtectedResource, AppError> {
    Ok(resources::get(ctx, &ResourceId::new(id)).await?.ok_or(Refusal::NotFound)?)
}

/// The one mapping of the resource rules' refusals to Mattermost-style errors.
impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        let (status, id) = match &refusal {
            Refusal::Invalid(Invalid::Identifier(_)) => {
                (400, "app.oauth.resource.is_valid.identifier.app_error")
            }
            Refusal::Invalid(Invalid::Name) => (400, "app.oauth.resource.is_valid.name.app_error"),
            Refusal::Invalid(Invalid::Scopes(_)) => (400, "app.oauth.resource.is_valid.scopes.app_error"),
            Refusal::Duplicate => (409, "app.oauth.resource.save.duplicate_identifier.app_error"),
            Refusal::NotFound => (404, "app.oauth.resource.get.not_found.app_error"),
            Refusal::ChangedMeanwhile => (409, "app.oauth.resource.update.conflict.app_error"),
            Refusal::Storage(_) => return AppError::internal(refusal),
        };
        AppError::new(status, id, refusal.to_string())
    }
}
