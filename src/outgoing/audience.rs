//! Audience URLs: which outgoing requests a connection's token goes with. An audience is an exact
//! URL, or a prefix when it ends with `*`. URLs are compared in their normalized form (scheme and
//! host in lower case, default port and fragment dropped, an empty path as `/`), so that spelling
//! differences do not decide where a credential goes.

use crate::config::is_http_url;
use std::cmp::Ordering;
use std::fmt;
use url::Url;

/// Why a text is not an audience URL (each names the text as it was given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudienceError {
    StarNotAtEnd(String),
    Fragment(String),
    NotHttpUrl(String),
    Credentials(String),
    TooLong(String),
}

impl fmt::Display for AudienceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AudienceError::StarNotAtEnd(raw) => write!(f, "{raw:?}: `*` may only end an audience URL"),
            AudienceError::Fragment(raw) => write!(f, "{raw:?}: an audience URL has no fragment"),
            AudienceError::NotHttpUrl(raw) => write!(f, "{raw:?} is not a valid http(s) URL"),
            AudienceError::Credentials(raw) => {
                write!(f, "{raw:?}: an audience URL has no user name or password")
            }
            AudienceError::TooLong(raw) => write!(f, "{raw:?} is longer than 1024 characters"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// The URL itself, with or without a query string of its own.
    Exact(String),
    /// Every URL that starts with this.
    Prefix(String),
}

/// How well an audience matches a URL: exact beats prefix; among prefixes the longest wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rank {
    exact: bool,
    length: usize,
}

/// The normalized form of an http(s) URL, without its fragment.
pub fn normalize(url: &str) -> Option<String> {
    if !is_http_url(url) {
        return None;
    }
    let mut parsed = Url::parse(url).ok()?;
    parsed.set_fragment(None);
    Some(parsed.into())
}

impl Audience {
    pub fn parse(raw: &str) -> Result<Audience, AudienceError> {
        let (base, is_prefix) = match raw.strip_suffix('*') {
            Some(base) => (base, true),
            None => (raw, false),
        };
        if base.contains('*') {
            return Err(AudienceError::StarNotAtEnd(raw.to_owned()));
        }
        if base.contains('#') {
            return Err(AudienceError::Fragment(raw.to_owned()));
        }
        let normalized = normalize(base).ok_or_else(|| AudienceError::NotHttpUrl(raw.to_owned()))?;
        if Url::parse(base).is_ok_and(|u| !u.username().is_empty() || u.password().is_some()) {
            return Err(AudienceError::Credentials(raw.to_owned()));
        }
        Ok(if is_prefix { Audience::Prefix(normalized) } else { Audience::Exact(normalized) })
    }

    /// The canonical text, `*` included for a prefix: two audiences with the same key are the same.
    pub fn key(&self) -> String {
        match self {
            Audience::Exact(url) => url.clone(),
            Audience::Prefix(prefix) => format!("{prefix}*"),
        }
    }

    /// How this audience matches `url` (already normalized), if it does.
    pub fn rank(&self, url: &str) -> Option<Rank> {
        match self {
            Audience::Exact(exact) => {
                let rest = url.strip_prefix(exact.as_str())?;
                (rest.is_empty() || (rest.starts_with('?') && !exact.contains('?')))
                    .then_some(Rank { exact: true, length: exact.len() })
            }
            Audience::Prefix(prefix) => {
                url.starts_with(prefix.as_str()).then_some(Rank { exact: false, length: prefix.len() })
            }
        }
    }
}

/// The best of `candidates` for `url`, by [`Rank`]; ties go to the earlier candidate.
pub fn best<'a, T>(url: &str, candidates: impl IntoIterator<Item = (&'a Audience, T)>) -> Option<T> {
    let mut best: Option<(Rank, T)> = None;
    for (audience, item) in candidates {
        if let Some(rank) = audience.rank(url) {
            if best.as_ref().is_none_or(|(top, _)| rank.cmp(top) == Ordering::Greater) {
                best = Some((rank, item));
            }
        }
    }
    best.map(|(_, item)| item)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick<'a>(url: &str, audiences: &'a [&'a str]) -> Option<&'a str> {
        let parsed: Vec<(Audience, &str)> =
            audiences.iter().map(|a| (Audience::parse(a).unwrap(), *a)).collect();
        best(&normalize(url).unwrap(), parsed.iter().map(|(a, raw)| (a, *raw)))
    }

    #[test]
    fn exact_matches_the_url_and_its_query_strings() {
        let audiences = ["https://api.example.com/hook"];
        assert_eq!(pick("https://api.example.com/hook", &audiences), Some(audiences[0]));
        assert_eq!(pick("https://API.example.com:443/hook", &audiences), Some(audiences[0]));
        assert_eq!(pick("https://api.example.com/hook?team=a", &audiences), Some(audiences[0]));
        assert_eq!(pick("https://api.example.com/hook#x", &audiences), Some(audiences[0]));
        assert_eq!(
            pick("https://api.example.com/hook/", &audiences),
            None,
            "a trailing slash is another URL"
        );
        assert_eq!(pick("https://api.example.com/hooks", &audiences), None);
        assert_eq!(pick("http://api.example.com/hook", &audiences), None, "another scheme");
    }

    #[test]
    fn an_exact_audience_with_a_query_matches_only_that_query() {
        let audiences = ["https://api.example.com/hook?v=1"];
        assert!(pick("https://api.example.com/hook?v=1", &audiences).is_some());
        assert!(pick("https://api.example.com/hook?v=1&x=2", &audiences).is_none());
    }

    #[test]
    fn prefixes_match_what_starts_with_them() {
        let audiences = ["https://api.example.com/v1/*"];
        assert!(pick("https://api.example.com/v1/commands?x=1", &audiences).is_some());
        assert!(pick("https://api.example.com/v1/", &audiences).is_some());
        assert!(pick("https://api.example.com/v2/commands", &audiences).is_none());
    }

    #[test]
    fn a_host_prefix_cannot_reach_another_host() {
        let audiences = ["https://api.example.com*"];
        assert!(pick("https://api.example.com/anything", &audiences).is_some());
        assert!(pick("https://api.example.com.evil.net/", &audiences).is_none());
    }

    #[test]
    fn exact_wins_over_prefix_and_the_longest_prefix_wins() {
        let audiences =
            ["https://api.example.com/*", "https://api.example.com/v1/*", "https://api.example.com/v1/hook"];
        assert_eq!(pick("https://api.example.com/v1/hook", &audiences), Some(audiences[2]));
        assert_eq!(pick("https://api.example.com/v1/other", &audiences), Some(audiences[1]));
        assert_eq!(pick("https://api.example.com/v2", &audiences), Some(audiences[0]));
        assert_eq!(pick("https://other.example.com/", &audiences), None);
    }

    #[test]
    fn exact_wins_even_over_a_longer_or_equal_prefix() {
        let audiences = [
            "https://api.example.com/hook?team=*",
            "https://api.example.com/hook*",
            "https://api.example.com/hook",
        ];
        assert_eq!(pick("https://api.example.com/hook?team=a", &audiences), Some(audiences[2]));
        assert_eq!(pick("https://api.example.com/hook", &audiences), Some(audiences[2]));
        assert_eq!(pick("https://api.example.com/hooks", &audiences), Some(audiences[1]));
    }

    #[test]
    fn malformed_audiences_are_refused() {
        for bad in [
            "api.example.com/x",
            "https://*.example.com/",
            "https://a.example.com/x#f",
            "ftp://a.example.com/*",
            "*",
            "https://u:p@a.example.com/",
        ] {
            assert!(Audience::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_identify_the_same_audience_however_spelled() {
        let a = Audience::parse("HTTPS://Api.Example.com:443/v1/*").unwrap();
        let b = Audience::parse("https://api.example.com/v1/*").unwrap();
        assert_eq!(a.key(), b.key());
        assert_ne!(a.key(), Audience::parse("https://api.example.com/v1/").unwrap().key());
    }
}
