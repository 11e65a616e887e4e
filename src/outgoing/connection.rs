//! An outgoing OAuth connection: Mattermost's `OutgoingOAuthConnection`, its rules, and its JSON.
//!
//! The client secret and the password are write-only: the plugin needs them in plain text to ask
//! the integration's token server, so they are stored as given, but no response and no log line
//! ever carries them.

use super::audience::{Audience, AudienceError};
use crate::config::is_http_url;
use crate::grant_type::GrantType;
use crate::ids::{ClientSecret, ConnectionId, Password, UserId};
use serde::{Deserialize, Serialize};
use std::fmt;
use url::Url;

pub const MAX_NAME_CHARS: usize = 64;
pub const MAX_CREDENTIAL_CHARS: usize = 255;
pub const MAX_TOKEN_URL_CHARS: usize = 256;
pub const MAX_AUDIENCES: usize = 100;
pub const MAX_AUDIENCE_CHARS: usize = 1024;

/// A connection as stored under `oc:{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub v: u32,
    pub id: ConnectionId,
    pub name: String,
    pub creator_id: UserId,
    pub create_at: i64,
    pub update_at: i64,
    /// The client id at the integration's OAuth server (not one of ours).
    pub client_id: String,
    pub client_secret: ClientSecret,
    pub credentials_username: String,
    pub credentials_password: Password,
    pub oauth_token_url: String,
    /// [`GrantType::ClientCredentials`] or [`GrantType::Password`].
    pub grant_type: GrantType,
    pub audiences: Vec<String>,
    /// Reuse a token until shortly before it expires (Mattermost fetches one per request).
    pub cache_tokens: bool,
}

/// What create and update accept. On update an empty field keeps the stored value (Mattermost's
/// patch semantics), which is how a form leaves the secret untouched.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConnectionInput {
    pub id: String,
    pub name: String,
    pub client_id: String,
    pub client_secret: ClientSecret,
    pub credentials_username: Option<String>,
    pub credentials_password: Option<Password>,
    pub oauth_token_url: String,
    pub grant_type: String,
    pub audiences: Vec<String>,
    pub cache_tokens: Option<bool>,
}

/// Mattermost's JSON, without the secret and the password.
#[derive(Debug, Serialize)]
pub struct ConnectionView<'a> {
    pub id: &'a ConnectionId,
    pub name: &'a str,
    pub creator_id: &'a UserId,
    pub create_at: i64,
    pub update_at: i64,
    pub client_id: &'a str,
    pub client_secret: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub credentials_username: &'a str,
    pub oauth_token_url: &'a str,
    pub grant_type: &'static str,
    pub audiences: &'a [String],
    pub cache_tokens: bool,
}

/// Where credentials go: scheme, host and port (RFC 6454); `None` for what does not parse.
fn origin(url: &str) -> Option<String> {
    Url::parse(url).ok().map(|u| u.origin().ascii_serialization())
}

/// A token URL moved to another origin must come with the credentials again.
fn check_credentials_resent(input: &ConnectionInput, grant: GrantType) -> Result<(), Invalid> {
    if input.client_secret.secret().is_empty() {
        return Err(Invalid::SecretNotResent);
    }
    if grant == GrantType::Password
        && input.credentials_password.as_ref().is_none_or(|p| p.secret().is_empty())
    {
        return Err(Invalid::PasswordNotResent);
    }
    Ok(())
}

/// The field of a connection that breaks the rules, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    Name,
    ClientId,
    ClientSecret,
    /// The token URL moves to another origin without the client secret sent again.
    SecretNotResent,
    /// The token URL moves to another origin without the password sent again.
    PasswordNotResent,
    PasswordCredentials,
    TokenUrl,
    /// Not one of the grants a connection may use, as sent.
    GrantType(String),
    AudienceCount,
    /// An audience that does not parse, and why.
    Audience(AudienceError),
    /// An audience listed twice, as sent.
    AudienceTwice(String),
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Name => f.write_str("Name must be 1 to 64 characters of printable text on one line."),
            Invalid::ClientId => f.write_str("Client ID must be 1 to 255 characters."),
            Invalid::ClientSecret => f.write_str("Client secret must be 1 to 255 characters."),
            Invalid::SecretNotResent => {
                f.write_str("The OAuth Token URL moves to another server: enter the Client Secret again.")
            }
            Invalid::PasswordNotResent => {
                f.write_str("The OAuth Token URL moves to another server: enter the password again.")
            }
            Invalid::PasswordCredentials => {
                f.write_str("The password grant needs a username and a password of 1 to 255 characters.")
            }
            Invalid::TokenUrl => f.write_str(
                "OAuth Token URL must be an http(s) URL of at most 256 characters, without user info or fragment.",
            ),
            Invalid::GrantType(text) => {
                write!(f, "Grant type must be client_credentials or password, not {text:?}.")
            }
            Invalid::AudienceCount => f.write_str("Audience URLs: list 1 to 100 URLs."),
            Invalid::Audience(reason) => write!(f, "Audience URL {reason}."),
            Invalid::AudienceTwice(raw) => write!(f, "Audience URL {raw:?} is listed twice."),
        }
    }
}

fn within(value: &str, max: usize) -> bool {
    !value.is_empty() && value.chars().count() <= max
}

/// The grants a connection may use: the two where the server asks on its own (RFC 6749 §4.3, §4.4).
fn grant_type(text: &str) -> Result<GrantType, Invalid> {
    match GrantType::parse(text) {
        Some(grant @ (GrantType::ClientCredentials | GrantType::Password)) => Ok(grant),
        _ => Err(Invalid::GrantType(text.to_owned())),
    }
}

/// A patched field: the new value, unless it is empty.
fn keep<T: Clone>(new: T, old: &T, is_empty: impl Fn(&T) -> bool) -> T {
    if is_empty(&new) {
        old.clone()
    } else {
        new
    }
}

impl Connection {
    /// A new connection from `input`, checked.
    pub fn create(
        id: ConnectionId,
        creator_id: &UserId,
        now: i64,
        input: ConnectionInput,
    ) -> Result<Connection, Invalid> {
        let connection = Connection {
            v: 1,
            id,
            name: input.name,
            creator_id: creator_id.clone(),
            create_at: now,
            update_at: now,
            client_id: input.client_id,
            client_secret: input.client_secret,
            credentials_username: input.credentials_username.unwrap_or_default(),
            credentials_password: input.credentials_password.unwrap_or_default(),
            oauth_token_url: input.oauth_token_url,
            grant_type: grant_type(if input.grant_type.is_empty() {
                "client_credentials"
            } else {
                &input.grant_type
            })?,
            audiences: input.audiences,
            cache_tokens: input.cache_tokens.unwrap_or(false),
        };
        connection.check()?;
        Ok(connection)
    }

    /// This connection with `input` applied: empty fields keep what is stored — except that the
    /// stored secret (and password) never follow a token URL to another origin: they would be
    /// posted to a server nobody entered them for. They must be sent again with the new URL.
    pub fn patched(&self, now: i64, input: ConnectionInput) -> Result<Connection, Invalid> {
        let grant =
            if input.grant_type.is_empty() { self.grant_type } else { grant_type(&input.grant_type)? };
        if !input.oauth_token_url.is_empty()
            && origin(&input.oauth_token_url) != origin(&self.oauth_token_url)
        {
            check_credentials_resent(&input, grant)?;
        }
        let text = |new: String, old: &String| keep(new, old, String::is_empty);
        let patched = Connection {
            name: text(input.name, &self.name),
            client_id: text(input.client_id, &self.client_id),
            client_secret: keep(input.client_secret, &self.client_secret, |s| s.secret().is_empty()),
            credentials_username: text(
                input.credentials_username.unwrap_or_default(),
                &self.credentials_username,
            ),
            credentials_password: keep(
                input.credentials_password.unwrap_or_default(),
                &self.credentials_password,
                |p| p.secret().is_empty(),
            ),
            oauth_token_url: text(input.oauth_token_url, &self.oauth_token_url),
            grant_type: grant,
            audiences: if input.audiences.is_empty() { self.audiences.clone() } else { input.audiences },
            cache_tokens: input.cache_tokens.unwrap_or(self.cache_tokens),
            update_at: now.max(self.update_at + 1),
            ..self.clone()
        };
        patched.check()?;
        Ok(patched)
    }

    /// Mattermost's `OutgoingOAuthConnection.IsValid`, plus: a token URL without user info or
    /// fragment, and audiences that parse. The error names the field.
    pub fn check(&self) -> Result<(), Invalid> {
        if !within(&self.name, MAX_NAME_CHARS) || !crate::text::is_printable_line(&self.name) {
            return Err(Invalid::Name);
        }
        if !within(&self.client_id, MAX_CREDENTIAL_CHARS) {
            return Err(Invalid::ClientId);
        }
        if !within(self.client_secret.secret(), MAX_CREDENTIAL_CHARS) {
            return Err(Invalid::ClientSecret);
        }
        self.check_token_url()?;
        if self.grant_type == GrantType::Password
            && !(within(&self.credentials_username, MAX_CREDENTIAL_CHARS)
                && within(self.credentials_password.secret(), MAX_CREDENTIAL_CHARS))
        {
            return Err(Invalid::PasswordCredentials);
        }
        self.parsed_audiences().map(|_| ())
    }

    fn check_token_url(&self) -> Result<(), Invalid> {
        let url = &self.oauth_token_url;
        let parsed = Url::parse(url).ok();
        let clean = parsed
            .as_ref()
            .is_some_and(|u| u.username().is_empty() && u.password().is_none() && u.fragment().is_none());
        if url.chars().count() > MAX_TOKEN_URL_CHARS || !is_http_url(url) || !clean {
            return Err(Invalid::TokenUrl);
        }
        Ok(())
    }

    /// The audiences, parsed; an empty list, a malformed one or a repeat is refused.
    pub fn parsed_audiences(&self) -> Result<Vec<Audience>, Invalid> {
        if self.audiences.is_empty() || self.audiences.len() > MAX_AUDIENCES {
            return Err(Invalid::AudienceCount);
        }
        let mut parsed: Vec<Audience> = Vec::with_capacity(self.audiences.len());
        for raw in &self.audiences {
            let parsed_one = if raw.chars().count() <= MAX_AUDIENCE_CHARS {
                Audience::parse(raw)
            } else {
                Err(AudienceError::TooLong(raw.clone()))
            };
            let audience = parsed_one.map_err(Invalid::Audience)?;
            if parsed.iter().any(|a| a.key() == audience.key()) {
                return Err(Invalid::AudienceTwice(raw.clone()));
            }
            parsed.push(audience);
        }
        Ok(parsed)
    }

    /// The JSON view; `with_credentials` shows the client id and username (to the connection's
    /// managers, whose edit form needs them).
    pub fn view(&self, with_credentials: bool) -> ConnectionView<'_> {
        ConnectionView {
            id: &self.id,
            name: &self.name,
            creator_id: &self.creator_id,
            create_at: self.create_at,
            update_at: self.update_at,
            client_id: if with_credentials { &self.client_id } else { "" },
            client_secret: "",
            credentials_username: if with_credentials { &self.credentials_username } else { "" },
            oauth_token_url: &self.oauth_token_url,
            grant_type: self.grant_type.as_str(),
            audiences: &self.audiences,
            cache_tokens: self.cache_tokens,
        }
    }
}
