//! Shared helpers for the tests: a plugin on the in-memory host with users and their permissions,
//! a one-line way to send it a request, and what lets one test source run natively under
//! `cargo test` and compiled to wasm32 under wasm-bindgen-test (in Node, Chromium and Firefox).
#![allow(dead_code)]

pub mod oidc;
pub mod provider;

use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::host::User;
use oauth_plugin::http::{Request, Response};
use oauth_plugin::Plugin;
use serde_json::Value;

/// `#[test]` on either target: the standard harness's natively, wasm-bindgen-test's on wasm32
/// (which runs the binary in Node, or in a browser when the runner has `WASM_BINDGEN_USE_BROWSER`
/// set, so one build serves all three runners). A test module takes it with `use common::*`.
#[cfg(not(target_arch = "wasm32"))]
pub use core::prelude::v1::test;
#[cfg(target_arch = "wasm32")]
pub use wasm_bindgen_test::wasm_bindgen_test as test;

/// An `async fn` test, for the tests whose point is futures running at once (concurrent
/// redemptions, races): natively the body is driven by [`block_on`]; on wasm32 the test is
/// wasm-bindgen-test's async test, so its futures interleave on JS's event loop (each time the
/// in-memory host gives way, the future is woken through a microtask).
macro_rules! async_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        #[cfg(not(target_arch = "wasm32"))]
        #[::core::prelude::v1::test]
        $(#[$meta])*
        fn $name() {
            $crate::common::block_on(async $body)
        }

        #[cfg(target_arch = "wasm32")]
        #[::wasm_bindgen_test::wasm_bindgen_test]
        $(#[$meta])*
        async fn $name() $body
    };
}

/// Runs a future of the plugin on the in-memory host to its end, on either target. That host
/// never waits for anything: its calls answer at once or give way once (waking themselves
/// first), so the future is polled again until it is done, and nothing blocks, which wasm
/// cannot do. A future left pending without a wake-up would wait for ever: it panics instead.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    let woken = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(woken.clone());
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        assert!(
            woken.0.swap(false, Ordering::SeqCst),
            "the future waits for something the in-memory host never gives: it would never end"
        );
    }
}

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
