//! The provider's token endpoint on the in-memory host: code exchange, refresh rotation, client
//! authentication, revocation, introspection, deauthorization, and the rules around them.

use crate::common;
use crate::common::test;

use crate::common::block_on;
use common::provider::*;
use common::*;
use oauth_plugin::host::User;
use oauth_plugin::http::Request;
use serde_json::{json, Value};

#[test]
fn a_reused_code_fails_and_revokes_what_it_issued() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let code = code_for(&plugin, &client, ALICE, "");
    let first = exchange(&plugin, &client, &code);
    let access = first.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(user_of(&plugin, &access).as_deref(), Some(ALICE));
    let second = exchange(&plugin, &client, &code);
    assert_eq!((second.status, second.body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(user_of(&plugin, &access), None);
    let refresh_reply = refresh(&plugin, &client, first.body["refresh_token"].as_str().unwrap());
    assert_eq!(refresh_reply.body["error"], "invalid_grant");
}

async_test! {
    async fn fifty_concurrent_redemptions_of_one_code_give_one_token_response() {
        let plugin = plugin();
        let client = client(&plugin, json!({"is_trusted": true}));
        let code = code_for(&plugin, &client, ALICE, "");
        let form = format!(
            "grant_type=authorization_code&code={code}&redirect_uri={CALLBACK}&client_id={}&client_secret={}",
            client.id, client.secret
        );
        let responses = concurrent_token_requests(&plugin, &form, 50).await;
        let ok = responses.iter().filter(|r| r.status == 200).count();
        assert_eq!(ok, 1, "{:?}", responses.iter().map(|r| r.status).collect::<Vec<_>>());
        assert!(responses.iter().all(|r| r.status == 200 || r.status == 400));
    }
}

#[test]
fn codes_expire_after_ten_minutes() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let code = code_for(&plugin, &client, ALICE, "");
    plugin.host().advance_seconds(601);
    assert_eq!(exchange(&plugin, &client, &code).body["error"], "invalid_grant");
}

#[test]
fn the_code_must_go_back_with_its_redirect_uri_and_client() {
    let plugin = plugin();
    let client_a = client(&plugin, json!({"is_trusted": true}));
    let client_b = client(&plugin, json!({"is_trusted": true}));
    let code = code_for(&plugin, &client_a, ALICE, "");
    let form =
        format!("grant_type=authorization_code&code={code}&redirect_uri=https://zapier.example.com/other");
    assert_eq!(
        token_request(&plugin, &form, Some((&client_a.id, &client_a.secret))).body["error"],
        "invalid_grant"
    );
    assert_eq!(exchange(&plugin, &client_b, &code).body["error"], "invalid_grant");
}

#[test]
fn client_authentication_rules() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let code = code_for(&plugin, &client, ALICE, "");
    let form = format!("grant_type=authorization_code&code={code}&redirect_uri={CALLBACK}");
    let wrong_basic = token_request(&plugin, &form, Some((&client.id, "wrong")));
    assert_eq!((wrong_basic.status, wrong_basic.body["error"].as_str()), (401, Some("invalid_client")));
    assert!(wrong_basic.response.header("WWW-Authenticate").unwrap().starts_with("Basic"));
    let wrong_post =
        token_request(&plugin, &format!("{form}&client_id={}&client_secret=wrong", client.id), None);
    assert_eq!(wrong_post.status, 401);
    assert!(wrong_post.response.header("WWW-Authenticate").is_none());
    let both = token_request(
        &plugin,
        &format!("{form}&client_secret={}", client.secret),
        Some((&client.id, &client.secret)),
    );
    assert_eq!(both.body["error"], "invalid_request");
    // The failures did not consume the code: Basic with the right secret works.
    let reply = token_request(&plugin, &form, Some((&client.id, &client.secret)));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["id"], Value::Null);
    // Errors carry Mattermost's fields too.
    assert_eq!(wrong_post.body["status_code"], 401);
    assert!(wrong_post.body["id"].as_str().unwrap().starts_with("api.oauth.get_access_token"));
}

#[test]
fn malformed_token_requests_are_4xx_and_store_nothing() {
    let plugin = plugin();
    let client = client(&plugin, json!({}));
    let auth = format!("client_id={}&client_secret={}", client.id, client.secret);
    let cases = [
        (auth.clone(), "invalid_request"),
        (format!("{auth}&grant_type=password&username=a&password=b"), "unsupported_grant_type"),
        (format!("{auth}&grant_type=authorization_code"), "invalid_request"),
        (format!("{auth}&grant_type=authorization_code&code=a&code=b"), "invalid_request"),
        (format!("{auth}&grant_type=authorization_code&code=%ff"), "invalid_request"),
        (format!("{auth}&grant_type=authorization_code&code=nosuchcode"), "invalid_grant"),
        (format!("{auth}&grant_type=refresh_token"), "invalid_request"),
    ];
    for (form, error) in cases {
        let reply = token_request(&plugin, &form, None);
        assert_eq!(reply.body["error"], error, "{form}");
        assert!((400..500).contains(&reply.status));
    }
    let mut json_request = Request::new("POST", "/oauth/access_token");
    json_request.headers.insert("content-type".into(), "application/json".into());
    json_request.body = br#"{"grant_type":"authorization_code"}"#.to_vec();
    assert_eq!(block_on(plugin.serve_http(json_request)).status, 400);
    assert_eq!(send(&plugin, "GET", "/oauth/access_token", None, "").status, 405);
    let keys = block_on(oauth_plugin::host::Host::kv_list(plugin.host(), 0, 1000)).unwrap();
    assert!(keys.iter().all(|k| !k.starts_with("grant:") && !k.starts_with("at:")), "{keys:?}");
}

#[test]
fn refresh_rotates_and_a_reused_refresh_token_revokes_the_grant() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let first = exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, ""));
    let (access1, refresh1) = (
        first.body["access_token"].as_str().unwrap().to_owned(),
        first.body["refresh_token"].as_str().unwrap().to_owned(),
    );
    let second = refresh(&plugin, &client, &refresh1);
    assert_eq!(second.status, 200, "{}", second.body);
    let (access2, refresh2) = (
        second.body["access_token"].as_str().unwrap().to_owned(),
        second.body["refresh_token"].as_str().unwrap().to_owned(),
    );
    assert_ne!(refresh1, refresh2);
    assert_eq!(user_of(&plugin, &access1), None, "the old access token stops at once");
    assert_eq!(user_of(&plugin, &access2).as_deref(), Some(ALICE));
    // Presenting the rotated refresh token again: reuse detected, the whole grant is revoked.
    assert_eq!(refresh(&plugin, &client, &refresh1).body["error"], "invalid_grant");
    assert_eq!(user_of(&plugin, &access2), None);
    assert_eq!(refresh(&plugin, &client, &refresh2).body["error"], "invalid_grant");
}

async_test! {
    async fn fifty_concurrent_refreshes_rotate_once() {
        let plugin = plugin();
        let client = client(&plugin, json!({"is_trusted": true}));
        let first = exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, ""));
        let token = first.body["refresh_token"].as_str().unwrap().to_owned();
        let form = format!(
            "grant_type=refresh_token&refresh_token={token}&client_id={}&client_secret={}",
            client.id, client.secret
        );
        let responses = concurrent_token_requests(&plugin, &form, 50).await;
        assert_eq!(responses.iter().filter(|r| r.status == 200).count(), 1);
    }
}

#[test]
fn public_clients_cannot_refresh() {
    let plugin = plugin();
    let public = client(&plugin, json!({"is_public": true}));
    let reply = token_request(
        &plugin,
        &format!("grant_type=refresh_token&refresh_token=x&client_id={}", public.id),
        None,
    );
    assert_eq!(reply.body["error"], "unauthorized_client");
}

#[test]
fn access_tokens_expire_with_the_session_length() {
    let plugin = plugin();
    configure(&plugin, r#"{"EnableOAuthServiceProvider":true,"SessionLengthSSOInHours":1}"#);
    let client = client(&plugin, json!({"is_trusted": true}));
    let reply = exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, ""));
    assert_eq!(reply.body["expires_in"], 3600);
    let access = reply.body["access_token"].as_str().unwrap();
    plugin.host().advance_seconds(3599);
    assert!(user_of(&plugin, access).is_some());
    plugin.host().advance_seconds(1);
    assert_eq!(user_of(&plugin, access), None);
}

#[test]
fn deleting_the_app_or_the_user_stops_its_tokens() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let reply = exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, ""));
    let access = reply.body["access_token"].as_str().unwrap();
    plugin.host().add_user(User {
        id: ALICE.into(),
        username: "alice".into(),
        delete_at: 1,
        ..Default::default()
    });
    assert_eq!(user_of(&plugin, access), None);
    assert_eq!(
        refresh(&plugin, &client, reply.body["refresh_token"].as_str().unwrap()).body["error"],
        "invalid_grant"
    );

    let bobs = exchange(&plugin, &client, &code_for(&plugin, &client, BOB, ""));
    let bob_access = bobs.body["access_token"].as_str().unwrap();
    assert!(user_of(&plugin, bob_access).is_some());
    send(&plugin, "DELETE", &format!("/api/v4/oauth/apps/{}", client.id), Some(ADMIN), "");
    assert_eq!(user_of(&plugin, bob_access), None);
}

#[test]
fn regenerating_the_secret_keeps_tokens_and_refuses_the_old_secret() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let reply = exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, ""));
    let access = reply.body["access_token"].as_str().unwrap();
    let regen =
        send(&plugin, "POST", &format!("/api/v4/oauth/apps/{}/regen_secret", client.id), Some(ADMIN), "");
    let new_secret = regen.body["client_secret"].as_str().unwrap().to_owned();
    assert!(user_of(&plugin, access).is_some());
    let old = refresh(&plugin, &client, reply.body["refresh_token"].as_str().unwrap());
    assert_eq!(old.status, 401);
    let renewed = Client { id: client.id.clone(), secret: new_secret };
    assert_eq!(refresh(&plugin, &renewed, reply.body["refresh_token"].as_str().unwrap()).status, 200);
}

#[test]
fn revocation_rfc_7009() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let other = client_fn(&plugin);
    let auth = format!("client_id={}&client_secret={}", client.id, client.secret);
    let reply = exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, ""));
    let access = reply.body["access_token"].as_str().unwrap();
    let refresh_token = reply.body["refresh_token"].as_str().unwrap();
    // Another client cannot revoke it; unknown tokens are a 200 too.
    let foreign = form_post(
        &plugin,
        "/oauth/revoke",
        &format!("token={access}&client_id={}&client_secret={}", other.id, other.secret),
    );
    assert_eq!(foreign.status, 200);
    assert!(user_of(&plugin, access).is_some());
    assert_eq!(form_post(&plugin, "/oauth/revoke", &format!("token=unknown&{auth}")).status, 200);
    // Revoking the access token leaves the refresh token working.
    assert_eq!(form_post(&plugin, "/oauth/revoke", &format!("token={access}&{auth}")).status, 200);
    assert_eq!(user_of(&plugin, access), None);
    let renewed = refresh(&plugin, &client, refresh_token);
    assert_eq!(renewed.status, 200);
    // Revoking the refresh token ends the grant.
    let new_refresh = renewed.body["refresh_token"].as_str().unwrap();
    assert_eq!(
        form_post(
            &plugin,
            "/oauth/revoke",
            &format!("token={new_refresh}&{auth}&token_type_hint=refresh_token")
        )
        .status,
        200
    );
    assert_eq!(user_of(&plugin, renewed.body["access_token"].as_str().unwrap()), None);
    assert_eq!(form_post(&plugin, "/oauth/revoke", "token=x").status, 401);
}

#[test]
fn introspection_rfc_7662() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let other = client_fn(&plugin);
    let reply = exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, ""));
    let access = reply.body["access_token"].as_str().unwrap();
    let ask = |c: &Client, token: &str| {
        form_post(
            &plugin,
            "/oauth/introspect",
            &format!("token={token}&client_id={}&client_secret={}", c.id, c.secret),
        )
    };
    let active = ask(&client, access);
    assert_eq!(active.status, 200);
    assert_eq!(active.body["active"], true);
    assert_eq!(active.body["client_id"], client.id.as_str());
    assert_eq!(active.body["sub"], ALICE);
    assert_eq!(active.body["username"], "alice");
    assert_eq!(active.body["iss"], SITE);
    assert!(active.body["exp"].as_i64().unwrap() > active.body["iat"].as_i64().unwrap());
    assert_eq!(ask(&other, access).body, json!({"active": false}));
    assert_eq!(ask(&client, "nonsense").body, json!({"active": false}));
    assert_eq!(
        form_post(
            &plugin,
            "/oauth/introspect",
            &format!("token={access}&client_id={}&client_secret=bad", client.id)
        )
        .status,
        401
    );
}

#[test]
fn deauthorize_revokes_tokens_and_codes_and_forgets_approval() {
    let plugin = plugin();
    let client = client(&plugin, json!({}));
    let reply = exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, ""));
    let access = reply.body["access_token"].as_str().unwrap();
    let pending_code = code_for(&plugin, &client, ALICE, "");
    let listed =
        send(&plugin, "GET", &format!("/api/v4/users/{ALICE}/oauth/apps/authorized"), Some(ALICE), "");
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body[0]["id"], client.id.as_str());
    assert_eq!(listed.body[0]["client_secret"], "");
    // Others need edit_other_users.
    assert_eq!(
        send(&plugin, "GET", &format!("/api/v4/users/{ALICE}/oauth/apps/authorized"), Some(BOB), "").status,
        403
    );
    assert_eq!(
        send(&plugin, "GET", &format!("/api/v4/users/{ALICE}/oauth/apps/authorized"), Some(ADMIN), "").status,
        200
    );

    let body = json!({"client_id": client.id}).to_string();
    let done = send(&plugin, "POST", "/oauth/deauthorize", Some(ALICE), &body);
    assert_eq!((done.status, done.body.clone()), (200, json!({"status": "OK"})));
    assert_eq!(user_of(&plugin, access), None);
    assert_eq!(exchange(&plugin, &client, &pending_code).body["error"], "invalid_grant");
    let listed =
        send(&plugin, "GET", &format!("/api/v4/users/{ALICE}/oauth/apps/authorized"), Some(ALICE), "");
    assert_eq!(listed.body, json!([]));
    let query = format!("response_type=code&client_id={}&redirect_uri={CALLBACK}", client.id);
    assert_eq!(authorize(&plugin, Some(ALICE), &query).status, 200, "consent is asked again");
    assert_eq!(
        send(&plugin, "POST", "/oauth/deauthorize", Some(ALICE), r#"{"client_id":"bad"}"#).status,
        400
    );
}

#[test]
fn tokens_keep_working_while_the_provider_is_off() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let reply = exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, ""));
    configure(&plugin, r#"{"EnableOAuthServiceProvider":false}"#);
    assert!(user_of(&plugin, reply.body["access_token"].as_str().unwrap()).is_some());
    assert_eq!(refresh(&plugin, &client, reply.body["refresh_token"].as_str().unwrap()).status, 501);
    let query = format!("response_type=code&client_id={}&redirect_uri={CALLBACK}", client.id);
    assert_eq!(authorize(&plugin, Some(ALICE), &query).status, 501);
}

#[test]
fn no_secret_or_token_is_logged() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let reply = exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, ""));
    let logs = format!("{:?}", plugin.host().logs());
    for secret in [
        client.secret.as_str(),
        reply.body["access_token"].as_str().unwrap(),
        reply.body["refresh_token"].as_str().unwrap(),
    ] {
        assert!(!logs.contains(secret));
    }
}

#[test]
fn every_sign_in_keeps_working_until_the_user_deauthorizes() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let replies: Vec<Value> =
        (0..20).map(|_| exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, "")).body).collect();
    assert!(replies.iter().all(|r| user_of(&plugin, r["access_token"].as_str().unwrap()).is_some()));
    let bobs = exchange(&plugin, &client, &code_for(&plugin, &client, BOB, "")).body;
    send(&plugin, "POST", "/oauth/deauthorize", Some(ALICE), &json!({"client_id": client.id}).to_string());
    assert!(replies.iter().all(|r| user_of(&plugin, r["access_token"].as_str().unwrap()).is_none()));
    for reply in &replies[..3] {
        assert_eq!(
            refresh(&plugin, &client, reply["refresh_token"].as_str().unwrap()).body["error"],
            "invalid_grant"
        );
    }
    assert!(user_of(&plugin, bobs["access_token"].as_str().unwrap()).is_some(), "other users keep theirs");
    // Authorizing again afterwards works.
    let again = exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, ""));
    assert_eq!(user_of(&plugin, again.body["access_token"].as_str().unwrap()).as_deref(), Some(ALICE));
}

#[test]
fn grants_without_a_refresh_token_expire_with_their_access_token() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let query = format!("response_type=token&client_id={}&redirect_uri={CALLBACK}", client.id);
    location(&authorize(&plugin, Some(ALICE), &query));
    let grants = || {
        block_on(oauth_plugin::host::Host::kv_list(plugin.host(), 0, 10_000))
            .unwrap()
            .into_iter()
            .filter(|k| k.starts_with("grant:"))
            .count()
    };
    assert_eq!(grants(), 1);
    plugin.host().advance_seconds(720 * 3600);
    assert_eq!(grants(), 0);
}

#[test]
fn a_used_code_presented_by_another_client_changes_nothing() {
    let plugin = plugin();
    let victim = client(&plugin, json!({"is_trusted": true}));
    let attacker = create_app(&plugin, ADMIN, json!({"name": "Attacker", "is_public": true}));
    let attacker_id = attacker["id"].as_str().unwrap();
    let code = code_for(&plugin, &victim, ALICE, "");
    let first = exchange(&plugin, &victim, &code);
    let access = first.body["access_token"].as_str().unwrap().to_owned();
    let before = plugin.host().dump();
    // A public client needs only its id: it presents the victim's used code.
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={CALLBACK}&client_id={attacker_id}&code_verifier={VERIFIER}"
    );
    let stolen = token_request(&plugin, &form, None);
    assert_eq!((stolen.status, stolen.body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(plugin.host().dump(), before, "nothing changed");
    assert_eq!(user_of(&plugin, &access).as_deref(), Some(ALICE), "the victim's tokens still work");
    let refreshed = refresh(&plugin, &victim, first.body["refresh_token"].as_str().unwrap());
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
}

#[test]
fn one_rule_for_valid_tokens_a_deactivated_users_token_is_invalid_everywhere() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let reply = exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, ""));
    let access = reply.body["access_token"].as_str().unwrap();
    let introspect = || {
        form_post(
            &plugin,
            "/oauth/introspect",
            &format!("token={access}&client_id={}&client_secret={}", client.id, client.secret),
        )
        .body
    };
    assert_eq!(introspect()["active"], true);
    plugin.host().deactivate_user(ALICE);
    assert_eq!(user_of(&plugin, access), None, "the API refuses it");
    assert_eq!(introspect(), json!({"active": false}), "and so does introspection");
    let app_call = send_as_app(&plugin, "GET", "/plugins/oauth-plugin/api/v1/oauth2/user", access, "");
    assert_eq!(app_call.status, 401, "and the app store");
}

#[test]
fn redirect_uris_are_parsed_and_must_be_written_in_their_normalized_form() {
    let plugin = plugin();
    for trick in [
        "https://evil.test?.example.com/cb",
        "https://evil.test\\.example.com/cb",
        "http://localhost:1@evil.test/callback",
        "https://zapier.example.com/cb#frag",
        "https://ZAPIER.example.com/cb",
        "https://zapier.example.com/a/../cb",
        "https://zapier.example.com/c\tb",
    ] {
        let app = json!({"name": "A", "homepage": "https://a.example.com", "callback_urls": [trick]});
        let reply = send(&plugin, "POST", "/api/v4/oauth/apps", Some(ADMIN), &app.to_string());
        assert_eq!(
            (reply.status, reply.body["id"].as_str()),
            (400, Some("model.oauth.is_valid.callback.app_error")),
            "{trick}"
        );
    }
    let hint = send(
        &plugin,
        "POST",
        "/api/v4/oauth/apps",
        Some(ADMIN),
        &json!({"name": "A", "homepage": "https://a.example.com", "callback_urls": ["https://a.example.com"]}).to_string(),
    );
    assert!(hint.body["message"].as_str().unwrap().contains("\"https://a.example.com/\""), "{}", hint.body);
    // At the authorization endpoint: the error page, never a redirect.
    let client = client(&plugin, json!({"is_trusted": true}));
    for trick in [
        "https://zapier.example.com/cb%23x",
        "https://zapier.example.com/./cb",
        "https://zapier.example.com:443/cb",
    ] {
        let query = format!(
            "response_type=code&client_id={}&redirect_uri={}",
            client.id,
            url::form_urlencoded::byte_serialize(trick.as_bytes()).collect::<String>()
        );
        let reply = authorize(&plugin, Some(ALICE), &query);
        assert_eq!(reply.status, 400, "{trick}");
        assert!(reply.response.header("Location").is_none());
    }
}

#[test]
fn the_consent_page_never_loads_a_logo_over_plain_http() {
    let plugin = plugin();
    for (icon, shown) in
        [("http://zapier.example.com/logo.png", false), ("https://zapier.example.com/logo.png", true)]
    {
        let client = client(&plugin, json!({"icon_url": icon}));
        let query = format!("response_type=code&client_id={}&redirect_uri={CALLBACK}", client.id);
        let page = authorize(&plugin, Some(ALICE), &query);
        assert_eq!(page.status, 200);
        let html = String::from_utf8_lossy(&page.response.body).into_owned();
        assert_eq!(html.contains(icon), shown, "{icon}");
        let csp = page.response.header("Content-Security-Policy").unwrap();
        assert!(csp.contains("img-src https: data:;") && !csp.contains("http:"), "{csp}");
        assert_eq!(page.response.header("Referrer-Policy"), Some("no-referrer"));
    }
}

#[test]
fn storage_failures_answer_500_in_general_words_and_log_the_detail() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    plugin.host().fail_kv(Some("SQLITE_IOERR: disk I/O error at /var/lib/secret.db"));
    let listed = send(&plugin, "GET", "/api/v4/oauth/apps", Some(ADMIN), "");
    let token = token_request(
        &plugin,
        &format!(
            "grant_type=refresh_token&refresh_token=x&client_id={}&client_secret={}",
            client.id, client.secret
        ),
        None,
    );
    let page = authorize(
        &plugin,
        Some(ALICE),
        &format!("response_type=code&client_id={}&redirect_uri={CALLBACK}", client.id),
    );
    plugin.host().fail_kv(None);
    assert_eq!(
        (listed.status, listed.body["id"].as_str()),
        (500, Some("app.plugin.internal_error.app_error"))
    );
    assert_eq!(listed.body["request_id"], "test");
    assert_eq!((token.status, token.body["error"].as_str()), (500, Some("server_error")));
    assert_eq!(page.status, 500);
    for body in [listed.response.body, token.response.body, page.response.body] {
        let text = String::from_utf8_lossy(&body).into_owned();
        assert!(!text.contains("SQLITE") && !text.contains("secret.db") && !text.contains("KV"), "{text}");
    }
    let logged = plugin.host().logs().into_iter().filter(|l| l.message == "request failed").count();
    assert_eq!(logged, 3, "each failure is in the server log with its detail");
    assert!(plugin.host().logs().iter().any(|l| l.fields.iter().any(|(_, v)| v.contains("SQLITE_IOERR"))));
}

#[test]
fn ids_in_paths_are_checked_before_use() {
    let plugin = plugin();
    let long = "a".repeat(200);
    let reply = send(&plugin, "GET", &format!("/api/v4/users/{long}/oauth/apps/authorized"), Some(ADMIN), "");
    assert_eq!(
        (reply.status, reply.body["id"].as_str()),
        (400, Some("api.context.invalid_url_param.app_error"))
    );
    assert!(!reply.body.to_string().contains("KV"), "{}", reply.body);
    let me = send(&plugin, "GET", "/api/v4/users/me/oauth/apps/authorized", Some(ALICE), "");
    assert_eq!((me.status, me.body.clone()), (200, json!([])), "`me` is the caller, as in Mattermost");
    for odd in ["..", "%00", "x:y", "alicealicealicealicealic\u{e9}"] {
        let reply =
            send(&plugin, "GET", &format!("/api/v4/users/{odd}/oauth/apps/authorized"), Some(ADMIN), "");
        assert_eq!(reply.status, 400, "{odd}");
    }
}

/// Turns the one grant into one as an earlier version wrote it: tokens that do not name their
/// grant, found through `at:` and `rt:` records, and a record without the newer fields.
fn make_grant_legacy(
    plugin: &oauth_plugin::Plugin<oauth_plugin::host::memory::MemoryHost>,
) -> (String, String) {
    use oauth_plugin::ids::{new_secret, SecretHash};
    let (key, value) = plugin.host().dump().into_iter().find(|(k, _)| k.starts_with("grant:")).unwrap();
    let grant_id = key.trim_start_matches("grant:").to_owned();
    let (access, refresh) = (new_secret(), new_secret());
    let mut grant: Value = serde_json::from_slice(&value).unwrap();
    let fields = grant.as_object_mut().unwrap();
    fields.remove("access_record");
    fields.remove("rotated_refresh");
    fields.insert("access_hash".into(), SecretHash::of(&access).as_str().into());
    fields.insert("refresh_hash".into(), SecretHash::of(&refresh).as_str().into());
    plugin.host().put_raw(&key, grant.to_string().as_bytes());
    let record = json!({"v": 1, "grant_id": grant_id}).to_string();
    plugin.host().put_raw(&format!("at:{}", SecretHash::of(&access).as_str()), record.as_bytes());
    plugin.host().put_raw(&format!("rt:{}", SecretHash::of(&refresh).as_str()), record.as_bytes());
    (access, refresh)
}

#[test]
fn tokens_from_before_tokens_named_their_grant_keep_working() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, ""));
    let (access, refresh_token) = make_grant_legacy(&plugin);
    assert_eq!(user_of(&plugin, &access).as_deref(), Some(ALICE));
    let renewed = refresh(&plugin, &client, &refresh_token);
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    let new_access = renewed.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(user_of(&plugin, &new_access).as_deref(), Some(ALICE));
    assert_eq!(user_of(&plugin, &access), None, "the old access token stopped working");
    assert!(!plugin.host().dump().iter().any(|(k, _)| k.starts_with("at:")), "its record went with it");
    // The old refresh token, presented again, is a replay: the grant ends.
    assert_eq!(refresh(&plugin, &client, &refresh_token).body["error"], "invalid_grant");
    assert_eq!(user_of(&plugin, &new_access), None);
}

#[test]
fn a_guess_at_a_grants_tokens_is_refused_and_ends_nothing() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let tokens = exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, "")).body;
    let (access, refresh_token) =
        (tokens["access_token"].as_str().unwrap(), tokens["refresh_token"].as_str().unwrap());
    // The grant's id (the tokens' first 26 characters) with a secret of the attacker's choosing.
    let guessed = format!("{}{}", &refresh_token[..26], oauth_plugin::ids::new_secret());
    let reply = refresh(&plugin, &client, &guessed);
    assert_eq!((reply.status, reply.body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(user_of(&plugin, &format!("{}{}", &access[..26], oauth_plugin::ids::new_secret())), None);
    assert_eq!(user_of(&plugin, access).as_deref(), Some(ALICE), "the grant goes on");
    assert_eq!(refresh(&plugin, &client, refresh_token).status, 200);
}
