//! OAuth 2.0 provider: the chat server as an authorization server.

pub mod app_ids;
pub mod authorize;
pub mod authorized_api;
pub mod client_auth;
pub mod clients;
pub mod clients_api;
pub mod consent;
pub mod consent_page;
pub mod dcr;
pub mod grants;
pub mod metadata;
pub mod oauth_error;
pub mod pkce;
pub mod token;

use crate::host::Host;
use crate::http::{wrong_method, AppError, Request, Response};
use crate::Context;

/// Mattermost's answer to every provider call while `EnableOAuthServiceProvider` is off.
pub fn disabled() -> AppError {
    AppError::new(
        501,
        "api.oauth.register_oauth_app.turn_off.app_error",
        "The OAuth 2.0 Service Provider is disabled. A system admin can enable it in the System Console.",
    )
}

/// The provider's routes; `None` when the path is not one of them.
pub async fn route<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Option<Response> {
    if metadata::matches(&request.path) {
        return Some(metadata::serve(ctx, request));
    }
    let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    let method = request.method.as_str();
    let result = match segments.as_slice() {
        ["oauth", "authorize"] => match method {
            "GET" => return Some(authorize::serve_get(ctx, request).await),
            "POST" => enabled(ctx, authorize::serve_post(ctx, request)).await,
            _ => return Some(wrong_method(request, "GET, POST")),
        },
        ["oauth", "access_token"] => return Some(token::serve_token(ctx, request).await),
        ["oauth", "revoke"] => return Some(token::serve_revoke(ctx, request).await),
        ["oauth", "introspect"] => return Some(token::serve_introspect(ctx, request).await),
        ["oauth", "deauthorize"] => match method {
            "POST" => enabled(ctx, authorized_api::deauthorize(ctx, request)).await,
            _ => return Some(wrong_method(request, "POST")),
        },
        ["api", "v4", "users", user_id, "oauth", "apps", "authorized"] => match method {
            "GET" => enabled(ctx, authorized_api::list(ctx, request, user_id)).await,
            _ => return Some(wrong_method(request, "GET")),
        },
        ["api", "v4", "oauth", "apps"] => match method {
            "POST" => enabled(ctx, clients_api::create(ctx, request)).await,
            "GET" => enabled(ctx, clients_api::list(ctx, request)).await,
            _ => return Some(wrong_method(request, "GET, POST")),
        },
        ["api", "v4", "oauth", "apps", "register"] => match method {
            "POST" => return Some(dcr::serve(ctx, request).await.allow_any_origin()),
            "OPTIONS" => return Some(crate::http::cors_preflight("POST, OPTIONS")),
            _ => return Some(wrong_method(request, "POST, OPTIONS")),
        },
        ["api", "v4", "oauth", "apps", id] => match method {
            "GET" => enabled(ctx, clients_api::get(ctx, request, id)).await,
            "PUT" => enabled(ctx, clients_api::update(ctx, request, id)).await,
            "DELETE" => enabled(ctx, clients_api::delete(ctx, request, id)).await,
            _ => return Some(wrong_method(request, "GET, PUT, DELETE")),
        },
        ["api", "v4", "oauth", "apps", id, "info"] => match method {
            "GET" => enabled(ctx, clients_api::info(ctx, request, id)).await,
            _ => return Some(wrong_method(request, "GET")),
        },
        ["api", "v4", "oauth", "apps", id, "regen_secret"] => match method {
            "POST" => enabled(ctx, clients_api::regenerate_secret(ctx, request, id)).await,
            _ => return Some(wrong_method(request, "POST")),
        },
        _ => return None,
    };
    Some(result.unwrap_or_else(|error| error.render(request)))
}

/// Runs `handler` only while the provider is enabled.
async fn enabled<H: Host>(
    ctx: &Context<'_, H>,
    handler: impl std::future::Future<Output = Result<Response, AppError>>,
) -> Result<Response, AppError> {
    if !ctx.config.service_settings.enable_oauth_service_provider {
        return Err(disabled());
    }
    handler.await
}
