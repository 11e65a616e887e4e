//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, MCP authorization
//! 2025-11-25 "Client ID Metadata Documents"): a `client_id` that is an https URL names a JSON
//! document with the client's metadata, which this server fetches, checks and caches.
//!
//! Such a client is a public client and nothing more: never trusted, no secret, PKCE required, no
//! refresh tokens, exactly the redirect URIs its document lists, and never one of the registered
//! apps. Its declared name is shown beside its document's host name, never alone.
//!
//! Caching: a document is kept for what its `Cache-Control: max-age` says, at least
//! [`MIN_CACHE_SECONDS`] and at most [`MAX_CACHE_SECONDS`] ([`DEFAULT_CACHE_SECONDS`] without
//! one); `no-store` and `no-cache` keep it for the request at hand only. At most
//! [`MAX_CACHED_DOCUMENTS`] are kept; the oldest go first.

use super::clients::{self, is_document_url, Client, Invalid};
use crate::context::Context;
use crate::grant_type::GrantType;
use crate::host::{FetchRequest, FetchResponse, Host};
use crate::ids::{is_valid_id, ClientId, UserId};
use crate::redirect_uri::{self, ListRefusal, RedirectUri};
use crate::store::{keys, StoreError};
use serde::Deserialize;
use std::fmt;
use url::Url;

/// The largest document accepted (the draft suggests 5 KB).
pub const MAX_DOCUMENT_BYTES: u32 = 5 * 1024;
/// A document is fetched again at most this often, whatever its headers say.
pub const MIN_CACHE_SECONDS: u32 = 60;
/// A document is kept at most this long, whatever its headers say.
pub const MAX_CACHE_SECONDS: u32 = 24 * 3600;
/// How long a document without `max-age` is kept.
pub const DEFAULT_CACHE_SECONDS: u32 = 5 * 60;
pub const MAX_CACHED_DOCUMENTS: usize = 1000;

/// What is wrong with a document URL (draft §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlRefusal {
    NotHttps,
    /// No path beyond `/`.
    NoPath,
    /// Breaks the redirect URI rules (fragment, user info, dot segments, length…): their words.
    Unclear(String),
}

/// Why a `client_id` URL gave no client.
#[derive(Debug)]
pub enum Refusal {
    /// `EnableClientIdMetadataDocuments` is off.
    Disabled,
    Url(UrlRefusal),
    /// The URL is outside `ClientIdMetadataDocumentAllowlist`.
    NotAllowed,
    /// The host could not fetch it (refused address, timeout, too large for the host…): its words.
    Unreachable(String),
    /// Answered, but not 200 (a redirect included: never followed).
    Status(u16),
    TooLarge,
    NotJson,
    /// The document breaks a rule: which.
    Invalid(String),
    Storage(StoreError),
}

impl fmt::Display for UrlRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlRefusal::NotHttps => f.write_str("must be an https URL"),
            UrlRefusal::NoPath => f.write_str("must have a path"),
            UrlRefusal::Unclear(reason) => f.write_str(reason),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let about = "The app's client metadata document";
        match self {
            Refusal::Disabled => {
                f.write_str("This server does not accept client metadata documents as client ids.")
            }
            Refusal::Url(refusal) => write!(f, "A client id that is a URL {refusal}."),
            Refusal::NotAllowed => {
                f.write_str("This server does not accept client metadata documents from that address.")
            }
            Refusal::Unreachable(reason) => write!(f, "{about} could not be fetched: {reason}."),
            Refusal::Status(status) => {
                write!(f, "{about} could not be fetched: its server answered HTTP {status}.")
            }
            Refusal::TooLarge => write!(f, "{about} is larger than {MAX_DOCUMENT_BYTES} bytes."),
            Refusal::NotJson => write!(f, "{about} is not a JSON object."),
            Refusal::Invalid(reason) => write!(f, "{about} is not valid: {reason}"),
            Refusal::Storage(error) => error.fmt(f),
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        Refusal::Storage(error)
    }
}

/// A client id this server may know: a registered app's, or a well-formed document URL.
pub fn is_client_id(candidate: &str) -> bool {
    is_valid_id(candidate) || check_url(candidate).is_ok()
}

/// Draft §3: https, a path, no fragment, no user info, no dot segments, and in its normal form
/// (so that it reads the same to everyone), within the redirect URI length.
pub fn check_url(raw: &str) -> Result<RedirectUri, UrlRefusal> {
    if !is_document_url(raw) {
        return Err(UrlRefusal::NotHttps);
    }
    let uri = RedirectUri::parse(raw).map_err(|refusal| {
        UrlRefusal::Unclear(redirect_uri::explain(raw, refusal).replacen("Redirect URI", "The client id", 1))
    })?;
    if uri.url().path() == "/" {
        return Err(UrlRefusal::NoPath);
    }
    Ok(uri)
}

/// The host a document client's id names, to show the user who is asking.
pub fn document_host(client_id: &ClientId) -> Option<String> {
    if !is_document_url(client_id.as_str()) {
        return None;
    }
    Url::parse(client_id.as_str()).ok().and_then(|url| url.host_str().map(str::to_owned))
}

/// The client `client_id` names: a registered app, or a document (fetched, or from the cache).
pub async fn find<H: Host>(ctx: &Context<'_, H>, client_id: &ClientId) -> Result<Option<Client>, Refusal> {
    if !is_document_url(client_id.as_str()) {
        return Ok(clients::get(ctx, client_id).await?);
    }
    let settings = &ctx.config.service_settings;
    if !settings.enable_client_id_metadata_documents {
        return Err(Refusal::Disabled);
    }
    let uri = check_url(client_id.as_str()).map_err(Refusal::Url)?;
    let allowlist = &settings.client_id_metadata_document_allowlist;
    if !allowlist.is_empty() && !redirect_uri::allowed_by(&uri, allowlist) {
        return Err(Refusal::NotAllowed);
    }
    if let Some(cached) = cached(ctx, client_id).await? {
        return Ok(Some(cached));
    }
    let response = fetch(ctx, uri.as_str()).await?;
    let client = read_document(client_id, &response.body, ctx.host.now_millis())?;
    if let Some(seconds) = cache_lifetime(&response) {
        remember(ctx, &client, seconds).await?;
    }
    Ok(Some(client))
}

/// A client that may already hold tokens or an approval, without a fetch: a registered app, the
/// cached document, or (its cache expired) the client as its id alone says — while the switch is on.
pub async fn known<H: Host>(
    ctx: &Context<'_, H>,
    client_id: &ClientId,
) -> Result<Option<Client>, StoreError> {
    if !is_document_url(client_id.as_str()) {
        return clients::get(ctx, client_id).await;
    }
    if !ctx.config.service_settings.enable_client_id_metadata_documents
        || check_url(client_id.as_str()).is_err()
    {
        return Ok(None);
    }
    match cached(ctx, client_id).await? {
        Some(client) => Ok(Some(client)),
        None => Ok(document_host(client_id).map(|host| bare_client(client_id, &host, 0))),
    }
}

async fn cached<H: Host>(ctx: &Context<'_, H>, client_id: &ClientId) -> Result<Option<Client>, StoreError> {
    let client: Option<Client> = ctx.store().get(&document_key(client_id)).await?;
    Ok(client.filter(|c| c.id == *client_id))
}

fn document_key(client_id: &ClientId) -> String {
    keys::client_document(&keys::client_part(client_id))
}

/// The record [`find`] and [`known`] read `client_id` from first (a registered app, or a cached
/// document while they are accepted), for reading it ahead with others.
pub fn record_key<H: Host>(ctx: &Context<'_, H>, client_id: &ClientId) -> Option<String> {
    if !is_document_url(client_id.as_str()) {
        return clients::record_key(client_id);
    }
    ctx.config.service_settings.enable_client_id_metadata_documents.then(|| document_key(client_id))
}

/// Keeps the document for `seconds`, and drops the oldest beyond the bound.
async fn remember<H: Host>(ctx: &Context<'_, H>, client: &Client, seconds: u32) -> Result<(), StoreError> {
    let store = ctx.store();
    let hash = keys::client_part(&client.id);
    store.put(&keys::client_document(&hash), client, Some(seconds)).await?;
    store.add_id(keys::CLIENT_DOCUMENT_INDEX, &hash).await?;
    let hashes: Vec<String> = store.ids(keys::CLIENT_DOCUMENT_INDEX).await?;
    let excess = hashes.len().saturating_sub(MAX_CACHED_DOCUMENTS);
    if excess > 0 {
        let oldest = &hashes[..excess];
        store.remove_ids(keys::CLIENT_DOCUMENT_INDEX, oldest).await?;
        for hash in oldest {
            store.delete(&keys::client_document(hash)).await?;
        }
    }
    Ok(())
}

/// A GET through the host's guarded outbound HTTP (address policy, timeout, no redirects), with
/// the document's own size limit.
async fn fetch<H: Host>(ctx: &Context<'_, H>, url: &str) -> Result<FetchResponse, Refusal> {
    let request = FetchRequest {
        method: "GET".into(),
        url: url.to_owned(),
        headers: vec![("Accept".into(), "application/json".into())],
        body: None,
        timeout_ms: Some(ctx.config.outgoing_timeout_ms()),
        max_response_bytes: Some(MAX_DOCUMENT_BYTES),
    };
    let response = ctx.host.http_fetch(request).await.map_err(|error| Refusal::Unreachable(error.0))?;
    if response.status != 200 {
        return Err(Refusal::Status(response.status));
    }
    if response.body.len() > MAX_DOCUMENT_BYTES as usize {
        return Err(Refusal::TooLarge);
    }
    Ok(response)
}

/// How long the answer may be cached (`None`: not at all), from its `Cache-Control`.
fn cache_lifetime(response: &FetchResponse) -> Option<u32> {
    let directives: Vec<String> = response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("cache-control"))
        .flat_map(|(_, value)| value.split(',').map(|d| d.trim().to_ascii_lowercase()))
        .collect();
    if directives.iter().any(|d| d == "no-store" || d == "no-cache") {
        return None;
    }
    let max_age =
        directives.iter().find_map(|d| d.strip_prefix("max-age=")?.trim_matches('"').parse::<u64>().ok());
    let seconds = max_age.map_or(DEFAULT_CACHE_SECONDS, |age| age.min(u64::from(MAX_CACHE_SECONDS)) as u32);
    Some(seconds.clamp(MIN_CACHE_SECONDS, MAX_CACHE_SECONDS))
}

/// The metadata a document may carry (RFC 7591 §2 names); the rest is ignored.
#[derive(Debug, Deserialize)]
struct Document {
    client_id: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    client_name: Option<String>,
    client_uri: Option<String>,
    logo_uri: Option<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
}

fn invalid(reason: impl Into<String>) -> Refusal {
    Refusal::Invalid(reason.into())
}

/// Draft §4: a JSON object whose `client_id` is its URL exactly, with no client secret; here
/// also a public client of the code flow, with valid redirect URIs and bounded display fields.
fn read_document(client_id: &ClientId, body: &[u8], now: i64) -> Result<Client, Refusal> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| Refusal::NotJson)?;
    let object = value.as_object().ok_or(Refusal::NotJson)?;
    if object.contains_key("client_secret") || object.contains_key("client_secret_expires_at") {
        return Err(invalid("a public client's document has no client_secret."));
    }
    let document: Document = serde_json::from_value(value).map_err(|error| invalid(format!("{error}.")))?;
    if document.client_id != client_id.as_str() {
        return Err(invalid("its client_id is not the URL it was fetched from."));
    }
    if document.token_endpoint_auth_method.as_deref().is_some_and(|m| m != "none") {
        return Err(invalid("token_endpoint_auth_method must be \"none\" (a public client)."));
    }
    check_flow(&document)?;
    redirect_uri::check_list(&document.redirect_uris, &[]).map_err(|refusal| match refusal {
        ListRefusal::Empty => invalid("it lists no redirect_uris."),
        ListRefusal::Refused(reason) | ListRefusal::NotAllowed(reason) => invalid(reason),
    })?;
    let host = document_host(client_id).unwrap_or_default();
    let client = Client {
        name: document.client_name.unwrap_or_else(|| host.clone()),
        icon_url: document.logo_uri.unwrap_or_default(),
        homepage: document.client_uri.unwrap_or_default(),
        callback_urls: document.redirect_uris,
        ..bare_client(client_id, &host, now)
    };
    client.check().map_err(|field| match field {
        Invalid::Name => invalid("client_name must be 1 to 64 characters of printable text on one line."),
        Invalid::Homepage => invalid("client_uri must be an http(s) URL of at most 256 characters."),
        Invalid::IconUrl => invalid("logo_uri must be an http(s) URL of at most 512 characters."),
        other => invalid(other.to_string()),
    })?;
    Ok(client)
}

/// The code flow only: `grant_types` (if given) `authorization_code`, and `refresh_token` at most
/// (public clients get none all the same); `response_types` (if given) `code`.
fn check_flow(document: &Document) -> Result<(), Refusal> {
    if let Some(grants) = &document.grant_types {
        let known = grants.iter().all(|g| {
            matches!(GrantType::parse(g), Some(GrantType::AuthorizationCode | GrantType::RefreshToken))
        });
        if !known || !grants.iter().any(|g| g == GrantType::AuthorizationCode.as_str()) {
            return Err(invalid("grant_types must be authorization_code (and refresh_token at most)."));
        }
    }
    if document
        .response_types
        .as_ref()
        .is_some_and(|types| types.is_empty() || types.iter().any(|t| t != "code"))
    {
        return Err(invalid("response_types must be code."));
    }
    Ok(())
}

/// A document client as its id alone describes it: public, untrusted, the code flow only, named
/// after its host until its document says more.
fn bare_client(client_id: &ClientId, host: &str, now: i64) -> Client {
    Client {
        v: 1,
        id: client_id.clone(),
        creator_id: UserId::default(),
        create_at: now,
        update_at: now,
        name: host.chars().take(clients::MAX_NAME_CHARS).collect(),
        description: format!("Described by its client metadata document on {host}."),
        icon_url: String::new(),
        callback_urls: Vec::new(),
        homepage: String::new(),
        is_trusted: false,
        is_public: true,
        is_dynamically_registered: false,
        mattermost_app_id: String::new(),
        secret_hash: None,
        grant_types: vec![GrantType::AuthorizationCode],
        response_types: vec!["code".to_owned()],
        token_endpoint_auth_method: Some("none".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_draft() {
        assert!(check_url("https://client.example.com/oauth/metadata.json").is_ok());
        assert!(check_url("https://client.example.com:8443/c?v=1").is_ok());
        for bad in [
            "http://client.example.com/c",
            "https://client.example.com/",
            "https://client.example.com",
            "https://client.example.com/c#x",
            "https://user:pw@client.example.com/c",
            "https://client.example.com/a/../c",
            "https://client.example.com/./c",
            "https://client.example.com/a/%2e%2e/c",
            "https://CLIENT.example.com/c",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(check_url(&format!("https://client.example.com/{}", "a".repeat(300))).is_err());
        assert_eq!(check_url("https://client.example.com/").unwrap_err(), UrlRefusal::NoPath);
    }

    fn with_cache_control(value: &str) -> FetchResponse {
        FetchResponse { status: 200, headers: vec![("Cache-Control".into(), value.into())], body: Vec::new() }
    }

    #[test]
    fn cache_lifetime_stays_within_floor_and_ceiling() {
        assert_eq!(cache_lifetime(&with_cache_control("public, max-age=600")), Some(600));
        assert_eq!(cache_lifetime(&with_cache_control("max-age=5")), Some(MIN_CACHE_SECONDS));
        assert_eq!(cache_lifetime(&with_cache_control("max-age=99999999999")), Some(MAX_CACHE_SECONDS));
        assert_eq!(cache_lifetime(&with_cache_control("no-store")), None);
        assert_eq!(cache_lifetime(&with_cache_control("max-age=600, No-Cache")), None);
        let none = FetchResponse { status: 200, headers: Vec::new(), body: Vec::new() };
        assert_eq!(cache_lifetime(&none), Some(DEFAULT_CACHE_SECONDS));
    }

    #[test]
    fn documents_are_public_clients_of_the_code_flow() {
        let id = ClientId::new("https://client.example.com/c");
        let read = |json: serde_json::Value| read_document(&id, json.to_string().as_bytes(), 0);
        let base =
            serde_json::json!({"client_id": id.as_str(), "redirect_uris": ["https://client.example.com/cb"]});
        let client = read(base.clone()).unwrap();
        assert!(client.is_public && !client.is_trusted && !client.gets_refresh_tokens());
        assert_eq!(client.name, "client.example.com");
        let with = |field: &str, value: serde_json::Value| {
            let mut document = base.clone();
            document[field] = value;
            read(document)
        };
        assert!(with("grant_types", serde_json::json!(["authorization_code", "refresh_token"])).is_ok());
        for (field, value) in [
            ("client_id", serde_json::json!("https://client.example.com/d")),
            ("client_secret", serde_json::json!("s")),
            ("token_endpoint_auth_method", serde_json::json!("client_secret_basic")),
            ("grant_types", serde_json::json!(["client_credentials"])),
            ("grant_types", serde_json::json!(["refresh_token"])),
            ("response_types", serde_json::json!(["token"])),
            ("redirect_uris", serde_json::json!([])),
            ("redirect_uris", serde_json::json!(["https://client.example.com/cb#f"])),
            ("redirect_uris", serde_json::json!("https://client.example.com/cb")),
            ("client_name", serde_json::json!("x".repeat(65))),
            ("client_name", serde_json::json!("two\nlines")),
            ("logo_uri", serde_json::json!("javascript:alert(1)")),
            ("client_uri", serde_json::json!(format!("https://client.example.com/{}", "a".repeat(300)))),
        ] {
            assert!(matches!(with(field, value.clone()), Err(Refusal::Invalid(_))), "{field}: {value}");
        }
        assert!(matches!(read_document(&id, b"[1]", 0), Err(Refusal::NotJson)));
        assert!(matches!(read_document(&id, b"<html>", 0), Err(Refusal::NotJson)));
    }
}
