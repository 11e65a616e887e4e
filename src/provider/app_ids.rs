//! Which OAuth app holds which app id (`mattermost_app_id`, the Apps framework's name for an app).
//!
//! An app id is what the app OAuth2 store files an app's secrets under, so it belongs to at most
//! one OAuth app: claimed atomically (insert-if-absent, then compare-and-set, as outgoing
//! connections claim audiences), released when the app lets go of it or is deleted. A claim
//! carries a *binding*, a random value the app store's records carry too: an OAuth app that later
//! claims a released id gets a new binding and sees nothing of its predecessor's records, unless
//! an admin asks it to inherit them.
//!
//! The claim is written before the app record that names the id, and readers check both sides: a
//! claim whose app is gone or names another id is stale and counts as free.

use crate::context::Context;
use crate::host::Host;
use crate::ids::{new_id, ClientId};
use crate::store::{keys, StoreError, StoreResult};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The binding of records written before app ids were claimed (schema 1).
pub const LEGACY_BINDING: &str = "";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Claim {
    v: u32,
    /// The OAuth app holding the id; empty once released.
    client_id: ClientId,
    binding: String,
}

/// Why an app id could not be claimed.
#[derive(Debug)]
pub enum Refusal {
    /// Another live OAuth app holds it.
    Claimed(String),
    /// Other writers kept getting in between.
    Busy,
    Storage(StoreError),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Claimed(app_id) => {
                write!(f, "The app id {app_id:?} already belongs to another OAuth app.")
            }
            Refusal::Busy => f.write_str("Too many concurrent changes; try again."),
            Refusal::Storage(error) => error.fmt(f),
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        Refusal::Storage(error)
    }
}

/// The one field of an app record (`app:{client_id}`, see `clients::Client`) a claim is checked against.
#[derive(Deserialize)]
struct Holder {
    mattermost_app_id: String,
}

/// Whether `claim` is held by a live app that still names `app_id`.
async fn is_live<H: Host>(ctx: &Context<'_, H>, app_id: &str, claim: &Claim) -> StoreResult<bool> {
    if claim.client_id.is_empty() {
        return Ok(false);
    }
    let holder = ctx.store().get::<Holder>(&keys::client(&claim.client_id)).await?;
    Ok(holder.is_some_and(|holder| holder.mattermost_app_id == app_id))
}

/// Claims `app_id` for `client_id` and returns the binding; refused while another app holds it.
/// `inherit` keeps the binding of a released claim, so that the new holder sees the old records.
pub async fn claim<H: Host>(
    ctx: &Context<'_, H>,
    app_id: &str,
    client_id: &ClientId,
    inherit: bool,
) -> Result<String, Refusal> {
    let store = ctx.store();
    let key = keys::app_id_claim(app_id);
    for _ in 0..16 {
        let Some((current, bytes)) = store.get_versioned::<Claim>(&key).await? else {
            let fresh = Claim { v: 1, client_id: client_id.clone(), binding: new_id() };
            if store.insert(&key, &fresh).await? {
                return Ok(fresh.binding);
            }
            continue;
        };
        if current.client_id == *client_id {
            return Ok(current.binding);
        }
        if is_live(ctx, app_id, &current).await? {
            return Err(Refusal::Claimed(app_id.to_owned()));
        }
        let binding = if inherit { current.binding.clone() } else { new_id() };
        let next = Claim { v: 1, client_id: client_id.clone(), binding };
        if store.compare_and_set(&key, &bytes, Some(&next)).await? {
            return Ok(next.binding);
        }
    }
    Err(Refusal::Busy)
}

/// Runs `write` (the app record naming `app_id`) under a claim to `app_id` for `client_id`: the
/// claim first, given back if the write fails. An empty `app_id` claims nothing.
pub async fn claimed_while<H: Host, E: From<Refusal> + From<StoreError>>(
    ctx: &Context<'_, H>,
    app_id: &str,
    client_id: &ClientId,
    inherit: bool,
    write: impl std::future::Future<Output = Result<(), E>>,
) -> Result<(), E> {
    if app_id.is_empty() {
        return write.await;
    }
    claim(ctx, app_id, client_id, inherit).await?;
    if let Err(error) = write.await {
        release(ctx, app_id, client_id).await?;
        return Err(error);
    }
    Ok(())
}

/// Lets go of `app_id`, if `client_id` holds it; the binding is kept for a holder that inherits.
pub async fn release<H: Host>(ctx: &Context<'_, H>, app_id: &str, client_id: &ClientId) -> StoreResult<()> {
    ctx.store()
        .update::<Claim, _>(&keys::app_id_claim(app_id), |claim| {
            claim.map(|c| {
                if c.client_id == *client_id {
                    Claim { client_id: ClientId::default(), ..c }
                } else {
                    c
                }
            })
        })
        .await?;
    Ok(())
}

/// The binding of `app_id`, when the OAuth app `client_id` holds the claim to it.
pub async fn binding_of<H: Host>(
    ctx: &Context<'_, H>,
    app_id: &str,
    client_id: &ClientId,
) -> StoreResult<Option<String>> {
    if app_id.is_empty() {
        return Ok(None);
    }
    let claim = ctx.store().get::<Claim>(&keys::app_id_claim(app_id)).await?;
    Ok(claim.filter(|c| c.client_id == *client_id).map(|c| c.binding))
}

/// The binding of `app_id`'s live holder, if any (for pages that name an app by its id).
pub async fn current_binding<H: Host>(ctx: &Context<'_, H>, app_id: &str) -> StoreResult<Option<String>> {
    let Some(claim) = ctx.store().get::<Claim>(&keys::app_id_claim(app_id)).await? else {
        return Ok(None);
    };
    Ok(is_live(ctx, app_id, &claim).await?.then_some(claim.binding))
}

/// Schema 1 → 2: gives `app_id` to `client_id` with the binding of the records written so far,
/// unless someone claimed it already; returns whether it did.
pub async fn claim_legacy<H: Host>(
    ctx: &Context<'_, H>,
    app_id: &str,
    client_id: &ClientId,
) -> StoreResult<bool> {
    let legacy = Claim { v: 1, client_id: client_id.clone(), binding: LEGACY_BINDING.to_owned() };
    ctx.store().insert(&keys::app_id_claim(app_id), &legacy).await
}
