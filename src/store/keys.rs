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
//! | `grant:{id}` | an authorization with its current token hashes |
//! | `at:{hash}`, `rt:{hash}` | which grant an access / refresh token belongs to |
//! | `consent:{user}:{client}` | a remembered approval |
//! | `idx:ua:{user}` | the clients a user authorized |
//! | `rvk:{user}:{client}` | how often the user deauthorized the client (older codes and grants are void) |
//! | `rl:{kind}:{address}:{window}` | a rate limit counter (expires with its window) |
//! | `oc:{id}` | an outgoing OAuth connection; `idx:oc` its ids and audience claims |
//! | `octok:{id}` | a connection's cached token (expires with it) |
//! | `a2app:{app_id}` | an app's remote OAuth2 settings (app OAuth2 store) |
//! | `a2tok:{app_id}:{user}` | a user's remote token for an app |
//! | `a2st:{hash}` | a connect flow's state (expires after 15 minutes) |
//! | `a2lock:{app_id}:{user}` | held while a user's token for an app is being refreshed |
//! | `idx:a2:{user}` | the apps a user connected |
//! | `a2claim:{app_id}` | which OAuth app holds an app id, and the binding of the app store's records |
//! | `sk:ring` | the provider's signing keys (OpenID Connect ID tokens, JWT access tokens) |
//!
//! Sealed kinds (encrypted at rest, see [`is_sealed`]): `oc`, `octok`, `a2app`, `a2tok`, `a2st`, `sk`.

use crate::ids::{ClientId, ConnectionId, GrantId, SecretHash, UserId};

pub const SCHEMA: &str = "meta:schema";
pub const KEY_CHECK: &str = "meta:keycheck";
pub const CLIENT_INDEX: &str = "idx:apps";
pub const OUTGOING_INDEX: &str = "idx:oc";
pub const SIGNING_KEYS: &str = "sk:ring";

pub fn client(client_id: &ClientId) -> String {
    format!("app:{client_id}")
}

pub fn code(hash: &SecretHash) -> String {
    format!("code:{}", hash.as_str())
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
    format!("consent:{user_id}:{client_id}")
}

pub fn user_apps(user_id: &UserId) -> String {
    format!("idx:ua:{user_id}")
}

pub fn deauthorizations(user_id: &UserId, client_id: &ClientId) -> String {
    format!("rvk:{user_id}:{client_id}")
}

pub fn rate_limit(kind: &str, address: &str, window: i64) -> String {
    format!("rl:{kind}:{address}:{window}")
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
        let hash = SecretHash::of("a secret");
        let app_id = "a".repeat(32);
        let address = "0".repeat(64);
        vec![
            SCHEMA.to_owned(),
            KEY_CHECK.to_owned(),
            CLIENT_INDEX.to_owned(),
            OUTGOING_INDEX.to_owned(),
            SIGNING_KEYS.to_owned(),
            client(&client_id),
            code(&hash),
            grant(&grant_id),
            access_token(&hash),
            refresh_token(&hash),
            consent(&user, &client_id),
            user_apps(&user),
            deauthorizations(&user, &client_id),
            rate_limit("dcr", &address, i64::MAX),
            outgoing_connection(&connection),
            outgoing_token(&connection),
            app_remote_settings(&app_id),
            app_user_token(&app_id, &user),
            app_connect_state(&hash),
            app_refresh_lock(&app_id, &user),
            user_connected_apps(&user),
            app_id_claim(&app_id),
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

    #[test]
    fn keys_that_join_ids_keep_them_apart() {
        // Ids have a fixed alphabet without ':', so a joined key splits back into its parts.
        let user = UserId::new("user");
        assert_eq!(consent(&user, &ClientId::new("client")), "consent:user:client");
        assert_eq!(app_user_token("com.example.jira", &user), "a2tok:com.example.jira:user");
        assert!(!crate::provider::clients::is_valid_app_id("a:b"), "an app id cannot carry the separator");
    }
}
