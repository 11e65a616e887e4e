//! The app OAuth2 store's REST API under `/plugins/oauth-plugin/api/v1/oauth2`, as the Apps
//! framework's (`/app`, `/user`), plus `/context` and the user's own `/connections`.
//!
//! An app calls with an access token this server's provider issued to the app's OAuth app (one
//! with a `mattermost_app_id`) for some user: the token says which app and which user.

use super::connect::{complete_url, connect_url};
use super::records::{self, BoundApp, RemoteSettings, UserToken};
use crate::access::MANAGE_SYSTEM;
use crate::config::is_http_url;
use crate::context::Context;
use crate::grant_type::GrantType;
use crate::host::Host;
use crate::http::{json_body_within, AppError, JsonShape, Request, Response};
use crate::ids::{TokenJson, UserId};
use crate::oauth_client::request_token;
use crate::provider::{app_ids, grants, token_validity};
use serde::Serialize;

/// Mattermost Apps: request bodies up to 8192 bytes.
pub const MAX_BODY: usize = 8192;
/// A token this close to expiry counts as expired, so it is refreshed before use: 30 s, or a
/// quarter of a shorter lifetime (else a 20-second token would be refreshed on every read).
const EXPIRY_MARGIN_MILLIS: i64 = 30_000;
/// How often a request waiting for another's refresh looks again.
const REFRESH_POLL_MILLIS: u32 = 100;

/// Who is calling: an app (as the OAuth app holding its app id), for one of its users.
pub struct AppSession {
    pub app: BoundApp,
    pub user_id: UserId,
}

fn not_an_app_session() -> AppError {
    AppError::new(401, "app.apps_oauth2.not_app_session.app_error", "not an app session")
}

/// A token that could not be checked: the server's fault, the detail for the log only.
impl From<grants::Failure> for AppError {
    fn from(failure: grants::Failure) -> Self {
        AppError::internal(failure)
    }
}

fn bearer(request: &Request) -> Option<&str> {
    let (scheme, token) = request.header("authorization")?.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

const INSUFFICIENT_SCOPE: &str = "This token was granted only to sign a user in; the API needs scope user.";

/// The app and user behind the request's bearer token: a valid token of an OAuth app that holds
/// the claim to its app id.
pub async fn app_session<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Result<AppSession, AppError> {
    let token = bearer(request).ok_or_else(not_an_app_session)?;
    let valid = token_validity::chat_api_token(ctx, token).await?.ok_or_else(not_an_app_session)?;
    // A token that only signs a user in (OpenID Connect's scopes) is no app session.
    if !crate::provider::scope::allows_api(&valid.grant.scope) {
        return Err(AppError::new(403, "api.context.insufficient_scope.app_error", INSUFFICIENT_SCOPE));
    }
    let not_linked =
        |message: &str| AppError::new(403, "app.apps_oauth2.no_app_id.app_error", message.to_owned());
    if valid.client.mattermost_app_id.is_empty() {
        return Err(not_linked("This OAuth app is not linked to an app: set its mattermost_app_id."));
    }
    let binding = app_ids::binding_of(ctx, &valid.client.mattermost_app_id, &valid.client.id)
        .await?
        .ok_or_else(|| not_linked("Another OAuth app holds this OAuth app's mattermost_app_id."))?;
    let app = BoundApp { app_id: valid.client.mattermost_app_id, binding };
    Ok(AppSession { app, user_id: valid.grant.user_id })
}

fn body_json<T: serde::de::DeserializeOwned>(
    request: &Request,
    what: &str,
    shape: JsonShape,
) -> Result<T, AppError> {
    json_body_within(request, what, MAX_BODY, shape)
}

fn ok() -> Response {
    Response::json(200, &serde_json::json!({"status": "OK"}))
}

/// `POST|PUT /app`: the app's remote provider settings; the acting user needs `manage_system`.
pub async fn put_app<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Result<Response, AppError> {
    let session = app_session(ctx, request).await?;
    let settings: RemoteSettings = body_json(request, "app", JsonShape::Object)?;
    ctx.require_permission(&session.user_id, MANAGE_SYSTEM).await?;
    check_settings(&settings)?;
    records::save_settings(ctx, &session.app, &settings).await?;
    Ok(ok())
}

fn check_settings(settings: &RemoteSettings) -> Result<(), AppError> {
    let invalid = |field: &str| {
        AppError::new(400, "app.apps_oauth2.invalid_settings.app_error", format!("{field} is not valid."))
    };
    for (field, value) in
        [("client_id", &settings.client_id), ("client_secret", settings.client_secret.secret())]
    {
        if value.chars().count() > 255 {
            return Err(invalid(field));
        }
    }
    for (field, value) in [
        ("remote_root_url", &settings.remote_root_url),
        ("authorize_url", &settings.authorize_url),
        ("token_url", &settings.token_url),
    ] {
        if !value.is_empty() && (value.len() > 1024 || !is_http_url(value)) {
            return Err(invalid(field));
        }
    }
    if settings.scopes.len() > 32
        || settings.scopes.iter().any(|s| s.is_empty() || s.len() > 128 || s.contains(' '))
    {
        return Err(invalid("scopes"));
    }
    Ok(())
}

/// `GET /user`: the acting user's token (an empty body when there is none), refreshed first when
/// the plugin obtained it and it has expired.
pub async fn get_user<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Result<Response, AppError> {
    let session = app_session(ctx, request).await?;
    match current_token(ctx, &session.app, &session.user_id).await? {
        Some(token) => Ok(Response::json(200, token.value.secret())),
        None => Ok(Response::new(200)),
    }
}

/// `POST|PUT /user`: any JSON, stored as the acting user's token.
pub async fn put_user<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Result<Response, AppError> {
    let session = app_session(ctx, request).await?;
    let value: serde_json::Value = body_json(request, "user", JsonShape::Any)?;
    let token = UserToken {
        v: 1,
        value: TokenJson::new(value),
        obtained_by_plugin: false,
        expires_at: None,
        refresh_token: None,
        stored_at: ctx.host.now_millis(),
        binding: session.app.binding.clone(),
    };
    records::save_user_token(ctx, &session.app, &session.user_id, &token).await?;
    Ok(ok())
}

#[derive(Serialize)]
struct AppContext<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    remote_root_url: &'a str,
    data: &'a serde_json::Value,
    connect_url: String,
    complete_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<serde_json::Value>,
}

/// `GET /context`: what the app needs to drive its own calls.
pub async fn context<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Result<Response, AppError> {
    let session = app_session(ctx, request).await?;
    let settings = records::settings(ctx, &session.app).await?.unwrap_or_default();
    let user = current_token(ctx, &session.app, &session.user_id).await?.map(|t| t.value.secret().clone());
    let body = AppContext {
        client_id: &settings.client_id,
        client_secret: settings.client_secret.secret(),
        remote_root_url: &settings.remote_root_url,
        data: &settings.data,
        connect_url: connect_url(ctx, &session.app.app_id),
        complete_url: complete_url(ctx, &session.app.app_id),
        user,
    };
    Ok(Response::json(200, &body))
}

fn needs_refresh(token: &UserToken, now: i64) -> bool {
    let Some(expires_at) = token.expires_at.filter(|_| token.obtained_by_plugin) else { return false };
    let margin = EXPIRY_MARGIN_MILLIS.min((expires_at - token.stored_at).max(0) / 4);
    expires_at - margin <= now
}

/// The user's token, refreshed if the plugin obtained it and it has expired.
///
/// One refresh at a time per user and app, across requests and server nodes: a provider that
/// rotates refresh tokens treats a second use of the old one as a replay and revokes the grant
/// (RFC 9700 §4.14.2). The refresher holds a short-lived lock; the others wait and re-read.
async fn current_token<H: Host>(
    ctx: &Context<'_, H>,
    app: &BoundApp,
    user_id: &UserId,
) -> Result<Option<UserToken>, AppError> {
    let app_id = app.app_id.as_str();
    let timeout_ms =
        i64::from(ctx.config.service_settings.outgoing_integration_requests_timeout.max(1)) * 1000;
    let give_up_at = ctx.host.now_millis() + timeout_ms;
    loop {
        let Some((token, bytes)) = records::user_token(ctx, app, user_id).await? else {
            return Ok(None);
        };
        if !needs_refresh(&token, ctx.host.now_millis()) {
            return Ok(Some(token));
        }
        if records::lock_refresh(ctx, app_id, user_id, timeout_ms).await? {
            let result = refresh_and_store(ctx, app, user_id, &token, &bytes).await;
            records::unlock_refresh(ctx, app_id, user_id).await?;
            return result.map(Some);
        }
        if ctx.host.now_millis() >= give_up_at {
            return Err(AppError::new(
                503,
                "app.apps_oauth2.refresh_busy.app_error",
                "The remote token is being refreshed by another request; try again shortly.",
            ));
        }
        ctx.host.sleep(REFRESH_POLL_MILLIS).await;
    }
}

async fn refresh_and_store<H: Host>(
    ctx: &Context<'_, H>,
    app: &BoundApp,
    user_id: &UserId,
    token: &UserToken,
    bytes: &[u8],
) -> Result<UserToken, AppError> {
    let refreshed = refresh(ctx, app, token).await?;
    if records::replace_user_token(ctx, app, user_id, bytes, &refreshed).await? {
        return Ok(refreshed);
    }
    // The user connected again meanwhile: theirs is the newer token.
    Ok(records::user_token(ctx, app, user_id).await?.map(|(token, _)| token).unwrap_or(refreshed))
}

async fn refresh<H: Host>(
    ctx: &Context<'_, H>,
    app: &BoundApp,
    token: &UserToken,
) -> Result<UserToken, AppError> {
    let failed = |reason: String| {
        AppError::new(
            502,
            "app.apps_oauth2.refresh.app_error",
            format!("The remote token has expired and could not be refreshed: {reason}."),
        )
    };
    let refresh_token = token
        .refresh_token
        .as_ref()
        .ok_or_else(|| failed("there is no refresh token; connect the account again".into()))?;
    let settings = records::settings(ctx, app).await?.filter(|s| !s.token_url.is_empty());
    let settings = settings.ok_or_else(|| failed("the app has no token_url".into()))?;
    let form = [
        ("refresh_token", refresh_token.secret().as_str()),
        ("client_id", settings.client_id.as_str()),
        ("client_secret", settings.client_secret.secret().as_str()),
    ];
    let obtained = request_token(ctx, &settings.token_url, GrantType::RefreshToken, &form)
        .await
        .map_err(|e| failed(e.to_string()))?;
    Ok(UserToken {
        v: 1,
        expires_at: obtained.expires_in.map(|s| ctx.host.now_millis() + s * 1000),
        // RFC 6749 §6: without a new refresh token, the old one stays good.
        refresh_token: obtained.refresh_token.clone().or_else(|| token.refresh_token.clone()),
        value: obtained.raw,
        obtained_by_plugin: true,
        stored_at: ctx.host.now_millis(),
        binding: app.binding.clone(),
    })
}

#[derive(Serialize)]
struct ConnectedAccount<'a> {
    app_id: &'a str,
    connected_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
}

/// `GET /connections`: the apps the logged-in user connected an account to.
pub async fn list_connections<H: Host>(ctx: &Context<'_, H>, user_id: &UserId) -> Result<Response, AppError> {
    let found = records::connected_apps(ctx, user_id).await?;
    let views: Vec<ConnectedAccount> = found
        .iter()
        .map(|(app_id, token)| ConnectedAccount {
            app_id,
            connected_at: token.stored_at,
            expires_at: token.expires_at,
        })
        .collect();
    Ok(Response::json(200, &views))
}

/// `DELETE /connections/{app_id}`: forgets the user's token for that app.
pub async fn delete_connection<H: Host>(
    ctx: &Context<'_, H>,
    user_id: &UserId,
    app_id: &str,
) -> Result<Response, AppError> {
    records::forget_user_token(ctx, app_id, user_id).await?;
    Ok(ok())
}
