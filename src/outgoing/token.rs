//! Getting a token from the integration's OAuth server: the client credentials grant (RFC 6749
//! §4.4) or the password grant (§4.3), `client_secret_post` as Mattermost sends it, through the
//! host's `httpFetch` (its timeout, size limit, no redirects, private addresses only if allowed).
//! A token is fetched for every request, as Mattermost documents, unless the connection caches
//! tokens: then one is reused until shortly before it expires.

use super::connection::{Connection, GrantType};
use crate::host::{FetchRequest, FetchResponse, Host};
use crate::store::{keys, Store};
use crate::Context;
use serde::{Deserialize, Serialize};

/// A cached token is dropped this long before the server said it expires, so that a request never
/// leaves with a token about to lapse on the way.
pub const CACHE_MARGIN_SECONDS: i64 = 30;
/// Without `expires_in`, a cached token is kept this long.
pub const CACHE_DEFAULT_SECONDS: i64 = 300;

/// RFC 6749 §5.1.
#[derive(Debug, Deserialize)]
struct TokenResponse {
    access_token: Option<serde_json::Value>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Value>,
}

/// RFC 6749 §5.2.
#[derive(Debug, Deserialize)]
struct ErrorResponse {
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct CachedToken {
    v: u32,
    header: String,
}

/// A token for `connection` as an `Authorization` header value (`<token_type> <access_token>`).
pub async fn authorization_header<H: Host>(
    ctx: &Context<'_, H>,
    connection: &Connection,
) -> Result<String, String> {
    let store = Store::new(ctx.host);
    let cache_key = keys::outgoing_token(&connection.id);
    if connection.cache_tokens {
        if let Ok(Some(cached)) = store.get::<CachedToken>(&cache_key).await {
            return Ok(cached.header);
        }
    }
    let (header, expires_in) = fetch(ctx, connection).await?;
    if connection.cache_tokens {
        let keep = expires_in.map_or(CACHE_DEFAULT_SECONDS, |s| s - CACHE_MARGIN_SECONDS);
        if keep > 0 {
            // A cache that cannot be written only costs a fetch next time.
            let _ = store
                .put(&cache_key, &CachedToken { v: 1, header: header.clone() }, Some(keep.min(86_400) as u32))
                .await;
        }
    }
    Ok(header)
}

/// Forgets a cached token (after the connection's settings change).
pub async fn forget<H: Host>(ctx: &Context<'_, H>, connection_id: &str) {
    let _ = Store::new(ctx.host).delete(&keys::outgoing_token(connection_id)).await;
}

/// Asks the token server; returns the header value and the token's lifetime in seconds.
pub async fn fetch<H: Host>(
    ctx: &Context<'_, H>,
    connection: &Connection,
) -> Result<(String, Option<i64>), String> {
    let timeout_ms = ctx.config.service_settings.outgoing_integration_requests_timeout.saturating_mul(1000);
    let request = FetchRequest {
        method: "POST".into(),
        url: connection.oauth_token_url.clone(),
        headers: vec![
            ("Content-Type".into(), "application/x-www-form-urlencoded".into()),
            ("Accept".into(), "application/json".into()),
        ],
        body: Some(form(connection).into_bytes()),
        timeout_ms: Some(timeout_ms.max(1000)),
    };
    let response = ctx
        .host
        .http_fetch(request)
        .await
        .map_err(|e| format!("the token server could not be reached: {e}"))?;
    read_token(&response)
}

fn form(connection: &Connection) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", connection.grant_type.as_str());
    form.append_pair("client_id", &connection.client_id);
    form.append_pair("client_secret", &connection.client_secret);
    if connection.grant_type == GrantType::Password {
        form.append_pair("username", &connection.credentials_username);
        form.append_pair("password", &connection.credentials_password);
    }
    form.finish()
}

fn header(response: &FetchResponse, name: &str) -> Option<String> {
    response.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
}

/// A header value may carry only visible ASCII, so nothing a server sends can split a header.
fn is_header_safe(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic())
}

/// Reads RFC 6749 §5.1 (or §5.2) out of the token server's answer; every failure says what the
/// server did, without echoing any credential.
fn read_token(response: &FetchResponse) -> Result<(String, Option<i64>), String> {
    let status = response.status;
    if (300..400).contains(&status) {
        let target = header(response, "location").unwrap_or_default();
        return Err(format!(
            "the token server answered with a redirect (HTTP {status} to {target:?}), which is not followed"
        ));
    }
    if !(200..300).contains(&status) {
        return Err(match serde_json::from_slice::<ErrorResponse>(&response.body) {
            Ok(ErrorResponse { error: Some(error), error_description }) => match error_description {
                Some(description) => {
                    format!("the token server answered HTTP {status}: {error} ({description})")
                }
                None => format!("the token server answered HTTP {status}: {error}"),
            },
            _ => format!("the token server answered HTTP {status}"),
        });
    }
    let content_type = header(response, "content-type").unwrap_or_default();
    let parsed: TokenResponse = serde_json::from_slice(&response.body).map_err(|_| {
        format!("the token server answered HTTP {status} with a body that is not JSON (Content-Type {content_type:?})")
    })?;
    let access_token = match parsed.access_token {
        Some(serde_json::Value::String(token)) if is_header_safe(&token) => token,
        Some(_) => return Err("the token server's access_token is not a usable string".into()),
        None => return Err(format!("the token server answered HTTP {status} without an access_token")),
    };
    // RFC 6750: the scheme is case-insensitive; some servers only accept "Bearer" spelled so.
    let token_type = match parsed.token_type.as_deref() {
        None => "Bearer".to_owned(),
        Some(t) if t.eq_ignore_ascii_case("bearer") => "Bearer".to_owned(),
        Some(t) if is_header_safe(t) => t.to_owned(),
        Some(_) => return Err("the token server's token_type is not a usable string".into()),
    };
    let expires_in =
        parsed.expires_in.and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())));
    Ok((format!("{token_type} {access_token}"), expires_in))
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
            r#"{"access_token":"abc","token_type":"bearer","expires_in":3600}"#,
        );
        assert_eq!(read_token(&ok).unwrap(), ("Bearer abc".to_owned(), Some(3600)));
        let custom = response(200, "application/json", r#"{"access_token":"abc","token_type":"MAC"}"#);
        assert_eq!(read_token(&custom).unwrap().0, "MAC abc");
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
    fn refuses_values_that_could_split_a_header() {
        let evil = response(200, "application/json", r#"{"access_token":"abc\r\nX-Evil: 1"}"#);
        assert!(read_token(&evil).is_err());
        let spaced = response(200, "application/json", r#"{"access_token":"abc","token_type":"Bear er"}"#);
        assert!(read_token(&spaced).is_err());
    }
}
