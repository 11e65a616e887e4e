//! Stored connections, and which connection claims which audience.
//!
//! `oc:{id}` holds a connection; `idx:oc` holds the ids in creation order and a map from each
//! audience (its normalized key) to the connection that claims it. Claims change by
//! compare-and-set on that one record, so two connections can never claim the same audience.
//! The record is written before its claims and deleted before them; a claim whose record is gone
//! is treated as free.

use super::audience::{self, Audience};
use super::connection::{Connection, Invalid};
use crate::context::Context;
use crate::host::Host;
use crate::ids::ConnectionId;
use crate::store::{self, keys, StoreError, StoreResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct Index {
    v: u32,
    ids: Vec<ConnectionId>,
    /// Audience key → connection id.
    audiences: BTreeMap<String, ConnectionId>,
}

/// Why a connection was not saved, or what failed.
#[derive(Debug)]
pub enum Refusal {
    Invalid(Invalid),
    /// Another live connection claims the audience (its key), under the name given.
    AudienceClaimed {
        audience: String,
        owner: String,
    },
    /// Other writers kept getting in between.
    Busy,
    Storage(StoreError),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Invalid(invalid) => invalid.fmt(f),
            Refusal::AudienceClaimed { audience, owner } => {
                write!(f, "Audience URL {audience:?} already belongs to connection {owner:?}.")
            }
            Refusal::Busy => f.write_str("Too many concurrent changes; try again."),
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

pub async fn get<H: Host>(ctx: &Context<'_, H>, id: &ConnectionId) -> StoreResult<Option<Connection>> {
    if !crate::ids::is_valid_id(id.as_str()) {
        return Ok(None);
    }
    ctx.store().get(&keys::outgoing_connection(id)).await
}

async fn index<H: Host>(ctx: &Context<'_, H>) -> StoreResult<Option<(Index, Vec<u8>)>> {
    ctx.store().get_versioned::<Index>(keys::OUTGOING_INDEX).await
}

/// Saves `connection` (new, or replacing `previous`) and moves its claims to its audiences;
/// refused when another live connection claims one of them, with the stored record as it was.
pub async fn save<H: Host>(
    ctx: &Context<'_, H>,
    connection: &Connection,
    previous: Option<&Connection>,
) -> Result<(), Refusal> {
    let result = claim_and_write(ctx, connection).await;
    if let Err(Refusal::AudienceClaimed { .. } | Refusal::Busy) = &result {
        restore(ctx, &connection.id, previous).await?;
    }
    result
}

/// Puts back what was stored before a refused save.
async fn restore<H: Host>(
    ctx: &Context<'_, H>,
    id: &ConnectionId,
    previous: Option<&Connection>,
) -> StoreResult<()> {
    let store = ctx.store();
    let key = keys::outgoing_connection(id);
    match previous {
        Some(previous) => store.put(&key, previous, None).await,
        None => store.delete(&key).await,
    }
}

async fn claim_and_write<H: Host>(ctx: &Context<'_, H>, connection: &Connection) -> Result<(), Refusal> {
    let audiences = connection.parsed_audiences()?;
    let store = ctx.store();
    for _ in 0..64 {
        let current = index(ctx).await?;
        let (mut next, old_bytes) = match &current {
            Some((index, bytes)) => (index.clone(), Some(bytes.clone())),
            None => (Index { v: 1, ..Index::default() }, None),
        };
        for audience in &audiences {
            if let Some(owner_id) =
                next.audiences.get(&audience.key()).filter(|owner| **owner != connection.id)
            {
                if let Some(owner) = get(ctx, owner_id).await? {
                    return Err(Refusal::AudienceClaimed { audience: audience.key(), owner: owner.name });
                }
            }
        }
        // The record first: a claim never points at a connection that was never written.
        store.put(&keys::outgoing_connection(&connection.id), connection, None).await?;
        next.audiences.retain(|_, owner| *owner != connection.id);
        for audience in &audiences {
            next.audiences.insert(audience.key(), connection.id.clone());
        }
        if !next.ids.contains(&connection.id) {
            next.ids.push(connection.id.clone());
        }
        let won = match &old_bytes {
            Some(old) => store.compare_and_set(keys::OUTGOING_INDEX, old, Some(&next)).await,
            None => store.insert(keys::OUTGOING_INDEX, &next).await,
        }?;
        if won {
            return Ok(());
        }
    }
    Err(Refusal::Busy)
}

/// Deletes the connection, then its claims and its cached token.
pub async fn delete<H: Host>(ctx: &Context<'_, H>, id: &ConnectionId) -> StoreResult<()> {
    let store = ctx.store();
    store.delete(&keys::outgoing_connection(id)).await?;
    store.delete(&keys::outgoing_token(id)).await?;
    store
        .update::<Index, _>(keys::OUTGOING_INDEX, |index| {
            index.map(|mut index| {
                index.ids.retain(|existing| existing != id);
                index.audiences.retain(|_, owner| owner != id);
                index
            })
        })
        .await?;
    Ok(())
}

/// Connections in creation order: `limit` of them after `from_id` (or from the start).
pub async fn list<H: Host>(
    ctx: &Context<'_, H>,
    from_id: Option<&str>,
    skip: usize,
    limit: usize,
) -> StoreResult<Vec<Connection>> {
    let ids = index(ctx).await?.map(|(index, _)| index.ids).unwrap_or_default();
    let start =
        from_id.and_then(|from| ids.iter().position(|id| id.as_str() == from).map(|i| i + 1)).unwrap_or(0);
    let load = |id: ConnectionId| async move { get(ctx, &id).await };
    store::page_of(ids.into_iter().skip(start), load, |_| true, skip, limit).await
}

/// The connection that serves `url`: the best-ranked audience whose connection is still there.
pub async fn for_url<H: Host>(ctx: &Context<'_, H>, url: &str) -> StoreResult<Option<Connection>> {
    let Some(normalized) = audience::normalize(url) else { return Ok(None) };
    let Some((index, _)) = index(ctx).await? else { return Ok(None) };
    let mut candidates: Vec<(Audience, &ConnectionId)> = index
        .audiences
        .iter()
        .filter_map(|(key, id)| Audience::parse(key).ok().map(|audience| (audience, id)))
        .filter(|(audience, _)| audience.rank(&normalized).is_some())
        .collect();
    // Best first; a candidate whose record is gone gives way to the next.
    while let Some(id) = audience::best(&normalized, candidates.iter().map(|(a, id)| (a, (*id).clone()))) {
        if let Some(connection) = get(ctx, &id).await? {
            return Ok(Some(connection));
        }
        candidates.retain(|(_, candidate)| **candidate != id);
    }
    Ok(None)
}
