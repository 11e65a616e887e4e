//! Fuzzes the plugin's request handling on the in-memory host.
//!
//! Each input builds a plugin with every feature on and a realistic setup (an admin and a plain
//! user, a trusted confidential app linked to an app, a public client, a confidential and a public
//! device-grant client, two protected resources, an outgoing connection with a cached token, access
//! tokens (one with `openid`), a pending and an approved device authorization, the app's remote
//! OAuth2 settings and one connected account), with a fetch handler playing every token server. The
//! setup runs once per process through the plugin's API; each input gets a fresh host with a copy
//! of its KV store. The input decodes into a short sequence of steps: calls of each endpoint that
//! are valid unless the input deviates (so that deep paths are reached: code exchange, refresh,
//! revocation, consent, device authorization, verification and polling, UserInfo, resources, key
//! rotation, connect/complete…), requests assembled from templates of every route (with fuzzed
//! methods, segments, queries, headers, bodies and users), all using the real ids, secrets, codes
//! and tokens issued so far; pairs of concurrent requests, clock advances, and calls of
//! `resolve_access_token` and `authorize_outgoing_request`. Each request also picks how the token
//! server answers.
//!
//! A panic is a finding. Besides the plugin's own panics, it asserts after every step:
//! - no 5xx answer, except 502 when the token server (the fetch handler) was told to fail or to
//!   answer oddly during that step: the in-memory host never fails, so any other 5xx means client
//!   input reached a server error;
//! - no CR, LF or NUL in any response header name or value;
//! - a body whose Content-Type is JSON parses as JSON;
//! - no key set (a body with `keys`, as `/oauth/jwks` answers) has a private key member;
//! - no response shows a secret issued earlier (an app's or a protected resource's client
//!   secret, the outgoing connection's client secret, a code, a device code, an access or refresh
//!   token, a connect state) outside the response that issued it, unless the request itself carries
//!   it or the client stored it earlier in a JSON body (what a client stores, it may read back);
//! - `resolve_access_token` never fails, and `authorize_outgoing_request` fails only when the token
//!   server was told to fail; its header is header-safe and never carries the connection's secret.
//!
//! `FUZZ_TRACE=1` prints every request and response to stderr (to read a finding).

#![no_main]

pub(crate) use arbitrary::{Arbitrary, Unstructured};
pub(crate) use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
pub(crate) use base64::Engine;
pub(crate) use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;
pub(crate) use oauth_plugin::host::memory::MemoryHost;
pub(crate) use oauth_plugin::host::{FetchResponse, Host, HostError, KvWrite, User, MAX_KEYS_PER_GET};
pub(crate) use oauth_plugin::http::{Request, Response};
pub(crate) use oauth_plugin::Plugin;
pub(crate) use serde_json::{json, Map, Value};
pub(crate) use sha2::{Digest, Sha256};
pub(crate) use std::cell::Cell;
pub(crate) use std::rc::Rc;
pub(crate) use std::sync::OnceLock;

mod calls;
mod checks;
mod input;
mod parts;
mod setup;
mod templates;
mod text;
mod values;
mod world;

pub(crate) use input::*;
pub(crate) use parts::*;
pub(crate) use text::*;
pub(crate) use values::*;
pub(crate) use world::*;

pub(crate) const MAX_STEPS: usize = 12;
/// Bound on each pool of issued values, so that an input cannot grow them without end.
pub(crate) const MAX_POOL: usize = 16;

pub(crate) const SITE: &str = "https://chat.example.com";
pub(crate) const ADMIN: &str = "adminadminadminadminadmin1";
pub(crate) const USER: &str = "useruseruseruseruseruser11";
pub(crate) const DEACTIVATED: &str = "deaddeaddeaddeaddeaddead11";
/// Shaped like a user id, but nobody's.
pub(crate) const NOBODY: &str = "ghostghostghostghostghost1";
pub(crate) const JIRA_APP_ID: &str = "com.example.jira";
pub(crate) const APP_CALLBACK: &str = "https://app.example.com/cb";
pub(crate) const APP_CALLBACK_2: &str = "http://localhost:8080/callback";
pub(crate) const PUBLIC_CALLBACK: &str = "https://cli.example.com/cb";
pub(crate) const TOKEN_URL: &str = "https://auth.example.com/oauth/token";
pub(crate) const REMOTE_AUTHORIZE_URL: &str = "https://remote.example.com/oauth/authorize?prompt=consent";
pub(crate) const REMOTE_TOKEN_URL: &str = "https://remote.example.com/oauth/token";
/// The outgoing connection's client secret: write-only, never in a response.
pub(crate) const OC_SECRET: &str = "oc-secret-Vq3xT9mZr7LpW2sK";
pub(crate) const OC_CLIENT_ID: &str = "oc-client";
/// RFC 8628 §3.4's grant type.
pub(crate) const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// Where the setup's device clients are among the clients.
pub(crate) const DEVICE_CLIENT: usize = 2;
pub(crate) const PUBLIC_DEVICE_CLIENT: usize = 3;
/// The setup's protected resources: one under the SiteURL (JWT access tokens), one beside it.
pub(crate) const RESOURCE_UNDER_SITE: &str = "https://chat.example.com/mcp";
pub(crate) const RESOURCE_BESIDE: &str = "https://tools.example.com";
/// RFC 7636 Appendix B.
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// Stands in for a code, token or secret when none of that kind was issued yet.
pub(crate) const NOT_ISSUED: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
pub(crate) const ID_ALPHABET: &[u8] = b"ybndrfg8ejkmcpqxot1uwisza345h769";

pub(crate) fn tracing() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("FUZZ_TRACE").is_some_and(|v| v != "0"))
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let mut world = SNAPSHOT.with(World::from_snapshot);
    for _ in 0..MAX_STEPS {
        if u.is_empty() {
            break;
        }
        let Ok(step) = u.arbitrary::<Step>() else { break };
        world.run(step);
    }
});
