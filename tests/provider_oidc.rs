//! OpenID Connect on the in-memory host: the scope rule, ID tokens (claims, signature, nonce,
//! at_hash, refresh), UserInfo, narrow tokens and the chat API, the signing keys and their rotation,
//! and the discovery document.

use crate::common;
use crate::common::test;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::oidc::*;
use common::provider::*;
use common::*;
use oauth_plugin::host::Host;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[test]
fn the_scope_rule_decides_what_a_token_may_do() {
    let (plugin, client) = setup();
    // (asked, granted, an ID token, the chat API)
    let table = [
        ("", "user", false, true),
        ("user", "user", false, true),
        ("read write", "user", false, true),
        ("openid", "openid", true, false),
        ("openid profile email", "openid profile email", true, false),
        ("openid user", "user openid", true, true),
        ("openid files:read", "user openid", true, true),
        ("profile", "profile", false, false),
    ];
    for (asked, granted, id_token, api) in table {
        let tokens = tokens_for(&plugin, &client, CAROL, asked, "");
        assert_eq!(tokens["scope"], granted, "{asked:?}");
        assert_eq!(tokens["id_token"].is_string(), id_token, "{asked:?}");
        let info = token_info(&plugin, tokens["access_token"].as_str().unwrap());
        assert_eq!(info.scope, granted);
        assert_eq!(info.api_access, api, "{asked:?}");
        // Introspection says the same scope.
        let form = format!(
            "token={}&client_id={}&client_secret={}",
            tokens["access_token"].as_str().unwrap(),
            client.id,
            client.secret
        );
        assert_eq!(form_post(&plugin, "/oauth/introspect", &form).body["scope"], granted);
    }
}

#[test]
fn id_tokens_carry_the_claims_signed_with_the_published_key() {
    let (plugin, client) = setup();
    let login_at = plugin.host().now_millis() - 60_000;
    let query = code_query(&client, "&scope=openid%20profile%20email&nonce=n-0S6_WzA2Mj");
    let page = authorize_as(&plugin, Some(CAROL), &query, login_at);
    assert_eq!(page.status, 200);
    let request = json!({"client_id": client.id, "response_type": "code", "redirect_uri": CALLBACK,
        "state": "xyz", "scope": "openid profile email", "nonce": "n-0S6_WzA2Mj"});
    let code = query_param(&allow(&plugin, CAROL, request, login_at), "code").unwrap();
    let tokens = exchange(&plugin, &client, &code).body;
    let claims = verified_claims(&plugin, tokens["id_token"].as_str().unwrap(), &client.id);
    let now = plugin.host().now_millis() / 1000;
    let access = tokens["access_token"].as_str().unwrap();
    let half = &Sha256::digest(access.as_bytes())[..16];
    assert_eq!(
        claims,
        json!({
            "iss": SITE, "sub": CAROL, "aud": client.id, "azp": client.id,
            "iat": now, "exp": now + 3600, "auth_time": login_at / 1000,
            "nonce": "n-0S6_WzA2Mj", "at_hash": URL_SAFE_NO_PAD.encode(half),
            "preferred_username": "carol", "name": "Carol Danvers", "given_name": "Carol",
            "family_name": "Danvers", "nickname": "cap",
            "email": "carol@example.com", "email_verified": true,
        })
    );
    // openid alone: no profile or email claims, and no nonce when none was sent.
    let tokens = tokens_for(&plugin, &client, CAROL, "openid", "");
    let claims = verified_claims(&plugin, tokens["id_token"].as_str().unwrap(), &client.id);
    for absent in ["nonce", "email", "preferred_username", "name"] {
        assert!(claims.get(absent).is_none(), "{absent} in {claims}");
    }
}

#[test]
fn a_refresh_returns_a_new_id_token_without_the_nonce() {
    let (plugin, client) = setup();
    let tokens = tokens_for(&plugin, &client, CAROL, "openid email", "&nonce=abc");
    let first = verified_claims(&plugin, tokens["id_token"].as_str().unwrap(), &client.id);
    assert_eq!(first["nonce"], "abc");
    plugin.host().advance_seconds(120);
    let refreshed = refresh(&plugin, &client, tokens["refresh_token"].as_str().unwrap()).body;
    assert_eq!(refreshed["scope"], "openid email");
    let access = refreshed["access_token"].as_str().unwrap();
    let claims = verified_claims(&plugin, refreshed["id_token"].as_str().unwrap(), &client.id);
    assert!(claims.get("nonce").is_none(), "{claims}");
    assert_eq!(claims["sub"], CAROL);
    assert_eq!(claims["email"], "carol@example.com");
    assert_eq!(claims["iat"].as_i64().unwrap(), first["iat"].as_i64().unwrap() + 120);
    assert_eq!(claims["at_hash"], URL_SAFE_NO_PAD.encode(&Sha256::digest(access.as_bytes())[..16]));
    // A full-access grant's refresh has no ID token.
    let full = tokens_for(&plugin, &client, CAROL, "", "");
    assert!(refresh(&plugin, &client, full["refresh_token"].as_str().unwrap())
        .body
        .get("id_token")
        .is_none());
}

#[test]
fn userinfo_returns_the_claims_of_the_granted_scopes() {
    let (plugin, client) = setup();
    let token = |scope: &str| {
        tokens_for(&plugin, &client, CAROL, scope, "")["access_token"].as_str().unwrap().to_owned()
    };
    let openid = userinfo(&plugin, &token("openid"));
    assert_eq!(openid.status, 200);
    assert_eq!(openid.body, json!({"sub": CAROL}));
    assert_eq!(openid.response.header("Cache-Control"), Some("no-store"));
    assert_eq!(openid.response.header("Access-Control-Allow-Origin"), Some("*"));
    let all = userinfo(&plugin, &token("openid profile email"));
    assert_eq!(all.body["email"], "carol@example.com");
    assert_eq!(all.body["email_verified"], true);
    assert_eq!(all.body["preferred_username"], "carol");
    let email = userinfo(&plugin, &token("openid email"));
    assert!(email.body.get("name").is_none() && email.body["email"].is_string());

    // POST with the token in the form body (RFC 6750 §2.2).
    let mut post = form_request("/oauth/userinfo", &format!("access_token={}", token("openid profile")));
    post.request_id = "t".into();
    let reply = reply_to(&plugin, post);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["name"], "Carol Danvers");
}

#[test]
fn userinfo_errors_follow_rfc_6750() {
    let (plugin, client) = setup();
    let full = tokens_for(&plugin, &client, CAROL, "", "")["access_token"].as_str().unwrap().to_owned();
    let narrow =
        tokens_for(&plugin, &client, CAROL, "openid", "")["access_token"].as_str().unwrap().to_owned();
    let challenge = |reply: &Reply| reply.response.header("WWW-Authenticate").unwrap_or("").to_owned();

    let none = send(&plugin, "GET", "/oauth/userinfo", None, "");
    assert_eq!((none.status, challenge(&none).as_str()), (401, "Bearer"));
    let bad = userinfo(&plugin, "not-a-token");
    assert_eq!(bad.status, 401);
    assert!(challenge(&bad).starts_with(r#"Bearer error="invalid_token""#), "{}", challenge(&bad));
    let no_openid = userinfo(&plugin, &full);
    assert_eq!(no_openid.status, 403);
    assert!(challenge(&no_openid).contains(r#"error="insufficient_scope""#));
    assert!(challenge(&no_openid).contains(r#"scope="openid""#));
    // Two methods at once (RFC 6750 §2).
    let mut both = form_request("/oauth/userinfo", &format!("access_token={narrow}"));
    both.headers.insert("authorization".into(), format!("Bearer {narrow}"));
    let reply = reply_to(&plugin, both);
    assert_eq!(reply.status, 400);
    assert_eq!(reply.body["error"], "invalid_request");
    // An oversized body, and a revoked token.
    let huge = reply_to(&plugin, form_request("/oauth/userinfo", &"a".repeat(10_000)));
    assert_eq!(huge.status, 400);
    let form = format!("token={narrow}&client_id={}&client_secret={}", client.id, client.secret);
    assert_eq!(form_post(&plugin, "/oauth/revoke", &form).status, 200);
    assert_eq!(userinfo(&plugin, &narrow).status, 401);
}

#[test]
fn a_narrow_token_is_refused_by_the_api() {
    let (plugin, _) = setup();
    let callback = "https://app.example.com/cb";
    let app = create_app(
        &plugin,
        ADMIN,
        json!({"is_trusted": true, "mattermost_app_id": "jira", "callback_urls": [callback]}),
    );
    let client = Client {
        id: app["id"].as_str().unwrap().into(),
        secret: app["client_secret"].as_str().unwrap().into(),
    };
    let query = format!("response_type=code&client_id={}&redirect_uri={callback}&scope=openid", client.id);
    let code = query_param(&location(&authorize(&plugin, Some(ALICE), &query)), "code").unwrap();
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={callback}&client_id={}&client_secret={}",
        client.id, client.secret
    );
    let token = token_request(&plugin, &form, None).body["access_token"].as_str().unwrap().to_owned();
    assert!(!token_info(&plugin, &token).api_access);
    // The app OAuth2 store's API takes only full-access tokens as app sessions.
    let reply = send_as_app(&plugin, "GET", "/plugins/oauth-plugin/api/v1/oauth2/user", &token, "");
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert_eq!(reply.body["id"], "api.context.insufficient_scope.app_error");
}

#[test]
fn rotation_keeps_the_previous_key_until_its_tokens_expire() {
    let (plugin, client) = setup();
    let reply = send(&plugin, "GET", "/oauth/jwks", None, "");
    assert_eq!(reply.response.header("Access-Control-Allow-Origin"), Some("*"));
    let key = &reply.body["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["alg"].as_str(), key["use"].as_str()),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );
    assert!(key.get("d").is_none() && key.get("p").is_none(), "no private part: {key}");
    let first = kids(&plugin);
    assert_eq!(first.len(), 1);
    let old_token =
        tokens_for(&plugin, &client, CAROL, "openid", "")["id_token"].as_str().unwrap().to_owned();

    let path = "/plugins/oauth-plugin/api/v1/signing_keys/rotate";
    assert_eq!(send(&plugin, "POST", path, Some(ALICE), "").status, 403);
    assert_eq!(send(&plugin, "POST", path, None, "").status, 401);
    let rotated = send(&plugin, "POST", path, Some(ADMIN), "");
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new_kid = rotated.body["kid"].as_str().unwrap().to_owned();
    assert_eq!(kids(&plugin), vec![new_kid.clone(), first[0].clone()]);
    // New tokens are signed with the new key; the old one still verifies.
    let new_token =
        tokens_for(&plugin, &client, CAROL, "openid", "")["id_token"].as_str().unwrap().to_owned();
    assert_eq!(jwt_header(&new_token)["kid"], new_kid.as_str());
    verified_claims(&plugin, &old_token, &client.id);

    // Signed tokens (ID tokens, JWT access tokens) live an hour at most: the old key stays so long.
    plugin.host().advance_seconds(3599);
    assert_eq!(kids(&plugin).len(), 2);
    plugin.host().advance_seconds(2);
    assert_eq!(kids(&plugin), vec![new_kid.clone()]);
    let again = send(&plugin, "POST", path, Some(ADMIN), "").body["kid"].as_str().unwrap().to_owned();
    assert_eq!(kids(&plugin), vec![again, new_kid], "the expired key is dropped from the ring");
}

#[test]
fn private_keys_are_sealed_at_rest() {
    let (plugin, _) = setup();
    let dump = plugin.host().dump();
    let (_, ring) = dump.iter().find(|(k, _)| k == "sk:ring").expect("a key ring");
    assert!(ring.starts_with(b"enc1:"), "sealed");
    for (key, value) in &dump {
        let text = String::from_utf8_lossy(value);
        // A PKCS #8 key in clear is a JSON string starting "MII"; sealed values are base64 text, in
        // which "MII" alone turns up now and then by chance but a quote never does.
        assert!(!text.contains("private_pkcs8") && !text.contains("\"MII"), "{key} holds a key in clear");
    }
    // Another activation keeps the key.
    let kid = kids(&plugin);
    crate::common::block_on(plugin.on_activate()).unwrap();
    assert_eq!(kids(&plugin), kid);
}

/// A key ring as versions that made their keys in the plugin stored it: each key's private half
/// only, named by the thumbprint of its public half.
fn legacy_ring(
    plugin: &oauth_plugin::Plugin<oauth_plugin::host::memory::MemoryHost>,
) -> (String, rsa::RsaPrivateKey) {
    use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
    use rsa::traits::PublicKeyParts;
    let made = crate::common::block_on(plugin.host().generate_signing_key()).unwrap();
    let private = rsa::RsaPrivateKey::from_pkcs8_der(&made.private_pkcs8).unwrap();
    let (n, e) = (
        URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
        URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
    );
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#)));
    let der = private.to_pkcs8_der().unwrap();
    let ring = json!({"v": 1, "keys": [{"kid": kid, "created_at": 1, "private_pkcs8": URL_SAFE_NO_PAD.encode(der.as_bytes())}]});
    let at_rest = crate::common::block_on(plugin.host().at_rest_key()).unwrap();
    let sealed = oauth_plugin::crypto::Sealer::from_host_key(&at_rest)
        .unwrap()
        .seal("sk:ring", ring.to_string().as_bytes());
    plugin.host().put_raw("sk:ring", &sealed);
    (kid, private)
}

#[test]
fn a_key_ring_stored_before_the_host_signed_still_signs_and_is_published() {
    use rsa::traits::PublicKeyParts;
    let (plugin, client) = setup();
    let (kid, private) = legacy_ring(&plugin);
    plugin.host().take_calls();
    let published = send(&plugin, "GET", "/oauth/jwks", None, "").body;
    assert_eq!(published["keys"].as_array().unwrap().len(), 1, "{published}");
    let key = &published["keys"][0];
    assert_eq!(key["kid"], kid.as_str());
    assert_eq!(key["n"], URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()).as_str());
    assert_eq!(key["e"], "AQAB");
    assert!(plugin.host().take_calls().contains(&"signing_public_key ".to_owned()), "the host derived it");
    // Tokens are signed with it, and verify against what is published.
    let id_token = tokens_for(&plugin, &client, CAROL, "openid", "")["id_token"].as_str().unwrap().to_owned();
    assert_eq!(jwt_header(&id_token)["kid"], kid.as_str());
    verified_claims(&plugin, &id_token, &client.id);
    // A rotation keeps it published beside the new key, which is stored with its public half.
    let rotated = send(&plugin, "POST", "/plugins/oauth-plugin/api/v1/signing_keys/rotate", Some(ADMIN), "");
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    assert_eq!(kids(&plugin), vec![rotated.body["kid"].as_str().unwrap().to_owned(), kid]);
    verified_claims(&plugin, &id_token, &client.id);
}

#[test]
fn a_signing_key_comes_from_the_host_and_signing_is_the_hosts() {
    let (plugin, client) = setup();
    // The first activation had the host make the key; a later one keeps it.
    let made = |calls: Vec<String>| calls.iter().filter(|c| c.starts_with("generate_signing_key")).count();
    assert_eq!(made(plugin.host().take_calls()), 1);
    crate::common::block_on(plugin.on_activate()).unwrap();
    assert_eq!(made(plugin.host().take_calls()), 0);
    let key = &send(&plugin, "GET", "/oauth/jwks", None, "").body["keys"][0];
    assert_eq!(key["e"], "AQAB");
    assert_eq!(URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap().len(), 256, "2048 bits");
    plugin.host().take_calls();
    tokens_for(&plugin, &client, CAROL, "openid", "");
    let calls = plugin.host().take_calls();
    assert_eq!(calls.iter().filter(|c| c.starts_with("sign_rs256")).count(), 1, "{calls:?}");
    // Publishing a key made through the host needs no host call for its public half.
    send(&plugin, "GET", "/oauth/jwks", None, "");
    assert!(!plugin.host().take_calls().iter().any(|c| c.starts_with("signing_public_key")));
}

#[test]
fn discovery_describes_the_provider() {
    let (plugin, _) = setup();
    let doc = send(&plugin, "GET", "/.well-known/openid-configuration", None, "");
    assert_eq!(doc.status, 200);
    assert_eq!(doc.response.header("Access-Control-Allow-Origin"), Some("*"));
    let body = &doc.body;
    assert_eq!(body["issuer"], SITE);
    assert_eq!(body["jwks_uri"], format!("{SITE}/oauth/jwks"));
    assert_eq!(body["userinfo_endpoint"], format!("{SITE}/oauth/userinfo"));
    assert_eq!(body["scopes_supported"], json!(["openid", "profile", "email", "user"]));
    assert_eq!(body["subject_types_supported"], json!(["public"]));
    assert_eq!(body["id_token_signing_alg_values_supported"], json!(["RS256"]));
    assert_eq!(body["prompt_values_supported"], json!(["none", "login", "consent"]));
    assert!(body["claims_supported"].as_array().unwrap().contains(&json!("email_verified")));
    assert_eq!(body["request_uri_parameter_supported"], false);
    // One document: RFC 8414's is the same, also under the issuer's path.
    let rfc8414 = send(&plugin, "GET", "/.well-known/oauth-authorization-server", None, "").body;
    assert_eq!(&rfc8414, body);
    assert_eq!(&send(&plugin, "GET", "/.well-known/openid-configuration/x", None, "").body, body);
    configure(&plugin, r#"{"EnableOAuthServiceProvider":false}"#);
    for path in ["/.well-known/openid-configuration", "/oauth/jwks", "/oauth/userinfo"] {
        assert_eq!(send(&plugin, "GET", path, None, "").status, 501, "{path}");
    }
}

#[test]
fn records_written_before_openid_connect_still_read() {
    let (plugin, client) = setup();
    let tokens = tokens_for(&plugin, &client, CAROL, "", "");
    // Drop the new fields from the stored grant, as an earlier version wrote it.
    let (key, value) = plugin.host().dump().into_iter().find(|(k, _)| k.starts_with("grant:")).unwrap();
    let mut grant: Value = serde_json::from_slice(&value).unwrap();
    grant.as_object_mut().unwrap().remove("auth_time");
    plugin.host().put_raw(&key, grant.to_string().as_bytes());
    assert!(token_info(&plugin, tokens["access_token"].as_str().unwrap()).api_access);
}
