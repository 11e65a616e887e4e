//! OpenID Connect on the in-memory host: a user with a profile, authorization requests that carry
//! the session's login time, and ID tokens verified with `jsonwebtoken` against the JWKS.

use super::block_on;
use super::provider::*;
use super::*;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::host::User;
use oauth_plugin::http::Request;
use oauth_plugin::Plugin;
use serde_json::{json, Value};

pub const CAROL: &str = "carolcarolcarolcarolcarol1";

/// A plugin with Carol, who has a full profile, and a confidential client.
pub fn setup() -> (Plugin<MemoryHost>, Client) {
    let plugin = plugin();
    plugin.host().add_user(User {
        id: CAROL.into(),
        username: "carol".into(),
        email: "carol@example.com".into(),
        email_verified: true,
        first_name: "Carol".into(),
        last_name: "Danvers".into(),
        nickname: "cap".into(),
        ..Default::default()
    });
    let client = client(&plugin, json!({}));
    (plugin, client)
}

/// `GET /oauth/authorize` from a session that logged in at `session_created_at` (ms).
pub fn authorize_as(
    plugin: &Plugin<MemoryHost>,
    user: Option<&str>,
    query: &str,
    session_created_at: i64,
) -> Reply {
    let mut request = Request::new("GET", "/oauth/authorize");
    request.query = query.into();
    request.user_id = user.map(str::to_owned);
    request.session_created_at = user.map(|_| session_created_at);
    request.request_id = "test".into();
    reply_to(plugin, request)
}

pub fn code_query(client: &Client, extra: &str) -> String {
    format!("response_type=code&client_id={}&redirect_uri={CALLBACK}&state=xyz{extra}", client.id)
}

/// The consent page's Allow, from a session that logged in at `session_created_at`.
pub fn allow(plugin: &Plugin<MemoryHost>, user: &str, request: Value, session_created_at: i64) -> url::Url {
    let mut post = Request::new("POST", "/oauth/authorize");
    post.user_id = Some(user.into());
    post.session_created_at = Some(session_created_at);
    post.body = request.to_string().into_bytes();
    let reply = reply_to(plugin, post);
    assert_eq!(reply.status, 200, "{}", reply.body);
    url::Url::parse(reply.body["redirect"].as_str().unwrap()).unwrap()
}

/// The token response for `user` approving `scope` (and `extra` parameters) for `client`.
pub fn tokens_for(
    plugin: &Plugin<MemoryHost>,
    client: &Client,
    user: &str,
    scope: &str,
    extra: &str,
) -> Value {
    let escaped: String = url::form_urlencoded::byte_serialize(scope.as_bytes()).collect();
    let code = code_for(plugin, client, user, &format!("&scope={escaped}{extra}"));
    let reply = exchange(plugin, client, &code);
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

pub fn jwks(plugin: &Plugin<MemoryHost>) -> JwkSet {
    let reply = send(plugin, "GET", "/oauth/jwks", None, "");
    assert_eq!(reply.status, 200, "{}", reply.body);
    serde_json::from_value(reply.body).unwrap()
}

/// The ID token's claims, after `jsonwebtoken` checked its signature (with the JWKS key its `kid`
/// names), `iss` and `aud`.
pub fn verified_claims(plugin: &Plugin<MemoryHost>, id_token: &str, audience: &str) -> Value {
    verified_jwt(plugin, id_token, "JWT", audience)
}

/// A JWT's claims, after `jsonwebtoken` checked its media type `typ`, its signature, `iss` and
/// that `audience` is one of its `aud`.
pub fn verified_jwt(plugin: &Plugin<MemoryHost>, jwt: &str, typ: &str, audience: &str) -> Value {
    let header = decode_header(jwt).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some(typ));
    let kid = header.kid.expect("a kid");
    let keys = jwks(plugin);
    let jwk = keys.find(&kid).unwrap_or_else(|| panic!("kid {kid} is not in the JWKS"));
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[SITE]);
    // The in-memory host's clock is not the machine's.
    validation.validate_exp = false;
    decode::<Value>(jwt, &DecodingKey::from_jwk(jwk).unwrap(), &validation).unwrap().claims
}

pub fn token_info(plugin: &Plugin<MemoryHost>, token: &str) -> oauth_plugin::TokenInfo {
    block_on(plugin.resolve_access_token(token)).unwrap().expect("a valid token")
}

/// `GET /oauth/userinfo` with `token` in the header.
pub fn userinfo(plugin: &Plugin<MemoryHost>, token: &str) -> Reply {
    send_as_app(plugin, "GET", "/oauth/userinfo", token, "")
}
