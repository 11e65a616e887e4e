//! Every test of the plugin, as one test binary for both targets: natively under `cargo test`,
//! and compiled to wasm32 under wasm-bindgen-test in Node, headless Chromium and headless Firefox
//! (one binary, because the wasm runner costs seconds per binary). Each module is one file of
//! tests/; `common` is what they share.

#[macro_use]
mod common;
mod kv_contract_runner;

mod apps_oauth2;
mod arithmetic;
mod at_rest;
mod host_calls;
mod kv_contract;
mod manifest;
mod outgoing;
mod plugin;
mod provider_apps;
mod provider_audience;
mod provider_cimd;
mod provider_dcr;
mod provider_device;
mod provider_flows;
mod provider_jwt_access;
mod provider_oidc;
mod provider_oidc_prompt;
mod provider_races;
mod provider_resources;
mod provider_tokens;
mod redaction;
mod routes;
mod wasm_kv_contract;
mod wasm_plugin;
