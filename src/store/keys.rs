//! The KV key scheme, in one place: short keys prefixed by the kind of record.
//!
//! Kinds: `meta:` (the plugin's own bookkeeping). Later capabilities add theirs here (`app:`,
//! `code:`, `at:`, `rt:`, `grant:`, `oc:`, `idx:` …), so that no two kinds can collide.

/// The schema version of the data in the store.
pub const SCHEMA: &str = "meta:schema";
