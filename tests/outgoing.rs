//! Outgoing OAuth connections on the in-memory host, which also plays the integration's token
//! server through `on_fetch`.

use crate::common;
use crate::common::test;

use crate::common::block_on;
use common::*;
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::host::{FetchRequest, FetchResponse, HostError};
use oauth_plugin::Plugin;
use serde_json::{json, Value};
use std::cell::Cell;
use std::rc::Rc;

const TOKEN_URL: &str = "https://auth.example.com/oauth/token";
const BASE: &str = "/api/v4/oauth/outgoing_connections";

fn enabled_plugin() -> Plugin<MemoryHost> {
    let plugin = plugin();
    plugin.host().grant(ADMIN, "manage_outgoing_oauth_connections");
    configure(&plugin, r#"{"EnableOutgoingOAuthConnections":true}"#);
    plugin
}

fn form_of(request: &FetchRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(request.body.as_deref().unwrap_or_default()).into_owned().collect()
}

/// A token server that accepts `client-1`/`secret-1` and hands out numbered tokens.
fn token_server(plugin: &Plugin<MemoryHost>, expires_in: i64) -> Rc<Cell<u32>> {
    let issued = Rc::new(Cell::new(0));
    let counter = issued.clone();
    plugin.host().on_fetch(move |request| {
        let form = form_of(request);
        let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        if field("client_id") != Some("client-1") || field("client_secret") != Some("secret-1") {
            return Ok(FetchResponse {
                status: 401,
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: br#"{"error":"invalid_client","error_description":"client authentication failed"}"#.to_vec(),
            });
        }
        counter.set(counter.get() + 1);
        let body = json!({"access_token": format!("token-{}", counter.get()), "token_type": "bearer", "expires_in": expires_in});
        Ok(FetchResponse { status: 200, headers: vec![], body: body.to_string().into_bytes() })
    });
    issued
}

fn connection_json(name: &str, audiences: &[&str]) -> Value {
    json!({"name": name, "client_id": "client-1", "client_secret": "secret-1", "oauth_token_url": TOKEN_URL,
           "grant_type": "client_credentials", "audiences": audiences})
}

fn create(plugin: &Plugin<MemoryHost>, body: Value) -> Reply {
    send(plugin, "POST", BASE, Some(ADMIN), &body.to_string())
}

fn authorize(plugin: &Plugin<MemoryHost>, url: &str) -> Result<Option<String>, String> {
    block_on(plugin.authorize_outgoing_request(url)).map_err(|error| error.to_string())
}

#[test]
fn create_read_update_delete_without_ever_showing_the_secret() {
    let plugin = enabled_plugin();
    let created = create(&plugin, connection_json("Jira", &["https://jira.example.com/hooks/*"]));
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["client_secret"], "");
    assert!(created.body.get("credentials_password").is_none());
    assert_eq!(created.body["client_id"], "client-1");
    assert_eq!(created.body["cache_tokens"], false);
    assert_eq!(created.body["creator_id"], ADMIN);

    let path = format!("{BASE}/{id}");
    assert_eq!(send(&plugin, "GET", &path, Some(ADMIN), "").body["name"], "Jira");
    // A patch: empty fields keep the stored ones, the secret included.
    let updated = send(
        &plugin,
        "PUT",
        &path,
        Some(ADMIN),
        &json!({"id": id, "name": "Jira Cloud", "client_secret": ""}).to_string(),
    );
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.body["name"], "Jira Cloud");
    assert_eq!(updated.body["oauth_token_url"], TOKEN_URL);
    token_server(&plugin, 3600);
    assert_eq!(
        authorize(&plugin, "https://jira.example.com/hooks/a").unwrap().as_deref(),
        Some("Bearer token-1")
    );

    let deleted = send(&plugin, "DELETE", &path, Some(ADMIN), "");
    assert_eq!(deleted.body, json!({"status": "OK"}));
    assert_eq!(send(&plugin, "GET", &path, Some(ADMIN), "").status, 404);
    assert_eq!(authorize(&plugin, "https://jira.example.com/hooks/a").unwrap(), None);
}

#[test]
fn each_broken_rule_is_a_400_naming_the_field_and_stores_nothing() {
    let plugin = enabled_plugin();
    let long = |n: usize| "x".repeat(n);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"name": ""}), "name"),
        (json!({"name": long(65)}), "name"),
        (json!({"client_id": ""}), "client_id"),
        (json!({"client_id": long(256)}), "client_id"),
        (json!({"client_secret": ""}), "client_secret"),
        (json!({"oauth_token_url": "not a url"}), "oauth_token_url"),
        (json!({"oauth_token_url": "https://user:pw@auth.example.com/token"}), "oauth_token_url"),
        (json!({"oauth_token_url": "https://auth.example.com/token#frag"}), "oauth_token_url"),
        (json!({"oauth_token_url": format!("https://auth.example.com/{}", long(250))}), "oauth_token_url"),
        (json!({"grant_type": "implicit"}), "grant_type"),
        (json!({"grant_type": "password"}), "password_credentials"),
        (json!({"grant_type": "password", "credentials_username": "u"}), "password_credentials"),
        (json!({"audiences": []}), "audience"),
        (json!({"audiences": ["not a url"]}), "audience"),
        (json!({"audiences": ["https://*.example.com/"]}), "audience"),
        (json!({"audiences": ["https://a.example.com/x", "https://A.example.com/x"]}), "audience"),
    ];
    for (fields, field) in cases {
        let mut body = connection_json("C", &["https://a.example.com/x"]);
        for (k, v) in fields.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = create(&plugin, body);
        assert_eq!(reply.status, 400, "{fields}");
        let id = reply.body["id"].as_str().unwrap();
        assert!(
            id.starts_with(&format!("model.outgoing_oauth_connection.is_valid.{field}")),
            "{fields}: {id}"
        );
    }
    for body in ["", "[]", "{", r#"{"name": 1}"#] {
        assert_eq!(send(&plugin, "POST", BASE, Some(ADMIN), body).status, 400, "{body}");
    }
    assert_eq!(send(&plugin, "GET", BASE, Some(ADMIN), "").body, json!([]));
}

#[test]
fn the_password_grant_sends_username_and_password() {
    let plugin = enabled_plugin();
    let mut body = connection_json("Legacy", &["https://legacy.example.com/*"]);
    body["grant_type"] = "password".into();
    body["credentials_username"] = "bot".into();
    body["credentials_password"] = "pw".into();
    let created = create(&plugin, body);
    assert_eq!(created.status, 201);
    assert_eq!(created.body["credentials_username"], "bot");
    assert!(created.body.get("credentials_password").is_none());
    token_server(&plugin, 3600);
    authorize(&plugin, "https://legacy.example.com/cmd").unwrap();
    let form = form_of(&plugin.host().fetched()[0]);
    for (k, v) in
        [("grant_type", "password"), ("username", "bot"), ("password", "pw"), ("client_id", "client-1")]
    {
        assert!(form.contains(&(k.to_owned(), v.to_owned())), "{form:?}");
    }
}

#[test]
fn an_audience_belongs_to_one_connection() {
    let plugin = enabled_plugin();
    let first = create(&plugin, connection_json("First", &["https://api.example.com/v1/*"]));
    let clash = create(&plugin, connection_json("Second", &["HTTPS://api.example.com:443/v1/*"]));
    assert_eq!(clash.status, 409);
    assert!(clash.body["message"].as_str().unwrap().contains("First"));
    let second = create(&plugin, connection_json("Second", &["https://api.example.com/v2/*"]));
    assert_eq!(second.status, 201);
    // An edit that would take the first's audience is refused and changes nothing.
    let path = format!("{BASE}/{}", second.body["id"].as_str().unwrap());
    let edit = json!({"audiences": ["https://api.example.com/v1/*"], "name": "Renamed"});
    assert_eq!(send(&plugin, "PUT", &path, Some(ADMIN), &edit.to_string()).status, 409);
    let kept = send(&plugin, "GET", &path, Some(ADMIN), "").body;
    assert_eq!(
        (kept["name"].clone(), kept["audiences"].clone()),
        (json!("Second"), json!(["https://api.example.com/v2/*"]))
    );
    // After the first is deleted, its audience is free.
    send(&plugin, "DELETE", &format!("{BASE}/{}", first.body["id"].as_str().unwrap()), Some(ADMIN), "");
    assert_eq!(send(&plugin, "PUT", &path, Some(ADMIN), &edit.to_string()).status, 200);
}

#[test]
fn requests_go_to_the_best_matching_connection() {
    let plugin = enabled_plugin();
    token_server(&plugin, 3600);
    let mut broad = connection_json("Broad", &["https://api.example.com/*"]);
    broad["client_secret"] = "wrong".into();
    create(&plugin, broad);
    create(
        &plugin,
        connection_json("Narrow", &["https://api.example.com/v1/*", "https://hooks.example.com/cmd"]),
    );
    assert!(authorize(&plugin, "https://api.example.com/v1/run").unwrap().is_some());
    assert!(authorize(&plugin, "https://hooks.example.com/cmd?x=1").unwrap().is_some());
    assert_eq!(authorize(&plugin, "https://hooks.example.com/cmd/").unwrap(), None);
    assert_eq!(authorize(&plugin, "https://other.example.com/").unwrap(), None);
    // The broad one matches, and its token request fails: the request must not go out.
    let error = authorize(&plugin, "https://api.example.com/v2/run").unwrap_err();
    assert!(error.contains("\"Broad\"") && error.contains("invalid_client"), "{error}");
    assert!(!error.contains("wrong"), "the secret is not echoed: {error}");
    assert!(!format!("{:?}", plugin.host().logs()).contains("secret-1"));
}

#[test]
fn a_fresh_token_per_request_unless_tokens_are_cached() {
    let plugin = enabled_plugin();
    let issued = token_server(&plugin, 120);
    create(&plugin, connection_json("Fresh", &["https://fresh.example.com/*"]));
    let mut cached = connection_json("Cached", &["https://cached.example.com/*"]);
    cached["cache_tokens"] = true.into();
    let cached_id = create(&plugin, cached).body["id"].as_str().unwrap().to_owned();

    assert_eq!(authorize(&plugin, "https://fresh.example.com/a").unwrap().as_deref(), Some("Bearer token-1"));
    assert_eq!(authorize(&plugin, "https://fresh.example.com/a").unwrap().as_deref(), Some("Bearer token-2"));
    let first = authorize(&plugin, "https://cached.example.com/a").unwrap();
    assert_eq!(authorize(&plugin, "https://cached.example.com/b").unwrap(), first);
    assert_eq!(issued.get(), 3);
    // Reused until shortly before the token expires (120 s, minus a 30 s margin).
    plugin.host().advance_seconds(89);
    assert_eq!(authorize(&plugin, "https://cached.example.com/a").unwrap(), first);
    plugin.host().advance_seconds(1);
    assert_ne!(authorize(&plugin, "https://cached.example.com/a").unwrap(), first);
    // Changing the connection forgets its cached token.
    let current = authorize(&plugin, "https://cached.example.com/a").unwrap();
    send(&plugin, "PUT", &format!("{BASE}/{cached_id}"), Some(ADMIN), r#"{"name":"Cached 2"}"#);
    assert_ne!(authorize(&plugin, "https://cached.example.com/a").unwrap(), current);
}

#[test]
fn token_server_failures_are_explained() {
    let plugin = enabled_plugin();
    create(&plugin, connection_json("Flaky", &["https://flaky.example.com/*"]));
    let cases: Vec<(Result<FetchResponse, HostError>, &str)> = vec![
        (Err(HostError("refused: 10.0.0.1 is a private address".into())), "could not be reached: refused"),
        (
            Ok(FetchResponse {
                status: 200,
                headers: vec![("Content-Type".into(), "text/html".into())],
                body: b"<html>".to_vec(),
            }),
            "not JSON",
        ),
        (
            Ok(FetchResponse { status: 200, headers: vec![], body: br#"{"token_type":"bearer"}"#.to_vec() }),
            "without an access_token",
        ),
        (
            Ok(FetchResponse {
                status: 302,
                headers: vec![("Location".into(), "https://x.example.com".into())],
                body: vec![],
            }),
            "redirect",
        ),
        (Ok(FetchResponse { status: 500, headers: vec![], body: b"oops".to_vec() }), "HTTP 500"),
    ];
    for (answer, expected) in cases {
        plugin.host().on_fetch(move |_| answer.clone());
        let error = authorize(&plugin, "https://flaky.example.com/x").unwrap_err();
        assert!(error.contains("\"Flaky\"") && error.contains(expected), "{expected}: {error}");
    }
}

#[test]
fn validate_asks_the_token_server() {
    let plugin = enabled_plugin();
    token_server(&plugin, 3600);
    let ok = send(
        &plugin,
        "POST",
        &format!("{BASE}/validate"),
        Some(ADMIN),
        &connection_json("V", &["https://v.example.com/"]).to_string(),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    let mut wrong = connection_json("V", &["https://v.example.com/"]);
    wrong["client_secret"] = "nope".into();
    let refused = send(&plugin, "POST", &format!("{BASE}/validate"), Some(ADMIN), &wrong.to_string());
    assert_eq!(refused.status, 502);
    assert!(refused.body["message"]
        .as_str()
        .unwrap()
        .contains("invalid_client (client authentication failed)"));
    assert!(!refused.body.to_string().contains("nope"));
    let invalid = send(&plugin, "POST", &format!("{BASE}/validate"), Some(ADMIN), r#"{"name":"V"}"#);
    assert_eq!(invalid.status, 400);
    // With an id and an empty secret, the stored secret is used.
    let id = create(&plugin, connection_json("Stored", &["https://s.example.com/"])).body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let with_id = json!({"id": id, "client_secret": "", "oauth_token_url": TOKEN_URL});
    assert_eq!(
        send(&plugin, "POST", &format!("{BASE}/validate"), Some(ADMIN), &with_id.to_string()).status,
        200
    );
    // Validating stores nothing.
    assert_eq!(send(&plugin, "GET", BASE, Some(ADMIN), "").body.as_array().unwrap().len(), 1);
}

#[test]
fn listing_pages_filters_by_audience_and_sanitizes_for_command_managers() {
    let plugin = enabled_plugin();
    let ids: Vec<String> = (0..4)
        .map(|n| {
            let body = connection_json(&format!("C{n}"), &[&format!("https://c{n}.example.com/*")]);
            create(&plugin, body).body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let names = |query: &str, user: &str| -> Vec<String> {
        let reply = send(&plugin, "GET", &format!("{BASE}?{query}"), Some(user), "");
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
        reply.body.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(names("team_id=t", ADMIN), ["C0", "C1", "C2", "C3"]);
    assert_eq!(names("limit=2", ADMIN), ["C0", "C1"]);
    assert_eq!(names(&format!("limit=2&from_id={}", ids[1]), ADMIN), ["C2", "C3"]);
    assert_eq!(names("team_id=t&page=1&per_page=3", ADMIN), ["C3"]);
    assert_eq!(names("audience=https://c2.example.com/run", ADMIN), ["C2"]);
    assert!(names("audience=https://nowhere.example.com/", ADMIN).is_empty());
    assert_eq!(send(&plugin, "GET", &format!("{BASE}?limit=101"), Some(ADMIN), "").status, 400);
    assert_eq!(send(&plugin, "GET", &format!("{BASE}?limit=0"), Some(ADMIN), "").status, 400);

    // Someone who manages slash commands may list (for the form's hint), without credentials.
    assert_eq!(send(&plugin, "GET", BASE, Some(ALICE), "").status, 403);
    plugin.host().grant(ALICE, "manage_slash_commands");
    let listed = send(&plugin, "GET", &format!("{BASE}?audience=https://c1.example.com/x"), Some(ALICE), "");
    assert_eq!(listed.body[0]["name"], "C1");
    assert_eq!(listed.body[0]["client_id"], "");
    assert_eq!(send(&plugin, "GET", &format!("{BASE}/{}", ids[0]), Some(ALICE), "").status, 403);
    assert_eq!(
        send(
            &plugin,
            "POST",
            BASE,
            Some(ALICE),
            &connection_json("X", &["https://x.example.com/"]).to_string()
        )
        .status,
        403
    );
}

#[test]
fn everything_is_off_while_the_setting_is_off() {
    let plugin = enabled_plugin();
    token_server(&plugin, 3600);
    let id = create(&plugin, connection_json("Off", &["https://off.example.com/*"])).body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    configure(&plugin, r#"{"EnableOutgoingOAuthConnections":false}"#);
    let path = format!("{BASE}/{id}");
    let attempts = [
        ("GET", BASE.to_owned(), String::new()),
        ("POST", BASE.to_owned(), connection_json("New", &["https://new.example.com/"]).to_string()),
        ("GET", path.clone(), String::new()),
        ("PUT", path.clone(), r#"{"name":"Renamed"}"#.to_owned()),
        ("DELETE", path.clone(), String::new()),
        ("POST", format!("{BASE}/validate"), connection_json("V", &["https://v.example.com/"]).to_string()),
    ];
    for (method, path, body) in &attempts {
        assert_eq!(send(&plugin, method, path, Some(ADMIN), body).status, 501, "{method} {path}");
    }
    assert_eq!(authorize(&plugin, "https://off.example.com/x").unwrap(), None);
    assert!(plugin.host().fetched().is_empty(), "no token is fetched, not even by validate");
    // Nothing those calls asked for happened.
    configure(&plugin, r#"{"EnableOutgoingOAuthConnections":true}"#);
    let listed = send(&plugin, "GET", BASE, Some(ADMIN), "").body;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "Off");
}

#[test]
fn the_stored_secret_never_follows_the_token_url_to_another_server() {
    let plugin = enabled_plugin();
    let id = create(&plugin, connection_json("Jira", &["https://jira.example.com/*"])).body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("{BASE}/{id}");
    let before = plugin.host().dump();
    for evil in [
        "https://evil.example.net/token",
        "http://auth.example.com/oauth/token",
        "https://auth.example.com:8443/token",
    ] {
        let moved = json!({"id": id, "oauth_token_url": evil, "client_secret": ""});
        let reply = send(&plugin, "PUT", &path, Some(ADMIN), &moved.to_string());
        assert_eq!(
            (reply.status, reply.body["id"].as_str()),
            (400, Some("model.outgoing_oauth_connection.is_valid.client_secret.error")),
            "{evil}"
        );
        let validate = send(&plugin, "POST", &format!("{BASE}/validate"), Some(ADMIN), &moved.to_string());
        assert_eq!(validate.status, 400, "validate with an id does not send the stored secret to {evil}");
    }
    assert_eq!(plugin.host().dump(), before, "nothing changed");
    assert!(plugin.host().fetched().is_empty(), "and nothing was sent anywhere");

    // The same server (another path) keeps the stored secret; another server with it sent again works.
    let same = json!({"id": id, "oauth_token_url": "https://auth.example.com/v2/token"});
    assert_eq!(send(&plugin, "PUT", &path, Some(ADMIN), &same.to_string()).status, 200);
    let resent =
        json!({"id": id, "oauth_token_url": "https://login.example.org/token", "client_secret": "secret-2"});
    assert_eq!(send(&plugin, "PUT", &path, Some(ADMIN), &resent.to_string()).status, 200);
}

#[test]
fn the_password_follows_the_token_url_only_when_sent_again() {
    let plugin = enabled_plugin();
    let mut body = connection_json("Pw", &["https://pw.example.com/*"]);
    body["grant_type"] = "password".into();
    body["credentials_username"] = "svc".into();
    body["credentials_password"] = "pw-1".into();
    let id = create(&plugin, body).body["id"].as_str().unwrap().to_owned();
    let path = format!("{BASE}/{id}");
    let moved =
        json!({"id": id, "oauth_token_url": "https://other.example.net/token", "client_secret": "secret-1"});
    let reply = send(&plugin, "PUT", &path, Some(ADMIN), &moved.to_string());
    assert_eq!(
        (reply.status, reply.body["id"].as_str()),
        (400, Some("model.outgoing_oauth_connection.is_valid.password_credentials.error"))
    );
    let mut with_password = moved.clone();
    with_password["credentials_password"] = "pw-2".into();
    assert_eq!(send(&plugin, "PUT", &path, Some(ADMIN), &with_password.to_string()).status, 200);
}

#[test]
fn a_cached_token_the_server_says_has_expired_is_not_kept() {
    // Found by the fuzz target: `expires_in - 30` overflowed for a very negative expires_in.
    let plugin = enabled_plugin();
    let issued = token_server(&plugin, i64::MIN);
    let mut body = connection_json("Cached", &["https://cache.example.com/*"]);
    body["cache_tokens"] = true.into();
    assert_eq!(create(&plugin, body).status, 201);
    assert!(authorize(&plugin, "https://cache.example.com/a").unwrap().is_some());
    assert!(authorize(&plugin, "https://cache.example.com/b").unwrap().is_some());
    assert_eq!(issued.get(), 2, "an expired token is fetched anew, never cached");
}
