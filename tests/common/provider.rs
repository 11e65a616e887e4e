//! The provider's flows, shared by its tests: a client, the authorization request and the consent
//! decision, and token requests.

use super::block_on;
use super::*;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::Plugin;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use url::Url;

pub const CALLBACK: &str = "https://zapier.example.com/cb";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub struct Client {
    pub id: String,
    pub secret: String,
}

pub fn client(plugin: &Plugin<MemoryHost>, fields: Value) -> Client {
    let app = create_app(plugin, ADMIN, fields);
    Client { id: app["id"].as_str().unwrap().into(), secret: app["client_secret"].as_str().unwrap().into() }
}

pub fn authorize(plugin: &Plugin<MemoryHost>, user: Option<&str>, query: &str) -> Reply {
    send(plugin, "GET", &format!("/oauth/authorize?{query}"), user, "")
}

pub fn location(reply: &Reply) -> Url {
    assert_eq!(reply.status, 302, "{}", String::from_utf8_lossy(&reply.response.body));
    Url::parse(reply.response.header("Location").unwrap()).unwrap()
}

pub fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

pub fn fragment_param(url: &Url, name: &str) -> Option<String> {
    url::form_urlencoded::parse(url.fragment().unwrap_or("").as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Allow (or Deny) on the consent page: `POST /oauth/authorize` as Mattermost's webapp sends it.
pub fn decide(plugin: &Plugin<MemoryHost>, user: &str, request: Value) -> Url {
    let reply = send(plugin, "POST", "/oauth/authorize", Some(user), &request.to_string());
    assert_eq!(reply.status, 200, "{}", reply.body);
    Url::parse(reply.body["redirect"].as_str().unwrap()).unwrap()
}

pub fn code_for(plugin: &Plugin<MemoryHost>, client: &Client, user: &str, extra: &str) -> String {
    let query =
        format!("response_type=code&client_id={}&redirect_uri={CALLBACK}&state=xyz{extra}", client.id);
    let reply = authorize(plugin, Some(user), &query);
    let url = if reply.status == 200 {
        let mut request = json!({"client_id": client.id, "response_type": "code", "redirect_uri": CALLBACK, "state": "xyz"});
        for (k, v) in url::form_urlencoded::parse(extra.trim_start_matches('&').as_bytes()) {
            // A repeated parameter (RFC 8707's `resource`) becomes a list, as the page posts it.
            request[k.as_ref()] = match request.get(k.as_ref()) {
                Some(Value::String(first)) => json!([first, v]),
                Some(Value::Array(more)) => json!([more.clone(), vec![json!(v)]].concat()),
                _ => v.as_ref().into(),
            };
        }
        decide(plugin, user, request)
    } else {
        location(&reply)
    };
    assert_eq!(query_param(&url, "state").as_deref(), Some("xyz"));
    query_param(&url, "code").unwrap_or_else(|| panic!("no code in {url}"))
}

pub fn token_request(plugin: &Plugin<MemoryHost>, form: &str, basic: Option<(&str, &str)>) -> Reply {
    let mut request = form_request("/oauth/access_token", form);
    if let Some((id, secret)) = basic {
        request
            .headers
            .insert("authorization".into(), format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))));
    }
    reply_to(plugin, request)
}

/// The same token request sent `count` times at once, interleaving on the host (on wasm32, on
/// JS's event loop: an `async_test!` awaits it).
pub async fn concurrent_token_requests(
    plugin: &Plugin<MemoryHost>,
    form: &str,
    count: usize,
) -> Vec<oauth_plugin::http::Response> {
    plugin.host().interleave(true);
    let requests = (0..count).map(|_| plugin.serve_http(form_request("/oauth/access_token", form)));
    futures::future::join_all(requests).await
}

pub fn exchange(plugin: &Plugin<MemoryHost>, client: &Client, code: &str) -> Reply {
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={CALLBACK}&client_id={}&client_secret={}",
        client.id, client.secret
    );
    token_request(plugin, &form, None)
}

pub fn refresh(plugin: &Plugin<MemoryHost>, client: &Client, token: &str) -> Reply {
    let form = format!("grant_type=refresh_token&refresh_token={token}");
    token_request(plugin, &form, Some((&client.id, &client.secret)))
}

pub fn user_of(plugin: &Plugin<MemoryHost>, token: &str) -> Option<String> {
    block_on(plugin.resolve_access_token(token)).unwrap().map(|info| info.user_id.to_string())
}

pub fn form_post(plugin: &Plugin<MemoryHost>, path: &str, form: &str) -> Reply {
    reply_to(plugin, form_request(path, form))
}

pub fn client_fn(plugin: &Plugin<MemoryHost>) -> Client {
    client(plugin, json!({"name": "Other"}))
}
