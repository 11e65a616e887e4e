//! The version of the stored data and the at-rest key it is sealed with. Activation refuses data
//! written by a newer version of the plugin, whose records this one might misread or overwrite,
//! and data sealed under another key, before it writes anything.

use super::{keys, Store, StoreResult};
use crate::crypto::{self, Sealer};
use crate::host::{Host, KvWrite};
use serde::{Deserialize, Serialize};

/// The schema this build writes. 2: secrets the plugin must use again are sealed at rest, and
/// app ids are claimed by one OAuth app.
pub const CURRENT: u32 = 2;

#[derive(Debug, Serialize, Deserialize)]
struct SchemaRecord {
    v: u32,
}

/// What the key check record holds, sealed.
const KEY_CHECK_TEXT: &[u8] = b"oauth-plugin at-rest key check";

#[derive(Debug, PartialEq, Eq)]
pub enum SchemaCheck {
    /// The store was empty and is now marked with [`CURRENT`].
    Initialised,
    Current,
    /// Written by an older version whose schema this was: the caller migrates it.
    Older(u32),
    /// Written by a newer plugin version.
    Newer(u32),
    /// Sealed under another at-rest key.
    WrongKey,
}

pub async fn check<H: Host>(store: &Store<'_, H>, sealer: &Sealer) -> StoreResult<SchemaCheck> {
    let found = store.get::<SchemaRecord>(keys::SCHEMA).await?.map(|r| r.v);
    if let Some(version) = found.filter(|v| *v > CURRENT) {
        return Ok(SchemaCheck::Newer(version));
    }
    if !key_matches(store, sealer).await? {
        return Ok(SchemaCheck::WrongKey);
    }
    match found {
        Some(CURRENT) => Ok(SchemaCheck::Current),
        Some(older) => Ok(SchemaCheck::Older(older)),
        None if store.insert(keys::SCHEMA, &SchemaRecord { v: CURRENT }).await? => {
            Ok(SchemaCheck::Initialised)
        }
        // Another node marked it between our two calls.
        None => Ok(SchemaCheck::Current),
    }
}

/// Whether the stored key check opens with `sealer`; marks an unmarked store with it. Read first:
/// on every start but the first the mark is there, and reading it costs one host call and no
/// randomness (a seal's nonce).
async fn key_matches<H: Host>(store: &Store<'_, H>, sealer: &Sealer) -> StoreResult<bool> {
    let host = store.host();
    let opens = |stored: &[u8]| sealer.open(keys::KEY_CHECK, stored).is_ok_and(|text| text == KEY_CHECK_TEXT);
    if let Some(stored) = host.kv_get(keys::KEY_CHECK).await? {
        return Ok(opens(&stored));
    }
    let sealed = sealer.seal(keys::KEY_CHECK, KEY_CHECK_TEXT);
    if host.kv_set(keys::KEY_CHECK, KvWrite::insert(&sealed)).await? {
        return Ok(true);
    }
    // Another node marked it between the two calls.
    let stored = host.kv_get(keys::KEY_CHECK).await?.unwrap_or_default();
    Ok(opens(&stored))
}

/// Marks the store as migrated from `from` to [`CURRENT`]; false when another node did meanwhile.
pub async fn mark_current<H: Host>(store: &Store<'_, H>, from: u32) -> StoreResult<bool> {
    let Some((record, bytes)) = store.get_versioned::<SchemaRecord>(keys::SCHEMA).await? else {
        return Ok(false);
    };
    if record.v != from {
        return Ok(false);
    }
    store.compare_and_set(keys::SCHEMA, &bytes, Some(&SchemaRecord { v: CURRENT })).await
}

/// Keys listed per page while walking the whole store.
const LIST_PAGE: u32 = 200;

/// Schema 1 → 2, first step: seals every record of a sealed kind that an older version wrote in
/// plain text. Cached tokens and pending connect flows expire by themselves, and rewriting would
/// drop their expiry, so those are deleted instead (a token is fetched again; a connect is
/// started again). Each change is a compare-and-set against the plain text read, so a record
/// changed meanwhile is left to the writer that changed it.
pub async fn seal_plain_records<H: Host>(store: &Store<'_, H>, sealer: &Sealer) -> StoreResult<usize> {
    let host = store.host();
    let mut sealed_keys = Vec::new();
    for page in 0.. {
        let listed = host.kv_list(page, LIST_PAGE).await?;
        sealed_keys.extend(listed.iter().filter(|k| keys::is_sealed(k)).cloned());
        if listed.len() < LIST_PAGE as usize {
            break;
        }
    }
    let mut changed = 0;
    for key in sealed_keys {
        let Some(stored) = host.kv_get(&key).await? else { continue };
        if crypto::is_sealed(&stored) {
            continue;
        }
        let resealed = (!keys::expires_by_itself(&key)).then(|| sealer.seal(&key, &stored));
        if host.kv_set(&key, KvWrite::compare_and_set(&stored, resealed.as_deref())).await? {
            changed += 1;
        }
    }
    Ok(changed)
}
