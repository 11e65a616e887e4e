//! What a grant costs in host round trips, counted on the in-memory host: each KV, user and
//! permission call is one trip to the database or the server on a real host. The bounds are the
//! counts as they are; a change that adds a trip fails here and says which.

use crate::common;
use crate::common::test;

use common::provider::*;
use common::*;
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::Plugin;
use serde_json::json;

/// The calls `request` makes, after the setup's calls are forgotten.
fn calls_of(plugin: &Plugin<MemoryHost>, request: impl FnOnce()) -> Vec<String> {
    plugin.host().take_calls();
    request();
    plugin.host().take_calls()
}

/// The calls of a code exchange (for a user who authorized the app before, as every exchange but
/// the first finds them), of a refresh of its tokens, and of an API call with the refreshed token.
fn grant_calls(plugin: &Plugin<MemoryHost>) -> [Vec<String>; 3] {
    let client = client(plugin, json!({"is_trusted": true}));
    exchange(plugin, &client, &code_for(plugin, &client, ALICE, ""));
    let code = code_for(plugin, &client, ALICE, "");
    let mut tokens = json!(null);
    let exchange_calls = calls_of(plugin, || tokens = exchange(plugin, &client, &code).body);
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let access_token = tokens["access_token"].as_str().unwrap().to_owned();
    let mut refreshed = json!(null);
    let refresh_calls = calls_of(plugin, || refreshed = refresh(plugin, &client, &refresh_token).body);
    let renewed = refreshed["access_token"].as_str().expect("a refreshed token").to_owned();
    assert_ne!(renewed, access_token);
    let api_calls = calls_of(plugin, || assert_eq!(user_of(plugin, &renewed).as_deref(), Some(ALICE)));
    [exchange_calls, refresh_calls, api_calls]
}

#[test]
fn host_calls_per_grant() {
    let [exchange_calls, refresh_calls, api_calls] = grant_calls(&plugin());
    println!(
        "code exchange: {exchange_calls:#?}\nrefresh grant: {refresh_calls:#?}\nAPI token: {api_calls:#?}"
    );
    assert!(exchange_calls.len() <= 5, "code exchange: {exchange_calls:#?}");
    assert!(refresh_calls.len() <= 4, "refresh grant: {refresh_calls:#?}");
    assert!(api_calls.len() <= 3, "an API call's token: {api_calls:#?}");
}

/// A call with its keys' kinds (`app`, `grant`, …) in place of the keys, which hold random ids;
/// a multi-key read as the single gets it stands for.
fn kinds(calls: &[String]) -> Vec<String> {
    let mut kinds = Vec::new();
    for call in calls {
        let (method, arguments) = call.split_once(' ').unwrap_or((call, ""));
        let kind = |key: &str| key.split(':').next().unwrap_or(key).to_owned();
        match method {
            "kv_get_many" => kinds.extend(arguments.split(' ').map(|key| format!("kv_get {}", kind(key)))),
            _ => kinds.push(format!("{method} {}", kind(arguments))),
        }
    }
    kinds
}

#[test]
fn a_host_without_a_multi_key_read_gets_the_same_keys_one_by_one() {
    let host = MemoryHost::new();
    host.single_gets(true);
    let single = grant_calls(&plugin_on(host));
    assert!(single.iter().flatten().all(|call| !call.starts_with("kv_get_many")), "{single:#?}");
    let multi = grant_calls(&plugin());
    for (single, multi) in single.iter().zip(&multi) {
        assert_eq!(kinds(single), kinds(multi), "{single:#?}\n{multi:#?}");
    }
}
