//! Registered protected resources (RFC 9728 §1.2): servers that accept this server's tokens, such
//! as an MCP server inside the chat server (a path under the SiteURL) or beside it (its own https
//! URL). The record, the rules for its fields, and its storage.
//!
//! The identifier (RFC 8707 §2) is taken with the redirect URI rules ([`redirect_uri`]): an
//! absolute http(s) URL, in its normalized form, without user info or fragment; and, to keep
//! identifiers simple to compare, without a query. It is unique: `resid:{hash}` names the resource
//! that holds it, taken insert-if-absent so that two concurrent registrations cannot both win.
//!
//! The secret is the resource's credential at token introspection (its id is the `client_id`):
//! stored only as a hash, shown once.

use crate::config::ServerConfig;
use crate::context::Context;
use crate::host::Host;
use crate::ids::{is_valid_id, new_secret, ClientSecret, ResourceId, SecretHash, UserId};
use crate::redirect_uri::{self, RedirectUri};
use crate::store::{self, keys, Replaced, StoreError, StoreResult};
use crate::text;
use serde::{Deserialize, Serialize};
use std::fmt;
use url::{Host as UrlHost, Url};

pub const MAX_NAME_CHARS: usize = 64;
pub const MAX_SCOPES: usize = 20;
pub const MAX_SCOPE_CHARS: usize = 64;
/// The redirect URIs' bound: an identifier is a URL people type and compare.
pub const MAX_IDENTIFIER_LEN: usize = redirect_uri::MAX_LEN;
/// Scopes of the server itself, which no registered resource may claim.
pub const RESERVED_SCOPES: &[&str] = &["openid", "profile", "email", "user", "offline_access"];

/// How the resource validates the tokens it gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenFormat {
    /// Opaque tokens, checked at the introspection endpoint (RFC 7662).
    #[default]
    Introspection,
    /// JWT access tokens (RFC 9068), checked against the server's keys.
    Jwt,
}

/// A protected resource as stored under `res:{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedResource {
    pub v: u32,
    pub id: ResourceId,
    /// The resource URI (RFC 8707 §2, RFC 9728 §1.2), normalized.
    pub identifier: String,
    /// Shown on the consent page and as `resource_name`.
    pub name: String,
    /// The scopes the resource understands.
    pub scopes: Vec<String>,
    pub token_format: TokenFormat,
    /// SHA-256 of its introspection secret.
    pub secret_hash: SecretHash,
    pub creator_id: UserId,
    pub create_at: i64,
    pub update_at: i64,
}

/// The fields a caller sets; others sent along (ids, times, the secret) are ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResourceInput {
    pub id: String,
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub token_format: TokenFormat,
}

/// Where a resource stands to the chat server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// A path under the SiteURL: the plugin serves its metadata, at this URL (RFC 9728 §3.1).
    UnderSite { metadata_url: String },
    /// Its own origin: it serves its metadata itself.
    Beside,
}

/// A field that breaks the rules, with what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    Identifier(String),
    Name,
    Scopes(String),
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Identifier(reason) | Invalid::Scopes(reason) => f.write_str(reason),
            Invalid::Name => f.write_str("Name must be 1 to 64 characters of printable text on one line."),
        }
    }
}

/// Why a change was refused, or what failed while making it.
#[derive(Debug)]
pub enum Refusal {
    Invalid(Invalid),
    /// Another resource holds the identifier.
    Duplicate,
    NotFound,
    /// Someone else changed the resource between reading and writing it.
    ChangedMeanwhile,
    Storage(StoreError),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Invalid(invalid) => invalid.fmt(f),
            Refusal::Duplicate => f.write_str("A protected resource with this identifier is registered."),
            Refusal::NotFound => f.write_str("Protected resource not found."),
            Refusal::ChangedMeanwhile => f.write_str("The protected resource changed meanwhile; reload it."),
            Refusal::Storage(error) => error.fmt(f),
        }
    }
}

impl From<Invalid> for Refusal {
    fn from(invalid: Invalid) -> Self {
        Refusal::Invalid(invalid)
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        Refusal::Storage(error)
    }
}

impl ProtectedResource {
    /// Every field's rule; the error names the field.
    pub fn check(&self, config: &ServerConfig) -> Result<(), Invalid> {
        check_identifier(&self.identifier, config)?;
        let name_chars = self.name.chars().count();
        if name_chars == 0 || name_chars > MAX_NAME_CHARS || !text::is_printable_line(&self.name) {
            return Err(Invalid::Name);
        }
        check_scopes(&self.scopes)
    }

    /// Under the SiteURL or beside it, as the SiteURL is now (it may change after registration).
    pub fn placement(&self, config: &ServerConfig) -> Placement {
        let Ok(url) = Url::parse(&self.identifier) else { return Placement::Beside };
        match site_url(config) {
            Some(site) if below_site(&url, &site) => {
                Placement::UnderSite { metadata_url: metadata_url(&url) }
            }
            _ => Placement::Beside,
        }
    }
}

fn site_url(config: &ServerConfig) -> Option<Url> {
    Url::parse(config.issuer()).ok()
}

/// Same origin as the SiteURL and a path strictly below the SiteURL's (`/mattermost/mcp`, not
/// `/mattermostx` nor `/mattermost/` itself).
fn below_site(url: &Url, site: &Url) -> bool {
    let site_path = site.path().trim_end_matches('/');
    url.origin() == site.origin()
        && url
            .path()
            .strip_prefix(site_path)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|rest| !rest.is_empty())
}

/// RFC 9728 §3.1: the well-known path goes between the host and the identifier's path.
fn metadata_url(url: &Url) -> String {
    let path = if url.path() == "/" { "" } else { url.path() };
    format!("{}/.well-known/oauth-protected-resource{path}", url.origin().ascii_serialization())
}

/// An `http` identifier beside the chat server is fine only on this machine.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(UrlHost::Ipv4(address)) => address.is_loopback(),
        Some(UrlHost::Ipv6(address)) => address.is_loopback(),
        Some(UrlHost::Domain(domain)) => domain == "localhost",
        None => false,
    }
}

fn identifier_refused(raw: &str, reason: &str) -> Invalid {
    let shown: String = raw.chars().take(80).flat_map(char::escape_default).collect();
    Invalid::Identifier(format!("Resource identifier \"{shown}\" {reason}."))
}

/// The identifier rules (RFC 8707 §2, RFC 9728 §1.2), against the current SiteURL.
pub fn check_identifier(raw: &str, config: &ServerConfig) -> Result<Url, Invalid> {
    let url = RedirectUri::parse(&with_root_path(raw))
        .map_err(|refusal| match refusal {
            redirect_uri::Refusal::NotCanonical => Invalid::Identifier(
                redirect_uri::explain(raw, refusal).replacen("Redirect URI", "Resource identifier", 1),
            ),
            _ => identifier_refused(raw, refusal.describe()),
        })?
        .url()
        .clone();
    if url.query().is_some() {
        return Err(identifier_refused(raw, "has a query; identifiers here have none"));
    }
    let site = site_url(config)
        .ok_or_else(|| identifier_refused(raw, "cannot be checked: the SiteURL is not set"))?;
    if url.origin() == site.origin() {
        if below_site(&url, &site) {
            return Ok(url);
        }
        let site_path = site.path().trim_end_matches('/');
        if url.path().trim_end_matches('/') == site_path {
            return Err(identifier_refused(raw, "is the chat server's own identifier (the SiteURL)"));
        }
        return Err(identifier_refused(raw, "is on the chat server's origin but not under its SiteURL"));
    }
    if url.scheme() != "https" && !is_loopback(&url) {
        return Err(identifier_refused(raw, "must use https (http only on a loopback host)"));
    }
    Ok(url)
}

/// A bare origin (`https://mcp.example.com`) with the `/` a URL parser gives it, for the rules;
/// anything else as it is. MCP clients name a server at an origin without the slash, and RFC 9728
/// §3.3 wants its metadata to name it as the client does, so both spellings are taken (and are one
/// identifier: claims and comparisons use the parsed form).
fn with_root_path(raw: &str) -> String {
    let bare =
        Url::parse(raw).is_ok_and(|url| url.path() == "/" && url.as_str().strip_suffix('/') == Some(raw));
    if bare {
        format!("{raw}/")
    } else {
        raw.to_owned()
    }
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope.bytes().all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

fn check_scopes(scopes: &[String]) -> Result<(), Invalid> {
    if scopes.len() > MAX_SCOPES {
        return Err(Invalid::Scopes(format!("At most {MAX_SCOPES} scopes.")));
    }
    for (index, scope) in scopes.iter().enumerate() {
        let shown: String = scope.chars().take(MAX_SCOPE_CHARS).flat_map(char::escape_default).collect();
        if scope.len() > MAX_SCOPE_CHARS || !is_scope_token(scope) {
            return Err(Invalid::Scopes(format!(
                "Scope \"{shown}\" must be 1 to 64 characters, printable ASCII without space, '\"' or '\\\\' (RFC 6749 §3.3)."
            )));
        }
        if RESERVED_SCOPES.contains(&scope.as_str()) {
            return Err(Invalid::Scopes(format!("Scope \"{shown}\" belongs to the chat server.")));
        }
        if scopes[..index].contains(scope) {
            return Err(Invalid::Scopes(format!("Scope \"{shown}\" is listed twice.")));
        }
    }
    Ok(())
}

/// The claim key of an identifier, from its normalized form.
fn claim_key(url: &Url) -> String {
    keys::resource_identifier(&SecretHash::of(url.as_str()))
}

pub async fn get<H: Host>(ctx: &Context<'_, H>, id: &ResourceId) -> StoreResult<Option<ProtectedResource>> {
    if !is_valid_id(id.as_str()) {
        return Ok(None);
    }
    ctx.store().get(&keys::resource(id)).await
}

/// Every registered resource, oldest first.
pub async fn list<H: Host>(ctx: &Context<'_, H>) -> StoreResult<Vec<ProtectedResource>> {
    let ids: Vec<ResourceId> = ctx.store().ids(keys::RESOURCE_INDEX).await?;
    let load = |id: ResourceId| async move { get(ctx, &id).await };
    store::page_of(ids, load, |_| true, 0, usize::MAX).await
}

/// The resource registered as `identifier`, URLs compared after parsing (`https://x.example` and
/// `https://x.example/` are one).
pub async fn find_by_identifier<H: Host>(
    ctx: &Context<'_, H>,
    identifier: &str,
) -> StoreResult<Option<ProtectedResource>> {
    let Ok(wanted) = Url::parse(identifier) else { return Ok(None) };
    let Some(holder) = ctx.store().get::<ResourceId>(&claim_key(&wanted)).await? else { return Ok(None) };
    let found = get(ctx, &holder).await?;
    Ok(found.filter(|resource| Url::parse(&resource.identifier).as_ref() == Ok(&wanted)))
}

/// The resource the credentials prove (its id and secret, at introspection), or `None`. The
/// secret is checked in constant time against its hash, as clients' are.
pub async fn authenticate<H: Host>(
    ctx: &Context<'_, H>,
    resource_id: &str,
    secret: &str,
) -> StoreResult<Option<ProtectedResource>> {
    let found = get(ctx, &ResourceId::new(resource_id)).await?;
    Ok(found.filter(|resource| resource.secret_hash.matches(secret)))
}

/// Registers a resource; returns it with its secret, shown this once.
pub async fn create<H: Host>(
    ctx: &Context<'_, H>,
    creator_id: &UserId,
    input: ResourceInput,
) -> Result<(ProtectedResource, ClientSecret), Refusal> {
    let now = ctx.host.now_millis();
    let secret = ClientSecret::new(new_secret());
    let resource = ProtectedResource {
        v: 1,
        id: ResourceId::random(),
        identifier: input.identifier,
        name: input.name,
        scopes: input.scopes,
        token_format: input.token_format,
        secret_hash: SecretHash::of(secret.secret()),
        creator_id: creator_id.clone(),
        create_at: now,
        update_at: now,
    };
    resource.check(&ctx.config)?;
    let store = ctx.store();
    // The record first, so that a claim always names a record that was written (a claim whose
    // record is gone is stale and may be taken over).
    if !store.insert(&keys::resource(&resource.id), &resource).await? {
        return Err(Refusal::ChangedMeanwhile);
    }
    if let Err(refusal) = claim(ctx, &resource).await {
        store.delete(&keys::resource(&resource.id)).await?;
        return Err(refusal);
    }
    store.add_id(keys::RESOURCE_INDEX, resource.id.as_str()).await?;
    Ok((resource, secret))
}

/// Takes `resource`'s identifier for it: insert-if-absent, or over a claim whose record is gone
/// (a delete that stopped between the two writes).
async fn claim<H: Host>(ctx: &Context<'_, H>, resource: &ProtectedResource) -> Result<(), Refusal> {
    let store = ctx.store();
    let key = claim_key(&Url::parse(&resource.identifier).map_err(|_| Refusal::NotFound)?);
    if store.insert(&key, &resource.id).await? {
        return Ok(());
    }
    let Some((holder, bytes)) = store.get_versioned::<ResourceId>(&key).await? else {
        return Err(Refusal::ChangedMeanwhile);
    };
    if holder == resource.id {
        return Ok(());
    }
    // Stale only when its record is gone: a holder being edited claims before its record moves.
    let holder_exists = get(ctx, &holder).await?.is_some();
    if holder_exists || !store.compare_and_set(&key, &bytes, Some(&resource.id)).await? {
        return Err(Refusal::Duplicate);
    }
    Ok(())
}

/// Gives up `resource`'s claim on its identifier, if it still holds it.
async fn release<H: Host>(ctx: &Context<'_, H>, resource: &ProtectedResource) -> StoreResult<()> {
    let Ok(url) = Url::parse(&resource.identifier) else { return Ok(()) };
    let store = ctx.store();
    let key = claim_key(&url);
    if let Some((holder, bytes)) = store.get_versioned::<ResourceId>(&key).await? {
        if holder == resource.id {
            store.compare_and_set::<ResourceId>(&key, &bytes, None).await?;
        }
    }
    Ok(())
}

/// Applies an edit; a new identifier is claimed before the record moves, the old one released after.
pub async fn update<H: Host>(
    ctx: &Context<'_, H>,
    current: &ProtectedResource,
    input: ResourceInput,
) -> Result<ProtectedResource, Refusal> {
    let edited = ProtectedResource {
        identifier: input.identifier,
        name: input.name,
        scopes: input.scopes,
        token_format: input.token_format,
        update_at: ctx.host.now_millis().max(current.update_at + 1),
        ..current.clone()
    };
    edited.check(&ctx.config)?;
    let moves = edited.identifier != current.identifier;
    if moves {
        claim(ctx, &edited).await?;
    }
    if let Err(refusal) = replace(ctx, current, &edited).await {
        if moves {
            release(ctx, &edited).await?;
        }
        return Err(refusal);
    }
    if moves {
        release(ctx, current).await?;
    }
    Ok(edited)
}

/// A new secret; the old one fails from now on.
pub async fn regenerate_secret<H: Host>(
    ctx: &Context<'_, H>,
    current: &ProtectedResource,
) -> Result<(ProtectedResource, ClientSecret), Refusal> {
    let secret = ClientSecret::new(new_secret());
    let regenerated = ProtectedResource {
        secret_hash: SecretHash::of(secret.secret()),
        update_at: ctx.host.now_millis().max(current.update_at + 1),
        ..current.clone()
    };
    replace(ctx, current, &regenerated).await?;
    Ok((regenerated, secret))
}

/// Replaces `current` by `next`, unless someone else changed it meanwhile.
async fn replace<H: Host>(
    ctx: &Context<'_, H>,
    current: &ProtectedResource,
    next: &ProtectedResource,
) -> Result<(), Refusal> {
    match ctx.store().replace_unchanged(&keys::resource(&current.id), current, next).await? {
        Replaced::Done => Ok(()),
        Replaced::Missing => Err(Refusal::NotFound),
        Replaced::Changed => Err(Refusal::ChangedMeanwhile),
    }
}

/// Deletes the resource: the record first (its secret fails at once), then its claim and index entry.
pub async fn delete<H: Host>(ctx: &Context<'_, H>, resource: &ProtectedResource) -> StoreResult<()> {
    let store = ctx.store();
    store.delete(&keys::resource(&resource.id)).await?;
    release(ctx, resource).await?;
    store.remove_id(keys::RESOURCE_INDEX, resource.id.as_str()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(site: &str) -> ServerConfig {
        let json = format!(r#"{{"ServiceSettings":{{"SiteURL":"{site}"}}}}"#);
        ServerConfig::from_json(json.as_bytes()).unwrap()
    }

    #[test]
    fn scope_tokens_are_rfc_6749_characters() {
        assert!(is_scope_token("mcp:tools.read"));
        for bad in ["", "a b", "a\"b", "a\\b", "ä", "a\u{7f}"] {
            assert!(!is_scope_token(bad), "{bad:?}");
        }
    }

    #[test]
    fn placement_follows_the_site_url() {
        let site = config("https://chat.example.com/mattermost");
        let under = check_identifier("https://chat.example.com/mattermost/mcp", &site).unwrap();
        assert_eq!(
            metadata_url(&under),
            "https://chat.example.com/.well-known/oauth-protected-resource/mattermost/mcp"
        );
        assert!(check_identifier("https://chat.example.com/mattermostx/mcp", &site).is_err());
        assert!(check_identifier("https://chat.example.com/mattermost/", &site).is_err());
        assert!(check_identifier("http://127.0.0.1:3000/mcp", &site).is_ok());
        assert!(check_identifier("http://[::1]:3000/mcp", &site).is_ok());
        assert!(check_identifier("http://mcp.example.com/mcp", &site).is_err());
    }
}
