//! The device authorization endpoint, RFC 8628 §3.1–3.2: `POST /oauth/device_authorization`. The
//! client authenticates as at the token endpoint (a public client by its id alone) and must have
//! opted into the device grant; it gets a device code to poll with and a user code to show.

use super::authorize::MAX_SCOPE_LEN;
use super::client_auth::{authenticate, credentials};
use super::client_metadata;
use super::device::{self, DeviceRequest};
use super::device_page;
use super::oauth_error::{no_store, ErrorCode, OAuthError};
use super::resource_indicators;
use super::scope;
use super::token::{form_endpoint, require_grant};
use crate::config::ServerConfig;
use crate::context::Context;
use crate::grant_type::GrantType;
use crate::host::Host;
use crate::http::{Request, Response};
use serde::Serialize;

/// The endpoint's path (RFC 8628 §4 `device_authorization_endpoint`).
pub const PATH: &str = "/oauth/device_authorization";

/// RFC 8628 §3.2.
#[derive(Serialize)]
struct DeviceAuthorizationResponse<'a> {
    device_code: &'a str,
    user_code: &'a str,
    verification_uri: String,
    verification_uri_complete: String,
    expires_in: u32,
    interval: u32,
}

/// Where the user enters the code (RFC 8628 §3.2 `verification_uri`).
pub fn verification_uri(config: &ServerConfig) -> String {
    config.site_url_for(device_page::PATH)
}

/// `POST /oauth/device_authorization`.
pub async fn serve<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Response {
    form_endpoint(request, |params| async move {
        let credentials = credentials(request, &params)?;
        let app = client_metadata::record_key(ctx, &credentials.client_id);
        ctx.store().read_ahead(&app.into_iter().collect::<Vec<_>>()).await?;
        let client = authenticate(ctx, &credentials).await?;
        require_grant(&client, GrantType::DeviceCode)?;
        // §3.1: the scope of the access request (RFC 6749 §3.3), as the code flow grants it; and
        // RFC 8707's resources, each one this server knows.
        let asked = params.get("scope").unwrap_or("");
        if asked.len() > MAX_SCOPE_LEN {
            return Err(OAuthError::new(ErrorCode::InvalidScope, "scope is longer than 128 characters."));
        }
        let targets = resource_indicators::resolve(ctx, params.all("resource")).await?;
        let extra: Vec<&str> = targets.scopes.iter().map(String::as_str).collect();
        let wanted = DeviceRequest {
            scope: scope::grant(asked, &extra),
            audience: targets.audience,
            resources: params.all("resource").map(str::to_owned).collect(),
        };
        let started = device::start(ctx, &client, wanted).await?;
        let verification_uri = verification_uri(&ctx.config);
        let user_code = started.user_code.secret();
        // §3.3.1: the user code in the URI, for a QR code or a link (letters and a dash: nothing to escape).
        let complete = format!("{verification_uri}?user_code={user_code}");
        let body = DeviceAuthorizationResponse {
            device_code: started.device_code.secret(),
            user_code,
            verification_uri,
            verification_uri_complete: complete,
            expires_in: started.expires_in,
            interval: started.interval,
        };
        Ok(no_store(Response::json(200, &body)))
    })
    .await
}
