//! The authorization endpoint: `GET /oauth/authorize` (RFC 6749 §4.1.1, §4.2.1) shows consent or
//! answers at once for trusted and already-approved apps; `POST /oauth/authorize` is the consent
//! page's Allow or Deny, as Mattermost's (JSON in, `{"redirect": url}` out).
//!
//! Errors that cannot be sent to a verified redirect URI (unknown client, unregistered redirect
//! URI) get an error page; every later error goes back to the client with `error`, `state` and
//! `iss` (RFC 6749 §4.1.2.1, RFC 9207).

use super::client_metadata::{self, Refusal as DocumentRefusal};
use super::clients::Client;
use super::consent;
use super::consent_page;
use super::grants::{self, Authorization};
use super::oauth_error::{ErrorCode, OAuthError};
use super::pkce;
use super::prompt::{self, Prompt, Session};
use super::resource_indicators::{self, Targets};
use super::scope;
use crate::access;
use crate::context::Context;
use crate::grant_type::GrantType;
use crate::host::Host;
use crate::http::{json_body, redirect, AppError, Params, Request, Response, INTERNAL_ERROR_MESSAGE};
use crate::ids::{ClientId, UserId};
use crate::redirect_uri::{self, RedirectUri};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use url::Url;

pub const MAX_STATE_LEN: usize = 1024;
pub const MAX_SCOPE_LEN: usize = 128;
/// OpenID Connect's `nonce` (Core §3.1.2.1) travels in the code record and the ID token.
pub const MAX_NONCE_LEN: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResponseType {
    Code,
    Token,
}

/// The request's parameters, as the query string or the consent page's JSON carry them
/// (Mattermost's `AuthorizeRequest`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthorizeParams {
    pub response_type: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub scope: String,
    pub code_challenge: String,
    pub code_challenge_method: String,
    /// RFC 8707 §2: once per resource (the consent page's JSON: a string, or a list).
    #[serde(deserialize_with = "one_or_many")]
    pub resource: Vec<String>,
    /// OpenID Connect Core §3.1.2.1.
    pub nonce: String,
    pub prompt: String,
    pub max_age: String,
    /// Only from the consent page: `false` is Deny. Mattermost's own consent page never sends it.
    #[serde(default = "yes", skip_serializing)]
    pub approve: bool,
}

fn yes() -> bool {
    true
}

/// A string (as Mattermost's `AuthorizeRequest` has it), or a list of them.
fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) if one.is_empty() => Vec::new(),
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

impl AuthorizeParams {
    fn from_query(params: &Params) -> Self {
        let get = |name: &str| params.get(name).unwrap_or("").to_owned();
        AuthorizeParams {
            response_type: get("response_type"),
            client_id: get("client_id"),
            redirect_uri: get("redirect_uri"),
            state: get("state"),
            scope: get("scope"),
            code_challenge: get("code_challenge"),
            code_challenge_method: get("code_challenge_method"),
            resource: params.all("resource").map(str::to_owned).collect(),
            nonce: get("nonce"),
            prompt: get("prompt"),
            max_age: get("max_age"),
            approve: true,
        }
    }
}

/// Where the answer goes, once the client and its redirect URI are verified.
struct Verified {
    client: Client,
    redirect_uri: String,
    redirect_uri_given: bool,
}

/// A failure before the redirect URI is verified: shown to the user, never redirected.
struct PageError {
    status: u16,
    message: String,
    /// What went wrong inside, for the log.
    cause: Option<String>,
}

fn page_error(status: u16, message: impl Into<String>) -> PageError {
    PageError { status, message: message.into(), cause: None }
}

/// A failure inside, on the page: in general words, the detail for the log only.
impl From<StoreError> for PageError {
    fn from(error: StoreError) -> Self {
        PageError { status: 500, message: INTERNAL_ERROR_MESSAGE.to_owned(), cause: Some(error.to_string()) }
    }
}

impl PageError {
    fn render(self) -> Response {
        Response { internal_error: self.cause, ..consent_page::error_page(self.status, &self.message) }
    }
}

/// A client id that names a document which could not be used: said on the page.
impl From<DocumentRefusal> for PageError {
    fn from(refusal: DocumentRefusal) -> Self {
        match refusal {
            DocumentRefusal::Storage(error) => error.into(),
            DocumentRefusal::Disabled => page_error(404, refusal.to_string()),
            DocumentRefusal::Unreachable(ref reason) => {
                PageError { cause: Some(reason.clone()), ..page_error(400, refusal.to_string()) }
            }
            other => page_error(400, other.to_string()),
        }
    }
}

/// RFC 6749 §3.1.2.3 and §4.1.2.1: the client must exist and the redirect URI be registered.
async fn verify_client<H: Host>(
    ctx: &Context<'_, H>,
    params: &AuthorizeParams,
) -> Result<Verified, PageError> {
    if params.client_id.is_empty() {
        return Err(page_error(400, "The request has no client_id."));
    }
    let client = client_metadata::find(ctx, &ClientId::new(params.client_id.as_str()))
        .await?
        .ok_or_else(|| page_error(404, "The app that sent you here is not registered on this server."))?;
    if params.redirect_uri.is_empty() {
        // RFC 6749 §3.1.2.3: optional only when exactly one redirect URI is registered.
        return match client.callback_urls.as_slice() {
            [only] => Ok(Verified { redirect_uri: only.clone(), redirect_uri_given: false, client }),
            _ => Err(page_error(400, "The request has no redirect_uri and the app registered several.")),
        };
    }
    if let Err(refusal) = RedirectUri::parse(&params.redirect_uri) {
        return Err(page_error(400, redirect_uri::explain(&params.redirect_uri, refusal)));
    }
    if !client.has_callback(&params.redirect_uri) {
        return Err(page_error(
            400,
            "The redirect_uri does not match any callback URL registered for this app.",
        ));
    }
    Ok(Verified { redirect_uri: params.redirect_uri.clone(), redirect_uri_given: true, client })
}

/// A request that passed [`check_params`].
struct Checked {
    response_type: ResponseType,
    prompt: Prompt,
    max_age: Option<i64>,
    /// RFC 8707: the resources the request names.
    targets: Targets,
}

/// The remaining checks, whose failures go back to the client.
fn check_params(params: &AuthorizeParams, client: &Client) -> Result<Checked, OAuthError> {
    let response_type = match params.response_type.as_str() {
        "code" => ResponseType::Code,
        "token" => ResponseType::Token,
        "" => return Err(OAuthError::invalid_request("response_type is required.")),
        other => {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                format!("response_type {other:?} is not supported; use code or token."),
            ))
        }
    };
    let (grant, name) = match response_type {
        ResponseType::Code => (GrantType::AuthorizationCode, "code"),
        ResponseType::Token => (GrantType::Implicit, "token"),
    };
    let registered = client.allows_grant(grant)
        && (client.response_types.is_empty() || client.response_types.iter().any(|t| t == name));
    if !registered {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "This client did not register that response_type.",
        ));
    }
    if params.state.len() > MAX_STATE_LEN {
        return Err(OAuthError::invalid_request("state is longer than 1024 characters."));
    }
    if params.scope.len() > MAX_SCOPE_LEN {
        return Err(OAuthError::new(ErrorCode::InvalidScope, "scope is longer than 128 characters."));
    }
    if params.nonce.len() > MAX_NONCE_LEN {
        return Err(OAuthError::invalid_request("nonce is longer than 512 characters."));
    }
    check_pkce(params, client, response_type)?;
    let prompt = prompt::parse(&params.prompt)?;
    let max_age = prompt::parse_max_age(&params.max_age)?;
    Ok(Checked { response_type, prompt, max_age, targets: Targets::default() })
}

/// The scope this request is granted (see [`scope::grant`]): the resources it names add the scopes
/// they understand.
fn granted_scope(params: &AuthorizeParams, checked: &Checked) -> String {
    let extra: Vec<&str> = checked.targets.scopes.iter().map(String::as_str).collect();
    scope::grant(&params.scope, &extra)
}

/// The parameter checks, then RFC 8707 §2: the resources the request names, each one this server
/// knows.
async fn checked<H: Host>(
    ctx: &Context<'_, H>,
    params: &AuthorizeParams,
    client: &Client,
) -> Result<Checked, OAuthError> {
    let checked = check_params(params, client)?;
    let targets = resource_indicators::resolve(ctx, params.resource.iter().map(String::as_str)).await?;
    Ok(Checked { targets, ..checked })
}

/// RFC 7636 §4.3 with `S256` only; public clients must use it for the code flow.
fn check_pkce(
    params: &AuthorizeParams,
    client: &Client,
    response_type: ResponseType,
) -> Result<(), OAuthError> {
    if params.code_challenge.is_empty() {
        if !params.code_challenge_method.is_empty() {
            return Err(OAuthError::invalid_request("code_challenge_method without code_challenge."));
        }
        if client.is_public && response_type == ResponseType::Code {
            return Err(OAuthError::invalid_request(
                "PKCE is required for public clients: send a code_challenge.",
            ));
        }
        return Ok(());
    }
    // RFC 7636 §4.3: an absent method means `plain`, which is refused like an explicit one.
    if params.code_challenge_method != "S256" {
        return Err(OAuthError::invalid_request("code_challenge_method must be S256."));
    }
    if !pkce::is_valid_challenge(&params.code_challenge) {
        return Err(OAuthError::invalid_request("code_challenge must be 43 to 128 characters of base64url."));
    }
    Ok(())
}

/// `GET /oauth/authorize`.
pub async fn serve_get<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Response {
    let (params, login_after) = match Params::parse(request.query.as_bytes()) {
        Ok(query) => {
            (AuthorizeParams::from_query(&query), query.get(prompt::LOGIN_AFTER).and_then(|t| t.parse().ok()))
        }
        Err(error) => {
            return consent_page::error_page(400, &format!("Invalid authorization request: {error}."))
        }
    };
    let verified = match verify_client(ctx, &params).await {
        Ok(verified) => verified,
        Err(error) => return error.render(),
    };
    let fail = |error: OAuthError, response_type| {
        redirect(&error_redirect(ctx, &verified, &params, response_type, &error))
    };
    let Some(user_id) = access::session_user(request) else {
        // OpenID Connect Core §3.1.2.6: with prompt=none no page is shown, not even the login.
        if prompt::parse(&params.prompt).is_ok_and(|p| p.none) {
            return fail(login_required(), None);
        }
        return ctx.login_redirect(request);
    };
    let checked = match checked(ctx, &params, &verified.client).await {
        Ok(checked) => checked,
        Err(error) => return fail(error, None),
    };
    let response_type = Some(checked.response_type);
    let now = ctx.host.now_millis();
    // Core §3.1.2.1: prompt=login and max_age ask for a login newer than the session.
    match prompt::session(checked.prompt, checked.max_age, request.session_created_at, login_after, now) {
        Session::Fresh => {}
        Session::Stale if !checked.prompt.none => {
            return ctx.fresh_login_redirect(&with_login_asked(request, now))
        }
        _ => return fail(login_required(), response_type),
    }
    let granted = granted_scope(&params, &checked);
    let approved =
        match consent::is_approved(ctx, &user_id, &verified.client.id, &granted, &checked.targets.audience)
            .await
        {
            Ok(approved) => approved,
            Err(error) => return fail(error.into(), response_type),
        };
    if !checked.prompt.consent && (verified.client.is_trusted || approved) {
        let target = answer(ctx, &user_id, &verified, &params, checked, request.session_created_at).await;
        return redirect(&target);
    }
    if checked.prompt.none {
        return fail(
            OAuthError::new(ErrorCode::ConsentRequired, "The user has not approved this app."),
            response_type,
        );
    }
    consent_page::render(&verified.client, &params_for_page(&params, &verified), &granted, &checked.targets)
}

fn login_required() -> OAuthError {
    OAuthError::new(ErrorCode::LoginRequired, "The user must log in.")
}

/// The request with the time a login was asked added to its query, for the login to return to.
fn with_login_asked(request: &Request, now: i64) -> Request {
    let pairs =
        url::form_urlencoded::parse(request.query.as_bytes()).filter(|(k, _)| k != prompt::LOGIN_AFTER);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .append_pair(prompt::LOGIN_AFTER, &now.to_string())
        .finish();
    Request { query, ..request.clone() }
}

/// `POST /oauth/authorize`: Allow (or Deny) from the consent page, for a logged-in user.
pub async fn serve_post<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    user_id: &UserId,
) -> Result<Response, AppError> {
    access::user_in_person(request)?;
    let params: AuthorizeParams = json_body(request, "authorize_request")?;
    let verified = verify_client(ctx, &params).await.map_err(|e| {
        let id = match e.status {
            404 => "app.oauth.get_app.find.app_error",
            500.. => crate::http::INTERNAL_ERROR_ID,
            _ => "api.oauth.allow_oauth.redirect_callback.app_error",
        };
        AppError { cause: e.cause, ..AppError::new(e.status, id, e.message) }
    })?;
    let auth_time = request.session_created_at;
    let target = match checked(ctx, &params, &verified.client).await {
        Err(error) => error_redirect(ctx, &verified, &params, None, &error),
        Ok(Checked { response_type, .. }) if !params.approve => {
            let denied = match consent::forget_approval(ctx, user_id, &verified.client.id).await {
                Ok(()) => OAuthError::new(ErrorCode::AccessDenied, "The user denied the request."),
                Err(error) => error.into(),
            };
            error_redirect(ctx, &verified, &params, Some(response_type), &denied)
        }
        Ok(checked) => {
            let granted = granted_scope(&params, &checked);
            let audience = &checked.targets.audience;
            match consent::remember_approval(ctx, user_id, &verified.client.id, &granted, audience).await {
                Ok(()) => answer(ctx, user_id, &verified, &params, checked, auth_time).await,
                Err(error) => {
                    error_redirect(ctx, &verified, &params, Some(checked.response_type), &error.into())
                }
            }
        }
    };
    Ok(Response::json(200, &serde_json::json!({ "redirect": target })))
}

/// The redirect that carries the code or the token (or the error that prevented it).
async fn answer<H: Host>(
    ctx: &Context<'_, H>,
    user_id: &UserId,
    verified: &Verified,
    params: &AuthorizeParams,
    checked: Checked,
    auth_time: Option<i64>,
) -> String {
    let response_type = checked.response_type;
    let authorization = Authorization {
        client_id: verified.client.id.clone(),
        user_id: user_id.clone(),
        scope: granted_scope(params, &checked),
        redirect_uri: verified.redirect_uri.clone(),
        redirect_uri_given: verified.redirect_uri_given,
        code_challenge: Some(params.code_challenge.clone()).filter(|c| !c.is_empty()),
        audience: checked.targets.audience,
        nonce: Some(params.nonce.clone()).filter(|n| !n.is_empty()),
        auth_time,
    };
    let result = match response_type {
        ResponseType::Code => {
            grants::issue_code(ctx, authorization).await.map(|code| vec![("code", code.secret().clone())])
        }
        ResponseType::Token => grants::issue_implicit(ctx, &authorization).await.map(|tokens| {
            vec![
                ("access_token", tokens.access_token.secret().clone()),
                ("token_type", "bearer".to_owned()),
                ("expires_in", tokens.expires_in.to_string()),
                ("scope", tokens.scope),
            ]
        }),
    };
    match result {
        Ok(fields) => response_url(ctx, verified, params, Some(response_type), fields),
        Err(error) => error_redirect(ctx, verified, params, Some(response_type), &error.into()),
    }
}

fn error_redirect(
    ctx: &Context<'_, impl Host>,
    verified: &Verified,
    params: &AuthorizeParams,
    response_type: Option<ResponseType>,
    error: &OAuthError,
) -> String {
    // Before response_type is known to be valid, a token request still expects the fragment.
    let response_type = response_type.or((params.response_type == "token").then_some(ResponseType::Token));
    let fields =
        vec![("error", error.code.as_str().to_owned()), ("error_description", error.description.clone())];
    response_url(ctx, verified, params, response_type, fields)
}

/// The redirect URI with `fields`, `state` and `iss` added: in the query for the code flow (kept
/// beside the callback's own query), in the fragment for the implicit flow (RFC 6749 §4.2.2).
fn response_url(
    ctx: &Context<'_, impl Host>,
    verified: &Verified,
    params: &AuthorizeParams,
    response_type: Option<ResponseType>,
    mut fields: Vec<(&str, String)>,
) -> String {
    if !params.state.is_empty() {
        fields.push(("state", params.state.clone()));
    }
    fields.push(("iss", ctx.config.issuer().to_owned()));
    // The redirect URI was registered after the same check, so it parses.
    let Ok(mut url) = Url::parse(&verified.redirect_uri) else { return verified.redirect_uri.clone() };
    if response_type == Some(ResponseType::Token) {
        let fragment = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&fields).finish();
        url.set_fragment(Some(&fragment));
    } else {
        url.query_pairs_mut().extend_pairs(&fields);
    }
    url.into()
}

/// What the consent page posts back: the request as verified (an omitted redirect URI stays
/// omitted, so that the token request need not repeat it).
fn params_for_page(params: &AuthorizeParams, verified: &Verified) -> AuthorizeParams {
    AuthorizeParams {
        client_id: verified.client.id.to_string(),
        redirect_uri: if verified.redirect_uri_given { verified.redirect_uri.clone() } else { String::new() },
        ..params.clone()
    }
}
