//! OpenID Connect's `prompt` and `max_age` (Core §3.1.2.1): whether the user must log in again,
//! whether consent is asked even when remembered, and whether no page may be shown at all.
//!
//! A login asked again must not loop: the login page makes a fresh session, and the URL it returns
//! to carries the time the login was asked ([`LOGIN_AFTER`]); a session made after it passes. A
//! session older than that after the login (the login page kept the old one) is `login_required`
//! rather than another login.

use super::oauth_error::OAuthError;

/// The query parameter, added to the URL a login returns to, with the time (ms) the login was asked.
pub const LOGIN_AFTER: &str = "login_after";

/// The `prompt` values this server honours (Core §3.1.2.1), as its metadata advertises them.
pub const SUPPORTED: [&str; 3] = ["none", "login", "consent"];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prompt {
    /// Show no page: answer at once or with an error.
    pub none: bool,
    pub login: bool,
    pub consent: bool,
}

/// `prompt`: space-separated values; `none` stands alone (Core §3.1.2.1).
pub fn parse(prompt: &str) -> Result<Prompt, OAuthError> {
    let mut parsed = Prompt::default();
    let values: Vec<&str> = prompt.split(' ').filter(|v| !v.is_empty()).collect();
    for value in &values {
        match *value {
            "none" => parsed.none = true,
            "login" => parsed.login = true,
            "consent" => parsed.consent = true,
            other => {
                return Err(OAuthError::invalid_request(format!(
                    "prompt value {:?} is not supported; use none, login or consent.",
                    other.chars().take(32).collect::<String>()
                )))
            }
        }
    }
    if parsed.none && values.len() > 1 {
        return Err(OAuthError::invalid_request("prompt=none cannot be combined with other values."));
    }
    Ok(parsed)
}

/// `max_age` in seconds: absent, or a non-negative integer.
pub fn parse_max_age(max_age: &str) -> Result<Option<i64>, OAuthError> {
    if max_age.is_empty() {
        return Ok(None);
    }
    match max_age.parse::<u32>() {
        Ok(seconds) => Ok(Some(i64::from(seconds))),
        Err(_) => Err(OAuthError::invalid_request("max_age must be a non-negative number of seconds.")),
    }
}

/// What the session the request came with is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Session {
    /// Recent enough.
    Fresh,
    /// The user must log in again.
    Stale,
    /// A login was asked and the session is still older than it: do not ask again.
    StillStale,
}

/// The inputs: when the session logged in, when a login was asked (from the return URL), now (ms).
pub fn session(
    prompt: Prompt,
    max_age: Option<i64>,
    created_at: Option<i64>,
    login_after: Option<i64>,
    now: i64,
) -> Session {
    let created_at = created_at.unwrap_or(0);
    if let Some(asked) = login_after {
        // Only a login asked here, in the past: a time in the future would hold the user forever.
        if asked <= now && (prompt.login || max_age.is_some()) {
            return if created_at >= asked { Session::Fresh } else { Session::StillStale };
        }
    }
    let too_old = max_age.is_some_and(|seconds| now - created_at > seconds * 1000);
    if prompt.login || too_old {
        Session::Stale
    } else {
        Session::Fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(parse("").unwrap(), Prompt::default());
        assert!(parse("login consent").unwrap().consent);
        assert!(parse("none login").is_err());
        assert!(parse("select_account").is_err());
        assert_eq!(parse_max_age("0").unwrap(), Some(0));
        assert!(parse_max_age("-1").is_err() && parse_max_age("1e3").is_err());
    }

    #[test]
    fn sessions() {
        let login = Prompt { login: true, ..Prompt::default() };
        let none = Prompt::default();
        assert_eq!(session(none, None, Some(1), None, 10_000), Session::Fresh);
        assert_eq!(session(login, None, Some(1), None, 10_000), Session::Stale);
        assert_eq!(session(login, None, Some(5_000), Some(4_000), 10_000), Session::Fresh);
        assert_eq!(session(login, None, Some(1), Some(4_000), 10_000), Session::StillStale);
        assert_eq!(session(login, None, Some(1), Some(20_000), 10_000), Session::Stale, "future marker");
        assert_eq!(session(none, Some(5), Some(1_000), None, 10_000), Session::Stale);
        assert_eq!(session(none, Some(9), Some(1_000), None, 10_000), Session::Fresh);
    }
}
