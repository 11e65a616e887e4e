//! Who is calling: the session the host vouched for, and the permissions the host grants. One place
//! for Mattermost's 401 and 403 answers.

use crate::host::Host;
use crate::http::{redirect, AppError, Request, Response};
use crate::Context;

pub const MANAGE_SYSTEM: &str = "manage_system";
pub const MANAGE_OAUTH: &str = "manage_oauth";
pub const MANAGE_SYSTEM_WIDE_OAUTH: &str = "manage_system_wide_oauth";
pub const EDIT_OTHER_USERS: &str = "edit_other_users";

pub fn session_required() -> AppError {
    AppError::new(
        401,
        "api.context.session_expired.app_error",
        "Invalid or expired session, please login again.",
    )
}

pub fn permission_denied(permission: &str) -> AppError {
    let mut error = AppError::new(
        403,
        "api.context.permissions.app_error",
        "You do not have the appropriate permissions.",
    );
    error.detailed_error = format!("missing permission: {permission}");
    error
}

/// Mattermost: to `/login?redirect_to=<the request URI, escaped>`, and back here after login.
pub fn login_redirect<H: Host>(ctx: &Context<'_, H>, request: &Request) -> Response {
    let back = if request.query.is_empty() {
        request.path.clone()
    } else {
        format!("{}?{}", request.path, request.query)
    };
    let escaped: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
    redirect(&ctx.config.site_url_for(&format!("/login?redirect_to={escaped}")))
}

/// The calling user's id; the host sets it only for a valid session.
pub fn user_id(request: &Request) -> Result<&str, AppError> {
    request.user_id.as_deref().filter(|id| !id.is_empty()).ok_or_else(session_required)
}

impl<H: Host> Context<'_, H> {
    /// Whether `user_id` holds `permission`. A host that cannot tell counts as a no.
    pub async fn has_permission(&self, user_id: &str, permission: &str) -> bool {
        self.host.has_permission(user_id, permission).await.unwrap_or(false)
    }

    pub async fn require_permission(&self, user_id: &str, permission: &str) -> Result<(), AppError> {
        if self.has_permission(user_id, permission).await {
            Ok(())
        } else {
            Err(permission_denied(permission))
        }
    }
}
