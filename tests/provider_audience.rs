//! Resource indicators (RFC 8707) and the bearer challenge (RFC 9728 §5.1, RFC 6750 §3) on the
//! in-memory host: which resources a grant and its tokens are for, and what a 401 tells a client.

use crate::common;
use crate::common::test;

use common::provider::*;
use common::*;
use serde_json::{json, Value};

const SITE_ENCODED: &str = "https%3A%2F%2Fchat.example.com";

fn exchange_with(
    plugin: &oauth_plugin::Plugin<oauth_plugin::host::memory::MemoryHost>,
    client: &Client,
    code: &str,
    extra: &str,
) -> Reply {
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={CALLBACK}&client_id={}&client_secret={}{extra}",
        client.id, client.secret
    );
    token_request(plugin, &form, None)
}

fn introspect(
    plugin: &oauth_plugin::Plugin<oauth_plugin::host::memory::MemoryHost>,
    client: &Client,
    token: &str,
) -> Value {
    let form = format!("token={token}&client_id={}&client_secret={}", client.id, client.secret);
    form_post(plugin, "/oauth/introspect", &form).body
}

#[test]
fn a_request_that_names_no_resource_works_as_before() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let code = code_for(&plugin, &client, ALICE, "");
    let tokens = exchange(&plugin, &client, &code).body;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(user_of(&plugin, access).as_deref(), Some(ALICE));
    let introspection = introspect(&plugin, &client, access);
    assert_eq!(introspection["active"], true);
    assert!(introspection.get("aud").is_none(), "{introspection}");
}

#[test]
fn a_token_for_the_server_names_it_as_its_audience() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    // The server's identifier, written with a trailing slash and twice: one audience entry.
    let code =
        code_for(&plugin, &client, ALICE, &format!("&resource={SITE_ENCODED}%2F&resource={SITE_ENCODED}"));
    let tokens = exchange_with(&plugin, &client, &code, &format!("&resource={SITE_ENCODED}")).body;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(user_of(&plugin, access).as_deref(), Some(ALICE));
    assert_eq!(introspect(&plugin, &client, access)["aud"], json!([SITE]));
}

#[test]
fn an_unknown_resource_is_invalid_target_and_issues_nothing() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    for resource in
        ["https%3A%2F%2Fother.example.com", "https%3A%2F%2Fchat.example.com.evil.com", "%2Fapi%2Fv4"]
    {
        let query = format!(
            "response_type=code&client_id={}&redirect_uri={CALLBACK}&state=s&resource={resource}",
            client.id
        );
        let url = location(&authorize(&plugin, Some(ALICE), &query));
        assert_eq!(query_param(&url, "error").as_deref(), Some("invalid_target"), "{resource}");
        assert_eq!(query_param(&url, "code"), None);
    }
    let too_many = format!("&resource={SITE_ENCODED}").repeat(11);
    let query = format!("response_type=code&client_id={}&redirect_uri={CALLBACK}{too_many}", client.id);
    let url = location(&authorize(&plugin, Some(ALICE), &query));
    assert_eq!(query_param(&url, "error").as_deref(), Some("invalid_target"));
}

#[test]
fn the_token_request_cannot_widen_the_authorization_and_a_refusal_keeps_the_code() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let code = code_for(&plugin, &client, ALICE, &format!("&resource={SITE_ENCODED}"));
    for (resource, error) in [
        ("https%3A%2F%2Fother.example.com", "invalid_target"),
        ("not%20a%20uri", "invalid_target"),
        ("https%3A%2F%2Fchat.example.com%2F%23x", "invalid_target"),
    ] {
        let reply = exchange_with(&plugin, &client, &code, &format!("&resource={resource}"));
        assert_eq!((reply.status, reply.body["error"].as_str()), (400, Some(error)), "{resource}");
    }
    // Nothing was used up: the code still works, once.
    let reply = exchange(&plugin, &client, &code);
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[test]
fn a_refresh_may_name_what_was_granted_and_nothing_else() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let code = code_for(&plugin, &client, ALICE, &format!("&resource={SITE_ENCODED}"));
    let refresh_token = exchange(&plugin, &client, &code).body["refresh_token"].as_str().unwrap().to_owned();
    let form = format!(
        "grant_type=refresh_token&refresh_token={refresh_token}&resource=https%3A%2F%2Fother.example.com"
    );
    let refused = token_request(&plugin, &form, Some((&client.id, &client.secret)));
    assert_eq!(refused.body["error"], "invalid_target");
    // The refused refresh changed nothing: the same refresh token still rotates.
    let form = format!("grant_type=refresh_token&refresh_token={refresh_token}&resource={SITE_ENCODED}");
    let rotated = token_request(&plugin, &form, Some((&client.id, &client.secret)));
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let access = rotated.body["access_token"].as_str().unwrap();
    assert_eq!(introspect(&plugin, &client, access)["aud"], json!([SITE]));
}

#[test]
fn a_grant_without_an_audience_cannot_be_refreshed_into_one_for_another_resource() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let code = code_for(&plugin, &client, ALICE, "");
    let refresh_token = exchange(&plugin, &client, &code).body["refresh_token"].as_str().unwrap().to_owned();
    let form = format!(
        "grant_type=refresh_token&refresh_token={refresh_token}&resource=https%3A%2F%2Fother.example.com"
    );
    assert_eq!(
        token_request(&plugin, &form, Some((&client.id, &client.secret))).body["error"],
        "invalid_target"
    );
}

#[test]
fn a_repeated_parameter_other_than_resource_is_still_refused() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    let code = code_for(&plugin, &client, ALICE, "");
    let reply = exchange_with(&plugin, &client, &code, "&code_verifier=a&code_verifier=b");
    assert_eq!(reply.body["error"], "invalid_request");
}

#[test]
fn a_401_of_the_api_says_where_to_get_a_token() {
    let plugin = plugin();
    let challenge =
        r#"Bearer resource_metadata="https://chat.example.com/.well-known/oauth-protected-resource""#;
    let reply = send(&plugin, "GET", "/api/v4/oauth/apps", None, "");
    assert_eq!(reply.status, 401);
    assert_eq!(reply.response.header("WWW-Authenticate"), Some(challenge));
    let reply = send_as_app(&plugin, "GET", "/api/v4/oauth/apps", "not-a-token", "");
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.response.header("WWW-Authenticate"),
        Some(
            r#"Bearer error="invalid_token", resource_metadata="https://chat.example.com/.well-known/oauth-protected-resource""#
        )
    );
    assert_eq!(plugin.bearer_challenge(false).as_deref(), Some(challenge));
}

#[test]
fn the_challenge_points_at_the_path_inserted_metadata_and_is_absent_while_the_provider_is_off() {
    let plugin = plugin();
    let config = json!({"ServiceSettings": {"SiteURL": "https://chat.example.com/team/", "EnableOAuthServiceProvider": true}});
    plugin.on_configuration_change(config.to_string().as_bytes()).unwrap();
    assert_eq!(
        plugin.bearer_challenge(true).as_deref(),
        Some(
            r#"Bearer error="invalid_token", resource_metadata="https://chat.example.com/.well-known/oauth-protected-resource/team""#
        )
    );
    configure(&plugin, r#"{"EnableOAuthServiceProvider":false}"#);
    assert_eq!(plugin.bearer_challenge(true), None);
    let reply = send(&plugin, "GET", "/api/v4/oauth/apps", None, "");
    assert_eq!(reply.response.header("WWW-Authenticate"), None);
}

/// A registered protected resource (an MCP server beside the chat server); returns its id and secret.
fn register_resource(
    plugin: &oauth_plugin::Plugin<oauth_plugin::host::memory::MemoryHost>,
) -> (String, String) {
    let body =
        json!({"identifier": "https://mcp.example.com/mcp", "name": "Docs MCP", "scopes": ["docs:read"]});
    let reply =
        send(plugin, "POST", "/plugins/oauth-plugin/api/v1/resources", Some(ADMIN), &body.to_string());
    assert_eq!(reply.status, 201, "{}", reply.body);
    (reply.body["id"].as_str().unwrap().to_owned(), reply.body["client_secret"].as_str().unwrap().to_owned())
}

const MCP_ENCODED: &str = "https%3A%2F%2Fmcp.example.com%2Fmcp";

fn introspect_as(
    plugin: &oauth_plugin::Plugin<oauth_plugin::host::memory::MemoryHost>,
    id: &str,
    secret: &str,
    token: &str,
) -> Value {
    form_post(plugin, "/oauth/introspect", &format!("token={token}&client_id={id}&client_secret={secret}"))
        .body
}

#[test]
fn a_token_for_a_registered_resource_is_refused_by_the_chat_api_and_known_only_to_that_resource() {
    let plugin = plugin();
    let (resource_id, resource_secret) = register_resource(&plugin);
    let client = client(&plugin, json!({"is_trusted": true}));
    let code = code_for(&plugin, &client, ALICE, &format!("&resource={MCP_ENCODED}&scope=docs%3Aread"));
    let tokens = exchange(&plugin, &client, &code).body;
    assert_eq!(tokens["scope"], "docs:read", "the resource's scope is granted as asked: {tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(user_of(&plugin, access), None, "a token for another resource is not the chat API's");
    let seen = introspect_as(&plugin, &resource_id, &resource_secret, access);
    assert_eq!(
        (seen["active"].clone(), seen["aud"].clone()),
        (json!(true), json!(["https://mcp.example.com/mcp"]))
    );
    // The client that holds the token still learns about it; a wrong resource secret learns nothing.
    assert_eq!(introspect(&plugin, &client, access)["active"], true);
    let wrong = form_post(
        &plugin,
        "/oauth/introspect",
        &format!("token={access}&client_id={resource_id}&client_secret=nope"),
    );
    assert_eq!(wrong.status, 401);
    // A chat API token is not the resource's to see.
    let code = code_for(&plugin, &client, BOB, "");
    let chat_token = exchange(&plugin, &client, &code).body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(user_of(&plugin, &chat_token).as_deref(), Some(BOB));
    assert_eq!(introspect_as(&plugin, &resource_id, &resource_secret, &chat_token), json!({"active": false}));
}

#[test]
fn a_grant_for_the_server_and_a_resource_narrows_per_token() {
    let plugin = plugin();
    let (resource_id, resource_secret) = register_resource(&plugin);
    let client = client(&plugin, json!({"is_trusted": true}));
    let code = code_for(&plugin, &client, ALICE, &format!("&resource={MCP_ENCODED}&resource={SITE_ENCODED}"));
    let tokens = exchange_with(&plugin, &client, &code, &format!("&resource={MCP_ENCODED}")).body;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(user_of(&plugin, access), None, "narrowed to the resource alone");
    assert_eq!(introspect_as(&plugin, &resource_id, &resource_secret, access)["active"], true);
    let form = format!(
        "grant_type=refresh_token&refresh_token={}&resource={SITE_ENCODED}",
        tokens["refresh_token"].as_str().unwrap()
    );
    let refreshed = token_request(&plugin, &form, Some((&client.id, &client.secret))).body;
    let chat_token = refreshed["access_token"].as_str().unwrap();
    assert_eq!(
        user_of(&plugin, chat_token).as_deref(),
        Some(ALICE),
        "the refresh names the server, which was granted"
    );
    assert_eq!(introspect_as(&plugin, &resource_id, &resource_secret, chat_token), json!({"active": false}));
}

fn page_text(reply: &Reply) -> String {
    String::from_utf8(reply.response.body.clone()).unwrap()
}

#[test]
fn consent_names_the_resources_and_an_approval_covers_only_those_it_named() {
    let plugin = plugin();
    register_resource(&plugin);
    let client = client(&plugin, json!({}));
    let query = |extra: &str| {
        format!("response_type=code&client_id={}&redirect_uri={CALLBACK}&state=xyz{extra}", client.id)
    };
    code_for(&plugin, &client, ALICE, "");
    assert_eq!(authorize(&plugin, Some(ALICE), &query("")).status, 302, "the chat API was approved");

    // The same app and scope, now for the MCP server: approving the chat API did not approve that.
    let for_mcp = format!("&resource={MCP_ENCODED}");
    let reply = authorize(&plugin, Some(ALICE), &query(&for_mcp));
    assert_eq!(reply.status, 200, "consent is asked again");
    let page = page_text(&reply);
    assert!(page.contains("will be able to act on your behalf"), "{page}");
    assert!(page.contains("Its access is limited to:"), "{page}");
    assert!(
        page.contains("<strong>Docs MCP</strong> <span class=\"muted\">https://mcp.example.com/mcp</span>")
    );
    let silent = location(&authorize(&plugin, Some(ALICE), &query(&format!("{for_mcp}&prompt=none"))));
    assert_eq!(query_param(&silent, "error").as_deref(), Some("consent_required"));

    code_for(&plugin, &client, ALICE, &for_mcp);
    assert_eq!(authorize(&plugin, Some(ALICE), &query(&for_mcp)).status, 302, "now it was approved");
    assert_eq!(
        authorize(&plugin, Some(ALICE), &query("")).status,
        200,
        "and the chat API alone is asked again"
    );

    // The resource's own scope is named as a permission; a request naming no resource lists none.
    let page = page_text(&authorize(&plugin, Some(BOB), &query(&format!("{for_mcp}&scope=docs%3Aread"))));
    assert!(page.contains("will be able to use the permissions <code>docs:read</code>."), "{page}");
    let page = page_text(&authorize(&plugin, Some(BOB), &query("")));
    assert!(!page.contains("Its access is limited to:"));
}
