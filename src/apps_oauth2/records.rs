//! What the app OAuth2 store keeps: each app's remote provider settings, each user's remote token
//! per app, the connect flow's single-use states, and each user's list of connected apps.
//!
//! Every record carries the binding of the app id's claim (see [`crate::provider::app_ids`]) and
//! is read only through the app it is bound to: a record of another binding is as good as absent,
//! so that an OAuth app that later claims a released app id sees nothing of the old holder's.

use crate::context::Context;
use crate::host::Host;
use crate::ids::{
    ClientSecret, ConnectStateToken, PkceCodeVerifier, RefreshToken, SecretHash, TokenJson, UserId,
};
use crate::provider::app_ids;
use crate::store::{keys, StoreResult};
use serde::{Deserialize, Serialize};

/// How long a connect flow may take (Mattermost Apps: 15 minutes).
pub const STATE_LIFETIME_SECONDS: u32 = 15 * 60;

/// An app id as held by the OAuth app calling: the records it may see carry `binding`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundApp {
    pub app_id: String,
    pub binding: String,
}

/// An app's remote provider, as the app stores it with `POST /app`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RemoteSettings {
    pub client_id: String,
    pub client_secret: ClientSecret,
    pub remote_root_url: String,
    pub data: serde_json::Value,
    pub authorize_url: String,
    pub token_url: String,
    pub scopes: Vec<String>,
}

/// The settings as stored under `a2app:{app_id}`, with their binding.
#[derive(Debug, Serialize, Deserialize)]
struct SettingsRecord {
    #[serde(flatten)]
    settings: RemoteSettings,
    #[serde(default)]
    binding: String,
}

/// A user's token for an app: what the app stored, or what the plugin obtained in the connect
/// flow (then the plugin can refresh it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserToken {
    pub v: u32,
    pub value: TokenJson,
    pub obtained_by_plugin: bool,
    pub expires_at: Option<i64>,
    pub refresh_token: Option<RefreshToken>,
    pub stored_at: i64,
    #[serde(default)]
    pub binding: String,
}

/// A connect flow in progress, under the hash of its state value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectState {
    pub v: u32,
    pub app_id: String,
    pub user_id: UserId,
    pub code_verifier: PkceCodeVerifier,
    #[serde(default)]
    pub binding: String,
}

pub async fn settings<H: Host>(ctx: &Context<'_, H>, app: &BoundApp) -> StoreResult<Option<RemoteSettings>> {
    let record = ctx.store().get::<SettingsRecord>(&keys::app_remote_settings(&app.app_id)).await?;
    Ok(record.filter(|r| r.binding == app.binding).map(|r| r.settings))
}

/// Stores the settings unless they are the same as stored; returns whether it wrote.
pub async fn save_settings<H: Host>(
    ctx: &Context<'_, H>,
    app: &BoundApp,
    settings: &RemoteSettings,
) -> StoreResult<bool> {
    if self::settings(ctx, app).await?.as_ref() == Some(settings) {
        return Ok(false);
    }
    let record = SettingsRecord { settings: settings.clone(), binding: app.binding.clone() };
    ctx.store().put(&keys::app_remote_settings(&app.app_id), &record, None).await?;
    Ok(true)
}

/// The user's token for the app, with its stored bytes (for a later compare-and-set).
pub async fn user_token<H: Host>(
    ctx: &Context<'_, H>,
    app: &BoundApp,
    user_id: &UserId,
) -> StoreResult<Option<(UserToken, Vec<u8>)>> {
    let found = ctx.store().get_versioned::<UserToken>(&keys::app_user_token(&app.app_id, user_id)).await?;
    Ok(found.filter(|(token, _)| token.binding == app.binding))
}

/// Stores the token, bound to the app (the record first, then the user's list of connected apps).
pub async fn save_user_token<H: Host>(
    ctx: &Context<'_, H>,
    app: &BoundApp,
    user_id: &UserId,
    token: &UserToken,
) -> StoreResult<()> {
    let store = ctx.store();
    let token = UserToken { binding: app.binding.clone(), ..token.clone() };
    store.put(&keys::app_user_token(&app.app_id, user_id), &token, None).await?;
    store.add_id(&keys::user_connected_apps(user_id), &app.app_id).await?;
    Ok(())
}

/// Replaces `old` (the bytes read) by `token`; false when someone else changed it meanwhile.
pub async fn replace_user_token<H: Host>(
    ctx: &Context<'_, H>,
    app: &BoundApp,
    user_id: &UserId,
    old: &[u8],
    token: &UserToken,
) -> StoreResult<bool> {
    let token = UserToken { binding: app.binding.clone(), ..token.clone() };
    ctx.store().compare_and_set(&keys::app_user_token(&app.app_id, user_id), old, Some(&token)).await
}

/// Forgets a user's token for an app (the token first, then the list entry).
pub async fn forget_user_token<H: Host>(
    ctx: &Context<'_, H>,
    app_id: &str,
    user_id: &UserId,
) -> StoreResult<()> {
    let store = ctx.store();
    store.delete(&keys::app_user_token(app_id, user_id)).await?;
    store.remove_id(&keys::user_connected_apps(user_id), app_id).await?;
    Ok(())
}

/// The app id as its current holder binds it; `None` when no OAuth app holds it.
pub async fn bound_app<H: Host>(ctx: &Context<'_, H>, app_id: &str) -> StoreResult<Option<BoundApp>> {
    let binding = app_ids::current_binding(ctx, app_id).await?;
    Ok(binding.map(|binding| BoundApp { app_id: app_id.to_owned(), binding }))
}

/// The apps the user connected whose token is still stored and bound to the id's current holder.
pub async fn connected_apps<H: Host>(
    ctx: &Context<'_, H>,
    user_id: &UserId,
) -> StoreResult<Vec<(String, UserToken)>> {
    let ids: Vec<String> = ctx.store().ids(&keys::user_connected_apps(user_id)).await?;
    let mut found = Vec::new();
    for app_id in ids {
        let Some(app) = bound_app(ctx, &app_id).await? else { continue };
        if let Some((token, _)) = user_token(ctx, &app, user_id).await? {
            found.push((app.app_id, token));
        }
    }
    Ok(found)
}

#[derive(Debug, Serialize, Deserialize)]
struct RefreshLock {
    v: u32,
    at: i64,
}

/// Takes the right to refresh a user's token for an app, for at most `for_millis` (so that a
/// crashed refresher cannot block it for longer); false while someone else holds it.
pub async fn lock_refresh<H: Host>(
    ctx: &Context<'_, H>,
    app_id: &str,
    user_id: &UserId,
    for_millis: i64,
) -> StoreResult<bool> {
    let seconds = u32::try_from((for_millis / 1000).max(1)).unwrap_or(u32::MAX);
    let lock = RefreshLock { v: 1, at: ctx.host.now_millis() };
    ctx.store().insert_expiring(&keys::app_refresh_lock(app_id, user_id), &lock, Some(seconds)).await
}

pub async fn unlock_refresh<H: Host>(
    ctx: &Context<'_, H>,
    app_id: &str,
    user_id: &UserId,
) -> StoreResult<()> {
    ctx.store().delete(&keys::app_refresh_lock(app_id, user_id)).await
}

/// Remembers a new connect flow under its state value (hashed), for 15 minutes; false when the
/// state's key was taken (a random value repeated: never in practice).
pub async fn begin_connect<H: Host>(
    ctx: &Context<'_, H>,
    state: &ConnectStateToken,
    record: &ConnectState,
) -> StoreResult<bool> {
    let key = keys::app_connect_state(&SecretHash::of(state.secret()));
    ctx.store().insert_expiring(&key, record, Some(STATE_LIFETIME_SECONDS)).await
}

/// Why a state was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum StateRefusal {
    /// Unknown, expired or already used.
    Unknown,
    /// Issued to another user or for another app.
    NotYours,
}

/// Takes the state, once: it must exist, be this user's and this app's, and not have been used.
pub async fn consume_state<H: Host>(
    ctx: &Context<'_, H>,
    state: &str,
    app: &BoundApp,
    user_id: &UserId,
) -> StoreResult<Result<ConnectState, StateRefusal>> {
    let store = ctx.store();
    let key = keys::app_connect_state(&SecretHash::of(state));
    let Some((record, bytes)) = store.get_versioned::<ConnectState>(&key).await? else {
        return Ok(Err(StateRefusal::Unknown));
    };
    if record.user_id != *user_id || record.app_id != app.app_id || record.binding != app.binding {
        return Ok(Err(StateRefusal::NotYours));
    }
    // Compare-and-delete: of two uses, one wins.
    if !store.compare_and_set::<ConnectState>(&key, &bytes, None).await? {
        return Ok(Err(StateRefusal::Unknown));
    }
    Ok(Ok(record))
}
