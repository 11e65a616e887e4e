//! Dynamic Client Registration, RFC 7591, at `POST /api/v4/oauth/apps/register` (Mattermost's
//! route): off unless both `EnableOAuthServiceProvider` and `EnableDynamicClientRegistration` are
//! on, redirect URIs limited by `DCRRedirectURIAllowlist`, rate limited per remote address.

use super::clients::{self, registered_grants, Client};
use super::oauth_error::{no_store, ErrorCode, OAuthError};
use crate::context::Context;
use crate::grant_type::GrantType;
use crate::host::Host;
use crate::http::{read_json, JsonShape, Request, Response, MAX_JSON_BODY};
use crate::ids::{new_secret, ClientId, ClientSecret, SecretHash, UserId};
use crate::rate_limit::Limit;
use crate::redirect_uri::{self, ListRefusal};
use serde::{Deserialize, Serialize};

const DEFAULT_NAME: &str = "Dynamically Registered Client";
const AUTH_METHODS: &[&str] = &["client_secret_basic", "client_secret_post", "none"];

/// RFC 7591 §2: the metadata we act on. Other registered names (contacts, tos_uri, jwks…) are
/// ignored, as §3.2.1 allows; the response says what was registered.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RegistrationRequest {
    redirect_uris: Vec<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    client_name: Option<String>,
    client_uri: Option<String>,
    logo_uri: Option<String>,
    scope: Option<String>,
}

/// RFC 7591 §3.2.1.
#[derive(Debug, Serialize)]
struct RegistrationResponse<'a> {
    client_id: &'a ClientId,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a str>,
    client_id_issued_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret_expires_at: Option<i64>,
    redirect_uris: &'a [String],
    token_endpoint_auth_method: &'a str,
    grant_types: &'a [GrantType],
    response_types: &'a [String],
    client_name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    client_uri: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    logo_uri: &'a str,
    scope: &'static str,
}

fn metadata_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, description)
}

fn redirect_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRedirectUri, description)
}

/// `POST /api/v4/oauth/apps/register`, open to any origin: browser-based clients register themselves.
pub async fn serve<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Response {
    let result = register(ctx, request).await;
    no_store(result.unwrap_or_else(|error| error.render(request))).allow_any_origin()
}

async fn register<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Result<Response, OAuthError> {
    let metadata: RegistrationRequest = read_json(&request.body, MAX_JSON_BODY, JsonShape::Object)
        .map_err(|e| metadata_error(format!("Invalid client metadata: {e}.")))?;
    let (client, secret) = build_app(ctx, metadata)?;
    // Counted only for registrations that would be stored: a refused one stores nothing.
    if let Some(retry_after) = rate_limited(ctx, &request.remote_addr).await? {
        return Ok(OAuthError::new(
            ErrorCode::TemporarilyUnavailable,
            "Too many registrations; try again later.",
        )
        .render(request)
        .with_header("Retry-After", &retry_after.to_string()));
    }
    // Checked above: what can still go wrong is inside.
    clients::save_new(ctx, &client).await.map_err(OAuthError::internal)?;

    let body = RegistrationResponse {
        client_id: &client.id,
        client_secret: secret.as_ref().map(|s| s.secret().as_str()),
        client_id_issued_at: client.create_at / 1000,
        // RFC 7591 §3.2.1: required with a secret; 0 means it does not expire.
        client_secret_expires_at: secret.as_ref().map(|_| 0),
        redirect_uris: &client.callback_urls,
        token_endpoint_auth_method: client.auth_method(),
        grant_types: &client.grant_types,
        response_types: &client.response_types,
        client_name: &client.name,
        client_uri: &client.homepage,
        logo_uri: &client.icon_url,
        scope: super::scope::FULL_ACCESS,
    };
    Ok(Response::json(201, &body))
}

/// The app the metadata describes, checked; never trusted, created by nobody (as Mattermost).
fn build_app<H: Host>(
    ctx: &Context<'_, H>,
    metadata: RegistrationRequest,
) -> Result<(Client, Option<ClientSecret>), OAuthError> {
    let auth_method = metadata.token_endpoint_auth_method.unwrap_or_else(|| "client_secret_basic".into());
    if !AUTH_METHODS.contains(&auth_method.as_str()) {
        return Err(metadata_error(format!("token_endpoint_auth_method {auth_method:?} is not supported.")));
    }
    let is_public = auth_method == "none";
    let (grant_types, response_types) =
        grants_and_responses(metadata.grant_types, metadata.response_types, is_public)?;
    // RFC 7591 §2: redirect URIs are for redirect-based flows; a device-only client (RFC 8628)
    // registers none.
    if !response_types.is_empty() || !metadata.redirect_uris.is_empty() {
        check_redirect_uris(
            &metadata.redirect_uris,
            &ctx.config.service_settings.dcr_redirect_uri_allowlist,
        )?;
    }
    if metadata.scope.as_deref().is_some_and(|s| s.len() > super::authorize::MAX_SCOPE_LEN) {
        return Err(metadata_error("scope is longer than 128 characters."));
    }
    let now = ctx.host.now_millis();
    let secret = (!is_public).then(|| ClientSecret::new(new_secret()));
    let client = Client {
        v: 1,
        id: ClientId::random(),
        creator_id: UserId::default(),
        create_at: now,
        update_at: now,
        name: metadata.client_name.unwrap_or_else(|| DEFAULT_NAME.into()),
        description: String::new(),
        icon_url: metadata.logo_uri.unwrap_or_default(),
        callback_urls: metadata.redirect_uris,
        homepage: metadata.client_uri.unwrap_or_default(),
        is_trusted: false,
        is_public,
        is_dynamically_registered: true,
        mattermost_app_id: String::new(),
        secret_hash: secret.as_ref().map(|s| SecretHash::of(s.secret())),
        grant_types,
        response_types,
        token_endpoint_auth_method: Some(auth_method),
    };
    client.check().map_err(|invalid| metadata_error(invalid.to_string()))?;
    Ok((client, secret))
}

/// RFC 7591 §2: the redirect URI rule with this server's allowlist, as `invalid_redirect_uri`.
fn check_redirect_uris(uris: &[String], allowlist: &[String]) -> Result<(), OAuthError> {
    redirect_uri::check_list(uris, allowlist).map_err(|refusal| {
        redirect_error(match refusal {
            ListRefusal::Empty => "At least one redirect URI is required.".into(),
            ListRefusal::Refused(reason) => reason,
            ListRefusal::NotAllowed(uri) => {
                format!("Redirect URI {uri:?} is not allowed by this server's redirect URI allowlist.")
            }
        })
    })
}

/// RFC 7591 §2.1: grant types and response types must agree (`code` ↔ `authorization_code`,
/// `token` ↔ `implicit`); the grants as [`registered_grants`] has them.
fn grants_and_responses(
    grants: Option<Vec<String>>,
    responses: Option<Vec<String>>,
    is_public: bool,
) -> Result<(Vec<GrantType>, Vec<String>), OAuthError> {
    let names = grants.unwrap_or_else(|| vec![GrantType::AuthorizationCode.as_str().into()]);
    let grants =
        registered_grants(&names, is_public).map_err(|invalid| metadata_error(invalid.to_string()))?;
    let derived: Vec<String> = grants
        .iter()
        .filter_map(|g| match g {
            GrantType::AuthorizationCode => Some("code".to_owned()),
            GrantType::Implicit => Some("token".to_owned()),
            _ => None,
        })
        .collect();
    let responses = responses.unwrap_or_else(|| derived.clone());
    let mut sorted_responses = responses.clone();
    let mut sorted_derived = derived;
    sorted_responses.sort();
    sorted_derived.sort();
    // None only for a client without a redirect-based grant (a device-only client, RFC 8628).
    if sorted_responses != sorted_derived {
        return Err(metadata_error(
            "grant_types and response_types do not agree (code ↔ authorization_code, token ↔ implicit).",
        ));
    }
    Ok((grants, responses))
}

/// A fixed one-minute window per remote address, in the KV store so that it holds across server
/// nodes. Returns the seconds to wait when the limit is reached.
async fn rate_limited<H: Host>(ctx: &Context<'_, H>, remote_addr: &str) -> Result<Option<i64>, OAuthError> {
    let limit = Limit { kind: "dcr", per_window: ctx.config.dcr_rate_limit_per_minute(), window_seconds: 60 };
    Ok(limit.hit(ctx, remote_addr).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_and_response_types_agree() {
        let ok = grants_and_responses(None, None, false).unwrap();
        assert_eq!(ok, (vec![GrantType::AuthorizationCode, GrantType::RefreshToken], vec!["code".into()]));
        let public =
            grants_and_responses(Some(vec!["authorization_code".into(), "refresh_token".into()]), None, true);
        assert_eq!(public.unwrap().0, [GrantType::AuthorizationCode]);
        assert!(grants_and_responses(
            Some(vec!["authorization_code".into()]),
            Some(vec!["token".into()]),
            false
        )
        .is_err());
        assert!(grants_and_responses(Some(vec!["client_credentials".into()]), None, false).is_err());
        assert!(grants_and_responses(Some(vec![]), None, false).is_err());
        let device = grants_and_responses(Some(vec![GrantType::DeviceCode.as_str().into()]), None, false);
        assert_eq!(device.unwrap(), (vec![GrantType::DeviceCode, GrantType::RefreshToken], vec![]));
        let device = grants_and_responses(Some(vec![GrantType::DeviceCode.as_str().into()]), None, true);
        assert_eq!(device.unwrap(), (vec![GrantType::DeviceCode], vec![]));
    }
}
