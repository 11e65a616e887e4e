//! Bringing data written by earlier versions of the plugin up to date, at activation, before any
//! request is served. Every step can run again after a crash part-way: it skips what is done.

use crate::access::MANAGE_SYSTEM;
use crate::context::Context;
use crate::host::Host;
use crate::provider::{app_ids, clients};
use crate::store::{schema, StoreError, StoreResult};
use std::collections::BTreeMap;
use std::fmt;

/// Why the data could not be brought up to date.
#[derive(Debug)]
pub enum UpgradeError {
    /// Sealing needs the at-rest key, and there is none.
    NoKey,
    Storage(StoreError),
}

impl fmt::Display for UpgradeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpgradeError::NoKey => f.write_str("no at-rest key"),
            UpgradeError::Storage(error) => error.fmt(f),
        }
    }
}

impl From<StoreError> for UpgradeError {
    fn from(error: StoreError) -> Self {
        UpgradeError::Storage(error)
    }
}

/// Migrates the store from schema `from` to [`schema::CURRENT`]; returns what it did, for the log.
pub async fn from_schema<H: Host>(ctx: &Context<'_, H>, from: u32) -> Result<String, UpgradeError> {
    let sealer = ctx.sealer.as_deref().ok_or(UpgradeError::NoKey)?;
    let store = ctx.store();
    // Schema 1 → 2: secrets sealed at rest, app ids claimed.
    let sealed = schema::seal_plain_records(&store, sealer).await?;
    let claimed = claim_existing_app_ids(ctx).await?;
    schema::mark_current(&store, from).await?;
    Ok(format!("migrated from {from}: {sealed} records sealed, {claimed} app ids claimed"))
}

/// Schema 1 → 2: claims the app ids apps already carry, keeping the records written so far. Where
/// several apps carry one id, the oldest whose creator may manage the system gets it (the others
/// keep the field but not the claim, so they see nothing; an admin can sort them out).
async fn claim_existing_app_ids<H: Host>(ctx: &Context<'_, H>) -> StoreResult<usize> {
    let mut by_app_id: BTreeMap<String, Vec<clients::Client>> = BTreeMap::new();
    for client in clients::all(ctx).await? {
        if !client.mattermost_app_id.is_empty() {
            by_app_id.entry(client.mattermost_app_id.clone()).or_default().push(client);
        }
    }
    let mut claimed = 0;
    for (app_id, mut carriers) in by_app_id {
        carriers.sort_by_key(|client| client.create_at);
        for client in &carriers {
            if carriers.len() == 1 || ctx.has_permission(&client.creator_id, MANAGE_SYSTEM).await {
                claimed += usize::from(app_ids::claim_legacy(ctx, &app_id, &client.id).await?);
                break;
            }
        }
    }
    Ok(claimed)
}
