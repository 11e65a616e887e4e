//! The wasm build's arithmetic where it parts from the native one: `usize` is 32 bits on wasm32,
//! so numbers from a request or a host that fit natively must not overflow it, nor be refused
//! there alone; and times are i64 milliseconds that must hold expiries far ahead. The same
//! assertions on both targets: a difference between them fails here.

use crate::common::provider::*;
use crate::common::test;
use crate::common::*;
use oauth_plugin::host::Host;
use serde_json::json;

const OUTGOING: &str = "/api/v4/oauth/outgoing_connections";

#[test]
fn usize_is_the_targets_width() {
    let bits = if cfg!(target_arch = "wasm32") { 32 } else { 64 };
    assert_eq!(usize::BITS, bits);
}

/// Page numbers and sizes past 32 bits (which `usize` holds natively but not on wasm32) read as
/// natively: a page past the end lists nothing, a limit past the largest is refused as too large.
#[test]
fn paging_past_32_bits_answers_as_natively() {
    let plugin = plugin();
    plugin.host().grant(ADMIN, "manage_outgoing_oauth_connections");
    configure(&plugin, r#"{"EnableOAuthServiceProvider":true,"EnableOutgoingOAuthConnections":true}"#);
    create_app(&plugin, ADMIN, json!({}));
    let apps = |query: &str| send(&plugin, "GET", &format!("/api/v4/oauth/apps?{query}"), Some(ADMIN), "");
    assert_eq!(apps("page=0").body.as_array().unwrap().len(), 1);
    for query in
        ["page=4294967295", "page=4294967296", "page=18446744073709551615", "per_page=4294967296&page=1"]
    {
        let reply = apps(query);
        assert_eq!((reply.status, &reply.body), (200, &json!([])), "{query}");
    }
    assert_eq!(apps("page=18446744073709551616").status, 400, "past u64: not a number on either target");

    let connections = |query: &str| send(&plugin, "GET", &format!("{OUTGOING}?{query}"), Some(ADMIN), "");
    for query in ["page=4294967296", "page=18446744073709551615&limit=100"] {
        let reply = connections(query);
        assert_eq!((reply.status, &reply.body), (200, &json!([])), "{query}");
    }
    for query in ["limit=4294967296", "limit=18446744073709551615"] {
        let reply = connections(query);
        assert_eq!(reply.status, 400, "{query}");
        assert_eq!(reply.body["id"], "api.context.outgoing_oauth_connection.list_connections.input_error");
    }
}

/// The host's paging takes any u32 page and size: their product passes wasm32's `usize`.
#[test]
fn the_hosts_largest_page_is_past_the_end() {
    let host = oauth_plugin::host::memory::MemoryHost::new();
    block_on(host.kv_set("k", oauth_plugin::host::KvWrite::set(b"v"))).unwrap();
    assert_eq!(block_on(host.kv_list(0, u32::MAX)).unwrap(), ["k"]);
    assert!(block_on(host.kv_list(u32::MAX, u32::MAX)).unwrap().is_empty());
    assert!(block_on(host.kv_list(65_536, 65_536)).unwrap().is_empty(), "2^32 exactly");
}

/// A clock near the largest time JS's `Date` holds (8.64e15 ms, in the year 275760): codes,
/// tokens and their expiry work as today, with no product of seconds and 1000 overflowing.
#[test]
fn expiries_far_in_the_future_hold() {
    let plugin = plugin();
    let far = 8_600_000_000_000_000_i64;
    plugin.host().advance_seconds((far - plugin.host().now_millis()) / 1000);
    assert!(plugin.host().now_millis() >= far - 1000);

    let client = client(&plugin, json!({"is_trusted": true}));
    let tokens = exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, ""));
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let access = tokens.body["access_token"].as_str().unwrap().to_owned();
    let expires_in = tokens.body["expires_in"].as_i64().unwrap();
    assert!(expires_in > 0);
    assert_eq!(user_of(&plugin, &access).as_deref(), Some(ALICE));
    plugin.host().advance_seconds(expires_in - 1);
    assert_eq!(user_of(&plugin, &access).as_deref(), Some(ALICE), "alive until its expiry");
    plugin.host().advance_seconds(2);
    assert_eq!(user_of(&plugin, &access), None, "gone after it");
    let refreshed = refresh(&plugin, &client, tokens.body["refresh_token"].as_str().unwrap());
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert!(user_of(&plugin, refreshed.body["access_token"].as_str().unwrap()).is_some());

    // A code expires by the same clock.
    let code = code_for(&plugin, &client, ALICE, "");
    plugin.host().advance_seconds(3600);
    assert_eq!(exchange(&plugin, &client, &code).body["error"], "invalid_grant");
}
