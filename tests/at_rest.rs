//! Secrets the plugin must use again are sealed at rest: what a dump of the KV store shows, the
//! migration of records an older version wrote in plain text, and a wrong at-rest key.

use crate::common;
use crate::common::test;

use crate::common::block_on;
use common::*;
use oauth_plugin::crypto::{is_sealed, Sealer};
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::host::{FetchResponse, Host, KvWrite};
use oauth_plugin::ids::UserId;
use oauth_plugin::store::keys;
use oauth_plugin::Plugin;
use serde_json::{json, Value};

const KEY: &[u8] = b"an-at-rest-key-of-at-least-32-bytes!";
const APP_ID: &str = "com.example.jira";
const CALLBACK: &str = "https://jira-app.example.com/oauth/cb";
const API: &str = "/plugins/oauth-plugin/api/v1/oauth2";
const CONNECT: &str = "/plugins/oauth-plugin/apps/com.example.jira/oauth2/remote/connect";
const COMPLETE: &str = "/plugins/oauth-plugin/apps/com.example.jira/oauth2/remote/complete";

/// Every secret the scenario below hands the plugin, or the plugin obtains.
const SECRETS: &[&str] = &[
    "outgoing-secret-1",
    "outgoing-password-1",
    "remote-app-secret-1",
    "remote-access-token-1",
    "remote-refresh-token-1",
    "app-stored-token-1",
    "cached-outgoing-token-1",
];

struct Scenario {
    plugin: Plugin<MemoryHost>,
    alice_token: String,
    /// The PKCE verifier of a connect flow still pending.
    pending_verifier: String,
}

/// A plugin that holds one of every kind of sealed record.
fn scenario() -> Scenario {
    let host = MemoryHost::new();
    host.set_at_rest_key(KEY);
    let plugin = plugin_on(host);
    plugin.host().grant(ADMIN, "manage_outgoing_oauth_connections");
    configure(&plugin, r#"{"EnableOAuthServiceProvider":true,"EnableOutgoingOAuthConnections":true}"#);
    plugin.host().on_fetch(|request| {
        let body = if request.url.contains("remote.example.com") {
            json!({"access_token": "remote-access-token-1", "refresh_token": "remote-refresh-token-1", "expires_in": 3600})
        } else {
            json!({"access_token": "cached-outgoing-token-1", "token_type": "bearer", "expires_in": 3600})
        };
        Ok(FetchResponse { status: 200, headers: vec![], body: body.to_string().into_bytes() })
    });
    let connection = json!({"name": "Jira", "client_id": "client-1", "client_secret": "outgoing-secret-1",
        "oauth_token_url": "https://auth.example.com/token", "grant_type": "password", "credentials_username": "svc",
        "credentials_password": "outgoing-password-1", "audiences": ["https://jira.example.com/*"], "cache_tokens": true});
    let created =
        send(&plugin, "POST", "/api/v4/oauth/outgoing_connections", Some(ADMIN), &connection.to_string());
    assert_eq!(created.status, 201, "{}", created.body);
    let header = block_on(plugin.authorize_outgoing_request("https://jira.example.com/x")).unwrap();
    assert_eq!(header.as_deref(), Some("Bearer cached-outgoing-token-1"));

    let (admin_token, alice_token) = linked_app_tokens(&plugin, APP_ID, CALLBACK);
    let settings = json!({"client_id": "remote-client", "client_secret": "remote-app-secret-1",
        "authorize_url": "https://remote.example.com/authorize", "token_url": "https://remote.example.com/token"});
    assert_eq!(
        send_as_app(&plugin, "POST", &format!("{API}/app"), &admin_token, &settings.to_string()).status,
        200
    );
    assert_eq!(
        send_as_app(&plugin, "POST", &format!("{API}/user"), &admin_token, r#"{"t":"app-stored-token-1"}"#)
            .status,
        200
    );
    let state = connect_state(&plugin);
    let done = send(&plugin, "GET", &format!("{COMPLETE}?code=c&state={state}"), Some(ALICE), "");
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.response.body));
    connect_state(&plugin); // a second flow, left pending
    let pending_verifier = pending_connect_verifier(&plugin);
    Scenario { plugin, alice_token, pending_verifier }
}

/// Starts a connect flow for Alice; returns its state.
fn connect_state(plugin: &Plugin<MemoryHost>) -> String {
    let reply = send(plugin, "GET", CONNECT, Some(ALICE), "");
    assert_eq!(reply.status, 302, "{}", String::from_utf8_lossy(&reply.response.body));
    let url = url::Url::parse(reply.response.header("Location").unwrap()).unwrap();
    url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned()
}

/// The verifier of the pending connect flow, read by opening its sealed record with the key.
fn pending_connect_verifier(plugin: &Plugin<MemoryHost>) -> String {
    let sealer = Sealer::from_host_key(KEY).unwrap();
    let (key, value) =
        plugin.host().dump().into_iter().find(|(k, _)| k.starts_with("a2st:")).expect("a pending flow");
    let record: Value = serde_json::from_slice(&sealer.open(&key, &value).unwrap()).unwrap();
    record["code_verifier"].as_str().unwrap().to_owned()
}

fn dump_text(plugin: &Plugin<MemoryHost>) -> String {
    plugin.host().dump().iter().map(|(k, v)| format!("{k}={}\n", String::from_utf8_lossy(v))).collect()
}

#[test]
fn a_dump_of_the_store_shows_no_secret_in_plain_text() {
    let s = scenario();
    let dump = dump_text(&s.plugin);
    for secret in SECRETS.iter().copied().chain([s.pending_verifier.as_str(), s.alice_token.as_str()]) {
        assert!(!dump.contains(secret), "{secret} is in the dump:\n{dump}");
    }
    let entries = s.plugin.host().dump();
    let sealed: Vec<&String> = entries.iter().filter(|(k, _)| keys::is_sealed(k)).map(|(k, _)| k).collect();
    for kind in ["oc:", "octok:", "a2app:", "a2tok:", "a2st:"] {
        assert!(sealed.iter().any(|k| k.starts_with(kind)), "no {kind} record in {sealed:?}");
    }
    assert!(entries.iter().filter(|(k, _)| keys::is_sealed(k)).all(|(_, v)| is_sealed(v)));
    // And the plugin still uses them: the app reads its user's token back.
    let token = send_as_app(&s.plugin, "GET", &format!("{API}/user"), &s.alice_token, "");
    assert_eq!(token.body["access_token"], "remote-access-token-1");
}

#[test]
fn a_sealed_record_moved_to_another_key_does_not_open() {
    let s = scenario();
    let entries = s.plugin.host().dump();
    let (_, alices) =
        entries.iter().find(|(k, _)| *k == keys::app_user_token(APP_ID, &UserId::new(ALICE))).unwrap();
    // Someone with database access copies Alice's token into the admin's record.
    s.plugin.host().put_raw(&keys::app_user_token(APP_ID, &UserId::new(ADMIN)), alices);
    let apps = send(&s.plugin, "GET", "/api/v4/oauth/apps", Some(ADMIN), "").body;
    let app = &apps[0];
    let admin_token = access_token_for(
        &s.plugin,
        app["id"].as_str().unwrap(),
        &regenerated_secret(&s.plugin, app["id"].as_str().unwrap()),
        CALLBACK,
        ADMIN,
    );
    let reply = send_as_app(&s.plugin, "GET", &format!("{API}/user"), &admin_token, "");
    assert_eq!(reply.status, 500);
    assert!(!String::from_utf8_lossy(&reply.response.body).contains("remote-access-token-1"));
}

fn regenerated_secret(plugin: &Plugin<MemoryHost>, id: &str) -> String {
    let reply = send(plugin, "POST", &format!("/api/v4/oauth/apps/{id}/regen_secret"), Some(ADMIN), "");
    reply.body["client_secret"].as_str().unwrap().to_owned()
}

#[test]
fn a_wrong_key_fails_activation_and_changes_nothing() {
    let s = scenario();
    let before = s.plugin.host().dump();
    s.plugin.host().set_at_rest_key(b"another key, also 32 bytes long or more");
    let error = block_on(s.plugin.on_activate()).unwrap_err().to_string();
    assert!(error.contains("another at-rest key") && error.contains("Nothing was changed"), "{error}");
    assert_eq!(s.plugin.host().dump(), before);
    s.plugin.host().set_at_rest_key(b"short");
    assert!(block_on(s.plugin.on_activate()).unwrap_err().to_string().contains("at least 32 bytes"));
    s.plugin.host().set_at_rest_key(KEY);
    block_on(s.plugin.on_activate()).unwrap();
}

/// Turns the scenario's store into what schema 1 wrote: every record in plain text, no bindings,
/// no app id claims, no key check.
fn as_schema_1(plugin: &Plugin<MemoryHost>) {
    let sealer = Sealer::from_host_key(KEY).unwrap();
    for (key, value) in plugin.host().dump() {
        if key.starts_with("a2claim:") || key == keys::KEY_CHECK {
            block_on(plugin.host().kv_delete(&key)).unwrap();
        } else if keys::is_sealed(&key) {
            let mut record: Value = serde_json::from_slice(&sealer.open(&key, &value).unwrap()).unwrap();
            record.as_object_mut().unwrap().remove("binding");
            plugin.host().put_raw(&key, record.to_string().as_bytes());
        }
    }
    block_on(plugin.host().kv_set(keys::SCHEMA, KvWrite::set(br#"{"v":1}"#))).unwrap();
}

#[test]
fn activation_seals_what_an_older_version_wrote_in_plain_text() {
    let s = scenario();
    as_schema_1(&s.plugin);
    assert!(dump_text(&s.plugin).contains("outgoing-secret-1"), "the old version's plain text");
    block_on(s.plugin.on_activate()).unwrap();
    let dump = dump_text(&s.plugin);
    for secret in SECRETS {
        assert!(!dump.contains(secret), "{secret} is still in plain text");
    }
    let mark = block_on(s.plugin.host().kv_get(keys::SCHEMA)).unwrap().unwrap();
    assert_eq!(mark, format!(r#"{{"v":{}}}"#, oauth_plugin::store::schema::CURRENT).as_bytes());
    assert!(s
        .plugin
        .host()
        .logs()
        .iter()
        .any(|l| l.fields.iter().any(|(_, v)| v.contains("migrated from 1"))));
    // Everything still works: the connection's secret is used, the app keeps its records.
    let header = block_on(s.plugin.authorize_outgoing_request("https://jira.example.com/x")).unwrap();
    assert_eq!(header.as_deref(), Some("Bearer cached-outgoing-token-1"));
    let token = send_as_app(&s.plugin, "GET", &format!("{API}/user"), &s.alice_token, "");
    assert_eq!(token.body["access_token"], "remote-access-token-1", "{}", token.body);
    let context = send_as_app(&s.plugin, "GET", &format!("{API}/context"), &s.alice_token, "");
    assert_eq!(context.body["client_secret"], "remote-app-secret-1");
    // Cached tokens and pending connect flows were dropped rather than kept forever.
    assert!(!s.plugin.host().dump().iter().any(|(k, _)| k.starts_with("a2st:")));
    // Activating again changes nothing more.
    let after = s.plugin.host().dump();
    block_on(s.plugin.on_activate()).unwrap();
    assert_eq!(s.plugin.host().dump(), after);
}
