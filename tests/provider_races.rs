//! A deauthorization racing a code exchange or a refresh, interleaved on the in-memory host at
//! every point from before the other request's first host call to after its last (and the other
//! way round), on a host with a multi-key read and on one without: whatever the order, once the
//! deauthorization is done, no token of the user's for the app opens anything.

use crate::common;

use common::provider::*;
use common::*;
use futures::future::join;
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::host::Host;
use oauth_plugin::http::Request;
use oauth_plugin::Plugin;
use serde_json::{json, Value};

/// How many host turns one request is held back behind the other, at most: past the other's last
/// host call.
const HEAD_STARTS: i32 = 12;

/// Sends `request` and Alice's deauthorization of `client` at once, the deauthorization
/// `head_start` host turns later (earlier when negative); returns the request's reply, once both
/// are done.
async fn racing_deauthorization(
    plugin: &Plugin<MemoryHost>,
    client: &Client,
    request: Request,
    head_start: i32,
) -> Reply {
    let host = plugin.host();
    let mut deauthorization = Request::new("POST", "/oauth/deauthorize");
    deauthorization.user_id = Some(ALICE.into());
    deauthorization.body = json!({"client_id": client.id}).to_string().into_bytes();
    let after = |turns: i32, request: Request| async move {
        for _ in 0..turns {
            host.sleep(0).await;
        }
        plugin.serve_http(request).await
    };
    host.interleave(true);
    let (response, deauthorized) =
        join(after(-head_start, request), after(head_start, deauthorization)).await;
    host.interleave(false);
    assert_eq!(deauthorized.status, 200);
    let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    Reply { status: response.status, body, response }
}

/// Races the request `prepare` makes for a fresh app (it gives the request, and the tokens Alice
/// already holds) against the deauthorization at every head start, on either kind of host. After
/// each race the tokens held before and those the request got, if any, must open nothing; and
/// both sides of the race must have been run: a request that got tokens before the
/// deauthorization landed, and one refused after.
async fn race_at_every_point(prepare: impl Fn(&Plugin<MemoryHost>, &Client) -> (Request, Value)) {
    for single_gets in [false, true] {
        let host = MemoryHost::new();
        host.single_gets(single_gets);
        let plugin = plugin_on(host);
        let (mut issued, mut refused) = (0, 0);
        for head_start in -HEAD_STARTS..=HEAD_STARTS {
            // A fresh app each time, so that each race starts from the same place.
            let client = client(&plugin, json!({"is_trusted": true}));
            let (request, held) = prepare(&plugin, &client);
            let reply = racing_deauthorization(&plugin, &client, request, head_start).await;
            let label = format!("single gets {single_gets}, head start {head_start}");
            for tokens in [&held, &reply.body] {
                if let Some(access) = tokens["access_token"].as_str() {
                    assert_eq!(user_of(&plugin, access), None, "{label}");
                    let again = refresh(&plugin, &client, tokens["refresh_token"].as_str().unwrap());
                    assert_eq!(again.body["error"], "invalid_grant", "{label}: {}", again.body);
                }
            }
            match reply.status {
                200 => issued += 1,
                _ => {
                    assert_eq!(reply.body["error"], "invalid_grant", "{label}: {}", reply.body);
                    refused += 1;
                }
            }
        }
        assert!(issued > 0 && refused > 0, "single gets {single_gets}: {issued} issued, {refused} refused");
    }
}

async_test! {
    async fn a_deauthorization_racing_a_code_exchange_never_leaves_a_working_grant() {
        race_at_every_point(|plugin, client| {
            // Alice authorized the app before: the exchange reads her authorized apps ahead.
            let held = exchange(plugin, client, &code_for(plugin, client, ALICE, "")).body;
            let code = code_for(plugin, client, ALICE, "");
            let form = format!(
                "grant_type=authorization_code&code={code}&redirect_uri={CALLBACK}&client_id={}&client_secret={}",
                client.id, client.secret
            );
            (form_request("/oauth/access_token", &form), held)
        })
        .await;
    }
}

async_test! {
    async fn a_deauthorization_racing_a_refresh_never_leaves_a_working_grant() {
        race_at_every_point(|plugin, client| {
            let held = exchange(plugin, client, &code_for(plugin, client, ALICE, "")).body;
            let form = format!(
                "grant_type=refresh_token&refresh_token={}&client_id={}&client_secret={}",
                held["refresh_token"].as_str().unwrap(),
                client.id,
                client.secret
            );
            (form_request("/oauth/access_token", &form), held)
        })
        .await;
    }
}
