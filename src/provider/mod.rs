//! OAuth 2.0 provider: the chat server as an authorization server.

pub mod metadata;

use crate::http::{Request, Response};
use crate::Context;

/// The provider's routes; `None` when the path is not one of them.
pub async fn route<H: crate::host::Host>(ctx: &Context<'_, H>, request: &Request) -> Option<Response> {
    if metadata::matches(&request.path) {
        return Some(metadata::serve(ctx, request));
    }
    None
}
