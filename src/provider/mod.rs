//! OAuth 2.0 provider: the chat server as an authorization server.

pub mod app_ids;
pub mod authorize;
pub mod authorized_api;
pub mod client_auth;
pub mod client_metadata;
pub mod clients;
pub mod clients_api;
pub mod consent;
pub mod consent_page;
pub mod dcr;
pub mod grant_refusal;
pub mod grants;
pub mod id_token;
pub mod jwks;
pub mod jwt_access_token;
pub mod metadata;
pub mod oauth_error;
pub mod pkce;
pub mod prompt;
pub mod resource_indicators;
pub mod resources;
pub mod resources_api;
pub mod scope;
pub mod signing;
pub mod token;
pub mod userinfo;
