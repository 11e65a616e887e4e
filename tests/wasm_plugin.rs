//! The exported `Plugin` class against a JS in-memory host, run by wasm-bindgen-test in Node and
//! in headless Chromium and Firefox. These go through the real JS boundary: requests, responses,
//! configuration and KV values are JS objects, errors are rejected promises.
#![cfg(target_arch = "wasm32")]

use oauth_plugin::store::schema::CURRENT;
use oauth_plugin::wasm::{PluginHost, WasmPlugin};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen(module = "/tests/js/memory_host.js")]
extern "C" {
    #[wasm_bindgen(js_name = memoryHost)]
    fn memory_host() -> JsValue;
    #[wasm_bindgen(js_name = putText)]
    async fn put_text(host: &JsValue, key: &str, text: &str) -> JsValue;
    #[wasm_bindgen(js_name = getText)]
    async fn get_text(host: &JsValue, key: &str) -> JsValue;
    #[wasm_bindgen(js_name = logText)]
    fn log_text(host: &JsValue) -> String;
    #[wasm_bindgen(js_name = setAtRestKey)]
    fn set_at_rest_key(host: &JsValue, key: &str);
    fn request(method: &str, path: &str) -> JsValue;
    fn config(settings_json: &str) -> JsValue;
    #[wasm_bindgen(js_name = responseStatus)]
    fn response_status(response: &JsValue) -> u16;
    #[wasm_bindgen(js_name = responseBody)]
    fn response_body(response: &JsValue) -> String;
    #[wasm_bindgen(js_name = responseHeader)]
    fn response_header(response: &JsValue, name: &str) -> Option<String>;
    #[wasm_bindgen(js_name = errorMessage)]
    fn error_message(error: JsValue) -> String;
    fn promising(host: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = resolveFromJs)]
    fn resolve_from_js(plugin: JsValue, token: &str) -> String;
    #[wasm_bindgen(js_name = requestAs)]
    fn request_as(
        method: &str,
        path: &str,
        query: &str,
        user_id: Option<String>,
        content_type: &str,
        body: &str,
    ) -> JsValue;
    #[wasm_bindgen(js_name = addSystemAdmin)]
    fn add_system_admin(host: &JsValue, id: &str);
    #[wasm_bindgen(js_name = verifiedJwtClaims)]
    async fn verified_jwt_claims(jwt: &str, jwks_json: &str) -> JsValue;
}

const METADATA: &str = "/.well-known/oauth-authorization-server";

fn new_plugin() -> (JsValue, WasmPlugin) {
    let host = memory_host();
    let plugin = WasmPlugin::new(host.clone().unchecked_into::<PluginHost>());
    (host, plugin)
}

async fn get(plugin: &WasmPlugin, path: &str) -> (u16, Value, JsValue) {
    let response = plugin.serve_http(request("GET", path)).await.unwrap();
    let body = serde_json::from_str(&response_body(&response)).unwrap_or(Value::Null);
    (response_status(&response), body, response)
}

async fn configure(plugin: &WasmPlugin, settings: &str) -> Result<(), String> {
    plugin.on_configuration_change(config(settings)).await.map_err(|e| error_message(e.into()))
}

#[wasm_bindgen_test]
async fn metadata_is_501_until_the_provider_is_enabled() {
    let (_, plugin) = new_plugin();
    configure(&plugin, r#"{"SiteURL":"https://chat.example.com"}"#).await.unwrap();
    let (status, body, _) = get(&plugin, METADATA).await;
    assert_eq!(status, 501);
    assert_eq!(body["id"], "api.oauth.authorization_server_metadata.disabled.app_error");
    assert_eq!(body["status_code"], 501);
    assert_eq!(body["request_id"], "test-request");

    configure(&plugin, r#"{"SiteURL":"https://chat.example.com","EnableOAuthServiceProvider":true}"#)
        .await
        .unwrap();
    let (status, body, response) = get(&plugin, METADATA).await;
    assert_eq!(status, 200);
    assert_eq!(body["issuer"], "https://chat.example.com");
    assert_eq!(body["token_endpoint"], "https://chat.example.com/oauth/access_token");
    assert_eq!(body["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(response_header(&response, "content-type").as_deref(), Some("application/json"));
    assert_eq!(response_header(&response, "access-control-allow-origin").as_deref(), Some("*"));
}

#[wasm_bindgen_test]
async fn unknown_paths_get_mattermosts_404() {
    let (_, plugin) = new_plugin();
    let (status, body, _) = get(&plugin, "/plugins/oauth-plugin/nothing-here").await;
    assert_eq!(status, 404);
    assert_eq!(body["id"], "api.context.404.app_error");
}

#[wasm_bindgen_test]
async fn a_malformed_request_rejects_with_a_readable_message() {
    let (_, plugin) = new_plugin();
    let bad = js_sys::JSON::parse(r#"{"method": 7, "path": "/x"}"#).unwrap();
    let error = plugin.serve_http(bad).await.map(|_| ()).map_err(error_message);
    let message = error.unwrap_err();
    assert!(message.starts_with("invalid request:"), "{message}");
    assert!(message.contains("method") || message.contains("string"), "{message}");
}

#[wasm_bindgen_test]
async fn a_request_of_the_wrong_shape_rejects_naming_the_field() {
    let (_, plugin) = new_plugin();
    let cases = [
        (r#"{"method":"GET","path":"/x","isOAuthSession":"yes"}"#, "isOAuthSession"),
        (r#"{"method":"GET","path":"/x","sessionCreatedAt":1.5}"#, "sessionCreatedAt"),
        (r#"{"method":"GET","path":"/x","body":"text"}"#, "body"),
        (r#"{"method":"GET","path":"/x","headers":{"a":1}}"#, "headers"),
        (r#"{"method":"GET","path":"/x","userId":7}"#, "userId"),
        (r#"{"method":"GET"}"#, "path"),
        ("null", "object"),
    ];
    for (json, field) in cases {
        let bad = js_sys::JSON::parse(json).unwrap();
        let message = plugin.serve_http(bad).await.map(|_| ()).map_err(error_message).unwrap_err();
        assert!(message.starts_with("invalid request:") && message.contains(field), "{json}: {message}");
    }
}

#[wasm_bindgen_test]
async fn a_response_body_is_the_hosts_own_copy() {
    let (_, plugin) = new_plugin();
    let (_, _, first) = get(&plugin, "/plugins/oauth-plugin/nothing-here").await;
    let before = response_body(&first);
    assert!(before.contains("api.context.404.app_error"), "{before}");
    // The module's memory is written again meanwhile; a view into it would change.
    for _ in 0..20 {
        get(&plugin, METADATA).await;
        get(&plugin, "/plugins/oauth-plugin/elsewhere").await;
    }
    assert_eq!(response_body(&first), before);
}

#[wasm_bindgen_test]
async fn an_invalid_configuration_rejects_and_the_previous_one_stays() {
    let (_, plugin) = new_plugin();
    configure(&plugin, r#"{"SiteURL":"https://a.example.com","EnableOAuthServiceProvider":true}"#)
        .await
        .unwrap();
    let error = configure(&plugin, r#"{"SiteURL":"not a url"}"#).await.unwrap_err();
    assert!(error.contains("SiteURL"), "{error}");
    let (status, body, _) = get(&plugin, METADATA).await;
    assert_eq!(status, 200);
    assert_eq!(body["issuer"], "https://a.example.com");
}

#[wasm_bindgen_test]
async fn activation_marks_the_store_through_the_js_host() {
    let (host, plugin) = new_plugin();
    plugin.on_activate().await.map_err(JsValue::from).unwrap();
    let mark = format!(r#"{{"v":{CURRENT}}}"#);
    assert_eq!(get_text(&host, "meta:schema").await.as_string(), Some(mark.clone()));
    assert!(log_text(&host).contains("activated"));
    // A second activation (a restart) finds the mark and keeps it.
    plugin.on_activate().await.map_err(JsValue::from).unwrap();
    assert_eq!(get_text(&host, "meta:schema").await.as_string(), Some(mark));
}

#[wasm_bindgen_test]
async fn the_at_rest_key_comes_from_the_js_host_and_a_wrong_one_is_refused() {
    let (host, plugin) = new_plugin();
    plugin.on_activate().await.map_err(JsValue::from).unwrap();
    let check = get_text(&host, "meta:keycheck").await.as_string().unwrap();
    assert!(check.starts_with("enc1:"), "{check}");
    set_at_rest_key(&host, "another wasm test key, 32 bytes or more");
    let message = plugin.on_activate().await.map_err(|e| error_message(e.into())).unwrap_err();
    assert!(message.contains("another at-rest key"), "{message}");
    assert_eq!(get_text(&host, "meta:keycheck").await.as_string(), Some(check), "nothing overwritten");
}

#[wasm_bindgen_test]
async fn activation_refuses_data_from_a_newer_version() {
    let (host, plugin) = new_plugin();
    put_text(&host, "meta:schema", r#"{"v":999}"#).await;
    let message = plugin.on_activate().await.map_err(|e| error_message(e.into())).unwrap_err();
    assert!(message.contains("schema version 999"), "{message}");
    assert!(message.contains("newer version"), "{message}");
}

#[wasm_bindgen_test]
async fn unknown_tokens_and_urls_resolve_to_null() {
    let (_, plugin) = new_plugin();
    let info = plugin.resolve_access_token("no-such-token".into()).await.unwrap();
    assert!(info.is_null());
    let header = plugin
        .authorize_outgoing_request("https://example.com/x".into())
        .await
        .map_err(JsValue::from)
        .unwrap();
    assert!(header.is_null());
}

#[wasm_bindgen_test]
async fn answers_at_once_when_the_host_does_and_with_a_promise_when_it_does_not() {
    let (_, plugin) = new_plugin();
    assert_eq!(resolve_from_js(plugin.into(), "no-such-token"), "null", "every host call answered at once");

    let host = promising(&memory_host());
    let plugin = WasmPlugin::new(host.unchecked_into::<PluginHost>());
    assert_eq!(resolve_from_js(plugin.into(), "no-such-token"), "promise");
    let plugin = WasmPlugin::new(promising(&memory_host()).unchecked_into::<PluginHost>());
    plugin.on_activate().await.map_err(JsValue::from).unwrap();
    assert!(plugin.resolve_access_token("no-such-token".into()).await.unwrap().is_null());
}

#[wasm_bindgen_test]
fn routes_are_plain_objects_of_method_and_pattern() {
    let (_, plugin) = new_plugin();
    let routes = js_sys::Array::from(&plugin.routes());
    assert!(routes.length() > 0);
    let first = routes.get(0);
    let field = |name: &str| js_sys::Reflect::get(&first, &name.into()).unwrap().as_string();
    assert_eq!(field("method").as_deref(), Some("GET"));
    assert_eq!(field("pattern").as_deref(), Some(METADATA));
}

#[wasm_bindgen_test]
async fn id_tokens_are_signed_by_the_host_and_verify_against_the_published_keys() {
    const ADMIN: &str = "adminadminadminadminadmin1";
    const CALLBACK: &str = "https://app.example.com/cb";
    let (host, plugin) = new_plugin();
    configure(&plugin, r#"{"SiteURL":"https://chat.example.com","EnableOAuthServiceProvider":true}"#)
        .await
        .unwrap();
    plugin.on_activate().await.map_err(JsValue::from).unwrap();
    add_system_admin(&host, ADMIN);
    let send = |request: JsValue| async {
        let response = plugin.serve_http(request).await.unwrap();
        let body = serde_json::from_str(&response_body(&response)).unwrap_or(Value::Null);
        (response_status(&response), body, response)
    };
    let app = serde_json::json!({"name": "Wasm", "homepage": "https://app.example.com",
        "callback_urls": [CALLBACK], "is_trusted": true});
    let json = "application/json";
    let (status, app, _) =
        send(request_as("POST", "/api/v4/oauth/apps", "", Some(ADMIN.into()), json, &app.to_string())).await;
    assert_eq!(status, 201, "{app}");
    let (id, secret) = (app["id"].as_str().unwrap(), app["client_secret"].as_str().unwrap());
    let query = format!("response_type=code&client_id={id}&redirect_uri={CALLBACK}&scope=openid&state=s");
    let (status, _, response) =
        send(request_as("GET", "/oauth/authorize", &query, Some(ADMIN.into()), "", "")).await;
    assert_eq!(status, 302);
    let location = url::Url::parse(&response_header(&response, "location").unwrap()).unwrap();
    let code = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={CALLBACK}&client_id={id}&client_secret={secret}"
    );
    let form_type = "application/x-www-form-urlencoded";
    let (status, tokens, _) =
        send(request_as("POST", "/oauth/access_token", "", None, form_type, &form)).await;
    assert_eq!(status, 200, "{tokens}");
    let (status, jwks, _) = send(request_as("GET", "/oauth/jwks", "", None, "", "")).await;
    assert_eq!(status, 200);
    let claims = verified_jwt_claims(tokens["id_token"].as_str().unwrap(), &jwks.to_string()).await;
    let claims: Value = serde_json::from_str(&claims.as_string().expect("the signature verifies")).unwrap();
    assert_eq!(claims["sub"], ADMIN);
    assert_eq!(claims["aud"], id);
    assert_eq!(claims["iss"], "https://chat.example.com");
}
