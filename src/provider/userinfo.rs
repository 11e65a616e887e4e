//! The UserInfo endpoint, OpenID Connect Core §5.3: `GET` or `POST /oauth/userinfo` with an access
//! token whose scope has `openid`, in the `Authorization` header or (POST) the form body's
//! `access_token` (RFC 6750 §2.1, §2.2); errors per RFC 6750 §3 with `WWW-Authenticate`.

use super::id_token::{user_claims, UserClaims};
use super::oauth_error::no_store;
use super::scope::{self, OPENID};
use super::token_validity::{self, ValidToken};
use crate::context::Context;
use crate::host::Host;
use crate::http::{Params, Request, Response};
use crate::ids::UserId;
use serde::Serialize;

/// Form bodies larger than this are refused: a token is 43 characters (a JWT access token, some 800).
const MAX_FORM_BODY: usize = 4 * 1024;

/// RFC 6750 §3.1.
#[derive(Default)]
struct BearerError {
    status: u16,
    /// `None` when no token was sent at all (§3.1: then no error code).
    code: Option<&'static str>,
    description: &'static str,
    scope: Option<&'static str>,
    /// What failed inside, for the log only.
    cause: Option<String>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

impl BearerError {
    fn invalid_request(description: &'static str) -> Self {
        BearerError { status: 400, code: Some("invalid_request"), description, ..Default::default() }
    }

    fn render(&self) -> Response {
        let mut challenge = "Bearer".to_owned();
        if let Some(code) = self.code {
            challenge.push_str(&format!(r#" error="{code}", error_description="{}""#, self.description));
        }
        if let Some(scope) = self.scope {
            challenge.push_str(&format!(r#", scope="{scope}""#));
        }
        let body =
            ErrorBody { error: self.code.unwrap_or("invalid_token"), error_description: self.description };
        let response = Response { internal_error: self.cause.clone(), ..Response::json(self.status, &body) };
        no_store(response).with_header("WWW-Authenticate", &challenge)
    }
}

/// The token the request presents, by exactly one method (RFC 6750 §2).
fn presented_token(request: &Request) -> Result<Option<String>, BearerError> {
    let header = request.header("authorization").and_then(|value| {
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
    });
    let media_type = request.header("content-type").unwrap_or("").split(';').next().unwrap_or("").trim();
    let form =
        request.method == "POST" && media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded");
    let body = if form {
        if request.body.len() > MAX_FORM_BODY {
            return Err(BearerError::invalid_request("The request body is too large."));
        }
        let params = Params::parse(&request.body)
            .map_err(|_| BearerError::invalid_request("The form body is malformed."))?;
        params.get("access_token").map(str::to_owned)
    } else {
        None
    };
    match (header, body) {
        (Some(_), Some(_)) => Err(BearerError::invalid_request("Send the access token by one method only.")),
        (Some(token), None) | (None, Some(token)) => Ok(Some(token)),
        (None, None) => Ok(None),
    }
}

/// Core §5.3.2.
#[derive(Serialize)]
struct UserInfo<'a> {
    sub: &'a UserId,
    #[serde(flatten)]
    claims: UserClaims,
}

/// `GET` and `POST /oauth/userinfo`, open to any origin.
pub async fn serve<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Response {
    answer(ctx, request).await.unwrap_or_else(|error| error.render()).allow_any_origin()
}

async fn answer<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Result<Response, BearerError> {
    let no_token =
        BearerError { status: 401, description: "An access token is required.", ..Default::default() };
    let token = presented_token(request)?.ok_or(no_token)?;
    // UserInfo is the chat server's: a token meant for another resource is no token here.
    let valid = token_validity::chat_api_token(ctx, &token).await.map_err(|e| BearerError {
        status: 500,
        code: Some("server_error"),
        description: "The token could not be checked; try again.",
        cause: Some(e.to_string()),
        ..Default::default()
    })?;
    let Some(ValidToken { grant, user, .. }) = valid else {
        return Err(BearerError {
            status: 401,
            code: Some("invalid_token"),
            description: "The access token is invalid or has expired.",
            ..Default::default()
        });
    };
    if !scope::has(&grant.scope, OPENID) {
        return Err(BearerError {
            status: 403,
            code: Some("insufficient_scope"),
            description: "UserInfo needs a token with the openid scope.",
            scope: Some(OPENID),
            ..Default::default()
        });
    }
    let body = UserInfo { sub: &grant.user_id, claims: user_claims(&user, &grant.scope) };
    Ok(no_store(Response::json(200, &body)))
}
