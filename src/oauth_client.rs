//! The plugin as an OAuth client of someone else's server: a token request (RFC 6749 §4.1.3,
//! §4.3, §4.4, §6) through the host's `httpFetch`, and the reading of its answer (§5.1, §5.2).
//! Outgoing connections and the app OAuth2 store both ask through here.

use crate::grant_type::GrantType;
use crate::host::{FetchRequest, FetchResponse, Host};
use crate::ids::{AccessToken, RefreshToken, TokenJson};
use crate::Context;
use serde::Deserialize;

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
) -> Result<ObtainedToken, String> {
    let timeout_ms = ctx.config.service_settings.outgoing_integration_requests_timeout.saturating_mul(1000);
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
        timeout_ms: Some(timeout_ms.max(1000)),
    };
    let response = ctx
        .host
        .http_fetch(request)
        .await
        .map_err(|e| format!("the token server could not be reached: {e}"))?;
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

/// Reads the token server's answer; every failure says what the server did, and echoes no
/// credential.
pub fn read_token(response: &FetchResponse) -> Result<ObtainedToken, String> {
    let status = response.status;
    if (300..400).contains(&status) {
        let target = header(response, "location").unwrap_or_default();
        return Err(format!(
            "the token server answered with a redirect (HTTP {status} to {target:?}), which is not followed"
        ));
    }
    if !(200..300).contains(&status) {
        return Err(match serde_json::from_slice::<ErrorResponse>(&response.body) {
            Ok(ErrorResponse { error: Some(error), error_description: Some(description) }) => {
                format!("the token server answered HTTP {status}: {error} ({description})")
            }
            Ok(ErrorResponse { error: Some(error), .. }) => {
                format!("the token server answered HTTP {status}: {error}")
            }
            _ => format!("the token server answered HTTP {status}"),
        });
    }
    let content_type = header(response, "content-type").unwrap_or_default();
    let raw: serde_json::Value = serde_json::from_slice(&response.body).map_err(|_| {
        format!("the token server answered HTTP {status} with a body that is not JSON (Content-Type {content_type:?})")
    })?;
    let field = |name: &str| raw.get(name).filter(|v| !v.is_null());
    let access_token = match field("access_token") {
        Some(serde_json::Value::String(token)) if is_header_safe(token) => AccessToken::new(token.as_str()),
        Some(_) => return Err("the token server's access_token is not a usable string".into()),
        None => return Err(format!("the token server answered HTTP {status} without an access_token")),
    };
    // RFC 6750: the scheme is case-insensitive; some servers only accept "Bearer" spelled so.
    let token_type = match field("token_type").map(|v| v.as_str()) {
        None => "Bearer".to_owned(),
        Some(Some(t)) if t.eq_ignore_ascii_case("bearer") => "Bearer".to_owned(),
        Some(Some(t)) if is_header_safe(t) => t.to_owned(),
        Some(_) => return Err("the token server's token_type is not a usable string".into()),
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
            read_token(&denied).unwrap_err(),
            "the token server answered HTTP 401: invalid_client (bad secret)"
        );
        assert_eq!(
            read_token(&response(503, "text/plain", "down")).unwrap_err(),
            "the token server answered HTTP 503"
        );
        assert!(read_token(&response(200, "text/html", "<html>")).unwrap_err().contains("not JSON"));
        assert!(read_token(&response(200, "application/json", "{}"))
            .unwrap_err()
            .contains("without an access_token"));
        let mut redirect = response(302, "text/html", "");
        redirect.headers.push(("Location".into(), "https://elsewhere.example.com".into()));
        assert!(read_token(&redirect).unwrap_err().contains("redirect"));
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
