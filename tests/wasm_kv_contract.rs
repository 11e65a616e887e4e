//! Mattermost's plugin KV semantics, the contract of tests/kv-contract.json, on the JS in-memory
//! host of the wasm tests (tests/js/memory_host.js), called as the plugin calls a PluginHost: JS
//! values in, values out (as the reference server's SQLite host answers); then through the plugin's
//! own adapter (`JsHost`), on a host with the optional `kvGetMany` and on one without. Run by
//! wasm-bindgen-test in Node and in headless Chromium and Firefox.
#![cfg(target_arch = "wasm32")]

use crate::kv_contract_runner;

use js_sys::{Array, Object, Reflect, Uint8Array};
use kv_contract_runner::{run_all, Interface, Kv, Options};
use oauth_plugin::host::{Host, KvWrite};
use oauth_plugin::wasm::{JsHost, PluginHost};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen]
extern "C" {
    /// The object `memoryHost()` makes: a PluginHost.
    type JsMemoryHost;

    #[wasm_bindgen(method, catch, js_name = kvGet)]
    fn kv_get(this: &JsMemoryHost, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = kvGetMany)]
    fn kv_get_many(this: &JsMemoryHost, keys: Array) -> Result<JsValue, JsValue>;
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
    #[wasm_bindgen(js_name = withoutKvGetMany)]
    fn without_kv_get_many(host: JsValue) -> JsValue;
    #[wasm_bindgen(js_name = answeringKvGetMany)]
    fn answering_kv_get_many(host: &JsValue, answer: JsValue);
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

/// A KV value as the contract wants it from a PluginHost: bytes, or exactly null.
fn value_of(value: JsValue, call: &str) -> Result<Option<Vec<u8>>, String> {
    if value.is_null() {
        return Ok(None);
    }
    value.dyn_ref::<Uint8Array>().map(|bytes| Some(bytes.to_vec())).ok_or_else(|| unexpected(call, &value))
}

impl Kv for JsMemoryHost {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        let value = self.kv_get(key).map_err(error_message)?;
        value_of(value, "kvGet")
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, String> {
        let asked: Array = keys.iter().map(|key| JsValue::from_str(key)).collect();
        let values = self.kv_get_many(asked).map_err(error_message)?;
        let values = values.dyn_ref::<Array>().ok_or_else(|| unexpected("kvGetMany", &values))?;
        values.iter().map(|value| value_of(value, "kvGetMany")).collect()
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

/// The plugin's adapter over a JS in-memory host, called through the `Host` trait as the plugin
/// calls it; `advance` moves the JS host's clock.
struct Adapter {
    js: JsMemoryHost,
    host: JsHost,
}

impl Adapter {
    fn over(js: JsValue) -> Adapter {
        Adapter { js: js.clone().unchecked_into(), host: JsHost::from(js.unchecked_into::<PluginHost>()) }
    }
}

impl Kv for Adapter {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.host.kv_get(key).await.map_err(|e| e.0)
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, String> {
        self.host.kv_get_many(keys).await.map_err(|e| e.0)
    }

    async fn set(&self, key: &str, write: KvWrite<'_>) -> Result<bool, String> {
        self.host.kv_set(key, write).await.map_err(|e| e.0)
    }

    async fn set_with_options(&self, _: &str, _: Option<&[u8]>, _: &Options) -> Result<bool, String> {
        unreachable!("the cases that need PluginHost options are not run through the Host trait")
    }

    async fn delete(&self, key: &str) -> Result<(), String> {
        self.host.kv_delete(key).await.map_err(|e| e.0)
    }

    async fn list(&self, page: i64, per_page: i64) -> Result<Vec<String>, String> {
        let page = u32::try_from(page).expect("a page the Host trait cannot take is plugin_host_only");
        let per_page = u32::try_from(per_page).expect("so is such a page size");
        self.host.kv_list(page, per_page).await.map_err(|e| e.0)
    }

    async fn advance(&self, millis: u32) {
        advance_clock(&self.js, millis);
    }
}

#[wasm_bindgen_test]
async fn the_adapter_keeps_the_kv_contract_with_kv_get_many_and_without() {
    let ran = run_all(Interface::HostTrait, || Adapter::over(memory_host())).await;
    assert!(ran > 0);
    // Mattermost's plugin API has no multi-get: N kvGet calls give the same answers.
    let ran = run_all(Interface::HostTrait, || Adapter::over(without_kv_get_many(memory_host()))).await;
    assert!(ran > 0);
}

#[wasm_bindgen_test]
async fn the_adapter_refuses_a_kv_get_many_answer_that_does_not_fit() {
    let js = memory_host();
    let adapter = Adapter::over(js.clone());
    for (answer, error) in [
        ("[]", "did not return one value per key"),
        ("{}", "did not return one value per key"),
        (r#"["text"]"#, "returned something other than bytes"),
    ] {
        answering_kv_get_many(&js, js_sys::JSON::parse(answer).unwrap());
        let got = adapter.get_many(&["a"]).await;
        assert!(got.as_ref().is_err_and(|message| message.contains(error)), "{answer}: {got:?}");
    }
}

#[wasm_bindgen_test]
async fn the_js_memory_host_keeps_the_kv_contract() {
    let ran = run_all(Interface::PluginHost, || memory_host().unchecked_into::<JsMemoryHost>()).await;
    assert!(ran > 0);
    console_log!("{ran} KV contract cases passed on the JS in-memory host");
}
