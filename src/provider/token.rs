//! The token endpoint (RFC 6749 §3.2, §4.1.3, §6; RFC 8628 §3.4), token revocation (RFC 7009)
//! and token introspection (RFC 7662).

use super::client_auth::{authenticate, credentials, ClientCredentials};
use super::client_metadata;
use super::clients::Client;
use super::device;
use super::grants::{self, CodeExchange, IssuedTokens};
use super::id_token;
use super::oauth_error::{no_store, ErrorCode, OAuthError};
use super::resource_indicators::{self, Audience};
use super::resources;
use super::token_validity;
use crate::context::Context;
use crate::grant_type::GrantType;
use crate::host::Host;
use crate::http::{Params, Request, Response};
use crate::ids::{ClientId, UserId};
use serde::Serialize;

/// Form bodies larger than this are refused: no valid token request comes near it.
const MAX_FORM_BODY: usize = 16 * 1024;

/// RFC 6749 §5.1.
#[derive(Serialize)]
struct TokenResponse<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: i64,
    scope: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    /// OpenID Connect Core §3.1.3.3, §12.2: when the scope has `openid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

/// Runs `handler` on a POSTed form, with CORS (browser-based clients call these endpoints from
/// their own origin) and errors in the RFCs' format.
pub(super) async fn form_endpoint<F, Fut>(request: &Request, handler: F) -> Response
where
    F: FnOnce(Params) -> Fut,
    Fut: std::future::Future<Output = Result<Response, OAuthError>>,
{
    let result = match form_params(request) {
        Ok(params) => handler(params).await,
        Err(error) => Err(error),
    };
    result.unwrap_or_else(|error| error.render(request)).allow_any_origin()
}

fn form_params(request: &Request) -> Result<Params, OAuthError> {
    let content_type = request.header("content-type").unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request("The body must be application/x-www-form-urlencoded."));
    }
    if request.body.len() > MAX_FORM_BODY {
        return Err(OAuthError::invalid_request("The request body is too large."));
    }
    Params::parse(&request.body).map_err(|e| OAuthError::invalid_request(e.to_string()))
}

/// `POST /oauth/access_token`.
pub async fn serve_token<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Response {
    form_endpoint(request, |params| async move {
        let grant_type =
            params.get("grant_type").ok_or_else(|| OAuthError::invalid_request("grant_type is required."))?;
        let credentials = credentials(request, &params)?;
        ctx.store().read_ahead(&first_reads(ctx, &credentials, grant_type, &params)).await?;
        let client = authenticate(ctx, &credentials).await?;
        let tokens = match GrantType::parse(grant_type) {
            Some(GrantType::AuthorizationCode) => {
                require_grant(&client, GrantType::AuthorizationCode)?;
                let code =
                    params.get("code").ok_or_else(|| OAuthError::invalid_request("code is required."))?;
                let exchange = CodeExchange {
                    code,
                    redirect_uri: params.get("redirect_uri"),
                    code_verifier: params.get("code_verifier"),
                    audience: &requested_audience(ctx, &params).await?,
                };
                grants::redeem_code(ctx, &client, &exchange).await?
            }
            Some(GrantType::RefreshToken) => {
                if !client.gets_refresh_tokens() {
                    return Err(OAuthError::new(
                        ErrorCode::UnauthorizedClient,
                        "This client may not use refresh tokens (public clients never can).",
                    ));
                }
                let token = params
                    .get("refresh_token")
                    .ok_or_else(|| OAuthError::invalid_request("refresh_token is required."))?;
                grants::refresh(ctx, &client, token, &requested_audience(ctx, &params).await?).await?
            }
            // RFC 8628 §3.4: the device polls until the user decides.
            Some(GrantType::DeviceCode) => {
                require_grant(&client, GrantType::DeviceCode)?;
                let code = params
                    .get("device_code")
                    .ok_or_else(|| OAuthError::invalid_request("device_code is required."))?;
                device::poll(ctx, &client, code, &requested_audience(ctx, &params).await?).await?
            }
            _ => {
                return Err(OAuthError::new(
                    ErrorCode::UnsupportedGrantType,
                    format!(
                        "grant_type {grant_type:?} is not supported; use authorization_code, refresh_token or {}.",
                        GrantType::DeviceCode
                    ),
                ))
            }
        };
        token_response(ctx, &tokens).await
    })
    .await
}

/// RFC 6749 §5.2 `unauthorized_client`: a client uses only the grants it registered (the device
/// grant only once its app opted in).
pub(super) fn require_grant(client: &Client, grant: GrantType) -> Result<(), OAuthError> {
    if client.allows_grant(grant) {
        return Ok(());
    }
    Err(OAuthError::new(ErrorCode::UnauthorizedClient, format!("This client may not use the {grant} grant.")))
}

/// The records a token request reads first, all known from the request itself: its client, and
/// the code (RFC 6749 §4.1.3), the grant a refresh token names (§6) or the device authorization
/// (RFC 8628 §3.4); read in one round trip.
fn first_reads<H: Host>(
    ctx: &Context<'_, H>,
    credentials: &ClientCredentials,
    grant_type: &str,
    params: &Params,
) -> Vec<String> {
    let credential = match GrantType::parse(grant_type) {
        Some(GrantType::AuthorizationCode) => params.get("code").map(grants::code_record_key),
        Some(GrantType::RefreshToken) => params.get("refresh_token").and_then(grants::refresh_record_key),
        Some(GrantType::DeviceCode) => params.get("device_code").map(device::record_key),
        _ => None,
    };
    [client_metadata::record_key(ctx, &credentials.client_id), credential].into_iter().flatten().collect()
}

/// RFC 8707 §2.2: the resources a token request names, each one this server knows.
async fn requested_audience<H: Host>(ctx: &Context<'_, H>, params: &Params) -> Result<Audience, OAuthError> {
    Ok(resource_indicators::resolve(ctx, params.all("resource")).await?.audience)
}

async fn token_response<H: Host>(
    ctx: &Context<'_, H>,
    tokens: &IssuedTokens,
) -> Result<Response, OAuthError> {
    let id_token = id_token::for_tokens(ctx, tokens).await.map_err(OAuthError::internal)?;
    let body = TokenResponse {
        access_token: tokens.access_token.secret(),
        token_type: "bearer",
        expires_in: tokens.expires_in,
        scope: &tokens.scope,
        refresh_token: tokens.refresh_token.as_ref().map(|t| t.secret().as_str()),
        id_token,
    };
    Ok(no_store(Response::json(200, &body)))
}

/// `POST /oauth/revoke`, RFC 7009 §2: 200 whether or not the token was valid.
pub async fn serve_revoke<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Response {
    form_endpoint(request, |params| async move {
        let client = authenticate(ctx, &credentials(request, &params)?).await?;
        let token = params.get("token").ok_or_else(|| OAuthError::invalid_request("token is required."))?;
        // RFC 7009 §2.1: a refresh token revokes its grant; an access token only itself.
        if let Some(grant) = token_validity::resolve_refresh_token(ctx, token).await? {
            if grant.client_id == client.id {
                grants::revoke_grant(ctx, &grant.id).await?;
            }
        } else if let Some(valid) = token_validity::valid_access_token(ctx, token).await? {
            if valid.grant.client_id == client.id {
                grants::revoke_access_token(ctx, &valid.grant).await?;
            }
        }
        Ok(no_store(Response::new(200)))
    })
    .await
}

/// RFC 7662 §2.2.
#[derive(Serialize, Default)]
struct Introspection<'a> {
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a ClientId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    /// RFC 7662 §2.2, RFC 8707: the resources the token is for; absent for one that named none.
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a [String]>,
}

/// Who asks at the introspection endpoint: a confidential client, about its own tokens, or a
/// registered protected resource, about tokens meant for it (RFC 7662 §2.1, RFC 8707).
enum Introspector {
    Client(ClientId),
    Resource(String),
}

impl Introspector {
    fn may_see<H: Host>(&self, ctx: &Context<'_, H>, token: &token_validity::ValidToken) -> bool {
        match self {
            Introspector::Client(client_id) => token.grant.client_id == *client_id,
            Introspector::Resource(identifier) => token.is_for(ctx, identifier),
        }
    }
}

/// A registered resource by its id and secret; else a confidential client.
async fn introspector<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    params: &Params,
) -> Result<Introspector, OAuthError> {
    let credentials = credentials(request, params)?;
    if let Some(secret) = &credentials.secret {
        if let Some(resource) =
            resources::authenticate(ctx, credentials.client_id.as_str(), secret.secret()).await?
        {
            return Ok(Introspector::Resource(resource.identifier));
        }
    }
    let client = authenticate(ctx, &credentials).await?;
    if client.is_public {
        return Err(OAuthError::new(ErrorCode::InvalidClient, "Introspection needs a confidential client."));
    }
    Ok(Introspector::Client(client.id))
}

/// `POST /oauth/introspect`: for confidential clients, about their own tokens, and for registered
/// resources, about tokens meant for them; anything else is `{"active": false}` so that no one
/// learns about others' tokens.
pub async fn serve_introspect<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Response {
    form_endpoint(request, |params| async move {
        let introspector = introspector(ctx, request, &params).await?;
        let token = params.get("token").ok_or_else(|| OAuthError::invalid_request("token is required."))?;
        let found =
            token_validity::valid_access_token(ctx, token).await?.filter(|v| introspector.may_see(ctx, v));
        let Some(token_validity::ValidToken { grant, user, .. }) = found else {
            return Ok(no_store(Response::json(200, &Introspection::default())));
        };
        let body = Introspection {
            active: true,
            scope: Some(&grant.scope),
            client_id: Some(&grant.client_id),
            username: Some(user.username),
            token_type: Some("bearer"),
            exp: Some(grant.access_expires_at / 1000),
            iat: Some(grant.access_expires_at / 1000 - grants::access_lifetime_seconds(ctx)),
            sub: Some(&grant.user_id),
            iss: Some(ctx.config.issuer()),
            aud: Some(grant.access_audience.identifiers()).filter(|aud| !aud.is_empty()),
        };
        Ok(no_store(Response::json(200, &body)))
    })
    .await
}
