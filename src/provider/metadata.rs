//! Authorization server metadata, RFC 8414.

use crate::config::ServerConfig;
use crate::context::Context;
use crate::http::Response;
use serde::Serialize;

/// RFC 8414 §2.
#[derive(Debug, Serialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    pub response_types_supported: &'static [&'static str],
    pub response_modes_supported: &'static [&'static str],
    pub grant_types_supported: &'static [&'static str],
    pub token_endpoint_auth_methods_supported: &'static [&'static str],
    pub revocation_endpoint_auth_methods_supported: &'static [&'static str],
    pub introspection_endpoint_auth_methods_supported: &'static [&'static str],
    pub code_challenge_methods_supported: &'static [&'static str],
    pub scopes_supported: &'static [&'static str],
    /// RFC 9207 §3.
    pub authorization_response_iss_parameter_supported: bool,
}

const CLIENT_AUTH_METHODS: &[&str] = &["client_secret_post", "client_secret_basic", "none"];

impl Metadata {
    pub fn for_config(config: &ServerConfig) -> Self {
        let settings = &config.service_settings;
        let registration_enabled = settings.enable_dynamic_client_registration;
        Metadata {
            issuer: config.issuer().to_owned(),
            authorization_endpoint: config.site_url_for("/oauth/authorize"),
            token_endpoint: config.site_url_for("/oauth/access_token"),
            registration_endpoint: registration_enabled
                .then(|| config.site_url_for("/api/v4/oauth/apps/register")),
            revocation_endpoint: config.site_url_for("/oauth/revoke"),
            introspection_endpoint: config.site_url_for("/oauth/introspect"),
            response_types_supported: &["code", "token"],
            response_modes_supported: &["query", "fragment"],
            grant_types_supported: &["authorization_code", "implicit", "refresh_token"],
            token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
            revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
            // Introspection reveals token details, so only confidential clients may ask.
            introspection_endpoint_auth_methods_supported: &["client_secret_post", "client_secret_basic"],
            code_challenge_methods_supported: &["S256"],
            scopes_supported: &["user"],
            authorization_response_iss_parameter_supported: true,
        }
    }
}

/// `GET /.well-known/oauth-authorization-server`, open to any origin (RFC 8414 §3).
pub fn serve<H: crate::host::Host>(ctx: &Context<'_, H>) -> Response {
    Response::json(200, &Metadata::for_config(&ctx.config)).allow_any_origin()
}
