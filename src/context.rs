//! What a request handler sees: the host, the configuration as it was when the request came in,
//! the at-rest cipher (through [`Context::store`], so that sealed records are sealed), and who is
//! calling (the session the host vouched for, the permissions the host grants).

use crate::access::{permission_denied, session_required, session_user};
use crate::config::ServerConfig;
use crate::crypto::Sealer;
use crate::host::Host;
use crate::http::{redirect, AppError, Request, Response};
use crate::ids::UserId;
use crate::store::{ReadAhead, Store};
use std::rc::Rc;

pub struct Context<'a, H: Host> {
    pub host: &'a H,
    pub config: Rc<ServerConfig>,
    /// Set once the plugin is activated with the host's at-rest key.
    pub sealer: Option<Rc<Sealer>>,
    /// What this request read ahead ([`Store::read_ahead`]): a context serves one request, and
    /// this dies with it.
    pub read_ahead: ReadAhead,
}

impl<H: Host> Context<'_, H> {
    /// The plugin's records in the KV store.
    pub fn store(&self) -> Store<'_, H> {
        Store::new(self.host, self.sealer.as_deref()).reading_ahead(&self.read_ahead)
    }

    /// The calling user's id; the host sets it only for a valid session.
    pub fn caller(&self, request: &Request) -> Result<UserId, AppError> {
        session_user(request).ok_or_else(session_required)
    }

    /// Whether `user_id` holds `permission`. A host that cannot tell counts as a no.
    pub async fn has_permission(&self, user_id: &UserId, permission: &str) -> bool {
        self.host.has_permission(user_id.as_str(), permission).await.unwrap_or(false)
    }

    pub async fn require_permission(&self, user_id: &UserId, permission: &str) -> Result<(), AppError> {
        if self.has_permission(user_id, permission).await {
            Ok(())
        } else {
            Err(permission_denied(permission))
        }
    }

    /// Mattermost: to `/login?redirect_to=<the request URI, escaped>`, and back here after login.
    pub fn login_redirect(&self, request: &Request) -> Response {
        self.login_page(request, false)
    }

    /// To the login page even with a session (`reauthenticate=true`): it makes a fresh one
    /// (OpenID Connect's `prompt=login` and `max_age`).
    pub fn fresh_login_redirect(&self, request: &Request) -> Response {
        self.login_page(request, true)
    }

    fn login_page(&self, request: &Request, fresh: bool) -> Response {
        let back = if request.query.is_empty() {
            request.path.clone()
        } else {
            format!("{}?{}", request.path, request.query)
        };
        let escaped: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
        let again = if fresh { "&reauthenticate=true" } else { "" };
        redirect(&self.config.site_url_for(&format!("/login?redirect_to={escaped}{again}")))
    }
}
