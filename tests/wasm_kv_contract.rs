//! Mattermost's plugin KV semantics, the contract of tests/kv-contract.json, on the JS in-memory
//! host of the wasm tests (tests/js/memory_host.js), called as the plugin calls a PluginHost: JS
//! values in, values out (as the reference server's SQLite host answers). Run by wasm-bindgen-test in Node and in headless Chromium and Firefox.
#![cfg(target_arch = "wasm32")]

mod kv_contract_runner;

use js_sys::{Array, Object, Reflect, Uint8Array};
use kv_contract_runner::{run_all, Interface, Kv, Options};
use oauth_plugin::host::KvWrite;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen]
extern "C" {
    /// The object `memoryHost()` makes: a PluginHost.
    type JsMemoryHost;

    #[wasm_bindgen(method, catch, js_name = kvGet)]
    fn kv_get(this: &JsMemoryHost, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = kvSet)]
    fn kv_set(this: &JsMemoryHost, key: &str, value: JsValue, opts: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = kvDelete)]
    fn kv_delete(this: &JsMemoryHost, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = kvList)]
    fn kv_list(this: &JsMemoryHost, page: f64, per_page: f64) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen(module = "/tests/js/memory_host.js")]
extern "C" {
    #[wasm_bindgen(js_name = memoryHost)]
    fn memory_host() -> JsValue;
    #[wasm_bindgen(js_name = advanceClock)]
    fn advance_clock(host: &JsMemoryHost, millis: u32);
    #[wasm_bindgen(js_name = errorMessage)]
    fn error_message(error: JsValue) -> String;
}

fn bytes_or_null(value: Option<&[u8]>) -> JsValue {
    value.map_or(JsValue::NULL, |v| Uint8Array::from(v).into())
}

/// The options object, with only the fields `options` has.
fn js_options(options: &Options) -> JsValue {
    let object = Object::new();
    let set = |name: &str, value: JsValue| {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&object, &name.into(), &value);
    };
    if let Some(atomic) = options.atomic {
        set("atomic", atomic.into());
    }
    if let Some(old) = &options.old_value {
        set("oldValue", bytes_or_null(old.as_ref().map(|b| b.0.as_slice())));
    }
    if let Some(seconds) = options.expire_in_seconds {
        set("expireInSeconds", seconds.into());
    }
    object.into()
}

fn unexpected(call: &str, value: &JsValue) -> String {
    format!("{call} returned {value:?}")
}

impl Kv for JsMemoryHost {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        let value = self.kv_get(key).map_err(error_message)?;
        if value.is_null() {
            return Ok(None);
        }
        value
            .dyn_ref::<Uint8Array>()
            .map(|bytes| Some(bytes.to_vec()))
            .ok_or_else(|| unexpected("kvGet", &value))
    }

    async fn set(&self, key: &str, write: KvWrite<'_>) -> Result<bool, String> {
        self.set_with_options(key, write.value, &Options::from(write)).await
    }

    async fn set_with_options(
        &self,
        key: &str,
        value: Option<&[u8]>,
        options: &Options,
    ) -> Result<bool, String> {
        let done = self.kv_set(key, bytes_or_null(value), js_options(options)).map_err(error_message)?;
        done.as_bool().ok_or_else(|| unexpected("kvSet", &done))
    }

    async fn delete(&self, key: &str) -> Result<(), String> {
        let done = self.kv_delete(key).map_err(error_message)?;
        if done.is_undefined() {
            Ok(())
        } else {
            Err(unexpected("kvDelete", &done))
        }
    }

    async fn list(&self, page: i64, per_page: i64) -> Result<Vec<String>, String> {
        let keys = self.kv_list(page as f64, per_page as f64).map_err(error_message)?;
        let keys = keys.dyn_ref::<Array>().ok_or_else(|| unexpected("kvList", &keys))?;
        keys.iter().map(|key| key.as_string().ok_or_else(|| unexpected("kvList", &key))).collect()
    }

    async fn advance(&self, millis: u32) {
        advance_clock(self, millis);
    }
}

#[wasm_bindgen_test]
async fn the_js_memory_host_keeps_the_kv_contract() {
    let ran = run_all(Interface::PluginHost, || memory_host().unchecked_into::<JsMemoryHost>()).await;
    assert!(ran > 0);
    console_log!("{ran} KV contract cases passed on the JS in-memory host");
}
