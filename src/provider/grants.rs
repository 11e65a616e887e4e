//! Authorizations and their credentials: codes (RFC 6749 §4.1), access tokens and refresh tokens
//! (§4.1.4, §4.2, §6). Single use and rotation are atomic through the KV store's compare-and-set,
//! so that of two concurrent redemptions exactly one wins.
//!
//! A grant record is the source of truth: an access or refresh token is valid only while its grant
//! exists and names that token's hash as current, while the grant's app exists, and while its user
//! has not deauthorized the app since the grant was made. Revoking is therefore one write,
//! effective at once.
//!
//! An opaque token names its grant (`{grant id}{secret}`), so that using one reads the grant and
//! nothing else, and a refresh writes the grant once. JWT access tokens, and tokens issued before
//! tokens named their grant, are found through `at:` and `rt:` records pointing at the grant.

use super::clients::Client;
pub use super::grant_refusal::{Failure, Refusal};
use super::jwt_access_token;
use super::resource_indicators::Audience;
use super::signing;
use crate::context::Context;
use crate::host::{Host, User};
use crate::ids::{
    is_valid_id, new_secret, AccessToken, AuthorizationCode, ClientId, GrantId, RefreshToken, SecretHash,
    UserId, ID_LEN, SECRET_LEN,
};
use crate::store::{keys, StoreResult};
use serde::{Deserialize, Serialize};

/// RFC 6749 §4.1.2 recommends at most 10 minutes; Mattermost's `AuthCodeExpireTime` is 600 s.
pub const CODE_LIFETIME_SECONDS: u32 = 600;
/// How long a rotated refresh token is remembered, to detect its reuse.
pub const ROTATED_REFRESH_MEMORY_SECONDS: u32 = 30 * 24 * 3600;

/// What the user approved, on its way to a code or a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorization {
    pub client_id: ClientId,
    pub user_id: UserId,
    pub scope: String,
    pub redirect_uri: String,
    /// RFC 6749 §4.1.3: the token request must repeat `redirect_uri` only if the authorization
    /// request had it.
    pub redirect_uri_given: bool,
    pub code_challenge: Option<String>,
    /// RFC 8707: the resources the request named (none: the chat API's alone).
    #[serde(default)]
    pub audience: Audience,
    /// OpenID Connect Core §3.1.2.1: returned in the ID token of the code exchange.
    #[serde(default)]
    pub nonce: Option<String>,
    /// When the user's session authenticated (ms), for the ID token's `auth_time`.
    #[serde(default)]
    pub auth_time: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CodeRecord {
    /// The user's deauthorization count for the client when the code was made.
    #[serde(default)]
    epoch: u64,
    v: u32,
    authorization: Authorization,
    issued_at: i64,
    expires_at: i64,
    /// The grant this code was exchanged for; a second exchange revokes it (RFC 6749 §4.1.2).
    redeemed_by: Option<GrantId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub v: u32,
    pub id: GrantId,
    pub client_id: ClientId,
    pub user_id: UserId,
    pub scope: String,
    /// What the user approved (RFC 8707): each access token's audience lies within it.
    #[serde(default)]
    pub audience: Audience,
    /// The current access token's audience (RFC 8707 §2.2: a token request may narrow it).
    #[serde(default)]
    pub access_audience: Audience,
    pub created_at: i64,
    pub access_hash: SecretHash,
    pub access_expires_at: i64,
    /// Whether the current access token has an `at:` record: a JWT, whose text cannot name the
    /// grant, or a token of a grant made before tokens named theirs.
    #[serde(default = "had_records")]
    pub access_record: bool,
    pub refresh_hash: Option<SecretHash>,
    /// The latest refresh tokens rotated away from, so that one presented again is known for a
    /// replay (RFC 9700 §4.14.2) rather than taken for a guess at the grant's id.
    #[serde(default)]
    pub rotated_refresh: Vec<SecretHash>,
    /// The user's deauthorization count for the client when the grant was made.
    #[serde(default)]
    pub epoch: u64,
    /// When the user's session authenticated (ms), for the ID tokens of refreshes.
    #[serde(default)]
    pub auth_time: Option<i64>,
}

/// Grants made before tokens named their grant had token records.
fn had_records() -> bool {
    true
}

/// How many rotated refresh tokens a grant remembers.
const ROTATED_REFRESH_REMEMBERED: usize = 8;

/// An opaque token names its grant, `{grant id}{secret}`, so that it is found with one read. Only
/// the hash of the whole is stored: the id alone opens nothing.
fn token_text(grant_id: &GrantId, secret: &str) -> String {
    format!("{}{secret}", grant_id.as_str())
}

/// The grant a token names, if it has that shape (JWTs, and tokens from before, have not).
fn named_grant(token: &str) -> Option<GrantId> {
    let (id, secret) = token.split_at_checked(ID_LEN)?;
    let base64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    (is_valid_id(id) && secret.len() == SECRET_LEN && secret.bytes().all(base64url)).then(|| GrantId::new(id))
}

/// The grant `token` belongs to: the one it names, or the one its record under `record_key`
/// points at (`Some(true)` when found that way).
pub(super) async fn grant_of<H: Host>(
    ctx: &Context<'_, H>,
    token: &str,
    record_key: impl FnOnce(&SecretHash) -> String,
) -> StoreResult<Option<(GrantId, bool)>> {
    if let Some(grant_id) = named_grant(token) {
        return Ok(Some((grant_id, false)));
    }
    let record = ctx.store().get::<TokenRecord>(&record_key(&SecretHash::of(token))).await?;
    Ok(record.map(|r| (r.grant_id, true)))
}

/// Where a code exchange finds the code (RFC 6749 §4.1.3), for reading it ahead.
pub fn code_record_key(code: &str) -> String {
    keys::code(&SecretHash::of(code))
}

/// Where a refresh finds its grant (RFC 6749 §6), for reading it ahead: known from the token
/// alone when it names its grant.
pub fn refresh_record_key(refresh_token: &str) -> Option<String> {
    named_grant(refresh_token).map(|grant_id| keys::grant(&grant_id))
}

/// `at:{hash}` and `rt:{hash}`: which grant a token belongs to, for tokens that do not name it.
#[derive(Debug, Serialize, Deserialize)]
struct TokenRecord {
    v: u32,
    grant_id: GrantId,
}

/// The tokens handed to a client (RFC 6749 §5.1).
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: AccessToken,
    pub expires_in: i64,
    pub refresh_token: Option<RefreshToken>,
    pub scope: String,
    pub subject: Subject,
}

/// Whom and what the tokens are for, as an ID token tells it (OpenID Connect Core §2).
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub user_id: UserId,
    pub client_id: ClientId,
    /// When the user's session authenticated (ms).
    pub auth_time: Option<i64>,
    /// Only for the code exchange: a refresh's ID token has none (Core §12.2).
    pub nonce: Option<String>,
}

/// How often a user deauthorized a client: codes and grants made under an earlier count are void.
/// A counter rather than a time, so that clocks (of several server nodes) cannot blur the line.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Deauthorizations {
    v: u32,
    epoch: u64,
}

pub fn access_lifetime_seconds<H: Host>(ctx: &Context<'_, H>) -> i64 {
    i64::from(ctx.config.service_settings.session_length_sso_in_hours.max(1)) * 3600
}

/// RFC 6749 §4.1.2: a new single-use code for `authorization`.
pub async fn issue_code<H: Host>(
    ctx: &Context<'_, H>,
    authorization: Authorization,
) -> Result<AuthorizationCode, Refusal> {
    let code = AuthorizationCode::new(new_secret());
    let now = ctx.host.now_millis();
    let record = CodeRecord {
        v: 1,
        epoch: current_epoch(ctx, &authorization.user_id, &authorization.client_id).await?,
        authorization,
        issued_at: now,
        expires_at: now + i64::from(CODE_LIFETIME_SECONDS) * 1000,
        redeemed_by: None,
    };
    let stored = ctx
        .store()
        .insert_expiring(&keys::code(&SecretHash::of(code.secret())), &record, Some(CODE_LIFETIME_SECONDS))
        .await?;
    if !stored {
        return Err(Failure::KeyTaken("a new authorization code's key was taken").into());
    }
    Ok(code)
}

/// What the token request presents with the code (RFC 6749 §4.1.3, RFC 7636 §4.5).
pub struct CodeExchange<'a> {
    pub code: &'a str,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
    /// RFC 8707 §2.2: the resources the token is asked for (none: all the authorization named).
    pub audience: &'a Audience,
}

/// RFC 6749 §4.1.3: exchanges a code for tokens, once.
pub async fn redeem_code<H: Host>(
    ctx: &Context<'_, H>,
    client: &Client,
    exchange: &CodeExchange<'_>,
) -> Result<IssuedTokens, Refusal> {
    let store = ctx.store();
    let key = code_record_key(exchange.code);
    let Some((record, bytes)) = store.get_versioned::<CodeRecord>(&key).await? else {
        return Err(Refusal::CodeUnknown);
    };
    // RFC 6749 §4.1.3: the code must have been issued to this client. Checked before anything
    // else, so that another client presenting a code (stolen, or guessed from a log) learns
    // nothing and changes nothing.
    if record.authorization.client_id != client.id {
        return Err(Refusal::CodeUnknown);
    }
    if let Some(grant_id) = &record.redeemed_by {
        // RFC 6749 §4.1.2: a code used twice revokes what its first use issued.
        revoke_grant(ctx, grant_id).await?;
        return Err(Refusal::CodeReused);
    }
    check_exchange(ctx, &record, exchange).await?;
    let (grant, tokens) =
        approved_grant(ctx, client, &record.authorization, record.epoch, exchange.audience).await?;
    // Marking the code used is the commit point: of concurrent exchanges exactly one gets here.
    let redeemed = CodeRecord { redeemed_by: Some(grant.id.clone()), ..record.clone() };
    let remaining =
        ((record.expires_at - ctx.host.now_millis()) / 1000).clamp(1, i64::from(CODE_LIFETIME_SECONDS));
    let won = store.compare_and_set_expiring(&key, &bytes, Some(&redeemed), Some(remaining as u32)).await?;
    settle_grant(ctx, &grant, won, Refusal::CodeRaced).await?;
    Ok(tokens)
}

/// The grant, not yet in force, that an authorization the user approved (a code's, RFC 6749
/// §4.1.3; a device code's, RFC 8628 §3.5) becomes at the token endpoint: for an active user,
/// under the deauthorization count it was approved under (`epoch`), with an access token for
/// `requested` within what was approved (RFC 8707 §2.2). The caller then marks its credential used,
/// the commit point, and [`settle_grant`]s by the outcome.
pub async fn approved_grant<H: Host>(
    ctx: &Context<'_, H>,
    client: &Client,
    authorization: &Authorization,
    epoch: u64,
    requested: &Audience,
) -> Result<(Grant, IssuedTokens), Refusal> {
    // One round trip for the deauthorization count and the user's authorized apps, which
    // `remember_grant` reads once the credential is redeemed.
    let user_apps = keys::user_apps(&authorization.user_id);
    ctx.store().read_ahead(&[keys::deauthorizations(&authorization.user_id, &client.id), user_apps]).await?;
    check_user(ctx, &authorization.user_id).await?;
    // A deauthorization racing this exchange never leaves a working grant. The grant carries the
    // count the authorization was made under (`epoch`), not the one read here, and the count only
    // grows: once a deauthorization has added one, every use of the grant (`live_grant`, a
    // refresh) finds the counts differ, whatever this check saw. The check only refuses early what
    // would be void anyway, so reading the count a moment early weakens nothing; nor does reading
    // the list early: one that names the app needs no write, and one that does not is written by
    // compare-and-set against what was read.
    if current_epoch(ctx, &authorization.user_id, &client.id).await? != epoch {
        return Err(Refusal::Deauthorized);
    }
    let access_audience = token_audience(ctx, &authorization.audience, requested)?;
    new_grant(ctx, authorization, access_audience, epoch, client.gets_refresh_tokens()).await
}

/// After the commit point of an [`approved_grant`]: the winner's grant joins the user's authorized
/// apps; a loser's is removed, and the loser is refused with `lost`.
pub async fn settle_grant<H: Host>(
    ctx: &Context<'_, H>,
    grant: &Grant,
    won: bool,
    lost: Refusal,
) -> Result<(), Refusal> {
    if !won {
        discard_grant(ctx, grant).await?;
        return Err(lost);
    }
    remember_grant(ctx, grant).await?;
    Ok(())
}

async fn check_exchange<H: Host>(
    ctx: &Context<'_, H>,
    record: &CodeRecord,
    exchange: &CodeExchange<'_>,
) -> Result<(), Refusal> {
    let authorization = &record.authorization;
    if record.expires_at <= ctx.host.now_millis() {
        return Err(Refusal::CodeExpired);
    }
    match exchange.redirect_uri {
        Some(uri) if uri != authorization.redirect_uri => {
            return Err(Refusal::RedirectUriMismatch);
        }
        None if authorization.redirect_uri_given => {
            return Err(Refusal::RedirectUriMissing);
        }
        _ => {}
    }
    match (&authorization.code_challenge, exchange.code_verifier) {
        (Some(challenge), Some(verifier)) if super::pkce::verifier_matches(verifier, challenge) => {}
        (Some(_), Some(_)) => return Err(Refusal::VerifierMismatch),
        (Some(_), None) => return Err(Refusal::VerifierMissing),
        (None, Some(_)) => return Err(Refusal::VerifierUnexpected),
        (None, None) => {}
    }
    Ok(())
}

/// RFC 8707 §2.2: the audience of a new access token, within what was granted.
fn token_audience<H: Host>(
    ctx: &Context<'_, H>,
    granted: &Audience,
    requested: &Audience,
) -> Result<Audience, Refusal> {
    granted.narrowed_to(requested, ctx.config.issuer()).ok_or(Refusal::TargetNotGranted)
}

/// The user, unless deactivated or deleted.
pub(super) async fn active_user<H: Host>(
    ctx: &Context<'_, H>,
    user_id: &UserId,
) -> Result<Option<User>, Failure> {
    let user = ctx.host.get_user(user_id.as_str()).await.map_err(Failure::UserLookup)?;
    Ok(user.filter(User::is_active))
}

/// Deactivated and deleted users get nothing.
async fn check_user<H: Host>(ctx: &Context<'_, H>, user_id: &UserId) -> Result<(), Refusal> {
    match active_user(ctx, user_id).await? {
        Some(_) => Ok(()),
        None => Err(Refusal::UserInactive),
    }
}

/// RFC 6749 §4.2.2: the implicit grant's access token (never a refresh token).
pub async fn issue_implicit<H: Host>(
    ctx: &Context<'_, H>,
    authorization: &Authorization,
) -> Result<IssuedTokens, Refusal> {
    let epoch = current_epoch(ctx, &authorization.user_id, &authorization.client_id).await?;
    let (grant, tokens) = new_grant(ctx, authorization, authorization.audience.clone(), epoch, false).await?;
    remember_grant(ctx, &grant).await?;
    Ok(tokens)
}

/// Writes a grant with fresh tokens: the token records first, the grant last (until the grant
/// exists, the tokens are not valid).
async fn new_grant<H: Host>(
    ctx: &Context<'_, H>,
    authorization: &Authorization,
    access_audience: Audience,
    epoch: u64,
    with_refresh: bool,
) -> Result<(Grant, IssuedTokens), Refusal> {
    let now = ctx.host.now_millis();
    let grant_id = GrantId::random();
    let subject = Subject {
        user_id: authorization.user_id.clone(),
        client_id: authorization.client_id.clone(),
        auth_time: authorization.auth_time,
        nonce: authorization.nonce.clone(),
    };
    let written =
        write_tokens(ctx, &grant_id, &authorization.scope, &access_audience, with_refresh, subject).await?;
    let tokens = written.tokens;
    let grant = Grant {
        v: 1,
        id: grant_id,
        client_id: authorization.client_id.clone(),
        user_id: authorization.user_id.clone(),
        scope: authorization.scope.clone(),
        audience: authorization.audience.clone(),
        access_audience,
        created_at: now,
        access_hash: written.access_hash,
        access_expires_at: now + tokens.expires_in * 1000,
        access_record: written.access_record,
        refresh_hash: tokens.refresh_token.as_ref().map(|t| SecretHash::of(t.secret())),
        rotated_refresh: Vec::new(),
        epoch,
        auth_time: authorization.auth_time,
    };
    // Without a refresh token the grant is worth nothing once its access token expires.
    let expiry = if with_refresh { None } else { u32::try_from(tokens.expires_in).ok() };
    if !ctx.store().insert_expiring(&keys::grant(&grant.id), &grant, expiry).await? {
        return Err(Failure::KeyTaken("a new grant's key was taken").into());
    }
    Ok((grant, tokens))
}

/// New tokens of the grant `grant_id`.
struct Written {
    tokens: IssuedTokens,
    access_hash: SecretHash,
    /// Whether the access token has an `at:` record (a JWT does).
    access_record: bool,
}

/// New access (and refresh) tokens for `grant_id`: opaque ones name it, so only a JWT needs a
/// record pointing at it.
async fn write_tokens<H: Host>(
    ctx: &Context<'_, H>,
    grant_id: &GrantId,
    scope: &str,
    audience: &Audience,
    with_refresh: bool,
    subject: Subject,
) -> Result<Written, Refusal> {
    let (access_token, lifetime, access_record) =
        new_access_token(ctx, grant_id, scope, audience, &subject).await?;
    let access_hash = SecretHash::of(access_token.secret());
    if access_record {
        let record = TokenRecord { v: 1, grant_id: grant_id.clone() };
        let ttl = Some(lifetime.min(u32::MAX as i64) as u32);
        ctx.store().put(&keys::access_token(&access_hash), &record, ttl).await?;
    }
    let refresh_token = with_refresh.then(|| RefreshToken::new(token_text(grant_id, &new_secret())));
    let tokens =
        IssuedTokens { access_token, expires_in: lifetime, refresh_token, scope: scope.to_owned(), subject };
    Ok(Written { tokens, access_hash, access_record })
}

/// An opaque access token, or for a resource that validates tokens itself a JWT (RFC 9068),
/// which lives no longer than any signed token; with its lifetime in seconds, and whether it
/// needs a record to find its grant (a JWT does).
async fn new_access_token<H: Host>(
    ctx: &Context<'_, H>,
    grant_id: &GrantId,
    scope: &str,
    audience: &Audience,
    subject: &Subject,
) -> Result<(AccessToken, i64, bool), Failure> {
    let lifetime = access_lifetime_seconds(ctx);
    let secret = new_secret();
    if !jwt_access_token::wanted(ctx, audience).await? {
        return Ok((AccessToken::new(token_text(grant_id, &secret)), lifetime, false));
    }
    let lifetime = lifetime.min(signing::SIGNED_TOKEN_LIFETIME_SECONDS);
    let grant = jwt_access_token::Grant {
        jti: &secret,
        aud: audience,
        sub: &subject.user_id,
        client_id: &subject.client_id,
        scope,
        auth_time: subject.auth_time,
    };
    let jwt = jwt_access_token::mint(ctx, grant, lifetime).await;
    Ok((AccessToken::new(jwt.map_err(Failure::Signing)?), lifetime, true))
}

/// RFC 6749 §6: a new access token and a new refresh token for a valid refresh token; the old
/// pair stops working at once. A refresh token presented again after its rotation revokes the
/// whole grant (reuse detection, RFC 9700 §4.14.2).
pub async fn refresh<H: Host>(
    ctx: &Context<'_, H>,
    client: &Client,
    refresh_token: &str,
    requested: &Audience,
) -> Result<IssuedTokens, Refusal> {
    let store = ctx.store();
    let refresh_hash = SecretHash::of(refresh_token);
    let Some((grant_id, has_record)) = grant_of(ctx, refresh_token, keys::refresh_token).await? else {
        return Err(Refusal::RefreshUnknown);
    };
    let grant_key = keys::grant(&grant_id);
    let Some((grant, bytes)) = store.get_versioned::<Grant>(&grant_key).await? else {
        return Err(Refusal::RefreshRevoked);
    };
    if grant.client_id != client.id {
        return Err(Refusal::RefreshOtherClient);
    }
    if grant.refresh_hash.as_ref() != Some(&refresh_hash) {
        // Records are made for issued tokens only; a token that merely names the grant may be a
        // guess, which must not end the grant for its rightful holder.
        if !has_record && !grant.rotated_refresh.contains(&refresh_hash) {
            return Err(Refusal::RefreshUnknown);
        }
        revoke_grant(ctx, &grant.id).await?;
        return Err(Refusal::RefreshReused);
    }
    if current_epoch(ctx, &grant.user_id, &grant.client_id).await? != grant.epoch {
        revoke_grant(ctx, &grant.id).await?;
        return Err(Refusal::Deauthorized);
    }
    check_user(ctx, &grant.user_id).await?;
    // RFC 8707 §2.2: a refresh may narrow the audience, never widen it past the grant's.
    let access_audience = token_audience(ctx, &grant.audience, requested)?;
    let subject = Subject {
        user_id: grant.user_id.clone(),
        client_id: grant.client_id.clone(),
        auth_time: grant.auth_time,
        nonce: None,
    };
    let written = write_tokens(ctx, &grant.id, &grant.scope, &access_audience, true, subject).await?;
    let mut rotated_refresh = grant.rotated_refresh.clone();
    rotated_refresh.push(refresh_hash.clone());
    let forgotten = rotated_refresh.len().saturating_sub(ROTATED_REFRESH_REMEMBERED);
    rotated_refresh.drain(..forgotten);
    let rotated = Grant {
        access_hash: written.access_hash,
        access_audience,
        access_expires_at: ctx.host.now_millis() + written.tokens.expires_in * 1000,
        access_record: written.access_record,
        refresh_hash: written.tokens.refresh_token.as_ref().map(|t| SecretHash::of(t.secret())),
        rotated_refresh,
        ..grant.clone()
    };
    if !store.compare_and_set(&grant_key, &bytes, Some(&rotated)).await? {
        return Err(Refusal::RefreshRaced);
    }
    if has_record {
        // A record of a token from before: kept a while, so that its reuse is recognised.
        let record = TokenRecord { v: 1, grant_id };
        store.put(&keys::refresh_token(&refresh_hash), &record, Some(ROTATED_REFRESH_MEMORY_SECONDS)).await?;
    }
    if grant.access_record {
        store.delete(&keys::access_token(&grant.access_hash)).await?;
    }
    Ok(written.tokens)
}

/// The grant, unless it is gone or its user deauthorized the client since (then it goes now).
/// `next` names a record the caller reads next, if any, to read with the deauthorization count.
pub(super) async fn live_grant<H: Host>(
    ctx: &Context<'_, H>,
    grant_id: &GrantId,
    next: impl FnOnce(&Grant) -> Option<String>,
) -> Result<Option<Grant>, Failure> {
    let store = ctx.store();
    let Some(grant) = store.get::<Grant>(&keys::grant(grant_id)).await? else {
        return Ok(None);
    };
    if let Some(next) = next(&grant) {
        store.read_ahead(&[keys::deauthorizations(&grant.user_id, &grant.client_id), next]).await?;
    }
    if current_epoch(ctx, &grant.user_id, &grant.client_id).await? != grant.epoch {
        revoke_grant(ctx, grant_id).await?;
        return Ok(None);
    }
    Ok(Some(grant))
}

/// Removes a grant that lost a race, with its token record.
async fn discard_grant<H: Host>(ctx: &Context<'_, H>, grant: &Grant) -> StoreResult<()> {
    let store = ctx.store();
    store.delete(&keys::grant(&grant.id)).await?;
    if grant.access_record {
        store.delete(&keys::access_token(&grant.access_hash)).await?;
    }
    Ok(())
}

/// Ends a grant: its access and refresh tokens stop working at once.
pub async fn revoke_grant<H: Host>(ctx: &Context<'_, H>, grant_id: &GrantId) -> StoreResult<()> {
    ctx.store().delete(&keys::grant(grant_id)).await?;
    Ok(())
}

/// Ends only the access token of a grant (RFC 7009 §2.1); its refresh token goes on working.
pub async fn revoke_access_token<H: Host>(ctx: &Context<'_, H>, grant: &Grant) -> StoreResult<()> {
    let store = ctx.store();
    store
        .update::<Grant, _>(&keys::grant(&grant.id), |current| {
            current.map(|g| {
                if g.access_hash == grant.access_hash {
                    Grant { access_hash: SecretHash::default(), ..g }
                } else {
                    g
                }
            })
        })
        .await?;
    if grant.access_record {
        store.delete(&keys::access_token(&grant.access_hash)).await?;
    }
    Ok(())
}

/// Adds the client to the user's authorized apps (`consent::authorized_apps` lists them).
async fn remember_grant<H: Host>(ctx: &Context<'_, H>, grant: &Grant) -> StoreResult<()> {
    add_authorized_app(ctx, &grant.user_id, &grant.client_id).await
}

pub async fn add_authorized_app<H: Host>(
    ctx: &Context<'_, H>,
    user_id: &UserId,
    client_id: &ClientId,
) -> StoreResult<()> {
    ctx.store().add_id(&keys::user_apps(user_id), client_id.as_str()).await?;
    Ok(())
}

/// How often `user_id` deauthorized `client_id` so far.
pub(super) async fn current_epoch<H: Host>(
    ctx: &Context<'_, H>,
    user_id: &UserId,
    client_id: &ClientId,
) -> StoreResult<u64> {
    let record = ctx.store().get::<Deauthorizations>(&keys::deauthorizations(user_id, client_id)).await?;
    Ok(record.map_or(0, |r| r.epoch))
}

/// Voids every grant and every outstanding code of `user_id` for `client_id`, at once: one counter,
/// checked wherever a code or token is used, so that no list of grants needs keeping.
pub async fn revoke_user_client<H: Host>(
    ctx: &Context<'_, H>,
    user_id: &UserId,
    client_id: &ClientId,
) -> StoreResult<()> {
    ctx.store()
        .update::<Deauthorizations, _>(&keys::deauthorizations(user_id, client_id), |record| {
            let record = record.unwrap_or_default();
            Some(Deauthorizations { v: 1, epoch: record.epoch + 1 })
        })
        .await?;
    Ok(())
}
