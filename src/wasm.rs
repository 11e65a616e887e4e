//! The wasm-bindgen adapter: the exported `Plugin` class, and `JsHost`, the JS implementation of
//! [`Host`]. The only file that knows about JS.
//!
//! No Rust error crosses the boundary as anything but a rejected promise with a readable message,
//! and a panic is logged through the host (with its message) before the module traps.

use crate::host::{
    kv_get_each, FetchRequest, FetchResponse, Host, HostError, HostResult, KvCondition, KvWrite, LogLevel,
    RsaPublicJwk, SigningKeyPair, User,
};
use crate::http::Request;
use js_sys::{Array, Object, Reflect, Uint8Array};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::task::{Context as TaskContext, Poll, Waker};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The object the server hands to the plugin (`PluginHost` in reference-server/src/contract.ts).
    #[wasm_bindgen(typescript_type = "PluginHost")]
    #[derive(Clone)]
    pub type PluginHost;

    // The data calls answer with their value, or with a promise of it ([`settle`]): a host whose
    // database answers at once (SQLite) spares every call a promise and a trip through the
    // microtask queue.
    #[wasm_bindgen(method, catch, js_name = kvGet)]
    fn kv_get(this: &PluginHost, key: &str) -> Result<JsValue, JsValue>;
    /// Optional: a host without it gets N `kvGet` calls instead.
    #[wasm_bindgen(method, catch, js_name = kvGetMany)]
    fn kv_get_many(this: &PluginHost, keys: Array) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = kvSet)]
    fn kv_set(this: &PluginHost, key: &str, value: JsValue, opts: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = kvDelete)]
    fn kv_delete(this: &PluginHost, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = kvList)]
    fn kv_list(this: &PluginHost, page: u32, per_page: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = httpFetch)]
    async fn http_fetch(this: &PluginHost, request: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = getUser)]
    fn get_user(this: &PluginHost, user_id: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = hasPermission)]
    fn has_permission(this: &PluginHost, user_id: &str, permission: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = atRestKey)]
    async fn at_rest_key(this: &PluginHost) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = generateSigningKey)]
    async fn generate_signing_key(this: &PluginHost) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = signRs256)]
    async fn sign_rs256(
        this: &PluginHost,
        private_key: Uint8Array,
        message: Uint8Array,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = signingPublicKey)]
    async fn signing_public_key(this: &PluginHost, private_key: Uint8Array) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn log(this: &PluginHost, level: &str, message: &str, fields: JsValue) -> Result<(), JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// A `PluginRequest` (contract.ts), read a property at a time: each getter is a plain property
    /// read in the glue, with no key string to pass and no generic converter behind it.
    pub type JsRequest;
    #[wasm_bindgen(method, getter)]
    fn method(this: &JsRequest) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn path(this: &JsRequest) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn query(this: &JsRequest) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn headers(this: &JsRequest) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn body(this: &JsRequest) -> JsValue;
    #[wasm_bindgen(method, getter = userId)]
    fn user_id(this: &JsRequest) -> JsValue;
    #[wasm_bindgen(method, getter = sessionId)]
    fn session_id(this: &JsRequest) -> JsValue;
    #[wasm_bindgen(method, getter = isOAuthSession)]
    fn is_oauth_session(this: &JsRequest) -> JsValue;
    #[wasm_bindgen(method, getter = sessionCreatedAt)]
    fn session_created_at(this: &JsRequest) -> JsValue;
    #[wasm_bindgen(method, getter = remoteAddr)]
    fn remote_addr(this: &JsRequest) -> JsValue;
    #[wasm_bindgen(method, getter = requestId)]
    fn request_id(this: &JsRequest) -> JsValue;

    /// A `FetchResponse`, the host's answer to `httpFetch`.
    pub type JsFetchResponse;
    #[wasm_bindgen(method, getter)]
    fn status(this: &JsFetchResponse) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn headers(this: &JsFetchResponse) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn body(this: &JsFetchResponse) -> JsValue;

    /// A user as `getUser` gives it (Mattermost's user JSON): the fields the plugin reads.
    pub type JsUser;
    #[wasm_bindgen(method, getter)]
    fn id(this: &JsUser) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn username(this: &JsUser) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn email(this: &JsUser) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn email_verified(this: &JsUser) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn first_name(this: &JsUser) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn last_name(this: &JsUser) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn nickname(this: &JsUser) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn roles(this: &JsUser) -> JsValue;
    #[wasm_bindgen(method, getter)]
    fn delete_at(this: &JsUser) -> JsValue;

    /// A plain object the plugin fills in: a `PluginResponse`, a `FetchRequest`, a `TokenInfo`.
    pub type JsObject;
    #[wasm_bindgen(method, setter)]
    fn set_status(this: &JsObject, status: u16);
    #[wasm_bindgen(method, setter)]
    fn set_headers(this: &JsObject, headers: Array);
    /// A copy (`Uint8Array::from`), never a view into this module's memory, which the host could
    /// read after the memory changed.
    #[wasm_bindgen(method, setter)]
    fn set_body(this: &JsObject, body: &Uint8Array);
    #[wasm_bindgen(method, setter)]
    fn set_method(this: &JsObject, method: &str);
    #[wasm_bindgen(method, setter)]
    fn set_url(this: &JsObject, url: &str);
    #[wasm_bindgen(method, setter = timeoutMs)]
    fn set_timeout_ms(this: &JsObject, millis: u32);
    #[wasm_bindgen(method, setter = maxResponseBytes)]
    fn set_max_response_bytes(this: &JsObject, bytes: u32);
    #[wasm_bindgen(method, setter = userId)]
    fn set_user_id(this: &JsObject, user_id: &str);
    #[wasm_bindgen(method, setter = clientId)]
    fn set_client_id(this: &JsObject, client_id: &str);
    #[wasm_bindgen(method, setter)]
    fn set_scope(this: &JsObject, scope: &str);
    #[wasm_bindgen(method, setter = expiresAt)]
    fn set_expires_at(this: &JsObject, expires_at: f64);
    #[wasm_bindgen(method, setter = apiAccess)]
    fn set_api_access(this: &JsObject, api_access: bool);
}

/// [`Host`] over the JS object.
pub struct JsHost(PluginHost);

impl From<PluginHost> for JsHost {
    fn from(host: PluginHost) -> Self {
        JsHost(host)
    }
}

impl JsHost {
    /// Whether the host has the optional `kvGetMany`.
    fn has_kv_get_many(&self) -> bool {
        Reflect::get(&self.0, &"kvGetMany".into()).is_ok_and(|method| method.is_function())
    }
}

/// A KV value from JS: bytes, or null (undefined too) for none.
fn kv_value(value: JsValue, call: &str) -> HostResult<Option<Vec<u8>>> {
    if value.is_null() || value.is_undefined() {
        return Ok(None);
    }
    bytes_of(value, call).map(Some)
}

/// A readable message from whatever JS threw or rejected with.
fn js_message(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

/// A host call's answer: its value, or what the promise it gave settles to.
async fn settle(answer: Result<JsValue, JsValue>) -> Result<JsValue, JsValue> {
    match answer?.dyn_into::<js_sys::Promise>() {
        Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise).await,
        Err(value) => Ok(value),
    }
}

/// Runs `work` as far as it goes now: its value when it is done at once (every host call it made
/// answered at once), else a promise of it. Failures are rejected promises either way.
fn now_or_promise(work: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> JsValue {
    let mut work = Box::pin(work);
    match work.as_mut().poll(&mut TaskContext::from_waker(Waker::noop())) {
        Poll::Ready(Ok(value)) => value,
        Poll::Ready(Err(error)) => js_sys::Promise::reject(&error).into(),
        // Polled again by the executor, which a promise answer wakes; a JsFuture keeps a value that
        // came before that poll.
        Poll::Pending => wasm_bindgen_futures::future_to_promise(work).into(),
    }
}

fn host_error(call: &str) -> impl Fn(JsValue) -> HostError + '_ {
    move |value| HostError(format!("host {call} failed: {}", js_message(&value)))
}

/// `value` as a JS value: its JSON, parsed by the engine (`JSON.parse`), for what crosses once
/// (the route table): the same serde_json code as every other JSON the plugin writes.
fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    // Our types always serialize, and serde_json's output always parses.
    let json = serde_json::to_string(value).unwrap_or_default();
    js_sys::JSON::parse(&json).unwrap_or(JsValue::UNDEFINED)
}

/// A JS value read as `T` through its JSON (`JSON.stringify`): one call across the boundary for a
/// value of any shape (headers, a user, a list of keys), read by serde_json as every JSON is.
fn from_js<T: DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, String> {
    let json = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|json| json.as_string())
        .ok_or_else(|| format!("invalid {what}: not JSON"))?;
    serde_json::from_slice(json.as_bytes()).map_err(|e| format!("invalid {what}: {e}"))
}

/// What a property of an object from the host must hold.
fn string(value: JsValue, name: &str) -> Result<String, String> {
    value.as_string().ok_or_else(|| format!("{name} must be a string"))
}

/// A string that may be missing (`undefined` or `null`).
fn optional_string(value: JsValue, name: &str) -> Result<Option<String>, String> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    string(value, name).map(Some)
}

/// Bytes that may be missing (none).
fn optional_bytes(value: JsValue, name: &str) -> Result<Vec<u8>, String> {
    match value.dyn_into::<Uint8Array>() {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(other) if other.is_undefined() || other.is_null() => Ok(Vec::new()),
        Err(_) => Err(format!("{name} must be a Uint8Array")),
    }
}

/// A whole number of JS's safe integer range (a time in milliseconds, a status), or missing.
fn optional_integer(value: JsValue, name: &str) -> Result<Option<i64>, String> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    const SAFE: f64 = 9_007_199_254_740_991.0;
    match value.as_f64() {
        Some(n) if n.fract() == 0.0 && n.abs() <= SAFE => Ok(Some(n as i64)),
        _ => Err(format!("{name} must be a whole number")),
    }
}

/// A flag that may be missing (false).
fn optional_bool(value: JsValue, name: &str) -> Result<bool, String> {
    match value.as_bool() {
        Some(flag) => Ok(flag),
        None if value.is_undefined() || value.is_null() => Ok(false),
        None => Err(format!("{name} must be a boolean")),
    }
}

/// The user `getUser` gave; a field it leaves out is empty, as in Mattermost's JSON.
fn user_from_js(value: &JsValue) -> Result<User, String> {
    if !value.is_object() {
        return Err("invalid getUser result: not an object".into());
    }
    let js = value.unchecked_ref::<JsUser>();
    let text = |value: JsValue, name: &str| optional_string(value, name).map(Option::unwrap_or_default);
    let user = || -> Result<User, String> {
        Ok(User {
            id: text(js.id(), "id")?,
            username: text(js.username(), "username")?,
            email: text(js.email(), "email")?,
            email_verified: optional_bool(js.email_verified(), "email_verified")?,
            first_name: text(js.first_name(), "first_name")?,
            last_name: text(js.last_name(), "last_name")?,
            nickname: text(js.nickname(), "nickname")?,
            roles: text(js.roles(), "roles")?,
            delete_at: optional_integer(js.delete_at(), "delete_at")?.unwrap_or_default(),
        })
    };
    user().map_err(|reason| format!("invalid getUser result: {reason}"))
}

/// A `PluginRequest` (contract.ts) as the plugin takes it.
fn request_from_js(value: &JsValue) -> Result<Request, String> {
    if !value.is_object() {
        return Err("a request must be an object".into());
    }
    let js = value.unchecked_ref::<JsRequest>();
    let headers = js.headers();
    Ok(Request {
        method: string(js.method(), "method")?,
        path: string(js.path(), "path")?,
        query: optional_string(js.query(), "query")?.unwrap_or_default(),
        headers: if headers.is_undefined() { Default::default() } else { from_js(&headers, "headers")? },
        body: optional_bytes(js.body(), "body")?,
        user_id: optional_string(js.user_id(), "userId")?,
        session_id: optional_string(js.session_id(), "sessionId")?,
        is_oauth_session: optional_bool(js.is_oauth_session(), "isOAuthSession")?,
        session_created_at: optional_integer(js.session_created_at(), "sessionCreatedAt")?,
        remote_addr: optional_string(js.remote_addr(), "remoteAddr")?.unwrap_or_default(),
        request_id: optional_string(js.request_id(), "requestId")?.unwrap_or_default(),
    })
}

/// `[[name, value], …]`, as `PluginResponse` and `FetchRequest` carry headers.
fn pairs_to_js(pairs: &[(String, String)]) -> Array {
    pairs
        .iter()
        .map(|(name, value)| Array::of2(&JsValue::from_str(name), &JsValue::from_str(value)))
        .collect()
}

/// A `PluginResponse`.
fn response_to_js(response: &crate::http::Response) -> JsValue {
    let object = Object::new().unchecked_into::<JsObject>();
    object.set_status(response.status);
    object.set_headers(pairs_to_js(&response.headers));
    object.set_body(&Uint8Array::from(&response.body[..]));
    object.into()
}

/// A `FetchRequest` (contract.ts).
fn fetch_request_to_js(request: &FetchRequest) -> JsValue {
    let object = Object::new().unchecked_into::<JsObject>();
    object.set_method(&request.method);
    object.set_url(&request.url);
    object.set_headers(pairs_to_js(&request.headers));
    if let Some(body) = &request.body {
        object.set_body(&Uint8Array::from(&body[..]));
    }
    if let Some(millis) = request.timeout_ms {
        object.set_timeout_ms(millis);
    }
    if let Some(bytes) = request.max_response_bytes {
        object.set_max_response_bytes(bytes);
    }
    object.into()
}

/// The host's `FetchResponse`.
fn fetch_response_from_js(value: &JsValue) -> Result<FetchResponse, String> {
    if !value.is_object() {
        return Err("invalid httpFetch result: not an object".into());
    }
    let js = value.unchecked_ref::<JsFetchResponse>();
    let invalid = |reason: String| format!("invalid httpFetch result: {reason}");
    let status = optional_integer(js.status(), "status").map_err(invalid)?;
    let headers = js.headers();
    Ok(FetchResponse {
        status: status
            .and_then(|s| u16::try_from(s).ok())
            .ok_or_else(|| invalid("status must be 0 to 65535".into()))?,
        headers: if headers.is_undefined() {
            Vec::new()
        } else {
            from_js(&headers, "httpFetch result headers")?
        },
        body: optional_bytes(js.body(), "body").map_err(invalid)?,
    })
}

/// A `TokenInfo` (contract.ts).
fn token_info_to_js(info: &crate::TokenInfo) -> JsValue {
    let object = Object::new().unchecked_into::<JsObject>();
    object.set_user_id(info.user_id.as_str());
    object.set_client_id(info.client_id.as_str());
    object.set_scope(&info.scope);
    object.set_expires_at(info.expires_at as f64);
    object.set_api_access(info.api_access);
    object.into()
}

fn bytes_or_null(value: Option<&[u8]>) -> JsValue {
    value.map_or(JsValue::NULL, |v| Uint8Array::from(v).into())
}

fn kv_options(write: &KvWrite<'_>) -> JsValue {
    let opts = Object::new();
    let set = |name: &str, value: JsValue| {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&opts, &name.into(), &value);
    };
    match write.condition {
        KvCondition::Always => {}
        KvCondition::Absent => {
            set("atomic", true.into());
            set("oldValue", JsValue::NULL);
        }
        KvCondition::Equals(old) => {
            set("atomic", true.into());
            set("oldValue", bytes_or_null(Some(old)));
        }
    }
    if let Some(seconds) = write.expire_in_seconds {
        set("expireInSeconds", seconds.into());
    }
    opts.into()
}

/// The bytes of a `Uint8Array` the host returned, or why not.
fn bytes_of(value: JsValue, call: &str) -> HostResult<Vec<u8>> {
    match value.dyn_into::<Uint8Array>() {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(_) => Err(HostError(format!("host {call} returned something other than bytes"))),
    }
}

/// `object[name]` when it is a string.
fn string_field(object: &JsValue, name: &str) -> Option<String> {
    Reflect::get(object, &name.into()).ok()?.as_string()
}

/// `{n, e}`, as a JWK has them.
fn public_jwk_of(value: &JsValue, call: &str) -> HostResult<RsaPublicJwk> {
    match (string_field(value, "n"), string_field(value, "e")) {
        (Some(n), Some(e)) => Ok(RsaPublicJwk { n, e }),
        _ => Err(HostError(format!("host {call} returned no public key {{n, e}}"))),
    }
}

impl Host for JsHost {
    async fn kv_get(&self, key: &str) -> HostResult<Option<Vec<u8>>> {
        let value = settle(self.0.kv_get(key)).await.map_err(host_error("kvGet"))?;
        kv_value(value, "kvGet")
    }

    async fn kv_get_many(&self, keys: &[&str]) -> HostResult<Vec<Option<Vec<u8>>>> {
        if !self.has_kv_get_many() {
            return kv_get_each(self, keys).await;
        }
        let asked: Array = keys.iter().map(|key| JsValue::from_str(key)).collect();
        let values = settle(self.0.kv_get_many(asked)).await.map_err(host_error("kvGetMany"))?;
        let values = match values.dyn_into::<Array>() {
            Ok(values) if values.length() as usize == keys.len() => values,
            _ => return Err(HostError("host kvGetMany did not return one value per key".into())),
        };
        values.iter().map(|value| kv_value(value, "kvGetMany")).collect()
    }

    async fn kv_set(&self, key: &str, write: KvWrite<'_>) -> HostResult<bool> {
        let value = bytes_or_null(write.value);
        let done =
            settle(self.0.kv_set(key, value, kv_options(&write))).await.map_err(host_error("kvSet"))?;
        Ok(done.as_bool().unwrap_or(false))
    }

    async fn kv_delete(&self, key: &str) -> HostResult<()> {
        settle(self.0.kv_delete(key)).await.map_err(host_error("kvDelete"))?;
        Ok(())
    }

    async fn kv_list(&self, page: u32, per_page: u32) -> HostResult<Vec<String>> {
        let keys = settle(self.0.kv_list(page, per_page)).await.map_err(host_error("kvList"))?;
        from_js(&keys, "kvList result").map_err(HostError)
    }

    async fn http_fetch(&self, request: FetchRequest) -> HostResult<FetchResponse> {
        // A refused fetch's message is the host's reason (its address policy, a timeout, a size
        // limit), written for the admin who set the URL and shown to them as it is.
        let response =
            self.0.http_fetch(fetch_request_to_js(&request)).await.map_err(|e| HostError(js_message(&e)))?;
        fetch_response_from_js(&response).map_err(HostError)
    }

    async fn get_user(&self, user_id: &str) -> HostResult<Option<User>> {
        let user = settle(self.0.get_user(user_id)).await.map_err(host_error("getUser"))?;
        if user.is_null() || user.is_undefined() {
            return Ok(None);
        }
        user_from_js(&user).map(Some).map_err(HostError)
    }

    async fn has_permission(&self, user_id: &str, permission: &str) -> HostResult<bool> {
        let allowed =
            settle(self.0.has_permission(user_id, permission)).await.map_err(host_error("hasPermission"))?;
        Ok(allowed.as_bool() == Some(true))
    }

    fn log(&self, level: LogLevel, message: &str, fields: &[(&str, &str)]) {
        let object = Object::new();
        for (name, value) in fields {
            // Setting a property on a fresh plain object cannot fail.
            let _ = Reflect::set(&object, &(*name).into(), &(*value).into());
        }
        // A host whose log throws must not take the plugin down with it.
        let _ = self.0.log(level.as_str(), message, object.into());
    }

    async fn at_rest_key(&self) -> HostResult<Vec<u8>> {
        let key = self.0.at_rest_key().await.map_err(host_error("atRestKey"))?;
        bytes_of(key, "atRestKey")
    }

    async fn generate_signing_key(&self) -> HostResult<SigningKeyPair> {
        let call = "generateSigningKey";
        let made = self.0.generate_signing_key().await.map_err(host_error(call))?;
        let private_key = Reflect::get(&made, &"privateKey".into()).unwrap_or(JsValue::UNDEFINED);
        Ok(SigningKeyPair {
            private_pkcs8: bytes_of(private_key, call)?,
            public: public_jwk_of(&made, call)?,
        })
    }

    async fn sign_rs256(&self, private_pkcs8: &[u8], message: &[u8]) -> HostResult<Vec<u8>> {
        // Copies, not views into this module's memory: the host may read them after an await.
        let signature = self
            .0
            .sign_rs256(Uint8Array::from(private_pkcs8), Uint8Array::from(message))
            .await
            .map_err(host_error("signRs256"))?;
        bytes_of(signature, "signRs256")
    }

    async fn signing_public_key(&self, private_pkcs8: &[u8]) -> HostResult<RsaPublicJwk> {
        let call = "signingPublicKey";
        let public =
            self.0.signing_public_key(Uint8Array::from(private_pkcs8)).await.map_err(host_error(call))?;
        public_jwk_of(&public, call)
    }

    fn now_millis(&self) -> i64 {
        js_sys::Date::now() as i64
    }

    /// `setTimeout` is global in Node and in browsers alike, so the host need not provide it.
    async fn sleep(&self, millis: u32) {
        let wait = js_sys::Promise::new(&mut |resolve, _reject| {
            let set_timeout = Reflect::get(&js_sys::global(), &"setTimeout".into())
                .ok()
                .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
            match set_timeout {
                Some(set_timeout) => {
                    let _ = set_timeout.call2(&JsValue::UNDEFINED, &resolve, &millis.into());
                }
                // Without timers, resolve at once: callers only wait to be polite.
                None => {
                    let _ = resolve.call0(&JsValue::UNDEFINED);
                }
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(wait).await;
    }
}

thread_local! {
    /// The host that panics are reported to: the most recently constructed plugin's.
    static PANIC_HOST: RefCell<Option<PluginHost>> = const { RefCell::new(None) };
}

/// Logs a panic through the host before the module traps, then lets the previous hook run.
fn install_panic_hook(host: PluginHost) {
    let first = PANIC_HOST.with(|slot| slot.borrow_mut().replace(host).is_none());
    if !first {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info.to_string();
        PANIC_HOST.with(|slot| {
            if let Ok(slot) = slot.try_borrow() {
                if let Some(host) = slot.as_ref() {
                    let _ = host.log("error", &format!("plugin panicked: {message}"), JsValue::UNDEFINED);
                }
            }
        });
        previous(info);
    }));
}

/// The plugin as the server sees it. Every method returns a promise; a failure rejects it with an
/// `Error` whose message says what went wrong.
#[wasm_bindgen(js_name = Plugin)]
pub struct WasmPlugin {
    inner: Rc<crate::Plugin<JsHost>>,
}

#[wasm_bindgen(js_class = Plugin)]
impl WasmPlugin {
    #[wasm_bindgen(constructor)]
    pub fn new(host: PluginHost) -> WasmPlugin {
        install_panic_hook(host.clone());
        WasmPlugin { inner: Rc::new(crate::Plugin::new(JsHost(host))) }
    }

    #[wasm_bindgen(js_name = onActivate)]
    pub async fn on_activate(&self) -> Result<(), JsError> {
        let inner = Rc::clone(&self.inner);
        inner.on_activate().await.map_err(|e| JsError::new(&e.to_string()))
    }

    #[wasm_bindgen(js_name = onDeactivate)]
    pub async fn on_deactivate(&self) -> Result<(), JsError> {
        let inner = Rc::clone(&self.inner);
        inner.on_deactivate().await.map_err(|e| JsError::new(&e.to_string()))
    }

    /// Takes `{ServiceSettings: {...}, PluginSettings: {...}}`.
    #[wasm_bindgen(js_name = onConfigurationChange)]
    pub async fn on_configuration_change(&self, config: JsValue) -> Result<(), JsError> {
        let json = js_sys::JSON::stringify(&config)
            .map_err(|e| JsError::new(&format!("invalid configuration: {}", js_message(&e))))?;
        let json = String::from(json);
        self.inner.on_configuration_change(json.as_bytes()).map_err(|e| JsError::new(&e.to_string()))
    }

    /// The plugin's routes, `[{method, pattern}]` (`PluginRoute` in contract.ts): the server
    /// forwards a request whose path matches a pattern, with any method.
    pub fn routes(&self) -> JsValue {
        to_js(&crate::routes::exported::<JsHost>())
    }

    /// Takes a `PluginRequest`; gives a `PluginResponse`, or a promise of one when a host call
    /// answered with a promise.
    #[wasm_bindgen(js_name = serveHttp)]
    pub fn serve_http_now(&self, request: JsValue) -> JsValue {
        now_or_promise(self.serve_http(request))
    }

    /// Gives `{userId, clientId, scope, expiresAt, apiAccess}` for a valid access token, else `null`
    /// (or a promise of either, as `serveHttp`).
    #[wasm_bindgen(js_name = resolveAccessToken)]
    pub fn resolve_access_token_now(&self, token: String) -> JsValue {
        now_or_promise(self.resolve_access_token(token))
    }

    /// The `WWW-Authenticate` value for a 401 of the server's API, or `null` (the provider is off).
    #[wasm_bindgen(js_name = bearerChallenge)]
    pub fn bearer_challenge(&self, invalid_token: bool) -> JsValue {
        self.inner.bearer_challenge(invalid_token).map_or(JsValue::NULL, JsValue::from)
    }

    /// Resolves to the `Authorization` header value for a request to `url`, or `null`.
    #[wasm_bindgen(js_name = authorizeOutgoingRequest)]
    pub async fn authorize_outgoing_request(&self, url: String) -> Result<JsValue, JsError> {
        let inner = Rc::clone(&self.inner);
        let header =
            inner.authorize_outgoing_request(&url).await.map_err(|e| JsError::new(&e.to_string()))?;
        Ok(header.map_or(JsValue::NULL, JsValue::from))
    }

    /// Panics, so that a test can see the panic logged through the host. Only in test builds.
    #[cfg(feature = "test-panic")]
    #[wasm_bindgen(js_name = panicForTest)]
    pub fn panic_for_test(&self) {
        panic!("panic requested by a test");
    }
}

impl WasmPlugin {
    /// `serveHttp` as a future: what the export runs, and what the wasm tests drive from Rust.
    pub fn serve_http(&self, request: JsValue) -> impl Future<Output = Result<JsValue, JsValue>> + 'static {
        let inner = Rc::clone(&self.inner);
        async move {
            let request = request_from_js(&request)
                .map_err(|e| JsValue::from(JsError::new(&format!("invalid request: {e}"))))?;
            let response = inner.serve_http(request).await;
            Ok(response_to_js(&response))
        }
    }

    /// `resolveAccessToken` as a future.
    pub fn resolve_access_token(
        &self,
        token: String,
    ) -> impl Future<Output = Result<JsValue, JsValue>> + 'static {
        let inner = Rc::clone(&self.inner);
        async move {
            let info = inner.resolve_access_token(&token).await.map_err(|e| JsError::new(&e.to_string()))?;
            Ok(info.map_or(JsValue::NULL, |info| token_info_to_js(&info)))
        }
    }
}
