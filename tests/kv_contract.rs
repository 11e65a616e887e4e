//! Mattermost's plugin KV semantics, pinned on the in-memory host (the reference server's SQL store
//! runs the same rules in reference-server/test/kv.test.ts).

use futures::executor::block_on;
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::host::{Host, KvWrite};

fn set(host: &MemoryHost, key: &str, value: &[u8]) {
    assert!(block_on(host.kv_set(key, KvWrite::set(value))).unwrap());
}

fn get(host: &MemoryHost, key: &str) -> Option<Vec<u8>> {
    block_on(host.kv_get(key)).unwrap()
}

#[test]
fn set_get_and_delete() {
    let host = MemoryHost::new();
    assert_eq!(get(&host, "a"), None);
    set(&host, "a", b"1");
    assert_eq!(get(&host, "a").as_deref(), Some(&b"1"[..]));
    set(&host, "a", b"2");
    assert_eq!(get(&host, "a").as_deref(), Some(&b"2"[..]));
    block_on(host.kv_delete("a")).unwrap();
    assert_eq!(get(&host, "a"), None);
}

#[test]
fn a_null_value_deletes() {
    let host = MemoryHost::new();
    set(&host, "a", b"1");
    let delete = KvWrite { value: None, ..KvWrite::set(b"") };
    assert!(block_on(host.kv_set("a", delete)).unwrap());
    assert_eq!(get(&host, "a"), None);
}

#[test]
fn keys_are_1_to_150_characters() {
    let host = MemoryHost::new();
    let longest = "k".repeat(150);
    set(&host, &longest, b"ok");
    // Characters, not bytes: 150 two-byte characters are allowed.
    set(&host, &"é".repeat(150), b"ok");
    for bad in ["".to_owned(), "k".repeat(151)] {
        let err = block_on(host.kv_set(&bad, KvWrite::set(b"x"))).unwrap_err();
        assert!(err.0.contains("1 to 150"), "{err}");
        assert!(block_on(host.kv_get(&bad)).is_err());
        assert!(block_on(host.kv_delete(&bad)).is_err());
    }
}

#[test]
fn expired_keys_are_hidden() {
    let host = MemoryHost::new();
    assert!(block_on(host.kv_set("a", KvWrite::set(b"1").expiring_in(60))).unwrap());
    host.advance_seconds(59);
    assert!(get(&host, "a").is_some());
    host.advance_seconds(1);
    assert_eq!(get(&host, "a"), None);
}

#[test]
fn a_plain_set_resets_the_expiry() {
    let host = MemoryHost::new();
    assert!(block_on(host.kv_set("a", KvWrite::set(b"1").expiring_in(10))).unwrap());
    set(&host, "a", b"2");
    host.advance_seconds(3600);
    assert_eq!(get(&host, "a").as_deref(), Some(&b"2"[..]));
}

#[test]
fn atomic_insert_only_when_absent() {
    let host = MemoryHost::new();
    assert!(block_on(host.kv_set("a", KvWrite::insert(b"first"))).unwrap());
    assert!(!block_on(host.kv_set("a", KvWrite::insert(b"second"))).unwrap());
    assert_eq!(get(&host, "a").as_deref(), Some(&b"first"[..]));
}

#[test]
fn an_expired_key_counts_as_absent_for_atomic_insert() {
    let host = MemoryHost::new();
    assert!(block_on(host.kv_set("a", KvWrite::insert(b"old").expiring_in(5))).unwrap());
    host.advance_seconds(5);
    assert!(block_on(host.kv_set("a", KvWrite::insert(b"new"))).unwrap());
    assert_eq!(get(&host, "a").as_deref(), Some(&b"new"[..]));
}

#[test]
fn compare_and_set_against_a_changed_value_fails() {
    let host = MemoryHost::new();
    set(&host, "a", b"v1");
    assert!(block_on(host.kv_set("a", KvWrite::compare_and_set(b"v1", Some(b"v2")))).unwrap());
    assert!(!block_on(host.kv_set("a", KvWrite::compare_and_set(b"v1", Some(b"v3")))).unwrap());
    assert_eq!(get(&host, "a").as_deref(), Some(&b"v2"[..]));
    // Nor does it create a missing key.
    assert!(!block_on(host.kv_set("b", KvWrite::compare_and_set(b"v1", Some(b"v2")))).unwrap());
    assert_eq!(get(&host, "b"), None);
}

#[test]
fn compare_and_set_fails_on_an_expired_value() {
    let host = MemoryHost::new();
    assert!(block_on(host.kv_set("a", KvWrite::set(b"v1").expiring_in(1))).unwrap());
    host.advance_seconds(2);
    assert!(!block_on(host.kv_set("a", KvWrite::compare_and_set(b"v1", Some(b"v2")))).unwrap());
}

#[test]
fn compare_and_delete_only_on_a_match() {
    let host = MemoryHost::new();
    set(&host, "a", b"v1");
    assert!(!block_on(host.kv_set("a", KvWrite::compare_and_set(b"other", None))).unwrap());
    assert!(get(&host, "a").is_some());
    assert!(block_on(host.kv_set("a", KvWrite::compare_and_set(b"v1", None))).unwrap());
    assert_eq!(get(&host, "a"), None);
}

#[test]
fn list_pages_keys_in_order_and_skips_expired_ones() {
    let host = MemoryHost::new();
    for key in ["d", "b", "a", "e", "c"] {
        set(&host, key, b"x");
    }
    assert!(block_on(host.kv_set("bb", KvWrite::set(b"x").expiring_in(1))).unwrap());
    host.advance_seconds(1);
    assert_eq!(block_on(host.kv_list(0, 2)).unwrap(), ["a", "b"]);
    assert_eq!(block_on(host.kv_list(1, 2)).unwrap(), ["c", "d"]);
    assert_eq!(block_on(host.kv_list(2, 2)).unwrap(), ["e"]);
    assert!(block_on(host.kv_list(3, 2)).unwrap().is_empty());
}
