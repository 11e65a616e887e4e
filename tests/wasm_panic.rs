//! A panic inside the plugin is logged through the host, with its message, before the module
//! traps. Its own test binary: after a trap this wasm instance is not used again.
#![cfg(all(target_arch = "wasm32", feature = "test-panic"))]

use oauth_plugin::wasm::{PluginHost, WasmPlugin};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen(module = "/tests/js/memory_host.js")]
extern "C" {
    #[wasm_bindgen(js_name = memoryHost)]
    fn memory_host() -> JsValue;
    #[wasm_bindgen(js_name = logText)]
    fn log_text(host: &JsValue) -> String;
    #[wasm_bindgen(js_name = callPanicForTest)]
    fn call_panic_for_test(plugin: JsValue) -> String;
}

#[wasm_bindgen_test]
fn a_panic_is_logged_through_the_host_and_surfaces_as_an_error() {
    let host = memory_host();
    let plugin = WasmPlugin::new(host.clone().unchecked_into::<PluginHost>());
    let outcome = call_panic_for_test(plugin.into());
    assert!(outcome.starts_with("RuntimeError"), "{outcome}");
    let logs = log_text(&host);
    assert!(logs.contains(r#""level":"error""#), "{logs}");
    assert!(logs.contains("plugin panicked: panicked at src/wasm.rs"), "{logs}");
    assert!(logs.contains("panic requested by a test"), "{logs}");
}
