//! Records a request reads ahead: fetched together in one host call ([`Host::kv_get_many`]) when a
//! handler knows which keys it will read, then served to the [`Store`](super::Store) reads that
//! would each have been a round trip of their own, so that the code that reads them stays as it is.
//!
//! What keeps this sound:
//! - It lives in one request's [`Context`](crate::Context) and dies with it: nothing read ahead
//!   outlives the request.
//! - A value serves one read, then is gone: it stands for that read, made earlier. A second read
//!   of the key asks the host, so a compare-and-set loop that lost a race reads the winner's value.
//! - A write through the store forgets the key first, so a request never reads back an older
//!   value than its own write.
//! - Values are the exact stored bytes, so a compare-and-set against them compares what was read.
//!
//! Reading a key ahead only moves its read earlier within the request; each use says why that is
//! harmless there.

use crate::host::{Host, HostResult, MAX_KEYS_PER_GET};
use std::cell::RefCell;
use std::collections::HashMap;

/// The values read ahead and not yet read, by key (`None`: the key was absent).
#[derive(Debug, Default)]
pub struct ReadAhead(RefCell<HashMap<String, Option<Vec<u8>>>>);

impl ReadAhead {
    /// Fetches `keys` not already held, in as few host calls as the bound allows.
    pub(super) async fn fetch<H: Host>(&self, host: &H, keys: &[String]) -> HostResult<()> {
        let mut wanted: Vec<&str> = Vec::new();
        for key in keys {
            if !self.0.borrow().contains_key(key) && !wanted.contains(&key.as_str()) {
                wanted.push(key);
            }
        }
        for chunk in wanted.chunks(MAX_KEYS_PER_GET) {
            let values = host.kv_get_many(chunk).await?;
            let mut held = self.0.borrow_mut();
            for (key, value) in chunk.iter().zip(values) {
                held.insert((*key).to_owned(), value);
            }
        }
        Ok(())
    }

    /// The value read ahead for `key`, once: `None` when there is none (ask the host).
    pub(super) fn take(&self, key: &str) -> Option<Option<Vec<u8>>> {
        self.0.borrow_mut().remove(key)
    }

    /// Drops what was read ahead for `key`, which is about to be written.
    pub(super) fn forget(&self, key: &str) {
        self.0.borrow_mut().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::super::Store;
    use super::*;
    use crate::host::memory::MemoryHost;
    use futures::executor::block_on;
    use serde_json::{json, Value};

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    fn put(host: &MemoryHost, key: &str, value: Value) {
        host.put_raw(key, value.to_string().as_bytes());
    }

    #[test]
    fn a_value_read_ahead_serves_one_read_then_the_host_answers() {
        let host = MemoryHost::new();
        let read_ahead = ReadAhead::default();
        let store = Store::new(&host, None).reading_ahead(&read_ahead);
        put(&host, "a", json!(1));
        block_on(store.read_ahead(&keys(&["a", "absent"]))).unwrap();
        put(&host, "a", json!(2));
        put(&host, "absent", json!(3));
        assert_eq!(block_on(store.get::<Value>("a")).unwrap(), Some(json!(1)));
        assert_eq!(block_on(store.get::<Value>("absent")).unwrap(), None, "an absent key is read ahead too");
        assert_eq!(block_on(store.get::<Value>("a")).unwrap(), Some(json!(2)), "read again: the host's");
        assert_eq!(block_on(store.get::<Value>("absent")).unwrap(), Some(json!(3)));
        assert_eq!(host.take_calls(), ["kv_get_many a absent", "kv_get a", "kv_get absent"]);
    }

    #[test]
    fn a_write_forgets_what_was_read_ahead() {
        let host = MemoryHost::new();
        let read_ahead = ReadAhead::default();
        let store = Store::new(&host, None).reading_ahead(&read_ahead);
        for key in ["put", "deleted", "swapped"] {
            put(&host, key, json!("before"));
        }
        // "inserted" is read ahead as absent.
        block_on(store.read_ahead(&keys(&["put", "inserted", "deleted", "swapped"]))).unwrap();
        let swapped = json!("before").to_string().into_bytes();
        block_on(store.put("put", &json!("after"), None)).unwrap();
        assert!(block_on(store.insert("inserted", &json!("after"))).unwrap());
        block_on(store.delete("deleted")).unwrap();
        assert!(block_on(store.compare_and_set("swapped", &swapped, Some(&json!("after")))).unwrap());
        host.take_calls();
        for (key, value) in
            [("put", Some(json!("after"))), ("inserted", Some(json!("after"))), ("deleted", None)]
        {
            assert_eq!(block_on(store.get::<Value>(key)).unwrap(), value, "{key}");
        }
        assert_eq!(block_on(store.get::<Value>("swapped")).unwrap(), Some(json!("after")));
        assert_eq!(host.take_calls(), ["kv_get put", "kv_get inserted", "kv_get deleted", "kv_get swapped"]);
    }

    #[test]
    fn an_update_that_loses_to_another_writer_reads_again() {
        let host = MemoryHost::new();
        let read_ahead = ReadAhead::default();
        let store = Store::new(&host, None).reading_ahead(&read_ahead);
        put(&host, "n", json!(1));
        block_on(store.read_ahead(&keys(&["n"]))).unwrap();
        put(&host, "n", json!(10));
        host.take_calls();
        let written = block_on(store.update::<i64, _>("n", |n| n.map(|n| n + 1))).unwrap();
        assert_eq!(written, Some(11), "the other writer's change is kept");
        assert_eq!(
            host.take_calls(),
            ["kv_set n", "kv_get n", "kv_set n"],
            "the stale bytes lost the compare"
        );
    }

    #[test]
    fn each_key_is_fetched_once_in_calls_of_at_most_the_bound() {
        let host = MemoryHost::new();
        let read_ahead = ReadAhead::default();
        let store = Store::new(&host, None).reading_ahead(&read_ahead);
        let many: Vec<String> = (0..250).map(|i| format!("k{i}")).collect();
        let asked: Vec<String> = many.iter().chain(&many[..10]).cloned().collect();
        block_on(store.read_ahead(&asked)).unwrap();
        let calls = host.take_calls();
        let sizes: Vec<usize> = calls.iter().map(|call| call.split(' ').count() - 1).collect();
        assert_eq!(sizes, [MAX_KEYS_PER_GET, MAX_KEYS_PER_GET, 50], "{calls:?}");
        block_on(store.read_ahead(&many)).unwrap();
        assert_eq!(host.take_calls(), Vec::<String>::new(), "held already");
    }

    #[test]
    fn a_store_without_a_read_ahead_reads_nothing_ahead() {
        let host = MemoryHost::new();
        let store = Store::new(&host, None);
        put(&host, "a", json!(1));
        block_on(store.read_ahead(&keys(&["a"]))).unwrap();
        put(&host, "a", json!(2));
        assert_eq!(block_on(store.get::<Value>("a")).unwrap(), Some(json!(2)));
        assert_eq!(host.take_calls(), ["kv_get a"]);
    }
}
