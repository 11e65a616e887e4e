//! Bringing data written by earlier versions of the plugin up to date, at activation, before any
//! request is served. Every step can run again after a crash part-way: it skips what is done.

use crate::host::Host;
use crate::provider::app_ids;
use crate::store::schema;
use crate::Context;

/// Migrates the store from schema `from` to [`schema::CURRENT`]; returns what it did, for the log.
pub async fn from_schema<H: Host>(ctx: &Context<'_, H>, from: u32) -> Result<String, String> {
    let sealer = ctx.sealer.as_deref().ok_or("no at-rest key")?;
    let store = ctx.store();
    // Schema 1 → 2: secrets sealed at rest, app ids claimed.
    let sealed = schema::seal_plain_records(&store, sealer).await.map_err(|e| e.to_string())?;
    let claimed = app_ids::claim_existing(ctx).await.map_err(|e| e.cause.unwrap_or(e.message))?;
    schema::mark_current(&store, from).await.map_err(|e| e.to_string())?;
    Ok(format!("migrated from {from}: {sealed} records sealed, {claimed} app ids claimed"))
}
