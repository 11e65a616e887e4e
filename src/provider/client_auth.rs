//! Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3):
//! `client_secret_basic`, `client_secret_post`, and `none` for public clients. Secrets are
//! compared in constant time against their stored hash.

use super::client_metadata::{self, Refusal as DocumentRefusal};
use super::clients::Client;
use super::oauth_error::{ErrorCode, OAuthError};
use crate::context::Context;
use crate::host::Host;
use crate::http::{Params, Request};
use crate::ids::{ClientId, ClientSecret};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// Who the client says it is.
#[derive(Debug, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: ClientId,
    pub secret: Option<ClientSecret>,
    pub via_basic: bool,
}

fn invalid_client(description: &str, via_basic: bool) -> OAuthError {
    OAuthError { challenge_basic: via_basic, ..OAuthError::new(ErrorCode::InvalidClient, description) }
}

/// RFC 6749 §2.3.1: Basic credentials are form-encoded before base64.
fn form_decode(part: &str) -> Option<String> {
    let decoded: Vec<(String, String)> = url::form_urlencoded::parse(format!("v={part}").as_bytes())
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    match decoded.as_slice() {
        [(_, value)] if !value.contains(char::REPLACEMENT_CHARACTER) => Some(value.clone()),
        _ => None,
    }
}

fn basic_credentials(header: &str) -> Result<Option<(String, String)>, OAuthError> {
    let Some((scheme, encoded)) = header.trim().split_once(' ') else { return Ok(None) };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let malformed = || invalid_client("Malformed HTTP Basic client credentials.", true);
    let bytes = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let text = String::from_utf8(bytes).map_err(|_| malformed())?;
    let (id, secret) = text.split_once(':').ok_or_else(malformed)?;
    Ok(Some((form_decode(id).ok_or_else(malformed)?, form_decode(secret).ok_or_else(malformed)?)))
}

/// The credentials of a request, from exactly one method (RFC 6749 §2.3: "MUST NOT use more than
/// one authentication method in each request").
pub fn credentials(request: &Request, params: &Params) -> Result<ClientCredentials, OAuthError> {
    let basic = match request.header("authorization") {
        Some(header) => basic_credentials(header)?,
        None => None,
    };
    let body_id = params.get("client_id");
    let body_secret = params.get("client_secret");
    match basic {
        Some((client_id, secret)) => {
            if body_secret.is_some() {
                return Err(OAuthError::invalid_request("Use one client authentication method, not two."));
            }
            if body_id.is_some_and(|id| id != client_id) {
                return Err(OAuthError::invalid_request(
                    "client_id differs from the HTTP Basic credentials.",
                ));
            }
            Ok(ClientCredentials {
                client_id: ClientId::new(client_id),
                secret: Some(ClientSecret::new(secret)),
                via_basic: true,
            })
        }
        None => {
            let client_id =
                body_id.ok_or_else(|| invalid_client("Client authentication is required.", false))?;
            Ok(ClientCredentials {
                client_id: ClientId::new(client_id),
                secret: body_secret.map(ClientSecret::new),
                via_basic: false,
            })
        }
    }
}

/// The app the credentials prove, or `invalid_client`.
pub async fn authenticate<H: Host>(
    ctx: &Context<'_, H>,
    credentials: &ClientCredentials,
) -> Result<Client, OAuthError> {
    let refuse = |description: &str| invalid_client(description, credentials.via_basic);
    let client = match client_metadata::find(ctx, &credentials.client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => return Err(refuse("Unknown client.")),
        Err(DocumentRefusal::Storage(error)) => return Err(error.into()),
        Err(refusal) => return Err(refuse(&refusal.to_string())),
    };
    match (&client.secret_hash, &credentials.secret) {
        (None, None) => Ok(client),
        (None, Some(_)) => Err(refuse("A public client has no secret; send none.")),
        (Some(hash), Some(secret)) if hash.matches(secret.secret()) => Ok(client),
        (Some(_), _) => Err(refuse("Client authentication failed.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request_with(header: Option<&str>) -> Request {
        let mut request = Request::new("POST", "/oauth/access_token");
        if let Some(header) = header {
            request.headers.insert("authorization".into(), header.into());
        }
        request
    }

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let request = request_with(Some(&basic("my%20app", "s%3Ac+r")));
        let creds = credentials(&request, &Params::default()).unwrap();
        assert_eq!(
            creds,
            ClientCredentials {
                client_id: ClientId::new("my app"),
                secret: Some(ClientSecret::new("s:c r")),
                via_basic: true
            }
        );
    }

    #[test]
    fn post_credentials_and_public_clients() {
        let params = Params::parse(b"client_id=abc&client_secret=xyz").unwrap();
        let creds = credentials(&request_with(None), &params).unwrap();
        assert_eq!(creds.secret.as_ref().map(|s| s.secret().as_str()), Some("xyz"));
        let params = Params::parse(b"client_id=abc").unwrap();
        assert_eq!(credentials(&request_with(None), &params).unwrap().secret, None);
    }

    #[test]
    fn two_methods_or_none_are_refused() {
        let params = Params::parse(b"client_id=abc&client_secret=xyz").unwrap();
        let error = credentials(&request_with(Some(&basic("abc", "xyz"))), &params).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRequest);
        let error = credentials(&request_with(None), &Params::default()).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidClient);
        let error = credentials(&request_with(Some("Basic !!!")), &Params::default()).unwrap_err();
        assert!(error.challenge_basic);
    }
}
