//! OpenID Connect's `prompt` and `max_age` on the in-memory host, the consent wording by scope,
//! and the authorization requests they refuse.

use crate::common;
use crate::common::test;

use common::oidc::*;
use common::provider::*;
use common::*;
use oauth_plugin::host::Host;
use oauth_plugin::provider::consent_page::{ACT_ON_YOUR_BEHALF, SIGN_YOU_IN};
use serde_json::json;

fn error_of(reply: &Reply) -> Option<String> {
    query_param(&location(reply), "error")
}

fn html(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.response.body).into_owned()
}

#[test]
fn prompt_none_never_shows_a_page() {
    let (plugin, client) = setup();
    let now = plugin.host().now_millis();
    let query = code_query(&client, "&scope=openid&prompt=none");
    // No session: login_required, to the client, with its state.
    let logged_out = authorize_as(&plugin, None, &query, now);
    assert_eq!(error_of(&logged_out).as_deref(), Some("login_required"));
    assert_eq!(query_param(&location(&logged_out), "state").as_deref(), Some("xyz"));
    // Not approved yet: consent_required.
    assert_eq!(
        error_of(&authorize_as(&plugin, Some(CAROL), &query, now)).as_deref(),
        Some("consent_required")
    );
    // Approved: the code, at once.
    tokens_for(&plugin, &client, CAROL, "openid", "");
    assert!(query_param(&location(&authorize_as(&plugin, Some(CAROL), &query, now)), "code").is_some());
    // An approval of less does not cover more.
    let wider = code_query(&client, "&scope=openid%20email&prompt=none");
    assert_eq!(
        error_of(&authorize_as(&plugin, Some(CAROL), &wider, now)).as_deref(),
        Some("consent_required")
    );
    // A session too old for max_age cannot log in again without a page.
    plugin.host().advance_seconds(600);
    let old = code_query(&client, "&scope=openid&prompt=none&max_age=60");
    assert_eq!(error_of(&authorize_as(&plugin, Some(CAROL), &old, now)).as_deref(), Some("login_required"));
}

#[test]
fn prompt_consent_asks_even_a_trusted_or_approved_app() {
    let (plugin, _) = setup();
    let trusted = client(&plugin, json!({"is_trusted": true}));
    let now = plugin.host().now_millis();
    assert_eq!(authorize_as(&plugin, Some(CAROL), &code_query(&trusted, ""), now).status, 302);
    let page = authorize_as(&plugin, Some(CAROL), &code_query(&trusted, "&prompt=consent"), now);
    assert_eq!(page.status, 200);
    assert!(html(&page).contains("Authorize Zapier?"));
}

#[test]
fn the_consent_page_says_what_the_app_asks_for() {
    let (plugin, client) = setup();
    let now = plugin.host().now_millis();
    let sign_in = html(&authorize_as(
        &plugin,
        Some(CAROL),
        &code_query(&client, "&scope=openid%20profile%20email"),
        now,
    ));
    assert!(sign_in.contains(SIGN_YOU_IN) && !sign_in.contains(ACT_ON_YOUR_BEHALF), "{sign_in}");
    for scope in ["", "&scope=user", "&scope=openid%20user", "&scope=files"] {
        let full = html(&authorize_as(&plugin, Some(CAROL), &code_query(&client, scope), now));
        assert!(full.contains(ACT_ON_YOUR_BEHALF) && !full.contains(SIGN_YOU_IN), "{scope}");
    }
}

#[test]
fn prompt_login_and_max_age_ask_for_a_fresh_login_once() {
    let (plugin, client) = setup();
    tokens_for(&plugin, &client, CAROL, "openid", "");
    let logged_in = plugin.host().now_millis() - 3_600_000;
    for extra in ["&scope=openid&prompt=login", "&scope=openid&max_age=60"] {
        let query = code_query(&client, extra);
        let to_login = location(&authorize_as(&plugin, Some(CAROL), &query, logged_in));
        assert_eq!(to_login.path(), "/login", "{extra}");
        assert_eq!(query_param(&to_login, "reauthenticate").as_deref(), Some("true"));
        let back = query_param(&to_login, "redirect_to").unwrap();
        let (path, back_query) = back.split_once('?').unwrap();
        assert_eq!(path, "/oauth/authorize");
        let asked: i64 = url::form_urlencoded::parse(back_query.as_bytes())
            .find(|(k, _)| k == "login_after")
            .unwrap()
            .1
            .parse()
            .unwrap();
        // The login made a new session: the code. The login kept the old one: an error, not a loop.
        plugin.host().advance_seconds(5);
        let fresh = authorize_as(&plugin, Some(CAROL), back_query, asked + 1_000);
        let code = query_param(&location(&fresh), "code").expect("a code");
        let claims = verified_claims(
            &plugin,
            exchange(&plugin, &client, &code).body["id_token"].as_str().unwrap(),
            &client.id,
        );
        assert_eq!(claims["auth_time"], (asked + 1_000) / 1000, "auth_time is the new login");
        assert_eq!(
            error_of(&authorize_as(&plugin, Some(CAROL), back_query, logged_in)).as_deref(),
            Some("login_required")
        );
    }
    // A session newer than max_age passes at once.
    let recent = plugin.host().now_millis() - 10_000;
    let query = code_query(&client, "&scope=openid&max_age=60");
    assert!(query_param(&location(&authorize_as(&plugin, Some(CAROL), &query, recent)), "code").is_some());
}

#[test]
fn bad_openid_parameters_are_refused_and_issue_nothing() {
    let (plugin, client) = setup();
    let now = plugin.host().now_millis();
    let long_nonce = format!("&scope=openid&nonce={}", "n".repeat(513));
    let cases = [
        long_nonce.as_str(),
        "&scope=openid&prompt=select_account",
        "&scope=openid&prompt=none%20login",
        "&scope=openid&prompt=%00",
        "&scope=openid&max_age=-1",
        "&scope=openid&max_age=99999999999999999999",
    ];
    for extra in cases {
        let reply = authorize_as(&plugin, Some(CAROL), &code_query(&client, extra), now);
        let url = location(&reply);
        assert_eq!(query_param(&url, "error").as_deref(), Some("invalid_request"), "{extra}");
        assert!(query_param(&url, "code").is_none());
    }
    let at_limit = format!("&scope=openid&nonce={}", "n".repeat(512));
    assert_eq!(authorize_as(&plugin, Some(CAROL), &code_query(&client, &at_limit), now).status, 200);
    // The consent page's POST checks the same.
    let mut post = json!({"client_id": client.id, "response_type": "code", "redirect_uri": CALLBACK,
        "state": "xyz", "scope": "openid", "prompt": "bogus"});
    let url = allow(&plugin, CAROL, post.clone(), now);
    assert_eq!(query_param(&url, "error").as_deref(), Some("invalid_request"));
    post["prompt"] = "".into();
    post["nonce"] = "x".repeat(600).into();
    assert_eq!(query_param(&allow(&plugin, CAROL, post, now), "error").as_deref(), Some("invalid_request"));
}
