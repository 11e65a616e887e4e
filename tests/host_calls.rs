//! What a grant costs in host round trips, counted on the in-memory host: each KV, user and
//! permission call is one trip to the database or the server on a real host. The bounds are the
//! counts as they are; a change that adds a trip fails here and says which.

mod common;

use common::provider::*;
use common::*;
use serde_json::json;

/// The calls `request` makes, after the setup's calls are forgotten.
fn calls_of(
    plugin: &oauth_plugin::Plugin<oauth_plugin::host::memory::MemoryHost>,
    request: impl FnOnce(),
) -> Vec<String> {
    plugin.host().take_calls();
    request();
    plugin.host().take_calls()
}

#[test]
fn host_calls_per_grant() {
    let plugin = plugin();
    let client = client(&plugin, json!({"is_trusted": true}));
    // A user who authorized the app before, as every exchange but the first finds them.
    exchange(&plugin, &client, &code_for(&plugin, &client, ALICE, ""));
    let code = code_for(&plugin, &client, ALICE, "");
    let mut tokens = json!(null);
    let exchange_calls = calls_of(&plugin, || tokens = exchange(&plugin, &client, &code).body);
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let access_token = tokens["access_token"].as_str().unwrap().to_owned();
    let mut refreshed = json!(null);
    let refresh_calls = calls_of(&plugin, || refreshed = refresh(&plugin, &client, &refresh_token).body);
    let renewed = refreshed["access_token"].as_str().expect("a refreshed token").to_owned();
    assert_ne!(renewed, access_token);
    let api_calls = calls_of(&plugin, || assert_eq!(user_of(&plugin, &renewed).as_deref(), Some(ALICE)));
    println!(
        "code exchange: {exchange_calls:#?}\nrefresh grant: {refresh_calls:#?}\nAPI token: {api_calls:#?}"
    );
    assert!(exchange_calls.len() <= 7, "code exchange: {exchange_calls:#?}");
    assert!(refresh_calls.len() <= 5, "refresh grant: {refresh_calls:#?}");
    assert!(api_calls.len() <= 4, "an API call's token: {api_calls:#?}");
}
