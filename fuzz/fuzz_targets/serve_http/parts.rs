//! The parts a request is assembled from: method, route template, query, headers, body, user.

use crate::*;

#[derive(Arbitrary, Debug)]
pub(crate) struct HttpStep {
    pub(crate) method: Method,
    pub(crate) route: Route,
    pub(crate) mangle: u8,
    pub(crate) query: Query,
    /// `None`: the one that goes with the body.
    pub(crate) content_type: Option<ContentType>,
    pub(crate) authorization: Option<AuthHeader>,
    pub(crate) body: Body,
    pub(crate) user: UserChoice,
    pub(crate) oauth_session: bool,
    pub(crate) remote_addr: RemoteAddr,
}

#[derive(Arbitrary, Debug)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Delete,
    Options,
    Head,
    Patch,
    Lower(bool),
    Empty,
    Other(String),
}

/// A template for every route the plugin serves, and some it does not.
#[derive(Arbitrary, Debug)]
pub(crate) enum Route {
    Metadata,
    MetadataSuffix(Text),
    OpenIdConfiguration,
    OpenIdConfigurationSuffix(Text),
    Jwks,
    UserInfo,
    /// The chat server's protected resource metadata (RFC 9728).
    ProtectedResource,
    /// A registered resource's metadata, at the path made from its identifier.
    ProtectedResourceOf(u8),
    ProtectedResourceSuffix(Text),
    Authorize,
    AccessToken,
    Revoke,
    Introspect,
    DeviceAuthorization,
    Device,
    Deauthorize,
    UserAuthorizedApps(Seg),
    Apps,
    Register,
    App(Seg),
    AppInfo(Seg),
    AppRegenSecret(Seg),
    AppOther(Seg, Text),
    Outgoing,
    OutgoingValidate,
    OutgoingOne(Seg),
    OutgoingOther(Seg, Text),
    RemoteConnect(AppSeg),
    RemoteComplete(AppSeg),
    RemoteOther(AppSeg, Text),
    StoreApp,
    StoreUser,
    StoreContext,
    StoreConnections,
    StoreConnection(AppSeg),
    StoreOther(Text),
    SigningKeysRotate,
    Resources,
    Resource(Seg),
    ResourceRegenSecret(Seg),
    ResourceOther(Seg, Text),
    Raw(String),
}

/// An id in a path.
#[derive(Arbitrary, Debug)]
pub(crate) enum Seg {
    Known(Known),
    ValidLooking(u128),
    Overlong(u16),
    Empty,
    Odd(String),
}

/// An app id (the app OAuth2 store's) in a path.
#[derive(Arbitrary, Debug, Clone)]
pub(crate) enum AppSeg {
    Jira,
    Unconfigured,
    Overlong(u8),
    Empty,
    Odd(String),
}

#[derive(Arbitrary, Debug)]
pub(crate) enum Query {
    None,
    Authorize(AuthorizeFields),
    Complete {
        state: Option<Text>,
        code: Option<Text>,
        error: Option<Text>,
        error_description: Option<Text>,
    },
    Paging {
        page: Option<Text>,
        per_page: Option<Text>,
        limit: Option<Text>,
        from_id: Option<Text>,
        audience: Option<Text>,
    },
    /// The device verification page's.
    Device {
        user_code: Option<Text>,
        result: Option<Text>,
    },
    /// A bearer token where UserInfo does not take one.
    AccessToken(Text),
    Pairs(Vec<(Text, Text)>),
    Raw(String),
}

/// The authorization request's parameters, in the query or in the consent page's JSON.
#[derive(Arbitrary, Debug)]
pub(crate) struct AuthorizeFields {
    /// Start from a valid request for the trusted app.
    pub(crate) base: bool,
    pub(crate) response_type: Option<Text>,
    pub(crate) client_id: Option<Text>,
    pub(crate) redirect_uri: Option<Text>,
    pub(crate) state: Option<Text>,
    pub(crate) scope: Option<Text>,
    pub(crate) code_challenge: Option<Text>,
    pub(crate) code_challenge_method: Option<Text>,
    pub(crate) resource: Option<Text>,
    /// Send the first parameter twice.
    pub(crate) repeat: bool,
}

#[derive(Arbitrary, Debug)]
pub(crate) enum ContentType {
    Form,
    FormCharset,
    Json,
    JsonCharset,
    TextPlain,
    Raw(String),
}

#[derive(Arbitrary, Debug)]
pub(crate) enum AuthHeader {
    BasicApp,
    BasicPublic,
    Basic(Text, Text),
    BasicRaw(String),
    Bearer(Text),
    Raw(String),
}

#[derive(Arbitrary, Debug, Clone)]
pub(crate) enum UserChoice {
    Admin,
    User,
    None,
    Deactivated,
    Nobody,
    Empty,
    /// The host sets only ids of real sessions, so this stays id-sized.
    Odd(String),
}

#[derive(Arbitrary, Debug)]
pub(crate) enum RemoteAddr {
    First,
    Second,
    Ipv6,
    Empty,
    Odd(String),
}

#[derive(Arbitrary, Debug)]
pub(crate) enum Body {
    Empty,
    Form(FormFields),
    App(AppFields),
    Connection(ConnectionFields),
    Registration(RegistrationFields),
    Consent(AuthorizeFields, Option<Field>),
    Deauthorize(Option<Field>),
    RemoteSettings(RemoteFields),
    Resource(ResourceFields),
    /// The device verification page's decision: `user_code` and `approve`.
    DeviceDecision(Option<Text>, Option<Field>),
    Json(Json),
    /// Nested arrays or objects this deep.
    Deep(bool, u16),
    /// This many copies of a byte (past the size limits).
    Big(u8, u32),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
pub(crate) struct FormFields {
    pub(crate) grant_type: Option<Text>,
    pub(crate) code: Option<Text>,
    pub(crate) redirect_uri: Option<Text>,
    pub(crate) client_id: Option<Text>,
    pub(crate) client_secret: Option<Text>,
    pub(crate) code_verifier: Option<Text>,
    pub(crate) refresh_token: Option<Text>,
    pub(crate) token: Option<Text>,
    pub(crate) token_type_hint: Option<Text>,
    pub(crate) device_code: Option<Text>,
    pub(crate) access_token: Option<Text>,
    pub(crate) scope: Option<Text>,
    pub(crate) resource: Option<Text>,
    pub(crate) extra: Vec<(Text, Text)>,
    pub(crate) repeat: bool,
}

#[derive(Arbitrary, Debug)]
pub(crate) struct AppFields {
    /// Start from a valid app.
    pub(crate) base: bool,
    pub(crate) id: Option<Field>,
    pub(crate) name: Option<Field>,
    pub(crate) description: Option<Field>,
    pub(crate) icon_url: Option<Field>,
    pub(crate) callback_urls: Option<Vec<Field>>,
    pub(crate) homepage: Option<Field>,
    pub(crate) is_trusted: Option<Flag>,
    pub(crate) is_public: Option<Flag>,
    pub(crate) mattermost_app_id: Option<Field>,
    pub(crate) grant_types: Option<Vec<Field>>,
    pub(crate) extra: Option<(String, Json)>,
}

#[derive(Arbitrary, Debug)]
pub(crate) struct ConnectionFields {
    pub(crate) base: bool,
    pub(crate) id: Option<Field>,
    pub(crate) name: Option<Field>,
    pub(crate) client_id: Option<Field>,
    pub(crate) client_secret: Option<Field>,
    pub(crate) credentials_username: Option<Field>,
    pub(crate) credentials_password: Option<Field>,
    pub(crate) oauth_token_url: Option<Field>,
    pub(crate) grant_type: Option<Field>,
    pub(crate) audiences: Option<Vec<Field>>,
    pub(crate) cache_tokens: Option<Flag>,
}

#[derive(Arbitrary, Debug)]
pub(crate) struct RegistrationFields {
    pub(crate) base: bool,
    pub(crate) redirect_uris: Option<Vec<Field>>,
    pub(crate) token_endpoint_auth_method: Option<Field>,
    pub(crate) grant_types: Option<Vec<Field>>,
    pub(crate) response_types: Option<Vec<Field>>,
    pub(crate) client_name: Option<Field>,
    pub(crate) client_uri: Option<Field>,
    pub(crate) logo_uri: Option<Field>,
    pub(crate) scope: Option<Field>,
    pub(crate) extra: Option<(String, Json)>,
}

#[derive(Arbitrary, Debug)]
pub(crate) struct RemoteFields {
    pub(crate) base: bool,
    pub(crate) client_id: Option<Field>,
    pub(crate) client_secret: Option<Field>,
    pub(crate) remote_root_url: Option<Field>,
    pub(crate) data: Option<Json>,
    pub(crate) authorize_url: Option<Field>,
    pub(crate) token_url: Option<Field>,
    pub(crate) scopes: Option<Vec<Field>>,
}

/// A protected resource as the resources API takes it.
#[derive(Arbitrary, Debug)]
pub(crate) struct ResourceFields {
    /// Start from a valid resource under the SiteURL.
    pub(crate) base: bool,
    pub(crate) id: Option<Field>,
    pub(crate) identifier: Option<Field>,
    pub(crate) name: Option<Field>,
    pub(crate) scopes: Option<Vec<Field>>,
    pub(crate) token_format: Option<Field>,
    pub(crate) extra: Option<(String, Json)>,
}
