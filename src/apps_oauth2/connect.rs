//! Connecting a user's account at an app's remote provider: `connect` starts an authorization code
//! flow with PKCE (RFC 6749 §4.1, RFC 7636) and a single-use state bound to the user; `complete`
//! takes the code, exchanges it at the provider's token URL, and stores the user's token.

use super::records::{self, BoundApp, ConnectState, RemoteSettings, StateRefusal, UserToken};
use crate::access;
use crate::context::Context;
use crate::grant_type::GrantType;
use crate::host::Host;
use crate::http::{redirect, Params, Request, Response, INTERNAL_ERROR_MESSAGE};
use crate::ids::{new_secret, ConnectStateToken, PkceCodeVerifier, UserId};
use crate::oauth_client::{request_token, TokenError};
use crate::pages::message_page;
use crate::provider::pkce;
use url::Url;

const COMPLETED: &str = "Completed connecting your account. Please close this window.";

pub fn connect_url<H: Host>(ctx: &Context<'_, H>, app_id: &str) -> String {
    ctx.config.site_url_for(&format!("/plugins/oauth-plugin/apps/{app_id}/oauth2/remote/connect"))
}

pub fn complete_url<H: Host>(ctx: &Context<'_, H>, app_id: &str) -> String {
    ctx.config.site_url_for(&format!("/plugins/oauth-plugin/apps/{app_id}/oauth2/remote/complete"))
}

fn failure(status: u16, message: &str) -> Response {
    message_page(status, "Your account was not connected", message)
}

/// A failure inside: in general words, the detail for the log only.
fn internal_failure(cause: impl std::fmt::Display) -> Response {
    Response { internal_error: Some(cause.to_string()), ..failure(500, INTERNAL_ERROR_MESSAGE) }
}

/// `GET /plugins/oauth-plugin/apps/{app_id}/oauth2/remote/connect`.
pub async fn connect<H: Host>(ctx: &Context<'_, H>, user_id: &UserId, app_id: &str) -> Response {
    let not_set_up =
        || failure(404, "This app has not set up its OAuth2 provider (authorize_url, token_url, client_id).");
    let app = match records::bound_app(ctx, app_id).await {
        Ok(Some(app)) => app,
        Ok(None) => return not_set_up(),
        Err(e) => return internal_failure(e),
    };
    let settings = match records::settings(ctx, &app).await {
        Ok(Some(s)) if !s.authorize_url.is_empty() && !s.token_url.is_empty() && !s.client_id.is_empty() => s,
        Ok(_) => return not_set_up(),
        Err(e) => return internal_failure(e),
    };
    let Ok(mut target) = Url::parse(&settings.authorize_url) else {
        return failure(500, "The app's authorize_url is not a valid URL.");
    };
    let state = ConnectStateToken::new(new_secret());
    let code_verifier = PkceCodeVerifier::new(new_secret());
    let challenge = pkce::challenge_for(code_verifier.secret());
    let record = ConnectState {
        v: 1,
        app_id: app_id.to_owned(),
        user_id: user_id.clone(),
        code_verifier,
        binding: app.binding.clone(),
    };
    match records::begin_connect(ctx, &state, &record).await {
        Ok(true) => {}
        Ok(false) => return internal_failure("a new connect state's key was taken"),
        Err(e) => return internal_failure(e),
    }
    target
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &settings.client_id)
        .append_pair("redirect_uri", &complete_url(ctx, app_id))
        .append_pair("scope", &settings.scopes.join(" "))
        .append_pair("state", state.secret())
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    redirect(target.as_str())
}

/// `GET /plugins/oauth-plugin/apps/{app_id}/oauth2/remote/complete`.
pub async fn complete<H: Host>(ctx: &Context<'_, H>, request: &Request, app_id: &str) -> Response {
    let Some(user_id) = access::session_user(request) else {
        return failure(401, "You are not logged in. Log in and connect your account again.");
    };
    let Ok(params) = Params::parse(request.query.as_bytes()) else {
        return failure(400, "The provider's answer is malformed.");
    };
    let Some(state) = params.get("state") else {
        return failure(400, "The provider's answer has no state.");
    };
    let app = match records::bound_app(ctx, app_id).await {
        Ok(Some(app)) => app,
        Ok(None) => return failure(404, "This app is not set up on this server."),
        Err(e) => return internal_failure(e),
    };
    let record = match records::consume_state(ctx, state, &app, &user_id).await {
        Ok(Ok(record)) => record,
        Ok(Err(StateRefusal::Unknown)) => {
            return failure(
                403,
                "This connection attempt is unknown, expired or already used. Start again from the app.",
            )
        }
        Ok(Err(StateRefusal::NotYours)) => {
            return failure(403, "This connection attempt was started by another user.")
        }
        Err(e) => return internal_failure(e),
    };
    if let Some(error) = params.get("error") {
        let detail = params.get("error_description").map(|d| format!(" ({d})")).unwrap_or_default();
        return failure(400, &format!("The provider answered: {error}{detail}."));
    }
    let Some(code) = params.get("code") else {
        return failure(400, "The provider's answer has neither a code nor an error.");
    };
    let settings = match records::settings(ctx, &app).await {
        Ok(settings) => settings,
        Err(e) => return internal_failure(e),
    };
    let obtained = match settings {
        Some(settings) => exchange(ctx, &app, &settings, &record, code).await.map_err(|e| e.to_string()),
        None => Err("the app has no OAuth2 settings".to_owned()),
    };
    match obtained {
        Ok(token) => match records::save_user_token(ctx, &app, &user_id, &token).await {
            Ok(()) => message_page(200, "Account connected", COMPLETED),
            Err(e) => internal_failure(e),
        },
        Err(reason) => {
            failure(502, &format!("The provider's token endpoint did not give a token: {reason}."))
        }
    }
}

/// RFC 6749 §4.1.3 with the PKCE verifier (RFC 7636 §4.5).
async fn exchange<H: Host>(
    ctx: &Context<'_, H>,
    app: &BoundApp,
    settings: &RemoteSettings,
    record: &ConnectState,
    code: &str,
) -> Result<UserToken, TokenError> {
    let redirect_uri = complete_url(ctx, &app.app_id);
    let form = [
        ("code", code),
        ("redirect_uri", redirect_uri.as_str()),
        ("client_id", settings.client_id.as_str()),
        ("client_secret", settings.client_secret.secret().as_str()),
        ("code_verifier", record.code_verifier.secret().as_str()),
    ];
    let obtained = request_token(ctx, &settings.token_url, GrantType::AuthorizationCode, &form).await?;
    let now = ctx.host.now_millis();
    Ok(UserToken {
        v: 1,
        expires_at: obtained.expires_in.map(|s| now + s * 1000),
        refresh_token: obtained.refresh_token.clone(),
        value: obtained.raw,
        obtained_by_plugin: true,
        stored_at: now,
        binding: app.binding.clone(),
    })
}
