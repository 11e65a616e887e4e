//! Typed records over the KV store: JSON values with a version field, written with the KV
//! contract's atomic operations.

pub mod keys;
pub mod schema;

use crate::host::{Host, HostError, KvWrite};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    Host(HostError),
    /// A stored value that does not decode: written by something else, or damaged.
    Corrupt {
        key: String,
        reason: String,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Host(e) => write!(f, "KV store: {e}"),
            StoreError::Corrupt { key, reason } => {
                write!(f, "KV record {key:?} is unreadable: {reason}")
            }
        }
    }
}

impl std::error::Error for StoreError {}

impl From<HostError> for StoreError {
    fn from(e: HostError) -> Self {
        StoreError::Host(e)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// JSON records on top of a [`Host`]'s KV calls.
pub struct Store<'h, H: Host> {
    host: &'h H,
}

impl<'h, H: Host> Store<'h, H> {
    pub fn new(host: &'h H) -> Self {
        Store { host }
    }

    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> StoreResult<Option<T>> {
        let Some(bytes) = self.host.kv_get(key).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StoreError::Corrupt { key: key.into(), reason: e.to_string() })
    }

    /// Writes `value` only if `key` is absent; returns whether it did.
    pub async fn insert<T: Serialize>(&self, key: &str, value: &T) -> StoreResult<bool> {
        let bytes = encode(value);
        Ok(self.host.kv_set(key, KvWrite::insert(&bytes)).await?)
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Our records are plain structs of strings and numbers: encoding them cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}
