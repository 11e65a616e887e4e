//! The provider's authorization flows on the in-memory host: authorization code, implicit, PKCE,
//! consent, and the errors before and after the redirect URI is verified.

use crate::common;
use crate::common::test;

use crate::common::block_on;
use common::provider::*;
use common::*;
use oauth_plugin::http::Request;
use serde_json::json;

#[test]
fn code_flow_with_consent_state_and_iss() {
    let plugin = plugin();
    let client = client(&plugin, json!({}));
    let query = format!("response_type=code&client_id={}&redirect_uri={CALLBACK}&state=s%201", client.id);
    let page = authorize(&plugin, Some(ALICE), &query);
    assert_eq!(page.status, 200);
    assert_eq!(page.response.header("X-Frame-Options"), Some("DENY"));
    assert!(page.response.header("Content-Security-Policy").unwrap().contains("frame-ancestors 'none'"));
    let html = String::from_utf8(page.response.body.clone()).unwrap();
    assert!(html.contains("Zapier") && html.contains("Allow") && html.contains("Deny"));

    let url = decide(
        &plugin,
        ALICE,
        json!({"client_id": client.id, "response_type": "code", "redirect_uri": CALLBACK, "state": "s 1"}),
    );
    assert_eq!(url.as_str().split('?').next(), Some(CALLBACK));
    assert_eq!(query_param(&url, "state").as_deref(), Some("s 1"));
    assert_eq!(query_param(&url, "iss").as_deref(), Some(SITE));
    let code = query_param(&url, "code").unwrap();

    let reply = exchange(&plugin, &client, &code);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "bearer");
    assert_eq!(reply.body["scope"], "user");
    assert_eq!(reply.body["expires_in"], 720 * 3600);
    assert_eq!(reply.response.header("Cache-Control"), Some("no-store"));
    assert_eq!(reply.response.header("Pragma"), Some("no-cache"));
    let access = reply.body["access_token"].as_str().unwrap();
    assert!(reply.body["refresh_token"].is_string());
    assert_eq!(user_of(&plugin, access).as_deref(), Some(ALICE));

    // Approved once: the next authorization answers at once.
    assert!(query_param(&location(&authorize(&plugin, Some(ALICE), &query)), "code").is_some());
}

#[test]
fn trusted_apps_skip_consent_and_callback_queries_are_kept() {
    let plugin = plugin();
    let callback = "https://app.example.com/cb?tenant=a%26b";
    let client = client(&plugin, json!({"is_trusted": true, "callback_urls": [callback]}));
    let query = format!(
        "response_type=code&client_id={}&redirect_uri={}&state=abc",
        client.id,
        url::form_urlencoded::byte_serialize(callback.as_bytes()).collect::<String>()
    );
    let url = location(&authorize(&plugin, Some(ALICE), &query));
    assert_eq!(query_param(&url, "tenant").as_deref(), Some("a&b"));
    assert!(query_param(&url, "code").is_some());
    assert_eq!(query_param(&url, "state").as_deref(), Some("abc"));
}

#[test]
fn errors_before_the_redirect_uri_is_verified_get_a_page() {
    let plugin = plugin();
    let client = client(&plugin, json!({"callback_urls": [CALLBACK, "https://zapier.example.com/other"]}));
    let unknown = authorize(&plugin, Some(ALICE), "response_type=code&client_id=nosuchappnosuchappnosuchap");
    assert_eq!(unknown.status, 404);
    assert!(unknown.response.header("Location").is_none());
    let unregistered =
        format!("response_type=code&client_id={}&redirect_uri=https://evil.example.com/cb", client.id);
    assert_eq!(authorize(&plugin, Some(ALICE), &unregistered).status, 400);
    // Not an exact match: a registered URI with something appended.
    let appended = format!("response_type=code&client_id={}&redirect_uri={CALLBACK}/x", client.id);
    assert_eq!(authorize(&plugin, Some(ALICE), &appended).status, 400);
    // Several registered: redirect_uri is required.
    assert_eq!(
        authorize(&plugin, Some(ALICE), &format!("response_type=code&client_id={}", client.id)).status,
        400
    );
    let repeated = format!("client_id={0}&client_id={0}", client.id);
    assert_eq!(authorize(&plugin, Some(ALICE), &repeated).status, 400);
    let page = authorize(&plugin, Some(ALICE), "client_id=%3Cscript%3E");
    assert!(!String::from_utf8_lossy(&page.response.body).contains("<script>alert"));
}

#[test]
fn not_logged_in_goes_to_login_and_back() {
    let plugin = plugin();
    let client = client(&plugin, json!({}));
    let query = format!("response_type=code&client_id={}&redirect_uri={CALLBACK}&state=x", client.id);
    let url = location(&authorize(&plugin, None, &query));
    assert_eq!(url.path(), "/login");
    assert_eq!(query_param(&url, "redirect_to").unwrap(), format!("/oauth/authorize?{query}"));
}

#[test]
fn later_errors_redirect_with_error_state_and_iss() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let base = format!("client_id={}&redirect_uri={CALLBACK}&state=st", client.id);
    let cases = [
        ("response_type=id_token", "unsupported_response_type"),
        ("", "invalid_request"),
        (&*format!("response_type=code&state2=&scope={}", "x".repeat(129)), "invalid_scope"),
        ("response_type=code&code_challenge_method=plain&code_challenge=abc", "invalid_request"),
        (&*format!("response_type=code&code_challenge={}", challenge(VERIFIER)), "invalid_request"),
        ("response_type=code&code_challenge_method=S256&code_challenge=short", "invalid_request"),
        ("response_type=code&resource=relative/path", "invalid_target"),
        ("response_type=code&resource=https://elsewhere.example.com", "invalid_target"),
    ];
    for (extra, error) in cases {
        let url = location(&authorize(&plugin, Some(ALICE), &format!("{base}&{extra}")));
        assert_eq!(query_param(&url, "error").as_deref(), Some(error), "{extra}");
        assert_eq!(query_param(&url, "state").as_deref(), Some("st"), "{extra}");
        assert_eq!(query_param(&url, "iss").as_deref(), Some(SITE), "{extra}");
        assert!(query_param(&url, "error_description").is_some());
    }
    let long_state = format!(
        "client_id={}&redirect_uri={CALLBACK}&response_type=code&state={}",
        client.id,
        "s".repeat(1025)
    );
    let url = location(&authorize(&plugin, Some(ALICE), &long_state));
    assert_eq!(query_param(&url, "error").as_deref(), Some("invalid_request"));
}

#[test]
fn deny_sends_access_denied_and_asks_again_next_time() {
    let plugin = plugin();
    let client = client(&plugin, json!({}));
    let request =
        json!({"client_id": client.id, "response_type": "code", "redirect_uri": CALLBACK, "state": "d"});
    decide(&plugin, ALICE, request.clone()); // approved once
    let mut deny = request.clone();
    deny["approve"] = false.into();
    let url = decide(&plugin, ALICE, deny);
    assert_eq!(query_param(&url, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_param(&url, "state").as_deref(), Some("d"));
    assert_eq!(query_param(&url, "iss").as_deref(), Some(SITE));
    assert!(query_param(&url, "code").is_none());
    let query = format!("response_type=code&client_id={}&redirect_uri={CALLBACK}", client.id);
    assert_eq!(authorize(&plugin, Some(ALICE), &query).status, 200, "consent is asked again");
}

#[test]
fn consent_post_needs_a_session_and_refuses_oauth_sessions() {
    let plugin = plugin();
    let client = client(&plugin, json!({}));
    let body = json!({"client_id": client.id, "response_type": "code", "redirect_uri": CALLBACK}).to_string();
    assert_eq!(send(&plugin, "POST", "/oauth/authorize", None, &body).status, 401);
    let mut request = Request::new("POST", "/oauth/authorize");
    request.user_id = Some(ALICE.into());
    request.is_oauth_session = true;
    request.body = body.into_bytes();
    assert_eq!(block_on(plugin.serve_http(request)).status, 403);
    let bad =
        json!({"client_id": client.id, "response_type": "code", "redirect_uri": "https://evil.example.com"});
    assert_eq!(send(&plugin, "POST", "/oauth/authorize", Some(ALICE), &bad.to_string()).status, 400);
}

#[test]
fn implicit_flow_puts_the_token_in_the_fragment() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let query = format!("response_type=token&client_id={}&redirect_uri={CALLBACK}&state=imp", client.id);
    let url = location(&authorize(&plugin, Some(ALICE), &query));
    assert!(url.query().is_none());
    let token = fragment_param(&url, "access_token").unwrap();
    assert_eq!(fragment_param(&url, "token_type").as_deref(), Some("bearer"));
    assert_eq!(fragment_param(&url, "expires_in").as_deref(), Some("2592000"));
    assert_eq!(fragment_param(&url, "scope").as_deref(), Some("user"));
    assert_eq!(fragment_param(&url, "state").as_deref(), Some("imp"));
    assert_eq!(fragment_param(&url, "iss").as_deref(), Some(SITE));
    assert_eq!(user_of(&plugin, &token).as_deref(), Some(ALICE));
}

#[test]
fn public_clients_need_pkce_and_no_secret() {
    let plugin = plugin();
    let public =
        Client { secret: String::new(), ..client(&plugin, json!({"is_public": true, "is_trusted": true})) };
    let query = format!("response_type=code&client_id={}&redirect_uri={CALLBACK}&state=p", public.id);
    let url = location(&authorize(&plugin, Some(ALICE), &query));
    assert_eq!(query_param(&url, "error").as_deref(), Some("invalid_request"));

    let code = code_for(
        &plugin,
        &public,
        ALICE,
        &format!("&code_challenge={}&code_challenge_method=S256", challenge(VERIFIER)),
    );
    let form = |verifier: &str| {
        format!("grant_type=authorization_code&code={code}&redirect_uri={CALLBACK}&client_id={}&code_verifier={verifier}", public.id)
    };
    let with_secret = token_request(&plugin, &format!("{}&client_secret=x", form(VERIFIER)), None);
    assert_eq!((with_secret.status, with_secret.body["error"].as_str()), (401, Some("invalid_client")));
    let wrong = token_request(&plugin, &form(&VERIFIER.replace('d', "e")), None);
    assert_eq!(wrong.body["error"], "invalid_grant");
    let reply = token_request(&plugin, &form(VERIFIER), None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.get("refresh_token").is_none(), "public clients get no refresh token");
}

#[test]
fn pkce_is_enforced_for_confidential_clients_that_use_it() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let code = code_for(
        &plugin,
        &client,
        ALICE,
        &format!("&code_challenge={}&code_challenge_method=S256", challenge(VERIFIER)),
    );
    let reply = exchange(&plugin, &client, &code);
    assert_eq!(reply.body["error"], "invalid_grant", "verifier missing");
    // A verifier for a code issued without a challenge is refused too.
    let plain_code = code_for(&plugin, &client, ALICE, "");
    let form = format!(
        "grant_type=authorization_code&code={plain_code}&redirect_uri={CALLBACK}&code_verifier={VERIFIER}"
    );
    let reply = token_request(&plugin, &form, Some((&client.id, &client.secret)));
    assert_eq!(reply.body["error"], "invalid_grant");
}
