//! Mattermost's permission names, and its 401 and 403 answers. Who is calling is asked of the
//! [`Context`](crate::context::Context); which calls need a session or a permission is the route table's
//! ([`crate::routes`]).

pub const MANAGE_SYSTEM: &str = "manage_system";
pub const MANAGE_OAUTH: &str = "manage_oauth";
pub const MANAGE_SYSTEM_WIDE_OAUTH: &str = "manage_system_wide_oauth";
pub const EDIT_OTHER_USERS: &str = "edit_other_users";

use crate::http::{AppError, Request};
use crate::ids::{is_server_id, UserId};

/// The session's user: the request's user id, when it has an id's shape (Mattermost's
/// `IsValidId`). The host sets it only for a valid session, so any other is no session; and a
/// user id goes into store keys, which a NUL, a colon or an overlong id would break.
pub fn session_user(request: &Request) -> Option<UserId> {
    request.user_id.as_deref().filter(|id| is_server_id(id)).map(UserId::new)
}

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

/// Mattermost: a decision only the user makes in person (allowing an app) is refused to an OAuth
/// app's token, or an app could approve itself.
pub fn user_in_person(request: &Request) -> Result<(), AppError> {
    if request.is_oauth_session {
        return Err(permission_denied(EDIT_OTHER_USERS));
    }
    Ok(())
}
