//! The app OAuth2 store: apps keep their remote provider's credentials and each user's remote
//! token, and users connect their accounts through a connect/complete flow run by the plugin.

pub mod api;
pub mod connect;
pub mod records;

use crate::host::Host;
use crate::http::{wrong_method, Request, Response};
use crate::provider::clients::is_valid_app_id;
use crate::Context;

/// The store's routes; `None` when the path is not one of them.
pub async fn route<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Option<Response> {
    let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
    let method = request.method.as_str();
    let result = match segments.as_slice() {
        ["plugins", "oauth-plugin", "apps", app_id, "oauth2", "remote", step]
            if is_valid_app_id(app_id) && !app_id.is_empty() =>
        {
            if method != "GET" {
                return Some(wrong_method(request, "GET"));
            }
            return match *step {
                "connect" => Some(connect::connect(ctx, request, app_id).await),
                "complete" => Some(connect::complete(ctx, request, app_id).await),
                _ => None,
            };
        }
        ["plugins", "oauth-plugin", "api", "v1", "oauth2", rest @ ..] => match (rest, method) {
            (["app"], "POST" | "PUT") => api::put_app(ctx, request).await,
            (["user"], "GET") => api::get_user(ctx, request).await,
            (["user"], "POST" | "PUT") => api::put_user(ctx, request).await,
            (["context"], "GET") => api::context(ctx, request).await,
            (["connections"], "GET") => api::list_connections(ctx, request).await,
            (["connections", app_id], "DELETE") => api::delete_connection(ctx, request, app_id).await,
            (["app"], _) => return Some(wrong_method(request, "POST, PUT")),
            (["user"], _) => return Some(wrong_method(request, "GET, POST, PUT")),
            (["context"], _) | (["connections"], _) => return Some(wrong_method(request, "GET")),
            (["connections", _], _) => return Some(wrong_method(request, "DELETE")),
            _ => return None,
        },
        _ => return None,
    };
    Some(result.unwrap_or_else(|error| error.render(request)))
}
