//! Redirect URIs (RFC 6749 §3.1.2), in one place: the rules every URI must meet wherever one is
//! taken — app creation and editing, Dynamic Client Registration (RFC 7591 §2) and the
//! authorization endpoint — and the `DCRRedirectURIAllowlist` globs.
//!
//! A redirect URI is parsed as a WHATWG URL and must read the same way to everyone: a URI that is
//! not its own serialization, or that carries user info, a backslash, a control character,
//! whitespace or a fragment, is refused, because browsers, clients and this server could each
//! take it to a different place. Registered URIs are therefore canonical, and the authorization
//! endpoint compares them as exact strings (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3).
//!
//! Allowlist globs are matched component by component, never as strings: the scheme exactly; in
//! the host a `*` stands for one whole label; in the port a `*` stands for any port; in the path a
//! `*` stands for a run of characters within one segment, and a `**` segment for any number of
//! whole segments; the query, when the pattern has one, exactly. No `*` ever crosses `.`, `/`,
//! `:`, `@`, `?` or `#`.

use url::{Host, Url};

/// The authorization endpoint refuses longer redirect URIs (Mattermost's limit), so registering
/// one would be useless.
pub const MAX_LEN: usize = 256;

/// Why a redirect URI is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    TooLong,
    ControlOrWhitespace,
    Backslash,
    Fragment,
    NotHttp,
    UserInfo,
    /// It parses, but not into itself: `serialization` is what it would read as.
    NotCanonical,
    /// Its host is not an ASCII domain name: the plugin takes internationalized names only in their
    /// ASCII (`xn--`) form, which is what a URI with such a host would read as anyway.
    HostNotAscii,
}

impl Refusal {
    pub fn describe(self) -> &'static str {
        match self {
            Refusal::TooLong => "is longer than 256 characters",
            Refusal::ControlOrWhitespace => "contains a control character or whitespace",
            Refusal::Backslash => "contains a backslash",
            Refusal::Fragment => "has a fragment (RFC 6749 §3.1.2)",
            Refusal::NotHttp => "is not a valid URL starting with http:// or https://",
            Refusal::UserInfo => "has a user name or password",
            Refusal::NotCanonical => "is not in its normalized form",
            Refusal::HostNotAscii => "has a host that is not an ASCII domain name (write an internationalized one in its xn-- form)",
        }
    }
}

/// A redirect URI that meets every rule, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(Url);

impl RedirectUri {
    pub fn parse(raw: &str) -> Result<RedirectUri, Refusal> {
        if raw.len() > MAX_LEN {
            return Err(Refusal::TooLong);
        }
        if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(Refusal::ControlOrWhitespace);
        }
        if raw.contains('\\') {
            return Err(Refusal::Backslash);
        }
        // Also an empty fragment: `…/cb#` serializes to itself but still is not allowed.
        if raw.contains('#') {
            return Err(Refusal::Fragment);
        }
        let url = Url::parse(raw).map_err(|error| match error {
            url::ParseError::IdnaError => Refusal::HostNotAscii,
            _ => Refusal::NotHttp,
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(Refusal::NotHttp);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refusal::UserInfo);
        }
        if url.as_str() != raw {
            return Err(Refusal::NotCanonical);
        }
        Ok(RedirectUri(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn url(&self) -> &Url {
        &self.0
    }
}

/// The error message for a refused `raw`, naming what is wrong (and the normalized form, where
/// there is one, so that the fix is obvious). The URI is quoted with everything but the characters
/// URLs are made of escaped, so that no markup, quote or invisible character comes back.
pub fn explain(raw: &str, refusal: Refusal) -> String {
    let shown: String = raw.chars().take(80).map(quoted).collect();
    match (refusal, Url::parse(raw)) {
        (Refusal::NotCanonical, Ok(url)) => {
            format!("Redirect URI \"{shown}\" {}; write it as \"{url}\".", refusal.describe())
        }
        _ => format!("Redirect URI \"{shown}\" {}.", refusal.describe()),
    }
}

fn quoted(c: char) -> String {
    if c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c) {
        c.to_string()
    } else {
        c.escape_unicode().to_string()
    }
}

/// One `DCRRedirectURIAllowlist` entry, parsed into its components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowPattern {
    scheme: String,
    host: HostPattern,
    port: PortPattern,
    path: Vec<Segment>,
    query: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    /// Domain or IPv4 labels; `None` is a `*` label.
    Labels(Vec<Option<String>>),
    /// An IPv6 literal, without brackets: matched exactly.
    Ipv6(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PortPattern {
    /// No port in the pattern: only the scheme's default port.
    Default,
    Any,
    Exact(u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// A segment, where each `*` stands for a run of characters.
    Glob(String),
    /// `**`: any number of whole segments.
    Any,
}

/// Characters a `*` never stands for.
const STOP: &[char] = &['.', '/', ':', '@', '?', '#'];

impl AllowPattern {
    /// Parses a pattern; `None` when it is malformed (such a pattern allows nothing).
    pub fn parse(pattern: &str) -> Option<AllowPattern> {
        if pattern.chars().any(|c| c.is_control() || c.is_whitespace()) || pattern.contains(['\\', '#']) {
            return None;
        }
        let (scheme, rest) = pattern.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, rest) = rest.split_at(authority_end);
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        };
        if query.is_some_and(|q| q.contains('*')) || authority.contains('@') {
            return None;
        }
        let (host, port) = parse_authority(authority)?;
        let path = if path.is_empty() { "/" } else { path };
        let segments = path.strip_prefix('/')?.split('/').map(parse_segment).collect::<Option<Vec<_>>>()?;
        Some(AllowPattern { scheme, host, port, path: segments, query: query.map(str::to_owned) })
    }

    /// Whether the (already checked) redirect URI matches this pattern.
    pub fn matches(&self, uri: &RedirectUri) -> bool {
        let url = uri.url();
        url.scheme() == self.scheme
            && self.host_matches(url)
            && self.port_matches(url)
            && segments_match(&self.path, &url.path()[1..].split('/').collect::<Vec<_>>())
            && url.query() == self.query.as_deref()
    }

    fn host_matches(&self, url: &Url) -> bool {
        match (&self.host, url.host()) {
            (HostPattern::Ipv6(pattern), Some(Host::Ipv6(address))) => *pattern == address.to_string(),
            (HostPattern::Labels(labels), Some(Host::Domain(_) | Host::Ipv4(_))) => {
                let host = url.host_str().unwrap_or_default();
                let candidate: Vec<&str> = host.split('.').collect();
                candidate.len() == labels.len()
                    && labels
                        .iter()
                        .zip(&candidate)
                        .all(|(label, part)| label.as_deref().is_none_or(|l| l == *part))
            }
            _ => false,
        }
    }

    fn port_matches(&self, url: &Url) -> bool {
        match self.port {
            PortPattern::Default => url.port().is_none(),
            PortPattern::Any => true,
            PortPattern::Exact(port) => url.port_or_known_default() == Some(port),
        }
    }
}

fn parse_authority(authority: &str) -> Option<(HostPattern, PortPattern)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (address, after) = rest.split_once(']')?;
        let address: std::net::Ipv6Addr = address.parse().ok()?;
        (HostPattern::Ipv6(address.to_string()), after.strip_prefix(':'))
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let labels = host
            .to_ascii_lowercase()
            .split('.')
            .map(|label| match label {
                "*" => Some(None),
                _ if !label.is_empty()
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
                {
                    Some(Some(label.to_owned()))
                }
                _ => None,
            })
            .collect::<Option<Vec<_>>>()?;
        (HostPattern::Labels(labels), port)
    };
    let port = match port {
        None => PortPattern::Default,
        Some("*") => PortPattern::Any,
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            PortPattern::Exact(digits.parse().ok()?)
        }
        Some(_) => return None,
    };
    Some((host, port))
}

fn parse_segment(segment: &str) -> Option<Segment> {
    match segment {
        "**" => Some(Segment::Any),
        _ if segment.contains("**") => None,
        _ => Some(Segment::Glob(segment.to_owned())),
    }
}

/// Path segments against the pattern's: `**` takes any number of whole segments.
fn segments_match(pattern: &[Segment], candidate: &[&str]) -> bool {
    match pattern.split_first() {
        None => candidate.is_empty(),
        Some((Segment::Any, rest)) => {
            (0..=candidate.len()).any(|skip| segments_match(rest, &candidate[skip..]))
        }
        Some((Segment::Glob(glob), rest)) => candidate
            .split_first()
            .is_some_and(|(first, others)| glob_matches(glob, first) && segments_match(rest, others)),
    }
}

/// One segment against a glob whose `*` stands for a run of characters none of which is in [`STOP`].
fn glob_matches(glob: &str, text: &str) -> bool {
    match glob.split_once('*') {
        None => glob == text,
        Some((literal, rest)) => {
            let Some(after) = text.strip_prefix(literal) else { return false };
            let run = after.find(STOP).unwrap_or(after.len());
            (0..=run).filter(|i| after.is_char_boundary(*i)).any(|i| glob_matches(rest, &after[i..]))
        }
    }
}

/// Whether `uri` is allowed by `allowlist` (every pattern malformed or none matching: not allowed).
pub fn allowed_by(uri: &RedirectUri, allowlist: &[String]) -> bool {
    allowlist.iter().filter_map(|pattern| AllowPattern::parse(pattern)).any(|pattern| pattern.matches(uri))
}

/// Why a client's list of redirect URIs was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListRefusal {
    /// RFC 6749 §3.1.2.2, RFC 7591 §2: a client registers at least one.
    Empty,
    /// One of them breaks the rules: [`explain`]'s words.
    Refused(String),
    /// One of them, as written, is outside the allowlist.
    NotAllowed(String),
}

/// The one rule for the redirect URIs a client registers (an app created or edited, a client
/// registered dynamically): at least one, each meets the rules, and the allowlist, when there is
/// one, allows each.
pub fn check_list(uris: &[String], allowlist: &[String]) -> Result<(), ListRefusal> {
    if uris.is_empty() {
        return Err(ListRefusal::Empty);
    }
    for uri in uris {
        let checked =
            RedirectUri::parse(uri).map_err(|refusal| ListRefusal::Refused(explain(uri, refusal)))?;
        if !allowlist.is_empty() && !allowed_by(&checked, allowlist) {
            return Err(ListRefusal::NotAllowed(uri.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_needs_one_uri_each_valid_and_allowed() {
        let list = |uris: &[&str]| uris.iter().map(|u| u.to_string()).collect::<Vec<_>>();
        let allowlist = list(&["https://*.example.com/cb"]);
        assert_eq!(check_list(&[], &[]), Err(ListRefusal::Empty));
        assert_eq!(check_list(&[], &allowlist), Err(ListRefusal::Empty));
        assert!(matches!(check_list(&list(&["https://app.example.com"]), &[]), Err(ListRefusal::Refused(_))));
        let outside = list(&["https://app.example.com/cb", "https://evil.test/cb"]);
        assert_eq!(check_list(&outside, &[]), Ok(()));
        assert_eq!(
            check_list(&outside, &allowlist),
            Err(ListRefusal::NotAllowed("https://evil.test/cb".into()))
        );
    }

    fn refusal(raw: &str) -> Option<Refusal> {
        RedirectUri::parse(raw).err()
    }

    fn allows(pattern: &str, uri: &str) -> bool {
        let uri = RedirectUri::parse(uri).unwrap_or_else(|e| panic!("{uri}: {e:?}"));
        AllowPattern::parse(pattern).unwrap_or_else(|| panic!("pattern {pattern}")).matches(&uri)
    }

    #[test]
    fn canonical_http_uris_pass() {
        for good in [
            "https://app.example.com/cb",
            "http://localhost:6274/oauth/callback",
            "http://127.0.0.1:9/callback",
            "https://app.example.com/cb?team=a&x=1",
            "http://[::1]:8080/cb",
            "https://xn--nxasmq6b.example.com/",
            "https://xn--nicode-2ya.example.com/cb",
        ] {
            assert_eq!(RedirectUri::parse(good).map(|u| u.as_str().to_owned()), Ok(good.to_owned()));
        }
    }

    #[test]
    fn tricks_are_refused() {
        let cases = [
            ("https://evil.test?.example.com/cb", Refusal::NotCanonical),
            ("https://evil.test\\.example.com/cb", Refusal::Backslash),
            ("http://localhost:1@evil.test/callback", Refusal::UserInfo),
            ("https://user@app.example.com/cb", Refusal::UserInfo),
            ("https://app.example.com/cb#", Refusal::Fragment),
            ("https://app.example.com/cb#x", Refusal::Fragment),
            ("https://app.example.com/c b", Refusal::ControlOrWhitespace),
            ("https://app.example.com/cb\t", Refusal::ControlOrWhitespace),
            ("https://app.example.com/\u{0}", Refusal::ControlOrWhitespace),
            ("https://app.example.com/\u{85}", Refusal::ControlOrWhitespace),
            ("https://app.example.com/\u{3000}", Refusal::ControlOrWhitespace),
            ("https://app.example.com", Refusal::NotCanonical),
            ("HTTPS://app.example.com/cb", Refusal::NotCanonical),
            ("https://APP.example.com/cb", Refusal::NotCanonical),
            ("https://app.example.com:443/cb", Refusal::NotCanonical),
            ("https://app.example.com/a/../cb", Refusal::NotCanonical),
            ("https://app.example.com/%2e%2e/cb", Refusal::NotCanonical),
            ("https://ünicode.example.com/cb", Refusal::HostNotAscii),
            ("https://app.example.com/\u{200b}cb", Refusal::NotCanonical),
            ("http://0x7f.1/cb", Refusal::NotCanonical),
            ("javascript:alert(1)", Refusal::NotHttp),
            ("myapp:/cb", Refusal::NotHttp),
            ("https:app.example.com/cb", Refusal::NotCanonical),
            ("//app.example.com/cb", Refusal::NotHttp),
            ("", Refusal::NotHttp),
        ];
        for (raw, expected) in cases {
            assert_eq!(refusal(raw), Some(expected), "{raw:?}");
        }
        assert_eq!(refusal(&format!("https://a.example.com/{}", "a".repeat(240))), Some(Refusal::TooLong));
    }

    #[test]
    fn explanations_name_the_normalized_form() {
        let message = explain("HTTPS://App.example.com", Refusal::NotCanonical);
        assert!(message.contains("\"https://app.example.com/\""), "{message}");
        assert!(explain("https://a\u{0}", Refusal::ControlOrWhitespace).contains("\\u{0}"));
        let markup = explain("https://a/\"><img src=x>", Refusal::ControlOrWhitespace);
        assert!(!markup.contains('<') && !markup.contains("\"><"), "{markup}");
    }

    #[test]
    fn the_attacks_on_the_old_string_globs_fail() {
        let allowlist = ["https://*.example.com/cb".to_owned(), "http://localhost:*/callback".to_owned()];
        // Each of these is refused as a redirect URI; and its normalized form matches no pattern.
        for attack in [
            "https://evil.test/?.example.com/cb",
            "https://evil.test/.example.com/cb",
            "http://evil.test/callback",
            "https://a.b.example.com/cb",
            "https://example.com/cb",
            "https://evil.example.com.evil.test/cb",
            "http://localhost.evil.test:8080/callback",
        ] {
            let uri = RedirectUri::parse(attack).unwrap();
            assert!(!allowed_by(&uri, &allowlist), "{attack}");
        }
        for fine in
            ["https://app.example.com/cb", "http://localhost:6274/callback", "http://localhost/callback"]
        {
            assert!(allowed_by(&RedirectUri::parse(fine).unwrap(), &allowlist), "{fine}");
        }
    }

    #[test]
    fn mattermosts_documented_globs_still_match() {
        assert!(allows("https://*.example.com/cb", "https://app.example.com/cb"));
        assert!(!allows("https://*.example.com/cb", "https://evil.com/x.example.com/cb"));
        assert!(allows("https://example.com/**", "https://example.com/a/b/c"));
        assert!(!allows("https://example.com/*", "https://example.com/a/b"));
        assert!(allows("http://localhost:*/callback", "http://localhost:4000/callback"));
        assert!(!allows("https://example.com/cb", "https://example.com/cb2"));
    }

    #[test]
    fn host_stars_are_whole_labels() {
        assert!(allows("https://*.example.com/cb", "https://app.example.com/cb"));
        assert!(!allows("https://*.example.com/cb", "https://example.com/cb"));
        assert!(!allows("https://*.example.com/cb", "https://a.b.example.com/cb"));
        assert!(allows("https://*.*.example.com/cb", "https://a.b.example.com/cb"));
        assert!(allows("https://App.Example.com/cb", "https://app.example.com/cb"));
        assert!(AllowPattern::parse("https://app-*.example.com/cb").is_none(), "a partial label");
        assert!(AllowPattern::parse("https://**.example.com/cb").is_none());
        assert!(AllowPattern::parse("https://user@*.example.com/cb").is_none());
        assert!(AllowPattern::parse("https://*.example.com/cb#x").is_none());
        assert!(AllowPattern::parse("ftp://*.example.com/").is_none());
        assert!(AllowPattern::parse("*.example.com/cb").is_none());
    }

    #[test]
    fn ports_paths_and_queries() {
        assert!(allows("http://localhost:*/cb", "http://localhost:1/cb"));
        assert!(!allows("http://localhost/cb", "http://localhost:8080/cb"), "no port: the default only");
        assert!(allows("http://localhost:8080/cb", "http://localhost:8080/cb"));
        assert!(allows("https://a.example.com:443/cb", "https://a.example.com/cb"));
        assert!(AllowPattern::parse("http://localhost:8*/cb").is_none());
        assert!(allows("https://a.example.com/*", "https://a.example.com/cb"));
        assert!(!allows("https://a.example.com/*", "https://a.example.com/a/b"));
        assert!(!allows("https://a.example.com/*", "https://a.example.com/cb.html"), "* never crosses .");
        assert!(allows("https://a.example.com/*.html", "https://a.example.com/cb.html"));
        assert!(!allows("https://a.example.com/cb*", "https://a.example.com/cb:x@evil"));
        assert!(allows("https://a.example.com/**", "https://a.example.com/a/b.c/d"));
        assert!(allows("https://a.example.com/**", "https://a.example.com/"));
        assert!(allows("https://a.example.com/app/**/cb", "https://a.example.com/app/cb"));
        assert!(allows("https://a.example.com/app/**/cb", "https://a.example.com/app/x/y/cb"));
        assert!(!allows("https://a.example.com/**", "https://a.example.com/cb?x=1"), "query differs");
        assert!(allows("https://a.example.com/cb?x=1", "https://a.example.com/cb?x=1"));
        assert!(AllowPattern::parse("https://a.example.com/cb?x=*").is_none());
        assert!(allows("https://a.example.com", "https://a.example.com/"));
        assert!(allows("http://[::1]:*/cb", "http://[::1]:9/cb"));
        assert!(!allows("http://[::1]:*/cb", "http://127.0.0.1:9/cb"));
        assert!(!allows("https://*/cb", "http://a/cb"), "scheme exactly");
    }
}
