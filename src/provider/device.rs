//! The device authorization grant, RFC 8628: a device that cannot receive a redirect gets a
//! device code (its secret) and a short user code, which the user types on the verification page
//! of a browser where they are logged in; there they approve or deny, while the device polls the
//! token endpoint, which answers once with the tokens the code flow issues.
//!
//! A device authorization is one record under its device code's hash (`dev:`), whose state moves
//! only by compare-and-set: pending → approved or denied → redeemed; so that of concurrent
//! decisions one counts, and of concurrent polls of an approved request one gets tokens. The user
//! code is stored only as a hash as well (`uc:`), pointing at the record, and goes once used.

use super::clients::Client;
use super::consent;
use super::grants::{self, Authorization, Failure, IssuedTokens, Refusal};
use super::resource_indicators::Audience;
use crate::context::Context;
use crate::host::Host;
use crate::ids::{new_secret, random_bytes, ClientId, DeviceCode, GrantId, SecretHash, UserCode, UserId};
use crate::store::{keys, StoreResult};
use serde::{Deserialize, Serialize};

/// RFC 8628 §6.1: consonants only (no word is spelt by chance, no 0/O or 1/I to confuse), 20 of
/// them, 8 characters: 20⁸ ≈ 2.6 × 10¹⁰ codes, against guesses limited per user and address.
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
pub const USER_CODE_LEN: usize = 8;
/// RFC 8628 §3.5: `slow_down` adds 5 seconds to the interval, for this and every later poll.
pub const SLOW_DOWN_SECONDS: u32 = 5;
/// How long a record outlives its device code, so that a late poll hears `expired_token` (and a
/// repeated one `invalid_grant`) rather than nothing known.
const KEPT_AFTER_EXPIRY_SECONDS: i64 = 600;
/// A new user code that is taken is drawn again, this often at most (20⁸ codes: never in practice).
const NEW_USER_CODE_ATTEMPTS: usize = 5;
/// Longer than any way of typing a user code.
const MAX_TYPED_USER_CODE_LEN: usize = 64;

/// Where a device authorization stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum State {
    Pending,
    /// Approved by `user_id` under their deauthorization count `epoch` for the client.
    Approved {
        user_id: UserId,
        epoch: u64,
        auth_time: Option<i64>,
    },
    Denied,
    /// Exchanged for the grant `grant_id`.
    Redeemed {
        grant_id: GrantId,
    },
}

/// The verification page's path (RFC 8628 §3.2 `verification_uri`), where the user enters the code.
pub const VERIFICATION_PATH: &str = "/oauth/device";

/// `dev:{hash of the device code}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DeviceRecord {
    v: u32,
    client_id: ClientId,
    /// The scope the request is granted once approved (the code flow's rule).
    scope: String,
    /// RFC 8707: what the request's resources resolved to.
    audience: Audience,
    /// The `resource` values as sent, for the verification page to name them.
    resources: Vec<String>,
    issued_at: i64,
    expires_at: i64,
    /// Seconds between polls, grown by `slow_down`.
    interval: u32,
    last_poll_at: Option<i64>,
    state: State,
}

/// `uc:{hash of the normalized user code}`: the device authorization it is for.
#[derive(Debug, Serialize, Deserialize)]
struct UserCodeRecord {
    v: u32,
    device: SecretHash,
}

/// A new user code, as shown (`XXXX-XXXX`): each character drawn uniformly from the alphabet
/// (bytes from 240 on are dropped, since 256 is not a multiple of 20).
pub fn new_user_code() -> UserCode {
    let mut letters = Vec::with_capacity(USER_CODE_LEN);
    while letters.len() < USER_CODE_LEN {
        for byte in random_bytes::<16>() {
            if byte < 240 && letters.len() < USER_CODE_LEN {
                letters.push(USER_CODE_ALPHABET[usize::from(byte % 20)]);
            }
        }
    }
    let letters = String::from_utf8(letters).unwrap_or_default();
    UserCode::new(display_user_code(&letters))
}

/// RFC 8628 §6.1: what the user typed, as the code it stands for (8 letters of the alphabet):
/// case, dashes and spaces do not matter. `None` if it cannot be a user code.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    if typed.len() > MAX_TYPED_USER_CODE_LEN {
        return None;
    }
    let letters: String =
        typed.chars().filter(|c| *c != '-' && !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    let valid = letters.len() == USER_CODE_LEN && letters.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
    valid.then_some(letters)
}

/// A normalized user code as people read it: `XXXX-XXXX`.
pub fn display_user_code(normalized: &str) -> String {
    match normalized.split_at_checked(USER_CODE_LEN / 2) {
        Some((first, second)) => format!("{first}-{second}"),
        None => normalized.to_owned(),
    }
}

/// Where the device authorization of `device_code` is stored, for reading it ahead.
pub fn record_key(device_code: &str) -> String {
    keys::device(&SecretHash::of(device_code))
}

fn user_code_key(normalized: &str) -> String {
    keys::user_code(&SecretHash::of(normalized))
}

/// Seconds a record is kept from `now`: until its code expires, and a while after.
fn kept_for(expires_at: i64, now: i64) -> u32 {
    let seconds = (expires_at - now) / 1000 + KEPT_AFTER_EXPIRY_SECONDS;
    seconds.clamp(1, i64::from(u32::MAX)) as u32
}

/// What the device authorization endpoint hands the device (RFC 8628 §3.2).
#[derive(Debug)]
pub struct Started {
    pub device_code: DeviceCode,
    pub user_code: UserCode,
    pub expires_in: u32,
    pub interval: u32,
}

/// What a device asks for: the scope it would be granted, and the resources it names (RFC 8707).
pub struct DeviceRequest {
    pub scope: String,
    pub audience: Audience,
    pub resources: Vec<String>,
}

/// RFC 8628 §3.1–3.2: a new device authorization for `client`, pending the user's decision. The
/// user code's record goes first: one left without its device record (a crash between the two
/// writes) leads nowhere, as if it were wrong.
pub async fn start<H: Host>(
    ctx: &Context<'_, H>,
    client: &Client,
    request: DeviceRequest,
) -> Result<Started, Failure> {
    let store = ctx.store();
    let device_code = DeviceCode::new(new_secret());
    let device = SecretHash::of(device_code.secret());
    let lifetime = ctx.config.device_code_lifetime_seconds();
    let interval = ctx.config.device_polling_interval_seconds();
    let now = ctx.host.now_millis();
    let expires_at = now + i64::from(lifetime) * 1000;
    let mut user_code = None;
    for _ in 0..NEW_USER_CODE_ATTEMPTS {
        let candidate = new_user_code();
        let normalized = normalize_user_code(candidate.secret()).unwrap_or_default();
        let pointer = UserCodeRecord { v: 1, device: device.clone() };
        if store.insert_expiring(&user_code_key(&normalized), &pointer, Some(lifetime)).await? {
            user_code = Some(candidate);
            break;
        }
    }
    let user_code = user_code.ok_or(Failure::KeyTaken("every new user code drawn was taken"))?;
    let record = DeviceRecord {
        v: 1,
        client_id: client.id.clone(),
        scope: request.scope,
        audience: request.audience,
        resources: request.resources,
        issued_at: now,
        expires_at,
        interval,
        last_poll_at: None,
        state: State::Pending,
    };
    if !store.insert_expiring(&keys::device(&device), &record, Some(kept_for(expires_at, now))).await? {
        return Err(Failure::KeyTaken("a new device code's key was taken"));
    }
    Ok(Started { device_code, user_code, expires_in: lifetime, interval })
}

/// A device authorization waiting for the user, as the verification page shows it.
#[derive(Debug, Clone)]
pub struct PendingRequest {
    pub client_id: ClientId,
    pub scope: String,
    pub resources: Vec<String>,
    /// The user code, as shown (`XXXX-XXXX`).
    pub user_code: String,
}

/// The pending request a typed user code stands for, with where it is stored: none for a code
/// that is malformed, unknown, used, decided or expired (all the same to the user: wrong).
async fn find_pending<H: Host>(
    ctx: &Context<'_, H>,
    typed: &str,
) -> StoreResult<Option<(String, String, DeviceRecord, Vec<u8>)>> {
    let Some(normalized) = normalize_user_code(typed) else { return Ok(None) };
    let store = ctx.store();
    let Some(pointer) = store.get::<UserCodeRecord>(&user_code_key(&normalized)).await? else {
        return Ok(None);
    };
    let key = keys::device(&pointer.device);
    let Some((record, bytes)) = store.get_versioned::<DeviceRecord>(&key).await? else {
        return Ok(None);
    };
    if record.state != State::Pending || record.expires_at <= ctx.host.now_millis() {
        return Ok(None);
    }
    Ok(Some((normalized, key, record, bytes)))
}

/// The pending request of the user code the user typed, if it is one.
pub async fn pending<H: Host>(ctx: &Context<'_, H>, typed: &str) -> StoreResult<Option<PendingRequest>> {
    let found = find_pending(ctx, typed).await?;
    Ok(found.map(|(normalized, _, record, _)| PendingRequest {
        client_id: record.client_id,
        scope: record.scope,
        resources: record.resources,
        user_code: display_user_code(&normalized),
    }))
}

/// The user's answer on the verification page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// With when the user's session authenticated (ms), for the ID token's `auth_time`.
    Approve {
        auth_time: Option<i64>,
    },
    Deny,
}

/// RFC 8628 §3.3: the user's decision on the request of the user code they typed; the client
/// it was for, or none when the code is not (or no longer) a pending request's. The user code
/// is used up either way; an approval is remembered as the code flow's is (which also lists the
/// app among the user's authorized apps).
pub async fn decide<H: Host>(
    ctx: &Context<'_, H>,
    typed: &str,
    user_id: &UserId,
    decision: Decision,
) -> StoreResult<Option<ClientId>> {
    let Some((normalized, key, record, bytes)) = find_pending(ctx, typed).await? else {
        return Ok(None);
    };
    let state = match decision {
        Decision::Approve { auth_time } => State::Approved {
            user_id: user_id.clone(),
            epoch: grants::current_epoch(ctx, user_id, &record.client_id).await?,
            auth_time,
        },
        Decision::Deny => State::Denied,
    };
    let store = ctx.store();
    let now = ctx.host.now_millis();
    let decided = DeviceRecord { state, ..record.clone() };
    let kept = Some(kept_for(record.expires_at, now));
    if !store.compare_and_set_expiring(&key, &bytes, Some(&decided), kept).await? {
        // Decided meanwhile (another tab): this decision is not the one that counts.
        return Ok(None);
    }
    store.delete(&user_code_key(&normalized)).await?;
    if let Decision::Approve { .. } = decision {
        consent::remember_approval(ctx, user_id, &record.client_id, &record.scope, &record.audience).await?;
    }
    Ok(Some(record.client_id))
}

/// RFC 8628 §3.4–3.5: a poll of the token endpoint with `device_code`, by `client`. Another
/// client's device code is refused as an unknown one, before anything is written. An approved
/// request becomes the code flow's tokens, once: marking the record redeemed is the commit point.
pub async fn poll<H: Host>(
    ctx: &Context<'_, H>,
    client: &Client,
    device_code: &str,
    requested: &Audience,
) -> Result<IssuedTokens, Refusal> {
    let store = ctx.store();
    let key = record_key(device_code);
    let Some((record, bytes)) = store.get_versioned::<DeviceRecord>(&key).await? else {
        return Err(Refusal::DeviceCodeUnknown);
    };
    if record.client_id != client.id {
        return Err(Refusal::DeviceCodeUnknown);
    }
    let now = ctx.host.now_millis();
    if let State::Redeemed { .. } = record.state {
        return Err(Refusal::DeviceCodeUsed);
    }
    if record.expires_at <= now {
        return Err(Refusal::DeviceCodeExpired);
    }
    let State::Approved { user_id, epoch, auth_time } = &record.state else {
        return Err(match record.state {
            State::Denied => Refusal::DeviceDenied,
            _ => still_pending(ctx, &key, kept_for(record.expires_at, now), now).await?,
        });
    };
    let authorization = Authorization {
        client_id: record.client_id.clone(),
        user_id: user_id.clone(),
        scope: record.scope.clone(),
        redirect_uri: String::new(),
        redirect_uri_given: false,
        code_challenge: None,
        audience: record.audience.clone(),
        nonce: None,
        auth_time: *auth_time,
    };
    let (grant, tokens) = grants::approved_grant(ctx, client, &authorization, *epoch, requested).await?;
    let redeemed = DeviceRecord { state: State::Redeemed { grant_id: grant.id.clone() }, ..record.clone() };
    let kept = Some(kept_for(record.expires_at, now));
    let won = store.compare_and_set_expiring(&key, &bytes, Some(&redeemed), kept).await?;
    grants::settle_grant(ctx, &grant, won, Refusal::DeviceCodeUsed).await?;
    Ok(tokens)
}

/// RFC 8628 §3.5, a poll while the user has not decided: `authorization_pending`, or `slow_down`
/// for one sooner than the interval after the last, which grows the interval by 5 seconds.
async fn still_pending<H: Host>(
    ctx: &Context<'_, H>,
    key: &str,
    kept: u32,
    now: i64,
) -> StoreResult<Refusal> {
    let mut answer = Refusal::AuthorizationPending;
    ctx.store()
        .update_expiring::<DeviceRecord, _>(key, kept, |record| {
            let mut record = record?;
            answer = Refusal::AuthorizationPending;
            if record.state == State::Pending {
                let since_last = record.last_poll_at.map(|last| now - last);
                if since_last.is_some_and(|ms| ms < i64::from(record.interval) * 1000) {
                    record.interval = record.interval.saturating_add(SLOW_DOWN_SECONDS);
                    answer = Refusal::SlowDown;
                }
                record.last_poll_at = Some(now);
            }
            Some(record)
        })
        .await?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_eight_consonants_shown_in_two_halves() {
        for _ in 0..200 {
            let code = new_user_code();
            let shown = code.secret();
            assert_eq!(shown.len(), 9, "{shown}");
            assert_eq!(&shown[4..5], "-");
            let normalized = normalize_user_code(shown).unwrap();
            assert!(normalized.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)));
            assert_eq!(display_user_code(&normalized), *shown);
        }
    }

    #[test]
    fn typed_user_codes_ignore_case_dashes_and_spaces() {
        for typed in ["BCDF-GHJK", "bcdf-ghjk", "BcDfGhJk", "bcdf ghjk", " B-C-D-F-G-H-J-K ", "bcdf\tghjk"] {
            assert_eq!(normalize_user_code(typed).as_deref(), Some("BCDFGHJK"), "{typed:?}");
        }
        let wrong = [
            "",
            "BCDF-GHJ",
            "BCDF-GHJKL",
            "ABCD-EFGH",
            "BCDF-GHJ0",
            "ＢCDF-GHJK",
            "BCDF_GHJK",
            "BCDF-GHJK\u{0}",
            "ß",
            &"-".repeat(100),
        ];
        for typed in wrong {
            assert_eq!(normalize_user_code(typed), None, "{typed:?}");
        }
    }
}
