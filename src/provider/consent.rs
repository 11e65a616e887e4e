//! What users approved: remembered approvals (so that consent is asked once per app, as in
//! Mattermost), and each user's list of authorized apps.

use super::client_metadata;
use super::clients::Client;
use super::grants;
use super::resource_indicators::Audience;
use super::scope;
use crate::context::Context;
use crate::host::Host;
use crate::ids::{ClientId, UserId};
use crate::store::{keys, StoreResult};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct Approval {
    v: u32,
    scope: String,
    /// The resources approved (RFC 8707); approvals from before resources existed have none,
    /// which is the chat API's alone.
    #[serde(default)]
    audience: Audience,
    at: i64,
}

/// Whether `user_id` approved `client_id` for (at least) `scope` at (at least) `audience`: a
/// user who let an app use the chat API has not let it get tokens for another resource.
pub async fn is_approved<H: Host>(
    ctx: &Context<'_, H>,
    user_id: &UserId,
    client_id: &ClientId,
    scope: &str,
    audience: &Audience,
) -> StoreResult<bool> {
    let approval = ctx.store().get::<Approval>(&keys::consent(user_id, client_id)).await?;
    let issuer = ctx.config.issuer();
    Ok(approval.is_some_and(|a| scope::covers(&a.scope, scope) && a.audience.covers(audience, issuer)))
}

pub async fn remember_approval<H: Host>(
    ctx: &Context<'_, H>,
    user_id: &UserId,
    client_id: &ClientId,
    scope: &str,
    audience: &Audience,
) -> StoreResult<()> {
    let approval =
        Approval { v: 1, scope: scope.to_owned(), audience: audience.clone(), at: ctx.host.now_millis() };
    ctx.store().put(&keys::consent(user_id, client_id), &approval, None).await?;
    grants::add_authorized_app(ctx, user_id, client_id).await
}

/// A denial: the next request asks again.
pub async fn forget_approval<H: Host>(
    ctx: &Context<'_, H>,
    user_id: &UserId,
    client_id: &ClientId,
) -> StoreResult<()> {
    ctx.store().delete(&keys::consent(user_id, client_id)).await?;
    Ok(())
}

/// The apps `user_id` authorized that still exist, in the order they were authorized.
pub async fn authorized_apps<H: Host>(ctx: &Context<'_, H>, user_id: &UserId) -> StoreResult<Vec<Client>> {
    let ids: Vec<ClientId> = ctx.store().ids(&keys::user_apps(user_id)).await?;
    let mut found = Vec::new();
    for id in &ids {
        if let Some(client) = client_metadata::known(ctx, id).await? {
            found.push(client);
        }
    }
    Ok(found)
}

/// Deauthorization: the user's tokens and codes for the app stop working, and the approval is
/// forgotten, so that the next authorization asks again.
pub async fn deauthorize<H: Host>(
    ctx: &Context<'_, H>,
    user_id: &UserId,
    client_id: &ClientId,
) -> StoreResult<()> {
    grants::revoke_user_client(ctx, user_id, client_id).await?;
    forget_approval(ctx, user_id, client_id).await?;
    ctx.store().remove_id(&keys::user_apps(user_id), client_id.as_str()).await?;
    Ok(())
}
