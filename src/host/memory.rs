//! An in-memory [`Host`] for native tests, with Mattermost's KV semantics and a clock the test
//! moves. It keeps the real contract: the same key rules, expiry and atomic conditions as the
//! reference server's SQL store.

use super::{
    check_key, check_keys, kv_get_each, FetchRequest, FetchResponse, Host, HostError, HostResult,
    KvCondition, KvWrite, LogLevel, RsaPublicJwk, SigningKeyPair, User,
};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Gives way once to the other futures of the same executor, as a real host's I/O does.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

struct Entry {
    value: Vec<u8>,
    /// Milliseconds since the epoch after which the key is gone; `None` = never.
    expire_at: Option<i64>,
}

impl Entry {
    fn is_live(&self, now: i64) -> bool {
        self.expire_at.is_none_or(|at| at > now)
    }
}

/// The permissions of Mattermost's `system_admin` role that the plugin asks about.
pub const SYSTEM_ADMIN_PERMISSIONS: [&str; 6] = [
    "manage_system",
    "manage_oauth",
    "manage_system_wide_oauth",
    "edit_other_users",
    "manage_slash_commands",
    "manage_outgoing_oauth_connections",
];

/// One line the plugin logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub level: LogLevel,
    pub message: String,
    pub fields: Vec<(String, String)>,
}

type FetchHandler = Box<dyn Fn(&FetchRequest) -> HostResult<FetchResponse>>;

pub struct MemoryHost {
    kv: RefCell<BTreeMap<String, Entry>>,
    now: Cell<i64>,
    users: RefCell<HashMap<String, User>>,
    permissions: RefCell<HashSet<(String, String)>>,
    fetch_handler: RefCell<Option<FetchHandler>>,
    fetched: RefCell<Vec<FetchRequest>>,
    logs: RefCell<Vec<LogLine>>,
    interleave: Cell<bool>,
    at_rest_key: RefCell<Vec<u8>>,
    failing_kv: RefCell<Option<String>>,
    /// Whether `kv_get_many` is N single gets, as on a host without a multi-key read.
    single_gets: Cell<bool>,
    /// Every call that crosses to the host (all but the clock and the log), as "method argument".
    calls: RefCell<Vec<String>>,
    /// How many signing keys this host has made: the first ones are the test keys.
    keys_made: Cell<usize>,
}

impl Default for MemoryHost {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryHost {
    /// Starts the clock at a fixed, realistic instant (2026-01-01T00:00:00Z).
    pub fn new() -> Self {
        MemoryHost {
            kv: RefCell::default(),
            now: Cell::new(1_767_225_600_000),
            users: RefCell::default(),
            permissions: RefCell::default(),
            fetch_handler: RefCell::default(),
            fetched: RefCell::default(),
            logs: RefCell::default(),
            interleave: Cell::new(false),
            at_rest_key: RefCell::new(crate::ids::new_secret().into_bytes()),
            failing_kv: RefCell::new(None),
            single_gets: Cell::new(false),
            calls: RefCell::default(),
            keys_made: Cell::new(0),
        }
    }

    /// Makes every KV call fail with `message` (as a database that went away), or work again.
    pub fn fail_kv(&self, message: Option<&str>) {
        *self.failing_kv.borrow_mut() = message.map(str::to_owned);
    }

    fn kv_available(&self) -> HostResult<()> {
        match self.failing_kv.borrow().as_ref() {
            Some(message) => Err(HostError(message.clone())),
            None => Ok(()),
        }
    }

    /// Makes `kv_get_many` N single gets (the trait's default), as a host without a multi-key read
    /// (Mattermost's plugin API) does, or one call again.
    pub fn single_gets(&self, on: bool) {
        self.single_gets.set(on);
    }

    /// Replaces the at-rest key (as a server restarted with another key).
    pub fn set_at_rest_key(&self, key: &[u8]) {
        *self.at_rest_key.borrow_mut() = key.to_vec();
    }

    /// Every live KV entry, in key order: what a dump of the database would show.
    pub fn dump(&self) -> Vec<(String, Vec<u8>)> {
        let now = self.now.get();
        self.kv
            .borrow()
            .iter()
            .filter(|(_, e)| e.is_live(now))
            .map(|(k, e)| (k.clone(), e.value.clone()))
            .collect()
    }

    /// Writes `value` under `key` as the database holds it, bypassing the plugin (for tests that
    /// play an older version or an attacker with database access).
    pub fn put_raw(&self, key: &str, value: &[u8]) {
        self.kv.borrow_mut().insert(key.to_owned(), Entry { value: value.to_vec(), expire_at: None });
    }

    /// Deactivates a user, as an admin does in the System Console.
    pub fn deactivate_user(&self, user_id: &str) {
        if let Some(user) = self.users.borrow_mut().get_mut(user_id) {
            user.delete_at = self.now.get();
        }
    }

    /// Makes every KV call give way to other futures first, so that concurrent requests
    /// interleave between their reads and writes as they do on a real host.
    pub fn interleave(&self, on: bool) {
        self.interleave.set(on);
    }

    async fn give_way(&self) {
        if self.interleave.get() {
            YieldOnce(false).await;
        }
    }

    pub fn advance_seconds(&self, seconds: i64) {
        self.now.set(self.now.get() + seconds * 1000);
    }

    pub fn add_user(&self, user: User) {
        self.users.borrow_mut().insert(user.id.clone(), user);
    }

    pub fn grant(&self, user_id: &str, permission: &str) {
        self.permissions.borrow_mut().insert((user_id.to_owned(), permission.to_owned()));
    }

    /// A system admin: a user holding every permission the plugin checks, as Mattermost's
    /// `system_admin` role does.
    pub fn add_system_admin(&self, user: User) {
        for permission in SYSTEM_ADMIN_PERMISSIONS {
            self.grant(&user.id, permission);
        }
        self.add_user(User { roles: "system_admin system_user".into(), ..user });
    }

    /// Answers every outbound request with `handler`; without one, fetches fail.
    pub fn on_fetch(&self, handler: impl Fn(&FetchRequest) -> HostResult<FetchResponse> + 'static) {
        *self.fetch_handler.borrow_mut() = Some(Box::new(handler));
    }

    pub fn fetched(&self) -> Vec<FetchRequest> {
        self.fetched.borrow().clone()
    }

    pub fn logs(&self) -> Vec<LogLine> {
        self.logs.borrow().clone()
    }

    /// The host calls made since the last time this was asked, as "method argument", in order:
    /// what a request costs in round trips to a real host.
    pub fn take_calls(&self) -> Vec<String> {
        self.calls.take()
    }

    fn count(&self, method: &str, argument: &str) {
        self.calls.borrow_mut().push(format!("{method} {argument}"));
    }

    fn live_value(&self, key: &str) -> Option<Vec<u8>> {
        let now = self.now.get();
        self.kv.borrow().get(key).filter(|e| e.is_live(now)).map(|e| e.value.clone())
    }

    fn expiry(&self, seconds: Option<u32>) -> Option<i64> {
        seconds.filter(|s| *s > 0).map(|s| self.now.get() + i64::from(s) * 1000)
    }
}

impl Host for MemoryHost {
    async fn kv_get(&self, key: &str) -> HostResult<Option<Vec<u8>>> {
        self.count("kv_get", key);
        self.give_way().await;
        self.kv_available()?;
        check_key(key)?;
        Ok(self.live_value(key))
    }

    async fn kv_get_many(&self, keys: &[&str]) -> HostResult<Vec<Option<Vec<u8>>>> {
        if self.single_gets.get() {
            return kv_get_each(self, keys).await;
        }
        self.count("kv_get_many", &keys.join(" "));
        self.give_way().await;
        self.kv_available()?;
        check_keys(keys)?;
        Ok(keys.iter().map(|key| self.live_value(key)).collect())
    }

    async fn kv_set(&self, key: &str, write: KvWrite<'_>) -> HostResult<bool> {
        self.count("kv_set", key);
        self.give_way().await;
        self.kv_available()?;
        check_key(key)?;
        let current = self.live_value(key);
        let applies = match write.condition {
            KvCondition::Always => true,
            // As Mattermost: a null value cannot be stored, so "delete if it is null" never matches.
            KvCondition::Absent => write.value.is_some() && current.is_none(),
            KvCondition::Equals(old) => current.as_deref() == Some(old),
        };
        if !applies {
            return Ok(false);
        }
        let mut kv = self.kv.borrow_mut();
        match write.value {
            Some(value) => {
                let expire_at = self.expiry(write.expire_in_seconds);
                kv.insert(key.to_owned(), Entry { value: value.to_vec(), expire_at });
            }
            None => {
                kv.remove(key);
            }
        }
        Ok(true)
    }

    async fn kv_delete(&self, key: &str) -> HostResult<()> {
        self.count("kv_delete", key);
        self.give_way().await;
        self.kv_available()?;
        check_key(key)?;
        self.kv.borrow_mut().remove(key);
        Ok(())
    }

    async fn kv_list(&self, page: u32, per_page: u32) -> HostResult<Vec<String>> {
        self.count("kv_list", &page.to_string());
        self.kv_available()?;
        if per_page == 0 {
            return Err(HostError("invalid paging: per_page must be 1 or more".into()));
        }
        let now = self.now.get();
        // In u64: two u32s multiplied overflow wasm32's usize.
        let skip = usize::try_from(u64::from(page) * u64::from(per_page)).unwrap_or(usize::MAX);
        Ok(self
            .kv
            .borrow()
            .iter()
            .filter(|(_, e)| e.is_live(now))
            .skip(skip)
            .take(per_page as usize)
            .map(|(k, _)| k.clone())
            .collect())
    }

    async fn http_fetch(&self, request: FetchRequest) -> HostResult<FetchResponse> {
        self.count("http_fetch", &request.url);
        self.fetched.borrow_mut().push(request.clone());
        match self.fetch_handler.borrow().as_ref() {
            Some(handler) => handler(&request),
            None => Err(HostError("no outbound HTTP in this test".into())),
        }
    }

    async fn get_user(&self, user_id: &str) -> HostResult<Option<User>> {
        self.count("get_user", user_id);
        Ok(self.users.borrow().get(user_id).cloned())
    }

    async fn has_permission(&self, user_id: &str, permission: &str) -> HostResult<bool> {
        self.count("has_permission", permission);
        Ok(self.permissions.borrow().contains(&(user_id.to_owned(), permission.to_owned())))
    }

    fn log(&self, level: LogLevel, message: &str, fields: &[(&str, &str)]) {
        self.logs.borrow_mut().push(LogLine {
            level,
            message: message.to_owned(),
            fields: fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        });
    }

    async fn at_rest_key(&self) -> HostResult<Vec<u8>> {
        self.count("at_rest_key", "");
        Ok(self.at_rest_key.borrow().clone())
    }

    fn now_millis(&self) -> i64 {
        self.now.get()
    }

    async fn generate_signing_key(&self) -> HostResult<SigningKeyPair> {
        self.count("generate_signing_key", "");
        let nth = self.keys_made.get();
        self.keys_made.set(nth + 1);
        rs256::generate(nth)
    }

    async fn sign_rs256(&self, private_pkcs8: &[u8], message: &[u8]) -> HostResult<Vec<u8>> {
        self.count("sign_rs256", "");
        rs256::sign(private_pkcs8, message)
    }

    async fn signing_public_key(&self, private_pkcs8: &[u8]) -> HostResult<RsaPublicJwk> {
        self.count("signing_public_key", "");
        rs256::public_key(private_pkcs8)
    }

    /// Moves the test clock instead of waiting, after giving way to other futures.
    async fn sleep(&self, millis: u32) {
        YieldOnce(false).await;
        self.now.set(self.now.get() + i64::from(millis));
    }
}

/// The RSA operations a host does for the plugin, with the `rsa` crate (RSASSA-PKCS1-v1_5, SHA-256),
/// as the reference server does them with Node's crypto and the wasm tests' host with WebCrypto.
mod rs256 {
    use super::{HostError, HostResult, RsaPublicJwk, SigningKeyPair};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use rsa::pkcs1v15::SigningKey;
    use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
    use rsa::rand_core::{CryptoRng, RngCore};
    use rsa::signature::{SignatureEncoding, Signer};
    use rsa::traits::PublicKeyParts;
    use rsa::RsaPrivateKey;
    use sha2::Sha256;

    /// The platform's CSPRNG as the `rsa` crate takes randomness.
    struct SystemRng;

    impl RngCore for SystemRng {
        fn next_u32(&mut self) -> u32 {
            u32::from_le_bytes(crate::ids::random_bytes())
        }
        fn next_u64(&mut self) -> u64 {
            u64::from_le_bytes(crate::ids::random_bytes())
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            getrandom::fill(dest).expect("system random number generator");
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    impl CryptoRng for SystemRng {}

    fn failed(error: impl std::fmt::Display) -> HostError {
        HostError(format!("signing key: {error}"))
    }

    fn public_of(key: &RsaPrivateKey) -> RsaPublicJwk {
        RsaPublicJwk {
            n: URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
            e: URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
        }
    }

    /// 2048-bit test keys (PKCS #8, base64), made once with `openssl genpkey`: a host hands out
    /// these first, each host in the same order, because making a key takes a third of a second
    /// natively and seconds on wasm32, and every first activation makes one. Keys past these are
    /// made fresh.
    const TEST_KEYS: &str = include_str!("memory_test_keys.txt");

    /// The host's `nth` key (from 0): a test key, or a fresh one past them.
    pub fn generate(nth: usize) -> HostResult<SigningKeyPair> {
        use base64::engine::general_purpose::STANDARD;
        if let Some(encoded) = TEST_KEYS.lines().nth(nth) {
            let der = STANDARD.decode(encoded).map_err(failed)?;
            let key = RsaPrivateKey::from_pkcs8_der(&der).map_err(failed)?;
            return Ok(SigningKeyPair { private_pkcs8: der, public: public_of(&key) });
        }
        let key = RsaPrivateKey::new(&mut SystemRng, 2048).map_err(failed)?;
        let der = key.to_pkcs8_der().map_err(failed)?;
        Ok(SigningKeyPair { private_pkcs8: der.as_bytes().to_vec(), public: public_of(&key) })
    }

    pub fn sign(private_pkcs8: &[u8], message: &[u8]) -> HostResult<Vec<u8>> {
        let key = RsaPrivateKey::from_pkcs8_der(private_pkcs8).map_err(failed)?;
        Ok(SigningKey::<Sha256>::new(key).sign(message).to_vec())
    }

    pub fn public_key(private_pkcs8: &[u8]) -> HostResult<RsaPublicJwk> {
        Ok(public_of(&RsaPrivateKey::from_pkcs8_der(private_pkcs8).map_err(failed)?))
    }
}
