//! Client ID Metadata Documents on the in-memory host: a `client_id` that is an https URL, its
//! document fetched through the host, checked, cached, and used through the whole code flow; and
//! every way a document or its URL can be wrong, each a clear error that stores nothing.

use crate::common;
use crate::common::test;

use crate::common::block_on;
use common::provider::*;
use common::*;
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::host::{FetchResponse, Host, HostError};
use oauth_plugin::Plugin;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::rc::Rc;

const DOC: &str = "https://client.example.com/oauth/client.json";
const CB: &str = "https://client.example.com/cb";
const ON: &str = r#"{"EnableOAuthServiceProvider":true,"EnableClientIdMetadataDocuments":true}"#;

fn document(client_id: &str) -> Value {
    json!({
        "client_id": client_id,
        "client_name": "Example Client",
        "client_uri": "https://client.example.com",
        "redirect_uris": [CB],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    })
}

/// What the document server answers: status, headers, body.
type Answer = Rc<RefCell<Result<FetchResponse, HostError>>>;

fn answer(status: u16, cache_control: &str, body: impl Into<Vec<u8>>) -> Result<FetchResponse, HostError> {
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    if !cache_control.is_empty() {
        headers.push(("Cache-Control".to_owned(), cache_control.to_owned()));
    }
    Ok(FetchResponse { status, headers, body: body.into() })
}

/// A plugin with documents on, whose host answers every fetch with what `Answer` holds.
fn plugin_serving(body: &Value, cache_control: &str) -> (Plugin<MemoryHost>, Answer) {
    let plugin = plugin();
    configure(&plugin, ON);
    let served: Answer = Rc::new(RefCell::new(answer(200, cache_control, body.to_string())));
    let handler = served.clone();
    plugin.host().on_fetch(move |_| handler.borrow().clone());
    (plugin, served)
}

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn authorize_query(client_id: &str) -> String {
    format!(
        "response_type=code&client_id={}&redirect_uri={}&state=xyz&code_challenge={}&code_challenge_method=S256",
        encoded(client_id),
        encoded(CB),
        challenge(VERIFIER)
    )
}

fn page_text(reply: &Reply) -> String {
    String::from_utf8(reply.response.body.clone()).unwrap()
}

fn keys(plugin: &Plugin<MemoryHost>) -> Vec<String> {
    block_on(plugin.host().kv_list(0, 10_000)).unwrap()
}

/// Consent (Allow) for `user`, then the code.
fn code_after_consent(plugin: &Plugin<MemoryHost>, user: &str) -> String {
    let request = json!({"client_id": DOC, "response_type": "code", "redirect_uri": CB, "state": "xyz",
                         "code_challenge": challenge(VERIFIER), "code_challenge_method": "S256"});
    query_param(&decide(plugin, user, request), "code").unwrap()
}

fn exchange_as_document(plugin: &Plugin<MemoryHost>, code: &str, verifier: &str) -> Reply {
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&client_id={}&code_verifier={verifier}",
        encoded(CB),
        encoded(DOC)
    );
    token_request(plugin, &form, None)
}

#[test]
fn the_whole_code_flow_as_a_document_client() {
    let (plugin, _) = plugin_serving(&document(DOC), "max-age=600");
    let page = authorize(&plugin, Some(ALICE), &authorize_query(DOC));
    assert_eq!(page.status, 200, "{}", page_text(&page));
    let html = page_text(&page);
    assert!(html.contains("<h1>Authorize client.example.com?</h1>"), "{html}");
    assert!(html.contains("<strong>client.example.com</strong> is asking for access"), "{html}");
    assert!(html.contains("“Example Client”"), "{html}");

    let fetched = plugin.host().fetched();
    assert_eq!(fetched.len(), 1);
    assert_eq!((fetched[0].method.as_str(), fetched[0].url.as_str()), ("GET", DOC));
    assert!(fetched[0].headers.contains(&("Accept".into(), "application/json".into())));
    assert_eq!(fetched[0].max_response_bytes, Some(5 * 1024));
    assert_eq!(fetched[0].timeout_ms, Some(30_000));

    let code = code_after_consent(&plugin, ALICE);
    assert_eq!(
        exchange_as_document(&plugin, &code, "wrong-verifier-wrong-verifier-wrong-verifier").status,
        400
    );
    let code = code_after_consent(&plugin, ALICE);
    let reply = exchange_as_document(&plugin, &code, VERIFIER);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.get("refresh_token").is_none(), "public clients get no refresh token");
    let access = reply.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(user_of(&plugin, &access).as_deref(), Some(ALICE));
    assert_eq!(plugin.host().fetched().len(), 1, "within max-age the cached document serves every step");

    // Approved once: the next request answers at once, as for other apps.
    assert!(query_param(&location(&authorize(&plugin, Some(ALICE), &authorize_query(DOC))), "code").is_some());

    // Listed among Alice's authorized apps, never among the registered apps.
    let authorized = send(&plugin, "GET", "/api/v4/users/me/oauth/apps/authorized", Some(ALICE), "");
    assert_eq!(authorized.body[0]["id"], DOC, "{}", authorized.body);
    assert_eq!(authorized.body[0]["name"], "Example Client");
    assert_eq!(authorized.body[0]["is_trusted"], false);
    assert!(authorized.body[0]["description"].as_str().unwrap().contains("client.example.com"));
    let registered = send(&plugin, "GET", "/api/v4/oauth/apps?page=0&per_page=100", Some(ADMIN), "");
    assert_eq!(registered.body, json!([]));
    let info = send(&plugin, "GET", &format!("/api/v4/oauth/apps/{}", encoded(DOC)), Some(ADMIN), "");
    assert_eq!(info.status, 404);

    // Deauthorized: the token stops working and the next request asks again.
    let body = json!({ "client_id": DOC }).to_string();
    assert_eq!(send(&plugin, "POST", "/oauth/deauthorize", Some(ALICE), &body).status, 200);
    assert_eq!(user_of(&plugin, &access), None);
    assert_eq!(authorize(&plugin, Some(ALICE), &authorize_query(DOC)).status, 200);
    let authorized = send(&plugin, "GET", "/api/v4/users/me/oauth/apps/authorized", Some(ALICE), "");
    assert_eq!(authorized.body, json!([]));
}

#[test]
fn the_token_is_revocable_by_the_public_client_and_switching_off_stops_it() {
    let (plugin, _) = plugin_serving(&document(DOC), "");
    assert_eq!(authorize(&plugin, Some(ALICE), &authorize_query(DOC)).status, 200);
    let code = code_after_consent(&plugin, ALICE);
    let access =
        exchange_as_document(&plugin, &code, VERIFIER).body["access_token"].as_str().unwrap().to_owned();
    // Introspection is for confidential clients only.
    let introspect =
        form_post(&plugin, "/oauth/introspect", &format!("token={access}&client_id={}", encoded(DOC)));
    assert_eq!(introspect.status, 401, "{}", introspect.body);
    let revoke = form_post(&plugin, "/oauth/revoke", &format!("token={access}&client_id={}", encoded(DOC)));
    assert_eq!(revoke.status, 200, "{}", revoke.body);
    assert_eq!(user_of(&plugin, &access), None);

    let code = code_after_consent(&plugin, ALICE);
    let access =
        exchange_as_document(&plugin, &code, VERIFIER).body["access_token"].as_str().unwrap().to_owned();
    assert!(user_of(&plugin, &access).is_some());
    configure(&plugin, r#"{"EnableOAuthServiceProvider":true}"#);
    assert_eq!(user_of(&plugin, &access), None, "tokens of document clients stop with the switch");
}

#[test]
fn a_document_is_cached_within_its_max_age_and_fetched_again_after() {
    let (plugin, served) = plugin_serving(&document(DOC), "public, max-age=120");
    assert_eq!(authorize(&plugin, Some(ALICE), &authorize_query(DOC)).status, 200);
    assert_eq!(authorize(&plugin, Some(BOB), &authorize_query(DOC)).status, 200);
    assert_eq!(plugin.host().fetched().len(), 1);
    let mut renamed = document(DOC);
    renamed["client_name"] = "Renamed Client".into();
    *served.borrow_mut() = answer(200, "max-age=120", renamed.to_string());
    plugin.host().advance_seconds(119);
    assert!(page_text(&authorize(&plugin, Some(ALICE), &authorize_query(DOC))).contains("Example Client"));
    plugin.host().advance_seconds(2);
    assert!(page_text(&authorize(&plugin, Some(ALICE), &authorize_query(DOC))).contains("Renamed Client"));
    assert_eq!(plugin.host().fetched().len(), 2);
}

#[test]
fn no_store_is_never_cached_and_max_age_has_a_floor() {
    let (plugin, served) = plugin_serving(&document(DOC), "no-store");
    for _ in 0..2 {
        assert_eq!(authorize(&plugin, Some(ALICE), &authorize_query(DOC)).status, 200);
    }
    assert_eq!(plugin.host().fetched().len(), 2);
    assert!(!keys(&plugin).iter().any(|k| k.starts_with("cimd:")));
    *served.borrow_mut() = answer(200, "max-age=1", document(DOC).to_string());
    authorize(&plugin, Some(ALICE), &authorize_query(DOC));
    plugin.host().advance_seconds(30);
    authorize(&plugin, Some(ALICE), &authorize_query(DOC));
    assert_eq!(plugin.host().fetched().len(), 3, "kept for the 60 s floor despite max-age=1");
}

#[test]
fn the_cache_is_bounded_in_number() {
    let plugin = plugin();
    configure(&plugin, ON);
    plugin.host().on_fetch(|request| {
        let mut body = document(&request.url);
        body["redirect_uris"] = json!([CB]);
        answer(200, "max-age=3600", body.to_string())
    });
    let max = oauth_plugin::provider::client_metadata::MAX_CACHED_DOCUMENTS;
    for n in 0..max + 5 {
        let id = format!("https://client.example.com/c/{n}");
        assert_eq!(authorize(&plugin, Some(ALICE), &authorize_query(&id)).status, 200);
    }
    let cached = keys(&plugin).iter().filter(|k| k.starts_with("cimd:")).count();
    assert_eq!(cached, max);
    // The oldest went first: the first document is fetched again, the last is not.
    let before = plugin.host().fetched().len();
    authorize(&plugin, Some(ALICE), &authorize_query(&format!("https://client.example.com/c/{}", max + 4)));
    assert_eq!(plugin.host().fetched().len(), before);
    authorize(&plugin, Some(ALICE), &authorize_query("https://client.example.com/c/0"));
    assert_eq!(plugin.host().fetched().len(), before + 1);
}

#[test]
fn metadata_advertises_documents_only_while_on() {
    let (plugin, _) = plugin_serving(&document(DOC), "");
    let on = send(&plugin, "GET", "/.well-known/oauth-authorization-server", None, "");
    assert_eq!(on.body["client_id_metadata_document_supported"], true);
    configure(&plugin, r#"{"EnableOAuthServiceProvider":true}"#);
    let off = send(&plugin, "GET", "/.well-known/oauth-authorization-server", None, "");
    assert!(off.body.get("client_id_metadata_document_supported").is_none(), "{}", off.body);
}

/// The authorization page for `client_id`: an error page (no redirect), the document not cached,
/// nothing stored; returns the page's text.
fn refused(plugin: &Plugin<MemoryHost>, client_id: &str, status: u16) -> String {
    let before = keys(plugin);
    let reply = authorize(plugin, Some(ALICE), &authorize_query(client_id));
    let html = page_text(&reply);
    assert_eq!(reply.status, status, "{client_id}: {html}");
    assert!(reply.response.header("Location").is_none());
    assert!(html.contains("This authorization request cannot be completed"), "{html}");
    assert_eq!(keys(plugin), before, "{client_id}: nothing stored");
    html
}

#[test]
fn every_bad_document_is_a_clear_error_page_and_stores_nothing() {
    let (plugin, served) = plugin_serving(&document(DOC), "max-age=600");
    let mut cases: Vec<(Result<FetchResponse, HostError>, &str)> = vec![
        (answer(200, "", vec![b' '; 6 * 1024]), "larger than 5120 bytes"),
        (Err(HostError("timed out after 30000 ms".into())), "could not be fetched: timed out"),
        (Err(HostError("refused: 127.0.0.1 is a loopback address".into())), "could not be fetched: refused"),
        (answer(200, "", "<html>hello</html>"), "is not a JSON object"),
        (answer(200, "", "[]"), "is not a JSON object"),
        (answer(404, "", "{}"), "answered HTTP 404"),
        (answer(302, "", ""), "answered HTTP 302"),
    ];
    let broken = |field: &str, value: Value| {
        let mut body = document(DOC);
        body[field] = value;
        answer(200, "", body.to_string())
    };
    cases.push((
        broken("client_id", "https://client.example.com/other.json".into()),
        "client_id is not the URL",
    ));
    cases.push((
        broken("client_id", "https://client.example.com/oauth/client.json/".into()),
        "client_id is not the URL",
    ));
    cases.push((broken("client_secret", "s3cret".into()), "no client_secret"));
    cases.push((
        broken("token_endpoint_auth_method", "client_secret_post".into()),
        "must be &quot;none&quot;",
    ));
    cases.push((broken("redirect_uris", json!([])), "no redirect_uris"));
    cases.push((broken("redirect_uris", json!(["https://client.example.com/cb#x"])), "fragment"));
    cases.push((broken("response_types", json!(["token"])), "response_types must be code"));
    cases.push((broken("client_name", json!("x".repeat(100))), "client_name"));
    for (reply, expected) in cases {
        *served.borrow_mut() = reply;
        let html = refused(&plugin, DOC, 400);
        assert!(html.contains(expected), "{expected}: {html}");
    }
}

#[test]
fn a_redirect_uri_not_in_the_document_is_refused() {
    let (plugin, _) = plugin_serving(&document(DOC), "max-age=600");
    let query = authorize_query(DOC).replace(&encoded(CB), &encoded("https://client.example.com/cb2"));
    let reply = authorize(&plugin, Some(ALICE), &query);
    assert_eq!(reply.status, 400);
    assert!(page_text(&reply).contains("does not match any callback URL"));
    assert!(reply.response.header("Location").is_none());
    // At the token endpoint, too: the code is bound to the redirect URI it was issued for.
    let code = code_after_consent(&plugin, ALICE);
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&client_id={}&code_verifier={VERIFIER}",
        encoded("https://client.example.com/cb2"),
        encoded(DOC)
    );
    assert_eq!(token_request(&plugin, &form, None).body["error"], "invalid_grant");
}

#[test]
fn bad_urls_the_off_switch_and_the_allowlist_are_refused_before_any_fetch() {
    let (plugin, _) = plugin_serving(&document(DOC), "");
    for bad in [
        "https://client.example.com/c#fragment",
        "https://user:pw@client.example.com/c",
        "https://client.example.com/a/../c",
        "https://client.example.com/./c",
        "https://client.example.com/",
        "https://Client.Example.com/c",
    ] {
        let html = refused(&plugin, bad, 400);
        assert!(html.contains("A client id that is a URL"), "{bad}: {html}");
    }
    let long = format!("https://client.example.com/{}", "a".repeat(300));
    refused(&plugin, &long, 400);
    // Plain http is no document: not a registered app either.
    refused(&plugin, "http://client.example.com/c", 404);

    configure(
        &plugin,
        r#"{"EnableOAuthServiceProvider":true,"EnableClientIdMetadataDocuments":true,
            "ClientIdMetadataDocumentAllowlist":["https://*.trusted.example.org/**"]}"#,
    );
    let html = refused(&plugin, DOC, 400);
    assert!(html.contains("does not accept client metadata documents from that address"), "{html}");

    configure(&plugin, r#"{"EnableOAuthServiceProvider":true}"#);
    let html = refused(&plugin, DOC, 404);
    assert!(html.contains("does not accept client metadata documents"), "{html}");
    assert!(plugin.host().fetched().is_empty());

    // On the allowlist: accepted.
    configure(
        &plugin,
        r#"{"EnableOAuthServiceProvider":true,"EnableClientIdMetadataDocuments":true,
            "ClientIdMetadataDocumentAllowlist":["https://client.example.com/oauth/**"]}"#,
    );
    let reply = authorize(&plugin, Some(ALICE), &authorize_query(DOC));
    assert_eq!(reply.status, 200, "{}", page_text(&reply));
}

#[test]
fn document_clients_are_public_pkce_is_required_and_no_implicit_flow() {
    let (plugin, _) = plugin_serving(&document(DOC), "max-age=600");
    let without_pkce =
        format!("response_type=code&client_id={}&redirect_uri={}&state=s", encoded(DOC), encoded(CB));
    let url = location(&authorize(&plugin, Some(ALICE), &without_pkce));
    assert_eq!(query_param(&url, "error").as_deref(), Some("invalid_request"));
    let implicit =
        format!("response_type=token&client_id={}&redirect_uri={}&state=s", encoded(DOC), encoded(CB));
    let url = location(&authorize(&plugin, Some(ALICE), &implicit));
    assert_eq!(fragment_param(&url, "error").as_deref(), Some("unauthorized_client"));

    // A secret at the token endpoint: refused as for every public client.
    let code = code_after_consent(&plugin, ALICE);
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&client_id={}&client_secret=x&code_verifier={VERIFIER}",
        encoded(CB),
        encoded(DOC)
    );
    assert_eq!(token_request(&plugin, &form, None).body["error"], "invalid_client");
    // Another document's code is not this one's.
    let other = "https://client.example.com/oauth/other.json";
    plugin.host().on_fetch(move |_| answer(200, "", document(other).to_string()));
    let form = format!(
        "grant_type=authorization_code&code={}&redirect_uri={}&client_id={}&code_verifier={VERIFIER}",
        code_after_consent(&plugin, ALICE),
        encoded(CB),
        encoded(other)
    );
    assert_eq!(token_request(&plugin, &form, None).body["error"], "invalid_grant");
}

#[test]
fn deauthorize_refuses_malformed_client_ids() {
    let (plugin, _) = plugin_serving(&document(DOC), "");
    for bad in ["https://client.example.com/c#x", "not-an-id", "http://client.example.com/c"] {
        let body = json!({ "client_id": bad }).to_string();
        assert_eq!(send(&plugin, "POST", "/oauth/deauthorize", Some(ALICE), &body).status, 400, "{bad}");
    }
}
