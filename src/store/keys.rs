//! The KV key scheme, in one place: short keys prefixed by the kind of record, so that no two
//! kinds can collide. Every key stays well under the KV store's 150 characters: ids are 26
//! characters and hashes 64.
//!
//! - `meta:` the plugin's own bookkeeping
//! - `app:{client_id}` an OAuth app; `idx:apps` the list of app ids

/// The schema version of the data in the store.
pub const SCHEMA: &str = "meta:schema";

/// The ids of all OAuth apps.
pub const APP_INDEX: &str = "idx:apps";

pub fn app(client_id: &str) -> String {
    format!("app:{client_id}")
}
