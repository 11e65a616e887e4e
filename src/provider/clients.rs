//! Registered OAuth apps (clients): the record, Mattermost's rules for its fields, and its storage.
//!
//! The client secret is stored only as a hash; the plaintext leaves the plugin once, in the response
//! that created it (create or regenerate).

use super::app_ids;
use crate::config::is_http_url;
use crate::context::Context;
use crate::grant_type::GrantType;
use crate::host::Host;
use crate::ids::{new_secret, ClientId, ClientSecret, SecretHash, UserId};
use crate::redirect_uri::{self, ListRefusal};
use crate::store::{self, keys, Replaced, StoreError, StoreResult};
use crate::text;
use serde::{Deserialize, Serialize};
use std::fmt;

pub const MAX_NAME_CHARS: usize = 64;
pub const MAX_DESCRIPTION_CHARS: usize = 512;
pub const MAX_HOMEPAGE_LEN: usize = 256;
pub const MAX_ICON_URL_LEN: usize = 512;
/// Mattermost's bound on all callback URLs together.
pub const MAX_CALLBACK_URLS_LEN: usize = 1024;
pub const MAX_MATTERMOST_APP_ID_LEN: usize = 32;

/// The grants this provider serves its clients: at the authorization endpoint, the token
/// endpoint and the device authorization endpoint.
pub const PROVIDER_GRANTS: &[GrantType] =
    &[GrantType::AuthorizationCode, GrantType::Implicit, GrantType::RefreshToken, GrantType::DeviceCode];

/// What an app that chose no grants may use: what Mattermost's apps always could. The device
/// grant is never implied: an app opts in (RFC 8628 §5.4, a code typed on another device is a
/// phishing target, so only apps that mean to use it accept it).
pub const DEFAULT_GRANTS: &[GrantType] =
    &[GrantType::AuthorizationCode, GrantType::Implicit, GrantType::RefreshToken];

/// The grant types an app registers (the REST API's and RFC 7591 §2's `grant_types`): each one
/// this provider serves, at least one, none twice. Refresh tokens go with a confidential client's
/// code or device grant (Mattermost's confidential clients always get them) and never to a public
/// client; the list says so.
pub fn registered_grants(names: &[String], is_public: bool) -> Result<Vec<GrantType>, Invalid> {
    let mut grants: Vec<GrantType> = Vec::with_capacity(names.len() + 1);
    for name in names {
        match GrantType::parse(name).filter(|grant| PROVIDER_GRANTS.contains(grant)) {
            Some(grant) if !grants.contains(&grant) => grants.push(grant),
            Some(_) => return Err(Invalid::GrantTypes(format!("grant_type {name:?} is listed twice."))),
            None => return Err(Invalid::GrantTypes(format!("grant_type {name:?} is not supported."))),
        }
    }
    let issues_refresh =
        grants.contains(&GrantType::AuthorizationCode) || grants.contains(&GrantType::DeviceCode);
    if is_public {
        grants.retain(|g| *g != GrantType::RefreshToken);
    } else if issues_refresh && !grants.contains(&GrantType::RefreshToken) {
        grants.push(GrantType::RefreshToken);
    }
    if grants.is_empty() || grants == [GrantType::RefreshToken] {
        return Err(Invalid::GrantTypes("grant_types must name a grant that issues tokens.".into()));
    }
    Ok(grants)
}

/// An OAuth app as stored under `app:{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub v: u32,
    pub id: ClientId,
    pub creator_id: UserId,
    pub create_at: i64,
    pub update_at: i64,
    pub name: String,
    pub description: String,
    pub icon_url: String,
    pub callback_urls: Vec<String>,
    pub homepage: String,
    pub is_trusted: bool,
    pub is_public: bool,
    pub is_dynamically_registered: bool,
    pub mattermost_app_id: String,
    /// SHA-256 of the client secret; `None` for a public client.
    pub secret_hash: Option<SecretHash>,
    /// The grants the app registered (RFC 7591 §2); an empty list means [`DEFAULT_GRANTS`], what
    /// apps of the REST API that never chose could always use.
    #[serde(default)]
    pub grant_types: Vec<GrantType>,
    #[serde(default)]
    pub response_types: Vec<String>,
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
}

/// The fields a caller may set, as Mattermost's create and update accept them. Other fields of
/// Mattermost's `OAuthApp` JSON (ids, times, secret) are ignored when sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ClientInput {
    pub id: String,
    pub name: String,
    pub description: String,
    pub icon_url: String,
    pub callback_urls: Vec<String>,
    pub homepage: String,
    pub is_trusted: bool,
    pub is_public: bool,
    /// Absent: keep the current one (Mattermost's own forms never send it).
    pub mattermost_app_id: Option<String>,
    /// With a new `mattermost_app_id` that another app released: see what that app stored in the
    /// app OAuth2 store (only for those who may set the id).
    pub inherit_app_data: bool,
    /// The grants the app may use (RFC 7591 §2's names). Absent: the current ones on an update,
    /// [`DEFAULT_GRANTS`] on a create (Mattermost's own forms never send it).
    pub grant_types: Option<Vec<String>>,
}

/// Mattermost's `OAuthApp` JSON. `client_secret` is empty except in the one response that made it.
#[derive(Debug, Serialize)]
pub struct ClientView<'a> {
    pub id: &'a ClientId,
    pub creator_id: &'a UserId,
    pub create_at: i64,
    pub update_at: i64,
    pub client_secret: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub icon_url: &'a str,
    pub callback_urls: &'a [String],
    pub homepage: &'a str,
    pub is_trusted: bool,
    pub is_public: bool,
    pub is_dynamically_registered: bool,
    pub mattermost_app_id: &'a str,
    pub token_endpoint_auth_method: &'a str,
    /// The grants the app may use, spelled out (never the empty list that means the defaults).
    pub grant_types: &'a [GrantType],
}

/// Whether `client_id` names a Client ID Metadata Document (`client_metadata`) rather than a
/// registered app: an https URL.
pub fn is_document_url(client_id: &str) -> bool {
    client_id.get(..8).is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

impl Client {
    pub fn view<'a>(&'a self, secret: Option<&'a ClientSecret>) -> ClientView<'a> {
        ClientView {
            id: &self.id,
            creator_id: &self.creator_id,
            create_at: self.create_at,
            update_at: self.update_at,
            client_secret: secret.map_or("", |s| s.secret().as_str()),
            name: &self.name,
            description: &self.description,
            icon_url: &self.icon_url,
            callback_urls: &self.callback_urls,
            homepage: &self.homepage,
            is_trusted: self.is_trusted,
            is_public: self.is_public,
            is_dynamically_registered: self.is_dynamically_registered,
            mattermost_app_id: &self.mattermost_app_id,
            token_endpoint_auth_method: self.auth_method(),
            grant_types: self.grants(),
        }
    }

    /// The registered `token_endpoint_auth_method`; Mattermost's default for its REST-created apps.
    pub fn auth_method(&self) -> &str {
        match &self.token_endpoint_auth_method {
            Some(method) => method,
            None if self.is_public => "none",
            None => "client_secret_post",
        }
    }

    /// The grants the client may use: those it registered, else [`DEFAULT_GRANTS`].
    pub fn grants(&self) -> &[GrantType] {
        if self.grant_types.is_empty() {
            DEFAULT_GRANTS
        } else {
            &self.grant_types
        }
    }

    /// Whether the client may use `grant_type`: the one rule, for every endpoint.
    pub fn allows_grant(&self, grant_type: GrantType) -> bool {
        self.grants().contains(&grant_type)
    }

    /// Whether the client uses the authorization endpoint, and so needs redirect URIs (RFC 6749
    /// §3.1.2); a device-only client (RFC 8628) has none to register.
    pub fn uses_redirects(&self) -> bool {
        self.allows_grant(GrantType::AuthorizationCode) || self.allows_grant(GrantType::Implicit)
    }

    /// Refresh tokens go to confidential clients that registered the grant.
    pub fn gets_refresh_tokens(&self) -> bool {
        !self.is_public && self.allows_grant(GrantType::RefreshToken)
    }

    /// Whether this client is described by a Client ID Metadata Document (its id is the URL).
    pub fn is_metadata_document(&self) -> bool {
        is_document_url(self.id.as_str())
    }

    /// RFC 6749 §3.1.2.3: the redirect URI must be one registered, compared as exact strings.
    pub fn has_callback(&self, redirect_uri: &str) -> bool {
        self.callback_urls.iter().any(|registered| registered == redirect_uri)
    }

    /// Mattermost's `OAuthApp.IsValid`, field by field; the error names the field.
    pub fn check(&self) -> Result<(), Invalid> {
        let name_chars = self.name.chars().count();
        if name_chars == 0 || name_chars > MAX_NAME_CHARS || !text::is_printable_line(&self.name) {
            return Err(Invalid::Name);
        }
        if self.description.chars().count() > MAX_DESCRIPTION_CHARS
            || !text::is_printable_text(&self.description)
        {
            return Err(Invalid::Description);
        }
        self.check_callbacks()?;
        let homepage_required = !self.is_dynamically_registered && !self.is_metadata_document();
        if (homepage_required || !self.homepage.is_empty())
            && (self.homepage.len() > MAX_HOMEPAGE_LEN || !is_http_url(&self.homepage))
        {
            return Err(Invalid::Homepage);
        }
        if !self.icon_url.is_empty()
            && (self.icon_url.len() > MAX_ICON_URL_LEN || !is_http_url(&self.icon_url))
        {
            return Err(Invalid::IconUrl);
        }
        if !is_valid_app_id(&self.mattermost_app_id) {
            return Err(Invalid::AppId);
        }
        Ok(())
    }

    /// Mattermost's bound on their length (an empty list passes it), then the redirect URI rule
    /// (apps of the REST API have no allowlist); none at all for an app that never redirects.
    fn check_callbacks(&self) -> Result<(), Invalid> {
        let total: usize = self.callback_urls.iter().map(String::len).sum();
        if total > MAX_CALLBACK_URLS_LEN {
            return Err(Invalid::Callbacks("Callback URLs must be at most 1024 characters in all.".into()));
        }
        if self.callback_urls.is_empty() && !self.uses_redirects() {
            return Ok(());
        }
        redirect_uri::check_list(&self.callback_urls, &[]).map_err(|refusal| {
            Invalid::Callbacks(match refusal {
                ListRefusal::Empty => "At least one callback URL is required.".into(),
                ListRefusal::Refused(reason) => reason,
                // Not with an empty allowlist; worded all the same.
                ListRefusal::NotAllowed(uri) => format!("Callback URL {uri:?} is not allowed."),
            })
        })
    }
}

/// The field of an app that breaks Mattermost's rules (`OAuthApp.IsValid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    Name,
    Description,
    /// What is wrong with the callback URLs.
    Callbacks(String),
    Homepage,
    IconUrl,
    AppId,
    /// What is wrong with the grant types.
    GrantTypes(String),
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Invalid::Name => "Name must be 1 to 64 characters of printable text on one line.",
            Invalid::Description => "Description must be at most 512 characters of printable text.",
            Invalid::Callbacks(message) => message,
            Invalid::Homepage => {
                "Homepage must be a valid URL of at most 256 characters and start with http:// or https://."
            }
            Invalid::IconUrl => {
                "Icon URL must be a valid URL of at most 512 characters and start with http:// or https://."
            }
            Invalid::AppId => "Mattermost app id must be at most 32 letters, digits, '.', '-' or '_'.",
            Invalid::GrantTypes(message) => message,
        })
    }
}

/// Why a change to an app was refused, or what failed while making it.
#[derive(Debug)]
pub enum Refusal {
    Invalid(Invalid),
    /// Only those who manage the system link an app to an app id.
    MayNotLink,
    /// Public and confidential clients do not turn into each other.
    SwitchesClientType,
    /// A public client has no secret to regenerate.
    NoSecret,
    NotFound,
    /// Someone else changed the app between reading and writing it.
    ChangedMeanwhile,
    /// A new app's id is taken (a random id repeated: never in practice).
    IdTaken,
    AppId(app_ids::Refusal),
    Storage(StoreError),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Invalid(invalid) => invalid.fmt(f),
            Refusal::MayNotLink => f.write_str("Linking an app id needs the manage_system permission."),
            Refusal::SwitchesClientType => f.write_str(
                "An app cannot switch between public and confidential client; register a new app instead.",
            ),
            Refusal::NoSecret => f.write_str("A public client has no secret to regenerate."),
            Refusal::NotFound => f.write_str("OAuth app not found."),
            Refusal::ChangedMeanwhile => f.write_str("The app changed meanwhile; reload it."),
            Refusal::IdTaken => f.write_str("An app with this id exists."),
            Refusal::AppId(refusal) => refusal.fmt(f),
            Refusal::Storage(error) => error.fmt(f),
        }
    }
}

impl From<Invalid> for Refusal {
    fn from(invalid: Invalid) -> Self {
        Refusal::Invalid(invalid)
    }
}

impl From<app_ids::Refusal> for Refusal {
    fn from(refusal: app_ids::Refusal) -> Self {
        Refusal::AppId(refusal)
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        Refusal::Storage(error)
    }
}

/// A Mattermost app id (or none): it becomes part of KV keys, so its alphabet is narrow.
pub fn is_valid_app_id(id: &str) -> bool {
    id.len() <= MAX_MATTERMOST_APP_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// Who asks for a change, as far as the app rules care.
pub struct Actor<'a> {
    pub user_id: &'a UserId,
    /// Holds `manage_system`: may make an app trusted and link it to an app id.
    pub manages_system: bool,
}

impl Actor<'_> {
    /// Only those who manage the system give an app an app id: the id opens the app OAuth2
    /// store's secrets filed under it.
    fn may_link(&self, current: &str, wanted: Option<&str>) -> Result<(), Refusal> {
        match wanted {
            Some(wanted) if wanted != current && !self.manages_system => Err(Refusal::MayNotLink),
            _ => Ok(()),
        }
    }
}

pub async fn get<H: Host>(ctx: &Context<'_, H>, id: &ClientId) -> StoreResult<Option<Client>> {
    match record_key(id) {
        Some(key) => ctx.store().get(&key).await,
        None => Ok(None),
    }
}

/// Where the app `id` is stored; nowhere for an id that is not one of ours.
pub fn record_key(id: &ClientId) -> Option<String> {
    crate::ids::is_valid_id(id.as_str()).then(|| keys::client(id))
}

/// Creates an app and returns it with its client secret (none for a public client).
pub async fn create<H: Host>(
    ctx: &Context<'_, H>,
    actor: &Actor<'_>,
    input: ClientInput,
) -> Result<(Client, Option<ClientSecret>), Refusal> {
    actor.may_link("", input.mattermost_app_id.as_deref())?;
    let now = ctx.host.now_millis();
    let grant_types = match &input.grant_types {
        Some(names) => registered_grants(names, input.is_public)?,
        None => Vec::new(),
    };
    let secret = (!input.is_public).then(|| ClientSecret::new(new_secret()));
    let client = Client {
        v: 1,
        id: ClientId::random(),
        creator_id: actor.user_id.clone(),
        create_at: now,
        update_at: now,
        name: input.name,
        description: input.description,
        icon_url: input.icon_url,
        callback_urls: input.callback_urls,
        homepage: input.homepage,
        is_trusted: input.is_trusted && actor.manages_system,
        is_public: input.is_public,
        is_dynamically_registered: false,
        mattermost_app_id: input.mattermost_app_id.unwrap_or_default(),
        secret_hash: secret.as_ref().map(|s| SecretHash::of(s.secret())),
        grant_types,
        response_types: Vec::new(),
        token_endpoint_auth_method: None,
    };
    client.check()?;
    app_ids::claimed_while(
        ctx,
        &client.mattermost_app_id,
        &client.id,
        input.inherit_app_data,
        save_new(ctx, &client),
    )
    .await?;
    Ok((client, secret))
}

/// Writes a new app: the record first, then its index entry (readers skip entries without record).
pub async fn save_new<H: Host>(ctx: &Context<'_, H>, client: &Client) -> Result<(), Refusal> {
    let store = ctx.store();
    if !store.insert(&keys::client(&client.id), client).await? {
        return Err(Refusal::IdTaken);
    }
    store.add_id(keys::CLIENT_INDEX, client.id.as_str()).await?;
    Ok(())
}

/// Applies an edit. Trust and the app id change only for an actor who manages the system;
/// public/confidential never.
pub async fn update<H: Host>(
    ctx: &Context<'_, H>,
    actor: &Actor<'_>,
    current: &Client,
    input: ClientInput,
) -> Result<Client, Refusal> {
    if input.is_public != current.is_public {
        return Err(Refusal::SwitchesClientType);
    }
    actor.may_link(&current.mattermost_app_id, input.mattermost_app_id.as_deref())?;
    let grant_types = match &input.grant_types {
        Some(names) => registered_grants(names, current.is_public)?,
        None => current.grant_types.clone(),
    };
    let edited = Client {
        grant_types,
        update_at: ctx.host.now_millis().max(current.update_at + 1),
        name: input.name,
        description: input.description,
        icon_url: input.icon_url,
        callback_urls: input.callback_urls,
        homepage: input.homepage,
        is_trusted: if actor.manages_system { input.is_trusted } else { current.is_trusted },
        mattermost_app_id: input.mattermost_app_id.unwrap_or_else(|| current.mattermost_app_id.clone()),
        ..current.clone()
    };
    edited.check()?;
    let (old_id, new_id) = (&current.mattermost_app_id, &edited.mattermost_app_id);
    let relinked = if new_id != old_id { new_id.as_str() } else { "" };
    app_ids::claimed_while(ctx, relinked, &edited.id, input.inherit_app_data, replace(ctx, current, &edited))
        .await?;
    if new_id != old_id && !old_id.is_empty() {
        app_ids::release(ctx, old_id, &edited.id).await?;
    }
    Ok(edited)
}

/// A new client secret; the old one fails from now on. Tokens already issued stay valid.
pub async fn regenerate_secret<H: Host>(
    ctx: &Context<'_, H>,
    current: &Client,
) -> Result<(Client, ClientSecret), Refusal> {
    if current.is_public {
        return Err(Refusal::NoSecret);
    }
    let secret = ClientSecret::new(new_secret());
    let regenerated = Client {
        secret_hash: Some(SecretHash::of(secret.secret())),
        update_at: ctx.host.now_millis().max(current.update_at + 1),
        ..current.clone()
    };
    replace(ctx, current, &regenerated).await?;
    Ok((regenerated, secret))
}

/// Replaces `current` by `next`, unless someone else changed it meanwhile (then: reload, retry).
async fn replace<H: Host>(ctx: &Context<'_, H>, current: &Client, next: &Client) -> Result<(), Refusal> {
    match ctx.store().replace_unchanged(&keys::client(&current.id), current, next).await? {
        Replaced::Done => Ok(()),
        Replaced::Missing => Err(Refusal::NotFound),
        Replaced::Changed => Err(Refusal::ChangedMeanwhile),
    }
}

/// Deletes the app. Its tokens and codes stop working at once, because every check of a token or
/// code reads the app; its app id claim and index entry go after the record.
pub async fn delete<H: Host>(ctx: &Context<'_, H>, client: &Client) -> StoreResult<()> {
    let store = ctx.store();
    store.delete(&keys::client(&client.id)).await?;
    if !client.mattermost_app_id.is_empty() {
        app_ids::release(ctx, &client.mattermost_app_id, &client.id).await?;
    }
    store.remove_id(keys::CLIENT_INDEX, client.id.as_str()).await?;
    Ok(())
}

/// Every app, oldest first.
pub async fn all<H: Host>(ctx: &Context<'_, H>) -> StoreResult<Vec<Client>> {
    list(ctx, None, 0, usize::MAX).await
}

/// One page of apps, oldest first; `creator` limits it to that user's apps.
pub async fn list<H: Host>(
    ctx: &Context<'_, H>,
    creator: Option<&UserId>,
    page: usize,
    per_page: usize,
) -> StoreResult<Vec<Client>> {
    let ids: Vec<ClientId> = ctx.store().ids(keys::CLIENT_INDEX).await?;
    let by_creator = |client: &Client| creator.is_none_or(|c| *c == client.creator_id);
    let load = |id: ClientId| async move { get(ctx, &id).await };
    store::page_of(ids, load, by_creator, page.saturating_mul(per_page), per_page).await
}
