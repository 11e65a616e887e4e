//! The decoded input: what `arbitrary` makes of the fuzzer's bytes.

use crate::*;

pub(crate) enum Step {
    Act(Action, Option<Upstream>),
    /// Two at once, with every KV call giving way to the other request.
    Concurrent(Action, Action, Option<Upstream>),
    Advance(Clock),
    Resolve(Text),
    AuthorizeOutgoing(Text, Option<Upstream>),
}

impl<'a> Arbitrary<'a> for Step {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match u.arbitrary::<u8>()? {
            0..=199 => Step::Act(u.arbitrary()?, u.arbitrary()?),
            200..=219 => Step::Concurrent(u.arbitrary()?, u.arbitrary()?, u.arbitrary()?),
            220..=231 => Step::Advance(u.arbitrary()?),
            232..=243 => Step::Resolve(u.arbitrary()?),
            _ => Step::AuthorizeOutgoing(u.arbitrary()?, u.arbitrary()?),
        })
    }
}

/// One request: a call of an endpoint that is valid unless the input says otherwise, or a request
/// assembled from parts.
#[derive(Debug)]
pub(crate) enum Action {
    Call(Box<Call>),
    Http(Box<HttpStep>),
}

impl<'a> Arbitrary<'a> for Action {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(if u.arbitrary::<u8>()? < 150 {
            Action::Call(u.arbitrary()?)
        } else {
            Action::Http(u.arbitrary()?)
        })
    }
}

#[derive(Arbitrary, Debug)]
pub(crate) enum Call {
    Authorize(AuthorizeCall),
    /// The consent page's Allow (or Deny, or no answer).
    Consent(AuthorizeCall, Option<bool>),
    Token(TokenCall),
    Revoke(TokenRef, ClientAuth),
    Introspect(TokenRef, ClientAuth),
    Register(RegistrationFields, RemoteAddr),
    CreateApp(UserChoice, AppFields),
    UpdateApp(u8, UserChoice, AppFields),
    AppAction(AppAction, u8, UserChoice),
    ListApps(UserChoice, Option<Text>, Option<Text>),
    /// The caller, and whose authorized apps.
    AuthorizedApps(UserChoice, UserChoice),
    Deauthorize(UserChoice, u8),
    CreateConnection(UserChoice, ConnectionFields),
    UpdateConnection(u8, ConnectionFields),
    ValidateConnection(Option<u8>, ConnectionFields),
    ConnectionAction(ConnectionAction, u8, UserChoice),
    ListConnections(UserChoice, Option<Text>, Option<Text>, Option<Text>),
    /// The app OAuth2 store's API, with one of the access tokens issued so far.
    Store(StoreCall, u8),
    Connect(UserChoice, AppSeg),
    /// The user, the app, which connect state, and the provider's code and error.
    Complete(UserChoice, AppSeg, StateChoice, Option<Text>, Option<Text>),
}

#[derive(Arbitrary, Debug)]
pub(crate) enum StateChoice {
    /// Starts a connect flow for the same user and app first, and answers it.
    Fresh,
    Issued(u8),
    Other(Text),
}

#[derive(Arbitrary, Debug)]
pub(crate) struct AuthorizeCall {
    pub(crate) user: UserChoice,
    pub(crate) client: u8,
    pub(crate) response_type: ResponseChoice,
    pub(crate) redirect: RedirectChoice,
    pub(crate) pkce: PkceChoice,
    pub(crate) state: Option<Text>,
    pub(crate) scope: Option<Text>,
    pub(crate) resource: Option<Text>,
}

#[derive(Arbitrary, Debug)]
pub(crate) enum ResponseChoice {
    Code,
    Token,
    Other(Text),
}

#[derive(Arbitrary, Debug)]
pub(crate) enum RedirectChoice {
    Registered,
    Omitted,
    Other(Text),
}

#[derive(Arbitrary, Debug)]
pub(crate) enum PkceChoice {
    None,
    S256,
    Plain,
    Other(Text, Text),
}

#[derive(Arbitrary, Debug)]
pub(crate) struct TokenCall {
    pub(crate) grant: GrantChoice,
    pub(crate) auth: ClientAuth,
    pub(crate) deviation: Option<TokenDeviation>,
}

#[derive(Arbitrary, Debug)]
pub(crate) enum GrantChoice {
    Code(u8),
    Refresh(u8),
    Other(Text),
}

/// Who authenticates: the client the code or token belongs to (in the body or with HTTP Basic),
/// another client, a wrong secret, or nobody.
#[derive(Arbitrary, Debug)]
pub(crate) enum ClientAuth {
    Owner,
    OwnerBasic,
    Client(u8),
    ClientBasic(u8),
    WrongSecret(Text),
    Missing,
}

#[derive(Arbitrary, Debug)]
pub(crate) enum TokenDeviation {
    NoRedirect,
    WrongRedirect(Text),
    NoVerifier,
    WrongVerifier(Text),
    ExtraVerifier,
    RepeatGrantType,
    NoGrantType,
    BasicAndSecret,
    Extra(Text, Text),
}

#[derive(Arbitrary, Debug)]
pub(crate) enum TokenRef {
    Access(u8),
    Refresh(u8),
    Code(u8),
    Other(Text),
}

#[derive(Arbitrary, Debug)]
pub(crate) enum AppAction {
    Get,
    Info,
    Regenerate,
    Delete,
}

#[derive(Arbitrary, Debug)]
pub(crate) enum ConnectionAction {
    Get,
    Delete,
}

#[derive(Arbitrary, Debug)]
pub(crate) enum StoreCall {
    PutApp(Box<RemoteFields>),
    GetUser,
    PutUser(Json),
    Context,
    Connections,
    DeleteConnection(AppSeg),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) enum Clock {
    Second,
    Minute,
    /// Past a code's 10 minutes.
    CodeLifetime,
    Hour,
    Day,
    /// Past an access token's 720 hours.
    TokenLifetime,
    Seconds(u16),
}

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
    Authorize,
    AccessToken,
    Revoke,
    Introspect,
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

/// A string value: mostly the real values issued so far, protocol words and URLs.
#[derive(Arbitrary, Debug)]
pub(crate) enum Text {
    Known(Known),
    Word(Word),
    Url(UrlKind),
    Number(i64),
    Fuzz(String),
    Repeat(u8, u16),
    Id(u128),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) enum Known {
    AppId,
    AppSecret,
    PublicId,
    Client(u8),
    ClientSecret(u8),
    Callback(u8),
    Code(u8),
    AccessToken(u8),
    RefreshToken(u8),
    Connection(u8),
    State(u8),
    Verifier,
    Challenge,
    AdminId,
    UserId,
    DeactivatedId,
    JiraAppId,
    OcSecret,
    OcClientId,
    SiteUrl,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub(crate) enum Word {
    Code,
    Token,
    IdToken,
    S256,
    Plain,
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    Password,
    Implicit,
    ClientSecretBasic,
    ClientSecretPost,
    None,
    User,
    Bearer,
    True,
    False,
    Zero,
    MinusOne,
    Huge,
    AccessTokenHint,
    RefreshTokenHint,
    Empty,
    Space,
}

#[derive(Arbitrary, Debug)]
pub(crate) enum UrlKind {
    AppCallback,
    AppCallback2,
    PublicCallback,
    DcrAllowed(u8),
    DcrLocalhost(u16),
    DcrDenied,
    Homepage,
    Icon,
    TokenUrl,
    RemoteAuthorize,
    RemoteToken,
    AudienceCovered(String),
    AudienceExact,
    AudienceQuery(String),
    AudiencePrefix(String),
    Uncovered,
    Loopback,
    SchemeOnly,
    Fragment,
    Userinfo,
    Javascript,
    Relative,
    Ftp,
    UpperCase,
    Site(String),
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

/// A boolean field's value.
#[derive(Arbitrary, Debug)]
pub(crate) enum Flag {
    Yes,
    No,
    Other(Field),
}

/// A JSON field's value: mostly a string, sometimes any JSON.
#[derive(Debug)]
pub(crate) enum Field {
    Str(Text),
    Json(Json),
}

impl<'a> Arbitrary<'a> for Field {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(if u.arbitrary::<u8>()? < 224 { Field::Str(u.arbitrary()?) } else { Field::Json(u.arbitrary()?) })
    }
}

/// Any JSON value, at most a few levels deep.
#[derive(Debug)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Text),
    Array(Vec<Json>),
    Object(Vec<(Text, Json)>),
}

impl Json {
    pub(crate) fn generate(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Json> {
        let kinds = if depth >= 4 { 4 } else { 6 };
        Ok(match u.int_in_range(0..=kinds)? {
            0 => Json::Null,
            1 => Json::Bool(u.arbitrary()?),
            2 => Json::Int(u.arbitrary()?),
            3 => Json::Float(u.arbitrary()?),
            4 => Json::Str(u.arbitrary()?),
            5 => {
                let len = u.int_in_range(0..=4)?;
                Json::Array((0..len).map(|_| Json::generate(u, depth + 1)).collect::<Result<_, _>>()?)
            }
            _ => {
                let len = u.int_in_range(0..=4)?;
                let mut fields = Vec::with_capacity(len);
                for _ in 0..len {
                    fields.push((u.arbitrary()?, Json::generate(u, depth + 1)?));
                }
                Json::Object(fields)
            }
        })
    }
}

impl<'a> Arbitrary<'a> for Json {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Json::generate(u, 0)
    }
}

/// How the token server answers.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
pub(crate) enum Upstream {
    Token,
    NoExpiry,
    ExpiresIn(i64),
    /// A boundary value: around 0, the cache margin, a day, and the ends of i64.
    ExpiresInEdge(u8),
    ExpiresInText(i64),
    ExpiresInFloat(f64),
    NoRefreshToken,
    TokenType(u8),
    NoAccessToken,
    AccessTokenNotString,
    UnsafeAccessToken,
    Denied,
    ServerError,
    NotJson,
    Redirect,
    Unreachable,
}

impl Upstream {
    /// Whether a 502 (or a failed outgoing authorization) is the right answer to it.
    pub(crate) fn fails(self) -> bool {
        !matches!(
            self,
            Upstream::Token
                | Upstream::NoExpiry
                | Upstream::ExpiresIn(_)
                | Upstream::ExpiresInEdge(_)
                | Upstream::ExpiresInText(_)
                | Upstream::ExpiresInFloat(_)
                | Upstream::NoRefreshToken
        )
    }
}
