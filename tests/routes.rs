//! What the route table decides, for each family of routes: 404 for a path no pattern matches, 405
//! with `Allow` for a pattern's other methods, 501 while the gate is off, 401 without a session,
//! 403 without the base permission; and that the server is told exactly the table's patterns.

use crate::common;
use crate::common::test;

use common::{configure, plugin, send, ADMIN, ALICE};
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::routes::{exported, table};

const CONNECTIONS: &str = "/api/v4/oauth/outgoing_connections";
const STORE: &str = "/plugins/oauth-plugin/api/v1/oauth2";
const ANY_ID: &str = "ybndrfg8ejkmcpqxot1uwisza3";

fn everything_on() -> oauth_plugin::Plugin<MemoryHost> {
    let plugin = plugin();
    configure(
        &plugin,
        r#"{"EnableOAuthServiceProvider":true,"EnableDynamicClientRegistration":true,"EnableOutgoingOAuthConnections":true}"#,
    );
    plugin
}

#[test]
fn a_path_no_pattern_matches_is_404() {
    let plugin = everything_on();
    for path in [
        "/oauth/nothing",
        "/oauth/authorize/",
        "/api/v4/oauth/apps/",
        &format!("/api/v4/oauth/apps/{ANY_ID}/secret"),
        "/api/v4/oauth/outgoing_connections/a/b",
        "/.well-known/oauth-authorization-server-other",
        "/plugins/oauth-plugin/apps/com.example.jira/oauth2/remote/other",
        "/plugins/oauth-plugin/apps/%3Cscript%3E/oauth2/remote/connect",
        &format!("{STORE}/nothing"),
    ] {
        let reply = send(&plugin, "GET", path, Some(ADMIN), "");
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.body["id"], "api.context.404.app_error", "{path}");
    }
}

#[test]
fn a_pattern_with_another_method_is_405_naming_the_patterns_methods() {
    let plugin = everything_on();
    for (method, path, allow) in [
        ("PATCH", "/api/v4/oauth/apps".to_owned(), "GET, POST"),
        ("POST", format!("/api/v4/oauth/apps/{ANY_ID}"), "GET, PUT, DELETE"),
        // A literal segment wins over a capture: `register` is not a client id.
        ("GET", "/api/v4/oauth/apps/register".to_owned(), "POST, OPTIONS"),
        ("PUT", "/oauth/authorize".to_owned(), "GET, POST"),
        ("GET", "/oauth/access_token".to_owned(), "POST, OPTIONS"),
        ("POST", "/.well-known/oauth-authorization-server/team".to_owned(), "GET, OPTIONS"),
        ("GET", format!("{CONNECTIONS}/validate"), "POST"),
        ("DELETE", CONNECTIONS.to_owned(), "GET, POST"),
        ("DELETE", format!("{STORE}/user"), "GET, POST, PUT"),
        ("POST", "/plugins/oauth-plugin/apps/com.example.jira/oauth2/remote/connect".to_owned(), "GET"),
    ] {
        let reply = send(&plugin, method, &path, Some(ADMIN), "");
        assert_eq!(reply.status, 405, "{method} {path}");
        assert_eq!(reply.response.header("Allow"), Some(allow), "{method} {path}");
        assert_eq!(reply.body["id"], "api.context.405.app_error", "{method} {path}");
    }
    // The token endpoints answer every refusal with CORS, for browser-based clients.
    let token = send(&plugin, "GET", "/oauth/revoke", None, "");
    assert_eq!(token.response.header("Access-Control-Allow-Origin"), Some("*"));
}

#[test]
fn a_route_whose_setting_is_off_is_501_before_the_caller_is_asked_for() {
    let plugin = plugin();
    configure(&plugin, "{}");
    for (method, path, id) in [
        ("GET", "/api/v4/oauth/apps".to_owned(), "api.oauth.register_oauth_app.turn_off.app_error"),
        ("POST", "/oauth/deauthorize".to_owned(), "api.oauth.register_oauth_app.turn_off.app_error"),
        ("POST", "/oauth/access_token".to_owned(), "api.oauth.register_oauth_app.turn_off.app_error"),
        (
            "GET",
            "/.well-known/oauth-authorization-server".to_owned(),
            "api.oauth.authorization_server_metadata.disabled.app_error",
        ),
        (
            "GET",
            format!("{CONNECTIONS}/{ANY_ID}"),
            "api.context.outgoing_oauth_connection.not_available.configuration_disabled",
        ),
    ] {
        let reply = send(&plugin, method, &path, None, "");
        assert_eq!(reply.status, 501, "{method} {path}");
        assert_eq!(reply.body["id"], id, "{method} {path}");
    }
    let token = send(&plugin, "POST", "/oauth/introspect", None, "");
    assert_eq!(token.response.header("Cache-Control"), Some("no-store"));
    assert_eq!(token.response.header("Access-Control-Allow-Origin"), Some("*"));
    // The authorization endpoint is a page in the user's browser.
    let page = send(&plugin, "GET", "/oauth/authorize", Some(ALICE), "");
    assert_eq!(page.status, 501);
    assert!(page.response.header("Content-Type").unwrap().starts_with("text/html"));
    // Registration is off as RFC 7591 says it.
    let registration = send(&plugin, "POST", "/api/v4/oauth/apps/register", None, "{}");
    assert_eq!(registration.status, 400);
    assert_eq!(registration.body["error"], "unsupported_operation");
    assert_eq!(registration.response.header("Cache-Control"), Some("no-store"));
    // A method the pattern lacks is 405 whether or not the setting is on; preflights are answered.
    assert_eq!(send(&plugin, "PATCH", CONNECTIONS, None, "").status, 405);
    assert_eq!(send(&plugin, "OPTIONS", "/oauth/access_token", None, "").status, 204);
}

#[test]
fn a_route_for_sessions_is_401_without_one() {
    let plugin = everything_on();
    for (method, path) in [
        ("GET", "/api/v4/oauth/apps".to_owned()),
        ("POST", "/api/v4/oauth/apps".to_owned()),
        ("PUT", format!("/api/v4/oauth/apps/{ANY_ID}")),
        ("GET", format!("/api/v4/oauth/apps/{ANY_ID}/info")),
        ("GET", "/api/v4/users/me/oauth/apps/authorized".to_owned()),
        ("POST", "/oauth/authorize".to_owned()),
        ("POST", "/oauth/deauthorize".to_owned()),
        ("GET", CONNECTIONS.to_owned()),
        ("POST", format!("{CONNECTIONS}/validate")),
        ("GET", format!("{STORE}/connections")),
        ("DELETE", format!("{STORE}/connections/com.example.jira")),
    ] {
        let reply = send(&plugin, method, &path, None, "{");
        assert_eq!(reply.status, 401, "{method} {path}");
        assert_eq!(reply.body["id"], "api.context.session_expired.app_error", "{method} {path}");
    }
    // A page sends the user to log in instead, and back here after.
    let connect =
        send(&plugin, "GET", "/plugins/oauth-plugin/apps/com.example.jira/oauth2/remote/connect", None, "");
    assert_eq!(connect.status, 302);
    assert!(connect.response.header("Location").unwrap().contains("/login?redirect_to="));
}

/// The host sets a request's user id only for a valid session, so one that is not an id's shape
/// (with a NUL, a colon, too long) is no session: it never reaches a store key (a NUL or an
/// overlong key is one the KV store refuses, which was a 500).
#[test]
fn a_user_id_that_is_not_an_id_is_no_session() {
    let plugin = everything_on();
    let app = common::create_app(&plugin, ADMIN, serde_json::json!({}));
    let authorize = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri=https%3A%2F%2Fzapier.example.com%2Fcb",
        app["id"].as_str().unwrap()
    );
    let overlong = "a".repeat(200);
    for user in ["n\0\0\0", "adminadminadminadmin\0dmin1", "alice:alice", overlong.as_str()] {
        for (method, path, body) in [
            ("POST", "/oauth/deauthorize".to_owned(), format!(r#"{{"client_id":"{ANY_ID}"}}"#)),
            ("GET", "/api/v4/users/me/oauth/apps/authorized".to_owned(), String::new()),
            ("GET", format!("{STORE}/connections"), String::new()),
            ("DELETE", format!("{STORE}/connections/com.example.jira"), String::new()),
        ] {
            let reply = send(&plugin, method, &path, Some(user), &body);
            assert_eq!(reply.status, 401, "{method} {path} as {user:?}: {}", reply.body);
        }
        // Pages: to the login page, or a page that says to log in.
        for page in [authorize.as_str(), "/oauth/device?user_code=BCDF-GHJK"] {
            let login = send(&plugin, "GET", page, Some(user), "");
            assert_eq!(login.status, 302, "{page} as {user:?}");
            assert!(login.response.header("Location").unwrap().contains("/login?redirect_to="), "{user:?}");
        }
        let connect = "/plugins/oauth-plugin/apps/com.example.jira/oauth2/remote/connect";
        assert_eq!(send(&plugin, "GET", connect, Some(user), "").status, 302, "connect as {user:?}");
        let complete = "/plugins/oauth-plugin/apps/com.example.jira/oauth2/remote/complete?state=s&code=c";
        assert_eq!(send(&plugin, "GET", complete, Some(user), "").status, 401, "complete as {user:?}");
    }
}

#[test]
fn a_route_for_a_permission_is_403_without_it() {
    let plugin = everything_on();
    for (method, path, permission) in [
        ("POST", "/api/v4/oauth/apps".to_owned(), "manage_oauth"),
        ("GET", format!("/api/v4/oauth/apps/{ANY_ID}"), "manage_oauth"),
        ("DELETE", format!("/api/v4/oauth/apps/{ANY_ID}"), "manage_oauth"),
        ("POST", format!("/api/v4/oauth/apps/{ANY_ID}/regen_secret"), "manage_oauth"),
        ("POST", CONNECTIONS.to_owned(), "manage_outgoing_oauth_connections"),
        ("PUT", format!("{CONNECTIONS}/{ANY_ID}"), "manage_outgoing_oauth_connections"),
    ] {
        // Before the body is read: the bad body does not matter to someone who may not call.
        let reply = send(&plugin, method, &path, Some(ALICE), "{");
        assert_eq!(reply.status, 403, "{method} {path}");
        assert_eq!(reply.body["id"], "api.context.permissions.app_error", "{method} {path}");
        assert_eq!(reply.body["detailed_error"], format!("missing permission: {permission}"));
    }
}

#[test]
fn the_server_is_told_every_pattern_of_the_table_and_only_those() {
    let routes = exported::<MemoryHost>();
    assert_eq!(routes.len(), table::<MemoryHost>().len());
    let has = |method: &str, pattern: &str| routes.iter().any(|r| r.method == method && r.pattern == pattern);
    assert!(has("GET", "/.well-known/oauth-authorization-server"));
    assert!(has("GET", "/.well-known/oauth-authorization-server/{issuer_path...}"));
    assert!(has("POST", "/api/v4/oauth/apps/{client_id}/regen_secret"));
    assert!(has("DELETE", "/plugins/oauth-plugin/api/v1/oauth2/connections/{app_id}"));
    assert!(!routes.iter().any(|r| r.pattern.starts_with("/oauth/") && r.pattern.contains('{')));
    let json = serde_json::to_value(&routes).unwrap();
    assert_eq!(
        json[0],
        serde_json::json!({"method": "GET", "pattern": "/.well-known/oauth-authorization-server"})
    );
}
