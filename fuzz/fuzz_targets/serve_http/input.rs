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
    /// RFC 8628 §3.1: a client asks for a device code, with its `scope` and `resource`.
    DeviceAuthorize(DeviceClient, ClientAuth, Option<Text>, Option<Text>),
    /// The verification page, with a user code (or none).
    DevicePage(UserChoice, Option<UserCodeChoice>),
    /// The verification page's Allow (or Deny, or no answer); whether the session is an OAuth one.
    DeviceDecision(UserChoice, UserCodeChoice, Option<bool>, bool),
    /// OpenID Connect UserInfo with a token, sent as `how` says; by POST or GET.
    UserInfo(TokenRef, BearerPlacement, bool),
    RotateSigningKeys(UserChoice),
    CreateResource(UserChoice, ResourceFields),
    UpdateResource(u8, UserChoice, ResourceFields),
    ResourceAction(ResourceAction, u8, UserChoice),
    ListResources(UserChoice),
}

/// Which client asks for a device code: the setup's confidential or public device client, or any.
#[derive(Arbitrary, Debug)]
pub(crate) enum DeviceClient {
    Confidential,
    Public,
    Client(u8),
}

/// A user code on the verification page.
#[derive(Arbitrary, Debug)]
pub(crate) enum UserCodeChoice {
    /// Starts a device authorization by the confidential device client first, and uses its code.
    Fresh,
    Issued(u8, CodeTyping),
    Other(Text),
}

/// How a person types a user code (RFC 8628 §6.1: case, dashes and spaces do not matter).
#[derive(Arbitrary, Debug)]
pub(crate) enum CodeTyping {
    AsShown,
    Lower,
    NoDash,
    Spaced,
}

/// Where a UserInfo request carries its token (RFC 6750 §2).
#[derive(Arbitrary, Debug)]
pub(crate) enum BearerPlacement {
    Header,
    LowerCaseScheme,
    /// `access_token` in a form body (only POST takes one).
    Form,
    /// In the header and the body: refused.
    Both,
    /// `?access_token=`: not a method UserInfo takes.
    Query,
    Missing,
}

#[derive(Arbitrary, Debug)]
pub(crate) enum ResourceAction {
    Get,
    Regenerate,
    Delete,
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
    /// RFC 8628 §3.4: a poll with a device code.
    Device(u8),
    Other(Text),
}

/// Who authenticates: the client the code or token belongs to (in the body or with HTTP Basic),
/// another client, a protected resource (at introspection), a wrong secret, or nobody.
#[derive(Arbitrary, Debug)]
pub(crate) enum ClientAuth {
    Owner,
    OwnerBasic,
    Client(u8),
    ClientBasic(u8),
    Resource(u8),
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
    DeviceCode(u8),
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
