//! Path patterns as the route table writes them: `/api/v4/oauth/apps/{client_id}/info`. A literal
//! segment matches itself; `{name}` one non-empty segment, as sent (not percent-decoded, so that
//! the server, which matches the same patterns to decide what to forward, agrees); `{name...}`, last,
//! the rest of the path (one or more segments).

/// The segments a pattern captured, by name.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Captures<'p>(Vec<(&'static str, &'p str)>);

impl<'p> Captures<'p> {
    /// The segment captured as `{name}`; empty when the pattern has none of that name (a table
    /// whose handler asks for a name its pattern lacks fails its tests at once).
    pub fn get(&self, name: &str) -> &'p str {
        self.0.iter().find(|(n, _)| *n == name).map_or("", |(_, value)| value)
    }
}

/// What `path` captures under `pattern`, or `None` when it does not match. `valid` says whether a
/// segment may stand for a capture of that name.
pub fn captures<'p>(
    pattern: &'static str,
    path: &'p str,
    valid: impl Fn(&str, &str) -> bool,
) -> Option<Captures<'p>> {
    let mut wanted = pattern.strip_prefix('/')?.split('/');
    let mut rest = path.strip_prefix('/')?;
    let mut found = Vec::new();
    while let Some(want) = wanted.next() {
        let (segment, after) = rest.split_once('/').map_or((rest, None), |(s, after)| (s, Some(after)));
        match capture_name(want) {
            Some((name, true)) => {
                found.push((name, rest));
                return Some(Captures(found));
            }
            Some((name, false)) if !segment.is_empty() && valid(name, segment) => found.push((name, segment)),
            None if want == segment => {}
            _ => return None,
        }
        match after {
            Some(after) => rest = after,
            // The path ended: a match if the pattern did too.
            None => return wanted.next().is_none().then_some(Captures(found)),
        }
    }
    // The pattern ended before the path.
    None
}

/// `{name}` → `(name, false)`, `{name...}` → `(name, true)`, a literal → `None`.
fn capture_name(segment: &'static str) -> Option<(&'static str, bool)> {
    let inner = segment.strip_prefix('{')?.strip_suffix('}')?;
    Some(inner.strip_suffix("...").map_or((inner, false), |name| (name, true)))
}

/// How many literal segments a pattern has: where two patterns match a path, the one with more
/// wins (`/apps/register` over `/apps/{client_id}`). A `const fn`, so that the route table holds it
/// rather than every request counting it again.
pub const fn specificity(pattern: &str) -> usize {
    let bytes = pattern.as_bytes();
    let (mut count, mut i) = (0, 0);
    while i < bytes.len() {
        // A segment starts after each '/': a literal one is non-empty and not a `{capture}`.
        if bytes[i] == b'/' && i + 1 < bytes.len() && bytes[i + 1] != b'/' && bytes[i + 1] != b'{' {
            count += 1;
        }
        i += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(_: &str, _: &str) -> bool {
        true
    }

    #[test]
    fn literals_and_named_segments() {
        let found =
            captures("/api/v4/oauth/apps/{client_id}/info", "/api/v4/oauth/apps/abc/info", any).unwrap();
        assert_eq!(found.get("client_id"), "abc");
        assert_eq!(found.get("other"), "");
        assert!(captures("/api/v4/oauth/apps/{client_id}/info", "/api/v4/oauth/apps/abc", any).is_none());
        assert!(captures("/api/v4/oauth/apps/{client_id}", "/api/v4/oauth/apps/abc/info", any).is_none());
        assert!(captures("/api/v4/oauth/apps/{client_id}", "/api/v4/oauth/apps/", any).is_none(), "empty");
        assert!(captures("/oauth/authorize", "/oauth/authorize/", any).is_none());
        assert!(captures("/oauth/authorize", "/oauth/authorize", any).is_some());
        assert!(captures("/oauth/authorize", "oauth/authorize", any).is_none());
    }

    #[test]
    fn segments_stay_as_sent_and_are_checked_by_name() {
        let found = captures("/x/{id}", "/x/a%2Fb", any).unwrap();
        assert_eq!(found.get("id"), "a%2Fb");
        let short = |name: &str, value: &str| name != "id" || value.len() < 3;
        assert!(captures("/x/{id}", "/x/abcd", short).is_none());
        assert!(captures("/x/{id}", "/x/ab", short).is_some());
    }

    #[test]
    fn a_tail_takes_the_rest() {
        let pattern = "/.well-known/oauth-authorization-server/{issuer_path...}";
        assert_eq!(
            captures(pattern, "/.well-known/oauth-authorization-server/a/b", any).unwrap().get("issuer_path"),
            "a/b"
        );
        assert!(captures(pattern, "/.well-known/oauth-authorization-server/", any).is_some());
        assert!(captures(pattern, "/.well-known/oauth-authorization-server", any).is_none());
        assert!(captures(pattern, "/.well-known/oauth-authorization-server-other/a", any).is_none());
    }

    #[test]
    fn literals_win() {
        assert!(specificity("/api/v4/oauth/apps/register") > specificity("/api/v4/oauth/apps/{client_id}"));
        assert_eq!(specificity("/api/v4/oauth/apps/{client_id}/info"), 5);
        assert_eq!(specificity("/.well-known/oauth-authorization-server/{issuer_path...}"), 2);
        assert_eq!(specificity("/"), 0);
        assert_eq!(specificity("/a//b/"), 2);
    }
}
