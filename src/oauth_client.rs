//! The plugin as an OAuth client of someone else's server: a token request (RFC 6749 §4.1.3,
//! §4.3, §4.4, §6) through the host's `httpFetch`, and the reading of its answer (§5.1, §5.2).
//! Outgoing connections and the app OAuth2 store both ask through here.

use crate::context::Context;
use crate::grant_type::GrantType;
use crate::host::{FetchRequest, FetchResponse, Host, HostError};
use crate::ids::{AccessToken, RefreshToken, TokenJson};
use serde::Deserialize;
use std::fmt;

/// A token the server handed out.
#[derive(Debug, Clone, PartialEq)]
pub struct ObtainedToken {
    pub access_token: AccessToken,
    /// `Bearer` however the server spelled it; another scheme as given.
    pub token_type: String,
    pub expires_in: Option<i64>,
    pub refresh_token: Option<RefreshToken>,
    /// The whole response, as the server sent it.
    pub raw: TokenJson,
}

impl ObtainedToken {
    /// The `Authorization` header value: `<token_type> <access_token>`.
    pub fn header_value(&self) -> String {
        format!("{} {}", self.token_type, self.access_token.secret())
    }
}

#[derive(Debug, Deserialize)]
struct ErrorResponse {
    error: Option<String>,
    error_description: Option<String>,
}

/// POSTs a token request for `grant` with the rest of its `form` to `token_url`, within the
/// server's outgoing timeout.
pub async fn request_token<H: Host>(
    ctx: &Context<'_, H>,
    token_url: &str,
    grant: GrantType,
    form: &[(&str, &str)],
) -> Result<ObtainedToken, TokenError> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", grant.as_str())
        .extend_pairs(form)
        .finish();
    let request = FetchRequest {
        method: "POST".into(),
        url: token_url.to_owned(),
        headers: vec![
            ("Content-Type".into(), "application/x-www-form-urlencoded".into()),
            ("Accept".into(), "application/json".into()),
        ],
        body: Some(body.into_bytes()),
        timeout_ms: Some(ctx.config.outgoing_timeout_ms()),
        max_response_bytes: None,
    };
    let response = ctx.host.http_fetch(request).await.map_err(TokenError::Unreachable)?;
    read_token(&response)
}

fn header(response: &FetchResponse, name: &str) -> Option<String> {
    response.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
}

/// The longest lifetime a token server's `expires_in` is taken for (ten years): what it says
/// beyond that, or below zero (already expired), is brought within bounds, so that expiry times
/// computed from it can neither overflow nor wrap around into the past.
pub const MAX_EXPIRES_IN_SECONDS: i64 = 10 * 365 * 24 * 3600;

/// A header value may carry only visible ASCII, so nothing a server sends can split a header.
fn is_header_safe(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic())
}

/// Why no token came back; each says what the server did, and echoes no credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// The host could not reach the token server.
    Unreachable(HostError),
    Redirected {
        status: u16,
        location: String,
    },
    /// An error answer (RFC 6749 §5.2), with the server's `error` and `error_description`.
    Refused {
        status: u16,
        error: Option<String>,
        description: Option<String>,
    },
    NotJson {
        status: u16,
        content_type: String,
    },
    NoAccessToken {
        status: u16,
    },
    UnusableAccessToken,
    UnusableTokenType,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Unreachable(reason) => write!(f, "the token server could not be reached: {reason}"),
            TokenError::Redirected { status, location } => write!(
                f,
                "the token server answered with a redirect (HTTP {status} to {location:?}), which is not followed"
            ),
            TokenError::Refused { status, error: Some(error), description: Some(description) } => {
                write!(f, "the token server answered HTTP {status}: {error} ({description})")
            }
            TokenError::Refused { status, error: Some(error), .. } => {
                write!(f, "the token server answered HTTP {status}: {error}")
            }
            TokenError::Refused { status, .. } => write!(f, "the token server answered HTTP {status}"),
            TokenError::NotJson { status, content_type } => write!(
                f,
                "the token server answered HTTP {status} with a body that is not JSON (Content-Type {content_type:?})"
            ),
            TokenError::NoAccessToken { status } => {
                write!(f, "the token server answered HTTP {status} without an access_token")
            }
            TokenError::UnusableAccessToken => f.write_str("the token server's access_token is not a usable string"),
            TokenError::UnusableTokenType => f.write_str("the token server's token_type is not a usable string"),
        }
    }
}

/// Reads the token server's answer.
pub fn read_token(response: &FetchResponse) -> Result<ObtainedToken, TokenError> {
    let status = response.status;
    if (300..400).contains(&status) {
        let location = header(response, "location").unwrap_or_default();
        return Err(TokenError::Redirected { status, location });
    }
    if !(200..300).contains(&status) {
        let answer = serde_json::from_slice::<ErrorResponse>(&response.body).ok();
        let (error, description) = answer.map_or((None, None), |a| (a.error, a.error_description));
        return Err(TokenError::Refused { status, error, description });
    }
    let content_type = header(response, "content-type").unwrap_or_default();
    let raw: serde_json::Value =
        serde_json::from_slice(&response.body).map_err(|_| TokenError::NotJson { status, content_type })?;
    let field = |name: &str| raw.get(name).filter(|v| !v.is_null());
    let access_token = match field("access_token") {
        Some(serde_json::Value::String(token)) if is_header_safe(token) => AccessToken::new(token.as_str()),
        Some(_) => return Err(TokenError::UnusableAccessToken),
        None => return Err(TokenError::NoAccessToken { status }),
    };
    // RFC 6750: the scheme is case-insensitive; some servers only accept "Bearer" spelled so.
    let token_type = match field("token_type").map(|v| v.as_str()) {
        None => "Bearer".to_owned(),
        Some(Some(t)) if t.eq_ignore_ascii_case("bearer") => "Bearer".to_owned(),
        Some(Some(t)) if is_header_safe(t) => t.to_owned(),
        Some(_) => return Err(TokenError::UnusableTokenType),
    };
    let expires_in = field("expires_in")
        .and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
        .map(|seconds: i64| seconds.clamp(0, MAX_EXPIRES_IN_SECONDS));
    let refresh_token = field("refresh_token").and_then(|v| v.as_str()).map(RefreshToken::new);
    Ok(ObtainedToken { access_token, token_type, expires_in, refresh_token, raw: TokenJson::new(raw) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, content_type: &str, body: &str) -> FetchResponse {
        FetchResponse {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn reads_a_token_response() {
        let ok = response(
            200,
            "application/json",
            r#"{"access_token":"abc","token_type":"bearer","expires_in":3600,"refresh_token":"r1"}"#,
        );
        let token = read_token(&ok).unwrap();
        assert_eq!(token.header_value(), "Bearer abc");
        let refresh_token = token.refresh_token.as_ref().map(|t| t.secret().as_str());
        assert_eq!((token.expires_in, refresh_token), (Some(3600), Some("r1")));
        assert_eq!(token.raw.secret()["refresh_token"], "r1");
        let custom = response(200, "application/json", r#"{"access_token":"abc","token_type":"MAC"}"#);
        assert_eq!(read_token(&custom).unwrap().header_value(), "MAC abc");
    }

    #[test]
    fn says_what_the_server_did() {
        let denied = response(
            401,
            "application/json",
            r#"{"error":"invalid_client","error_description":"bad secret"}"#,
        );
        assert_eq!(
            read_token(&denied).unwrap_err().to_string(),
            "the token server answered HTTP 401: invalid_client (bad secret)"
        );
        assert_eq!(
            read_token(&response(503, "text/plain", "down")).unwrap_err().to_string(),
            "the token server answered HTTP 503"
        );
        assert!(read_token(&response(200, "text/html", "<html>"))
            .unwrap_err()
            .to_string()
            .contains("not JSON"));
        assert!(read_token(&response(200, "application/json", "{}"))
            .unwrap_err()
            .to_string()
            .contains("without an access_token"));
        let mut redirect = response(302, "text/html", "");
        redirect.headers.push(("Location".into(), "https://elsewhere.example.com".into()));
        assert!(read_token(&redirect).unwrap_err().to_string().contains("redirect"));
    }

    #[test]
    fn expires_in_is_kept_within_bounds() {
        let lifetime = |value: &str| {
            let body = format!(r#"{{"access_token":"abc","expires_in":{value}}}"#);
            read_token(&response(200, "application/json", &body)).unwrap().expires_in
        };
        assert_eq!(lifetime("3600"), Some(3600));
        assert_eq!(lifetime("\"120\""), Some(120));
        assert_eq!(lifetime("9223372036854775807"), Some(MAX_EXPIRES_IN_SECONDS));
        assert_eq!(lifetime("\"9300000000000000\""), Some(MAX_EXPIRES_IN_SECONDS));
        assert_eq!(lifetime("-9223372036854775808"), Some(0));
        assert_eq!(lifetime("-5"), Some(0));
    }

    #[test]
    fn refuses_values_that_could_split_a_header() {
        let evil = response(200, "application/json", r#"{"access_token":"abc\r\nX-Evil: 1"}"#);
        assert!(read_token(&evil).is_err());
        let spaced = response(200, "application/json", r#"{"access_token":"abc","token_type":"Bear er"}"#);
        assert!(read_token(&spaced).is_err());
    }
}
