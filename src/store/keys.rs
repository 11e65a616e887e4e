//! The KV key scheme, in one place: short keys prefixed by the kind of record, so that no two
//! kinds can collide. Every key stays well under the KV store's 150 characters: ids are 26
//! characters and hashes (SHA-256, hex) 64.
//!
//! | key | record |
//! |---|---|
//! | `meta:schema` | the schema version of the stored data |
//! | `meta:keycheck` | a value sealed with the at-rest key, to tell a wrong key at activation |
//! | `app:{client_id}` | an OAuth app; `idx:apps` lists their ids |
//! | `code:{hash}` | an authorization code (expires with the code) |
//! | `dev:{hash}` | a device authorization (RFC 8628), by its device code's hash (outlives the code a while) |
//! | `uc:{hash}` | which device authorization a user code is for, by the normalized code's hash (expires with it) |
//! | `grant:{id}` | an authorization with its current token hashes |
//! | `at:{hash}`, `rt:{hash}` | which grant an access / refresh token belongs to |
//! | `consent:{user}:{client}` | a remembered approval |
//! | `idx:ua:{user}` | the clients a user authorized |
//! | `rvk:{user}:{client}` | how often the user deauthorized the client (older codes and grants are void) |
//! | `rl:{kind}:{subject}:{window}` | a rate limit counter for an address or a user (expires with its window) |
//! | `oc:{id}` | an outgoing OAuth connection; `idx:oc` its ids and audience claims |
//! | `octok:{id}` | a connection's cached token (expires with it) |
//! | `a2app:{app_id}` | an app's remote OAuth2 settings (app OAuth2 store) |
//! | `a2tok:{app_id}:{user}` | a user's remote token for an app |
//! | `a2st:{hash}` | a connect flow's state (expires after 15 minutes) |
//! | `a2lock:{app_id}:{user}` | held while a user's token for an app is being refreshed |
//! | `idx:a2:{user}` | the apps a user connected |
//! | `a2claim:{app_id}` | which OAuth app holds an app id, and the binding of the app store's records |
//! | `cimd:{hash}` | a Client ID Metadata Document, by the hash of its URL (expires with its cache lifetime); `idx:cimd` their hashes |
//! | `res:{id}` | a registered protected resource; `idx:res` lists their ids |
//! | `resid:{hash}` | which resource holds an identifier (SHA-256 of its normalized URL) |
//! | `sk:ring` | the provider's signing keys (OpenID Connect ID tokens, JWT access tokens) |
//!
//! Sealed kinds (encrypted at rest, see [`is_sealed`]): `oc`, `octok`, `a2app`, `a2tok`, `a2st`, `sk`.

use crate::ids::{hash_secret, is_valid_id, ClientId, ConnectionId, GrantId, ResourceId, SecretHash, UserId};
use std::borrow::Cow;

pub const SCHEMA: &str = "meta:schema";
pub const KEY_CHECK: &str = "meta:keycheck";
pub const CLIENT_INDEX: &str = "idx:apps";
pub const OUTGOING_INDEX: &str = "idx:oc";
pub const CLIENT_DOCUMENT_INDEX: &str = "idx:cimd";
pub const RESOURCE_INDEX: &str = "idx:res";
pub const SIGNING_KEYS: &str = "sk:ring";

/// A client id as a part of a key, the one place where client ids enter keys: an id of ours as
/// it is; any other (a metadata document's URL, longer than a key may be and full of `:`) as
/// `h` and its SHA-256, which no id of ours can equal.
pub fn client_part(client_id: &ClientId) -> Cow<'_, str> {
    if is_valid_id(client_id.as_str()) {
        Cow::Borrowed(client_id.as_str())
    } else {
        Cow::Owned(format!("h{}", hash_secret(client_id.as_str())))
    }
}
pub fn client(client_id: &ClientId) -> String {
    format!("app:{client_id}")
}

pub fn code(hash: &SecretHash) -> String {
    format!("code:{}", hash.as_str())
}

pub fn device(hash: &SecretHash) -> String {
    format!("dev:{}", hash.as_str())
}

pub fn user_code(hash: &SecretHash) -> String {
    format!("uc:{}", hash.as_str())
}

pub fn grant(id: &GrantId) -> String {
    format!("grant:{id}")
}

pub fn access_token(hash: &SecretHash) -> String {
    format!("at:{}", hash.as_str())
}

pub fn refresh_token(hash: &SecretHash) -> String {
    format!("rt:{}", hash.as_str())
}

pub fn consent(user_id: &UserId, client_id: &ClientId) -> String {
    format!("consent:{user_id}:{}", client_part(client_id))
}

pub fn user_apps(user_id: &UserId) -> String {
    format!("idx:ua:{user_id}")
}

pub fn deauthorizations(user_id: &UserId, client_id: &ClientId) -> String {
    format!("rvk:{user_id}:{}", client_part(client_id))
}

/// Longest rate limit subject that goes into a key as it is.
const MAX_PLAIN_SUBJECT_LEN: usize = 64;

/// A rate limit's subject (a network address, a user id) as a part of a key, the one place where
/// subjects enter keys: as it is when it is short and made of what addresses and ids are made of;
/// any other (the host passes the address as it has it: a NUL or its length could make a key the
/// KV store refuses) as `#` and its SHA-256, which no plain subject can equal.
pub fn subject_part(subject: &str) -> Cow<'_, str> {
    let plain = subject.len() <= MAX_PLAIN_SUBJECT_LEN
        && subject.bytes().all(|b| b.is_ascii_alphanumeric() || b".:-_[]%".contains(&b));
    if plain {
        Cow::Borrowed(subject)
    } else {
        Cow::Owned(format!("#{}", hash_secret(subject)))
    }
}

pub fn rate_limit(kind: &str, subject: &str, window: i64) -> String {
    format!("rl:{kind}:{}:{window}", subject_part(subject))
}

pub fn outgoing_connection(id: &ConnectionId) -> String {
    format!("oc:{id}")
}

pub fn outgoing_token(id: &ConnectionId) -> String {
    format!("octok:{id}")
}

pub fn app_remote_settings(app_id: &str) -> String {
    format!("a2app:{app_id}")
}

pub fn app_user_token(app_id: &str, user_id: &UserId) -> String {
    format!("a2tok:{app_id}:{user_id}")
}

pub fn app_connect_state(hash: &SecretHash) -> String {
    format!("a2st:{}", hash.as_str())
}

pub fn user_connected_apps(user_id: &UserId) -> String {
    format!("idx:a2:{user_id}")
}

pub fn app_refresh_lock(app_id: &str, user_id: &UserId) -> String {
    format!("a2lock:{app_id}:{user_id}")
}

pub fn app_id_claim(app_id: &str) -> String {
    format!("a2claim:{app_id}")
}

/// A cached Client ID Metadata Document, under the hash of its URL (`url_hash`, from [`client_part`]).
pub fn client_document(url_hash: &str) -> String {
    format!("cimd:{url_hash}")
}

pub fn resource(id: &ResourceId) -> String {
    format!("res:{id}")
}

/// `identifier_hash` is the [`SecretHash`] of a normalized resource identifier: a fixed length
/// whatever the URL's.
pub fn resource_identifier(identifier_hash: &SecretHash) -> String {
    format!("resid:{}", identifier_hash.as_str())
}

/// The kinds whose records hold secrets the plugin must use again, and so are sealed at rest.
const SEALED_KINDS: &[&str] = &["oc", "octok", "a2app", "a2tok", "a2st", "sk"];

/// Sealed kinds whose records expire by themselves (a cached token, a pending connect flow).
const EXPIRING_SEALED_KINDS: &[&str] = &["octok", "a2st"];

fn kind_of(key: &str) -> &str {
    key.split_once(':').map_or("", |(kind, _)| kind)
}

/// Whether the record under `key` is sealed at rest (by the kind before its first `:`).
pub fn is_sealed(key: &str) -> bool {
    SEALED_KINDS.contains(&kind_of(key))
}

/// Whether the sealed record under `key` expires by itself, so that it may be dropped rather than
/// rewritten (a rewrite would lose its expiry).
pub fn expires_by_itself(key: &str) -> bool {
    EXPIRING_SEALED_KINDS.contains(&kind_of(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::MAX_KEY_CHARS;

    /// Every kind of key, built from the longest inputs it can get.
    fn longest_keys() -> Vec<String> {
        let id = "y".repeat(26);
        let (user, client_id, grant_id, connection) =
            (UserId::new(&id), ClientId::new(&id), GrantId::new(&id), ConnectionId::new(&id));
        let document_url = ClientId::new(format!("https://client.example.com/{}", "x".repeat(4000)));
        let hash = SecretHash::of("a secret");
        let app_id = "a".repeat(32);
        let address = "0".repeat(64);
        vec![
            SCHEMA.to_owned(),
            KEY_CHECK.to_owned(),
            CLIENT_INDEX.to_owned(),
            OUTGOING_INDEX.to_owned(),
            CLIENT_DOCUMENT_INDEX.to_owned(),
            SIGNING_KEYS.to_owned(),
            client(&client_id),
            code(&hash),
            device(&hash),
            user_code(&hash),
            grant(&grant_id),
            access_token(&hash),
            refresh_token(&hash),
            consent(&user, &client_id),
            user_apps(&user),
            deauthorizations(&user, &client_id),
            client_document(&client_part(&document_url)),
            rate_limit("dcr", &address, i64::MAX),
            outgoing_connection(&connection),
            outgoing_token(&connection),
            app_remote_settings(&app_id),
            app_user_token(&app_id, &user),
            app_connect_state(&hash),
            app_refresh_lock(&app_id, &user),
            user_connected_apps(&user),
            app_id_claim(&app_id),
            RESOURCE_INDEX.to_owned(),
            resource(&ResourceId::new(&id)),
            resource_identifier(&hash),
        ]
    }

    #[test]
    fn every_key_fits_the_kv_store() {
        for key in longest_keys() {
            assert!(key.chars().count() <= MAX_KEY_CHARS, "{key} is {} characters", key.len());
            assert!(crate::host::check_key(&key).is_ok());
        }
    }

    #[test]
    fn any_rate_limit_subject_makes_a_key_and_distinct_subjects_distinct_keys() {
        let long = |c: &str| format!("198.51.100.1{}", c.repeat(300));
        let subjects =
            ["198.51.100.1", "2001:db8::1", "[::1]:80", "", "a\0", "a b", "#", &long("a"), &long("b")];
        let keys: Vec<String> = subjects.iter().map(|s| rate_limit("dva", s, i64::MAX)).collect();
        for key in &keys {
            assert!(key.chars().count() <= MAX_KEY_CHARS && crate::host::check_key(key).is_ok(), "{key:?}");
        }
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), keys.len(), "{keys:?}");
        assert_eq!(rate_limit("dcr", "198.51.100.1", 7), "rl:dcr:198.51.100.1:7");
    }

    #[test]
    fn kinds_cannot_collide() {
        // The kind is everything up to the first ':' (two parts for the `idx:` indexes); kinds are
        // distinct, so two keys of different kinds can never be equal.
        let kind = |key: &str| -> String {
            let mut parts = key.split(':');
            let first = parts.next().unwrap_or_default();
            if first == "idx" || first == "meta" {
                format!("{first}:{}", parts.next().unwrap_or_default())
            } else {
                first.to_owned()
            }
        };
        let kinds: Vec<String> = longest_keys().iter().map(|k| kind(k)).collect();
        let mut unique = kinds.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), kinds.len(), "{kinds:?}");
    }

    #[test]
    fn secrets_kinds_are_sealed_and_the_rest_not() {
        let id = "y".repeat(26);
        let connection = ConnectionId::new(&id);
        for sealed in
            [outgoing_connection(&connection), outgoing_token(&connection), app_remote_settings("jira")]
        {
            assert!(is_sealed(&sealed), "{sealed}");
        }
        assert!(
            is_sealed(&app_user_token("jira", &UserId::new(&id)))
                && is_sealed(&app_connect_state(&SecretHash::of("state")))
                && is_sealed(SIGNING_KEYS)
        );
        for plain in [
            SCHEMA.to_owned(),
            OUTGOING_INDEX.to_owned(),
            client(&ClientId::new(&id)),
            grant(&GrantId::new(&id)),
            app_id_claim("jira"),
        ] {
            assert!(!is_sealed(&plain), "{plain}");
        }
    }

    /// The longest consent key there is: for a client id that is a long URL.
    fn consent_of_document(user: &UserId) -> String {
        consent(user, &ClientId::new(format!("https://client.example.com/{}", "x".repeat(4000))))
    }

    #[test]
    fn url_client_ids_enter_keys_as_their_hash() {
        let user = UserId::new("y".repeat(26));
        let url = ClientId::new("https://client.example.com/a:b");
        let key = deauthorizations(&user, &url);
        assert_eq!(key, format!("rvk:{user}:h{}", hash_secret(url.as_str())));
        assert!(!key["rvk:".len()..].contains("client.example.com"));
        assert_ne!(client_part(&url), client_part(&ClientId::new("https://client.example.com/a:c")));
        assert!(check_key_all([consent_of_document(&user), deauthorizations(&user, &url)]));
    }

    fn check_key_all(keys: impl IntoIterator<Item = String>) -> bool {
        keys.into_iter().all(|key| crate::host::check_key(&key).is_ok())
    }

    #[test]
    fn keys_that_join_ids_keep_them_apart() {
        // Ids have a fixed alphabet without ':', so a joined key splits back into its parts.
        let (user, client) = (UserId::new("user"), "c".repeat(26));
        assert_eq!(consent(&user, &ClientId::new(&client)), format!("consent:user:{client}"));
        assert_eq!(app_user_token("com.example.jira", &user), "a2tok:com.example.jira:user");
        assert!(!crate::provider::clients::is_valid_app_id("a:b"), "an app id cannot carry the separator");
    }
}
