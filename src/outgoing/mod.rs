//! Outgoing OAuth connections: the server gets tokens from an integration's own OAuth server and
//! sends them with its requests to the URLs the connection's audiences cover.

pub mod api;
pub mod audience;
pub mod connection;
pub mod registry;
pub mod token;

use crate::context::Context;
use crate::host::{Host, LogLevel};
use crate::http::INTERNAL_ERROR_MESSAGE;
use crate::oauth_client::TokenError;
use std::fmt;

/// Why an outgoing request may not be sent.
#[derive(Debug)]
pub enum AuthorizeError {
    /// The connections could not be read (the cause is logged).
    Lookup,
    /// A connection covers the URL but gave no token.
    NoToken { connection: String, reason: TokenError },
}

impl fmt::Display for AuthorizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthorizeError::Lookup => f.write_str(INTERNAL_ERROR_MESSAGE),
            AuthorizeError::NoToken { connection, reason } => {
                write!(f, "Outgoing OAuth connection {connection:?} could not get a token: {reason}")
            }
        }
    }
}

/// The `Authorization` header for a request to `url`: `None` when no connection covers it (or the
/// feature is off); an error naming the connection when one covers it but no token could be had,
/// in which case the request must not be sent.
pub async fn authorize_request<H: Host>(
    ctx: &Context<'_, H>,
    url: &str,
) -> Result<Option<String>, AuthorizeError> {
    if !ctx.config.service_settings.enable_outgoing_oauth_connections {
        return Ok(None);
    }
    let found = registry::for_url(ctx, url).await.map_err(|error| {
        ctx.host.log(
            LogLevel::Error,
            "finding the outgoing OAuth connection failed",
            &[("error", &error.to_string())],
        );
        AuthorizeError::Lookup
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
            Err(AuthorizeError::NoToken { connection: connection.name, reason })
        }
    }
}
