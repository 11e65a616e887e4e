//! The OAuth apps REST API, as Mattermost's (api4/oauth.go), on the in-memory host.

use crate::common;
use crate::common::test;

use crate::common::block_on;
use common::*;
use oauth_plugin::host::Host;
use serde_json::{json, Value};

#[test]
fn create_returns_the_app_and_its_secret_once() {
    let plugin = plugin();
    let app = create_app(&plugin, ADMIN, json!({}));
    let id = app["id"].as_str().unwrap();
    assert_eq!(id.len(), 26);
    assert_eq!(app["creator_id"], ADMIN);
    let secret = app["client_secret"].as_str().unwrap();
    assert!(secret.len() >= 43);
    assert_eq!(app["is_public"], false);
    assert_eq!(app["token_endpoint_auth_method"], "client_secret_post");

    for path in [format!("/api/v4/oauth/apps/{id}"), format!("/api/v4/oauth/apps/{id}/info")] {
        let reply = send(&plugin, "GET", &path, Some(ADMIN), "");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body["client_secret"], "", "{path}");
        assert_eq!(reply.body["name"], "Zapier");
    }
    let listed = send(&plugin, "GET", "/api/v4/oauth/apps", Some(ADMIN), "");
    assert_eq!(listed.body[0]["client_secret"], "");
}

#[test]
fn the_secret_is_stored_only_as_a_hash() {
    let plugin = plugin();
    let app = create_app(&plugin, ADMIN, json!({}));
    let secret = app["client_secret"].as_str().unwrap();
    let key = format!("app:{}", app["id"].as_str().unwrap());
    let stored = String::from_utf8(block_on(plugin.host().kv_get(&key)).unwrap().unwrap()).unwrap();
    assert!(!stored.contains(secret));
    assert!(stored.contains(&oauth_plugin::ids::hash_secret(secret)));
    for line in plugin.host().logs() {
        assert!(!format!("{line:?}").contains(secret));
    }
}

#[test]
fn public_clients_have_no_secret_and_cannot_regenerate() {
    let plugin = plugin();
    let app = create_app(&plugin, ADMIN, json!({"is_public": true}));
    assert_eq!(app["client_secret"], "");
    assert_eq!(app["token_endpoint_auth_method"], "none");
    let path = format!("/api/v4/oauth/apps/{}/regen_secret", app["id"].as_str().unwrap());
    let reply = send(&plugin, "POST", &path, Some(ADMIN), "");
    assert_eq!(reply.status, 400);
}

#[test]
fn each_broken_rule_is_a_400_naming_the_field() {
    let plugin = plugin();
    let long = |n: usize| "x".repeat(n);
    let cases = [
        (json!({"name": ""}), "name"),
        (json!({"name": long(65)}), "name"),
        (json!({"description": long(513)}), "description"),
        (json!({"homepage": ""}), "homepage"),
        (json!({"homepage": "ftp://example.com"}), "homepage"),
        (json!({"homepage": format!("https://example.com/{}", long(250))}), "homepage"),
        (json!({"icon_url": "not a url"}), "icon_url"),
        (json!({"callback_urls": []}), "callback"),
        (json!({"callback_urls": ["example.com/cb"]}), "callback"),
        (json!({"callback_urls": ["https://example.com/cb#frag"]}), "callback"),
        (json!({"mattermost_app_id": long(33)}), "mattermost_app_id"),
    ];
    for (fields, field) in cases {
        let mut app = json!({"name": "A", "homepage": "https://a.example.com", "callback_urls": ["https://a.example.com/cb"]});
        for (k, v) in fields.as_object().unwrap() {
            app[k] = v.clone();
        }
        let reply = send(&plugin, "POST", "/api/v4/oauth/apps", Some(ADMIN), &app.to_string());
        assert_eq!(reply.status, 400, "{fields}");
        assert_eq!(reply.body["id"], format!("model.oauth.is_valid.{field}.app_error"), "{fields}");
    }
    // Nothing was stored by any of them.
    let listed = send(&plugin, "GET", "/api/v4/oauth/apps", Some(ADMIN), "");
    assert_eq!(listed.body, json!([]));
}

#[test]
fn malformed_bodies_are_400_and_store_nothing() {
    let plugin = plugin();
    for body in ["", "{", "[]", r#"{"name": 5}"#, r#"{"callback_urls": "https://x.example.com"}"#] {
        let reply = send(&plugin, "POST", "/api/v4/oauth/apps", Some(ADMIN), body);
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.body["id"], "api.context.invalid_param.app_error");
    }
    assert_eq!(send(&plugin, "GET", "/api/v4/oauth/apps", Some(ADMIN), "").body, json!([]));
}

#[test]
fn permissions_follow_mattermost() {
    let plugin = plugin();
    // No session: 401.
    let reply = send(&plugin, "POST", "/api/v4/oauth/apps", None, "{}");
    assert_eq!(reply.status, 401);
    // No manage_oauth: 403 on create and list.
    let body = json!({"name": "A", "homepage": "https://a.example.com", "callback_urls": ["https://a.example.com/cb"]});
    assert_eq!(send(&plugin, "POST", "/api/v4/oauth/apps", Some(ALICE), &body.to_string()).status, 403);
    let listed = send(&plugin, "GET", "/api/v4/oauth/apps", Some(ALICE), "");
    assert_eq!(listed.status, 403);
    assert_eq!(listed.body["id"], "api.command.admin_only.app_error");

    // With manage_oauth, a user manages their own apps only, and cannot make them trusted.
    plugin.host().grant(ALICE, "manage_oauth");
    plugin.host().grant(BOB, "manage_oauth");
    let alices = create_app(&plugin, ALICE, json!({"is_trusted": true}));
    assert_eq!(alices["is_trusted"], false);
    let admins = create_app(&plugin, ADMIN, json!({"is_trusted": true}));
    assert_eq!(admins["is_trusted"], true);
    let alice_list = send(&plugin, "GET", "/api/v4/oauth/apps", Some(ALICE), "");
    assert_eq!(alice_list.body.as_array().unwrap().len(), 1);
    assert_eq!(send(&plugin, "GET", "/api/v4/oauth/apps", Some(ADMIN), "").body.as_array().unwrap().len(), 2);

    let alices_path = format!("/api/v4/oauth/apps/{}", alices["id"].as_str().unwrap());
    assert_eq!(send(&plugin, "GET", &alices_path, Some(BOB), "").status, 403);
    assert_eq!(send(&plugin, "DELETE", &alices_path, Some(BOB), "").status, 403);
    assert_eq!(send(&plugin, "POST", &format!("{alices_path}/regen_secret"), Some(BOB), "").status, 403);
    assert_eq!(send(&plugin, "GET", &alices_path, Some(ADMIN), "").status, 200);
    // Anyone logged in may read the info.
    assert_eq!(send(&plugin, "GET", &format!("{alices_path}/info"), Some(BOB), "").status, 200);
    assert_eq!(send(&plugin, "GET", &format!("{alices_path}/info"), None, "").status, 401);
}

#[test]
fn edits_keep_trust_for_non_admins_and_never_switch_client_type() {
    let plugin = plugin();
    plugin.host().grant(ALICE, "manage_oauth");
    let app = create_app(&plugin, ADMIN, json!({"is_trusted": true}));
    let id = app["id"].as_str().unwrap();
    let path = format!("/api/v4/oauth/apps/{id}");
    let mut edit = app.clone();
    edit["name"] = "Renamed".into();
    edit["callback_urls"] = json!(["https://zapier.example.com/new"]);
    let reply = send(&plugin, "PUT", &path, Some(ADMIN), &edit.to_string());
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["name"], "Renamed");
    assert_eq!(reply.body["client_secret"], "");
    assert!(reply.body["update_at"].as_i64() > app["update_at"].as_i64());

    edit["is_public"] = true.into();
    assert_eq!(send(&plugin, "PUT", &path, Some(ADMIN), &edit.to_string()).status, 400);
    edit["is_public"] = false.into();
    edit["id"] = "someotheridsomeotheridsome".into();
    assert_eq!(send(&plugin, "PUT", &path, Some(ADMIN), &edit.to_string()).status, 400);

    // A non-admin creator's edit cannot change trust.
    let alices = create_app(&plugin, ALICE, json!({}));
    let alices_path = format!("/api/v4/oauth/apps/{}", alices["id"].as_str().unwrap());
    let mut edit = alices.clone();
    edit["is_trusted"] = true.into();
    let reply = send(&plugin, "PUT", &alices_path, Some(ALICE), &edit.to_string());
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["is_trusted"], false);
    // A broken edit changes nothing.
    edit["homepage"] = "nope".into();
    assert_eq!(send(&plugin, "PUT", &alices_path, Some(ALICE), &edit.to_string()).status, 400);
    assert_eq!(
        send(&plugin, "GET", &alices_path, Some(ALICE), "").body["homepage"],
        "https://zapier.example.com"
    );
}

#[test]
fn regenerating_replaces_the_stored_secret() {
    let plugin = plugin();
    let app = create_app(&plugin, ADMIN, json!({}));
    let id = app["id"].as_str().unwrap();
    let reply = send(&plugin, "POST", &format!("/api/v4/oauth/apps/{id}/regen_secret"), Some(ADMIN), "");
    assert_eq!(reply.status, 200);
    let new_secret = reply.body["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, app["client_secret"].as_str().unwrap());
    let stored =
        String::from_utf8(block_on(plugin.host().kv_get(&format!("app:{id}"))).unwrap().unwrap()).unwrap();
    assert!(stored.contains(&oauth_plugin::ids::hash_secret(new_secret)));
    assert!(!stored.contains(&oauth_plugin::ids::hash_secret(app["client_secret"].as_str().unwrap())));
}

#[test]
fn delete_removes_the_app_and_its_listing() {
    let plugin = plugin();
    let first = create_app(&plugin, ADMIN, json!({"name": "First"}));
    create_app(&plugin, ADMIN, json!({"name": "Second"}));
    let path = format!("/api/v4/oauth/apps/{}", first["id"].as_str().unwrap());
    let reply = send(&plugin, "DELETE", &path, Some(ADMIN), "");
    assert_eq!((reply.status, reply.body.clone()), (200, json!({"status": "OK"})));
    assert_eq!(send(&plugin, "GET", &path, Some(ADMIN), "").status, 404);
    let names: Vec<Value> = send(&plugin, "GET", "/api/v4/oauth/apps", Some(ADMIN), "")
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].clone())
        .collect();
    assert_eq!(names, [json!("Second")]);
}

#[test]
fn list_pages_in_creation_order() {
    let plugin = plugin();
    for n in 0..5 {
        create_app(&plugin, ADMIN, json!({"name": format!("Client {n}")}));
    }
    let page = |q: &str| -> Vec<String> {
        send(&plugin, "GET", &format!("/api/v4/oauth/apps?{q}"), Some(ADMIN), "")
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(page("page=0&per_page=2"), ["Client 0", "Client 1"]);
    assert_eq!(page("page=2&per_page=2"), ["Client 4"]);
    assert_eq!(page("page=3&per_page=2"), Vec::<String>::new());
    assert_eq!(send(&plugin, "GET", "/api/v4/oauth/apps?page=x", Some(ADMIN), "").status, 400);
}

#[test]
fn every_app_endpoint_is_501_while_the_provider_is_off() {
    let plugin = plugin();
    let app = create_app(&plugin, ADMIN, json!({}));
    configure(&plugin, r#"{"EnableOAuthServiceProvider":false}"#);
    let id = app["id"].as_str().unwrap();
    for (method, path) in [
        ("GET", "/api/v4/oauth/apps".to_owned()),
        ("POST", "/api/v4/oauth/apps".to_owned()),
        ("GET", format!("/api/v4/oauth/apps/{id}")),
        ("GET", format!("/api/v4/oauth/apps/{id}/info")),
        ("DELETE", format!("/api/v4/oauth/apps/{id}")),
    ] {
        assert_eq!(send(&plugin, method, &path, Some(ADMIN), "{}").status, 501, "{method} {path}");
    }
}

#[test]
fn unknown_ids_and_wrong_methods() {
    let plugin = plugin();
    assert_eq!(
        send(&plugin, "GET", "/api/v4/oauth/apps/nosuchappnosuchappnosuchap", Some(ADMIN), "").status,
        404
    );
    assert_eq!(
        send(&plugin, "GET", &format!("/api/v4/oauth/apps/{}", "x".repeat(200)), Some(ADMIN), "").status,
        404
    );
    assert_eq!(send(&plugin, "PATCH", "/api/v4/oauth/apps", Some(ADMIN), "").status, 405);
}

#[test]
fn names_and_descriptions_are_printable_text() {
    let plugin = plugin();
    for (field, value) in [
        ("name", "Zap\u{0}ier"),
        ("name", "Zap\nier"),
        ("name", "Zap\u{202e}reip"),
        ("description", "bell\u{7}"),
        ("description", "\u{2066}isolated"),
    ] {
        let mut app = json!({"name": "A", "homepage": "https://a.example.com", "callback_urls": ["https://a.example.com/cb"]});
        app[field] = value.into();
        let reply = send(&plugin, "POST", "/api/v4/oauth/apps", Some(ADMIN), &app.to_string());
        assert_eq!(reply.status, 400, "{field} {value:?}");
        assert!(reply.body["id"].as_str().unwrap().contains(field), "{}", reply.body);
    }
    let multiline = json!({"name": "A", "description": "one\ntwo", "homepage": "https://a.example.com",
                           "callback_urls": ["https://a.example.com/cb"]});
    assert_eq!(send(&plugin, "POST", "/api/v4/oauth/apps", Some(ADMIN), &multiline.to_string()).status, 201);
    assert_eq!(send(&plugin, "GET", "/api/v4/oauth/apps", Some(ADMIN), "").body.as_array().unwrap().len(), 1);
}
