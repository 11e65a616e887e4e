//! Fixed-window rate limits kept in the KV store, so that they hold across server nodes: how many
//! times a subject (a network address, a user) did something in the current window. Dynamic
//! Client Registration counts registrations per address; the device flow's verification page
//! counts wrong user codes per user and per address (RFC 8628 §5.1).

use crate::context::Context;
use crate::host::Host;
use crate::store::{keys, StoreResult};
use serde::{Deserialize, Serialize};

/// At most `per_window` times per `window_seconds` for one subject, counted under `kind`; 0 is no
/// limit.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub kind: &'static str,
    pub per_window: u32,
    pub window_seconds: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Counter {
    v: u32,
    n: u32,
}

/// How long a subject waits, in seconds, once its limit is reached.
pub type RetryAfter = i64;

impl Limit {
    /// Counts one more for `subject`: the seconds to wait when that goes over the limit.
    pub async fn hit<H: Host>(&self, ctx: &Context<'_, H>, subject: &str) -> StoreResult<Option<RetryAfter>> {
        if self.per_window == 0 {
            return Ok(None);
        }
        let (key, retry_after) = self.window(ctx, subject);
        let seconds = u32::try_from(self.window_seconds).unwrap_or(u32::MAX);
        let counted = ctx
            .store()
            .update_expiring::<Counter, _>(&key, seconds, |counter| {
                let counter = counter.unwrap_or_default();
                Some(Counter { v: 1, n: counter.n.saturating_add(1) })
            })
            .await?;
        Ok(counted.is_some_and(|c| c.n > self.per_window).then_some(retry_after))
    }

    /// Whether `subject` already reached the limit (without counting): the seconds to wait if so.
    pub async fn reached<H: Host>(
        &self,
        ctx: &Context<'_, H>,
        subject: &str,
    ) -> StoreResult<Option<RetryAfter>> {
        if self.per_window == 0 {
            return Ok(None);
        }
        let (key, retry_after) = self.window(ctx, subject);
        let counter = ctx.store().get::<Counter>(&key).await?;
        Ok(counter.is_some_and(|c| c.n >= self.per_window).then_some(retry_after))
    }

    /// The current window's counter key for `subject`, and the seconds until the window ends.
    fn window<H: Host>(&self, ctx: &Context<'_, H>, subject: &str) -> (String, RetryAfter) {
        let window_seconds = self.window_seconds.max(1);
        let now_seconds = ctx.host.now_millis() / 1000;
        let window = now_seconds / window_seconds;
        (keys::rate_limit(self.kind, subject, window), (window + 1) * window_seconds - now_seconds)
    }
}
