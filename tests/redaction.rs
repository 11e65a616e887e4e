//! No secret shows in `Debug` or `Display` of what holds it: every struct that carries a client
//! secret, password, token, code, verifier or state, formatted, carries none of them (a naive
//! `#[derive(Debug)]` on a secret type or a secret kept as a plain `String` fails here).

use crate::common::test;
use oauth_plugin::apps_oauth2::records::{ConnectState, RemoteSettings, UserToken};
use oauth_plugin::grant_type::GrantType;
use oauth_plugin::ids::*;
use oauth_plugin::oauth_client::ObtainedToken;
use oauth_plugin::outgoing::connection::{Connection, ConnectionInput};
use oauth_plugin::provider::client_auth::ClientCredentials;
use oauth_plugin::provider::clients::Client;
use oauth_plugin::provider::grants::IssuedTokens;
use std::fmt::Debug;

const SECRET: &str = "s3cr3t-value-that-must-not-show";

fn assert_hidden(what: &str, value: &impl Debug) {
    let debug = format!("{value:?}");
    let pretty = format!("{value:#?}");
    assert!(!debug.contains(SECRET) && !pretty.contains(SECRET), "{what} shows its secret: {debug}");
}

fn assert_hidden_display(what: &str, value: &(impl Debug + std::fmt::Display)) {
    assert_hidden(what, value);
    assert!(!format!("{value}").contains(SECRET), "{what} displays its secret");
}

#[test]
fn secret_types_print_no_secret() {
    assert_hidden_display("ClientSecret", &ClientSecret::new(SECRET));
    assert_hidden_display("AccessToken", &AccessToken::new(SECRET));
    assert_hidden_display("RefreshToken", &RefreshToken::new(SECRET));
    assert_hidden_display("AuthorizationCode", &AuthorizationCode::new(SECRET));
    assert_hidden_display("Password", &Password::new(SECRET));
    assert_hidden_display("PkceCodeVerifier", &PkceCodeVerifier::new(SECRET));
    assert_hidden_display("ConnectStateToken", &ConnectStateToken::new(SECRET));
    assert_hidden_display("AuthorizationHeader", &AuthorizationHeader::new(format!("Bearer {SECRET}")));
    assert_hidden_display("TokenJson", &TokenJson::new(serde_json::json!({ "access_token": SECRET })));
    assert_eq!(format!("{:?}", ClientSecret::new(SECRET)), "ClientSecret([redacted])");
    // The value is still there for the one place that sends it.
    assert_eq!(ClientSecret::new(SECRET).secret(), SECRET);
}

#[test]
fn hashes_stay_out_of_debug() {
    let hash = SecretHash::of(SECRET);
    assert!(!format!("{hash:?}").contains(hash.as_str()));
}

#[test]
fn structs_holding_secrets_print_none() {
    let tokens = IssuedTokens {
        access_token: AccessToken::new(SECRET),
        expires_in: 3600,
        refresh_token: Some(RefreshToken::new(SECRET)),
        scope: "user".into(),
        subject: Default::default(),
    };
    assert_hidden("IssuedTokens", &tokens);
    let credentials = ClientCredentials {
        client_id: ClientId::new("app"),
        secret: Some(ClientSecret::new(SECRET)),
        via_basic: true,
    };
    assert_hidden("ClientCredentials", &credentials);
    let connection = Connection {
        v: 1,
        id: ConnectionId::random(),
        name: "Jira".into(),
        creator_id: UserId::new("alicealicealicealicealice1"),
        create_at: 0,
        update_at: 0,
        client_id: "jira-client".into(),
        client_secret: ClientSecret::new(SECRET),
        credentials_username: "bot".into(),
        credentials_password: Password::new(SECRET),
        oauth_token_url: "https://jira.example.com/token".into(),
        grant_type: GrantType::Password,
        audiences: vec!["https://jira.example.com/".into()],
        cache_tokens: false,
    };
    assert_hidden("Connection", &connection);
    let input = ConnectionInput {
        client_secret: ClientSecret::new(SECRET),
        credentials_password: Some(Password::new(SECRET)),
        ..ConnectionInput::default()
    };
    assert_hidden("ConnectionInput", &input);
    let settings = RemoteSettings { client_secret: ClientSecret::new(SECRET), ..RemoteSettings::default() };
    assert_hidden("RemoteSettings", &settings);
    let token = UserToken {
        v: 1,
        value: TokenJson::new(serde_json::json!({ "access_token": SECRET })),
        obtained_by_plugin: true,
        expires_at: None,
        refresh_token: Some(RefreshToken::new(SECRET)),
        stored_at: 0,
        binding: String::new(),
    };
    assert_hidden("UserToken", &token);
    let state = ConnectState {
        v: 1,
        app_id: "jira".into(),
        user_id: UserId::new("alicealicealicealicealice1"),
        code_verifier: PkceCodeVerifier::new(SECRET),
        binding: String::new(),
    };
    assert_hidden("ConnectState", &state);
    let obtained = ObtainedToken {
        access_token: AccessToken::new(SECRET),
        token_type: "Bearer".into(),
        expires_in: None,
        refresh_token: Some(RefreshToken::new(SECRET)),
        raw: TokenJson::new(serde_json::json!({ "access_token": SECRET })),
    };
    assert_hidden("ObtainedToken", &obtained);
}

#[test]
fn a_client_beside_its_new_secret_shows_neither_secret_nor_hash() {
    let secret = ClientSecret::new(SECRET);
    let client = Client {
        v: 1,
        id: ClientId::random(),
        creator_id: UserId::default(),
        create_at: 0,
        update_at: 0,
        name: "App".into(),
        description: String::new(),
        icon_url: String::new(),
        callback_urls: vec!["https://app.example.com/cb".into()],
        homepage: "https://app.example.com/".into(),
        is_trusted: false,
        is_public: false,
        is_dynamically_registered: false,
        mattermost_app_id: String::new(),
        secret_hash: Some(SecretHash::of(SECRET)),
        grant_types: Vec::new(),
        response_types: Vec::new(),
        token_endpoint_auth_method: None,
    };
    let created = (client, Some(secret));
    assert_hidden("a created client", &created);
    assert!(!format!("{created:?}").contains(&hash_secret(SECRET)));
}
