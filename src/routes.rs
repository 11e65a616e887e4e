//! Every endpoint of the plugin, in one table: method, path pattern, who may call, the setting that
//! gates it, how a refusal reads, and the handler. The table alone decides 404 (no pattern), 405
//! (a pattern, not its method), 501 (the gate is off), 401 (no session) and 403 (the base
//! permission); the server forwards exactly the table's patterns ([`exported`]). Checks that depend
//! on the resource (one's own app or another's, another user's id) stay in the handlers.
//!
//! The order, for every route: pattern, method, gate, session, permission, handler.

mod pattern;

use crate::access::{permission_denied, session_required, MANAGE_OAUTH, MANAGE_SYSTEM};
use crate::apps_oauth2::{api as store_api, connect};
use crate::config::ServiceSettings;
use crate::context::Context;
use crate::host::Host;
use crate::http::{cors_preflight, wrong_method, AppError, Request, Response};
use crate::ids::UserId;
use crate::outgoing::api::{self as outgoing_api, MANAGE_CONNECTIONS};
use crate::provider::clients::is_valid_app_id;
use crate::provider::metadata::BearerError;
use crate::provider::oauth_error::{no_store, ErrorCode, OAuthError};
use crate::provider::{
    authorize, authorized_api, clients_api, consent_page, dcr, device_authorization, device_page, jwks,
    metadata, resources_api, token, userinfo,
};
use pattern::{captures, specificity, Captures};
use serde::Serialize;
use std::future::{ready, Future};
use std::pin::Pin;

/// The methods routes answer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    /// GET, and HEAD with it (RFC 9110 §9.3.2: HEAD is GET without the body, which the server drops);
    /// `Allow` names GET.
    GetOrHead,
    Post,
    Put,
    Delete,
    /// A CORS preflight (Fetch standard §3.2.2) for a route open to any origin.
    Options,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Get | Method::GetOrHead => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
        }
    }

    fn accepts(self, method: &str) -> bool {
        method == self.name() || (self == Method::GetOrHead && method == "HEAD")
    }
}

/// Who may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the handler authenticates the caller itself (an OAuth client, an app's token) or
    /// needs no one.
    Anyone,
    /// A user with a valid session (Mattermost's `APISessionRequired`).
    Session,
    /// A user with a valid session who holds this permission, whatever the call is about.
    Permission(&'static str),
}

/// The setting that must be on for a route to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Always,
    /// `EnableOAuthServiceProvider`.
    Provider,
    /// `EnableOAuthServiceProvider` and `EnableDynamicClientRegistration`.
    Registration,
    /// `EnableOutgoingOAuthConnections`.
    Outgoing,
}

/// Mattermost's words while the provider is off (every gate's message but the outgoing one's).
const PROVIDER_DISABLED: &str =
    "The OAuth 2.0 Service Provider is disabled. A system admin can enable it in the System Console.";

impl Gate {
    fn is_open(self, settings: &ServiceSettings) -> bool {
        match self {
            Gate::Always => true,
            Gate::Provider => settings.enable_oauth_service_provider,
            Gate::Registration => {
                settings.enable_oauth_service_provider && settings.enable_dynamic_client_registration
            }
            Gate::Outgoing => settings.enable_outgoing_oauth_connections,
        }
    }

    /// Mattermost's 501 while the gate is off.
    fn disabled(self) -> AppError {
        match self {
            Gate::Outgoing => AppError::new(
                501,
                "api.context.outgoing_oauth_connection.not_available.configuration_disabled",
                "Outgoing OAuth connections are disabled. A system admin can enable them in the System Console.",
            ),
            _ => AppError::new(501, "api.oauth.register_oauth_app.turn_off.app_error", PROVIDER_DISABLED),
        }
    }
}

/// Who reads a refusal, and so how it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Mattermost's REST API: its error JSON.
    Api,
    /// A page in the user's browser: no session sends the user to log in (and back), a gate
    /// that is off shows the authorization error page.
    Page,
    /// The token, revocation and introspection endpoints (RFC 6749 §3.2, RFC 7009, RFC 7662),
    /// called by browser-based clients from other origins: CORS on every answer, and the 501 is
    /// not cached (RFC 6749 §5.1).
    OAuth,
    /// Dynamic Client Registration: off is RFC 7591 §3.2.2's `unsupported_operation`, not cached,
    /// open to any origin.
    Registration,
    /// RFC 8414 metadata: the 501 under Mattermost's metadata error id.
    Metadata,
}

/// Why the table refused a call.
#[derive(Debug, Clone, Copy)]
enum Refusal<'a> {
    /// The methods the pattern has, for `Allow` (RFC 9110 §15.5.6).
    WrongMethod(&'a str),
    Disabled(Gate),
    NoSession,
    Denied(&'static str),
}

impl Refusal<'_> {
    /// As Mattermost's API words it.
    fn render(self, request: &Request) -> Response {
        match self {
            Refusal::WrongMethod(allowed) => wrong_method(request, allowed),
            Refusal::Disabled(gate) => gate.disabled().render(request),
            Refusal::NoSession => session_required().render(request),
            Refusal::Denied(permission) => permission_denied(permission).render(request),
        }
    }
}

impl Style {
    fn refuse<H: Host>(self, ctx: &Context<'_, H>, request: &Request, refusal: Refusal<'_>) -> Response {
        match (self, refusal) {
            (Style::Page, Refusal::NoSession) => ctx.login_redirect(request),
            (Style::Page, Refusal::Disabled(gate)) => {
                let error = gate.disabled();
                consent_page::error_page(error.status, &error.message)
            }
            (Style::OAuth, Refusal::Disabled(_)) => no_store(refusal.render(request)).allow_any_origin(),
            (Style::OAuth, _) => refusal.render(request).allow_any_origin(),
            (Style::Registration, Refusal::Disabled(_)) => {
                let error = OAuthError::new(
                    ErrorCode::UnsupportedOperation,
                    "Dynamic client registration is disabled.",
                );
                no_store(error.render(request)).allow_any_origin()
            }
            (Style::Api, Refusal::NoSession) => with_bearer_challenge(ctx, request, refusal.render(request)),
            (Style::Metadata, Refusal::Disabled(gate)) => {
                let id = "api.oauth.authorization_server_metadata.disabled.app_error";
                AppError { id, ..gate.disabled() }.render(request)
            }
            _ => refusal.render(request),
        }
    }
}

/// RFC 9728 §5.1, RFC 6750 §3: a 401 of the API says where to get a token, and that the one sent
/// (the server forwards a request with a bearer token it did not take without a user) is refused.
fn with_bearer_challenge<H: Host>(ctx: &Context<'_, H>, request: &Request, response: Response) -> Response {
    let bearer_sent = request.header("authorization").is_some_and(|value| {
        value.trim_start().get(..7).is_some_and(|scheme| scheme.eq_ignore_ascii_case("bearer "))
    });
    let error = bearer_sent.then_some(BearerError::InvalidToken);
    match metadata::bearer_challenge(&ctx.config, error) {
        Some(challenge) => response.with_header("WWW-Authenticate", &challenge),
        None => response,
    }
}

/// What a handler gets: the context, the request, the segments its pattern captured, and the caller
/// when the route needs a session (else empty).
pub struct Call<'a, H: Host> {
    pub ctx: &'a Context<'a, H>,
    pub request: &'a Request,
    pub user_id: &'a UserId,
    captures: &'a Captures<'a>,
    /// The pattern's methods, as `Allow` lists them.
    allowed: &'a str,
}

impl<H: Host> Clone for Call<'_, H> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<H: Host> Copy for Call<'_, H> {}

impl<'a, H: Host> Call<'a, H> {
    /// The path segment captured as `{name}`.
    pub fn param(&self, name: &str) -> &'a str {
        self.captures.get(name)
    }
}

pub type Reply<'a> = Pin<Box<dyn Future<Output = Response> + 'a>>;
pub type Handler<H> = for<'a> fn(Call<'a, H>) -> Reply<'a>;

pub struct Route<H: Host> {
    pub method: Method,
    pub pattern: &'static str,
    /// The pattern's literal segments ([`specificity`]), counted once when the table is built.
    specificity: usize,
    pub access: Access,
    pub gate: Gate,
    pub style: Style,
    pub handler: Handler<H>,
}

const fn route<H: Host>(
    method: Method,
    pattern: &'static str,
    access: Access,
    gate: Gate,
    style: Style,
    handler: Handler<H>,
) -> Route<H> {
    Route { method, pattern, specificity: specificity(pattern), access, gate, style, handler }
}

/// A handler that answers in Mattermost's format: its error rendered as such.
fn api<'a, H: Host>(
    call: Call<'a, H>,
    reply: impl Future<Output = Result<Response, AppError>> + 'a,
) -> Reply<'a> {
    Box::pin(async move { reply.await.unwrap_or_else(|error| error.render(call.request)) })
}

/// A handler that writes its whole answer itself (pages, the RFCs' error formats).
fn own<'a>(reply: impl Future<Output = Response> + 'a) -> Reply<'a> {
    Box::pin(reply)
}

/// Open to any origin, whatever the answer.
fn cors(reply: Reply<'_>) -> Reply<'_> {
    Box::pin(async move { reply.await.allow_any_origin() })
}

fn preflight<H: Host>(call: Call<'_, H>) -> Reply<'_> {
    own(ready(cors_preflight(call.allowed)))
}

use Access::{Anyone, Permission, Session};
use Method::{Delete, Get, GetOrHead, Options, Post, Put};

struct Table<H>(std::marker::PhantomData<H>);

// 'static: the table is a constant, for every host type (all of which own what they hold).
impl<H: Host + 'static> Table<H> {
    #[rustfmt::skip]
    const ROUTES: &'static [Route<H>] = &[
        // RFC 8414 §3: metadata, also with the issuer's path appended (§3.1), as Mattermost.
        route(GetOrHead, "/.well-known/oauth-authorization-server", Anyone, Gate::Provider, Style::Metadata, |c| own(ready(metadata::serve(c.ctx)))),
        route(Options, "/.well-known/oauth-authorization-server", Anyone, Gate::Always, Style::Metadata, preflight),
        route(GetOrHead, "/.well-known/oauth-authorization-server/{issuer_path...}", Anyone, Gate::Provider, Style::Metadata, |c| own(ready(metadata::serve(c.ctx)))),
        route(Options, "/.well-known/oauth-authorization-server/{issuer_path...}", Anyone, Gate::Always, Style::Metadata, preflight),
        // OpenID Connect Discovery 1.0 §4: the same document, also with the issuer's path appended.
        route(GetOrHead, "/.well-known/openid-configuration", Anyone, Gate::Provider, Style::Metadata, |c| own(ready(metadata::serve(c.ctx)))),
        route(Options, "/.well-known/openid-configuration", Anyone, Gate::Always, Style::Metadata, preflight),
        route(GetOrHead, "/.well-known/openid-configuration/{issuer_path...}", Anyone, Gate::Provider, Style::Metadata, |c| own(ready(metadata::serve(c.ctx)))),
        route(Options, "/.well-known/openid-configuration/{issuer_path...}", Anyone, Gate::Always, Style::Metadata, preflight),
        // RFC 7517 §5: the signing keys' public halves; OpenID Connect Core §5.3: UserInfo, which
        // reads its bearer token itself.
        route(GetOrHead, "/oauth/jwks", Anyone, Gate::Provider, Style::Metadata, |c| cors(api(c, jwks::serve(c.ctx)))),
        route(Options, "/oauth/jwks", Anyone, Gate::Always, Style::Metadata, preflight),
        route(Get, "/oauth/userinfo", Anyone, Gate::Provider, Style::OAuth, |c| own(userinfo::serve(c.ctx, c.request))),
        route(Post, "/oauth/userinfo", Anyone, Gate::Provider, Style::OAuth, |c| own(userinfo::serve(c.ctx, c.request))),
        route(Options, "/oauth/userinfo", Anyone, Gate::Always, Style::OAuth, preflight),
        // RFC 9728 §3: the chat server's API as a protected resource, with the SiteURL's path
        // appended when it has one (§3.1), and each registered resource under the SiteURL.
        route(GetOrHead, "/.well-known/oauth-protected-resource", Anyone, Gate::Provider, Style::Metadata, |c| own(metadata::serve_protected_resource(c.ctx, c.request, ""))),
        route(Options, "/.well-known/oauth-protected-resource", Anyone, Gate::Always, Style::Metadata, preflight),
        route(GetOrHead, "/.well-known/oauth-protected-resource/{resource_path...}", Anyone, Gate::Provider, Style::Metadata, |c| own(metadata::serve_protected_resource(c.ctx, c.request, c.param("resource_path")))),
        route(Options, "/.well-known/oauth-protected-resource/{resource_path...}", Anyone, Gate::Always, Style::Metadata, preflight),

        // RFC 6749 §3.1, Mattermost web/oauth.go. GET verifies the client before it asks a logged-out
        // user to log in (Mattermost's order), so it takes anyone and decides the login itself.
        route(Get, "/oauth/authorize", Anyone, Gate::Provider, Style::Page, |c| own(authorize::serve_get(c.ctx, c.request))),
        route(Post, "/oauth/authorize", Session, Gate::Provider, Style::Api, |c| api(c, authorize::serve_post(c.ctx, c.request, c.user_id))),
        // RFC 6749 §3.2, RFC 7009 §2, RFC 7662 §2: the client authenticates itself.
        route(Post, "/oauth/access_token", Anyone, Gate::Provider, Style::OAuth, |c| own(token::serve_token(c.ctx, c.request))),
        route(Options, "/oauth/access_token", Anyone, Gate::Always, Style::OAuth, preflight),
        // RFC 8628 §3.1: the device authorization endpoint; the client authenticates itself.
        route(Post, "/oauth/device_authorization", Anyone, Gate::Provider, Style::OAuth, |c| own(device_authorization::serve(c.ctx, c.request))),
        route(Options, "/oauth/device_authorization", Anyone, Gate::Always, Style::OAuth, preflight),
        // RFC 8628 §3.3: the verification page, for a logged-in user (a logged-out one logs in and
        // comes back, the code kept), and its Allow or Deny.
        route(Get, "/oauth/device", Session, Gate::Provider, Style::Page, |c| own(device_page::serve_get(c.ctx, c.request, c.user_id))),
        route(Post, "/oauth/device", Session, Gate::Provider, Style::Api, |c| api(c, device_page::serve_post(c.ctx, c.request, c.user_id))),
        route(Post, "/oauth/revoke", Anyone, Gate::Provider, Style::OAuth, |c| own(token::serve_revoke(c.ctx, c.request))),
        route(Options, "/oauth/revoke", Anyone, Gate::Always, Style::OAuth, preflight),
        route(Post, "/oauth/introspect", Anyone, Gate::Provider, Style::OAuth, |c| own(token::serve_introspect(c.ctx, c.request))),
        route(Options, "/oauth/introspect", Anyone, Gate::Always, Style::OAuth, preflight),
        // OpenID Connect Core §10.1.1: a new signing key; the previous one is published until its tokens expire.
        route(Post, "/plugins/oauth-plugin/api/v1/signing_keys/rotate", Permission(MANAGE_SYSTEM), Gate::Provider, Style::Api, |c| api(c, jwks::rotate(c.ctx, c.user_id))),
        route(Post, "/oauth/deauthorize", Session, Gate::Provider, Style::Api, |c| api(c, authorized_api::deauthorize(c.ctx, c.request, c.user_id))),

        // Mattermost api4/oauth.go. Listing needs manage_oauth too, refused in Mattermost's own
        // words for it (api.command.admin_only.app_error): the handler says so.
        route(Get, "/api/v4/users/{user_id}/oauth/apps/authorized", Session, Gate::Provider, Style::Api, |c| api(c, authorized_api::list(c.ctx, c.user_id, c.param("user_id")))),
        route(Get, "/api/v4/oauth/apps", Session, Gate::Provider, Style::Api, |c| api(c, clients_api::list(c.ctx, c.request, c.user_id))),
        route(Post, "/api/v4/oauth/apps", Permission(MANAGE_OAUTH), Gate::Provider, Style::Api, |c| api(c, clients_api::create(c.ctx, c.request, c.user_id))),
        // RFC 7591 §3: anyone may register.
        route(Post, "/api/v4/oauth/apps/register", Anyone, Gate::Registration, Style::Registration, |c| own(dcr::serve(c.ctx, c.request))),
        route(Options, "/api/v4/oauth/apps/register", Anyone, Gate::Always, Style::Registration, preflight),
        route(Get, "/api/v4/oauth/apps/{client_id}", Permission(MANAGE_OAUTH), Gate::Provider, Style::Api, |c| api(c, clients_api::get(c.ctx, c.user_id, c.param("client_id")))),
        route(Put, "/api/v4/oauth/apps/{client_id}", Permission(MANAGE_OAUTH), Gate::Provider, Style::Api, |c| api(c, clients_api::update(c.ctx, c.request, c.user_id, c.param("client_id")))),
        route(Delete, "/api/v4/oauth/apps/{client_id}", Permission(MANAGE_OAUTH), Gate::Provider, Style::Api, |c| api(c, clients_api::delete(c.ctx, c.user_id, c.param("client_id")))),
        route(Get, "/api/v4/oauth/apps/{client_id}/info", Session, Gate::Provider, Style::Api, |c| api(c, clients_api::info(c.ctx, c.param("client_id")))),
        route(Post, "/api/v4/oauth/apps/{client_id}/regen_secret", Permission(MANAGE_OAUTH), Gate::Provider, Style::Api, |c| api(c, clients_api::regenerate_secret(c.ctx, c.user_id, c.param("client_id")))),

        // Mattermost api4/outgoing_oauth_connection.go. Listing takes manage_slash_commands as
        // well (the slash command form's hint): the handler checks either.
        route(Get, "/api/v4/oauth/outgoing_connections", Session, Gate::Outgoing, Style::Api, |c| api(c, outgoing_api::list(c.ctx, c.request, c.user_id))),
        route(Post, "/api/v4/oauth/outgoing_connections", Permission(MANAGE_CONNECTIONS), Gate::Outgoing, Style::Api, |c| api(c, outgoing_api::create(c.ctx, c.request, c.user_id))),
        route(Post, "/api/v4/oauth/outgoing_connections/validate", Permission(MANAGE_CONNECTIONS), Gate::Outgoing, Style::Api, |c| api(c, outgoing_api::validate(c.ctx, c.request, c.user_id))),
        route(Get, "/api/v4/oauth/outgoing_connections/{connection_id}", Permission(MANAGE_CONNECTIONS), Gate::Outgoing, Style::Api, |c| api(c, outgoing_api::get(c.ctx, c.param("connection_id")))),
        route(Put, "/api/v4/oauth/outgoing_connections/{connection_id}", Permission(MANAGE_CONNECTIONS), Gate::Outgoing, Style::Api, |c| api(c, outgoing_api::update(c.ctx, c.request, c.param("connection_id")))),
        route(Delete, "/api/v4/oauth/outgoing_connections/{connection_id}", Permission(MANAGE_CONNECTIONS), Gate::Outgoing, Style::Api, |c| api(c, outgoing_api::delete(c.ctx, c.param("connection_id")))),

        // The app OAuth2 store. Connect runs in the user's browser. Complete needs the user who
        // started, and says so on its page rather than sending them to log in (the flow does not
        // resume after a login).
        route(Get, "/plugins/oauth-plugin/apps/{app_id}/oauth2/remote/connect", Session, Gate::Always, Style::Page, |c| own(connect::connect(c.ctx, c.user_id, c.param("app_id")))),
        route(Get, "/plugins/oauth-plugin/apps/{app_id}/oauth2/remote/complete", Anyone, Gate::Always, Style::Page, |c| own(connect::complete(c.ctx, c.request, c.param("app_id")))),
        // The Apps framework's store API: an app calls with a token of its OAuth app, checked by
        // the handler (store_api::app_session).
        route(Post, "/plugins/oauth-plugin/api/v1/oauth2/app", Anyone, Gate::Always, Style::Api, |c| api(c, store_api::put_app(c.ctx, c.request))),
        route(Put, "/plugins/oauth-plugin/api/v1/oauth2/app", Anyone, Gate::Always, Style::Api, |c| api(c, store_api::put_app(c.ctx, c.request))),
        route(Get, "/plugins/oauth-plugin/api/v1/oauth2/user", Anyone, Gate::Always, Style::Api, |c| api(c, store_api::get_user(c.ctx, c.request))),
        route(Post, "/plugins/oauth-plugin/api/v1/oauth2/user", Anyone, Gate::Always, Style::Api, |c| api(c, store_api::put_user(c.ctx, c.request))),
        route(Put, "/plugins/oauth-plugin/api/v1/oauth2/user", Anyone, Gate::Always, Style::Api, |c| api(c, store_api::put_user(c.ctx, c.request))),
        route(Get, "/plugins/oauth-plugin/api/v1/oauth2/context", Anyone, Gate::Always, Style::Api, |c| api(c, store_api::context(c.ctx, c.request))),
        // Protected resources (RFC 9728) that accept this server's tokens: the system admin's.
        route(Get, "/plugins/oauth-plugin/api/v1/resources", Permission(MANAGE_SYSTEM), Gate::Provider, Style::Api, |c| api(c, resources_api::list(c.ctx))),
        route(Post, "/plugins/oauth-plugin/api/v1/resources", Permission(MANAGE_SYSTEM), Gate::Provider, Style::Api, |c| api(c, resources_api::create(c.ctx, c.request, c.user_id))),
        route(Get, "/plugins/oauth-plugin/api/v1/resources/{resource_id}", Permission(MANAGE_SYSTEM), Gate::Provider, Style::Api, |c| api(c, resources_api::get(c.ctx, c.param("resource_id")))),
        route(Put, "/plugins/oauth-plugin/api/v1/resources/{resource_id}", Permission(MANAGE_SYSTEM), Gate::Provider, Style::Api, |c| api(c, resources_api::update(c.ctx, c.request, c.param("resource_id")))),
        route(Delete, "/plugins/oauth-plugin/api/v1/resources/{resource_id}", Permission(MANAGE_SYSTEM), Gate::Provider, Style::Api, |c| api(c, resources_api::delete(c.ctx, c.param("resource_id")))),
        route(Post, "/plugins/oauth-plugin/api/v1/resources/{resource_id}/regen_secret", Permission(MANAGE_SYSTEM), Gate::Provider, Style::Api, |c| api(c, resources_api::regenerate_secret(c.ctx, c.param("resource_id")))),
        // The logged-in user's own connected accounts.
        route(Get, "/plugins/oauth-plugin/api/v1/oauth2/connections", Session, Gate::Always, Style::Api, |c| api(c, store_api::list_connections(c.ctx, c.user_id))),
        route(Delete, "/plugins/oauth-plugin/api/v1/oauth2/connections/{app_id}", Session, Gate::Always, Style::Api, |c| api(c, store_api::delete_connection(c.ctx, c.user_id, c.param("app_id")))),
    ];
}

/// The table, for a host.
pub fn table<H: Host + 'static>() -> &'static [Route<H>] {
    Table::<H>::ROUTES
}

/// Whether a path segment may stand for the capture `name`: an `{app_id}` is an Apps-framework app
/// id; any other capture is any segment.
fn valid_capture(name: &str, segment: &str) -> bool {
    name != "app_id" || is_valid_app_id(segment)
}

/// The routes whose pattern matches `path` best (most literal segments), with what it captured.
fn matching<'t, 'p, H: Host>(
    routes: &'t [Route<H>],
    path: &'p str,
) -> Option<(impl Iterator<Item = &'t Route<H>> + Clone, Captures<'p>)> {
    let mut best: Option<(&'t Route<H>, Captures<'p>)> = None;
    for route in routes {
        if best.as_ref().is_some_and(|(found, _)| found.specificity >= route.specificity) {
            continue;
        }
        if let Some(found) = captures(route.pattern, path, valid_capture) {
            best = Some((route, found));
        }
    }
    let (best, found) = best?;
    Some((routes.iter().filter(move |route| route.pattern == best.pattern), found))
}

/// Answers a request by the table.
pub async fn serve<H: Host + 'static>(ctx: &Context<'_, H>, request: &Request) -> Response {
    let Some((routes, found)) = matching(table::<H>(), &request.path) else {
        return AppError::not_found().render(request);
    };
    let allowed = routes.clone().map(|route| route.method.name()).collect::<Vec<_>>().join(", ");
    let Some(route) = routes.clone().find(|route| route.method.accepts(&request.method)) else {
        // The pattern's first route says how its 405 reads.
        let style = routes.clone().next().map_or(Style::Api, |route| route.style);
        return style.refuse(ctx, request, Refusal::WrongMethod(&allowed));
    };
    if !route.gate.is_open(&ctx.config.service_settings) {
        return route.style.refuse(ctx, request, Refusal::Disabled(route.gate));
    }
    let user_id = match caller(ctx, request, route.access).await {
        Ok(user_id) => user_id,
        Err(refusal) => return route.style.refuse(ctx, request, refusal),
    };
    (route.handler)(Call { ctx, request, user_id: &user_id, captures: &found, allowed: &allowed }).await
}

/// The caller, as the route's access asks: empty for anyone.
async fn caller<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    access: Access,
) -> Result<UserId, Refusal<'static>> {
    let permission = match access {
        Access::Anyone => return Ok(UserId::default()),
        Access::Session => None,
        Access::Permission(permission) => Some(permission),
    };
    let user_id = ctx.caller(request).map_err(|_| Refusal::NoSession)?;
    match permission {
        Some(permission) if !ctx.has_permission(&user_id, permission).await => {
            Err(Refusal::Denied(permission))
        }
        _ => Ok(user_id),
    }
}

/// A route as the server learns it: it forwards a request whose path matches `pattern` (with any
/// method: the plugin answers 405 itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedRoute {
    pub method: &'static str,
    pub pattern: &'static str,
}

/// The table's methods and patterns, for the server.
pub fn exported<H: Host + 'static>() -> Vec<ExportedRoute> {
    table::<H>()
        .iter()
        .map(|route| ExportedRoute { method: route.method.name(), pattern: route.pattern })
        .collect()
}
