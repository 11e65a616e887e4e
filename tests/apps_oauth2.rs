//! The app OAuth2 store on the in-memory host, which also plays the app's remote provider's token
//! endpoint through `on_fetch`.

use crate::common;
use crate::common::test;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::*;
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::host::{FetchRequest, FetchResponse};
use oauth_plugin::Plugin;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::rc::Rc;
use url::Url;

const APP_ID: &str = "com.example.jira";
const CALLBACK: &str = "https://jira-app.example.com/oauth/cb";
const API: &str = "/plugins/oauth-plugin/api/v1/oauth2";
const CONNECT: &str = "/plugins/oauth-plugin/apps/com.example.jira/oauth2/remote/connect";
const COMPLETE: &str = "/plugins/oauth-plugin/apps/com.example.jira/oauth2/remote/complete";
const REMOTE_TOKEN_URL: &str = "https://remote.example.com/oauth/token";

struct Setup {
    plugin: Plugin<MemoryHost>,
    admin_token: String,
    alice_token: String,
}

fn setup() -> Setup {
    let plugin = plugin();
    let (admin_token, alice_token) = linked_app_tokens(&plugin, APP_ID, CALLBACK);
    Setup { plugin, admin_token, alice_token }
}

fn remote_settings() -> Value {
    json!({"client_id": "remote-client", "client_secret": "remote-secret", "remote_root_url": "https://remote.example.com",
           "data": {"tenant": 7}, "authorize_url": "https://remote.example.com/oauth/authorize?prompt=consent",
           "token_url": REMOTE_TOKEN_URL, "scopes": ["read", "write"]})
}

fn with_settings() -> Setup {
    let setup = setup();
    let reply = send_as_app(
        &setup.plugin,
        "POST",
        &format!("{API}/app"),
        &setup.admin_token,
        &remote_settings().to_string(),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    setup
}

fn form_of(request: &FetchRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(request.body.as_deref().unwrap_or_default()).into_owned().collect()
}

fn field(form: &[(String, String)], name: &str) -> Option<String> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// The forms the remote token endpoint received, in order.
type SeenForms = Rc<RefCell<Vec<Vec<(String, String)>>>>;

/// The remote token endpoint: numbered tokens that live `expires_in` seconds.
fn remote_token_server(plugin: &Plugin<MemoryHost>, expires_in: i64) -> SeenForms {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    plugin.host().on_fetch(move |request| {
        let form = form_of(request);
        log.borrow_mut().push(form.clone());
        let n = log.borrow().len();
        let body = json!({"access_token": format!("remote-at-{n}"), "refresh_token": format!("remote-rt-{n}"),
                          "token_type": "Bearer", "expires_in": expires_in});
        Ok(FetchResponse { status: 200, headers: vec![], body: body.to_string().into_bytes() })
    });
    seen
}

/// Starts the connect flow as `user`; returns the provider URL it redirects to.
fn connect(plugin: &Plugin<MemoryHost>, user: &str) -> Url {
    let reply = send(plugin, "GET", CONNECT, Some(user), "");
    assert_eq!(reply.status, 302, "{}", String::from_utf8_lossy(&reply.response.body));
    Url::parse(reply.response.header("Location").unwrap()).unwrap()
}

fn param(url: &Url, name: &str) -> String {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).unwrap_or_default()
}

fn complete(plugin: &Plugin<MemoryHost>, user: &str, query: &str) -> (u16, String) {
    let reply = send(plugin, "GET", &format!("{COMPLETE}?{query}"), Some(user), "");
    (reply.status, String::from_utf8_lossy(&reply.response.body).into_owned())
}

#[test]
fn only_app_sessions_may_call() {
    let setup = setup();
    let plain = send(&setup.plugin, "GET", &format!("{API}/user"), Some(ALICE), "");
    assert_eq!((plain.status, plain.body["message"].as_str()), (401, Some("not an app session")));
    assert_eq!(send_as_app(&setup.plugin, "GET", &format!("{API}/user"), "bogus", "").status, 401);
    // An OAuth app without a mattermost_app_id: 403.
    let other = create_app(&setup.plugin, ADMIN, json!({"is_trusted": true, "callback_urls": [CALLBACK]}));
    let token = access_token_for(
        &setup.plugin,
        other["id"].as_str().unwrap(),
        other["client_secret"].as_str().unwrap(),
        CALLBACK,
        ALICE,
    );
    assert_eq!(send_as_app(&setup.plugin, "GET", &format!("{API}/user"), &token, "").status, 403);
}

#[test]
fn remote_settings_need_manage_system_and_valid_urls() {
    let setup = setup();
    let path = format!("{API}/app");
    let as_alice =
        send_as_app(&setup.plugin, "POST", &path, &setup.alice_token, &remote_settings().to_string());
    assert_eq!(as_alice.status, 403);
    let mut bad = remote_settings();
    bad["token_url"] = "not a url".into();
    assert_eq!(send_as_app(&setup.plugin, "PUT", &path, &setup.admin_token, &bad.to_string()).status, 400);
    assert_eq!(send_as_app(&setup.plugin, "PUT", &path, &setup.admin_token, "{nope").status, 400);
    for _ in 0..2 {
        assert_eq!(
            send_as_app(&setup.plugin, "PUT", &path, &setup.admin_token, &remote_settings().to_string())
                .status,
            200
        );
    }
    let context = send_as_app(&setup.plugin, "GET", &format!("{API}/context"), &setup.alice_token, "");
    assert_eq!(context.status, 200);
    assert_eq!(context.body["client_id"], "remote-client");
    assert_eq!(context.body["data"], json!({"tenant": 7}));
    assert_eq!(context.body["connect_url"], format!("{SITE}{CONNECT}"));
    assert_eq!(context.body["complete_url"], format!("{SITE}{COMPLETE}"));
    assert!(context.body.get("user").is_none());
}

#[test]
fn apps_store_any_json_per_user() {
    let setup = setup();
    let path = format!("{API}/user");
    let empty = send_as_app(&setup.plugin, "GET", &path, &setup.alice_token, "");
    assert_eq!((empty.status, empty.response.body.len()), (200, 0));
    let stored = send_as_app(
        &setup.plugin,
        "POST",
        &path,
        &setup.alice_token,
        r#"{"access_token":"x","nested":[1,2]}"#,
    );
    assert_eq!(stored.status, 200);
    assert_eq!(
        send_as_app(&setup.plugin, "GET", &path, &setup.alice_token, "").body,
        json!({"access_token":"x","nested":[1,2]})
    );
    assert_eq!(
        send_as_app(&setup.plugin, "GET", &path, &setup.admin_token, "").response.body.len(),
        0,
        "per user"
    );
    assert_eq!(send_as_app(&setup.plugin, "PUT", &path, &setup.alice_token, "\"just a string\"").status, 200);
    assert_eq!(send_as_app(&setup.plugin, "PUT", &path, &setup.alice_token, "not json").status, 400);
    let big = format!("{{\"x\":\"{}\"}}", "a".repeat(8200));
    assert_eq!(send_as_app(&setup.plugin, "PUT", &path, &setup.alice_token, &big).status, 413);
    assert_eq!(send_as_app(&setup.plugin, "GET", &path, &setup.alice_token, "").body, json!("just a string"));
}

#[test]
fn connect_and_complete_store_the_users_remote_token() {
    let setup = with_settings();
    let seen = remote_token_server(&setup.plugin, 3600);
    let target = connect(&setup.plugin, ALICE);
    assert_eq!(target.as_str().split('?').next(), Some("https://remote.example.com/oauth/authorize"));
    assert_eq!(param(&target, "prompt"), "consent", "the authorize URL's own query is kept");
    assert_eq!(param(&target, "response_type"), "code");
    assert_eq!(param(&target, "client_id"), "remote-client");
    assert_eq!(param(&target, "redirect_uri"), format!("{SITE}{COMPLETE}"));
    assert_eq!(param(&target, "scope"), "read write");
    assert_eq!(param(&target, "code_challenge_method"), "S256");
    let state = param(&target, "state");

    let (status, page) = complete(&setup.plugin, ALICE, &format!("code=remote-code&state={state}"));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Completed connecting your account. Please close this window."));
    let form = seen.borrow()[0].clone();
    assert_eq!(field(&form, "grant_type").as_deref(), Some("authorization_code"));
    assert_eq!(field(&form, "code").as_deref(), Some("remote-code"));
    assert_eq!(field(&form, "redirect_uri"), Some(format!("{SITE}{COMPLETE}")));
    assert_eq!(field(&form, "client_secret").as_deref(), Some("remote-secret"));
    let verifier = field(&form, "code_verifier").unwrap();
    assert_eq!(URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())), param(&target, "code_challenge"));

    let token = send_as_app(&setup.plugin, "GET", &format!("{API}/user"), &setup.alice_token, "");
    assert_eq!(token.body["access_token"], "remote-at-1");
    let connections = send(&setup.plugin, "GET", &format!("{API}/connections"), Some(ALICE), "");
    assert_eq!(connections.body[0]["app_id"], APP_ID);
    // Replaying the state fails, and stores nothing new.
    let (status, page) = complete(&setup.plugin, ALICE, &format!("code=again&state={state}"));
    assert_eq!(status, 403, "{page}");
    assert_eq!(seen.borrow().len(), 1);
}

#[test]
fn a_state_belongs_to_its_user_and_expires() {
    let setup = with_settings();
    remote_token_server(&setup.plugin, 3600);
    let state = param(&connect(&setup.plugin, ALICE), "state");
    assert_eq!(complete(&setup.plugin, BOB, &format!("code=c&state={state}")).0, 403, "another user");
    assert_eq!(
        complete(&setup.plugin, ALICE, &format!("code=c&state={state}")).0,
        200,
        "still usable by its user"
    );
    assert_eq!(complete(&setup.plugin, ALICE, "code=c&state=made-up").0, 403);
    assert_eq!(complete(&setup.plugin, ALICE, "code=c").0, 400);
    let late = param(&connect(&setup.plugin, ALICE), "state");
    setup.plugin.host().advance_seconds(15 * 60 + 1);
    assert_eq!(complete(&setup.plugin, ALICE, &format!("code=c&state={late}")).0, 403, "expired");
    // Not logged in: to the login page and back.
    let reply = send(&setup.plugin, "GET", CONNECT, None, "");
    assert!(reply.response.header("Location").unwrap().contains("/login?redirect_to="));
}

#[test]
fn provider_errors_and_bad_token_answers_store_nothing() {
    let setup = with_settings();
    let state = param(&connect(&setup.plugin, ALICE), "state");
    let (status, page) = complete(
        &setup.plugin,
        ALICE,
        &format!("error=access_denied&error_description=User+said+no&state={state}"),
    );
    assert_eq!(status, 400);
    assert!(page.contains("access_denied") && page.contains("User said no"), "{page}");
    for (answer, expected) in [
        (
            FetchResponse {
                status: 200,
                headers: vec![("Content-Type".into(), "text/html".into())],
                body: b"<html>".to_vec(),
            },
            "not JSON",
        ),
        (
            FetchResponse { status: 200, headers: vec![], body: br#"{"token_type":"Bearer"}"#.to_vec() },
            "without an access_token",
        ),
        (
            FetchResponse { status: 400, headers: vec![], body: br#"{"error":"invalid_grant"}"#.to_vec() },
            "invalid_grant",
        ),
    ] {
        setup.plugin.host().on_fetch(move |_| Ok(answer.clone()));
        let state = param(&connect(&setup.plugin, ALICE), "state");
        let (status, page) = complete(&setup.plugin, ALICE, &format!("code=c&state={state}"));
        assert_eq!(status, 502);
        assert!(page.contains(expected), "{expected}: {page}");
        assert!(!page.contains("remote-secret"));
    }
    assert_eq!(
        send_as_app(&setup.plugin, "GET", &format!("{API}/user"), &setup.alice_token, "").response.body.len(),
        0
    );
    assert_eq!(send(&setup.plugin, "GET", &format!("{API}/connections"), Some(ALICE), "").body, json!([]));
}

#[test]
fn an_expired_remote_token_is_refreshed_before_it_is_returned() {
    let setup = with_settings();
    let seen = remote_token_server(&setup.plugin, 600);
    let state = param(&connect(&setup.plugin, ALICE), "state");
    complete(&setup.plugin, ALICE, &format!("code=c&state={state}"));
    let path = format!("{API}/user");
    assert_eq!(
        send_as_app(&setup.plugin, "GET", &path, &setup.alice_token, "").body["access_token"],
        "remote-at-1"
    );
    setup.plugin.host().advance_seconds(600);
    let refreshed = send_as_app(&setup.plugin, "GET", &path, &setup.alice_token, "");
    assert_eq!(refreshed.body["access_token"], "remote-at-2");
    let form = seen.borrow()[1].clone();
    assert_eq!(field(&form, "grant_type").as_deref(), Some("refresh_token"));
    assert_eq!(field(&form, "refresh_token").as_deref(), Some("remote-rt-1"));
    // A refresh that fails says so.
    setup.plugin.host().advance_seconds(600);
    setup.plugin.host().on_fetch(|_| {
        Ok(FetchResponse {
            status: 400,
            headers: vec![],
            body: br#"{"error":"invalid_grant","error_description":"revoked"}"#.to_vec(),
        })
    });
    let failed = send_as_app(&setup.plugin, "GET", &path, &setup.alice_token, "");
    assert_eq!(failed.status, 502);
    assert!(failed.body["message"].as_str().unwrap().contains("invalid_grant (revoked)"));
}

#[test]
fn users_can_disconnect() {
    let setup = with_settings();
    remote_token_server(&setup.plugin, 3600);
    let state = param(&connect(&setup.plugin, ALICE), "state");
    complete(&setup.plugin, ALICE, &format!("code=c&state={state}"));
    let done = send(&setup.plugin, "DELETE", &format!("{API}/connections/{APP_ID}"), Some(ALICE), "");
    assert_eq!(done.status, 200);
    assert_eq!(send(&setup.plugin, "GET", &format!("{API}/connections"), Some(ALICE), "").body, json!([]));
    assert_eq!(
        send_as_app(&setup.plugin, "GET", &format!("{API}/user"), &setup.alice_token, "").response.body.len(),
        0
    );
    assert_eq!(send(&setup.plugin, "GET", &format!("{API}/connections"), None, "").status, 401);
}

async_test! {
    async fn two_concurrent_completes_with_one_state_connect_once() {
        let setup = with_settings();
        let seen = remote_token_server(&setup.plugin, 3600);
        let state = param(&connect(&setup.plugin, ALICE), "state");
        setup.plugin.host().interleave(true);
        let requests = (0..5).map(|_| {
            let mut request = oauth_plugin::http::Request::new("GET", COMPLETE);
            request.query = format!("code=c&state={state}");
            request.user_id = Some(ALICE.into());
            setup.plugin.serve_http(request)
        });
        let responses = futures::future::join_all(requests).await;
        assert_eq!(responses.iter().filter(|r| r.status == 200).count(), 1);
        assert_eq!(seen.borrow().len(), 1, "one code exchange");
    }
}

async_test! {
    async fn concurrent_reads_of_an_expired_token_refresh_it_once() {
        let setup = with_settings();
        let seen = remote_token_server(&setup.plugin, 600);
        let state = param(&connect(&setup.plugin, ALICE), "state");
        complete(&setup.plugin, ALICE, &format!("code=c&state={state}"));
        setup.plugin.host().advance_seconds(600);
        setup.plugin.host().interleave(true);
        let reads = (0..3).map(|_| {
            let mut request = oauth_plugin::http::Request::new("GET", &format!("{API}/user"));
            request.headers.insert("authorization".into(), format!("Bearer {}", setup.alice_token));
            setup.plugin.serve_http(request)
        });
        let responses = futures::future::join_all(reads).await;
        let tokens: Vec<Value> = responses
            .iter()
            .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["access_token"].clone())
            .collect();
        assert_eq!(tokens, vec![json!("remote-at-2"); 3], "every reader gets the one refreshed token");
        let refreshes =
            seen.borrow().iter().filter(|f| field(f, "grant_type").as_deref() == Some("refresh_token")).count();
        assert_eq!(refreshes, 1, "a rotating provider sees its refresh token once");
    }
}

#[test]
fn short_lived_tokens_are_not_refreshed_on_every_read() {
    let setup = with_settings();
    let seen = remote_token_server(&setup.plugin, 20);
    let state = param(&connect(&setup.plugin, ALICE), "state");
    complete(&setup.plugin, ALICE, &format!("code=c&state={state}"));
    for _ in 0..3 {
        assert_eq!(
            send_as_app(&setup.plugin, "GET", &format!("{API}/user"), &setup.alice_token, "").body
                ["access_token"],
            "remote-at-1"
        );
    }
    assert_eq!(seen.borrow().len(), 1);
}

/// An app for `user` with the given app id (and no trust), as `POST /api/v4/oauth/apps` answers.
fn app_linked_to(plugin: &Plugin<MemoryHost>, user: &str, app_id: &str, extra: Value) -> Reply {
    let mut body = json!({"name": "Linked", "homepage": "https://jira-app.example.com", "callback_urls": [CALLBACK],
                          "is_trusted": true, "mattermost_app_id": app_id});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    send(plugin, "POST", "/api/v4/oauth/apps", Some(user), &body.to_string())
}

fn app_count(plugin: &Plugin<MemoryHost>) -> usize {
    send(plugin, "GET", "/api/v4/oauth/apps", Some(ADMIN), "").body.as_array().unwrap().len()
}

/// A token for `user` from a new trusted app linked to `app_id` by the admin.
fn token_of_new_holder(plugin: &Plugin<MemoryHost>, user: &str, extra: Value) -> (String, String) {
    let reply = app_linked_to(plugin, ADMIN, APP_ID, extra);
    assert_eq!(reply.status, 201, "{}", reply.body);
    let (id, secret) = (reply.body["id"].as_str().unwrap(), reply.body["client_secret"].as_str().unwrap());
    (id.to_owned(), access_token_for(plugin, id, secret, CALLBACK, user))
}

#[test]
fn only_system_admins_give_an_app_an_app_id() {
    // EnableOnlyAdminIntegrations off: Bob may create OAuth apps, but not claim another's app id.
    let setup = with_settings();
    setup.plugin.host().grant(BOB, "manage_oauth");
    let before = setup.plugin.host().dump();
    let claim = app_linked_to(&setup.plugin, BOB, APP_ID, json!({}));
    assert_eq!((claim.status, claim.body["id"].as_str()), (403, Some("api.context.permissions.app_error")));
    let own_id = app_linked_to(&setup.plugin, BOB, "com.bob.app", json!({}));
    assert_eq!(own_id.status, 403, "no app id at all without manage_system");
    assert_eq!(setup.plugin.host().dump(), before, "nothing stored");

    let own = create_app(&setup.plugin, BOB, json!({}));
    let id = own["id"].as_str().unwrap();
    let mut edit = own.clone();
    edit["mattermost_app_id"] = APP_ID.into();
    let relink =
        send(&setup.plugin, "PUT", &format!("/api/v4/oauth/apps/{id}"), Some(BOB), &edit.to_string());
    assert_eq!(relink.status, 403);
    edit["mattermost_app_id"] = "".into();
    edit["name"] = "Renamed".into();
    let same = send(&setup.plugin, "PUT", &format!("/api/v4/oauth/apps/{id}"), Some(BOB), &edit.to_string());
    assert_eq!(same.status, 200, "an unchanged app id is no change: {}", same.body);
}

#[test]
fn an_app_id_belongs_to_one_oauth_app() {
    let setup = with_settings();
    let apps_before = app_count(&setup.plugin);
    let second = app_linked_to(&setup.plugin, ADMIN, APP_ID, json!({}));
    assert_eq!(
        (second.status, second.body["id"].as_str()),
        (409, Some("app.oauth.mattermost_app_id.claimed.app_error"))
    );
    assert_eq!(app_count(&setup.plugin), apps_before, "the refused app is not stored");

    let other = create_app(&setup.plugin, ADMIN, json!({}));
    let path = format!("/api/v4/oauth/apps/{}", other["id"].as_str().unwrap());
    let mut edit = other.clone();
    edit["mattermost_app_id"] = APP_ID.into();
    assert_eq!(send(&setup.plugin, "PUT", &path, Some(ADMIN), &edit.to_string()).status, 409);
    assert_eq!(send(&setup.plugin, "GET", &path, Some(ADMIN), "").body["mattermost_app_id"], "");

    // The holder keeps its app id through an edit that does not mention it (Mattermost's forms).
    let apps = send(&setup.plugin, "GET", "/api/v4/oauth/apps", Some(ADMIN), "").body;
    let holder = apps.as_array().unwrap().iter().find(|a| a["mattermost_app_id"] == APP_ID).unwrap().clone();
    let mut edit = holder.clone();
    edit.as_object_mut().unwrap().remove("mattermost_app_id");
    edit["name"] = "Jira, renamed".into();
    let holder_path = format!("/api/v4/oauth/apps/{}", holder["id"].as_str().unwrap());
    assert_eq!(
        send(&setup.plugin, "PUT", &holder_path, Some(ADMIN), &edit.to_string()).body["mattermost_app_id"],
        APP_ID
    );
    let context = send_as_app(&setup.plugin, "GET", &format!("{API}/context"), &setup.alice_token, "");
    assert_eq!(context.body["client_secret"], "remote-secret");
}

#[test]
fn a_released_app_id_comes_without_the_old_apps_data_unless_an_admin_says_so() {
    let setup = with_settings();
    let stored = send_as_app(
        &setup.plugin,
        "POST",
        &format!("{API}/user"),
        &setup.alice_token,
        r#"{"access_token":"alice-remote"}"#,
    );
    assert_eq!(stored.status, 200);
    let holder = send(&setup.plugin, "GET", "/api/v4/oauth/apps", Some(ADMIN), "").body[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        send(&setup.plugin, "DELETE", &format!("/api/v4/oauth/apps/{holder}"), Some(ADMIN), "").status,
        200
    );

    // A new holder of the released id sees nothing of the old one's.
    let (fresh, token) = token_of_new_holder(&setup.plugin, ALICE, json!({}));
    let context = send_as_app(&setup.plugin, "GET", &format!("{API}/context"), &token, "");
    assert_eq!(context.status, 200);
    assert_eq!(
        (context.body["client_secret"].as_str(), context.body["client_id"].as_str()),
        (Some(""), Some(""))
    );
    assert!(context.body.get("user").is_none());
    assert_eq!(send_as_app(&setup.plugin, "GET", &format!("{API}/user"), &token, "").response.body.len(), 0);
    let listed = send(&setup.plugin, "GET", &format!("{API}/connections"), Some(ALICE), "");
    assert_eq!(listed.body, json!([]), "the old connection is not the new app's");
    assert_eq!(
        send(&setup.plugin, "DELETE", &format!("/api/v4/oauth/apps/{fresh}"), Some(ADMIN), "").status,
        200
    );

    // An admin may hand the old records on, when giving the id to a new app.
    let (_, token) = token_of_new_holder(&setup.plugin, ALICE, json!({"inherit_app_data": true}));
    // The fresh holder wrote nothing, so what is inherited is the binding it was given: nothing.
    let context = send_as_app(&setup.plugin, "GET", &format!("{API}/context"), &token, "");
    assert_eq!(context.body["client_secret"], "");
}

#[test]
fn inheriting_hands_on_the_released_holders_records() {
    let setup = with_settings();
    send_as_app(
        &setup.plugin,
        "POST",
        &format!("{API}/user"),
        &setup.alice_token,
        r#"{"access_token":"alice-remote"}"#,
    );
    let holder = send(&setup.plugin, "GET", "/api/v4/oauth/apps", Some(ADMIN), "").body[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    send(&setup.plugin, "DELETE", &format!("/api/v4/oauth/apps/{holder}"), Some(ADMIN), "");
    let (_, token) = token_of_new_holder(&setup.plugin, ALICE, json!({"inherit_app_data": true}));
    let context = send_as_app(&setup.plugin, "GET", &format!("{API}/context"), &token, "");
    assert_eq!(context.body["client_secret"], "remote-secret");
    assert_eq!(context.body["user"], json!({"access_token": "alice-remote"}));
}

#[test]
fn remote_settings_bodies_must_be_objects_and_a_refused_one_changes_nothing() {
    let setup = with_settings();
    let path = format!("{API}/app");
    let before = setup.plugin.host().dump();
    for body in
        ["[]", "[1]", "null", "\"x\"", "5", "", r#"{"client_id": 5}"#, r#"{"client_id":"a","client_id":"b"}"#]
    {
        let reply = send_as_app(&setup.plugin, "POST", &path, &setup.admin_token, body);
        assert_eq!(
            (reply.status, reply.body["id"].as_str()),
            (400, Some("api.context.invalid_param.app_error")),
            "{body}"
        );
    }
    assert_eq!(setup.plugin.host().dump(), before);
    let context = send_as_app(&setup.plugin, "GET", &format!("{API}/context"), &setup.alice_token, "");
    assert_eq!(context.body["client_secret"], "remote-secret", "the settings are as they were");
}

#[test]
fn a_remote_expires_in_of_any_size_is_taken_within_bounds() {
    // Found by the fuzz target: `now + expires_in * 1000` overflowed (a panic, or a wrap into the past).
    for expires_in in [i64::MAX, i64::MIN, 9_300_000_000_000_000] {
        let setup = with_settings();
        remote_token_server(&setup.plugin, expires_in);
        let state = param(&connect(&setup.plugin, ALICE), "state");
        let (status, page) = complete(&setup.plugin, ALICE, &format!("code=c&state={state}"));
        assert_eq!(status, 200, "{expires_in}: {page}");
        let token = send_as_app(&setup.plugin, "GET", &format!("{API}/user"), &setup.alice_token, "");
        assert_eq!(token.status, 200, "{expires_in}: {}", token.body);
    }
}
