//! The KV contract of `tests/kv-contract.json` as Rust types, and the runner that plays it against
//! an implementation: the in-memory host (`kv_contract.rs`) or the JS in-memory host of the wasm
//! tests (`wasm_kv_contract.rs`). The reference server's stores play the same file in
//! `reference-server/test/kv-contract.ts`.
// Each runner's test binary compiles this module and leaves unused what only the other one needs.
#![allow(dead_code)]

use oauth_plugin::host::{KvCondition, KvWrite};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A KV implementation as the runner calls it; errors are the implementation's own messages.
#[allow(async_fn_in_trait)]
pub trait Kv {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String>;
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, String>;
    async fn set(&self, key: &str, write: KvWrite<'_>) -> Result<bool, String>;
    /// The PluginHost `kvSet` call with options as the data gives them; only the cases marked
    /// `plugin_host_only` use it.
    async fn set_with_options(
        &self,
        key: &str,
        value: Option<&[u8]>,
        options: &Options,
    ) -> Result<bool, String>;
    async fn delete(&self, key: &str) -> Result<(), String>;
    async fn list(&self, page: i64, per_page: i64) -> Result<Vec<String>, String>;
    async fn advance(&self, millis: u32);
}

#[derive(Deserialize)]
struct Contract {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    /// What the case needs that the Rust `Host` trait cannot say, if anything.
    plugin_host_only: Option<String>,
    steps: Vec<Step>,
}

/// Every case of the contract, in file order.
fn cases() -> Vec<Case> {
    let contract: Contract = serde_json::from_str(include_str!("../kv-contract.json"))
        .expect("tests/kv-contract.json is a contract");
    contract.cases
}

#[derive(Deserialize)]
struct Step {
    #[serde(flatten)]
    op: Op,
    /// Present (null included) when the call must succeed with this result.
    #[serde(default, deserialize_with = "present")]
    returns: Option<Value>,
    /// Present when the call must fail with a message containing this text.
    error: Option<String>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Op {
    Get {
        key: Key,
    },
    GetMany {
        keys: List<Key>,
    },
    Set {
        key: Key,
        #[serde(deserialize_with = "nullable")]
        value: Option<Bytes>,
        expire_in_seconds: Option<u32>,
    },
    Insert {
        key: Key,
        #[serde(deserialize_with = "nullable")]
        value: Option<Bytes>,
        expire_in_seconds: Option<u32>,
    },
    CompareAndSet {
        key: Key,
        old: Bytes,
        value: Bytes,
        expire_in_seconds: Option<u32>,
    },
    CompareAndDelete {
        key: Key,
        old: Bytes,
    },
    SetWithOptions {
        key: Key,
        #[serde(deserialize_with = "nullable")]
        value: Option<Bytes>,
        options: Options,
    },
    Delete {
        key: Key,
    },
    List {
        page: i64,
        per_page: i64,
    },
    Advance {
        ms: u32,
    },
}

/// The options of a PluginHost `kvSet` call; `None` leaves a field out.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Options {
    pub atomic: Option<bool>,
    /// `Some(None)` is an explicit null.
    #[serde(default, deserialize_with = "present")]
    pub old_value: Option<Option<Bytes>>,
    pub expire_in_seconds: Option<f64>,
}

impl From<KvWrite<'_>> for Options {
    /// As the wasm module's JS host adapter passes a typed write to a PluginHost.
    fn from(write: KvWrite<'_>) -> Self {
        let old_value = match write.condition {
            KvCondition::Always => None,
            KvCondition::Absent => Some(None),
            KvCondition::Equals(old) => Some(Some(Bytes(old.to_vec()))),
        };
        Options {
            atomic: old_value.is_some().then_some(true),
            old_value,
            expire_in_seconds: write.expire_in_seconds.map(f64::from),
        }
    }
}

/// A list: an array, or `{"copies": item, "times": n}`.
#[derive(Deserialize)]
#[serde(from = "ListForm<T>", bound = "T: Deserialize<'de> + Clone")]
struct List<T>(Vec<T>);

#[derive(Deserialize)]
#[serde(untagged, bound = "T: Deserialize<'de>")]
enum ListForm<T> {
    Items(Vec<T>),
    Copies { copies: T, times: usize },
}

impl<T: Clone> From<ListForm<T>> for List<T> {
    fn from(form: ListForm<T>) -> Self {
        match form {
            ListForm::Items(items) => List(items),
            ListForm::Copies { copies, times } => List(vec![copies; times]),
        }
    }
}

/// A key: a string, or `{"repeat": text, "times": n}`.
#[derive(Deserialize, Clone)]
#[serde(from = "KeyForm")]
struct Key(String);

#[derive(Deserialize)]
#[serde(untagged)]
enum KeyForm {
    Text(String),
    Repeat { repeat: String, times: usize },
}

impl From<KeyForm> for Key {
    fn from(form: KeyForm) -> Self {
        match form {
            KeyForm::Text(text) => Key(text),
            KeyForm::Repeat { repeat, times } => Key(repeat.repeat(times)),
        }
    }
}

/// A value: a string (its UTF-8 bytes), or `{"bytes": [...]}`.
#[derive(Deserialize, Clone)]
#[serde(from = "BytesForm")]
pub struct Bytes(pub Vec<u8>);

#[derive(Deserialize)]
#[serde(untagged)]
enum BytesForm {
    Text(String),
    Raw { bytes: Vec<u8> },
}

impl From<BytesForm> for Bytes {
    fn from(form: BytesForm) -> Self {
        match form {
            BytesForm::Text(text) => Bytes(text.into_bytes()),
            BytesForm::Raw { bytes } => Bytes(bytes),
        }
    }
}

/// Deserializes a field that is there, null included (a plain `Option` reads null as absent).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// A field that must be there but may be null.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(deserializer)
}

/// What a call gave.
#[derive(PartialEq)]
enum Got {
    Value(Option<Vec<u8>>),
    Values(Vec<Option<Vec<u8>>>),
    Written(bool),
    Keys(Vec<String>),
    Nothing,
}

impl std::fmt::Debug for Got {
    /// Values as text where they are UTF-8, so that a failure reads as the data does.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Got::Values(values) => {
                f.debug_list().entries(values.iter().map(|value| Got::Value(value.clone()))).finish()
            }
            Got::Value(Some(bytes)) => match std::str::from_utf8(bytes) {
                Ok(text) => write!(f, "{text:?}"),
                Err(_) => write!(f, "bytes {bytes:?}"),
            },
            Got::Value(None) | Got::Nothing => f.write_str("null"),
            Got::Written(done) => write!(f, "{done}"),
            Got::Keys(keys) => write!(f, "{keys:?}"),
        }
    }
}

impl Key {
    fn as_str(&self) -> &str {
        &self.0
    }
}

/// A typed write, as the plugin makes it through the `Host` trait.
async fn write(
    kv: &impl Kv,
    key: &Key,
    value: Option<&[u8]>,
    condition: KvCondition<'_>,
    expire_in_seconds: Option<u32>,
) -> Result<Got, String> {
    kv.set(key.as_str(), KvWrite { value, condition, expire_in_seconds }).await.map(Got::Written)
}

fn bytes(value: &Option<Bytes>) -> Option<&[u8]> {
    value.as_ref().map(|v| v.0.as_slice())
}

impl Op {
    /// Makes the call; `None` for a clock move, which gives nothing.
    async fn call(&self, kv: &impl Kv) -> Option<Result<Got, String>> {
        use KvCondition::{Absent, Always, Equals};
        Some(match self {
            Op::Get { key } => kv.get(key.as_str()).await.map(Got::Value),
            Op::GetMany { keys } => {
                let keys: Vec<&str> = keys.0.iter().map(Key::as_str).collect();
                kv.get_many(&keys).await.map(Got::Values)
            }
            Op::Set { key, value, expire_in_seconds } => {
                write(kv, key, bytes(value), Always, *expire_in_seconds).await
            }
            Op::Insert { key, value, expire_in_seconds } => {
                write(kv, key, bytes(value), Absent, *expire_in_seconds).await
            }
            Op::CompareAndSet { key, old, value, expire_in_seconds } => {
                write(kv, key, Some(&value.0), Equals(&old.0), *expire_in_seconds).await
            }
            Op::CompareAndDelete { key, old } => write(kv, key, None, Equals(&old.0), None).await,
            Op::SetWithOptions { key, value, options } => {
                kv.set_with_options(key.as_str(), bytes(value), options).await.map(Got::Written)
            }
            Op::Delete { key } => kv.delete(key.as_str()).await.map(|()| Got::Nothing),
            Op::List { page, per_page } => kv.list(*page, *per_page).await.map(Got::Keys),
            Op::Advance { ms } => {
                kv.advance(*ms).await;
                return None;
            }
        })
    }

    /// Reads a step's `returns` as the result this call gives.
    fn expected(&self, returns: Value) -> serde_json::Result<Got> {
        Ok(match self {
            Op::Get { .. } => Got::Value(serde_json::from_value::<Option<Bytes>>(returns)?.map(|b| b.0)),
            Op::GetMany { .. } => Got::Values(
                serde_json::from_value::<List<Option<Bytes>>>(returns)?
                    .0
                    .into_iter()
                    .map(|v| v.map(|b| b.0))
                    .collect(),
            ),
            Op::List { .. } => {
                Got::Keys(serde_json::from_value::<Vec<Key>>(returns)?.into_iter().map(|k| k.0).collect())
            }
            Op::Delete { .. } | Op::Advance { .. } => {
                serde_json::from_value::<()>(returns)?;
                Got::Nothing
            }
            Op::Set { .. }
            | Op::Insert { .. }
            | Op::CompareAndSet { .. }
            | Op::CompareAndDelete { .. }
            | Op::SetWithOptions { .. } => Got::Written(serde_json::from_value(returns)?),
        })
    }
}

/// Plays a case's steps in order on `kv`; returns what went wrong, one line per step.
async fn run(case: &Case, kv: &impl Kv) -> Vec<String> {
    let mut failures = Vec::new();
    for (index, step) in case.steps.iter().enumerate() {
        let outcome = step.op.call(kv).await;
        let problem = match (outcome, step.returns.clone(), &step.error) {
            (None, None, None) => None,
            (Some(Ok(got)), Some(returns), None) => match step.op.expected(returns) {
                Ok(expected) if expected == got => None,
                Ok(expected) => Some(format!("returned {got:?}, expected {expected:?}")),
                Err(e) => Some(format!("unreadable returns: {e}")),
            },
            (Some(Err(message)), Some(_), None) => Some(format!("failed: {message}")),
            (Some(Err(message)), None, Some(error)) if message.contains(error.as_str()) => None,
            (Some(Err(message)), None, Some(error)) => {
                Some(format!("failed with {message:?}, expected {error:?}"))
            }
            (Some(Ok(got)), None, Some(error)) => {
                Some(format!("returned {got:?}, expected an error with {error:?}"))
            }
            _ => Some("a step needs exactly one of returns and error (advance neither)".to_owned()),
        };
        if let Some(problem) = problem {
            let note = step.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
            failures.push(format!("{}: step {}: {problem}{note}", case.name, index + 1));
        }
    }
    failures
}

/// What an implementation is called through.
#[derive(PartialEq)]
pub enum Interface {
    /// The Rust `Host` trait, whose types rule out what the `plugin_host_only` cases need.
    HostTrait,
    /// A JS PluginHost, which takes any options.
    PluginHost,
}

/// Plays every case the interface can say, each on a fresh implementation from `fresh`, and fails
/// with every deviation found. Returns how many cases ran.
pub async fn run_all<K: Kv>(interface: Interface, fresh: impl Fn() -> K) -> usize {
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|case| interface == Interface::PluginHost || case.plugin_host_only.is_none())
        .collect();
    let mut failures = Vec::new();
    for case in &cases {
        failures.extend(run(case, &fresh()).await);
    }
    assert!(failures.is_empty(), "the KV contract is broken:\n{}", failures.join("\n"));
    cases.len()
}
