//! Outgoing OAuth connections: the server gets tokens from an integration's own OAuth server and
//! sends them with its requests to the URLs the connection's audiences cover.

pub mod api;
pub mod audience;
pub mod connection;
pub mod registry;
pub mod token;

use crate::host::{Host, LogLevel};
use crate::http::{wrong_method, AppError, Request, Response};
use crate::Context;

fn disabled() -> AppError {
    AppError::new(
        501,
        "api.context.outgoing_oauth_connection.not_available.configuration_disabled",
        "Outgoing OAuth connections are disabled. A system admin can enable them in the System Console.",
    )
}

/// The connection routes; `None` when the path is not one of them. While the feature is off every
/// route answers 501 before anything runs.
pub async fn route<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Option<Response> {
    let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    let method = request.method.as_str();
    let (allowed, action) = match segments.as_slice() {
        ["api", "v4", "oauth", "outgoing_connections"] => ("GET, POST", Action::Collection),
        ["api", "v4", "oauth", "outgoing_connections", "validate"] => ("POST", Action::Validate),
        ["api", "v4", "oauth", "outgoing_connections", id] => ("GET, PUT, DELETE", Action::One(id)),
        _ => return None,
    };
    if !allowed.split(", ").any(|m| m == method) {
        return Some(wrong_method(request, allowed));
    }
    if !ctx.config.service_settings.enable_outgoing_oauth_connections {
        return Some(disabled().render(request));
    }
    let result = match (action, method) {
        (Action::Collection, "GET") => api::list(ctx, request).await,
        (Action::Collection, _) => api::create(ctx, request).await,
        (Action::Validate, _) => api::validate(ctx, request).await,
        (Action::One(id), "GET") => api::get(ctx, request, id).await,
        (Action::One(id), "PUT") => api::update(ctx, request, id).await,
        (Action::One(id), _) => api::delete(ctx, request, id).await,
    };
    Some(result.unwrap_or_else(|error| error.render(request)))
}

enum Action<'a> {
    Collection,
    Validate,
    One(&'a str),
}

/// The `Authorization` header for a request to `url`: `None` when no connection covers it (or the
/// feature is off); an error naming the connection when one covers it but no token could be had,
/// in which case the request must not be sent.
pub async fn authorize_request<H: Host>(ctx: &Context<'_, H>, url: &str) -> Result<Option<String>, String> {
    if !ctx.config.service_settings.enable_outgoing_oauth_connections {
        return Ok(None);
    }
    let found = registry::for_url(ctx, url).await.map_err(|error| {
        ctx.host.log(
            LogLevel::Error,
            "finding the outgoing OAuth connection failed",
            &[("error", &error.to_string())],
        );
        crate::http::INTERNAL_ERROR_MESSAGE.to_owned()
    })?;
    let Some(connection) = found else {
        return Ok(None);
    };
    match token::authorization_header(ctx, &connection).await {
        Ok(header) => Ok(Some(header.secret().clone())),
        Err(reason) => {
            ctx.host.log(
                LogLevel::Warn,
                "outgoing OAuth token not obtained",
                &[("connection", connection.id.as_str()), ("reason", &reason.to_string())],
            );

            Err(format!("Outgoing OAuth connection {:?} could not get a token: {reason}", connection.name))
        }
    }
}
