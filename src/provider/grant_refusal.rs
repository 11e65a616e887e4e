//! Why a code, a device code or a refresh token was not honoured, or what failed inside while codes and tokens
//! were checked or made ([`super::grants`] returns these).

use super::signing::SigningError;
use crate::host::HostError;
use crate::store::StoreError;
use std::fmt;

/// Why a code or a refresh token was not honoured (RFC 6749 §5.2 `invalid_grant`, but for a
/// missing `redirect_uri`), or what failed inside.
#[derive(Debug)]
pub enum Refusal {
    /// Unknown, expired and gone, or issued to another client: the client learns nothing more.
    CodeUnknown,
    /// Used before: what its first use issued is revoked now (RFC 6749 §4.1.2).
    CodeReused,
    CodeExpired,
    /// A concurrent exchange of the same code won.
    CodeRaced,
    RedirectUriMismatch,
    /// The authorization request had `redirect_uri`, so the token request must repeat it.
    RedirectUriMissing,
    VerifierMismatch,
    VerifierMissing,
    /// A verifier for a code issued without a challenge (a PKCE downgrade).
    VerifierUnexpected,
    /// The user deauthorized the app since.
    Deauthorized,
    UserInactive,
    RefreshUnknown,
    RefreshRevoked,
    RefreshOtherClient,
    /// Used after its rotation: the grant is revoked (RFC 9700 §4.14.2).
    RefreshReused,
    RefreshRaced,
    /// The token request named a resource the grant does not cover (RFC 8707 §2.2).
    TargetNotGranted,
    /// RFC 8628 §3.5: unknown, gone, or issued to another client (who learns nothing more).
    DeviceCodeUnknown,
    /// Exchanged for tokens before (or by a concurrent poll).
    DeviceCodeUsed,
    /// RFC 8628 §3.5 `authorization_pending`.
    AuthorizationPending,
    /// RFC 8628 §3.5 `slow_down`: the interval grew by 5 seconds.
    SlowDown,
    /// RFC 8628 §3.5 `access_denied`.
    DeviceDenied,
    /// RFC 8628 §3.5 `expired_token`.
    DeviceCodeExpired,
    Failed(Failure),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::CodeUnknown => "The authorization code is invalid or has expired.",
            Refusal::CodeReused => {
                "The authorization code was already used; the tokens issued for it are revoked."
            }
            Refusal::CodeExpired => "The authorization code has expired.",
            Refusal::CodeRaced => "The authorization code was already used.",
            Refusal::RedirectUriMismatch => "redirect_uri does not match the authorization request.",
            Refusal::RedirectUriMissing => "redirect_uri is required: the authorization request had it.",
            Refusal::VerifierMismatch => "code_verifier does not match the code_challenge.",
            Refusal::VerifierMissing => "code_verifier is required for this code.",
            Refusal::VerifierUnexpected => {
                "code_verifier was sent for a code issued without a code_challenge."
            }
            Refusal::Deauthorized => "The user revoked this app's access.",
            Refusal::UserInactive => "The user is deactivated or deleted.",
            Refusal::RefreshUnknown => "The refresh token is invalid.",
            Refusal::RefreshRevoked => "The refresh token was revoked.",
            Refusal::RefreshOtherClient => "The refresh token was issued to another client.",
            Refusal::RefreshReused => "The refresh token was already used; the grant is revoked.",
            Refusal::RefreshRaced => "The refresh token was used concurrently.",
            Refusal::TargetNotGranted => "resource names a resource the authorization did not grant.",
            Refusal::DeviceCodeUnknown => "The device code is invalid.",
            Refusal::DeviceCodeUsed => "The device code was already exchanged for tokens.",
            Refusal::AuthorizationPending => "The user has not yet approved or denied the request.",
            Refusal::SlowDown => "Polling too fast: wait 5 seconds more between requests from now on.",
            Refusal::DeviceDenied => "The user denied the request.",
            Refusal::DeviceCodeExpired => "The device code has expired; start again.",
            Refusal::Failed(failure) => return failure.fmt(f),
        })
    }
}

/// What failed inside while codes and tokens were checked or made: never the client's fault.
#[derive(Debug)]
pub enum Failure {
    Storage(StoreError),
    /// The host could not say whether the user is active.
    UserLookup(HostError),
    /// A freshly made random key was taken (never in practice).
    KeyTaken(&'static str),
    /// A JWT access token could not be signed.
    Signing(SigningError),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Storage(error) => error.fmt(f),
            Failure::UserLookup(error) => write!(f, "looking up the user failed: {error}"),
            Failure::KeyTaken(what) => f.write_str(what),
            Failure::Signing(error) => error.fmt(f),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Failure::Storage(error)
    }
}

impl From<Failure> for Refusal {
    fn from(failure: Failure) -> Self {
        Refusal::Failed(failure)
    }
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        Refusal::Failed(Failure::Storage(error))
    }
}
