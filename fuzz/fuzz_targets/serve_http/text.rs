//! Small builders of request text and the token server's answers.

use crate::*;

pub(crate) fn basic(id: &str, secret: &str) -> String {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("Basic {}", STANDARD.encode(format!("{}:{}", encode(id), encode(secret))))
}

pub(crate) fn user_id(user: &UserChoice) -> Option<String> {
    match user {
        UserChoice::None => None,
        UserChoice::Admin => Some(ADMIN.into()),
        UserChoice::User => Some(USER.into()),
        UserChoice::Deactivated => Some(DEACTIVATED.into()),
        UserChoice::Nobody => Some(NOBODY.into()),
        UserChoice::Empty => Some(String::new()),
        UserChoice::Odd(s) => Some(prefix(s, 26)),
    }
}

pub(crate) fn remote_addr(addr: &RemoteAddr) -> String {
    match addr {
        RemoteAddr::First => "203.0.113.7".into(),
        RemoteAddr::Second => "198.51.100.20".into(),
        RemoteAddr::Ipv6 => "2001:db8::1".into(),
        RemoteAddr::Empty => String::new(),
        RemoteAddr::Odd(s) => s.clone(),
    }
}

/// The client a token request authenticates as: its form's `client_id`, else its Basic user.
pub(crate) fn client_of(request: &Request) -> String {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body).into_owned().collect();
    if let Some((_, id)) = form.iter().find(|(k, _)| k == "client_id") {
        return id.clone();
    }
    let basic =
        request.header("authorization").and_then(|h| h.trim().strip_prefix("Basic ").map(str::to_owned));
    let decoded = basic.and_then(|b| STANDARD.decode(b.trim()).ok()).map(|d| lossy(&d)).unwrap_or_default();
    let id = decoded.split(':').next().unwrap_or_default();
    url::form_urlencoded::parse(format!("v={id}").as_bytes())
        .map(|(_, v)| v.into_owned())
        .next()
        .unwrap_or_default()
}

pub(crate) fn app_segment(app: &AppSeg) -> String {
    match app {
        AppSeg::Jira => JIRA_APP_ID.into(),
        AppSeg::Unconfigured => "com.example.other".into(),
        AppSeg::Overlong(n) => "a".repeat(33 + usize::from(*n)),
        AppSeg::Empty => String::new(),
        AppSeg::Odd(s) => s.clone(),
    }
}

/// Mostly the path as it is; sometimes with a trailing or doubled slash, without the leading
/// slash, in upper case, with a percent-encoded character, or with one more segment.
pub(crate) fn mangle(path: String, how: u8) -> String {
    match how {
        0..=215 => path,
        216..=221 => format!("{path}/"),
        222..=227 => path.replacen('/', "//", 2),
        228..=233 => path.trim_start_matches('/').to_owned(),
        234..=239 => path.to_uppercase(),
        240..=247 => path.replacen('o', "%6F", 1),
        _ => format!("{path}/extra"),
    }
}

pub(crate) fn word_text(word: Word) -> &'static str {
    match word {
        Word::Code => "code",
        Word::Token => "token",
        Word::IdToken => "id_token",
        Word::S256 => "S256",
        Word::Plain => "plain",
        Word::AuthorizationCode => "authorization_code",
        Word::RefreshToken => "refresh_token",
        Word::ClientCredentials => "client_credentials",
        Word::Password => "password",
        Word::Implicit => "implicit",
        Word::ClientSecretBasic => "client_secret_basic",
        Word::ClientSecretPost => "client_secret_post",
        Word::None => "none",
        Word::User => "user",
        Word::Bearer => "bearer",
        Word::True => "true",
        Word::False => "false",
        Word::Zero => "0",
        Word::MinusOne => "-1",
        Word::Huge => "18446744073709551616",
        Word::AccessTokenHint => "access_token",
        Word::RefreshTokenHint => "refresh_token",
        Word::Empty => "",
        Word::Space => " ",
        Word::OpenId => "openid",
        Word::Profile => "profile",
        Word::Email => "email",
        Word::OpenIdProfileEmail => "openid profile email",
        Word::DeviceCodeGrant => DEVICE_GRANT,
        Word::Jwt => "jwt",
        Word::Introspection => "introspection",
        Word::Approved => "approved",
        Word::Denied => "denied",
    }
}

pub(crate) fn url_text(kind: &UrlKind) -> String {
    match kind {
        UrlKind::AppCallback => APP_CALLBACK.into(),
        UrlKind::AppCallback2 => APP_CALLBACK_2.into(),
        UrlKind::PublicCallback => PUBLIC_CALLBACK.into(),
        UrlKind::DcrAllowed(n) => {
            format!("https://{}.example.com/cb", ["tool", "a-b", "x", "0"][usize::from(*n) % 4])
        }
        UrlKind::DcrLocalhost(port) => format!("http://localhost:{port}/callback"),
        UrlKind::DcrDenied => "https://elsewhere.test/cb".into(),
        UrlKind::Homepage => "https://jira-app.example.com".into(),
        UrlKind::Icon => "https://cdn.example.com/icon.png".into(),
        UrlKind::TokenUrl => TOKEN_URL.into(),
        UrlKind::RemoteAuthorize => REMOTE_AUTHORIZE_URL.into(),
        UrlKind::RemoteToken => REMOTE_TOKEN_URL.into(),
        UrlKind::AudienceCovered(rest) => format!("https://jira.example.com/hooks/{rest}"),
        UrlKind::AudienceExact => "https://api.example.com/v1/hook".into(),
        UrlKind::AudienceQuery(query) => format!("https://api.example.com/v1/hook?{query}"),
        UrlKind::AudiencePrefix(rest) => format!("https://fuzz.example.com/{rest}*"),
        UrlKind::Uncovered => "https://other.example.com/x".into(),
        UrlKind::Loopback => "http://127.0.0.1:9/x".into(),
        UrlKind::SchemeOnly => "https://".into(),
        UrlKind::Fragment => format!("{APP_CALLBACK}#frag"),
        UrlKind::Userinfo => "https://user:pw@auth.example.com/token".into(),
        UrlKind::Javascript => "javascript:alert(1)".into(),
        UrlKind::Relative => "/cb".into(),
        UrlKind::Ftp => "ftp://app.example.com/cb".into(),
        UrlKind::UpperCase => "HTTPS://APP.EXAMPLE.COM/cb".into(),
        UrlKind::Site(rest) => format!("{SITE}/{rest}"),
        UrlKind::Beside(rest) => format!("{RESOURCE_BESIDE}/{rest}"),
        UrlKind::DotSegment => format!("{SITE}/a/../mcp"),
    }
}

/// The token server's answer in `mode`; `n` numbers the tokens it hands out.
pub(crate) fn token_server_answer(mode: Upstream, n: u32) -> Result<FetchResponse, HostError> {
    let json_response = |status: u16, body: Value| FetchResponse {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    };
    let mut token = json!({
        "access_token": format!("remote-at-{n}"), "refresh_token": format!("remote-rt-{n}"),
        "token_type": "bearer", "expires_in": 3600,
    });
    let response = match mode {
        Upstream::Token => json_response(200, token),
        Upstream::NoExpiry => {
            token.as_object_mut().map(|t| t.remove("expires_in"));
            json_response(200, token)
        }
        Upstream::ExpiresIn(seconds) => {
            token["expires_in"] = json!(seconds);
            json_response(200, token)
        }
        Upstream::ExpiresInEdge(which) => {
            const EDGES: [i64; 12] =
                [0, 1, -1, 29, 30, 31, 86_400, 86_401, i64::MAX, i64::MIN, i64::MIN + 29, u32::MAX as i64];
            token["expires_in"] = json!(EDGES[usize::from(which) % EDGES.len()]);
            json_response(200, token)
        }
        Upstream::ExpiresInText(seconds) => {
            token["expires_in"] = json!(seconds.to_string());
            json_response(200, token)
        }
        Upstream::ExpiresInFloat(seconds) => {
            token["expires_in"] = serde_json::Number::from_f64(seconds).map_or(Value::Null, Value::Number);
            json_response(200, token)
        }
        Upstream::NoRefreshToken => {
            token.as_object_mut().map(|t| t.remove("refresh_token"));
            json_response(200, token)
        }
        Upstream::TokenType(kind) => {
            token["token_type"] =
                json!(["MAC", "", "Bear er", "x\r\nInjected: 1", "DPoP"][usize::from(kind) % 5]);
            json_response(200, token)
        }
        Upstream::NoAccessToken => {
            token.as_object_mut().map(|t| t.remove("access_token"));
            json_response(200, token)
        }
        Upstream::AccessTokenNotString => {
            token["access_token"] = json!({"nested": true});
            json_response(200, token)
        }
        Upstream::UnsafeAccessToken => {
            token["access_token"] = json!("abc\r\nX-Injected: 1");
            json_response(200, token)
        }
        Upstream::Denied => json_response(
            401,
            json!({"error": "invalid_client", "error_description": "client authentication failed"}),
        ),
        Upstream::ServerError => {
            FetchResponse { status: 500, headers: vec![], body: b"internal error".to_vec() }
        }
        Upstream::NotJson => FetchResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: b"<html>hello</html>".to_vec(),
        },
        Upstream::Redirect => FetchResponse {
            status: 302,
            headers: vec![("Location".into(), "https://elsewhere.test/login".into())],
            body: Vec::new(),
        },
        Upstream::Unreachable => return Err(HostError("connection refused".into())),
    };
    Ok(response)
}
