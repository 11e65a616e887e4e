//! The plugin's hooks on the in-memory host: activation, configuration, routing.

use crate::common::block_on;
use crate::common::test;
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::host::{Host, KvWrite, LogLevel};
use oauth_plugin::http::{Request, Response};
use oauth_plugin::store::schema::CURRENT;
use oauth_plugin::Plugin;
use serde_json::Value;

const METADATA: &str = "/.well-known/oauth-authorization-server";

fn plugin_with(settings: &str) -> Plugin<MemoryHost> {
    let plugin = Plugin::new(MemoryHost::new());
    let config = format!(r#"{{"ServiceSettings":{settings}}}"#);
    plugin.on_configuration_change(config.as_bytes()).unwrap();
    plugin
}

fn serve(plugin: &Plugin<MemoryHost>, method: &str, path: &str) -> (Response, Value) {
    let response = block_on(plugin.serve_http(Request::new(method, path)));
    let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response, body)
}

#[test]
fn activation_marks_an_empty_store_and_accepts_its_own_mark() {
    let plugin = plugin_with("{}");
    block_on(plugin.on_activate()).unwrap();
    let mark = block_on(plugin.host().kv_get("meta:schema")).unwrap().unwrap();
    assert_eq!(mark, format!(r#"{{"v":{CURRENT}}}"#).as_bytes());
    block_on(plugin.on_activate()).unwrap();
    let logs = plugin.host().logs();
    assert!(logs.iter().any(|l| l.level == LogLevel::Info && l.message == "activated"));
}

#[test]
fn a_restart_only_reads() {
    let plugin = plugin_with("{}");
    block_on(plugin.on_activate()).unwrap();
    plugin.host().take_calls();
    let before = plugin.host().dump();
    // What every start but the first costs: the at-rest key and three reads (the schema mark, the
    // key check and the signing keys), no write and no new key.
    block_on(plugin.on_activate()).unwrap();
    let calls = plugin.host().take_calls();
    assert_eq!(calls, ["at_rest_key ", "kv_get meta:schema", "kv_get meta:keycheck", "kv_get sk:ring"]);
    assert_eq!(plugin.host().dump(), before);
}

#[test]
fn activation_refuses_a_newer_schema_and_leaves_it_alone() {
    let plugin = plugin_with("{}");
    let newer = format!(r#"{{"v":{}}}"#, CURRENT + 1);
    block_on(plugin.host().kv_set("meta:schema", KvWrite::set(newer.as_bytes()))).unwrap();
    let err = block_on(plugin.on_activate()).unwrap_err().to_string();
    assert!(err.contains(&format!("schema version {}", CURRENT + 1)), "{err}");
    assert_eq!(block_on(plugin.host().kv_get("meta:schema")).unwrap().unwrap(), newer.as_bytes());
    assert_eq!(block_on(plugin.host().kv_get("meta:keycheck")).unwrap(), None, "nothing written");
}

#[test]
fn activation_reports_an_unreadable_schema_mark() {
    let plugin = plugin_with("{}");
    block_on(plugin.host().kv_set("meta:schema", KvWrite::set(b"not json"))).unwrap();
    let err = block_on(plugin.on_activate()).unwrap_err().to_string();
    assert!(err.contains("meta:schema") && err.contains("unreadable"), "{err}");
}

#[test]
fn metadata_is_501_while_the_provider_is_off() {
    let plugin = plugin_with(r#"{"SiteURL":"http://localhost:8065"}"#);
    let (response, body) = serve(&plugin, "GET", METADATA);
    assert_eq!(response.status, 501);
    assert_eq!(body["id"], "api.oauth.authorization_server_metadata.disabled.app_error");
    assert!(body["message"].as_str().unwrap().contains("disabled"));
}

#[test]
fn metadata_follows_rfc_8414() {
    let plugin =
        plugin_with(r#"{"SiteURL":"https://chat.example.com/team","EnableOAuthServiceProvider":true}"#);
    let (response, body) = serve(&plugin, "GET", METADATA);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("Access-Control-Allow-Origin"), Some("*"));
    assert_eq!(body["issuer"], "https://chat.example.com/team");
    assert_eq!(body["authorization_endpoint"], "https://chat.example.com/team/oauth/authorize");
    assert_eq!(body["token_endpoint"], "https://chat.example.com/team/oauth/access_token");
    assert_eq!(body["revocation_endpoint"], "https://chat.example.com/team/oauth/revoke");
    assert_eq!(body["introspection_endpoint"], "https://chat.example.com/team/oauth/introspect");
    assert!(body.get("registration_endpoint").is_none(), "DCR is off");
    assert_eq!(body["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(body["scopes_supported"], serde_json::json!(["openid", "profile", "email", "user"]));
    assert_eq!(body["jwks_uri"], "https://chat.example.com/team/oauth/jwks");
    assert_eq!(body["authorization_response_iss_parameter_supported"], true);
    let methods = body["token_endpoint_auth_methods_supported"].as_array().unwrap();
    for method in ["client_secret_post", "client_secret_basic", "none"] {
        assert!(methods.iter().any(|m| m == method), "{method}");
    }
}

#[test]
fn metadata_names_the_registration_endpoint_when_dcr_is_on() {
    let plugin = plugin_with(
        r#"{"SiteURL":"https://chat.example.com","EnableOAuthServiceProvider":true,"EnableDynamicClientRegistration":true}"#,
    );
    let (_, body) = serve(&plugin, "GET", METADATA);
    assert_eq!(body["registration_endpoint"], "https://chat.example.com/api/v4/oauth/apps/register");
}

#[test]
fn metadata_answers_under_an_issuer_path_but_not_beside_it() {
    let plugin = plugin_with(r#"{"SiteURL":"https://chat.example.com","EnableOAuthServiceProvider":true}"#);
    assert_eq!(serve(&plugin, "GET", &format!("{METADATA}/team")).0.status, 200);
    assert_eq!(serve(&plugin, "GET", &format!("{METADATA}-other")).0.status, 404);
}

#[test]
fn metadata_allows_cors_preflight_and_refuses_other_methods() {
    let plugin = plugin_with(r#"{"EnableOAuthServiceProvider":true}"#);
    let (preflight, _) = serve(&plugin, "OPTIONS", METADATA);
    assert_eq!(preflight.status, 204);
    assert_eq!(preflight.header("Access-Control-Allow-Origin"), Some("*"));
    let (post, body) = serve(&plugin, "POST", METADATA);
    assert_eq!(post.status, 405);
    assert_eq!(post.header("Allow"), Some("GET, OPTIONS"));
    assert_eq!(body["status_code"], 405);
}

#[test]
fn unknown_paths_get_mattermosts_404() {
    let plugin = plugin_with("{}");
    for path in ["/plugins/oauth-plugin/", "/oauth/nothing", "/api/v4/oauth/nothing"] {
        let (response, body) = serve(&plugin, "GET", path);
        assert_eq!(response.status, 404, "{path}");
        assert_eq!(body["id"], "api.context.404.app_error", "{path}");
    }
}

#[test]
fn a_refused_configuration_keeps_the_previous_one() {
    let plugin = plugin_with(r#"{"SiteURL":"https://a.example.com","EnableOAuthServiceProvider":true}"#);
    let err =
        plugin.on_configuration_change(br#"{"ServiceSettings":{"SiteURL":"nope"}}"#).unwrap_err().to_string();
    assert!(err.contains("SiteURL"));
    let (_, body) = serve(&plugin, "GET", METADATA);
    assert_eq!(body["issuer"], "https://a.example.com");
}

const RESOURCE_METADATA: &str = "/.well-known/oauth-protected-resource";

#[test]
fn the_server_is_a_protected_resource_rfc_9728() {
    let plugin = plugin_with(r#"{"SiteURL":"https://chat.example.com","EnableOAuthServiceProvider":true}"#);
    let (response, body) = serve(&plugin, "GET", RESOURCE_METADATA);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("Access-Control-Allow-Origin"), Some("*"));
    assert_eq!(body["resource"], "https://chat.example.com", "§3.3: the identifier the URL was made from");
    assert_eq!(body["authorization_servers"], serde_json::json!(["https://chat.example.com"]));
    assert_eq!(body["bearer_methods_supported"], serde_json::json!(["header", "query"]));
    assert_eq!(body["scopes_supported"], serde_json::json!(["user"]));
    let (_, issuer) = serve(&plugin, "GET", METADATA);
    assert_eq!(body["authorization_servers"][0], issuer["issuer"], "the authorization server is this issuer");
    assert_eq!(serve(&plugin, "OPTIONS", RESOURCE_METADATA).0.status, 204);
    // No other resource is registered: a path-inserted URL names none.
    let (other, body) = serve(&plugin, "GET", &format!("{RESOURCE_METADATA}/mcp"));
    assert_eq!((other.status, body["id"].as_str()), (404, Some("api.context.404.app_error")));
}

#[test]
fn a_site_url_with_a_path_has_its_resource_metadata_at_the_path_inserted_url() {
    let plugin =
        plugin_with(r#"{"SiteURL":"https://chat.example.com/team","EnableOAuthServiceProvider":true}"#);
    let (response, body) = serve(&plugin, "GET", &format!("{RESOURCE_METADATA}/team"));
    assert_eq!(response.status, 200);
    assert_eq!(body["resource"], "https://chat.example.com/team");
    assert_eq!(
        serve(&plugin, "GET", RESOURCE_METADATA).0.status,
        404,
        "https://chat.example.com is not the resource"
    );
    assert_eq!(serve(&plugin, "GET", &format!("{RESOURCE_METADATA}/other")).0.status, 404);
}

#[test]
fn resource_metadata_is_501_while_the_provider_is_off() {
    let plugin = plugin_with(r#"{"SiteURL":"https://chat.example.com"}"#);
    let (response, body) = serve(&plugin, "GET", RESOURCE_METADATA);
    assert_eq!(response.status, 501);
    assert!(body["message"].as_str().unwrap().contains("disabled"));
}
