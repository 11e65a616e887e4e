//! oauth-plugin: OAuth 2.0 for a Mattermost-style chat server, as a WebAssembly plugin.
//!
//! Module map:
//! - [`host`]: the `Host` trait, the only way out to the server (KV, HTTP, users, permissions, log,
//!   clock, the at-rest key, the signing keys' RSA), and (feature `memory-host`, for tests only) an
//!   in-memory host;
//! - [`context`]: what a request handler sees, and who is calling;
//! - [`routes`]: every endpoint, who may call it and what gates it; the one router;
//! - [`access`]: Mattermost's permissions, 401 and 403;
//! - [`http`]: requests, responses and Mattermost's error format;
//! - [`config`]: the server settings the plugin reads;
//! - [`store`]: typed records over the KV store, sealed where they hold secrets;
//! - [`crypto`]: encryption at rest;
//! - [`upgrade`]: bringing data of earlier versions up to date at activation;
//! - [`rate_limit`]: fixed-window limits kept in the KV store;
//! - [`redirect_uri`]: the rules for redirect URIs and the registration allowlist;
//! - [`provider`]: the OAuth 2.0 provider (its OAuth clients are Mattermost's "OAuth apps");
//! - [`outgoing`]: outgoing OAuth connections;
//! - [`apps_oauth2`]: the app OAuth2 store (for apps of Mattermost's Apps framework);
//! - [`oauth_client`]: token requests to other OAuth servers;
//! - [`grant_type`]: RFC 6749's grant types, for the provider and the client side alike;
//! - [`pages`]: the HTML pages the plugin serves;
//! - [`ids`]: ids and secrets;
//! - [`text`]: what text people read back may hold;
//! - `wasm`: the wasm-bindgen adapter (only file that knows JS).
//!
//! [`Plugin`] is the host-independent plugin: its hooks are the ones `wasm` exports.

pub mod access;
pub mod apps_oauth2;
pub mod config;
pub mod context;
pub mod crypto;
pub mod grant_type;
pub mod host;
pub mod http;
pub mod ids;
pub mod oauth_client;
pub mod outgoing;
pub mod pages;
pub mod provider;
pub mod rate_limit;
pub mod redirect_uri;
pub mod routes;
pub mod store;
pub mod text;
pub mod upgrade;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use context::Context;

use config::ServerConfig;
use crypto::Sealer;
use host::{Host, HostError, LogLevel};
use http::{Request, Response};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use store::schema::{self, SchemaCheck};
use store::Store;

/// The plugin id, as in `plugin.json`.
pub const PLUGIN_ID: &str = "oauth-plugin";

/// An access token the plugin issued, as the host needs it to act as the token's user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    pub user_id: ids::UserId,
    pub client_id: ids::ClientId,
    pub scope: String,
    pub expires_at: i64,
    /// Whether the token may use the chat API: only a full-access grant may (a token of OpenID
    /// Connect's scopes only signs a user in and reads UserInfo).
    pub api_access: bool,
}

/// Why a hook of the plugin failed: the words the server logs and shows its admin.
#[derive(Debug)]
pub enum HookError {
    /// The server gave no at-rest key.
    NoAtRestKey(HostError),
    AtRestKey(crypto::KeyTooShort),
    Storage(store::StoreError),
    /// The store holds data of this newer schema version.
    NewerSchema(u32),
    /// The store's secrets are sealed under another at-rest key.
    WrongAtRestKey,
    Upgrade(upgrade::UpgradeError),
    Config(config::ConfigError),
    /// An access token could not be checked (the cause is logged).
    TokenNotChecked,
    Outgoing(outgoing::AuthorizeError),
    /// The first signing key could not be made or stored.
    Signing(provider::signing::SigningError),
}

impl fmt::Display for HookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookError::NoAtRestKey(error) => write!(f, "no at-rest encryption key: {error}"),
            HookError::AtRestKey(error) => error.fmt(f),
            HookError::Storage(error) => error.fmt(f),
            HookError::NewerSchema(found) => write!(
                f,
                "the KV store holds data of schema version {found}, written by a newer version of \
                 {PLUGIN_ID}; this version understands up to {}. Install the newer version.",
                schema::CURRENT
            ),
            HookError::WrongAtRestKey => f.write_str(
                "the KV store's secrets are encrypted with another at-rest key than the one the server \
                 gave (MM_SQLSETTINGS_ATRESTENCRYPTKEY, or the key file beside the SQLite database); \
                 start the server with the key the data was written with. Nothing was changed.",
            ),
            HookError::Upgrade(error) => error.fmt(f),
            HookError::Config(error) => error.fmt(f),
            HookError::TokenNotChecked => f.write_str("the access token could not be checked"),
            HookError::Outgoing(error) => error.fmt(f),
            HookError::Signing(error) => error.fmt(f),
        }
    }
}

pub struct Plugin<H: Host> {
    host: H,
    config: RefCell<Rc<ServerConfig>>,
    sealer: RefCell<Option<Rc<Sealer>>>,
}

impl<H: Host> Plugin<H> {
    pub fn new(host: H) -> Self {
        Plugin { host, config: RefCell::new(Rc::new(ServerConfig::default())), sealer: RefCell::new(None) }
    }

    pub fn host(&self) -> &H {
        &self.host
    }

    /// Takes the host's at-rest key; refuses data written by a newer version of the plugin or sealed
    /// under another key (changing nothing), brings data of an older version up to date, and marks
    /// an empty store as ours.
    pub async fn on_activate(&self) -> Result<(), HookError> {
        let key = self.host.at_rest_key().await.map_err(HookError::NoAtRestKey)?;
        let sealer = Rc::new(Sealer::from_host_key(&key).map_err(HookError::AtRestKey)?);
        let check = schema::check(&Store::new(&self.host, Some(&sealer)), &sealer)
            .await
            .map_err(HookError::Storage)?;
        match check {
            SchemaCheck::Newer(found) => return Err(HookError::NewerSchema(found)),
            SchemaCheck::WrongKey => return Err(HookError::WrongAtRestKey),
            _ => {}
        }
        *self.sealer.borrow_mut() = Some(sealer);
        let detail = match check {
            SchemaCheck::Older(from) => {
                upgrade::from_schema(&self.context(), from).await.map_err(HookError::Upgrade)?
            }
            SchemaCheck::Initialised => "initialised".to_owned(),
            _ => "current".to_owned(),
        };
        provider::signing::ensure_key(&self.context()).await.map_err(HookError::Signing)?;
        self.host.log(LogLevel::Info, "activated", &[("schema", &detail)]);
        Ok(())
    }

    pub async fn on_deactivate(&self) -> Result<(), HookError> {
        self.host.log(LogLevel::Info, "deactivated", &[]);
        Ok(())
    }

    /// Takes a new configuration; an invalid one is refused and the previous one stays.
    pub fn on_configuration_change(&self, config_json: &[u8]) -> Result<(), HookError> {
        let config = ServerConfig::from_json(config_json).map_err(HookError::Config)?;
        *self.config.borrow_mut() = Rc::new(config);
        Ok(())
    }

    pub fn context(&self) -> Context<'_, H> {
        Context {
            host: &self.host,
            config: Rc::clone(&self.config.borrow()),
            sealer: self.sealer.borrow().clone(),
            read_ahead: Default::default(),
        }
    }

    /// Answers a request. What went wrong inside a server error is logged here, under the
    /// request's id, and never sent.
    pub async fn serve_http(&self, request: Request) -> Response
    where
        H: 'static,
    {
        let response = routes::serve(&self.context(), &request).await;
        if let Some(cause) = &response.internal_error {
            self.host.log(
                LogLevel::Error,
                "request failed",
                &[("path", &request.path), ("request_id", &request.request_id), ("error", cause)],
            );
        }
        response
    }

    /// Whether `token` is an access token this plugin issued that is still valid (unexpired, not
    /// revoked, its app and its user still there) and meant for the chat server's API. Tokens keep
    /// working while the provider is switched off, as in Mattermost.
    pub async fn resolve_access_token(&self, token: &str) -> Result<Option<TokenInfo>, HookError> {
        let ctx = self.context();
        let valid = provider::token_validity::chat_api_token(&ctx, token).await.map_err(|e| {
            let cause = e.to_string();
            self.host.log(LogLevel::Error, "resolving an access token failed", &[("error", &cause)]);
            HookError::TokenNotChecked
        })?;
        let Some(provider::token_validity::ValidToken { grant, .. }) = valid else {
            return Ok(None);
        };
        Ok(Some(TokenInfo {
            api_access: provider::scope::allows_api(&grant.scope),
            user_id: grant.user_id,
            client_id: grant.client_id,
            scope: grant.scope,
            expires_at: grant.access_expires_at,
        }))
    }

    /// The `WWW-Authenticate` value for the server's 401s (RFC 9728 §5.1); `invalid_token` when a
    /// bearer token was sent and refused.
    pub fn bearer_challenge(&self, invalid_token: bool) -> Option<String> {
        let error = invalid_token.then_some(provider::metadata::BearerError::InvalidToken);
        provider::metadata::bearer_challenge(&self.config.borrow(), error)
    }

    /// The `Authorization` header value for an outgoing request to `url`, when an outgoing OAuth
    /// connection covers it; an error (and the request must not be sent) when one covers it but no
    /// token could be had.
    pub async fn authorize_outgoing_request(&self, url: &str) -> Result<Option<String>, HookError> {
        outgoing::authorize_request(&self.context(), url).await.map_err(HookError::Outgoing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_info_keeps_its_json() {
        let info = TokenInfo {
            user_id: ids::UserId::new("alicealicealicealicealice1"),
            client_id: ids::ClientId::new("ybndrfg8ejkmcpqxot1uwisza3"),
            scope: "user".into(),
            expires_at: 5,
            api_access: true,
        };
        assert_eq!(
            serde_json::to_value(&info).unwrap(),
            serde_json::json!({
                "userId": "alicealicealicealicealice1",
                "clientId": "ybndrfg8ejkmcpqxot1uwisza3",
                "scope": "user",
                "expiresAt": 5,
                "apiAccess": true,
            })
        );
    }
}
