//! Outgoing OAuth connections: the server gets tokens from an integration's own OAuth server and
//! sends them with its requests to the URLs the connection's audiences cover.

pub mod api;
pub mod audience;
pub mod connection;
pub mod registry;
pub mod token;

use crate::context::Context;
use crate::host::{Host, LogLevel};

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
