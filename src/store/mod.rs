//! Typed records over the KV store: JSON values with a version field, written with the KV
//! contract's atomic operations. Records of the kinds that hold secrets the plugin must use again
//! ([`keys::is_sealed`]) are encrypted on the way in and decrypted on the way out, so that no caller
//! can forget to.

pub mod keys;
mod read_ahead;
pub mod schema;

pub use read_ahead::ReadAhead;

use crate::crypto::{OpenError, Sealer};
use crate::host::{Host, HostError, KvWrite};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    Host(HostError),
    /// A stored value that does not decode: written by something else, or damaged.
    Corrupt {
        key: String,
        reason: String,
    },
    /// A record of a sealed kind that does not open with the at-rest key (or there is no key).
    Sealed {
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
            StoreError::Sealed { key, reason } => {
                write!(f, "KV record {key:?} cannot be decrypted: {reason}")
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
/// What [`Store::replace_unchanged`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replaced {
    Done,
    /// No record under the key.
    Missing,
    /// The record is not the one read: someone else changed it meanwhile.
    Changed,
}

pub struct Store<'h, H: Host> {
    host: &'h H,
    /// The at-rest cipher; without it, records of sealed kinds can be neither read nor written.
    sealer: Option<&'h Sealer>,
    /// The request's values read ahead; without it, every read asks the host.
    read_ahead: Option<&'h ReadAhead>,
}

impl<'h, H: Host> Store<'h, H> {
    pub fn new(host: &'h H, sealer: Option<&'h Sealer>) -> Self {
        Store { host, sealer, read_ahead: None }
    }

    /// This store, serving reads from (and forgetting writes in) a request's [`ReadAhead`].
    pub fn reading_ahead(self, read_ahead: &'h ReadAhead) -> Self {
        Store { read_ahead: Some(read_ahead), ..self }
    }

    /// Reads `keys` in one host call (or as few as [`crate::host::MAX_KEYS_PER_GET`] allows), for
    /// the reads of them that follow in this request. Without a [`ReadAhead`], does nothing.
    pub async fn read_ahead(&self, keys: &[String]) -> StoreResult<()> {
        if let Some(read_ahead) = self.read_ahead {
            read_ahead.fetch(self.host, keys).await?;
        }
        Ok(())
    }

    /// Before a write to `key`: what was read ahead of it is out of date.
    fn forget(&self, key: &str) {
        if let Some(read_ahead) = self.read_ahead {
            read_ahead.forget(key);
        }
    }

    pub fn host(&self) -> &'h H {
        self.host
    }

    // Every method that awaits the host is one function for all record types; only the JSON of a
    // record is per type (`decode`, `encode`), so that each new record type costs its serde code
    // and no copy of the host calls around it.

    /// The stored bytes of `key`: what was read ahead of it (once), else the host's.
    async fn stored(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        match self.read_ahead.and_then(|read_ahead| read_ahead.take(key)) {
            Some(stored) => Ok(stored),
            None => Ok(self.host.kv_get(key).await?),
        }
    }

    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> StoreResult<Option<T>> {
        match self.stored(key).await? {
            Some(stored) => self.decode(key, &stored).map(Some),
            None => Ok(None),
        }
    }

    /// The record and its exact stored bytes, for a later compare-and-set.
    pub async fn get_versioned<T: DeserializeOwned>(&self, key: &str) -> StoreResult<Option<(T, Vec<u8>)>> {
        match self.stored(key).await? {
            Some(stored) => Ok(Some((self.decode(key, &stored)?, stored))),
            None => Ok(None),
        }
    }

    fn decode<T: DeserializeOwned>(&self, key: &str, stored: &[u8]) -> StoreResult<T> {
        let json = self.opened(key, stored)?;
        serde_json::from_slice(&json).map_err(|error| corrupt(key, error))
    }

    /// The JSON of a stored value: the value itself, or opened for the kinds that are sealed.
    fn opened<'v>(&self, key: &str, stored: &'v [u8]) -> StoreResult<std::borrow::Cow<'v, [u8]>> {
        if !keys::is_sealed(key) {
            return Ok(stored.into());
        }
        Ok(self.sealer()?.open(key, stored).map_err(|e| sealed_error(key, e))?.into())
    }

    /// The bytes to store for `value` under `key`: its JSON, sealed for the kinds that hold secrets.
    fn encode<T: Serialize>(&self, key: &str, value: &T) -> StoreResult<Vec<u8>> {
        // Our records are plain structs of strings and numbers: encoding them cannot fail.
        self.sealed(key, serde_json::to_vec(value).unwrap_or_default())
    }

    fn sealed(&self, key: &str, json: Vec<u8>) -> StoreResult<Vec<u8>> {
        if keys::is_sealed(key) {
            return Ok(self.sealer()?.seal(key, &json));
        }
        Ok(json)
    }

    /// Writes `bytes` (or deletes with `None`) as `write` says, once `bytes` were made.
    async fn write(
        &self,
        key: &str,
        bytes: StoreResult<Option<Vec<u8>>>,
        condition: WriteCondition<'_>,
        expire_in_seconds: Option<u32>,
    ) -> StoreResult<bool> {
        let bytes = bytes?;
        let value = bytes.as_deref();
        self.forget(key);
        let write = match condition {
            WriteCondition::Always => KvWrite::set(value.unwrap_or_default()),
            WriteCondition::Absent => KvWrite::insert(value.unwrap_or_default()),
            WriteCondition::Equals(old) => KvWrite::compare_and_set(old, value),
        };
        Ok(self.host.kv_set(key, KvWrite { expire_in_seconds, ..write }).await?)
    }

    fn sealer(&self) -> StoreResult<&'h Sealer> {
        self.sealer.ok_or_else(|| StoreError::Sealed { key: String::new(), reason: "no at-rest key".into() })
    }

    /// Writes `value` only if `key` is absent; returns whether it did.
    pub async fn insert<T: Serialize>(&self, key: &str, value: &T) -> StoreResult<bool> {
        self.insert_expiring(key, value, None).await
    }

    pub async fn insert_expiring<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        expire_in_seconds: Option<u32>,
    ) -> StoreResult<bool> {
        let bytes = self.encode(key, value).map(Some);
        self.write(key, bytes, WriteCondition::Absent, expire_in_seconds).await
    }

    /// Upserts `value` (a plain set: last writer wins; use [`Store::update`] where writers race).
    pub async fn put<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        expire_in_seconds: Option<u32>,
    ) -> StoreResult<()> {
        let bytes = self.encode(key, value).map(Some);
        self.write(key, bytes, WriteCondition::Always, expire_in_seconds).await?;
        Ok(())
    }

    pub async fn delete(&self, key: &str) -> StoreResult<()> {
        self.forget(key);
        Ok(self.host.kv_delete(key).await?)
    }

    /// Replaces the record under `key` by `next` if it still is `current` (an edit of what a caller
    /// read: someone else's change in between is not overwritten).
    pub async fn replace_unchanged<T>(&self, key: &str, current: &T, next: &T) -> StoreResult<Replaced>
    where
        T: Serialize + DeserializeOwned + PartialEq,
    {
        let Some((stored, bytes)) = self.get_versioned::<T>(key).await? else { return Ok(Replaced::Missing) };
        if &stored != current || !self.compare_and_set(key, &bytes, Some(next)).await? {
            return Ok(Replaced::Changed);
        }
        Ok(Replaced::Done)
    }

    /// Replaces `old` (the exact bytes read) by `new`, or deletes it when `new` is `None`;
    /// returns whether this writer won.
    pub async fn compare_and_set<T: Serialize>(
        &self,
        key: &str,
        old: &[u8],
        new: Option<&T>,
    ) -> StoreResult<bool> {
        self.compare_and_set_expiring(key, old, new, None).await
    }

    pub async fn compare_and_set_expiring<T: Serialize>(
        &self,
        key: &str,
        old: &[u8],
        new: Option<&T>,
        expire_in_seconds: Option<u32>,
    ) -> StoreResult<bool> {
        let bytes = new.map(|value| self.encode(key, value)).transpose();
        self.write(key, bytes, WriteCondition::Equals(old), expire_in_seconds).await
    }

    /// Read-modify-write under compare-and-set, retried while other writers get in between.
    /// `change` gets the current record (or `None`) and returns the new one (or `None` to delete);
    /// returns what was written (or left as it was).
    pub async fn update<T, F>(&self, key: &str, change: F) -> StoreResult<Option<T>>
    where
        T: Serialize + DeserializeOwned,
        F: FnMut(Option<T>) -> Option<T>,
    {
        self.update_with_expiry(key, None, change).await
    }

    /// [`Store::update`] for a record that expires `seconds` after each write.
    pub async fn update_expiring<T, F>(&self, key: &str, seconds: u32, change: F) -> StoreResult<Option<T>>
    where
        T: Serialize + DeserializeOwned,
        F: FnMut(Option<T>) -> Option<T>,
    {
        self.update_with_expiry(key, Some(seconds), change).await
    }

    async fn update_with_expiry<T, F>(
        &self,
        key: &str,
        expiry: Option<u32>,
        mut change: F,
    ) -> StoreResult<Option<T>>
    where
        T: Serialize + DeserializeOwned,
        F: FnMut(Option<T>) -> Option<T>,
    {
        let mut written = None;
        let mut step = |stored: Option<&[u8]>| -> StoreResult<Step> {
            let value = stored.map(|bytes| self.decode::<T>(key, bytes)).transpose()?;
            // A record left as it was needs no write (one host call less), unless the write is what
            // renews its expiry.
            let before = value.as_ref().filter(|_| expiry.is_none()).and_then(|v| serde_json::to_vec(v).ok());
            let new = change(value);
            let unchanged =
                before.is_some() && new.as_ref().and_then(|v| serde_json::to_vec(v).ok()) == before;
            let step = match &new {
                _ if unchanged => Step::Keep,
                Some(value) => Step::Write(Some(self.encode(key, value)?)),
                None => Step::Write(None),
            };
            written = new;
            Ok(step)
        };
        self.update_bytes(key, expiry, &mut step).await?;
        Ok(written)
    }

    /// [`Store::update`]'s loop, for every record type: `step` gets the stored bytes (or `None`)
    /// and says what to write instead.
    async fn update_bytes(
        &self,
        key: &str,
        expiry: Option<u32>,
        step: &mut dyn FnMut(Option<&[u8]>) -> StoreResult<Step>,
    ) -> StoreResult<()> {
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            let old = self.stored(key).await?;
            let Step::Write(new) = step(old.as_deref())? else { return Ok(()) };
            let won = match (old, new) {
                (Some(old), new) => self.write(key, Ok(new), WriteCondition::Equals(&old), expiry).await?,
                (None, Some(new)) => self.write(key, Ok(Some(new)), WriteCondition::Absent, expiry).await?,
                (None, None) => true,
            };
            if won {
                return Ok(());
            }
        }
        Err(StoreError::Host(HostError(format!("too many concurrent writers on {key:?}"))))
    }
}

/// What an update writes: nothing (the record stays as it was), or these bytes (`None` deletes).
enum Step {
    Keep,
    Write(Option<Vec<u8>>),
}

/// [`KvWrite`]'s condition without the bytes, which [`Store::write`] adds.
#[derive(Clone, Copy)]
enum WriteCondition<'a> {
    Always,
    Absent,
    Equals(&'a [u8]),
}

/// Enough for any realistic contention; a bound so that a broken host cannot spin us forever.
const MAX_UPDATE_ATTEMPTS: usize = 64;

/// A list of ids under one key (an index): `{"v":1,"ids":[…]}`, in the order they were added.
#[derive(Debug, Default, Serialize, Deserialize)]
struct IdList {
    v: u32,
    ids: Vec<String>,
}

impl<H: Host> Store<'_, H> {
    /// The ids listed under `key`, as the id type they are.
    pub async fn ids<I: From<String>>(&self, key: &str) -> StoreResult<Vec<I>> {
        let ids = self.get::<IdList>(key).await?.map(|list| list.ids).unwrap_or_default();
        Ok(ids.into_iter().map(I::from).collect())
    }

    /// Adds `id` to the list under `key`, once.
    pub async fn add_id(&self, key: &str, id: &str) -> StoreResult<()> {
        self.update::<IdList, _>(key, |list| {
            let mut list = list.unwrap_or_default();
            list.v = 1;
            if !list.ids.iter().any(|existing| existing == id) {
                list.ids.push(id.to_owned());
            }
            Some(list)
        })
        .await?;
        Ok(())
    }

    /// Removes `id` from the list under `key`.
    pub async fn remove_id(&self, key: &str, id: &str) -> StoreResult<()> {
        self.remove_ids(key, &[id.to_owned()]).await
    }

    /// Removes each of `ids` from the list under `key`.
    pub async fn remove_ids(&self, key: &str, ids: &[String]) -> StoreResult<()> {
        self.update::<IdList, _>(key, |list| {
            list.map(|mut list| {
                list.ids.retain(|existing| !ids.contains(existing));
                list
            })
        })
        .await?;
        Ok(())
    }
}

/// One page of the records an index lists, in the index's order: those `load` still finds (an
/// entry whose record is gone, a delete half done, is skipped) and `keep` accepts; `skip` of them
/// passed over, then at most `limit`. The one walk over a paged index.
pub async fn page_of<I, T, Load, Loading>(
    ids: impl IntoIterator<Item = I>,
    mut load: Load,
    keep: impl Fn(&T) -> bool,
    skip: usize,
    limit: usize,
) -> StoreResult<Vec<T>>
where
    Load: FnMut(I) -> Loading,
    Loading: std::future::Future<Output = StoreResult<Option<T>>>,
{
    let mut found = Vec::new();
    if limit == 0 {
        return Ok(found);
    }
    let mut skipped = 0;
    for id in ids {
        let Some(record) = load(id).await? else { continue };
        if !keep(&record) {
            continue;
        }
        if skipped < skip {
            skipped += 1;
            continue;
        }
        found.push(record);
        if found.len() == limit {
            break;
        }
    }
    Ok(found)
}

fn corrupt(key: &str, error: serde_json::Error) -> StoreError {
    StoreError::Corrupt { key: key.into(), reason: error.to_string() }
}

fn sealed_error(key: &str, error: OpenError) -> StoreError {
    StoreError::Sealed { key: key.into(), reason: error.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn a_page_skips_missing_and_unwanted_records_then_counts() {
        // Ids 1..=9; 3 and 6 have no record; only odd records are wanted.
        let load = |id: u32| async move { Ok((id % 3 != 0).then_some(id)) };
        let odd = |n: &u32| n % 2 == 1;
        let page = |skip, limit| block_on(page_of(1..=9, load, odd, skip, limit)).unwrap();
        assert_eq!(page(0, 10), [1, 5, 7]);
        assert_eq!(page(1, 1), [5]);
        assert_eq!(page(2, 5), [7]);
        assert_eq!(page(3, 5), Vec::<u32>::new());
        assert_eq!(page(0, 0), Vec::<u32>::new());
    }
}
