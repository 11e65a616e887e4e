//! Resource indicators (RFC 8707): the protected resources a grant, and each access token of it,
//! is for. The chat server's own API (its identifier is the SiteURL, RFC 9728 §1.2) is always one;
//! registered protected resources are the others.
//!
//! A request that names no resource (every Mattermost client) gets a grant without an audience,
//! which is the chat API's alone: so such tokens work exactly as before, and no other resource
//! takes them.

use crate::context::Context;
use crate::host::Host;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use std::fmt;
use url::Url;

/// More would be no real request; the grant record stays small.
pub const MAX_RESOURCES: usize = 10;
pub const MAX_RESOURCE_LEN: usize = 512;

/// The resources a grant or an access token is for, by their identifiers as this server knows
/// them; empty when the request named none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Audience(Vec<String>);

impl Audience {
    pub fn identifiers(&self) -> &[String] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a token for this audience is meant for the resource `identifier`: one without an
    /// audience is meant for the chat server (`issuer`) only.
    pub fn admits(&self, identifier: &str, issuer: &str) -> bool {
        if self.0.is_empty() {
            return same_resource(identifier, issuer);
        }
        self.0.iter().any(|granted| same_resource(granted, identifier))
    }

    /// Whether an approval of this audience covers a request for `requested`: every resource it
    /// names was approved (naming none asks for the chat server's API).
    pub fn covers(&self, requested: &Audience, issuer: &str) -> bool {
        if requested.0.is_empty() {
            return self.admits(issuer, issuer);
        }
        requested.0.iter().all(|identifier| self.admits(identifier, issuer))
    }

    /// RFC 8707 §2.2: the audience of a token asked for at the token endpoint. Naming no resource
    /// gets the grant's whole audience; naming some narrows it to them, each of which the grant must
    /// cover (a token never reaches further than what the user approved).
    pub fn narrowed_to(&self, requested: &Audience, issuer: &str) -> Option<Audience> {
        if requested.0.is_empty() {
            return Some(self.clone());
        }
        requested.0.iter().all(|identifier| self.admits(identifier, issuer)).then(|| requested.clone())
    }
}

/// Why a `resource` parameter was refused: RFC 8707 §2 `invalid_target`, or a failure inside.
#[derive(Debug)]
pub enum TargetError {
    /// Not an absolute URI without a fragment, or too long.
    Malformed,
    TooMany,
    /// Neither the chat server nor a registered protected resource.
    Unknown(String),
    /// The grant does not cover it (RFC 8707 §2.2).
    NotGranted,
    Failed(StoreError),
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::Malformed => write!(
                f,
                "resource must be an absolute URI without a fragment, at most {MAX_RESOURCE_LEN} characters (RFC 8707 §2)."
            ),
            TargetError::TooMany => write!(f, "At most {MAX_RESOURCES} resource parameters are allowed."),
            TargetError::Unknown(resource) => {
                write!(f, "resource {resource:?} is not a protected resource of this server.")
            }
            TargetError::NotGranted => {
                f.write_str("resource names a resource the authorization did not grant.")
            }
            TargetError::Failed(error) => error.fmt(f),
        }
    }
}

impl From<StoreError> for TargetError {
    fn from(error: StoreError) -> Self {
        TargetError::Failed(error)
    }
}

/// The shape rules of RFC 8707 §2: an absolute URI, no fragment; bounded here.
pub fn check_shape<'a>(values: impl Iterator<Item = &'a str>) -> Result<Vec<&'a str>, TargetError> {
    let values: Vec<&str> = values.collect();
    if values.len() > MAX_RESOURCES {
        return Err(TargetError::TooMany);
    }
    let well_formed =
        |value: &str| value.len() <= MAX_RESOURCE_LEN && !value.contains('#') && Url::parse(value).is_ok();
    if !values.iter().all(|value| well_formed(value)) {
        return Err(TargetError::Malformed);
    }
    Ok(values)
}

/// What a request's `resource` parameters name: the audience, each entry the chat server itself
/// or a registered protected resource by the identifier this server knows it under; their names,
/// in the same order, for the consent page; and the scopes those resources understand (for the
/// scope rule).
#[derive(Debug, Default)]
pub struct Targets {
    pub audience: Audience,
    pub names: Vec<String>,
    pub scopes: Vec<String>,
}

pub async fn resolve<'a, H: Host>(
    ctx: &Context<'_, H>,
    values: impl Iterator<Item = &'a str>,
) -> Result<Targets, TargetError> {
    let issuer = ctx.config.issuer();
    let mut targets = Targets::default();
    for value in check_shape(values)? {
        let (identifier, name, scopes) = if same_resource(value, issuer) {
            (issuer.to_owned(), ctx.config.site_name().to_owned(), Vec::new())
        } else {
            let resource = super::resources::find_by_identifier(ctx, value).await?;
            let resource = resource.ok_or_else(|| TargetError::Unknown(value.into()))?;
            (resource.identifier, resource.name, resource.scopes)
        };
        if !targets.audience.0.contains(&identifier) {
            targets.audience.0.push(identifier);
            targets.names.push(name);
            targets.scopes.extend(scopes);
        }
    }
    Ok(targets)
}

/// Whether two identifiers name one resource: equal once parsed, so that `https://x.example` and
/// `https://x.example/` (or a host in capitals) are one, and nothing else is.
pub fn same_resource(a: &str, b: &str) -> bool {
    match (Url::parse(a), Url::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://chat.example.com";

    fn audience(ids: &[&str]) -> Audience {
        Audience(ids.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn no_audience_is_the_chat_servers_alone() {
        assert!(Audience::default().admits("https://chat.example.com/", ISSUER));
        assert!(!Audience::default().admits("https://mcp.example.com", ISSUER));
    }

    #[test]
    fn narrowing_never_widens() {
        let granted = audience(&[ISSUER, "https://mcp.example.com/mcp"]);
        assert_eq!(granted.narrowed_to(&Audience::default(), ISSUER), Some(granted.clone()));
        let one = audience(&["https://mcp.example.com/mcp"]);
        assert_eq!(granted.narrowed_to(&one, ISSUER), Some(one));
        assert_eq!(granted.narrowed_to(&audience(&["https://other.example.com"]), ISSUER), None);
        assert_eq!(
            Audience::default().narrowed_to(&audience(&["https://mcp.example.com/mcp"]), ISSUER),
            None
        );
        assert_eq!(Audience::default().narrowed_to(&audience(&[ISSUER]), ISSUER), Some(audience(&[ISSUER])));
    }

    #[test]
    fn an_approval_covers_only_the_resources_it_named() {
        let mcp = audience(&["https://mcp.example.com/mcp"]);
        assert!(Audience::default().covers(&Audience::default(), ISSUER));
        assert!(Audience::default().covers(&audience(&[ISSUER]), ISSUER));
        assert!(
            !Audience::default().covers(&mcp, ISSUER),
            "approving the chat API is not approving another resource"
        );
        assert!(!mcp.covers(&Audience::default(), ISSUER), "nor the other way round");
        assert!(audience(&[ISSUER, "https://mcp.example.com/mcp"]).covers(&mcp, ISSUER));
    }

    #[test]
    fn identifiers_are_compared_parsed() {
        assert!(same_resource("https://Chat.Example.com", "https://chat.example.com/"));
        assert!(!same_resource("https://chat.example.com/a", "https://chat.example.com/a/"));
        assert!(!same_resource("https://chat.example.com.evil.com", ISSUER));
        assert!(!same_resource("not a url", "not a url"));
    }

    #[test]
    fn shapes_are_checked() {
        assert!(check_shape(["relative/path"].into_iter()).is_err());
        assert!(check_shape(["https://x.example/#frag"].into_iter()).is_err());
        assert!(check_shape(std::iter::repeat_n("https://x.example", MAX_RESOURCES + 1)).is_err());
        let long = format!("https://x.example/{}", "a".repeat(MAX_RESOURCE_LEN));
        assert!(check_shape([long.as_str()].into_iter()).is_err());
        assert_eq!(check_shape(["https://x.example"].into_iter()).unwrap(), ["https://x.example"]);
    }
}
