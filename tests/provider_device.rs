//! The device authorization grant (RFC 8628) on the in-memory host: the device authorization
//! endpoint, the verification page and its decision, and polling the token endpoint.

use crate::common;
use crate::common::test;

use crate::common::block_on;
use common::provider::*;
use common::*;
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::host::User;
use oauth_plugin::http::Request;
use oauth_plugin::Plugin;
use serde_json::{json, Value};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A confidential app that opted into the device grant (and the code flow, as before).
fn device_client(plugin: &Plugin<MemoryHost>, fields: Value) -> Client {
    let mut all = json!({"grant_types": ["authorization_code", "refresh_token", DEVICE_GRANT]});
    for (k, v) in fields.as_object().unwrap() {
        all[k] = v.clone();
    }
    client(plugin, all)
}

fn credentials(client: &Client) -> String {
    if client.secret.is_empty() {
        format!("client_id={}", client.id)
    } else {
        format!("client_id={}&client_secret={}", client.id, client.secret)
    }
}

/// RFC 8628 §3.1.
fn start(plugin: &Plugin<MemoryHost>, client: &Client, extra: &str) -> Reply {
    form_post(plugin, "/oauth/device_authorization", &format!("{}{extra}", credentials(client)))
}

/// A started device authorization: (device_code, user_code).
fn started(plugin: &Plugin<MemoryHost>, client: &Client, extra: &str) -> (String, String) {
    let reply = start(plugin, client, extra);
    assert_eq!(reply.status, 200, "{}", reply.body);
    (reply.body["device_code"].as_str().unwrap().into(), reply.body["user_code"].as_str().unwrap().into())
}

/// RFC 8628 §3.4.
fn poll(plugin: &Plugin<MemoryHost>, client: &Client, device_code: &str) -> Reply {
    let form = format!("grant_type={DEVICE_GRANT}&device_code={device_code}&{}", credentials(client));
    token_request(plugin, &form, None)
}

fn page(plugin: &Plugin<MemoryHost>, user: &str, typed: &str) -> (u16, String) {
    let query: String =
        url::form_urlencoded::Serializer::new(String::new()).append_pair("user_code", typed).finish();
    let reply = send(plugin, "GET", &format!("/oauth/device?{query}"), Some(user), "");
    (reply.status, String::from_utf8(reply.response.body).unwrap())
}

fn decide_device(plugin: &Plugin<MemoryHost>, user: &str, user_code: &str, approve: bool) -> Reply {
    let body = json!({"user_code": user_code, "approve": approve}).to_string();
    send(plugin, "POST", "/oauth/device", Some(user), &body)
}

fn approve(plugin: &Plugin<MemoryHost>, user: &str, user_code: &str) {
    let reply = decide_device(plugin, user, user_code, true);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["redirect"], format!("{SITE}/oauth/device?result=approved"));
}

fn authorized_apps(plugin: &Plugin<MemoryHost>, user: &str) -> Vec<String> {
    let listed = send(plugin, "GET", &format!("/api/v4/users/{user}/oauth/apps/authorized"), Some(user), "");
    listed.body.as_array().unwrap().iter().map(|app| app["id"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn the_device_authorization_response_is_rfc_8628s() {
    let plugin = plugin();
    let client = device_client(&plugin, json!({}));
    let reply = start(&plugin, &client, "&scope=openid");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.response.header("Cache-Control"), Some("no-store"));
    let body = &reply.body;
    let user_code = body["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert!(user_code.replace('-', "").bytes().all(|b| b"BCDFGHJKLMNPQRSTVWXZ".contains(&b)), "{user_code}");
    assert!(body["device_code"].as_str().unwrap().len() >= 43);
    assert_eq!(body["verification_uri"], format!("{SITE}/oauth/device"));
    assert_eq!(body["verification_uri_complete"], format!("{SITE}/oauth/device?user_code={user_code}"));
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["interval"], 5);
    // Secrets are stored hashed only.
    let stored = format!("{:?}", plugin.host().dump());
    assert!(!stored.contains(body["device_code"].as_str().unwrap()));
    assert!(!stored.contains(user_code) && !stored.contains(&user_code.replace('-', "")));
}

#[test]
fn approval_gives_the_code_flows_tokens_once() {
    let plugin = plugin();
    let client = device_client(&plugin, json!({}));
    let (device_code, user_code) = started(&plugin, &client, "&scope=openid");
    assert_eq!(poll(&plugin, &client, &device_code).body["error"], "authorization_pending");
    let (status, html) = page(&plugin, ALICE, &user_code);
    assert_eq!(status, 200);
    assert!(html.contains("A device is asking for access"), "{html}");
    assert!(html.contains("Authorize Zapier?") && html.contains(&user_code));
    assert!(html.contains("fetch('/oauth/device'"));
    approve(&plugin, ALICE, &user_code);
    let reply = poll(&plugin, &client, &device_code);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.response.header("Cache-Control"), Some("no-store"));
    let access = reply.body["access_token"].as_str().unwrap();
    assert_eq!(user_of(&plugin, access).as_deref(), Some(ALICE));
    assert!(reply.body["id_token"].is_string(), "openid asks for an ID token: {}", reply.body);
    assert_eq!(reply.body["scope"], "openid", "the code flow's scope rule");
    // The refresh token works as the code flow's does.
    let refreshed = refresh(&plugin, &client, reply.body["refresh_token"].as_str().unwrap());
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    // Once only; the tokens issued stay valid.
    let again = poll(&plugin, &client, &device_code);
    assert_eq!((again.status, again.body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(user_of(&plugin, refreshed.body["access_token"].as_str().unwrap()).as_deref(), Some(ALICE));
    // The user code is used up.
    assert_eq!(page(&plugin, ALICE, &user_code).0, 400);
    assert_eq!(authorized_apps(&plugin, ALICE), vec![client.id]);
}

#[test]
fn denial_is_access_denied_and_the_code_is_used_up() {
    let plugin = plugin();
    let client = device_client(&plugin, json!({}));
    let (device_code, user_code) = started(&plugin, &client, "");
    let reply = decide_device(&plugin, ALICE, &user_code, false);
    assert_eq!(reply.body["redirect"], format!("{SITE}/oauth/device?result=denied"));
    assert_eq!(poll(&plugin, &client, &device_code).body["error"], "access_denied");
    assert_eq!(decide_device(&plugin, ALICE, &user_code, true).status, 400);
    assert_eq!(poll(&plugin, &client, &device_code).body["error"], "access_denied");
    assert!(authorized_apps(&plugin, ALICE).is_empty());
}

#[test]
fn polling_too_fast_slows_down_by_five_seconds_each_time() {
    let plugin = plugin();
    let client = device_client(&plugin, json!({}));
    let (device_code, _) = started(&plugin, &client, "");
    let error = |plugin: &Plugin<MemoryHost>| poll(plugin, &client, &device_code).body["error"].clone();
    assert_eq!(error(&plugin), "authorization_pending");
    assert_eq!(error(&plugin), "slow_down");
    // The interval is 10 s now: 5 s later is still too fast, and makes it 15 s.
    plugin.host().advance_seconds(5);
    assert_eq!(error(&plugin), "slow_down");
    plugin.host().advance_seconds(14);
    assert_eq!(error(&plugin), "slow_down");
    plugin.host().advance_seconds(20);
    assert_eq!(error(&plugin), "authorization_pending");
    plugin.host().advance_seconds(20);
    assert_eq!(error(&plugin), "authorization_pending");
}

#[test]
fn device_codes_expire() {
    let plugin = plugin();
    let client = device_client(&plugin, json!({}));
    let (device_code, user_code) = started(&plugin, &client, "");
    plugin.host().advance_seconds(601);
    assert_eq!(poll(&plugin, &client, &device_code).body["error"], "expired_token");
    assert_eq!(page(&plugin, ALICE, &user_code).0, 400);
    assert_eq!(decide_device(&plugin, ALICE, &user_code, true).status, 400);
    // Approved, but polled too late.
    let (device_code, user_code) = started(&plugin, &client, "");
    approve(&plugin, ALICE, &user_code);
    plugin.host().advance_seconds(601);
    assert_eq!(poll(&plugin, &client, &device_code).body["error"], "expired_token");
}

#[test]
fn the_lifetime_and_interval_are_settings() {
    let plugin = plugin();
    let config = json!({
        "ServiceSettings": {"EnableOAuthServiceProvider": true, "SiteURL": SITE},
        "PluginSettings": {"devicecodelifetimeseconds": "30", "DevicePollingIntervalSeconds": 2},
    });
    plugin.on_configuration_change(config.to_string().as_bytes()).unwrap();
    let client = device_client(&plugin, json!({}));
    let reply = start(&plugin, &client, "");
    assert_eq!((reply.body["expires_in"].as_u64(), reply.body["interval"].as_u64()), (Some(30), Some(2)));
    let device_code = reply.body["device_code"].as_str().unwrap();
    assert_eq!(poll(&plugin, &client, device_code).body["error"], "authorization_pending");
    plugin.host().advance_seconds(2);
    assert_eq!(poll(&plugin, &client, device_code).body["error"], "authorization_pending");
    plugin.host().advance_seconds(29);
    assert_eq!(poll(&plugin, &client, device_code).body["error"], "expired_token");
}

#[test]
fn public_clients_use_the_device_flow_without_refresh_tokens() {
    let plugin = plugin();
    let client = device_client(&plugin, json!({"is_public": true}));
    assert!(client.secret.is_empty());
    let (device_code, user_code) = started(&plugin, &client, "");
    approve(&plugin, ALICE, &user_code);
    let reply = poll(&plugin, &client, &device_code);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body["refresh_token"].is_null());
    assert_eq!(user_of(&plugin, reply.body["access_token"].as_str().unwrap()).as_deref(), Some(ALICE));
}

#[test]
fn apps_opt_in_else_unauthorized_client() {
    let plugin = plugin();
    let plain = client(&plugin, json!({}));
    let reply = start(&plugin, &plain, "");
    assert_eq!((reply.status, reply.body["error"].as_str()), (400, Some("unauthorized_client")));
    // A device code of an app that opted in, presented by one that did not: refused the same way.
    let opted = device_client(&plugin, json!({}));
    let (device_code, _) = started(&plugin, &opted, "");
    assert_eq!(poll(&plugin, &plain, &device_code).body["error"], "unauthorized_client");
    // The REST API spells the grants out, and takes the device grant to opt in.
    let view = send(&plugin, "GET", &format!("/api/v4/oauth/apps/{}", plain.id), Some(ADMIN), "");
    assert_eq!(view.body["grant_types"], json!(["authorization_code", "implicit", "refresh_token"]));
    let mut edited = view.body.clone();
    edited["grant_types"] = json!(["authorization_code", "implicit", "refresh_token", DEVICE_GRANT]);
    let put =
        send(&plugin, "PUT", &format!("/api/v4/oauth/apps/{}", plain.id), Some(ADMIN), &edited.to_string());
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(start(&plugin, &plain, "").status, 200);
    // An update without grant_types (Mattermost's clients) keeps them.
    edited.as_object_mut().unwrap().remove("grant_types");
    edited["name"] = "Renamed".into();
    let put =
        send(&plugin, "PUT", &format!("/api/v4/oauth/apps/{}", plain.id), Some(ADMIN), &edited.to_string());
    assert_eq!(put.body["grant_types"][3], DEVICE_GRANT);
    // Opting out again.
    edited["grant_types"] = json!(["authorization_code", "refresh_token"]);
    send(&plugin, "PUT", &format!("/api/v4/oauth/apps/{}", plain.id), Some(ADMIN), &edited.to_string());
    assert_eq!(start(&plugin, &plain, "").body["error"], "unauthorized_client");
}

#[test]
fn grant_types_of_the_rest_api_are_checked() {
    let plugin = plugin();
    let create = |fields: Value| {
        let mut app = json!({"name": "Tool", "homepage": "https://tool.example.com"});
        for (k, v) in fields.as_object().unwrap() {
            app[k] = v.clone();
        }
        send(&plugin, "POST", "/api/v4/oauth/apps", Some(ADMIN), &app.to_string())
    };
    for bad in [json!(["password"]), json!([]), json!(["refresh_token"]), json!([DEVICE_GRANT, DEVICE_GRANT])]
    {
        let reply = create(json!({"grant_types": bad, "callback_urls": [CALLBACK]}));
        assert_eq!(reply.status, 400, "{bad}: {}", reply.body);
        assert_eq!(reply.body["id"], "model.oauth.is_valid.grant_types.app_error");
    }
    // A device-only app needs no callback URL; it gets refresh tokens as confidential apps do.
    let reply = create(json!({"grant_types": [DEVICE_GRANT]}));
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["grant_types"], json!([DEVICE_GRANT, "refresh_token"]));
    // ... and cannot use the authorization endpoint.
    let reply = create(json!({"grant_types": [DEVICE_GRANT], "callback_urls": [CALLBACK]}));
    let query = format!(
        "response_type=code&client_id={}&redirect_uri={CALLBACK}",
        reply.body["id"].as_str().unwrap()
    );
    let url = location(&authorize(&plugin, Some(ALICE), &query));
    assert_eq!(query_param(&url, "error").as_deref(), Some("unauthorized_client"));
    // Apps that use redirects still need a callback URL.
    assert_eq!(create(json!({"grant_types": ["authorization_code", DEVICE_GRANT]})).status, 400);
}

#[test]
fn bad_token_requests_get_rfc_errors_and_change_nothing() {
    let plugin = plugin();
    let client = device_client(&plugin, json!({}));
    let other = device_client(&plugin, json!({"name": "Other"}));
    let (device_code, user_code) = started(&plugin, &client, "");
    assert_eq!(poll(&plugin, &client, &device_code).body["error"], "authorization_pending");
    plugin.host().advance_seconds(5);
    let before = plugin.host().dump();
    let missing =
        token_request(&plugin, &format!("grant_type={DEVICE_GRANT}&{}", credentials(&client)), None);
    assert_eq!((missing.status, missing.body["error"].as_str()), (400, Some("invalid_request")));
    for code in ["nosuchcode", "", "%ff", &"x".repeat(5000)] {
        let reply = poll(&plugin, &client, code);
        assert!(reply.status == 400, "{code}: {}", reply.body);
        assert!(
            ["invalid_grant", "invalid_request"].contains(&reply.body["error"].as_str().unwrap()),
            "{}",
            reply.body
        );
    }
    // Another client's device code: unknown to it, whatever its state; and the device's own
    // polling schedule is untouched (a write would make the next poll too soon).
    let reply = poll(&plugin, &other, &device_code);
    assert_eq!((reply.status, reply.body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(plugin.host().dump(), before, "nothing stored");
    assert_eq!(poll(&plugin, &client, &device_code).body["error"], "authorization_pending");
    approve(&plugin, ALICE, &user_code);
    assert_eq!(poll(&plugin, &other, &device_code).body["error"], "invalid_grant");
    let reply = poll(&plugin, &client, &device_code);
    assert_eq!(reply.status, 200, "{}", reply.body);
    // A device request's client authentication is the token endpoint's.
    let reply = form_post(
        &plugin,
        "/oauth/device_authorization",
        &format!("client_id={}&client_secret=wrong", client.id),
    );
    assert_eq!((reply.status, reply.body["error"].as_str()), (401, Some("invalid_client")));
    let reply = form_post(&plugin, "/oauth/device_authorization", "");
    assert_eq!(reply.body["error"], "invalid_client");
    let reply = start(&plugin, &client, "&resource=https://unknown.example.com/");
    assert_eq!(reply.body["error"], "invalid_target");
    let reply = start(&plugin, &client, &format!("&scope={}", "a".repeat(200)));
    assert_eq!(reply.body["error"], "invalid_scope");
}

#[test]
fn user_codes_in_any_case_with_or_without_dashes_and_spaces() {
    let plugin = plugin();
    let client = device_client(&plugin, json!({}));
    let (_, user_code) = started(&plugin, &client, "");
    let bare = user_code.replace('-', "");
    for typed in [
        user_code.to_lowercase(),
        bare.clone(),
        format!(" {} {} ", &bare[..4], &bare[4..]),
        bare.to_lowercase(),
        format!("{}-{}", &bare[..2], &bare[2..]),
    ] {
        let (status, html) = page(&plugin, ALICE, &typed);
        assert_eq!(status, 200, "{typed:?}");
        assert!(html.contains(&user_code), "the page shows the code as the device does");
    }
    let before: Vec<_> = plugin.host().dump().into_iter().filter(|(k, _)| !k.starts_with("rl:")).collect();
    for typed in ["BCDF", "AEIO-UAEI", "😀😀😀😀-😀😀😀😀", "<script>", &"B".repeat(100), &format!("{bare}B")]
    {
        let (status, html) = page(&plugin, ALICE, typed);
        assert_eq!(status, 400, "{typed:?}");
        assert!(html.contains("That code is not valid"));
        assert!(!html.contains("<script>a") && !html.contains("value=\"<script>"), "escaped");
    }
    let after: Vec<_> = plugin.host().dump().into_iter().filter(|(k, _)| !k.starts_with("rl:")).collect();
    assert_eq!(after, before, "wrong codes change nothing but their count");
    // No code: the page asks for one.
    let reply = send(&plugin, "GET", "/oauth/device", Some(ALICE), "");
    assert_eq!(reply.status, 200);
    // A plain form to this server (it works before any script runs), and no framing.
    let csp = reply.response.header("Content-Security-Policy").unwrap();
    assert!(csp.contains("form-action 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(String::from_utf8(reply.response.body).unwrap().contains("Enter the code"));
    // Logged out: to the login page, and back with the code.
    let reply = send(&plugin, "GET", &format!("/oauth/device?user_code={user_code}"), None, "");
    assert_eq!(reply.status, 302);
    let login = reply.response.header("Location").unwrap();
    assert!(login.starts_with(&format!("{SITE}/login?redirect_to=")), "{login}");
    assert!(login.contains(&format!("user_code%3D{user_code}")), "{login}");
}

fn page_from(plugin: &Plugin<MemoryHost>, user: &str, addr: &str, typed: &str) -> u16 {
    let mut request = Request::new("GET", "/oauth/device");
    request.query = format!("user_code={typed}");
    request.user_id = Some(user.into());
    request.remote_addr = addr.into();
    block_on(plugin.serve_http(request)).status
}

#[test]
fn wrong_codes_are_limited_per_user_and_per_address() {
    let plugin = plugin();
    for id in ["carolcarolcarolcarolcarol1", "davedavedavedavedavedave11"] {
        plugin.host().add_user(User { id: id.into(), username: id[..4].into(), ..Default::default() });
    }
    let client = device_client(&plugin, json!({}));
    let (_, user_code) = started(&plugin, &client, "");
    for _ in 0..10 {
        assert_eq!(page_from(&plugin, ALICE, "198.51.100.1", "BBBB-BBBB"), 400);
    }
    // Alice is blocked, even with the right code, from any address; Bob is not.
    assert_eq!(page_from(&plugin, ALICE, "198.51.100.1", &user_code), 429);
    assert_eq!(page_from(&plugin, ALICE, "198.51.100.2", &user_code), 429);
    let reply = decide_device(&plugin, ALICE, &user_code, true);
    assert_eq!(reply.status, 429);
    assert!(reply.response.header("Retry-After").is_some());
    assert_eq!(page_from(&plugin, BOB, "198.51.100.1", &user_code), 200);
    // 30 wrong codes from one address block it for everyone there.
    for user in [BOB, ADMIN, "carolcarolcarolcarolcarol1"] {
        for _ in 0..10 {
            page_from(&plugin, user, "203.0.113.9", "BBBB-BBBB");
        }
    }
    assert_eq!(page_from(&plugin, "davedavedavedavedavedave11", "203.0.113.9", &user_code), 429);
    assert_eq!(page_from(&plugin, "davedavedavedavedavedave11", "198.51.100.3", &user_code), 200);
    // The window ends.
    plugin.host().advance_seconds(900);
    let (_, user_code) = started(&plugin, &client, "");
    assert_eq!(page_from(&plugin, ALICE, "203.0.113.9", &user_code), 200);
}

async_test! {
    async fn fifty_concurrent_polls_of_an_approved_request_give_one_token_response() {
        let plugin = plugin();
        let client = device_client(&plugin, json!({}));
        let (device_code, user_code) = started(&plugin, &client, "");
        approve(&plugin, ALICE, &user_code);
        let form = format!("grant_type={DEVICE_GRANT}&device_code={device_code}&{}", credentials(&client));
        let responses = concurrent_token_requests(&plugin, &form, 50).await;
        plugin.host().interleave(false);
        let winners: Vec<_> = responses.iter().filter(|r| r.status == 200).collect();
        assert_eq!(winners.len(), 1, "{:?}", responses.iter().map(|r| r.status).collect::<Vec<_>>());
        for response in responses.iter().filter(|r| r.status != 200) {
            let body: Value = serde_json::from_slice(&response.body).unwrap();
            assert_eq!((response.status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
        }
        let body: Value = serde_json::from_slice(&winners[0].body).unwrap();
        assert_eq!(user_of(&plugin, body["access_token"].as_str().unwrap()).as_deref(), Some(ALICE));
        let grants = plugin.host().dump().into_iter().filter(|(k, _)| k.starts_with("grant:")).count();
        assert_eq!(grants, 1, "the losers' grants are gone");
    }
}

#[test]
fn deauthorizing_revokes_device_tokens_and_approved_requests() {
    let plugin = plugin();
    let client = device_client(&plugin, json!({}));
    let (device_code, user_code) = started(&plugin, &client, "");
    approve(&plugin, ALICE, &user_code);
    let tokens = poll(&plugin, &client, &device_code).body;
    let (pending_code, pending_user_code) = started(&plugin, &client, "");
    approve(&plugin, ALICE, &pending_user_code);
    let body = json!({"client_id": client.id}).to_string();
    assert_eq!(send(&plugin, "POST", "/oauth/deauthorize", Some(ALICE), &body).status, 200);
    assert_eq!(user_of(&plugin, tokens["access_token"].as_str().unwrap()), None);
    assert_eq!(poll(&plugin, &client, &pending_code).body["error"], "invalid_grant");
    assert!(authorized_apps(&plugin, ALICE).is_empty());
}

#[test]
fn only_the_user_in_person_decides() {
    let plugin = plugin();
    let client = device_client(&plugin, json!({}));
    let (device_code, user_code) = started(&plugin, &client, "");
    let mut request = Request::new("POST", "/oauth/device");
    request.user_id = Some(ALICE.into());
    request.is_oauth_session = true;
    request.body = json!({"user_code": user_code}).to_string().into_bytes();
    assert_eq!(block_on(plugin.serve_http(request)).status, 403);
    assert_eq!(
        send(&plugin, "POST", "/oauth/device", None, &json!({"user_code": user_code}).to_string()).status,
        401
    );
    assert_eq!(poll(&plugin, &client, &device_code).body["error"], "authorization_pending");
}

#[test]
fn metadata_advertises_the_device_flow() {
    let plugin = plugin();
    for path in ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"] {
        let reply = send(&plugin, "GET", path, None, "");
        assert_eq!(reply.body["device_authorization_endpoint"], format!("{SITE}/oauth/device_authorization"));
        let grants = reply.body["grant_types_supported"].as_array().unwrap();
        assert!(grants.contains(&json!(DEVICE_GRANT)), "{grants:?}");
    }
}

#[test]
fn dynamic_registration_takes_the_device_grant_without_redirect_uris() {
    let plugin = plugin();
    configure(&plugin, r#"{"EnableOAuthServiceProvider":true,"EnableDynamicClientRegistration":true}"#);
    let register = |body: Value| {
        let mut request = Request::new("POST", "/api/v4/oauth/apps/register");
        request.body = body.to_string().into_bytes();
        reply_to(&plugin, request)
    };
    let reply = register(
        json!({"grant_types": [DEVICE_GRANT], "token_endpoint_auth_method": "none", "client_name": "CLI"}),
    );
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["grant_types"], json!([DEVICE_GRANT]));
    assert_eq!(reply.body["response_types"], json!([]));
    let client = Client { id: reply.body["client_id"].as_str().unwrap().into(), secret: String::new() };
    let (device_code, user_code) = started(&plugin, &client, "");
    approve(&plugin, ALICE, &user_code);
    assert_eq!(poll(&plugin, &client, &device_code).status, 200);
    // Without the grant, no device flow.
    let reply = register(json!({"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}));
    let client = Client { id: reply.body["client_id"].as_str().unwrap().into(), secret: String::new() };
    assert_eq!(start(&plugin, &client, "").body["error"], "unauthorized_client");
    // Redirect-based grants still need redirect URIs.
    assert_eq!(register(json!({"grant_types": ["authorization_code", DEVICE_GRANT]})).status, 400);
}
