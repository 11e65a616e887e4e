//! The verification page of the device flow, RFC 8628 §3.3: `GET /oauth/device` asks a logged-in
//! user (one logged out logs in first, and comes back) for the code their device shows, or takes
//! it from `verification_uri_complete` (§3.3.1); for a pending request it shows the code flow's
//! consent screen, naming the device flow; `POST /oauth/device` is that screen's Allow or Deny.
//! Wrong codes are limited per user and per network address (§5.1: user codes are short, so
//! guessing must be slow).

use super::client_metadata;
use super::consent_page::{self, Asking};
use super::device::{self, Decision, PendingRequest};
use super::resource_indicators;
use crate::access;
use crate::context::Context;
use crate::host::Host;
use crate::http::{json_body, AppError, Params, Request, Response};
use crate::ids::{new_secret, UserId};
use crate::pages::{escape_html, message_page, page_with_forms};
use crate::rate_limit::{Limit, RetryAfter};
use crate::store::StoreResult;
use serde::{Deserialize, Serialize};

pub use super::device::VERIFICATION_PATH as PATH;

/// Wrong user codes one user may enter in 15 minutes: 10 guesses of 20⁸ codes.
const WRONG_CODES_PER_USER: Limit = Limit { kind: "dvu", per_window: 10, window_seconds: 900 };
/// Wrong user codes one network address may enter in 15 minutes (several users may share it).
const WRONG_CODES_PER_ADDRESS: Limit = Limit { kind: "dva", per_window: 30, window_seconds: 900 };

const WRONG_CODE: &str = "That code is not valid: it may be mistyped, used already, or expired. Check the code your device shows now.";
const TOO_MANY: &str = "Too many wrong codes. Wait a while, then try again.";

/// What a typed user code turned out to be.
enum Lookup {
    Found(PendingRequest),
    Wrong,
    /// Too many wrong codes lately: no code is looked up until the window ends.
    Blocked(RetryAfter),
}

/// Whether the user or their address entered too many wrong codes lately.
async fn blocked<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    user_id: &UserId,
) -> StoreResult<Option<RetryAfter>> {
    let by_user = WRONG_CODES_PER_USER.reached(ctx, user_id.as_str()).await?;
    let by_address = WRONG_CODES_PER_ADDRESS.reached(ctx, &request.remote_addr).await?;
    Ok(by_user.max(by_address))
}

/// Counts a wrong code against the user and their address: blocked if that was one too many.
async fn count_wrong<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    user_id: &UserId,
) -> StoreResult<Lookup> {
    let by_user = WRONG_CODES_PER_USER.hit(ctx, user_id.as_str()).await?;
    let by_address = WRONG_CODES_PER_ADDRESS.hit(ctx, &request.remote_addr).await?;
    Ok(by_user.max(by_address).map_or(Lookup::Wrong, Lookup::Blocked))
}

/// The pending request of a typed code, unless the caller is blocked; a wrong code is counted.
async fn look_up<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    user_id: &UserId,
    typed: &str,
) -> StoreResult<Lookup> {
    if let Some(retry_after) = blocked(ctx, request, user_id).await? {
        return Ok(Lookup::Blocked(retry_after));
    }
    match device::pending(ctx, typed).await? {
        Some(pending) => Ok(Lookup::Found(pending)),
        None => count_wrong(ctx, request, user_id).await,
    }
}

/// `GET /oauth/device[?user_code=…]` for a logged-in user; `?result=approved|denied` after the
/// decision.
pub async fn serve_get<H: Host>(ctx: &Context<'_, H>, request: &Request, user_id: &UserId) -> Response {
    let Ok(query) = Params::parse(request.query.as_bytes()) else {
        return entry_page(400, "", Some("The address of this page is malformed. Enter the code by hand."));
    };
    match query.get("result") {
        Some("approved") => {
            return message_page(
                200,
                "Device connected",
                "You allowed the device. Go back to it: it signs in within a few seconds.",
            )
        }
        Some("denied") => {
            return message_page(
                200,
                "Request denied",
                "The device gets no access. If you did not start this, nothing more needs doing.",
            )
        }
        _ => {}
    }
    let typed = query.get("user_code").unwrap_or("");
    if typed.trim().is_empty() {
        return entry_page(200, "", None);
    }
    let failed = |error: crate::store::StoreError| Response {
        internal_error: Some(error.to_string()),
        ..consent_page::error_page(500, crate::http::INTERNAL_ERROR_MESSAGE)
    };
    let pending = match look_up(ctx, request, user_id, typed).await {
        Ok(Lookup::Found(pending)) => pending,
        Ok(Lookup::Wrong) => return entry_page(400, typed, Some(WRONG_CODE)),
        Ok(Lookup::Blocked(retry_after)) => {
            return entry_page(429, typed, Some(TOO_MANY))
                .with_header("Retry-After", &retry_after.to_string())
        }
        Err(error) => return failed(error),
    };
    let client = match client_metadata::known(ctx, &pending.client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => return entry_page(400, typed, Some(WRONG_CODE)),
        Err(error) => return failed(error),
    };
    // The resources as they are now: one removed since the device asked is refused here.
    let targets = match resource_indicators::resolve(ctx, pending.resources.iter().map(String::as_str)).await
    {
        Ok(targets) => targets,
        Err(error) => return consent_page::error_page(400, &error.to_string()),
    };
    let posted = DecisionRequest { user_code: pending.user_code.clone(), approve: true };
    let asking = Asking::Device { user_code: &pending.user_code };
    consent_page::render_for(asking, &client, &posted, &pending.scope, &targets)
}

/// What the consent screen posts back.
#[derive(Debug, Serialize, Deserialize)]
struct DecisionRequest {
    #[serde(default)]
    user_code: String,
    /// `false` is Deny.
    #[serde(default = "yes", skip_serializing)]
    approve: bool,
}

fn yes() -> bool {
    true
}

/// `POST /oauth/device` `{user_code, approve}`: the user's decision, then `{"redirect": url}` to
/// the page that says what happens next.
pub async fn serve_post<H: Host>(
    ctx: &Context<'_, H>,
    request: &Request,
    user_id: &UserId,
) -> Result<Response, AppError> {
    access::user_in_person(request)?;
    let body: DecisionRequest = json_body(request, "device_decision")?;
    let too_many = |retry_after: RetryAfter| {
        AppError::new(429, "api.oauth.device.too_many_attempts.app_error", TOO_MANY)
            .render(request)
            .with_header("Retry-After", &retry_after.to_string())
    };
    if let Some(retry_after) = blocked(ctx, request, user_id).await? {
        return Ok(too_many(retry_after));
    }
    let decision = if body.approve {
        Decision::Approve { auth_time: request.session_created_at }
    } else {
        Decision::Deny
    };
    if device::decide(ctx, &body.user_code, user_id, decision).await?.is_none() {
        return match count_wrong(ctx, request, user_id).await? {
            Lookup::Blocked(retry_after) => Ok(too_many(retry_after)),
            _ => Err(AppError::new(400, "api.oauth.device.invalid_user_code.app_error", WRONG_CODE)),
        };
    }
    let result = if body.approve { "approved" } else { "denied" };
    let redirect = ctx.config.site_url_for(&format!("{PATH}?result={result}"));
    Ok(Response::json(200, &serde_json::json!({ "redirect": redirect })))
}

/// The page that asks for the code: `typed` filled in again after a wrong one, with `error`. A
/// plain form (GET, to this page): it works before any script runs.
fn entry_page(status: u16, typed: &str, error: Option<&str>) -> Response {
    let error = match error {
        Some(message) => format!(r#"<p class="error" id="error" role="alert">{}</p>"#, escape_html(message)),
        None => String::new(),
    };
    let body = format!(
        r#"<h1>Connect a device</h1>
<p>Enter the code that your device (a command-line tool, a TV, a meeting-room display) shows.</p>
<form id="entry" method="get" action="{PATH}"><label for="user_code">Code</label>
<input id="user_code" name="user_code" class="code" type="text" value="{typed}" placeholder="XXXX-XXXX" maxlength="32" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" autofocus required>
<div class="actions"><button class="allow" id="continue" type="submit">Continue</button></div></form>
{error}
<p class="muted">Only enter a code from a device you are signing in on yourself. You will see which app is asking before anything is allowed.</p>"#,
        typed = escape_html(typed),
    );
    page_with_forms(status, &new_secret(), "Connect a device", &body, "'self'")
}
