//! oauth-plugin: OAuth 2.0 for a Mattermost-style chat server, as a WebAssembly plugin.
//!
//! Module map:
//! - [`host`]: the `Host` trait, the only way out to the server (KV, HTTP, users, permissions, log,
//!   clock), and an in-memory host for tests;
//! - [`http`]: requests, responses and Mattermost's error format;
//! - [`config`]: the server settings the plugin reads;
//! - [`store`]: typed records over the KV store;
//! - [`provider`]: the OAuth 2.0 provider;
//! - [`outgoing`]: outgoing OAuth connections;
//! - [`apps_oauth2`]: the app OAuth2 store;
//! - [`oauth_client`]: token requests to other OAuth servers;
//! - [`pages`]: the HTML pages the plugin serves;
//! - [`ids`]: ids and secrets;
//! - `wasm`: the wasm-bindgen adapter (only file that knows JS).
//!
//! [`Plugin`] is the host-independent plugin: its hooks are the ones `wasm` exports.

pub mod access;
pub mod apps_oauth2;
pub mod config;
pub mod host;
pub mod http;
pub mod ids;
pub mod oauth_client;
pub mod outgoing;
pub mod pages;
pub mod provider;
pub mod store;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

use config::ServerConfig;
use host::{Host, LogLevel};
use http::{AppError, Request, Response};
use std::cell::RefCell;
use std::rc::Rc;
use store::schema::{self, SchemaCheck};
use store::Store;

/// The plugin id, as in `plugin.json`.
pub const PLUGIN_ID: &str = "oauth-plugin";

/// What a request handler sees: the host, and the configuration as it was when the request came in.
pub struct Context<'a, H: Host> {
    pub host: &'a H,
    pub config: Rc<ServerConfig>,
}

/// An access token the plugin issued, as the host needs it to act as the token's user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    pub user_id: String,
    pub client_id: String,
    pub scope: String,
    pub expires_at: i64,
}

pub struct Plugin<H: Host> {
    host: H,
    config: RefCell<Rc<ServerConfig>>,
}

impl<H: Host> Plugin<H> {
    pub fn new(host: H) -> Self {
        Plugin { host, config: RefCell::new(Rc::new(ServerConfig::default())) }
    }

    pub fn host(&self) -> &H {
        &self.host
    }

    /// Refuses data written by a newer version of the plugin; marks an empty store as ours.
    pub async fn on_activate(&self) -> Result<(), String> {
        let store = Store::new(&self.host);
        match schema::check(&store).await.map_err(|e| e.to_string())? {
            SchemaCheck::Newer(found) => Err(format!(
                "the KV store holds data of schema version {found}, written by a newer version of \
                 {PLUGIN_ID}; this version understands up to {}. Install the newer version.",
                schema::CURRENT
            )),
            outcome => {
                let detail = if outcome == SchemaCheck::Initialised { "initialised" } else { "current" };
                self.host.log(LogLevel::Info, "activated", &[("schema", detail)]);
                Ok(())
            }
        }
    }

    pub async fn on_deactivate(&self) -> Result<(), String> {
        self.host.log(LogLevel::Info, "deactivated", &[]);
        Ok(())
    }

    /// Takes a new configuration; an invalid one is refused and the previous one stays.
    pub fn on_configuration_change(&self, config_json: &[u8]) -> Result<(), String> {
        let config = ServerConfig::from_json(config_json)?;
        *self.config.borrow_mut() = Rc::new(config);
        Ok(())
    }

    pub fn context(&self) -> Context<'_, H> {
        Context { host: &self.host, config: Rc::clone(&self.config.borrow()) }
    }

    pub async fn serve_http(&self, request: Request) -> Response {
        let ctx = self.context();
        if let Some(response) = provider::route(&ctx, &request).await {
            return response;
        }
        if let Some(response) = outgoing::route(&ctx, &request).await {
            return response;
        }
        if let Some(response) = apps_oauth2::route(&ctx, &request).await {
            return response;
        }
        AppError::not_found().render(&request)
    }

    /// Whether `token` is an access token this plugin issued that is still valid (unexpired, not
    /// revoked, its app and its user still there). Tokens keep working while the provider is
    /// switched off, as in Mattermost.
    pub async fn resolve_access_token(&self, token: &str) -> Result<Option<TokenInfo>, String> {
        let ctx = self.context();
        let Some((grant, _app)) =
            provider::grants::resolve_access_token(&ctx, token).await.map_err(|e| e.description)?
        else {
            return Ok(None);
        };
        let user = self.host.get_user(&grant.user_id).await.map_err(|e| e.to_string())?;
        if !user.is_some_and(|u| u.is_active()) {
            return Ok(None);
        }
        Ok(Some(TokenInfo {
            user_id: grant.user_id,
            client_id: grant.client_id,
            scope: grant.scope,
            expires_at: grant.access_expires_at,
        }))
    }

    /// The `Authorization` header value for an outgoing request to `url`, when an outgoing OAuth
    /// connection covers it; an error (and the request must not be sent) when one covers it but no
    /// token could be had.
    pub async fn authorize_outgoing_request(&self, url: &str) -> Result<Option<String>, String> {
        outgoing::authorize_request(&self.context(), url).await
    }
}
