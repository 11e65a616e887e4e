//! JWT access tokens (RFC 9068) for protected resources registered with the `jwt` token format,
//! on the in-memory host: their claims and signature, their lifetime, and that they are otherwise
//! tokens like any other (introspection, refresh, revocation, the chat API).

use crate::common;
use crate::common::test;

use common::oidc::*;
use common::provider::*;
use common::*;
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::host::Host;
use oauth_plugin::Plugin;
use serde_json::{json, Value};

const JWT_MCP: &str = "https://mcp.example.com/mcp";
const JWT_MCP_ENCODED: &str = "https%3A%2F%2Fmcp.example.com%2Fmcp";
const OPAQUE_MCP_ENCODED: &str = "https%3A%2F%2Fopaque.example.com%2Fmcp";

/// Registers a resource; returns its id and secret.
fn register(plugin: &Plugin<MemoryHost>, identifier: &str, token_format: &str) -> (String, String) {
    let body = json!({"identifier": identifier, "name": "Docs MCP", "scopes": ["docs:read"], "token_format": token_format});
    let reply =
        send(plugin, "POST", "/plugins/oauth-plugin/api/v1/resources", Some(ADMIN), &body.to_string());
    assert_eq!(reply.status, 201, "{}", reply.body);
    (reply.body["id"].as_str().unwrap().to_owned(), reply.body["client_secret"].as_str().unwrap().to_owned())
}

fn introspect_as(plugin: &Plugin<MemoryHost>, id: &str, secret: &str, token: &str) -> Value {
    form_post(plugin, "/oauth/introspect", &format!("token={token}&client_id={id}&client_secret={secret}"))
        .body
}

fn is_jwt(token: &str) -> bool {
    token.split('.').count() == 3
}

#[test]
fn a_token_for_a_jwt_resource_is_a_signed_rfc_9068_token() {
    let (plugin, client) = setup();
    let (resource_id, resource_secret) = register(&plugin, JWT_MCP, "jwt");
    let tokens = tokens_for(&plugin, &client, CAROL, "docs:read", &format!("&resource={JWT_MCP_ENCODED}"));
    let access = tokens["access_token"].as_str().unwrap();
    let claims = verified_jwt(&plugin, access, "at+jwt", JWT_MCP);
    let now = plugin.host().now_millis() / 1000;
    let jti = claims["jti"].as_str().expect("a jti").to_owned();
    assert_eq!(jti.len(), 43, "a fresh secret: no two tokens alike");
    assert_eq!(
        claims,
        json!({
            "iss": SITE, "sub": CAROL, "aud": [JWT_MCP], "client_id": client.id,
            "iat": now, "exp": now + 3600, "jti": jti, "scope": "docs:read",
        })
    );
    assert_eq!(tokens["expires_in"], 3600, "a JWT lives an hour at most: no revocation reaches it");
    // The resource may still introspect it, and the chat API refuses it like any token for elsewhere.
    let seen = introspect_as(&plugin, &resource_id, &resource_secret, access);
    assert_eq!((seen["active"].clone(), seen["aud"].clone()), (json!(true), json!([JWT_MCP])));
    assert_eq!(user_of(&plugin, access), None);

    // A refresh gives a new JWT; the old one is no longer active, and a revoked one neither.
    let form =
        format!("grant_type=refresh_token&refresh_token={}", tokens["refresh_token"].as_str().unwrap());
    let refreshed = token_request(&plugin, &form, Some((&client.id, &client.secret))).body;
    let renewed = refreshed["access_token"].as_str().unwrap();
    assert_ne!(verified_jwt(&plugin, renewed, "at+jwt", JWT_MCP)["jti"], json!(jti));
    assert_eq!(introspect_as(&plugin, &resource_id, &resource_secret, access)["active"], false);
    let revoke = format!("token={renewed}&client_id={}&client_secret={}", client.id, client.secret);
    assert_eq!(form_post(&plugin, "/oauth/revoke", &revoke).status, 200);
    assert_eq!(introspect_as(&plugin, &resource_id, &resource_secret, renewed)["active"], false);
}

#[test]
fn a_jwt_for_the_server_and_a_resource_works_on_the_chat_api_too() {
    let (plugin, client) = setup();
    register(&plugin, JWT_MCP, "jwt");
    let extra = format!("&resource={JWT_MCP_ENCODED}&resource=https%3A%2F%2Fchat.example.com");
    let tokens = tokens_for(&plugin, &client, CAROL, "", &extra);
    let access = tokens["access_token"].as_str().unwrap();
    let claims = verified_jwt(&plugin, access, "at+jwt", SITE);
    assert_eq!(claims["aud"], json!([JWT_MCP, SITE]));
    assert_eq!(claims["scope"], "user");
    assert_eq!(user_of(&plugin, access).as_deref(), Some(CAROL));
}

#[test]
fn other_tokens_stay_opaque() {
    let (plugin, client) = setup();
    register(&plugin, JWT_MCP, "jwt");
    register(&plugin, "https://opaque.example.com/mcp", "introspection");
    for extra in ["".to_owned(), format!("&resource={OPAQUE_MCP_ENCODED}"), format!("&resource={SITE}")] {
        let tokens = tokens_for(&plugin, &client, CAROL, "", &extra);
        let access = tokens["access_token"].as_str().unwrap();
        assert!(!is_jwt(access), "{extra}: {access}");
        assert_eq!(tokens["expires_in"], json!(30 * 24 * 3600), "{extra}: the server's own lifetime");
    }
}

#[test]
fn a_refresh_narrowed_away_from_the_jwt_resource_gets_an_opaque_token() {
    let (plugin, client) = setup();
    register(&plugin, JWT_MCP, "jwt");
    let extra = format!("&resource={JWT_MCP_ENCODED}&resource=https%3A%2F%2Fchat.example.com");
    let tokens = tokens_for(&plugin, &client, CAROL, "", &extra);
    assert!(is_jwt(tokens["access_token"].as_str().unwrap()));
    let form = format!(
        "grant_type=refresh_token&refresh_token={}&resource=https%3A%2F%2Fchat.example.com",
        tokens["refresh_token"].as_str().unwrap()
    );
    let refreshed = token_request(&plugin, &form, Some((&client.id, &client.secret))).body;
    let access = refreshed["access_token"].as_str().unwrap();
    assert!(!is_jwt(access), "{refreshed}");
    assert_eq!(user_of(&plugin, access).as_deref(), Some(CAROL));
}

/// The JWT with its payload replaced by `claims` (the signature left as it was).
fn with_payload(jwt: &str, claims: &Value) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let parts: Vec<&str> = jwt.split('.').collect();
    format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(claims.to_string()), parts[2])
}

#[test]
fn forged_and_misused_tokens_are_no_tokens() {
    let (plugin, client) = setup();
    let (resource_id, resource_secret) = register(&plugin, JWT_MCP, "jwt");
    let tokens =
        tokens_for(&plugin, &client, CAROL, "openid profile", &format!("&resource={JWT_MCP_ENCODED}"));
    let access = tokens["access_token"].as_str().unwrap();
    // Its audience widened to the chat server, by someone who cannot sign: refused everywhere.
    let mut claims = verified_jwt(&plugin, access, "at+jwt", JWT_MCP);
    claims["aud"] = json!([JWT_MCP, SITE]);
    let forged = with_payload(access, &claims);
    assert_eq!(user_of(&plugin, &forged), None);
    assert_eq!(introspect_as(&plugin, &resource_id, &resource_secret, &forged), json!({"active": false}));
    // An ID token is not an access token, for the API, UserInfo or introspection.
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(user_of(&plugin, id_token), None);
    assert_eq!(userinfo(&plugin, id_token).status, 401);
    assert_eq!(introspect_as(&plugin, &resource_id, &resource_secret, id_token)["active"], false);
    // A token meant for the MCP server is not UserInfo's, though its scope has openid (RFC 8707).
    let reply = userinfo(&plugin, access);
    assert_eq!((reply.status, reply.body["error"].clone()), (401, json!("invalid_token")), "{}", reply.body);
    // The same scope for the server itself reads UserInfo.
    let own = tokens_for(&plugin, &client, CAROL, "openid profile", "");
    assert_eq!(userinfo(&plugin, own["access_token"].as_str().unwrap()).body["sub"], CAROL);
}
