//! The version of the stored data. Activation refuses data written by a newer version of the
//! plugin, whose records this one might misread or overwrite.

use super::{keys, Store, StoreResult};
use crate::host::Host;
use serde::{Deserialize, Serialize};

/// The schema this build writes.
pub const CURRENT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct SchemaRecord {
    v: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum SchemaCheck {
    /// The store was empty and is now marked with [`CURRENT`].
    Initialised,
    Current,
    /// Written by a newer plugin version.
    Newer(u32),
}

pub async fn check<H: Host>(store: &Store<'_, H>) -> StoreResult<SchemaCheck> {
    if store.insert(keys::SCHEMA, &SchemaRecord { v: CURRENT }).await? {
        return Ok(SchemaCheck::Initialised);
    }
    // Another node may have marked it between our two calls; reading it back covers both cases.
    let found = store.get::<SchemaRecord>(keys::SCHEMA).await?.map_or(CURRENT, |r| r.v);
    Ok(if found > CURRENT { SchemaCheck::Newer(found) } else { SchemaCheck::Current })
}
