//! The registry of protected resources (RFC 9728): its REST API, its identifier rules, and the
//! path-inserted metadata of resources under the SiteURL, on the in-memory host.

use crate::common;
use crate::common::test;

use crate::common::block_on;
use common::*;
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::host::Host;
use oauth_plugin::ids::ResourceId;
use oauth_plugin::provider::resources;
use oauth_plugin::Plugin;
use serde_json::{json, Value};

const RESOURCES: &str = "/plugins/oauth-plugin/api/v1/resources";
const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// A plugin whose SiteURL is `site` (and, when given, whose site is named `site_name`).
fn plugin_at(site: &str, site_name: Option<&str>) -> Plugin<MemoryHost> {
    let plugin = plugin();
    let mut config = json!({ "ServiceSettings": { "SiteURL": site, "EnableOAuthServiceProvider": true } });
    if let Some(name) = site_name {
        config["TeamSettings"] = json!({ "SiteName": name });
    }
    plugin.on_configuration_change(config.to_string().as_bytes()).unwrap();
    plugin
}

fn create(plugin: &Plugin<MemoryHost>, fields: Value) -> Reply {
    let mut body =
        json!({ "identifier": "https://mcp.example.com/mcp", "name": "Docs MCP", "scopes": ["docs:read"] });
    for (k, v) in fields.as_object().unwrap() {
        body[k] = v.clone();
    }
    send(plugin, "POST", RESOURCES, Some(ADMIN), &body.to_string())
}

fn created(plugin: &Plugin<MemoryHost>, fields: Value) -> Value {
    let reply = create(plugin, fields);
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

fn path_of(resource: &Value) -> String {
    format!("{RESOURCES}/{}", resource["id"].as_str().unwrap())
}

#[test]
fn create_list_get_edit_delete() {
    let plugin = plugin();
    let resource = created(&plugin, json!({ "token_format": "jwt" }));
    let id = resource["id"].as_str().unwrap();
    assert_eq!(id.len(), 26);
    assert_eq!(resource["identifier"], "https://mcp.example.com/mcp");
    assert_eq!(resource["name"], "Docs MCP");
    assert_eq!(resource["scopes"], json!(["docs:read"]));
    assert_eq!(resource["token_format"], "jwt");
    assert_eq!(resource["creator_id"], ADMIN);
    assert_eq!(resource["client_secret"].as_str().unwrap().len(), 43);

    let listed = send(&plugin, "GET", RESOURCES, Some(ADMIN), "");
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(listed.body[0]["id"], id);
    assert_eq!(send(&plugin, "GET", &path_of(&resource), Some(ADMIN), "").body["name"], "Docs MCP");

    let edit = json!({ "id": id, "identifier": "https://mcp.example.com/v2", "name": "Docs", "scopes": [] });
    let edited = send(&plugin, "PUT", &path_of(&resource), Some(ADMIN), &edit.to_string());
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert_eq!(edited.body["identifier"], "https://mcp.example.com/v2");
    assert_eq!(edited.body["token_format"], "introspection", "the default when none is sent");
    assert_eq!(edited.body["create_at"], resource["create_at"]);

    let deleted = send(&plugin, "DELETE", &path_of(&resource), Some(ADMIN), "");
    assert_eq!((deleted.status, &deleted.body), (200, &json!({ "status": "OK" })));
    let gone = send(&plugin, "GET", &path_of(&resource), Some(ADMIN), "");
    assert_eq!(
        (gone.status, gone.body["id"].as_str()),
        (404, Some("app.oauth.resource.get.not_found.app_error"))
    );
    assert_eq!(send(&plugin, "GET", RESOURCES, Some(ADMIN), "").body, json!([]));
    assert_eq!(send(&plugin, "DELETE", &path_of(&resource), Some(ADMIN), "").status, 404);
}

#[test]
fn the_secret_is_shown_once_stored_hashed_and_proves_the_resource() {
    let plugin = plugin();
    let resource = created(&plugin, json!({}));
    let (id, secret) = (resource["id"].as_str().unwrap(), resource["client_secret"].as_str().unwrap());
    for reply in [
        send(&plugin, "GET", &path_of(&resource), Some(ADMIN), ""),
        send(&plugin, "GET", RESOURCES, Some(ADMIN), ""),
    ] {
        assert!(!reply.body.to_string().contains(secret));
    }
    let body = json!({ "identifier": "https://mcp.example.com/mcp", "name": "Renamed" }).to_string();
    assert!(!send(&plugin, "PUT", &path_of(&resource), Some(ADMIN), &body).body.to_string().contains(secret));
    let stored =
        String::from_utf8(block_on(plugin.host().kv_get(&format!("res:{id}"))).unwrap().unwrap()).unwrap();
    assert!(!stored.contains(secret) && stored.contains(&oauth_plugin::ids::hash_secret(secret)));

    let ctx = plugin.context();
    let proven = block_on(resources::authenticate(&ctx, id, secret)).unwrap();
    assert_eq!(proven.map(|r| r.name), Some("Renamed".to_owned()));
    assert!(block_on(resources::authenticate(&ctx, id, "wrong")).unwrap().is_none());
    assert!(block_on(resources::authenticate(&ctx, "nosuchresourcenosuchresour", secret)).unwrap().is_none());

    let regenerated = send(&plugin, "POST", &format!("{}/regen_secret", path_of(&resource)), Some(ADMIN), "");
    assert_eq!(regenerated.status, 200);
    let new_secret = regenerated.body["client_secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    assert!(block_on(resources::authenticate(&ctx, id, secret)).unwrap().is_none(), "the old secret fails");
    assert!(block_on(resources::authenticate(&ctx, id, new_secret)).unwrap().is_some());
    for line in plugin.host().logs() {
        assert!(!format!("{line:?}").contains(secret) && !format!("{line:?}").contains(new_secret));
    }
}

#[test]
fn only_system_admins_manage_resources() {
    let plugin = plugin();
    let resource = created(&plugin, json!({}));
    let one = path_of(&resource);
    let body = json!({ "identifier": "https://evil.example.com/mcp", "name": "Mine" }).to_string();
    let calls = [
        ("GET", RESOURCES.to_owned()),
        ("POST", RESOURCES.to_owned()),
        ("GET", one.clone()),
        ("PUT", one.clone()),
        ("DELETE", one.clone()),
        ("POST", format!("{one}/regen_secret")),
    ];
    for (method, path) in &calls {
        let denied = send(&plugin, method, path, Some(ALICE), &body);
        assert_eq!(
            (denied.status, denied.body["id"].as_str()),
            (403, Some("api.context.permissions.app_error")),
            "{method} {path}"
        );
        assert_eq!(send(&plugin, method, path, None, &body).status, 401, "{method} {path}");
    }
    let after = send(&plugin, "GET", &one, Some(ADMIN), "");
    assert_eq!(after.body["name"], "Docs MCP", "nothing changed");
    assert_eq!(send(&plugin, "GET", RESOURCES, Some(ADMIN), "").body.as_array().unwrap().len(), 1);
}

#[test]
fn the_routes_answer_only_while_the_provider_is_on() {
    let plugin = plugin();
    configure(&plugin, r#"{"EnableOAuthServiceProvider":false}"#);
    assert_eq!(send(&plugin, "GET", RESOURCES, Some(ADMIN), "").status, 501);
}

/// The identifier's error, or `None` when it is accepted.
fn identifier_error(plugin: &Plugin<MemoryHost>, identifier: &str) -> Option<String> {
    let reply = create(plugin, json!({ "identifier": identifier }));
    match reply.status {
        201 => {
            send(plugin, "DELETE", &path_of(&reply.body), Some(ADMIN), "");
            None
        }
        400 => {
            assert_eq!(reply.body["id"], "app.oauth.resource.is_valid.identifier.app_error", "{identifier}");
            Some(reply.body["message"].as_str().unwrap().to_owned())
        }
        status => panic!("{identifier}: {status} {}", reply.body),
    }
}

#[test]
fn identifiers_under_the_site_url_or_beside_it_on_https() {
    let plugin = plugin_at("https://site.example/mattermost", None);
    for accepted in [
        "https://site.example/mattermost/mcp",
        "https://site.example/mattermost/plugins/com.example.mcp/mcp",
        "https://mcp.example.com/",
        "https://mcp.example.com",
        "https://mcp.example.com:8443/mcp",
        "https://site.example.evil.com/mattermost/mcp",
        "http://127.0.0.1:3000/mcp",
        "http://127.8.9.10/mcp",
        "http://[::1]:3000/mcp",
        "http://localhost:3000/mcp",
    ] {
        assert_eq!(identifier_error(&plugin, accepted), None, "{accepted}");
    }
}

#[test]
fn hostile_identifiers_are_refused() {
    let plugin = plugin_at("https://site.example/mattermost", None);
    for (refused, reason) in [
        ("", "not a valid URL"),
        ("/mattermost/mcp", "not a valid URL"),
        ("mcp", "not a valid URL"),
        ("ftp://mcp.example.com/", "not a valid URL"),
        ("https://user:pw@mcp.example.com/mcp", "user name"),
        ("https://site.example@evil.example.com/mcp", "user name"),
        ("https://mcp.example.com/mcp#frag", "fragment"),
        ("https://mcp.example.com/mcp#", "fragment"),
        ("https://mcp.example.com/mcp?tenant=1", "query"),
        ("https://MCP.example.com/mcp", "normalized"),
        ("https://mcp.example.com/./mcp", "write it as \"https://mcp.example.com/mcp\""),
        ("https://site.example", "not under its SiteURL"),
        ("https://mcp.example.com:443/mcp", "normalized"),
        ("https://site.example/mattermost/../admin", "normalized"),
        ("https://site.example/mattermost/%2e%2e/admin", "normalized"),
        ("https://mcp.example.com/\u{202e}pcm", "normalized"),
        ("https://mcp.example.com/\u{7}", "control character"),
        ("https://mcp.example.com/a b", "whitespace"),
        ("https://mcp.example.com\\@evil.example/", "backslash"),
        ("http://mcp.example.com/mcp", "https"),
        ("http://127.0.0.1.nip.io/mcp", "https"),
        ("http://localhost.evil.example/mcp", "https"),
        ("https://site.example/mattermost", "own identifier"),
        ("https://site.example/mattermost/", "own identifier"),
        ("https://site.example/mattermostx/mcp", "not under its SiteURL"),
        ("https://site.example/other/mcp", "not under its SiteURL"),
        ("https://site.example/", "not under its SiteURL"),
        ("https://site.example/mattermost%2Fmcp", "not under its SiteURL"),
        ("http://site.example/mattermost/mcp", "https"),
    ] {
        let error = identifier_error(&plugin, refused).unwrap_or_else(|| panic!("{refused:?} was accepted"));
        assert!(error.contains(reason), "{refused:?}: {error}");
    }
    let long = format!("https://mcp.example.com/{}", "a".repeat(240));
    assert!(identifier_error(&plugin, &long).unwrap().contains("longer than 256"));
    assert_eq!(send(&plugin, "GET", RESOURCES, Some(ADMIN), "").body, json!([]), "nothing stored");
}

#[test]
fn an_http_site_url_takes_http_resources_under_it() {
    let plugin = plugin_at("http://localhost:8065", None);
    assert_eq!(identifier_error(&plugin, "http://localhost:8065/mcp"), None);
    assert!(identifier_error(&plugin, "http://localhost:8065/").unwrap().contains("own identifier"));
    assert!(identifier_error(&plugin, "http://localhost:8065").unwrap().contains("own identifier"));
    let plugin = plugin_at("http://chat.internal:8065", None);
    assert_eq!(identifier_error(&plugin, "http://chat.internal:8065/mcp"), None);
    assert!(identifier_error(&plugin, "http://chat.internal:9000/mcp").unwrap().contains("https"));
}

#[test]
fn an_identifier_is_registered_once() {
    let plugin = plugin();
    let first = created(&plugin, json!({}));
    let again = create(&plugin, json!({ "name": "Other" }));
    assert_eq!(
        (again.status, again.body["id"].as_str()),
        (409, Some("app.oauth.resource.save.duplicate_identifier.app_error"))
    );
    assert_eq!(create(&plugin, json!({ "identifier": "https://mcp.example.com:443/mcp" })).status, 400);
    assert_eq!(send(&plugin, "GET", RESOURCES, Some(ADMIN), "").body.as_array().unwrap().len(), 1);

    // Editing into another's identifier is refused; moving frees the old one.
    let second = created(&plugin, json!({ "identifier": "https://other.example.com/mcp" }));
    let body = json!({ "identifier": "https://mcp.example.com/mcp", "name": "x" }).to_string();
    assert_eq!(send(&plugin, "PUT", &path_of(&second), Some(ADMIN), &body).status, 409);
    let body = json!({ "identifier": "https://moved.example.com/mcp", "name": "x" }).to_string();
    assert_eq!(send(&plugin, "PUT", &path_of(&first), Some(ADMIN), &body).status, 200);
    let reused = create(&plugin, json!({}));
    assert_eq!(reused.status, 201, "the old identifier is free: {}", reused.body);
    assert_eq!(create(&plugin, json!({ "identifier": "https://moved.example.com/mcp" })).status, 409);

    // Deleting frees it too.
    send(&plugin, "DELETE", &path_of(&reused.body), Some(ADMIN), "");
    assert_eq!(create(&plugin, json!({})).status, 201);
}

#[test]
fn a_bare_origin_is_named_as_written_and_is_one_identifier_with_its_slash() {
    let plugin = plugin();
    let resource = created(&plugin, json!({ "identifier": "https://mcp.example.com" }));
    assert_eq!(resource["identifier"], "https://mcp.example.com");
    // RFC 9728 §3.3: the document names the resource as the client connecting to it does.
    assert_eq!(resource["metadata"]["resource"], "https://mcp.example.com");
    let again = create(&plugin, json!({ "identifier": "https://mcp.example.com/" }));
    assert_eq!(again.status, 409, "{}", again.body);
    let found = block_on(resources::find_by_identifier(&plugin.context(), "https://mcp.example.com/"));
    assert_eq!(found.unwrap().map(|r| r.identifier).as_deref(), Some("https://mcp.example.com"));
}

#[test]
fn a_claim_left_by_an_unfinished_delete_does_not_block_the_identifier() {
    let plugin = plugin();
    let resource = created(&plugin, json!({}));
    // The delete stopped after removing the record: its claim names a resource that is gone.
    block_on(plugin.host().kv_delete(&format!("res:{}", resource["id"].as_str().unwrap()))).unwrap();
    assert_eq!(create(&plugin, json!({})).status, 201);
}

#[test]
fn find_by_identifier_compares_parsed_urls() {
    let plugin = plugin();
    let root = created(&plugin, json!({ "identifier": "https://x.example/" }));
    created(&plugin, json!({}));
    let ctx = plugin.context();
    let find =
        |identifier: &str| block_on(resources::find_by_identifier(&ctx, identifier)).unwrap().map(|r| r.id);
    let root_id = Some(ResourceId::new(root["id"].as_str().unwrap()));
    assert_eq!(find("https://x.example"), root_id);
    assert_eq!(find("https://x.example/"), root_id);
    assert_eq!(find("HTTPS://X.EXAMPLE:443"), root_id);
    assert!(find("https://mcp.example.com/mcp").is_some());
    for unknown in [
        "https://mcp.example.com/mcp/",
        "https://mcp.example.com/MCP",
        "http://x.example/",
        "not a url",
        SITE,
    ] {
        assert_eq!(find(unknown), None, "{unknown}");
    }
    let listed = block_on(resources::list(&ctx)).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(block_on(resources::get(&ctx, &listed[0].id)).unwrap().as_ref(), Some(&listed[0]));
    assert_eq!(block_on(resources::get(&ctx, &ResourceId::new("res:../x"))).unwrap(), None);
}

/// The error id of a create with `fields`.
fn refused_field(plugin: &Plugin<MemoryHost>, fields: Value) -> String {
    let reply = create(plugin, fields.clone());
    assert_eq!(reply.status, 400, "{fields}: {}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

#[test]
fn names_and_scopes_have_bounds() {
    let plugin = plugin();
    let name_error = "app.oauth.resource.is_valid.name.app_error";
    for name in [json!(""), json!("x".repeat(65)), json!("Docs\nMCP"), json!("a\u{202e}b"), json!("nul\u{0}")]
    {
        assert_eq!(refused_field(&plugin, json!({ "name": name })), name_error, "{name}");
    }
    let scopes_error = "app.oauth.resource.is_valid.scopes.app_error";
    let many: Vec<String> = (0..21).map(|n| format!("s{n}")).collect();
    for scopes in [
        json!(many),
        json!([""]),
        json!(["x".repeat(65)]),
        json!(["a b"]),
        json!(["quote\""]),
        json!(["back\\slash"]),
        json!(["ünï"]),
        json!(["docs:read", "docs:read"]),
        json!(["user"]),
        json!(["openid"]),
        json!(["profile"]),
        json!(["email"]),
        json!(["offline_access"]),
    ] {
        assert_eq!(refused_field(&plugin, json!({ "scopes": scopes })), scopes_error, "{scopes}");
    }
    let twenty: Vec<String> = (0..20).map(|n| format!("{n}{}", "s".repeat(62))).collect();
    let bounds = created(&plugin, json!({ "name": "x".repeat(64), "scopes": twenty }));
    assert_eq!(bounds["scopes"].as_array().unwrap().len(), 20);
}

#[test]
fn bodies_of_the_wrong_shape_are_refused_and_change_nothing() {
    let plugin = plugin();
    let resource = created(&plugin, json!({}));
    for body in [
        "".to_owned(),
        "[]".to_owned(),
        "not json".to_owned(),
        r#"{"identifier": 5}"#.to_owned(),
        r#"{"identifier":"https://a.example/","name":"a","scopes":"docs"}"#.to_owned(),
        r#"{"identifier":"https://a.example/","name":"a","token_format":"paseto"}"#.to_owned(),
    ] {
        let reply = send(&plugin, "POST", RESOURCES, Some(ADMIN), &body);
        assert_eq!(
            (reply.status, reply.body["id"].as_str()),
            (400, Some("api.context.invalid_param.app_error")),
            "{body}"
        );
        assert_eq!(send(&plugin, "PUT", &path_of(&resource), Some(ADMIN), &body).status, 400, "{body}");
    }
    let huge = json!({ "identifier": "https://a.example/", "name": "a", "scopes": ["x".repeat(70_000)] })
        .to_string();
    assert_eq!(send(&plugin, "POST", RESOURCES, Some(ADMIN), &huge).status, 413);
    let other_id =
        json!({ "id": "otherotherotherotherother1", "identifier": "https://a.example/", "name": "a" });
    assert_eq!(send(&plugin, "PUT", &path_of(&resource), Some(ADMIN), &other_id.to_string()).status, 400);
    let unknown = json!({ "identifier": "https://a.example/", "name": "a" }).to_string();
    assert_eq!(
        send(&plugin, "PUT", &format!("{RESOURCES}/nosuchresourcenosuchresour"), Some(ADMIN), &unknown)
            .status,
        404
    );
    assert_eq!(send(&plugin, "PUT", &format!("{RESOURCES}/..%2F"), Some(ADMIN), &unknown).status, 404);
    let listed = send(&plugin, "GET", RESOURCES, Some(ADMIN), "").body;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["identifier"], "https://mcp.example.com/mcp");
}

#[test]
fn a_resource_under_the_site_url_has_path_inserted_metadata() {
    let plugin = plugin_at("https://site.example/mattermost", Some("Acme Chat"));
    let resource = created(
        &plugin,
        json!({ "identifier": "https://site.example/mattermost/mcp", "scopes": ["docs:read", "docs:write"] }),
    );
    let expected = json!({
        "resource": "https://site.example/mattermost/mcp",
        "authorization_servers": ["https://site.example/mattermost"],
        "bearer_methods_supported": ["header"],
        "scopes_supported": ["docs:read", "docs:write"],
        "resource_name": "Docs MCP",
    });
    assert_eq!(resource["metadata"], expected);
    let url = "https://site.example/.well-known/oauth-protected-resource/mattermost/mcp";
    assert_eq!(resource["metadata_url"], url);

    let served = send(&plugin, "GET", &format!("{WELL_KNOWN}/mattermost/mcp"), None, "");
    assert_eq!(served.status, 200);
    assert_eq!(served.body, expected);
    assert_eq!(served.response.header("Access-Control-Allow-Origin"), Some("*"));
    assert_eq!(send(&plugin, "HEAD", &format!("{WELL_KNOWN}/mattermost/mcp"), None, "").status, 200);

    let own = send(&plugin, "GET", &format!("{WELL_KNOWN}/mattermost"), None, "");
    assert_eq!(own.body["resource_name"], "Acme Chat", "the server's own document names the site");
    assert_eq!(own.body["resource"], "https://site.example/mattermost");

    for unknown in [
        "/mattermost/mcp/",
        "/mattermost/MCP",
        "/mattermost/other",
        "/mcp",
        "/mattermost/x/../mcp",
        "/mattermost/%6dcp",
        "/mattermost/mcp%2F",
    ] {
        let reply = send(&plugin, "GET", &format!("{WELL_KNOWN}{unknown}"), None, "");
        assert_eq!(reply.status, 404, "{unknown}");
        assert_eq!(reply.body["id"], "api.context.404.app_error");
    }
}

#[test]
fn a_resource_beside_the_server_serves_its_metadata_itself() {
    let plugin = plugin();
    let resource = created(&plugin, json!({}));
    assert_eq!(resource["metadata_url"], "");
    assert_eq!(resource["metadata"]["resource"], "https://mcp.example.com/mcp");
    assert_eq!(resource["metadata"]["authorization_servers"], json!([SITE]));
    assert_eq!(
        send(&plugin, "GET", &format!("{WELL_KNOWN}/mcp"), None, "").status,
        404,
        "not the plugin's to serve"
    );
    let own = send(&plugin, "GET", WELL_KNOWN, None, "");
    assert_eq!(own.body["resource_name"], "Mattermost", "no SiteName: Mattermost's");
}

#[test]
fn a_resource_left_outside_a_changed_site_url_loses_its_metadata_there() {
    let plugin = plugin_at("https://site.example/mattermost", None);
    created(&plugin, json!({ "identifier": "https://site.example/mattermost/mcp" }));
    assert_eq!(send(&plugin, "GET", &format!("{WELL_KNOWN}/mattermost/mcp"), None, "").status, 200);
    let moved = json!({ "ServiceSettings": { "SiteURL": "https://site.example/chat", "EnableOAuthServiceProvider": true } });
    plugin.on_configuration_change(moved.to_string().as_bytes()).unwrap();
    assert_eq!(send(&plugin, "GET", &format!("{WELL_KNOWN}/mattermost/mcp"), None, "").status, 404);
    let listed = send(&plugin, "GET", RESOURCES, Some(ADMIN), "").body;
    assert_eq!(listed[0]["metadata_url"], "", "beside the server now");
}
