//! Scopes (RFC 6749 §3.3), in one place: what a request asks for, what it is granted, and what a
//! granted scope allows.
//!
//! `user` is the full-access scope: the whole chat API, as every Mattermost token has. `openid`,
//! `profile` and `email` are OpenID Connect's (Core §5.4). A request with no scope, with `user`, or
//! with any scope this server does not recognise is granted full access, as Mattermost (which
//! ignores scope) grants it: RFC 6749 §3.3 lets a server grant other than asked, saying so in the
//! response's `scope`. A request whose scopes are all recognised and do not include `user` gets
//! only those: a token that signs a user in and reads UserInfo, and that the chat API refuses.

/// The whole chat API.
pub const FULL_ACCESS: &str = "user";
pub const OPENID: &str = "openid";
pub const PROFILE: &str = "profile";
pub const EMAIL: &str = "email";

/// OpenID Connect's scopes this server honours (Core §5.4), in the order a granted scope lists them.
pub const OIDC_SCOPES: [&str; 3] = [OPENID, PROFILE, EMAIL];

/// Every scope the server itself recognises, as its metadata advertises them.
pub const SUPPORTED: [&str; 4] = [OPENID, PROFILE, EMAIL, FULL_ACCESS];

/// The scope's names (RFC 6749 §3.3: space-delimited).
pub fn names(scope: &str) -> impl Iterator<Item = &str> {
    scope.split(' ').filter(|s| !s.is_empty())
}

/// The scope granted for a request that asked for `requested`. `extra` are the scopes of
/// registered protected resources, recognised like OpenID Connect's (granted as asked, without
/// full access unless `user` is asked too).
pub fn grant(requested: &str, extra: &[&str]) -> String {
    let recognised = |s: &str| OIDC_SCOPES.contains(&s) || extra.contains(&s);
    let asked: Vec<&str> = names(requested).collect();
    let full = asked.is_empty() || asked.iter().any(|s| !recognised(s));
    let mut granted: Vec<&str> = Vec::new();
    if full {
        granted.push(FULL_ACCESS);
    }
    for s in OIDC_SCOPES.iter().copied().chain(extra.iter().copied()) {
        if asked.contains(&s) && !granted.contains(&s) {
            granted.push(s);
        }
    }
    granted.join(" ")
}

/// Whether a granted scope includes `name`.
pub fn has(granted: &str, name: &str) -> bool {
    names(granted).any(|s| s == name)
}

/// Whether a token of this granted scope may use the chat API.
pub fn allows_api(granted: &str) -> bool {
    has(granted, FULL_ACCESS)
}

/// Whether an approval of `approved` covers a request granted `wanted`: every scope of it was
/// approved, where full access covers OpenID Connect's (who may act as the user may know who it is).
pub fn covers(approved: &str, wanted: &str) -> bool {
    let full = allows_api(approved);
    names(wanted).all(|s| has(approved, s) || (full && OIDC_SCOPES.contains(&s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule() {
        let cases = [
            ("", "user"),
            ("user", "user"),
            ("read write", "user"),
            ("openid", "openid"),
            ("openid profile email", "openid profile email"),
            ("email  openid openid", "openid email"),
            ("openid user", "user openid"),
            ("openid chat:read", "user openid"),
        ];
        for (asked, granted) in cases {
            assert_eq!(grant(asked, &[]), granted, "{asked:?}");
        }
        assert_eq!(grant("openid mcp:read", &["mcp:read"]), "openid mcp:read");
        assert!(allows_api("user openid") && !allows_api("openid profile"));
    }

    #[test]
    fn approvals_cover() {
        assert!(covers("user", "user openid email"));
        assert!(covers("openid profile", "openid"));
        assert!(!covers("openid", "user"));
        assert!(!covers("openid", "openid email"));
    }
}
