//! Dynamic Client Registration (RFC 7591) on the in-memory host.

use crate::common;
use crate::common::test;

use common::*;
use oauth_plugin::http::Request;
use serde_json::{json, Value};

fn register_from(
    plugin: &oauth_plugin::Plugin<oauth_plugin::host::memory::MemoryHost>,
    addr: &str,
    body: &str,
) -> Reply {
    let mut request = Request::new("POST", "/api/v4/oauth/apps/register");
    request.headers.insert("content-type".into(), "application/json".into());
    request.remote_addr = addr.into();
    request.body = body.as_bytes().to_vec();
    let response = crate::common::block_on(plugin.serve_http(request));
    let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    Reply { status: response.status, body, response }
}

fn register(plugin: &oauth_plugin::Plugin<oauth_plugin::host::memory::MemoryHost>, body: Value) -> Reply {
    register_from(plugin, "203.0.113.7", &body.to_string())
}

fn dcr_plugin(allowlist: &str) -> oauth_plugin::Plugin<oauth_plugin::host::memory::MemoryHost> {
    let plugin = plugin();
    configure(
        &plugin,
        &format!(
            r#"{{"EnableOAuthServiceProvider":true,"EnableDynamicClientRegistration":true,"DCRRedirectURIAllowlist":{allowlist}}}"#
        ),
    );
    plugin
}

#[test]
fn off_unless_both_settings_are_on() {
    let plugin = plugin();
    let reply = register(&plugin, json!({"redirect_uris": ["https://a.example.com/cb"]}));
    assert_eq!((reply.status, reply.body["error"].as_str()), (400, Some("unsupported_operation")));
}

#[test]
fn a_confidential_client_gets_its_secret_once() {
    let plugin = dcr_plugin("[]");
    let reply = register(
        &plugin,
        json!({"redirect_uris": ["https://a.example.com/cb"], "client_name": "MCP tool", "client_uri": "https://a.example.com",
               "logo_uri": "https://a.example.com/logo.png", "token_endpoint_auth_method": "client_secret_post"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.response.header("Cache-Control"), Some("no-store"));
    let body = &reply.body;
    assert_eq!(body["client_id"].as_str().unwrap().len(), 26);
    assert!(body["client_secret"].as_str().unwrap().len() >= 43);
    assert_eq!(body["client_secret_expires_at"], 0);
    assert!(body["client_id_issued_at"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(body["redirect_uris"], json!(["https://a.example.com/cb"]));
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(body["grant_types"], json!(["authorization_code", "refresh_token"]));
    assert_eq!(body["response_types"], json!(["code"]));
    assert_eq!(body["client_name"], "MCP tool");
    assert_eq!(body["client_uri"], "https://a.example.com");
    assert_eq!(body["scope"], "user");
    // Listed for system-wide admins, never trusted, created by nobody, secret not shown again.
    let app = send(
        &plugin,
        "GET",
        &format!("/api/v4/oauth/apps/{}", body["client_id"].as_str().unwrap()),
        Some(ADMIN),
        "",
    );
    assert_eq!(app.body["is_dynamically_registered"], true);
    assert_eq!(app.body["is_trusted"], false);
    assert_eq!(app.body["creator_id"], "");
    assert_eq!(app.body["client_secret"], "");
    assert_eq!(app.body["icon_url"], "https://a.example.com/logo.png");
}

#[test]
fn defaults_follow_rfc_7591() {
    let plugin = dcr_plugin("[]");
    let reply = register(&plugin, json!({"redirect_uris": ["https://a.example.com/cb"]}));
    assert_eq!(reply.body["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(reply.body["client_name"], "Dynamically Registered Client");
}

#[test]
fn public_clients_get_no_secret_and_no_refresh_grant() {
    let plugin = dcr_plugin("[]");
    let reply = register(
        &plugin,
        json!({"redirect_uris": ["http://127.0.0.1:33418/cb"], "token_endpoint_auth_method": "none",
               "grant_types": ["authorization_code", "refresh_token"]}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert!(reply.body.get("client_secret").is_none());
    assert!(reply.body.get("client_secret_expires_at").is_none());
    assert_eq!(reply.body["grant_types"], json!(["authorization_code"]));
}

#[test]
fn inconsistent_metadata_is_refused_and_nothing_stored() {
    let plugin = dcr_plugin("[]");
    let cases = [
        (
            json!({"redirect_uris": ["https://a.example.com/cb"], "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example.com/cb"], "grant_types": ["authorization_code"], "response_types": ["token"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example.com/cb"], "grant_types": ["client_credentials"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example.com/cb"], "client_name": "x".repeat(65)}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": ["https://a.example.com/cb"], "client_uri": "javascript:alert(1)"}),
            "invalid_client_metadata",
        ),
        (json!({"redirect_uris": "https://a.example.com/cb"}), "invalid_client_metadata"),
        (json!({"redirect_uris": []}), "invalid_redirect_uri"),
        (json!({}), "invalid_redirect_uri"),
        (json!({"redirect_uris": ["https://a.example.com/cb#x"]}), "invalid_redirect_uri"),
        (json!({"redirect_uris": ["myapp:/cb"]}), "invalid_redirect_uri"),
    ];
    for (body, error) in cases {
        let reply = register(&plugin, body.clone());
        assert_eq!((reply.status, reply.body["error"].as_str()), (400, Some(error)), "{body}");
        assert!(reply.body["error_description"].is_string());
    }
    assert_eq!(register_from(&plugin, "203.0.113.8", "not json").body["error"], "invalid_client_metadata");
    assert_eq!(register_from(&plugin, "203.0.113.8", "[]").body["error"], "invalid_client_metadata");
    assert_eq!(send(&plugin, "GET", "/api/v4/oauth/apps", Some(ADMIN), "").body, json!([]));
}

#[test]
fn the_allowlist_limits_redirect_uris() {
    let plugin = dcr_plugin(r#"["https://*.example.com/callback", "http://localhost:*/**"]"#);
    assert_eq!(register(&plugin, json!({"redirect_uris": ["https://app.example.com/callback"]})).status, 201);
    assert_eq!(
        register(&plugin, json!({"redirect_uris": ["http://localhost:6274/oauth/callback"]})).status,
        201
    );
    let refused = register(
        &plugin,
        json!({"redirect_uris": ["https://app.example.com/callback", "https://evil.com/callback"]}),
    );
    assert_eq!((refused.status, refused.body["error"].as_str()), (400, Some("invalid_redirect_uri")));
}

#[test]
fn registrations_are_rate_limited_per_address() {
    let plugin = dcr_plugin("[]");
    configure(&plugin, r#"{"EnableOAuthServiceProvider":true,"EnableDynamicClientRegistration":true}"#);
    let body = json!({"redirect_uris": ["https://a.example.com/cb"]}).to_string();
    for _ in 0..10 {
        assert_eq!(register_from(&plugin, "198.51.100.1", &body).status, 201);
    }
    let limited = register_from(&plugin, "198.51.100.1", &body);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.body["error"], "temporarily_unavailable");
    let retry: i64 = limited.response.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(register_from(&plugin, "198.51.100.2", &body).status, 201, "another address is not limited");
    plugin.host().advance_seconds(retry);
    assert_eq!(register_from(&plugin, "198.51.100.1", &body).status, 201, "a new window");
}

/// The host passes the address as it has it: one a KV key cannot hold (a NUL, a length past the
/// key's) is still counted, per address, and never a 500.
#[test]
fn any_address_is_rate_limited_and_none_is_a_server_error() {
    let plugin = dcr_plugin("[]");
    configure(&plugin, r#"{"EnableOAuthServiceProvider":true,"EnableDynamicClientRegistration":true}"#);
    let body = json!({"redirect_uris": ["https://a.example.com/cb"]}).to_string();
    let long = |c: char| format!("203.0.113.7{}", c.to_string().repeat(200));
    let (nul, long_a, long_b) = ("203.0.113.7\0".to_owned(), long('a'), long('b'));
    for addr in [&nul, &long_a] {
        for _ in 0..10 {
            let reply = register_from(&plugin, addr, &body);
            assert_eq!(reply.status, 201, "{addr:?}: {}", reply.body);
        }
        assert_eq!(register_from(&plugin, addr, &body).status, 429, "{addr:?}");
    }
    // Counted per address, not per the first characters of one.
    assert_eq!(register_from(&plugin, &long_b, &body).status, 201);
    assert_eq!(register_from(&plugin, "203.0.113.7", &body).status, 201);
}

#[test]
fn a_registered_client_completes_the_code_flow() {
    let plugin = dcr_plugin("[]");
    let reg = register(
        &plugin,
        json!({"redirect_uris": ["https://a.example.com/cb"], "token_endpoint_auth_method": "client_secret_post"}),
    );
    let client_id = reg.body["client_id"].as_str().unwrap();
    let secret = reg.body["client_secret"].as_str().unwrap();
    let request =
        json!({"client_id": client_id, "response_type": "code", "redirect_uri": "https://a.example.com/cb"});
    let decided = send(&plugin, "POST", "/oauth/authorize", Some(ALICE), &request.to_string());
    let url = url::Url::parse(decided.body["redirect"].as_str().unwrap()).unwrap();
    let code = url.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let mut token = Request::new("POST", "/oauth/access_token");
    token.headers.insert("content-type".into(), "application/x-www-form-urlencoded".into());
    token.body = format!("grant_type=authorization_code&code={code}&redirect_uri=https://a.example.com/cb&client_id={client_id}&client_secret={secret}").into_bytes();
    let response = crate::common::block_on(plugin.serve_http(token));
    assert_eq!(response.status, 200);
}

#[test]
fn the_allowlist_is_matched_component_by_component() {
    let plugin = dcr_plugin(r#"["https://*.example.com/cb", "http://localhost:*/callback"]"#);
    for attack in [
        "https://evil.test?.example.com/cb",
        "https://evil.test\\.example.com/cb",
        "http://localhost:1@evil.test/callback",
        "https://evil.test/?.example.com/cb",
        "https://a.b.example.com/cb",
        "http://localhost.evil.test:1/callback",
    ] {
        let refused = register(&plugin, json!({"redirect_uris": [attack]}));
        assert_eq!(
            (refused.status, refused.body["error"].as_str()),
            (400, Some("invalid_redirect_uri")),
            "{attack}"
        );
    }
    assert_eq!(
        send(&plugin, "GET", "/api/v4/oauth/apps", Some(ADMIN), "").body,
        json!([]),
        "nothing registered"
    );
    for fine in ["https://app.example.com/cb", "http://localhost:33418/callback"] {
        assert_eq!(register(&plugin, json!({"redirect_uris": [fine]})).status, 201, "{fine}");
    }
}

#[test]
fn malformed_allowlist_patterns_allow_nothing() {
    let plugin = dcr_plugin(
        r#"["https://app-*.example.com/cb", "app.example.com/cb", "https://u@app.example.com/cb"]"#,
    );
    for uri in ["https://app-1.example.com/cb", "https://app.example.com/cb"] {
        assert_eq!(
            register(&plugin, json!({"redirect_uris": [uri]})).body["error"],
            "invalid_redirect_uri",
            "{uri}"
        );
    }
}

#[test]
fn refused_registrations_store_nothing_not_even_a_rate_count() {
    let plugin = dcr_plugin("[]");
    configure(&plugin, r#"{"EnableOAuthServiceProvider":true,"EnableDynamicClientRegistration":true}"#);
    let before = plugin.host().dump();
    for bad in ["[]", "{", "\"x\"", r#"{"redirect_uris": ["myapp:/cb"]}"#, r#"{"redirect_uris": []}"#] {
        assert_eq!(register_from(&plugin, "198.51.100.9", bad).status, 400, "{bad}");
    }
    for _ in 0..20 {
        register_from(&plugin, "198.51.100.9", r#"{"redirect_uris": ["https://a.example.com/cb#f"]}"#);
    }
    assert_eq!(plugin.host().dump(), before);
    let body = json!({"redirect_uris": ["https://a.example.com/cb"]}).to_string();
    assert_eq!(
        register_from(&plugin, "198.51.100.9", &body).status,
        201,
        "refusals did not use up the limit"
    );
}
