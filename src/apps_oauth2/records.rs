//! What the app OAuth2 store keeps: each app's remote provider settings, each user's remote token
//! per app, the connect flow's single-use states, and each user's list of connected apps.

use crate::host::Host;
use crate::http::AppError;
use crate::ids::hash_secret;
use crate::store::{keys, Store};
use crate::Context;
use serde::{Deserialize, Serialize};

/// How long a connect flow may take (Mattermost Apps: 15 minutes).
pub const STATE_LIFETIME_SECONDS: u32 = 15 * 60;

/// An app's remote provider, as the app stores it with `POST /app`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RemoteSettings {
    pub client_id: String,
    pub client_secret: String,
    pub remote_root_url: String,
    pub data: serde_json::Value,
    pub authorize_url: String,
    pub token_url: String,
    pub scopes: Vec<String>,
}

/// A user's token for an app: what the app stored, or what the plugin obtained in the connect
/// flow (then the plugin can refresh it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserToken {
    pub v: u32,
    pub value: serde_json::Value,
    pub obtained_by_plugin: bool,
    pub expires_at: Option<i64>,
    pub refresh_token: Option<String>,
    pub stored_at: i64,
}

/// A connect flow in progress, under the hash of its state value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectState {
    pub v: u32,
    pub app_id: String,
    pub user_id: String,
    pub code_verifier: String,
}

pub async fn settings<H: Host>(
    ctx: &Context<'_, H>,
    app_id: &str,
) -> Result<Option<RemoteSettings>, AppError> {
    Store::new(ctx.host).get(&keys::app_remote_settings(app_id)).await.map_err(AppError::from)
}

/// Stores the settings unless they are the same as stored; returns whether it wrote.
pub async fn save_settings<H: Host>(
    ctx: &Context<'_, H>,
    app_id: &str,
    settings: &RemoteSettings,
) -> Result<bool, AppError> {
    if self::settings(ctx, app_id).await?.as_ref() == Some(settings) {
        return Ok(false);
    }
    Store::new(ctx.host).put(&keys::app_remote_settings(app_id), settings, None).await?;
    Ok(true)
}

pub async fn user_token<H: Host>(
    ctx: &Context<'_, H>,
    app_id: &str,
    user_id: &str,
) -> Result<Option<(UserToken, Vec<u8>)>, AppError> {
    Store::new(ctx.host).get_versioned(&keys::app_user_token(app_id, user_id)).await.map_err(AppError::from)
}

/// Stores the token (the record first, then the user's list of connected apps).
pub async fn save_user_token<H: Host>(
    ctx: &Context<'_, H>,
    app_id: &str,
    user_id: &str,
    token: &UserToken,
) -> Result<(), AppError> {
    let store = Store::new(ctx.host);
    store.put(&keys::app_user_token(app_id, user_id), token, None).await?;
    store.add_id(&keys::user_connected_apps(user_id), app_id).await?;
    Ok(())
}

/// Replaces `old` (the bytes read) by `token`; false when someone else changed it meanwhile.
pub async fn replace_user_token<H: Host>(
    ctx: &Context<'_, H>,
    app_id: &str,
    user_id: &str,
    old: &[u8],
    token: &UserToken,
) -> Result<bool, AppError> {
    Store::new(ctx.host)
        .compare_and_set(&keys::app_user_token(app_id, user_id), old, Some(token))
        .await
        .map_err(AppError::from)
}

/// Forgets a user's token for an app (the token first, then the list entry).
pub async fn forget_user_token<H: Host>(
    ctx: &Context<'_, H>,
    app_id: &str,
    user_id: &str,
) -> Result<(), AppError> {
    let store = Store::new(ctx.host);
    store.delete(&keys::app_user_token(app_id, user_id)).await?;
    store.remove_id(&keys::user_connected_apps(user_id), app_id).await?;
    Ok(())
}

/// The apps the user connected whose token is still stored.
pub async fn connected_apps<H: Host>(
    ctx: &Context<'_, H>,
    user_id: &str,
) -> Result<Vec<(String, UserToken)>, AppError> {
    let store = Store::new(ctx.host);
    let ids = store.ids(&keys::user_connected_apps(user_id)).await?;
    let mut found = Vec::new();
    for app_id in ids {
        if let Some((token, _)) = user_token(ctx, &app_id, user_id).await? {
            found.push((app_id, token));
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
    user_id: &str,
    for_millis: i64,
) -> Result<bool, AppError> {
    let seconds = u32::try_from((for_millis / 1000).max(1)).unwrap_or(u32::MAX);
    let lock = RefreshLock { v: 1, at: ctx.host.now_millis() };
    Ok(Store::new(ctx.host)
        .insert_expiring(&keys::app_refresh_lock(app_id, user_id), &lock, Some(seconds))
        .await?)
}

pub async fn unlock_refresh<H: Host>(
    ctx: &Context<'_, H>,
    app_id: &str,
    user_id: &str,
) -> Result<(), AppError> {
    Ok(Store::new(ctx.host).delete(&keys::app_refresh_lock(app_id, user_id)).await?)
}

/// Remembers a new connect flow under its state value (hashed), for 15 minutes.
pub async fn begin_connect<H: Host>(
    ctx: &Context<'_, H>,
    state: &str,
    record: &ConnectState,
) -> Result<(), AppError> {
    let key = keys::app_connect_state(&hash_secret(state));
    let stored = Store::new(ctx.host).insert_expiring(&key, record, Some(STATE_LIFETIME_SECONDS)).await?;
    if !stored {
        return Err(AppError::new(
            500,
            "app.apps_oauth2.state.app_error",
            "Could not start the connect flow.",
        ));
    }
    Ok(())
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
    app_id: &str,
    user_id: &str,
) -> Result<Result<ConnectState, StateRefusal>, AppError> {
    let store = Store::new(ctx.host);
    let key = keys::app_connect_state(&hash_secret(state));
    let Some((record, bytes)) = store.get_versioned::<ConnectState>(&key).await? else {
        return Ok(Err(StateRefusal::Unknown));
    };
    if record.user_id != user_id || record.app_id != app_id {
        return Ok(Err(StateRefusal::NotYours));
    }
    // Compare-and-delete: of two uses, one wins.
    if !store.compare_and_set::<ConnectState>(&key, &bytes, None).await? {
        return Ok(Err(StateRefusal::Unknown));
    }
    Ok(Ok(record))
}
