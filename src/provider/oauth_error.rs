//! OAuth error responses: RFC 6749 §5.2 (token endpoint), §4.1.2.1 (authorization redirects),
//! RFC 7009, RFC 7662 and RFC 7591 §3.2.2, with Mattermost's `id`, `message` and `status_code`
//! alongside so that Mattermost's clients read them too.

use super::grants::{Failure, Refusal};
use super::resource_indicators::TargetError;
use crate::http::{Request, Response};
use serde::Serialize;

/// The error codes, one to one with the RFCs' registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AccessDenied,
    UnsupportedResponseType,
    ServerError,
    UnsupportedTokenType,
    InvalidRedirectUri,
    InvalidClientMetadata,
    UnsupportedOperation,
    TemporarilyUnavailable,
    /// RFC 8707 §2.
    InvalidTarget,
    /// OpenID Connect Core §3.1.2.6.
    LoginRequired,
    ConsentRequired,
    /// RFC 8628 §3.5.
    AuthorizationPending,
    SlowDown,
    ExpiredToken,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::ServerError => "server_error",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            ErrorCode::InvalidClientMetadata => "invalid_client_metadata",
            ErrorCode::UnsupportedOperation => "unsupported_operation",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::AuthorizationPending => "authorization_pending",
            ErrorCode::SlowDown => "slow_down",
            ErrorCode::ExpiredToken => "expired_token",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
    /// Mattermost's error id for the same failure, for its clients.
    pub mattermost_id: &'static str,
    /// RFC 6749 §5.2: a client that tried HTTP Basic gets 401 with `WWW-Authenticate`.
    pub challenge_basic: bool,
    /// The internal cause of a `server_error`: logged, never rendered.
    pub cause: Option<String>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    error_description: &'a str,
    id: &'a str,
    message: &'a str,
    request_id: &'a str,
    status_code: u16,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        let mattermost_id = match code {
            ErrorCode::InvalidClient => "api.oauth.get_access_token.credentials.app_error",
            ErrorCode::InvalidGrant => "api.oauth.get_access_token.expired_code.app_error",
            ErrorCode::UnsupportedGrantType => "api.oauth.get_access_token.bad_grant.app_error",
            ErrorCode::ServerError => "api.oauth.get_access_token.internal.app_error",
            _ => "api.oauth.get_access_token.bad_request.app_error",
        };
        OAuthError {
            code,
            description: description.into(),
            mattermost_id,
            challenge_basic: false,
            cause: None,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        OAuthError::new(ErrorCode::InvalidRequest, description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        OAuthError::new(ErrorCode::InvalidGrant, description)
    }

    /// A failure inside the server: `server_error` in general words, with `cause` kept for the log.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        OAuthError {
            cause: Some(cause.to_string()),
            ..OAuthError::new(ErrorCode::ServerError, crate::http::INTERNAL_ERROR_MESSAGE)
        }
    }

    pub fn status(&self) -> u16 {
        match self.code {
            ErrorCode::InvalidClient => 401,
            // Used only for rate limits (RFC 6585 §4).
            ErrorCode::TemporarilyUnavailable => 429,
            ErrorCode::ServerError => 500,
            _ => 400,
        }
    }

    /// The JSON error response, never cached (RFC 6749 §5.1).
    pub fn render(&self, request: &Request) -> Response {
        let status = self.status();
        let body = Body {
            error: self.code.as_str(),
            error_description: &self.description,
            id: self.mattermost_id,
            message: &self.description,
            request_id: &request.request_id,
            status_code: status,
        };
        let response =
            no_store(Response { internal_error: self.cause.clone(), ..Response::json(status, &body) });
        if self.challenge_basic {
            response.with_header("WWW-Authenticate", r#"Basic realm="oauth", charset="UTF-8""#)
        } else {
            response
        }
    }
}

/// RFC 6749 §5.1: responses carrying tokens or credentials must not be cached.
/// Idempotent: a response that already says so is left as it is.
pub fn no_store(response: Response) -> Response {
    if response.header("Cache-Control").is_some() {
        return response;
    }
    response.with_header("Cache-Control", "no-store").with_header("Pragma", "no-cache")
}

/// The one mapping of the grant rules' refusals to RFC 6749 §5.2: a missing `redirect_uri` is
/// `invalid_request`, a resource not granted RFC 8707's `invalid_target`, a device code's state
/// RFC 8628 §3.5's codes, every other refusal `invalid_grant`, a failure inside `server_error`.
impl From<Refusal> for OAuthError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Failed(failure) => failure.into(),
            Refusal::RedirectUriMissing => OAuthError::invalid_request(refusal.to_string()),
            Refusal::TargetNotGranted => OAuthError::new(ErrorCode::InvalidTarget, refusal.to_string()),
            Refusal::AuthorizationPending => {
                OAuthError::new(ErrorCode::AuthorizationPending, refusal.to_string())
            }
            Refusal::SlowDown => OAuthError::new(ErrorCode::SlowDown, refusal.to_string()),
            Refusal::DeviceDenied => OAuthError::new(ErrorCode::AccessDenied, refusal.to_string()),
            Refusal::DeviceCodeExpired => OAuthError::new(ErrorCode::ExpiredToken, refusal.to_string()),
            _ => OAuthError::invalid_grant(refusal.to_string()),
        }
    }
}

/// RFC 8707 §2: a resource that is malformed, unknown or not granted is `invalid_target`.
impl From<TargetError> for OAuthError {
    fn from(error: TargetError) -> Self {
        match error {
            TargetError::Failed(error) => error.into(),
            _ => OAuthError::new(ErrorCode::InvalidTarget, error.to_string()),
        }
    }
}

impl From<Failure> for OAuthError {
    fn from(failure: Failure) -> Self {
        OAuthError::internal(failure)
    }
}

/// A store failure at an OAuth endpoint: `server_error`, the detail for the log only.
impl From<crate::store::StoreError> for OAuthError {
    fn from(error: crate::store::StoreError) -> Self {
        OAuthError::internal(error)
    }
}
