//! Shared helpers for the native tests: a plugin on the in-memory host with users and their
//! permissions, and a one-line way to send it a request.
#![allow(dead_code)]

// ID tokens are verified with jsonwebtoken, a native-only dev-dependency (see Cargo.toml).
#[cfg(not(target_arch = "wasm32"))]
pub mod oidc;
pub mod provider;

use futures::executor::block_on;
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::host::User;
use oauth_plugin::http::{Request, Response};
use oauth_plugin::Plugin;
use serde_json::Value;

pub const ADMIN: &str = "adminadminadminadminadmin1";
pub const ALICE: &str = "alicealicealicealicealice1";
pub const BOB: &str = "bobbobbobbobbobbobbobbob11";
pub const SITE: &str = "https://chat.example.com";

/// Mattermost's defaults: admins hold every permission; users hold `manage_oauth` only where the
/// test says so (as when `EnableOnlyAdminIntegrations` is off).
pub fn plugin() -> Plugin<MemoryHost> {
    plugin_on(MemoryHost::new())
}

/// [`plugin`] on the given host.
pub fn plugin_on(host: MemoryHost) -> Plugin<MemoryHost> {
    host.add_system_admin(User { id: ADMIN.into(), username: "admin".into(), ..Default::default() });
    for (id, name) in [(ALICE, "alice"), (BOB, "bob")] {
        host.add_user(User { id: id.into(), username: name.into(), ..Default::default() });
    }
    let plugin = Plugin::new(host);
    configure(&plugin, r#"{"EnableOAuthServiceProvider":true}"#);
    block_on(plugin.on_activate()).unwrap();
    plugin
}

pub fn configure(plugin: &Plugin<MemoryHost>, settings: &str) {
    let mut settings: Value = serde_json::from_str(settings).unwrap();
    settings["SiteURL"] = SITE.into();
    let config = serde_json::json!({ "ServiceSettings": settings });
    plugin.on_configuration_change(config.to_string().as_bytes()).unwrap();
}

pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub response: Response,
}

pub fn send(plugin: &Plugin<MemoryHost>, method: &str, path: &str, user: Option<&str>, body: &str) -> Reply {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut request = Request::new(method, path);
    request.query = query.into();
    request.user_id = user.map(str::to_owned);
    request.body = body.as_bytes().to_vec();
    request.request_id = "test".into();
    let response = block_on(plugin.serve_http(request));
    let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    Reply { status: response.status, body, response }
}

/// An app created by `user`; returns its JSON (with the secret shown once).
pub fn create_app(plugin: &Plugin<MemoryHost>, user: &str, fields: Value) -> Value {
    let mut app = serde_json::json!({
        "name": "Zapier", "description": "Automation", "homepage": "https://zapier.example.com",
        "callback_urls": ["https://zapier.example.com/cb"],
    });
    for (k, v) in fields.as_object().unwrap() {
        app[k] = v.clone();
    }
    let reply = send(plugin, "POST", "/api/v4/oauth/apps", Some(user), &app.to_string());
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

/// A form-encoded POST, as OAuth clients send to the token, revocation and introspection endpoints.
pub fn form_request(path: &str, form: &str) -> Request {
    let mut request = Request::new("POST", path);
    request.headers.insert("content-type".into(), "application/x-www-form-urlencoded".into());
    request.body = form.as_bytes().to_vec();
    request
}

/// Sends `request` and reads its JSON body (or `null`).
pub fn reply_to(plugin: &Plugin<MemoryHost>, request: Request) -> Reply {
    let response = block_on(plugin.serve_http(request));
    let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    Reply { status: response.status, body, response }
}

/// An access token of the provider for `user`, issued to the trusted app `client_id` (whose
/// secret is `secret`) through the code flow.
pub fn access_token_for(
    plugin: &Plugin<MemoryHost>,
    client_id: &str,
    secret: &str,
    callback: &str,
    user: &str,
) -> String {
    let query = format!("response_type=code&client_id={client_id}&redirect_uri={callback}");
    let reply = send(plugin, "GET", &format!("/oauth/authorize?{query}"), Some(user), "");
    let location =
        url::Url::parse(reply.response.header("Location").expect("a trusted app gets a redirect")).unwrap();
    let code = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={callback}&client_id={client_id}&client_secret={secret}"
    );
    reply_to(plugin, form_request("/oauth/access_token", &form)).body["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A request carrying `token` as its bearer token, as an app sends it.
pub fn send_as_app(plugin: &Plugin<MemoryHost>, method: &str, path: &str, token: &str, body: &str) -> Reply {
    let mut request = Request::new(method, path);
    request.headers.insert("authorization".into(), format!("Bearer {token}"));
    request.body = body.as_bytes().to_vec();
    request.request_id = "test".into();
    let response = block_on(plugin.serve_http(request));
    let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    Reply { status: response.status, body, response }
}

/// A trusted app the admin links to `app_id`, and its access tokens for the admin and for Alice
/// (app sessions of the app OAuth2 store).
pub fn linked_app_tokens(plugin: &Plugin<MemoryHost>, app_id: &str, callback: &str) -> (String, String) {
    let app = create_app(
        plugin,
        ADMIN,
        serde_json::json!({"is_trusted": true, "mattermost_app_id": app_id,
                                                            "callback_urls": [callback]}),
    );
    let (id, secret) = (app["id"].as_str().unwrap(), app["client_secret"].as_str().unwrap());
    (
        access_token_for(plugin, id, secret, callback, ADMIN),
        access_token_for(plugin, id, secret, callback, ALICE),
    )
}
