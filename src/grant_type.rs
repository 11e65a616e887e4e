//! The grant types of RFC 6749 (and RFC 8628's device grant), one enum for both sides: what the provider's clients register and
//! the token endpoint serves, and what outgoing connections and the app OAuth2 store ask other
//! servers for. Serialized as the RFC's names, as stored and sent before.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// RFC 6749 §4.1.
    AuthorizationCode,
    /// RFC 6749 §4.2 (a response type at the authorization endpoint, never a token request).
    Implicit,
    /// RFC 6749 §6.
    RefreshToken,
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 6749 §4.3.
    Password,
    /// RFC 8628 §3.4: an extension grant (RFC 6749 §4.5), named by its URN.
    #[serde(rename = "urn:ietf:params:oauth:grant-type:device_code")]
    DeviceCode,
}

impl GrantType {
    const ALL: [GrantType; 6] = [
        GrantType::AuthorizationCode,
        GrantType::Implicit,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::Password,
        GrantType::DeviceCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::Implicit => "implicit",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::Password => "password",
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    /// The grant type named `name` exactly, if RFC 6749 or RFC 8628 has it.
    pub fn parse(name: &str) -> Option<GrantType> {
        GrantType::ALL.into_iter().find(|grant| grant.as_str() == name)
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_rfcs_both_ways() {
        for grant in GrantType::ALL {
            assert_eq!(GrantType::parse(grant.as_str()), Some(grant));
            assert_eq!(serde_json::to_string(&grant).unwrap(), format!("\"{grant}\""));
        }
        assert_eq!(GrantType::parse("Password"), None);
        assert_eq!(GrantType::parse("device_code"), None);
        assert_eq!(GrantType::parse(""), None);
    }
}
