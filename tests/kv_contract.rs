//! Mattermost's plugin KV semantics, the contract of tests/kv-contract.json, on the in-memory host.
//! The same file runs against the JS in-memory host (wasm_kv_contract.rs) and the reference
//! server's SQLite and PostgreSQL stores (reference-server/test/kv-contract.ts).

use crate::common::test;
use crate::kv_contract_runner;

use crate::common::block_on;
use kv_contract_runner::{run_all, Interface, Kv, Options};
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::host::{Host, KvWrite};

impl Kv for MemoryHost {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.kv_get(key).await.map_err(|e| e.0)
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, String> {
        self.kv_get_many(keys).await.map_err(|e| e.0)
    }

    async fn set(&self, key: &str, write: KvWrite<'_>) -> Result<bool, String> {
        self.kv_set(key, write).await.map_err(|e| e.0)
    }

    async fn set_with_options(&self, _: &str, _: Option<&[u8]>, _: &Options) -> Result<bool, String> {
        unreachable!("the cases that need PluginHost options are not run on the Rust Host")
    }

    async fn delete(&self, key: &str) -> Result<(), String> {
        self.kv_delete(key).await.map_err(|e| e.0)
    }

    async fn list(&self, page: i64, per_page: i64) -> Result<Vec<String>, String> {
        let page = u32::try_from(page).expect("a page the Rust Host cannot take is plugin_host_only");
        let per_page =
            u32::try_from(per_page).expect("a page size the Rust Host cannot take is plugin_host_only");
        self.kv_list(page, per_page).await.map_err(|e| e.0)
    }

    /// The in-memory host's sleep moves its clock instead of waiting.
    async fn advance(&self, millis: u32) {
        self.sleep(millis).await;
    }
}

#[test]
fn the_memory_host_keeps_the_kv_contract() {
    let ran = block_on(run_all(Interface::HostTrait, MemoryHost::new));
    assert!(ran > 0);
    println!("{ran} KV contract cases passed on the in-memory host");
}

/// `kv_get_many` as a host without a multi-key read gives it (the `Host` trait's default, N single
/// gets) keeps the same contract: the plugin works the same on either.
#[test]
fn single_gets_keep_the_kv_contract() {
    let single_gets = || {
        let host = MemoryHost::new();
        host.single_gets(true);
        host
    };
    let ran = block_on(run_all(Interface::HostTrait, single_gets));
    assert!(ran > 0);
}
