//! `plugin.json` is Mattermost's manifest format and agrees with the crate it ships.

use crate::common::test;
use oauth_plugin::PLUGIN_ID;
use serde_json::Value;

fn manifest() -> Value {
    // Read at build time: a wasm test has no file system.
    serde_json::from_str(include_str!("../plugin.json")).unwrap()
}

fn is_semver(version: &str) -> bool {
    let parts: Vec<&str> = version.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn id_and_version_match_the_crate() {
    let manifest = manifest();
    assert_eq!(manifest["id"], PLUGIN_ID);
    assert_eq!(manifest["version"], env!("CARGO_PKG_VERSION"), "bump plugin.json and Cargo.toml together");
}

#[test]
fn fields_follow_mattermosts_rules() {
    let manifest = manifest();
    let id = manifest["id"].as_str().unwrap();
    assert!((3..=190).contains(&id.len()));
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
    assert!(!manifest["name"].as_str().unwrap().is_empty());
    assert!(is_semver(manifest["version"].as_str().unwrap()));
    assert!(is_semver(manifest["min_server_version"].as_str().unwrap()));
    assert!(manifest["settings_schema"]["settings"].is_array());
}

#[test]
fn paths_name_the_build_outputs() {
    let manifest = manifest();
    // wasm-bindgen names its output after the crate: <crate>_bg.wasm beside <crate>.js.
    let wasm = format!("server/dist/{}_bg.wasm", env!("CARGO_PKG_NAME").replace('-', "_"));
    assert_eq!(manifest["server"]["executable"], wasm.as_str());
    assert_eq!(manifest["webapp"]["bundle_path"], "webapp/dist/main.js");
}
