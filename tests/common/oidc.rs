//! OpenID Connect on the in-memory host: a user with a profile, authorization requests that carry
//! the session's login time, and ID tokens verified against the JWKS: natively with `jsonwebtoken`,
//! on wasm32 (where it does not build: it needs getrandom 0.2) with the `rsa` crate's RS256.

use super::block_on;
use super::provider::*;
use super::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
#[cfg(not(target_arch = "wasm32"))]
use jsonwebtoken::{decode, decode_header, jwk::JwkSet, Algorithm, DecodingKey, Validation};
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

/// The JWKS as published.
pub fn jwks_json(plugin: &Plugin<MemoryHost>) -> Value {
    let reply = send(plugin, "GET", "/oauth/jwks", None, "");
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body
}

/// The `kid` of every published key, in the JWKS's order.
pub fn kids(plugin: &Plugin<MemoryHost>) -> Vec<String> {
    let keys = jwks_json(plugin);
    keys["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
}

/// A JWT's header (not verified).
pub fn jwt_header(jwt: &str) -> Value {
    let header = jwt.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

/// The ID token's claims, after its signature (with the JWKS key its `kid` names), `iss` and `aud`
/// were checked.
pub fn verified_claims(plugin: &Plugin<MemoryHost>, id_token: &str, audience: &str) -> Value {
    verified_jwt(plugin, id_token, "JWT", audience)
}

/// A JWT's claims, after `jsonwebtoken` checked its media type `typ`, its signature, `iss` and
/// that `audience` is one of its `aud`.
#[cfg(not(target_arch = "wasm32"))]
pub fn verified_jwt(plugin: &Plugin<MemoryHost>, jwt: &str, typ: &str, audience: &str) -> Value {
    let header = decode_header(jwt).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some(typ));
    let kid = header.kid.expect("a kid");
    let keys: JwkSet = serde_json::from_value(jwks_json(plugin)).unwrap();
    let jwk = keys.find(&kid).unwrap_or_else(|| panic!("kid {kid} is not in the JWKS"));
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[SITE]);
    // The in-memory host's clock is not the machine's.
    validation.validate_exp = false;
    decode::<Value>(jwt, &DecodingKey::from_jwk(jwk).unwrap(), &validation).unwrap().claims
}

/// A JWT's claims, after the same checks as natively (`jsonwebtoken` does not build for wasm32):
/// its media type `typ`, its RS256 signature by the `rsa` crate against the JWKS key its `kid`
/// names, `iss`, that `audience` is one of its `aud`, and that it has an `exp`.
#[cfg(target_arch = "wasm32")]
pub fn verified_jwt(plugin: &Plugin<MemoryHost>, jwt: &str, typ: &str, audience: &str) -> Value {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    use rsa::{BigUint, RsaPublicKey};
    use sha2::Sha256;

    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWS in compact form: {jwt}");
    let header = jwt_header(jwt);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], typ);
    let kid = header["kid"].as_str().expect("a kid");
    let keys = jwks_json(plugin);
    let jwk = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("kid {kid} is not in the JWKS"));
    let integer =
        |name: &str| BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap());
    let key = VerifyingKey::<Sha256>::new(RsaPublicKey::new(integer("n"), integer("e")).unwrap());
    let signature = Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).expect("the signature verifies");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["iss"], SITE);
    let audiences = match &claims["aud"] {
        Value::Array(list) => list.clone(),
        one => vec![one.clone()],
    };
    assert!(audiences.iter().any(|a| a == audience), "{audience} is not an audience of {claims}");
    assert!(claims["exp"].is_number(), "an exp: {claims}");
    claims
}

pub fn token_info(plugin: &Plugin<MemoryHost>, token: &str) -> oauth_plugin::TokenInfo {
    block_on(plugin.resolve_access_token(token)).unwrap().expect("a valid token")
}

/// `GET /oauth/userinfo` with `token` in the header.
pub fn userinfo(plugin: &Plugin<MemoryHost>, token: &str) -> Reply {
    send_as_app(plugin, "GET", "/oauth/userinfo", token, "")
}
