//! Authorization server metadata, RFC 8414, which is also the OpenID Provider's configuration
//! (OpenID Connect Discovery 1.0 §3): one document, at both well-known URLs.

use super::clients::PROVIDER_GRANTS;
use super::{id_token, prompt, scope, signing};
use crate::config::ServerConfig;
use crate::context::Context;
use crate::host::Host;
use crate::http::{AppError, Request, Response};
use crate::provider::resources::{self, Placement, ProtectedResource};
use crate::store::StoreResult;
use serde::Serialize;
use url::Url;

/// RFC 8414 §2, with OpenID Connect Discovery 1.0 §3's fields.
#[derive(Debug, Serialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub userinfo_endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    /// RFC 8628 §4.
    pub device_authorization_endpoint: String,
    pub response_types_supported: &'static [&'static str],
    pub response_modes_supported: &'static [&'static str],
    pub grant_types_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: &'static [&'static str],
    pub revocation_endpoint_auth_methods_supported: &'static [&'static str],
    pub introspection_endpoint_auth_methods_supported: &'static [&'static str],
    pub code_challenge_methods_supported: &'static [&'static str],
    pub scopes_supported: &'static [&'static str],
    /// RFC 9207 §3.
    pub authorization_response_iss_parameter_supported: bool,
    /// draft-ietf-oauth-client-id-metadata-document §5: only while they are accepted.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub client_id_metadata_document_supported: bool,
    pub subject_types_supported: &'static [&'static str],
    pub id_token_signing_alg_values_supported: &'static [&'static str],
    pub claims_supported: &'static [&'static str],
    pub prompt_values_supported: &'static [&'static str],
    /// Discovery §3: `request_uri_parameter_supported` defaults to true, so it is said.
    pub request_uri_parameter_supported: bool,
    pub request_parameter_supported: bool,
    pub claims_parameter_supported: bool,
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
            jwks_uri: config.site_url_for("/oauth/jwks"),
            userinfo_endpoint: config.site_url_for("/oauth/userinfo"),
            registration_endpoint: registration_enabled
                .then(|| config.site_url_for("/api/v4/oauth/apps/register")),
            revocation_endpoint: config.site_url_for("/oauth/revoke"),
            introspection_endpoint: config.site_url_for("/oauth/introspect"),
            device_authorization_endpoint: config.site_url_for(super::device_authorization::PATH),
            response_types_supported: &["code", "token"],
            response_modes_supported: &["query", "fragment"],
            grant_types_supported: PROVIDER_GRANTS.iter().map(|grant| grant.as_str()).collect(),
            token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
            revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
            // Introspection reveals token details, so only confidential clients may ask.
            introspection_endpoint_auth_methods_supported: &["client_secret_post", "client_secret_basic"],
            code_challenge_methods_supported: &["S256"],
            scopes_supported: &scope::SUPPORTED,
            authorization_response_iss_parameter_supported: true,
            client_id_metadata_document_supported: settings.enable_client_id_metadata_documents,
            subject_types_supported: &["public"],
            id_token_signing_alg_values_supported: &[signing::ALGORITHM],
            claims_supported: id_token::CLAIMS_SUPPORTED,
            prompt_values_supported: &prompt::SUPPORTED,
            request_uri_parameter_supported: false,
            request_parameter_supported: false,
            claims_parameter_supported: false,
        }
    }
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414 §3) and
/// `/.well-known/openid-configuration` (Discovery §4), open to any origin.
pub fn serve<H: Host>(ctx: &Context<'_, H>) -> Response {
    Response::json(200, &Metadata::for_config(&ctx.config)).allow_any_origin()
}

/// RFC 9728 §2: what a client learns of a protected resource: the chat server's own API or a
/// registered resource. One document for both, built here.
#[derive(Debug, Serialize)]
pub struct ProtectedResourceMetadata {
    pub resource: String,
    pub authorization_servers: Vec<String>,
    pub bearer_methods_supported: &'static [&'static str],
    pub scopes_supported: Vec<String>,
    pub resource_name: String,
}

impl ProtectedResourceMetadata {
    /// The chat server's API: its resource identifier is the SiteURL, its authorization server
    /// this plugin's issuer. Mattermost takes a bearer token in the header and in `?access_token=`
    /// (RFC 6750 §2.1, §2.3).
    pub fn for_server(config: &ServerConfig) -> Self {
        ProtectedResourceMetadata {
            resource: config.issuer().to_owned(),
            authorization_servers: vec![config.issuer().to_owned()],
            bearer_methods_supported: &["header", "query"],
            scopes_supported: vec![super::scope::FULL_ACCESS.to_owned()],
            resource_name: config.site_name().to_owned(),
        }
    }

    /// A registered resource: its identifier exactly as registered; the header is the bearer
    /// method RFC 9728 §2 and the MCP authorization specification expect.
    pub fn for_resource(config: &ServerConfig, resource: &ProtectedResource) -> Self {
        ProtectedResourceMetadata {
            resource: resource.identifier.clone(),
            authorization_servers: vec![config.issuer().to_owned()],
            bearer_methods_supported: &["header"],
            scopes_supported: resource.scopes.clone(),
            resource_name: resource.name.clone(),
        }
    }
}

/// `GET /.well-known/oauth-protected-resource[/{path}]` (RFC 9728 §3.1: the well-known path goes
/// between the host and the resource identifier's path), open to any origin. §3.3 has the
/// `resource` returned be the identifier the URL was made from, so each document answers only at
/// its own URL: the server's at the one made from the SiteURL, a registered resource's under the
/// SiteURL at the one made from its identifier. Any other path is not a resource here.
pub async fn serve_protected_resource<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    resource_path: &str,
) -> Response {
    let site = Url::parse(ctx.config.issuer());
    let site_path = site.as_ref().map(|url| url.path().trim_matches('/').to_owned());
    if site_path.as_deref() == Ok(resource_path.trim_matches('/')) {
        return Response::json(200, &ProtectedResourceMetadata::for_server(&ctx.config)).allow_any_origin();
    }
    match registered_at(ctx, site.ok(), resource_path).await {
        Ok(Some(resource)) => {
            Response::json(200, &ProtectedResourceMetadata::for_resource(&ctx.config, &resource))
                .allow_any_origin()
        }
        Ok(None) => AppError::not_found().render(request).allow_any_origin(),
        Err(error) => AppError::internal(error).render(request).allow_any_origin(),
    }
}

/// The registered resource under the SiteURL whose identifier's path is exactly `/{resource_path}`
/// (a path that parses into another, such as `a/../b`, names none).
async fn registered_at<H: Host>(
    ctx: &Context<'_, H>,
    site: Option<Url>,
    resource_path: &str,
) -> StoreResult<Option<ProtectedResource>> {
    let Some(site) = site else { return Ok(None) };
    let identifier = format!("{}/{resource_path}", site.origin().ascii_serialization());
    if Url::parse(&identifier).map(|url| url.as_str() == identifier) != Ok(true) {
        return Ok(None);
    }
    let found = resources::find_by_identifier(ctx, &identifier).await?;
    Ok(found.filter(|resource| matches!(resource.placement(&ctx.config), Placement::UnderSite { .. })))
}

/// Where a client finds the chat server's protected resource metadata (RFC 9728 §3.1: the
/// well-known path between the SiteURL's host and its path).
pub fn protected_resource_metadata_url(config: &ServerConfig) -> Option<String> {
    let site = Url::parse(config.issuer()).ok()?;
    let path = site.path().trim_end_matches('/');
    let mut url = site.clone();
    url.set_path(&format!("/.well-known/oauth-protected-resource{path}"));
    url.set_query(None);
    Some(url.into())
}

/// The errors a bearer challenge may name (RFC 6750 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// A token was sent, and it is unknown, expired, revoked or meant for another resource.
    InvalidToken,
}

/// The `WWW-Authenticate` of a 401 from the chat API (RFC 6750 §3, RFC 9728 §5.1): where to learn
/// which authorization server to ask, and why the token sent was refused. None while the provider
/// is off (there is no metadata to point at, and no token to get).
pub fn bearer_challenge(config: &ServerConfig, error: Option<BearerError>) -> Option<String> {
    if !config.service_settings.enable_oauth_service_provider {
        return None;
    }
    let metadata = protected_resource_metadata_url(config)?;
    let error = match error {
        Some(BearerError::InvalidToken) => r#"error="invalid_token", "#,
        None => "",
    };
    Some(format!(r#"Bearer {error}resource_metadata="{metadata}""#))
}
