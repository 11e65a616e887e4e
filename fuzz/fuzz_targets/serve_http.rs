//! Fuzzes the plugin's request handling on the in-memory host.
//!
//! Each input builds a plugin with every feature on and a realistic setup (an admin and a plain
//! user, a trusted confidential app linked to an app, a public client, an outgoing connection with
//! a cached token, access tokens, the app's remote OAuth2 settings and one connected account), with
//! a fetch handler playing every token server. The setup runs once per process through the
//! plugin's API; each input gets a fresh host with a copy of its KV store. The input decodes into a
//! short sequence of steps: calls of each endpoint that are valid unless the input deviates (so
//! that deep paths are reached: code exchange, refresh, revocation, consent, connect/complete…),
//! requests assembled from templates of every route (with fuzzed methods, segments, queries,
//! headers, bodies and users), all using the real ids, secrets, codes and tokens issued so far;
//! pairs of concurrent requests, clock advances, and calls of `resolve_access_token` and
//! `authorize_outgoing_request`. Each request also picks how the token server answers.
//!
//! A panic is a finding. Besides the plugin's own panics, it asserts after every step:
//! - no 5xx answer, except 502 when the token server (the fetch handler) was told to fail or to
//!   answer oddly during that step: the in-memory host never fails, so any other 5xx means client
//!   input reached a server error;
//! - no CR, LF or NUL in any response header name or value;
//! - a body whose Content-Type is JSON parses as JSON;
//! - no response shows a secret issued earlier (an app's client secret, the outgoing connection's
//!   client secret, a code, an access or refresh token, a connect state) outside the response that
//!   issued it, unless the request itself carries it or the client stored it earlier in a JSON
//!   body (what a client stores, it may read back);
//! - `resolve_access_token` never fails, and `authorize_outgoing_request` fails only when the token
//!   server was told to fail; its header is header-safe and never carries the connection's secret.
//!
//! `FUZZ_TRACE=1` prints every request and response to stderr (to read a finding).

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;
use oauth_plugin::host::memory::MemoryHost;
use oauth_plugin::host::{FetchResponse, Host, HostError, KvWrite, User};
use oauth_plugin::http::{Request, Response};
use oauth_plugin::Plugin;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::OnceLock;

const MAX_STEPS: usize = 12;
/// Bound on each pool of issued values, so that an input cannot grow them without end.
const MAX_POOL: usize = 16;

const SITE: &str = "https://chat.example.com";
const ADMIN: &str = "adminadminadminadminadmin1";
const USER: &str = "useruseruseruseruseruser11";
const DEACTIVATED: &str = "deaddeaddeaddeaddeaddead11";
/// Shaped like a user id, but nobody's.
const NOBODY: &str = "ghostghostghostghostghost1";
const JIRA_APP_ID: &str = "com.example.jira";
const APP_CALLBACK: &str = "https://app.example.com/cb";
const APP_CALLBACK_2: &str = "http://localhost:8080/callback";
const PUBLIC_CALLBACK: &str = "https://cli.example.com/cb";
const TOKEN_URL: &str = "https://auth.example.com/oauth/token";
const REMOTE_AUTHORIZE_URL: &str = "https://remote.example.com/oauth/authorize?prompt=consent";
const REMOTE_TOKEN_URL: &str = "https://remote.example.com/oauth/token";
/// The outgoing connection's client secret: write-only, never in a response.
const OC_SECRET: &str = "oc-secret-Vq3xT9mZr7LpW2sK";
const OC_CLIENT_ID: &str = "oc-client";
/// RFC 7636 Appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// Stands in for a code, token or secret when none of that kind was issued yet.
const NOT_ISSUED: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const ID_ALPHABET: &[u8] = b"ybndrfg8ejkmcpqxot1uwisza345h769";

fn tracing() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("FUZZ_TRACE").is_some_and(|v| v != "0"))
}

// ---------------------------------------------------------------------------------------------
// The decoded input
// ---------------------------------------------------------------------------------------------

enum Step {
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
enum Action {
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
enum Call {
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
enum StateChoice {
    /// Starts a connect flow for the same user and app first, and answers it.
    Fresh,
    Issued(u8),
    Other(Text),
}

#[derive(Arbitrary, Debug)]
struct AuthorizeCall {
    user: UserChoice,
    client: u8,
    response_type: ResponseChoice,
    redirect: RedirectChoice,
    pkce: PkceChoice,
    state: Option<Text>,
    scope: Option<Text>,
    resource: Option<Text>,
}

#[derive(Arbitrary, Debug)]
enum ResponseChoice {
    Code,
    Token,
    Other(Text),
}

#[derive(Arbitrary, Debug)]
enum RedirectChoice {
    Registered,
    Omitted,
    Other(Text),
}

#[derive(Arbitrary, Debug)]
enum PkceChoice {
    None,
    S256,
    Plain,
    Other(Text, Text),
}

#[derive(Arbitrary, Debug)]
struct TokenCall {
    grant: GrantChoice,
    auth: ClientAuth,
    deviation: Option<TokenDeviation>,
}

#[derive(Arbitrary, Debug)]
enum GrantChoice {
    Code(u8),
    Refresh(u8),
    Other(Text),
}

/// Who authenticates: the client the code or token belongs to (in the body or with HTTP Basic),
/// another client, a wrong secret, or nobody.
#[derive(Arbitrary, Debug)]
enum ClientAuth {
    Owner,
    OwnerBasic,
    Client(u8),
    ClientBasic(u8),
    WrongSecret(Text),
    Missing,
}

#[derive(Arbitrary, Debug)]
enum TokenDeviation {
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
enum TokenRef {
    Access(u8),
    Refresh(u8),
    Code(u8),
    Other(Text),
}

#[derive(Arbitrary, Debug)]
enum AppAction {
    Get,
    Info,
    Regenerate,
    Delete,
}

#[derive(Arbitrary, Debug)]
enum ConnectionAction {
    Get,
    Delete,
}

#[derive(Arbitrary, Debug)]
enum StoreCall {
    PutApp(Box<RemoteFields>),
    GetUser,
    PutUser(Json),
    Context,
    Connections,
    DeleteConnection(AppSeg),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Clock {
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
struct HttpStep {
    method: Method,
    route: Route,
    mangle: u8,
    query: Query,
    /// `None`: the one that goes with the body.
    content_type: Option<ContentType>,
    authorization: Option<AuthHeader>,
    body: Body,
    user: UserChoice,
    oauth_session: bool,
    remote_addr: RemoteAddr,
}

#[derive(Arbitrary, Debug)]
enum Method {
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
enum Route {
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
enum Seg {
    Known(Known),
    ValidLooking(u128),
    Overlong(u16),
    Empty,
    Odd(String),
}

/// An app id (the app OAuth2 store's) in a path.
#[derive(Arbitrary, Debug, Clone)]
enum AppSeg {
    Jira,
    Unconfigured,
    Overlong(u8),
    Empty,
    Odd(String),
}

/// A string value: mostly the real values issued so far, protocol words and URLs.
#[derive(Arbitrary, Debug)]
enum Text {
    Known(Known),
    Word(Word),
    Url(UrlKind),
    Number(i64),
    Fuzz(String),
    Repeat(u8, u16),
    Id(u128),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Known {
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
enum Word {
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
enum UrlKind {
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
enum Query {
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
struct AuthorizeFields {
    /// Start from a valid request for the trusted app.
    base: bool,
    response_type: Option<Text>,
    client_id: Option<Text>,
    redirect_uri: Option<Text>,
    state: Option<Text>,
    scope: Option<Text>,
    code_challenge: Option<Text>,
    code_challenge_method: Option<Text>,
    resource: Option<Text>,
    /// Send the first parameter twice.
    repeat: bool,
}

#[derive(Arbitrary, Debug)]
enum ContentType {
    Form,
    FormCharset,
    Json,
    JsonCharset,
    TextPlain,
    Raw(String),
}

#[derive(Arbitrary, Debug)]
enum AuthHeader {
    BasicApp,
    BasicPublic,
    Basic(Text, Text),
    BasicRaw(String),
    Bearer(Text),
    Raw(String),
}

#[derive(Arbitrary, Debug, Clone)]
enum UserChoice {
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
enum RemoteAddr {
    First,
    Second,
    Ipv6,
    Empty,
    Odd(String),
}

#[derive(Arbitrary, Debug)]
enum Body {
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
struct FormFields {
    grant_type: Option<Text>,
    code: Option<Text>,
    redirect_uri: Option<Text>,
    client_id: Option<Text>,
    client_secret: Option<Text>,
    code_verifier: Option<Text>,
    refresh_token: Option<Text>,
    token: Option<Text>,
    token_type_hint: Option<Text>,
    extra: Vec<(Text, Text)>,
    repeat: bool,
}

#[derive(Arbitrary, Debug)]
struct AppFields {
    /// Start from a valid app.
    base: bool,
    id: Option<Field>,
    name: Option<Field>,
    description: Option<Field>,
    icon_url: Option<Field>,
    callback_urls: Option<Vec<Field>>,
    homepage: Option<Field>,
    is_trusted: Option<Flag>,
    is_public: Option<Flag>,
    mattermost_app_id: Option<Field>,
    extra: Option<(String, Json)>,
}

#[derive(Arbitrary, Debug)]
struct ConnectionFields {
    base: bool,
    id: Option<Field>,
    name: Option<Field>,
    client_id: Option<Field>,
    client_secret: Option<Field>,
    credentials_username: Option<Field>,
    credentials_password: Option<Field>,
    oauth_token_url: Option<Field>,
    grant_type: Option<Field>,
    audiences: Option<Vec<Field>>,
    cache_tokens: Option<Flag>,
}

#[derive(Arbitrary, Debug)]
struct RegistrationFields {
    base: bool,
    redirect_uris: Option<Vec<Field>>,
    token_endpoint_auth_method: Option<Field>,
    grant_types: Option<Vec<Field>>,
    response_types: Option<Vec<Field>>,
    client_name: Option<Field>,
    client_uri: Option<Field>,
    logo_uri: Option<Field>,
    scope: Option<Field>,
    extra: Option<(String, Json)>,
}

#[derive(Arbitrary, Debug)]
struct RemoteFields {
    base: bool,
    client_id: Option<Field>,
    client_secret: Option<Field>,
    remote_root_url: Option<Field>,
    data: Option<Json>,
    authorize_url: Option<Field>,
    token_url: Option<Field>,
    scopes: Option<Vec<Field>>,
}

/// A boolean field's value.
#[derive(Arbitrary, Debug)]
enum Flag {
    Yes,
    No,
    Other(Field),
}

/// A JSON field's value: mostly a string, sometimes any JSON.
#[derive(Debug)]
enum Field {
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
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Text),
    Array(Vec<Json>),
    Object(Vec<(Text, Json)>),
}

impl Json {
    fn generate(u: &mut Unstructured<'_>, depth: u32) -> arbitrary::Result<Json> {
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
enum Upstream {
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
    fn fails(self) -> bool {
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

// ---------------------------------------------------------------------------------------------
// The plugin and what it issued
// ---------------------------------------------------------------------------------------------

/// A secret shown to a client once.
#[derive(Clone)]
struct Secret {
    value: String,
    what: &'static str,
}

/// A registered client: the setup's trusted app and public client, and those the input made.
#[derive(Clone)]
struct Client {
    id: String,
    secret: Option<String>,
    callback: String,
}

/// An authorization code, with what its exchange must repeat.
#[derive(Clone)]
struct Code {
    value: String,
    client: String,
    redirect_uri: Option<String>,
    pkce: bool,
}

/// An access or refresh token, with the client it was issued to.
#[derive(Clone)]
struct Token {
    value: String,
    client: String,
}

/// What the setup and the steps so far issued, which the input may refer to; and the secrets
/// for the leak check.
#[derive(Clone)]
struct Issued {
    challenge: String,
    /// The trusted app first, the public client second.
    clients: Vec<Client>,
    codes: Vec<Code>,
    /// The admin's first, the plain user's second (both for the trusted app).
    access_tokens: Vec<Token>,
    refresh_tokens: Vec<Token>,
    connections: Vec<String>,
    states: Vec<String>,
    /// Every secret issued so far.
    secrets: Vec<Secret>,
    /// Secrets the client sent in a JSON body: stored values it may read back.
    stored_by_client: Vec<String>,
}

struct World {
    plugin: Plugin<MemoryHost>,
    upstream: Rc<Cell<Upstream>>,
    /// Whether the token server was asked during this step, in a mode that fails.
    upstream_failed: Rc<Cell<bool>>,
    issued: Issued,
}

/// The plugin's state after the setup, taken once per process and laid into a fresh host for
/// every input (the setup's requests cost more than most inputs).
struct Snapshot {
    /// Every KV entry, with the seconds it had left to live.
    entries: Vec<(String, Vec<u8>, Option<u32>)>,
    issued: Issued,
}

thread_local! {
    static SNAPSHOT: Snapshot = Snapshot::take(World::with_setup());
}

impl Snapshot {
    fn take(world: World) -> Snapshot {
        let host = world.plugin.host();
        let mut keys = Vec::new();
        for page in 0.. {
            let found = block_on(host.kv_list(page, 100)).expect("setup: listing the KV store");
            let done = found.len() < 100;
            keys.extend(found);
            if done {
                break;
            }
        }
        let entries = keys
            .into_iter()
            .map(|key| {
                let value = block_on(host.kv_get(&key)).ok().flatten().expect("setup: a listed key");
                let expiry = seconds_to_live(host, &key);
                (key, value, expiry)
            })
            .collect();
        Snapshot { entries, issued: world.issued }
    }
}

/// How many seconds `key` has left, found by moving the clock to and fro (the host cannot say).
fn seconds_to_live(host: &MemoryHost, key: &str) -> Option<u32> {
    const HORIZON: i64 = 20 * 365 * 86_400;
    let live_after = |seconds: i64| {
        host.advance_seconds(seconds);
        let live = block_on(host.kv_get(key)).ok().flatten().is_some();
        host.advance_seconds(-seconds);
        live
    };
    if live_after(HORIZON) {
        return None;
    }
    // Live after `live`, gone after `gone`.
    let (mut live, mut gone) = (0, HORIZON);
    while gone - live > 1 {
        let middle = (live + gone) / 2;
        if live_after(middle) {
            live = middle;
        } else {
            gone = middle;
        }
    }
    u32::try_from(gone).ok()
}

fn push_bounded<T>(pool: &mut Vec<T>, item: T) {
    if pool.len() < MAX_POOL {
        pool.push(item);
    }
}

fn pick<T>(pool: &[T], index: u8) -> Option<&T> {
    (!pool.is_empty()).then(|| &pool[usize::from(index) % pool.len()])
}

/// Like [`pick`], newest first: the codes and states not used yet are the recent ones.
fn pick_recent<T>(pool: &[T], index: u8) -> Option<&T> {
    (!pool.is_empty()).then(|| &pool[pool.len() - 1 - usize::from(index) % pool.len()])
}

fn id_from(seed: u128) -> String {
    let mut x = seed;
    (0..26)
        .map(|_| {
            let c = ID_ALPHABET[(x % 32) as usize] as char;
            x = x.rotate_right(5);
            c
        })
        .collect()
}

fn form(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

fn has_control(text: &str) -> bool {
    text.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0)
}

fn is_json_type(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    media == "application/json" || media.ends_with("+json")
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn prefix(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

fn summary(request: &Request) -> String {
    format!(
        "{:?} {:?} query={:?} user={:?} oauth_session={} headers={:?} body={:?}",
        request.method,
        prefix(&request.path, 300),
        prefix(&request.query, 300),
        request.user_id,
        request.is_oauth_session,
        request.headers,
        prefix(&lossy(&request.body), 600),
    )
}

fn response_summary(response: &Response) -> String {
    format!("{} {:?} {}", response.status, response.headers, prefix(&lossy(&response.body), 600))
}

/// Everything of the request a response may echo: its path, query, headers (and the decoded Basic
/// credentials) and body.
fn request_text(request: &Request) -> String {
    let mut text = format!("{}\n{}\n", request.path, request.query);
    for (name, value) in &request.headers {
        text.push_str(name);
        text.push('\n');
        text.push_str(value);
        text.push('\n');
        if let Some((_, encoded)) = value.trim().split_once(' ') {
            if let Ok(decoded) = STANDARD.decode(encoded.trim()) {
                let decoded = lossy(&decoded);
                let unescaped: String = url::form_urlencoded::parse(format!("v={decoded}").as_bytes())
                    .map(|(_, v)| v.into_owned())
                    .collect::<Vec<_>>()
                    .join("\n");
                text.push_str(&decoded);
                text.push('\n');
                text.push_str(&unescaped);
                text.push('\n');
            }
        }
    }
    text.push_str(&lossy(&request.body));
    text
}

fn url_params(url: &str) -> Vec<(String, String)> {
    let Ok(url) = url::Url::parse(url) else { return Vec::new() };
    let mut params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    if let Some(fragment) = url.fragment() {
        params.extend(url::form_urlencoded::parse(fragment.as_bytes()).into_owned());
    }
    params
}

/// The settings under test: every feature on.
fn configuration() -> Vec<u8> {
    json!({
        "ServiceSettings": {
            "SiteURL": SITE,
            "EnableOAuthServiceProvider": true,
            "EnableDynamicClientRegistration": true,
            "DCRRedirectURIAllowlist": ["https://*.example.com/cb", "http://localhost:*/callback"],
            "EnableOutgoingOAuthConnections": true,
            "EnableOnlyAdminIntegrations": false,
        }
    })
    .to_string()
    .into_bytes()
}

impl World {
    /// A configured plugin on a host with the users, their permissions and the token server.
    fn empty(issued: Issued) -> World {
        let host = MemoryHost::new();
        // One at-rest key for the setup and every copy of its store, as a restarted server keeps its key.
        host.set_at_rest_key(b"the fuzz target's at-rest key, 32 bytes or more");
        for (id, name, delete_at) in [(ADMIN, "admin", 0), (USER, "user", 0), (DEACTIVATED, "gone", 1)] {
            host.add_user(User { id: id.into(), username: name.into(), delete_at, ..Default::default() });
        }
        // Every permission the tests grant an admin; a plain user may manage OAuth apps and slash
        // commands, as when EnableOnlyAdminIntegrations is off.
        for permission in [
            "manage_system",
            "manage_oauth",
            "manage_system_wide_oauth",
            "edit_other_users",
            "manage_slash_commands",
            "manage_outgoing_oauth_connections",
        ] {
            host.grant(ADMIN, permission);
        }
        host.grant(USER, "manage_oauth");
        host.grant(USER, "manage_slash_commands");

        let upstream = Rc::new(Cell::new(Upstream::Token));
        let upstream_failed = Rc::new(Cell::new(false));
        let answered = Cell::new(0u32);
        {
            let (mode, failed) = (upstream.clone(), upstream_failed.clone());
            host.on_fetch(move |_request| {
                let mode = mode.get();
                if mode.fails() {
                    failed.set(true);
                }
                answered.set(answered.get() + 1);
                token_server_answer(mode, answered.get())
            });
        }
        let plugin = Plugin::new(host);
        plugin.on_configuration_change(&configuration()).expect("setup: configuration");
        World { plugin, upstream, upstream_failed, issued }
    }

    /// The setup, through the plugin's own API.
    fn with_setup() -> World {
        let issued = Issued {
            challenge: URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes())),
            clients: Vec::new(),
            codes: Vec::new(),
            access_tokens: Vec::new(),
            refresh_tokens: Vec::new(),
            connections: Vec::new(),
            states: Vec::new(),
            secrets: vec![Secret {
                value: OC_SECRET.into(),
                what: "the outgoing connection's client secret",
            }],
            stored_by_client: Vec::new(),
        };
        let mut world = World::empty(issued);
        block_on(world.plugin.on_activate()).expect("setup: activation");
        world.setup();
        world
    }

    /// A fresh plugin with the setup's state.
    fn from_snapshot(snapshot: &Snapshot) -> World {
        let world = World::empty(snapshot.issued.clone());
        let host = world.plugin.host();
        for (key, value, expiry) in &snapshot.entries {
            let write = match expiry {
                Some(seconds) => KvWrite::set(value).expiring_in(*seconds),
                None => KvWrite::set(value),
            };
            block_on(host.kv_set(key, write)).expect("setup: restoring the KV store");
        }
        block_on(world.plugin.on_activate()).expect("setup: activation");
        world
    }

    fn send(&mut self, request: Request, expect: u16) -> Response {
        let response = block_on(self.plugin.serve_http(request.clone()));
        if response.status != expect {
            panic!("setup: {}: {}", summary(&request), response_summary(&response));
        }
        self.issued.learn(&request, &response);
        response
    }

    fn setup_request(method: &str, path: &str, user: Option<&str>, body: Value) -> Request {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut request = Request::new(method, path);
        request.query = query.into();
        request.user_id = user.map(str::to_owned);
        if !body.is_null() {
            request.headers.insert("content-type".into(), "application/json".into());
            request.body = body.to_string().into_bytes();
        }
        request.request_id = "setup".into();
        request
    }

    /// Apps, a public client, an outgoing connection, tokens for both users, the app's remote
    /// settings and the admin's connected account.
    fn setup(&mut self) {
        let app = json!({
            "name": "Jira", "description": "Issue tracker", "homepage": "https://jira-app.example.com",
            "callback_urls": [APP_CALLBACK, APP_CALLBACK_2], "is_trusted": true,
            "mattermost_app_id": JIRA_APP_ID,
        });
        self.send(Self::setup_request("POST", "/api/v4/oauth/apps", Some(ADMIN), app), 201);

        let public = json!({
            "name": "CLI", "homepage": "https://cli.example.com", "callback_urls": [PUBLIC_CALLBACK],
            "is_public": true,
        });
        self.send(Self::setup_request("POST", "/api/v4/oauth/apps", Some(USER), public), 201);
        assert_eq!(self.issued.clients.len(), 2, "setup: the app and the public client");

        let connection = json!({
            "name": "Jira hooks", "client_id": OC_CLIENT_ID, "client_secret": OC_SECRET,
            "oauth_token_url": TOKEN_URL, "grant_type": "client_credentials", "cache_tokens": true,
            "audiences": ["https://jira.example.com/hooks/*", "https://api.example.com/v1/hook"],
        });
        self.send(
            Self::setup_request("POST", "/api/v4/oauth/outgoing_connections", Some(ADMIN), connection),
            201,
        );

        for user in [ADMIN, USER] {
            let query = form(&[
                ("response_type".into(), "code".into()),
                ("client_id".into(), self.issued.app_id()),
                ("redirect_uri".into(), APP_CALLBACK.into()),
            ]);
            let path = format!("/oauth/authorize?{query}");
            self.send(Self::setup_request("GET", &path, Some(user), Value::Null), 302);
            let code = self.issued.codes.last().map(|c| c.value.clone()).expect("setup: a code");
            let mut request = Request::new("POST", "/oauth/access_token");
            request.headers.insert("content-type".into(), "application/x-www-form-urlencoded".into());
            request.body = form(&[
                ("grant_type".into(), "authorization_code".into()),
                ("code".into(), code),
                ("redirect_uri".into(), APP_CALLBACK.into()),
                ("client_id".into(), self.issued.app_id()),
                ("client_secret".into(), self.issued.app_secret()),
            ])
            .into_bytes();
            self.send(request, 200);
        }

        let settings = json!({
            "client_id": "remote-client", "client_secret": "remote-secret",
            "remote_root_url": "https://remote.example.com", "data": {"tenant": 7},
            "authorize_url": REMOTE_AUTHORIZE_URL, "token_url": REMOTE_TOKEN_URL, "scopes": ["read", "write"],
        });
        let mut request =
            Self::setup_request("POST", "/plugins/oauth-plugin/api/v1/oauth2/app", None, settings);
        request
            .headers
            .insert("authorization".into(), format!("Bearer {}", self.issued.access_tokens[0].value));
        self.send(request, 200);

        let connect = format!("/plugins/oauth-plugin/apps/{JIRA_APP_ID}/oauth2/remote/connect");
        self.send(Self::setup_request("GET", &connect, Some(ADMIN), Value::Null), 302);
        let state = self.issued.states.last().cloned().expect("setup: a connect state");
        let complete = format!(
            "/plugins/oauth-plugin/apps/{JIRA_APP_ID}/oauth2/remote/complete?{}",
            form(&[("state".into(), state), ("code".into(), "remote-code".into())])
        );
        self.send(Self::setup_request("GET", &complete, Some(ADMIN), Value::Null), 200);
    }

    // -- running the steps ------------------------------------------------------------------------

    fn run(&mut self, step: Step) {
        match step {
            Step::Act(action, upstream) => self.http(&[action], upstream),
            Step::Concurrent(a, b, upstream) => self.http(&[a, b], upstream),
            Step::Advance(clock) => {
                let seconds = match clock {
                    Clock::Second => 1,
                    Clock::Minute => 60,
                    Clock::CodeLifetime => 601,
                    Clock::Hour => 3600,
                    Clock::Day => 86_400,
                    Clock::TokenLifetime => 720 * 3600 + 1,
                    Clock::Seconds(n) => i64::from(n),
                };
                if tracing() {
                    eprintln!("-- clock +{seconds}s");
                }
                self.plugin.host().advance_seconds(seconds);
            }
            Step::Resolve(token) => {
                let token = self.issued.text(&token);
                let resolved = block_on(self.plugin.resolve_access_token(&token));
                if tracing() {
                    eprintln!("-- resolve_access_token({:?}) = {resolved:?}", prefix(&token, 80));
                }
                assert!(resolved.is_ok(), "resolve_access_token({token:?}) failed: {resolved:?}");
            }
            Step::AuthorizeOutgoing(url, upstream) => {
                let url = self.issued.text(&url);
                self.upstream.set(upstream.unwrap_or(Upstream::Token));
                self.upstream_failed.set(false);
                let header = block_on(self.plugin.authorize_outgoing_request(&url));
                if tracing() {
                    eprintln!("-- authorize_outgoing_request({:?}) = {header:?}", prefix(&url, 80));
                }
                match &header {
                    Ok(Some(value)) => {
                        assert!(!has_control(value), "outgoing Authorization header {value:?}");
                        assert!(!value.contains(OC_SECRET), "the connection's secret in {value:?}");
                    }
                    Ok(None) => {}
                    Err(reason) => assert!(
                        self.upstream_failed.get(),
                        "authorize_outgoing_request({url:?}) failed with a working token server: {reason}"
                    ),
                }
            }
        }
    }

    fn http(&mut self, actions: &[Action], upstream: Option<Upstream>) {
        for action in actions {
            if let Action::Call(call) = action {
                if let Call::Complete(user, app, StateChoice::Fresh, ..) = call.as_ref() {
                    let connect = Call::Connect(user.clone(), app.clone());
                    self.http(&[Action::Call(Box::new(connect))], None);
                }
            }
        }
        let requests: Vec<Request> = actions
            .iter()
            .map(|action| match action {
                Action::Call(call) => self.issued.call(call),
                Action::Http(step) => self.issued.request(step),
            })
            .collect();
        self.upstream.set(upstream.unwrap_or(Upstream::Token));
        self.upstream_failed.set(false);
        let responses: Vec<Response> = match requests.as_slice() {
            [one] => vec![block_on(self.plugin.serve_http(one.clone()))],
            [a, b] => {
                let host = self.plugin.host();
                host.interleave(true);
                let (ra, rb) = block_on(futures::future::join(
                    self.plugin.serve_http(a.clone()),
                    self.plugin.serve_http(b.clone()),
                ));
                host.interleave(false);
                vec![ra, rb]
            }
            _ => unreachable!("one or two requests at a time"),
        };
        let upstream_failed = self.upstream_failed.get();
        let earlier = self.issued.secrets.len();
        let mut exchanges = Vec::new();
        for (request, response) in requests.into_iter().zip(responses) {
            if tracing() {
                eprintln!("-> {}\n<- {}", summary(&request), response_summary(&response));
            }
            Issued::check_response(&request, &response, upstream_failed);
            let first_new = self.issued.secrets.len();
            self.issued.learn(&request, &response);
            let end_new = self.issued.secrets.len();
            exchanges.push((request, response, first_new, end_new));
        }
        for (request, ..) in &exchanges {
            self.issued.note_stored(request);
        }
        self.issued.check_leaks(&exchanges, earlier);
    }
}

impl Issued {
    // -- rendering the input ------------------------------------------------------------------

    fn app_id(&self) -> String {
        self.clients.first().map(|c| c.id.clone()).unwrap_or_default()
    }

    fn app_secret(&self) -> String {
        self.clients.first().and_then(|c| c.secret.clone()).unwrap_or_default()
    }

    fn known(&self, known: Known) -> String {
        let or_not_issued = |value: Option<&String>| value.cloned().unwrap_or_else(|| NOT_ISSUED.into());
        match known {
            Known::AppId => self.app_id(),
            Known::AppSecret => self.app_secret(),
            Known::PublicId => or_not_issued(self.clients.get(1).map(|c| &c.id)),
            Known::Client(i) => or_not_issued(pick(&self.clients, i).map(|c| &c.id)),
            Known::ClientSecret(i) => {
                let secrets: Vec<&String> = self.clients.iter().filter_map(|c| c.secret.as_ref()).collect();
                or_not_issued(pick(&secrets, i).copied())
            }
            Known::Callback(i) => or_not_issued(pick(&self.clients, i).map(|c| &c.callback)),
            Known::Code(i) => or_not_issued(pick_recent(&self.codes, i).map(|c| &c.value)),
            Known::AccessToken(i) => or_not_issued(pick(&self.access_tokens, i).map(|t| &t.value)),
            Known::RefreshToken(i) => or_not_issued(pick(&self.refresh_tokens, i).map(|t| &t.value)),
            Known::Connection(i) => or_not_issued(pick(&self.connections, i)),
            Known::State(i) => or_not_issued(pick_recent(&self.states, i)),
            Known::Verifier => VERIFIER.into(),
            Known::Challenge => self.challenge.clone(),
            Known::AdminId => ADMIN.into(),
            Known::UserId => USER.into(),
            Known::DeactivatedId => DEACTIVATED.into(),
            Known::JiraAppId => JIRA_APP_ID.into(),
            Known::OcSecret => OC_SECRET.into(),
            Known::OcClientId => OC_CLIENT_ID.into(),
            Known::SiteUrl => SITE.into(),
        }
    }

    fn text(&self, text: &Text) -> String {
        match text {
            Text::Known(known) => self.known(*known),
            Text::Word(word) => word_text(*word).into(),
            Text::Url(kind) => url_text(kind),
            Text::Number(n) => n.to_string(),
            Text::Fuzz(s) => s.clone(),
            Text::Repeat(c, n) => {
                const CHARS: [char; 16] =
                    ['a', 'y', '%', '/', ':', '?', '#', '&', '=', '+', ' ', '"', '\\', '<', '\0', 'é'];
                // Mostly short; one in sixteen past the 64 KiB body limit.
                let len = match *n {
                    0..=61_439 => usize::from(*n) % 512,
                    _ => 64 * 1024 + usize::from(*n) % 4096,
                };
                CHARS[usize::from(*c) % CHARS.len()].to_string().repeat(len)
            }
            Text::Id(seed) => id_from(*seed),
        }
    }

    fn field(&self, field: &Field) -> Value {
        match field {
            Field::Str(text) => Value::String(self.text(text)),
            Field::Json(json) => self.json(json),
        }
    }

    fn fields(&self, fields: &[Field]) -> Value {
        Value::Array(fields.iter().map(|f| self.field(f)).collect())
    }

    fn json(&self, json: &Json) -> Value {
        match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(n) => json!(n),
            Json::Float(x) => serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number),
            Json::Str(text) => Value::String(self.text(text)),
            Json::Array(items) => Value::Array(items.iter().map(|j| self.json(j)).collect()),
            Json::Object(fields) => {
                Value::Object(fields.iter().map(|(k, v)| (self.text(k), self.json(v))).collect())
            }
        }
    }

    fn segment(&self, seg: &Seg) -> String {
        match seg {
            Seg::Known(known) => self.known(*known),
            Seg::ValidLooking(seed) => id_from(*seed),
            Seg::Overlong(n) => "y".repeat(27 + usize::from(*n) % 1024),
            Seg::Empty => String::new(),
            Seg::Odd(s) => s.clone(),
        }
    }

    fn path(&self, route: &Route) -> String {
        const APPS: &str = "/api/v4/oauth/apps";
        const OUTGOING: &str = "/api/v4/oauth/outgoing_connections";
        const STORE: &str = "/plugins/oauth-plugin/api/v1/oauth2";
        let remote = |app: &AppSeg, step: &str| {
            format!("/plugins/oauth-plugin/apps/{}/oauth2/remote/{step}", app_segment(app))
        };
        match route {
            Route::Metadata => "/.well-known/oauth-authorization-server".into(),
            Route::MetadataSuffix(t) => format!("/.well-known/oauth-authorization-server{}", self.text(t)),
            Route::Authorize => "/oauth/authorize".into(),
            Route::AccessToken => "/oauth/access_token".into(),
            Route::Revoke => "/oauth/revoke".into(),
            Route::Introspect => "/oauth/introspect".into(),
            Route::Deauthorize => "/oauth/deauthorize".into(),
            Route::UserAuthorizedApps(s) => {
                format!("/api/v4/users/{}/oauth/apps/authorized", self.segment(s))
            }
            Route::Apps => APPS.into(),
            Route::Register => format!("{APPS}/register"),
            Route::App(s) => format!("{APPS}/{}", self.segment(s)),
            Route::AppInfo(s) => format!("{APPS}/{}/info", self.segment(s)),
            Route::AppRegenSecret(s) => format!("{APPS}/{}/regen_secret", self.segment(s)),
            Route::AppOther(s, t) => format!("{APPS}/{}/{}", self.segment(s), self.text(t)),
            Route::Outgoing => OUTGOING.into(),
            Route::OutgoingValidate => format!("{OUTGOING}/validate"),
            Route::OutgoingOne(s) => format!("{OUTGOING}/{}", self.segment(s)),
            Route::OutgoingOther(s, t) => format!("{OUTGOING}/{}/{}", self.segment(s), self.text(t)),
            Route::RemoteConnect(app) => remote(app, "connect"),
            Route::RemoteComplete(app) => remote(app, "complete"),
            Route::RemoteOther(app, t) => remote(app, &self.text(t)),
            Route::StoreApp => format!("{STORE}/app"),
            Route::StoreUser => format!("{STORE}/user"),
            Route::StoreContext => format!("{STORE}/context"),
            Route::StoreConnections => format!("{STORE}/connections"),
            Route::StoreConnection(app) => format!("{STORE}/connections/{}", app_segment(app)),
            Route::StoreOther(t) => format!("{STORE}/{}", self.text(t)),
            Route::Raw(s) => s.clone(),
        }
    }

    fn authorize_pairs(&self, fields: &AuthorizeFields) -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if fields.base {
            pairs.push(("response_type".into(), "code".into()));
            pairs.push(("client_id".into(), self.app_id()));
            pairs.push(("redirect_uri".into(), APP_CALLBACK.into()));
        }
        let overrides = [
            ("response_type", &fields.response_type),
            ("client_id", &fields.client_id),
            ("redirect_uri", &fields.redirect_uri),
            ("state", &fields.state),
            ("scope", &fields.scope),
            ("code_challenge", &fields.code_challenge),
            ("code_challenge_method", &fields.code_challenge_method),
            ("resource", &fields.resource),
        ];
        for (name, value) in overrides {
            if let Some(value) = value {
                let value = self.text(value);
                match pairs.iter_mut().find(|(n, _)| n == name) {
                    Some(pair) => pair.1 = value,
                    None => pairs.push((name.into(), value)),
                }
            }
        }
        if fields.repeat {
            if let Some(first) = pairs.first().cloned() {
                pairs.push(first);
            }
        }
        pairs
    }

    fn query(&self, query: &Query) -> String {
        let optional = |pairs: &[(&str, &Option<Text>)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .filter_map(|(name, value)| value.as_ref().map(|v| ((*name).to_owned(), self.text(v))))
                .collect()
        };
        match query {
            Query::None => String::new(),
            Query::Authorize(fields) => form(&self.authorize_pairs(fields)),
            Query::Complete { state, code, error, error_description } => form(&optional(&[
                ("state", state),
                ("code", code),
                ("error", error),
                ("error_description", error_description),
            ])),
            Query::Paging { page, per_page, limit, from_id, audience } => form(&optional(&[
                ("page", page),
                ("per_page", per_page),
                ("limit", limit),
                ("from_id", from_id),
                ("audience", audience),
            ])),
            Query::Pairs(pairs) => {
                form(&pairs.iter().map(|(k, v)| (self.text(k), self.text(v))).collect::<Vec<_>>())
            }
            Query::Raw(s) => s.clone(),
        }
    }

    /// An object from a valid template (when `base`) with the given fields set.
    fn object(&self, base: Option<Value>, overrides: Vec<(&str, Option<Value>)>) -> Value {
        let mut object = match base {
            Some(Value::Object(map)) => map,
            _ => Map::new(),
        };
        for (name, value) in overrides {
            if let Some(value) = value {
                object.insert(name.into(), value);
            }
        }
        Value::Object(object)
    }

    fn field_of(&self, field: &Option<Field>) -> Option<Value> {
        field.as_ref().map(|f| self.field(f))
    }

    fn flag(&self, flag: &Option<Flag>) -> Option<Value> {
        flag.as_ref().map(|flag| match flag {
            Flag::Yes => Value::Bool(true),
            Flag::No => Value::Bool(false),
            Flag::Other(field) => self.field(field),
        })
    }

    fn list_of(&self, fields: &Option<Vec<Field>>) -> Option<Value> {
        fields.as_ref().map(|f| self.fields(f))
    }

    /// An app as the REST API takes it; `id` for an update.
    fn app(&self, a: &AppFields, id: Option<&str>) -> Value {
        let f = |field: &Option<Field>| self.field_of(field);
        let list = |fields: &Option<Vec<Field>>| self.list_of(fields);
        let base = json!({
            "name": "Fuzzed app", "description": "made by the fuzzer",
            "homepage": "https://fuzz.example.com", "callback_urls": ["https://fuzz.example.com/cb"],
        });
        let mut value = self.object(
            a.base.then_some(base),
            vec![
                ("id", f(&a.id).or_else(|| id.map(|id| Value::String(id.into())))),
                ("name", f(&a.name)),
                ("description", f(&a.description)),
                ("icon_url", f(&a.icon_url)),
                ("callback_urls", list(&a.callback_urls)),
                ("homepage", f(&a.homepage)),
                ("is_trusted", self.flag(&a.is_trusted)),
                ("is_public", self.flag(&a.is_public)),
                ("mattermost_app_id", f(&a.mattermost_app_id)),
            ],
        );
        if let (Some((k, v)), Value::Object(map)) = (&a.extra, &mut value) {
            map.insert(k.clone(), self.json(v));
        }
        value
    }

    /// An outgoing connection as the REST API takes it; `id` for an update or a validation.
    fn connection(&self, c: &ConnectionFields, id: Option<&str>) -> Value {
        let f = |field: &Option<Field>| self.field_of(field);
        let list = |fields: &Option<Vec<Field>>| self.list_of(fields);
        let base = json!({
            "name": "Fuzzed connection", "client_id": "fuzz-client", "client_secret": "fuzz-secret",
            "oauth_token_url": TOKEN_URL, "grant_type": "client_credentials",
            "audiences": ["https://fuzz.example.com/*"],
        });
        self.object(
            c.base.then_some(base),
            vec![
                ("id", f(&c.id).or_else(|| id.map(|id| Value::String(id.into())))),
                ("name", f(&c.name)),
                ("client_id", f(&c.client_id)),
                ("client_secret", f(&c.client_secret)),
                ("credentials_username", f(&c.credentials_username)),
                ("credentials_password", f(&c.credentials_password)),
                ("oauth_token_url", f(&c.oauth_token_url)),
                ("grant_type", f(&c.grant_type)),
                ("audiences", list(&c.audiences)),
                ("cache_tokens", self.flag(&c.cache_tokens)),
            ],
        )
    }

    /// RFC 7591 client metadata.
    fn registration(&self, r: &RegistrationFields) -> Value {
        let f = |field: &Option<Field>| self.field_of(field);
        let list = |fields: &Option<Vec<Field>>| self.list_of(fields);
        let base = json!({"redirect_uris": ["https://tool.example.com/cb"], "client_name": "Tool"});
        let mut value = self.object(
            r.base.then_some(base),
            vec![
                ("redirect_uris", list(&r.redirect_uris)),
                ("token_endpoint_auth_method", f(&r.token_endpoint_auth_method)),
                ("grant_types", list(&r.grant_types)),
                ("response_types", list(&r.response_types)),
                ("client_name", f(&r.client_name)),
                ("client_uri", f(&r.client_uri)),
                ("logo_uri", f(&r.logo_uri)),
                ("scope", f(&r.scope)),
            ],
        );
        if let (Some((k, v)), Value::Object(map)) = (&r.extra, &mut value) {
            map.insert(k.clone(), self.json(v));
        }
        value
    }

    /// An app's remote OAuth2 settings.
    fn remote(&self, r: &RemoteFields) -> Value {
        let f = |field: &Option<Field>| self.field_of(field);
        let list = |fields: &Option<Vec<Field>>| self.list_of(fields);
        let base = json!({
            "client_id": "remote-client", "client_secret": "remote-secret",
            "authorize_url": REMOTE_AUTHORIZE_URL, "token_url": REMOTE_TOKEN_URL,
        });
        self.object(
            r.base.then_some(base),
            vec![
                ("client_id", f(&r.client_id)),
                ("client_secret", f(&r.client_secret)),
                ("remote_root_url", f(&r.remote_root_url)),
                ("data", r.data.as_ref().map(|d| self.json(d))),
                ("authorize_url", f(&r.authorize_url)),
                ("token_url", f(&r.token_url)),
                ("scopes", list(&r.scopes)),
            ],
        )
    }

    /// The body, and the content type that goes with it.
    fn body(&self, body: &Body) -> (Vec<u8>, Option<&'static str>) {
        const FORM: Option<&str> = Some("application/x-www-form-urlencoded");
        const JSON: Option<&str> = Some("application/json");
        let f = |field: &Option<Field>| self.field_of(field);
        let value = match body {
            Body::Empty => return (Vec::new(), None),
            Body::Form(fields) => {
                let mut pairs: Vec<(String, String)> = [
                    ("grant_type", &fields.grant_type),
                    ("code", &fields.code),
                    ("redirect_uri", &fields.redirect_uri),
                    ("client_id", &fields.client_id),
                    ("client_secret", &fields.client_secret),
                    ("code_verifier", &fields.code_verifier),
                    ("refresh_token", &fields.refresh_token),
                    ("token", &fields.token),
                    ("token_type_hint", &fields.token_type_hint),
                ]
                .iter()
                .filter_map(|(name, value)| value.as_ref().map(|v| ((*name).to_owned(), self.text(v))))
                .collect();
                pairs.extend(fields.extra.iter().map(|(k, v)| (self.text(k), self.text(v))));
                if fields.repeat {
                    if let Some(first) = pairs.first().cloned() {
                        pairs.push(first);
                    }
                }
                return (form(&pairs).into_bytes(), FORM);
            }
            Body::App(fields) => self.app(fields, None),
            Body::Connection(fields) => self.connection(fields, None),
            Body::Registration(fields) => self.registration(fields),
            Body::Consent(fields, approve) => {
                let mut map: Map<String, Value> =
                    self.authorize_pairs(fields).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                if let Some(approve) = approve {
                    map.insert("approve".into(), self.field(approve));
                }
                Value::Object(map)
            }
            Body::Deauthorize(client_id) => self.object(None, vec![("client_id", f(client_id))]),
            Body::RemoteSettings(fields) => self.remote(fields),
            Body::Json(json) => self.json(json),
            Body::Deep(objects, depth) => {
                let depth = usize::from(*depth);
                let (open, close) = if *objects { ("{\"a\":", "}") } else { ("[", "]") };
                return (format!("{}1{}", open.repeat(depth), close.repeat(depth)).into_bytes(), JSON);
            }
            Body::Big(byte, len) => return (vec![*byte; (*len as usize) % 80_000], None),
            Body::Raw(bytes) => return (bytes.clone(), None),
        };
        (serde_json::to_vec(&value).unwrap_or_default(), JSON)
    }

    fn request(&self, step: &HttpStep) -> Request {
        let method = match &step.method {
            Method::Get => "GET".to_owned(),
            Method::Post => "POST".into(),
            Method::Put => "PUT".into(),
            Method::Delete => "DELETE".into(),
            Method::Options => "OPTIONS".into(),
            Method::Head => "HEAD".into(),
            Method::Patch => "PATCH".into(),
            Method::Lower(post) => if *post { "post" } else { "get" }.into(),
            Method::Empty => String::new(),
            Method::Other(s) => s.clone(),
        };
        let mut request = Request::new(&method, &mangle(self.path(&step.route), step.mangle));
        request.query = self.query(&step.query);
        let (body, natural_type) = self.body(&step.body);
        request.body = body;
        let content_type = match &step.content_type {
            None => natural_type.map(str::to_owned),
            Some(ContentType::Form) => Some("application/x-www-form-urlencoded".into()),
            Some(ContentType::FormCharset) => Some("Application/X-WWW-Form-URLEncoded; charset=UTF-8".into()),
            Some(ContentType::Json) => Some("application/json".into()),
            Some(ContentType::JsonCharset) => Some("application/json; charset=utf-8".into()),
            Some(ContentType::TextPlain) => Some("text/plain".into()),
            Some(ContentType::Raw(s)) => Some(s.clone()),
        };
        if let Some(content_type) = content_type {
            request.headers.insert("content-type".into(), content_type);
        }
        let authorization = match &step.authorization {
            None => None,
            Some(AuthHeader::BasicApp) => Some(basic(&self.app_id(), &self.app_secret())),
            Some(AuthHeader::BasicPublic) => Some(basic(&self.known(Known::PublicId), "")),
            Some(AuthHeader::Basic(id, secret)) => Some(basic(&self.text(id), &self.text(secret))),
            Some(AuthHeader::BasicRaw(s)) => Some(format!("Basic {s}")),
            Some(AuthHeader::Bearer(token)) => Some(format!("Bearer {}", self.text(token))),
            Some(AuthHeader::Raw(s)) => Some(s.clone()),
        };
        if let Some(authorization) = authorization {
            request.headers.insert("authorization".into(), authorization);
        }
        request.user_id = user_id(&step.user);
        request.is_oauth_session = step.oauth_session;
        request.remote_addr = remote_addr(&step.remote_addr);
        request.request_id = "fuzz".into();
        request
    }

    fn client(&self, index: u8) -> Client {
        pick(&self.clients, index).cloned().unwrap_or(Client {
            id: NOT_ISSUED.into(),
            secret: None,
            callback: APP_CALLBACK.into(),
        })
    }

    /// The client authentication `auth` for a code or token of `owner`: form fields, or a header.
    fn client_auth(&self, auth: &ClientAuth, owner: &str) -> (Vec<(String, String)>, Option<String>) {
        let owner = || self.clients.iter().find(|c| c.id == owner).cloned().unwrap_or_else(|| self.client(0));
        let (client, use_basic) = match auth {
            ClientAuth::Owner => (owner(), false),
            ClientAuth::OwnerBasic => (owner(), true),
            ClientAuth::Client(i) => (self.client(*i), false),
            ClientAuth::ClientBasic(i) => (self.client(*i), true),
            ClientAuth::WrongSecret(secret) => {
                let client = owner();
                return (
                    vec![("client_id".into(), client.id), ("client_secret".into(), self.text(secret))],
                    None,
                );
            }
            ClientAuth::Missing => return (Vec::new(), None),
        };
        if use_basic {
            return (Vec::new(), Some(basic(&client.id, client.secret.as_deref().unwrap_or_default())));
        }
        let mut pairs = vec![("client_id".to_owned(), client.id)];
        if let Some(secret) = client.secret {
            pairs.push(("client_secret".into(), secret));
        }
        (pairs, None)
    }

    fn authorize_call(&self, call: &AuthorizeCall) -> Vec<(String, String)> {
        let client = self.client(call.client);
        let mut pairs = vec![
            (
                "response_type".to_owned(),
                match &call.response_type {
                    ResponseChoice::Code => "code".to_owned(),
                    ResponseChoice::Token => "token".into(),
                    ResponseChoice::Other(t) => self.text(t),
                },
            ),
            ("client_id".into(), client.id),
        ];
        match &call.redirect {
            RedirectChoice::Registered => pairs.push(("redirect_uri".into(), client.callback)),
            RedirectChoice::Omitted => {}
            RedirectChoice::Other(t) => pairs.push(("redirect_uri".into(), self.text(t))),
        }
        match &call.pkce {
            PkceChoice::None => {}
            PkceChoice::S256 => {
                pairs.push(("code_challenge".into(), self.challenge.clone()));
                pairs.push(("code_challenge_method".into(), "S256".into()));
            }
            PkceChoice::Plain => {
                pairs.push(("code_challenge".into(), VERIFIER.into()));
                pairs.push(("code_challenge_method".into(), "plain".into()));
            }
            PkceChoice::Other(challenge, method) => {
                pairs.push(("code_challenge".into(), self.text(challenge)));
                pairs.push(("code_challenge_method".into(), self.text(method)));
            }
        }
        for (name, value) in [("state", &call.state), ("scope", &call.scope), ("resource", &call.resource)] {
            if let Some(value) = value {
                pairs.push((name.into(), self.text(value)));
            }
        }
        pairs
    }

    fn token_call(&self, call: &TokenCall) -> (Vec<(String, String)>, Option<String>) {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let owner = match &call.grant {
            GrantChoice::Code(i) => {
                let code = pick_recent(&self.codes, *i).cloned().unwrap_or(Code {
                    value: NOT_ISSUED.into(),
                    client: self.app_id(),
                    redirect_uri: Some(APP_CALLBACK.into()),
                    pkce: false,
                });
                pairs.push(("grant_type".into(), "authorization_code".into()));
                pairs.push(("code".into(), code.value));
                if let Some(redirect_uri) = code.redirect_uri {
                    pairs.push(("redirect_uri".into(), redirect_uri));
                }
                if code.pkce {
                    pairs.push(("code_verifier".into(), VERIFIER.into()));
                }
                code.client
            }
            GrantChoice::Refresh(i) => {
                let token = pick(&self.refresh_tokens, *i)
                    .cloned()
                    .unwrap_or(Token { value: NOT_ISSUED.into(), client: self.app_id() });
                pairs.push(("grant_type".into(), "refresh_token".into()));
                pairs.push(("refresh_token".into(), token.value));
                token.client
            }
            GrantChoice::Other(grant) => {
                pairs.push(("grant_type".into(), self.text(grant)));
                self.app_id()
            }
        };
        let (auth, mut header) = self.client_auth(&call.auth, &owner);
        pairs.extend(auth);
        let remove = |pairs: &mut Vec<(String, String)>, name: &str| pairs.retain(|(n, _)| n != name);
        let set = |pairs: &mut Vec<(String, String)>, name: &str, value: String| {
            pairs.retain(|(n, _)| n != name);
            pairs.push((name.into(), value));
        };
        match &call.deviation {
            None => {}
            Some(TokenDeviation::NoRedirect) => remove(&mut pairs, "redirect_uri"),
            Some(TokenDeviation::WrongRedirect(t)) => set(&mut pairs, "redirect_uri", self.text(t)),
            Some(TokenDeviation::NoVerifier) => remove(&mut pairs, "code_verifier"),
            Some(TokenDeviation::WrongVerifier(t)) => set(&mut pairs, "code_verifier", self.text(t)),
            Some(TokenDeviation::ExtraVerifier) => set(&mut pairs, "code_verifier", VERIFIER.into()),
            Some(TokenDeviation::RepeatGrantType) => {
                if let Some(grant) = pairs.first().cloned() {
                    pairs.push(grant);
                }
            }
            Some(TokenDeviation::NoGrantType) => remove(&mut pairs, "grant_type"),
            Some(TokenDeviation::BasicAndSecret) => {
                let owner =
                    self.clients.iter().find(|c| c.id == owner).cloned().unwrap_or_else(|| self.client(0));
                header = Some(basic(&owner.id, owner.secret.as_deref().unwrap_or_default()));
                set(&mut pairs, "client_secret", owner.secret.unwrap_or_default());
            }
            Some(TokenDeviation::Extra(k, v)) => pairs.push((self.text(k), self.text(v))),
        }
        (pairs, header)
    }

    /// The token of `token` and its client.
    fn token_ref(&self, token: &TokenRef) -> (String, String) {
        let of = |t: Option<&Token>| {
            t.map(|t| (t.value.clone(), t.client.clone()))
                .unwrap_or_else(|| (NOT_ISSUED.into(), self.app_id()))
        };
        match token {
            TokenRef::Access(i) => of(pick(&self.access_tokens, *i)),
            TokenRef::Refresh(i) => of(pick(&self.refresh_tokens, *i)),
            TokenRef::Code(i) => pick_recent(&self.codes, *i)
                .map(|c| (c.value.clone(), c.client.clone()))
                .unwrap_or_else(|| (NOT_ISSUED.into(), self.app_id())),
            TokenRef::Other(t) => (self.text(t), self.app_id()),
        }
    }

    fn call(&self, call: &Call) -> Request {
        const APPS: &str = "/api/v4/oauth/apps";
        const OUTGOING: &str = "/api/v4/oauth/outgoing_connections";
        const STORE: &str = "/plugins/oauth-plugin/api/v1/oauth2";
        let json_request = |method: &str, path: &str, user: Option<String>, body: Value| {
            let mut request = Request::new(method, path);
            request.headers.insert("content-type".into(), "application/json".into());
            request.body = serde_json::to_vec(&body).unwrap_or_default();
            request.user_id = user;
            request
        };
        let empty_request = |method: &str, path: &str, user: &UserChoice| {
            let mut request = Request::new(method, path);
            request.user_id = user_id(user);
            request
        };
        let form_request = |path: &str, (pairs, header): (Vec<(String, String)>, Option<String>)| {
            let mut request = Request::new("POST", path);
            request.headers.insert("content-type".into(), "application/x-www-form-urlencoded".into());
            if let Some(header) = header {
                request.headers.insert("authorization".into(), header);
            }
            request.body = form(&pairs).into_bytes();
            request
        };
        let query = |pairs: &[(&str, &Option<Text>)]| {
            form(
                &pairs
                    .iter()
                    .filter_map(|(name, value)| value.as_ref().map(|v| ((*name).to_owned(), self.text(v))))
                    .collect::<Vec<_>>(),
            )
        };
        let connection =
            |index: &u8| pick(&self.connections, *index).cloned().unwrap_or_else(|| NOT_ISSUED.into());
        let mut request = match call {
            Call::Authorize(call) => {
                let mut request = empty_request("GET", "/oauth/authorize", &call.user);
                request.query = form(&self.authorize_call(call));
                request
            }
            Call::Consent(call, approve) => {
                let mut body: Map<String, Value> =
                    self.authorize_call(call).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                if let Some(approve) = approve {
                    body.insert("approve".into(), Value::Bool(*approve));
                }
                json_request("POST", "/oauth/authorize", user_id(&call.user), Value::Object(body))
            }
            Call::Token(call) => form_request("/oauth/access_token", self.token_call(call)),
            Call::Revoke(token, auth) | Call::Introspect(token, auth) => {
                let (token, owner) = self.token_ref(token);
                let (mut pairs, header) = self.client_auth(auth, &owner);
                pairs.push(("token".into(), token));
                let path =
                    if matches!(call, Call::Revoke(..)) { "/oauth/revoke" } else { "/oauth/introspect" };
                form_request(path, (pairs, header))
            }
            Call::Register(fields, addr) => {
                let mut request =
                    json_request("POST", &format!("{APPS}/register"), None, self.registration(fields));
                request.remote_addr = remote_addr(addr);
                request
            }
            Call::CreateApp(user, fields) => {
                json_request("POST", APPS, user_id(user), self.app(fields, None))
            }
            Call::UpdateApp(index, user, fields) => {
                let id = self.client(*index).id;
                json_request("PUT", &format!("{APPS}/{id}"), user_id(user), self.app(fields, Some(&id)))
            }
            Call::AppAction(action, index, user) => {
                let id = self.client(*index).id;
                match action {
                    AppAction::Get => empty_request("GET", &format!("{APPS}/{id}"), user),
                    AppAction::Info => empty_request("GET", &format!("{APPS}/{id}/info"), user),
                    AppAction::Regenerate => {
                        empty_request("POST", &format!("{APPS}/{id}/regen_secret"), user)
                    }
                    AppAction::Delete => empty_request("DELETE", &format!("{APPS}/{id}"), user),
                }
            }
            Call::ListApps(user, page, per_page) => {
                let mut request = empty_request("GET", APPS, user);
                request.query = query(&[("page", page), ("per_page", per_page)]);
                request
            }
            Call::AuthorizedApps(caller, whose) => {
                let whose = user_id(whose).unwrap_or_default();
                empty_request("GET", &format!("/api/v4/users/{whose}/oauth/apps/authorized"), caller)
            }
            Call::Deauthorize(user, index) => json_request(
                "POST",
                "/oauth/deauthorize",
                user_id(user),
                json!({"client_id": self.client(*index).id}),
            ),
            Call::CreateConnection(user, fields) => {
                json_request("POST", OUTGOING, user_id(user), self.connection(fields, None))
            }
            Call::UpdateConnection(index, fields) => {
                let id = connection(index);
                json_request(
                    "PUT",
                    &format!("{OUTGOING}/{id}"),
                    Some(ADMIN.into()),
                    self.connection(fields, Some(&id)),
                )
            }
            Call::ValidateConnection(index, fields) => {
                let id = index.as_ref().map(connection);
                let body = self.connection(fields, id.as_deref());
                json_request("POST", &format!("{OUTGOING}/validate"), Some(ADMIN.into()), body)
            }
            Call::ConnectionAction(action, index, user) => {
                let path = format!("{OUTGOING}/{}", connection(index));
                match action {
                    ConnectionAction::Get => empty_request("GET", &path, user),
                    ConnectionAction::Delete => empty_request("DELETE", &path, user),
                }
            }
            Call::ListConnections(user, limit, page, audience) => {
                let mut request = empty_request("GET", OUTGOING, user);
                request.query = query(&[("limit", limit), ("page", page), ("audience", audience)]);
                request
            }
            Call::Store(call, token) => {
                let mut request = match call {
                    StoreCall::PutApp(fields) => {
                        json_request("POST", &format!("{STORE}/app"), None, self.remote(fields))
                    }
                    StoreCall::GetUser => Request::new("GET", &format!("{STORE}/user")),
                    StoreCall::PutUser(value) => {
                        json_request("PUT", &format!("{STORE}/user"), None, self.json(value))
                    }
                    StoreCall::Context => Request::new("GET", &format!("{STORE}/context")),
                    StoreCall::Connections => {
                        let mut request = Request::new("GET", &format!("{STORE}/connections"));
                        request.user_id = Some(ADMIN.into());
                        request
                    }
                    StoreCall::DeleteConnection(app) => {
                        let mut request =
                            Request::new("DELETE", &format!("{STORE}/connections/{}", app_segment(app)));
                        request.user_id = Some(ADMIN.into());
                        request
                    }
                };
                let token = pick(&self.access_tokens, *token).map(|t| t.value.clone()).unwrap_or_default();
                request.headers.insert("authorization".into(), format!("Bearer {token}"));
                request
            }
            Call::Connect(user, app) => empty_request(
                "GET",
                &format!("/plugins/oauth-plugin/apps/{}/oauth2/remote/connect", app_segment(app)),
                user,
            ),
            Call::Complete(user, app, state, code, error) => {
                let path = format!("/plugins/oauth-plugin/apps/{}/oauth2/remote/complete", app_segment(app));
                let mut request = empty_request("GET", &path, user);
                let state = match state {
                    StateChoice::Fresh => self.known(Known::State(0)),
                    StateChoice::Issued(i) => self.known(Known::State(*i)),
                    StateChoice::Other(t) => self.text(t),
                };
                let mut pairs = vec![("state".to_owned(), state)];
                pairs.push((
                    "code".into(),
                    code.as_ref().map_or_else(|| "remote-code".into(), |c| self.text(c)),
                ));
                if let Some(error) = error {
                    pairs.push(("error".into(), self.text(error)));
                }
                request.query = form(&pairs);
                request
            }
        };
        if request.remote_addr.is_empty() {
            request.remote_addr = "203.0.113.7".into();
        }
        request.request_id = "fuzz".into();
        request
    }

    // -- learning what was issued ---------------------------------------------------------------

    fn issue(&mut self, value: &str, what: &'static str) {
        if value.is_empty() || self.secrets.iter().any(|s| s.value == value) {
            return;
        }
        self.secrets.push(Secret { value: value.to_owned(), what });
    }

    /// Takes note of the codes, tokens, secrets and ids a response issued.
    fn learn(&mut self, request: &Request, response: &Response) {
        let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        let text = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
        let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
        let method = request.method.as_str();
        match (segments.as_slice(), method, response.status) {
            (["oauth", "authorize"], "GET", 302) => {
                let params: Vec<(String, String)> =
                    url::form_urlencoded::parse(request.query.as_bytes()).into_owned().collect();
                let location = response.header("Location").unwrap_or_default().to_owned();
                self.learn_authorization(&params, &location);
            }
            (["oauth", "authorize"], "POST", 200) => {
                let sent: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                let params: Vec<(String, String)> = sent
                    .as_object()
                    .map(|o| {
                        o.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect()
                    })
                    .unwrap_or_default();
                self.learn_authorization(&params, &text("redirect"));
            }
            (["oauth", "access_token"], "POST", 200) => {
                let client = client_of(request);
                let (access, refresh) = (text("access_token"), text("refresh_token"));
                self.issue(&access, "an access token");
                self.issue(&refresh, "a refresh token");
                if !access.is_empty() {
                    push_bounded(&mut self.access_tokens, Token { value: access, client: client.clone() });
                }
                if !refresh.is_empty() {
                    push_bounded(&mut self.refresh_tokens, Token { value: refresh, client });
                }
            }
            (["api", "v4", "oauth", "apps"], "POST", 201)
            | (["api", "v4", "oauth", "apps", "register"], "POST", 201) => {
                let id = if segments.len() == 4 { text("id") } else { text("client_id") };
                let secret = text("client_secret");
                self.issue(&secret, "an app's client secret");
                let callbacks = body.get("callback_urls").or_else(|| body.get("redirect_uris"));
                let callback = callbacks.and_then(|c| c.get(0)).and_then(Value::as_str).unwrap_or_default();
                let secret = (!secret.is_empty()).then_some(secret);
                push_bounded(&mut self.clients, Client { id, secret, callback: callback.to_owned() });
            }
            (["api", "v4", "oauth", "apps", id, "regen_secret"], "POST", 200) => {
                let secret = text("client_secret");
                self.issue(&secret, "an app's client secret");
                for client in self.clients.iter_mut().filter(|c| c.id == *id) {
                    client.secret = Some(secret.clone());
                }
            }
            (["api", "v4", "oauth", "outgoing_connections"], "POST", 201) => {
                push_bounded(&mut self.connections, text("id"));
            }
            (["plugins", "oauth-plugin", "apps", _, "oauth2", "remote", "connect"], "GET", 302) => {
                let params = url_params(response.header("Location").unwrap_or_default());
                if let Some((_, state)) = params.iter().find(|(k, _)| k == "state") {
                    self.issue(state, "a connect state");
                    push_bounded(&mut self.states, state.clone());
                }
            }
            _ => {}
        }
    }

    /// The code or token in an authorization response to a request with `params`.
    fn learn_authorization(&mut self, params: &[(String, String)], location: &str) {
        let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let client = param("client_id").unwrap_or_default();
        for (name, value) in url_params(location) {
            match name.as_str() {
                "code" => {
                    self.issue(&value, "an authorization code");
                    let code = Code {
                        value,
                        client: client.clone(),
                        redirect_uri: param("redirect_uri").filter(|r| !r.is_empty()),
                        pkce: param("code_challenge").is_some_and(|c| !c.is_empty()),
                    };
                    push_bounded(&mut self.codes, code);
                }
                "access_token" => {
                    self.issue(&value, "an access token");
                    push_bounded(&mut self.access_tokens, Token { value, client: client.clone() });
                }
                _ => {}
            }
        }
    }

    // -- the invariants -------------------------------------------------------------------------

    fn check_response(request: &Request, response: &Response, upstream_failed: bool) {
        let what = || format!("request {}\nresponse {}", summary(request), response_summary(response));
        assert!(
            response.status < 500 || (response.status == 502 && upstream_failed),
            "server error for client input:\n{}",
            what()
        );
        assert!((100..600).contains(&response.status), "status out of range:\n{}", what());
        for (name, value) in &response.headers {
            assert!(
                !has_control(name) && !has_control(value),
                "CR, LF or NUL in header {name:?}: {value:?}\n{}",
                what()
            );
        }
        if response.header("content-type").is_some_and(is_json_type) {
            let parsed = serde_json::from_slice::<Value>(&response.body);
            assert!(parsed.is_ok(), "a JSON-typed body that is not JSON ({:?}):\n{}", parsed.err(), what());
        }
    }

    /// `exchanges` are this step's requests and responses; `earlier` is how many secrets were
    /// issued before the step. A response may show a secret it issued itself, one its request
    /// carried, and one the client stored in a JSON body.
    fn check_leaks(&self, exchanges: &[(Request, Response, usize, usize)], earlier: usize) {
        let requests: String = exchanges.iter().map(|(r, ..)| request_text(r)).collect::<Vec<_>>().join("\n");
        for (request, response, first_new, end_new) in exchanges {
            let mut haystack = lossy(&response.body);
            for (name, value) in &response.headers {
                haystack.push('\n');
                haystack.push_str(name);
                haystack.push_str(": ");
                haystack.push_str(value);
            }
            for (index, secret) in self.secrets.iter().enumerate() {
                let issued_here = (*first_new..*end_new).contains(&index);
                let issued_in_step = index >= earlier;
                if issued_here || (issued_in_step && exchanges.len() == 1) {
                    continue;
                }
                if !haystack.contains(&secret.value) {
                    continue;
                }
                if requests.contains(&secret.value) || self.stored_by_client.contains(&secret.value) {
                    continue;
                }
                panic!(
                    "{} ({:?}) shown again:\nrequest {}\nresponse {}",
                    secret.what,
                    secret.value,
                    summary(request),
                    response_summary(response)
                );
            }
        }
    }

    /// Secrets sent in a JSON body are the client's to read back.
    fn note_stored(&mut self, request: &Request) {
        if serde_json::from_slice::<Value>(&request.body).is_err() {
            return;
        }
        let body = lossy(&request.body);
        for secret in &self.secrets {
            if body.contains(&secret.value) && !self.stored_by_client.contains(&secret.value) {
                self.stored_by_client.push(secret.value.clone());
            }
        }
    }
}

fn basic(id: &str, secret: &str) -> String {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!("Basic {}", STANDARD.encode(format!("{}:{}", encode(id), encode(secret))))
}

fn user_id(user: &UserChoice) -> Option<String> {
    match user {
        UserChoice::None => None,
        UserChoice::Admin => Some(ADMIN.into()),
        UserChoice::User => Some(USER.into()),
        UserChoice::Deactivated => Some(DEACTIVATED.into()),
        UserChoice::Nobody => Some(NOBODY.into()),
        UserChoice::Empty => Some(String::new()),
        UserChoice::Odd(s) => Some(prefix(s, 26)),
    }
}

fn remote_addr(addr: &RemoteAddr) -> String {
    match addr {
        RemoteAddr::First => "203.0.113.7".into(),
        RemoteAddr::Second => "198.51.100.20".into(),
        RemoteAddr::Ipv6 => "2001:db8::1".into(),
        RemoteAddr::Empty => String::new(),
        RemoteAddr::Odd(s) => s.clone(),
    }
}

/// The client a token request authenticates as: its form's `client_id`, else its Basic user.
fn client_of(request: &Request) -> String {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body).into_owned().collect();
    if let Some((_, id)) = form.iter().find(|(k, _)| k == "client_id") {
        return id.clone();
    }
    let basic =
        request.header("authorization").and_then(|h| h.trim().strip_prefix("Basic ").map(str::to_owned));
    let decoded = basic.and_then(|b| STANDARD.decode(b.trim()).ok()).map(|d| lossy(&d)).unwrap_or_default();
    let id = decoded.split(':').next().unwrap_or_default();
    url::form_urlencoded::parse(format!("v={id}").as_bytes())
        .map(|(_, v)| v.into_owned())
        .next()
        .unwrap_or_default()
}

fn app_segment(app: &AppSeg) -> String {
    match app {
        AppSeg::Jira => JIRA_APP_ID.into(),
        AppSeg::Unconfigured => "com.example.other".into(),
        AppSeg::Overlong(n) => "a".repeat(33 + usize::from(*n)),
        AppSeg::Empty => String::new(),
        AppSeg::Odd(s) => s.clone(),
    }
}

/// Mostly the path as it is; sometimes with a trailing or doubled slash, without the leading
/// slash, in upper case, with a percent-encoded character, or with one more segment.
fn mangle(path: String, how: u8) -> String {
    match how {
        0..=215 => path,
        216..=221 => format!("{path}/"),
        222..=227 => path.replacen('/', "//", 2),
        228..=233 => path.trim_start_matches('/').to_owned(),
        234..=239 => path.to_uppercase(),
        240..=247 => path.replacen('o', "%6F", 1),
        _ => format!("{path}/extra"),
    }
}

fn word_text(word: Word) -> &'static str {
    match word {
        Word::Code => "code",
        Word::Token => "token",
        Word::IdToken => "id_token",
        Word::S256 => "S256",
        Word::Plain => "plain",
        Word::AuthorizationCode => "authorization_code",
        Word::RefreshToken => "refresh_token",
        Word::ClientCredentials => "client_credentials",
        Word::Password => "password",
        Word::Implicit => "implicit",
        Word::ClientSecretBasic => "client_secret_basic",
        Word::ClientSecretPost => "client_secret_post",
        Word::None => "none",
        Word::User => "user",
        Word::Bearer => "bearer",
        Word::True => "true",
        Word::False => "false",
        Word::Zero => "0",
        Word::MinusOne => "-1",
        Word::Huge => "18446744073709551616",
        Word::AccessTokenHint => "access_token",
        Word::RefreshTokenHint => "refresh_token",
        Word::Empty => "",
        Word::Space => " ",
    }
}

fn url_text(kind: &UrlKind) -> String {
    match kind {
        UrlKind::AppCallback => APP_CALLBACK.into(),
        UrlKind::AppCallback2 => APP_CALLBACK_2.into(),
        UrlKind::PublicCallback => PUBLIC_CALLBACK.into(),
        UrlKind::DcrAllowed(n) => {
            format!("https://{}.example.com/cb", ["tool", "a-b", "x", "0"][usize::from(*n) % 4])
        }
        UrlKind::DcrLocalhost(port) => format!("http://localhost:{port}/callback"),
        UrlKind::DcrDenied => "https://elsewhere.test/cb".into(),
        UrlKind::Homepage => "https://jira-app.example.com".into(),
        UrlKind::Icon => "https://cdn.example.com/icon.png".into(),
        UrlKind::TokenUrl => TOKEN_URL.into(),
        UrlKind::RemoteAuthorize => REMOTE_AUTHORIZE_URL.into(),
        UrlKind::RemoteToken => REMOTE_TOKEN_URL.into(),
        UrlKind::AudienceCovered(rest) => format!("https://jira.example.com/hooks/{rest}"),
        UrlKind::AudienceExact => "https://api.example.com/v1/hook".into(),
        UrlKind::AudienceQuery(query) => format!("https://api.example.com/v1/hook?{query}"),
        UrlKind::AudiencePrefix(rest) => format!("https://fuzz.example.com/{rest}*"),
        UrlKind::Uncovered => "https://other.example.com/x".into(),
        UrlKind::Loopback => "http://127.0.0.1:9/x".into(),
        UrlKind::SchemeOnly => "https://".into(),
        UrlKind::Fragment => format!("{APP_CALLBACK}#frag"),
        UrlKind::Userinfo => "https://user:pw@auth.example.com/token".into(),
        UrlKind::Javascript => "javascript:alert(1)".into(),
        UrlKind::Relative => "/cb".into(),
        UrlKind::Ftp => "ftp://app.example.com/cb".into(),
        UrlKind::UpperCase => "HTTPS://APP.EXAMPLE.COM/cb".into(),
        UrlKind::Site(rest) => format!("{SITE}/{rest}"),
    }
}

/// The token server's answer in `mode`; `n` numbers the tokens it hands out.
fn token_server_answer(mode: Upstream, n: u32) -> Result<FetchResponse, HostError> {
    let json_response = |status: u16, body: Value| FetchResponse {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    };
    let mut token = json!({
        "access_token": format!("remote-at-{n}"), "refresh_token": format!("remote-rt-{n}"),
        "token_type": "bearer", "expires_in": 3600,
    });
    let response = match mode {
        Upstream::Token => json_response(200, token),
        Upstream::NoExpiry => {
            token.as_object_mut().map(|t| t.remove("expires_in"));
            json_response(200, token)
        }
        Upstream::ExpiresIn(seconds) => {
            token["expires_in"] = json!(seconds);
            json_response(200, token)
        }
        Upstream::ExpiresInEdge(which) => {
            const EDGES: [i64; 12] =
                [0, 1, -1, 29, 30, 31, 86_400, 86_401, i64::MAX, i64::MIN, i64::MIN + 29, u32::MAX as i64];
            token["expires_in"] = json!(EDGES[usize::from(which) % EDGES.len()]);
            json_response(200, token)
        }
        Upstream::ExpiresInText(seconds) => {
            token["expires_in"] = json!(seconds.to_string());
            json_response(200, token)
        }
        Upstream::ExpiresInFloat(seconds) => {
            token["expires_in"] = serde_json::Number::from_f64(seconds).map_or(Value::Null, Value::Number);
            json_response(200, token)
        }
        Upstream::NoRefreshToken => {
            token.as_object_mut().map(|t| t.remove("refresh_token"));
            json_response(200, token)
        }
        Upstream::TokenType(kind) => {
            token["token_type"] =
                json!(["MAC", "", "Bear er", "x\r\nInjected: 1", "DPoP"][usize::from(kind) % 5]);
            json_response(200, token)
        }
        Upstream::NoAccessToken => {
            token.as_object_mut().map(|t| t.remove("access_token"));
            json_response(200, token)
        }
        Upstream::AccessTokenNotString => {
            token["access_token"] = json!({"nested": true});
            json_response(200, token)
        }
        Upstream::UnsafeAccessToken => {
            token["access_token"] = json!("abc\r\nX-Injected: 1");
            json_response(200, token)
        }
        Upstream::Denied => json_response(
            401,
            json!({"error": "invalid_client", "error_description": "client authentication failed"}),
        ),
        Upstream::ServerError => {
            FetchResponse { status: 500, headers: vec![], body: b"internal error".to_vec() }
        }
        Upstream::NotJson => FetchResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: b"<html>hello</html>".to_vec(),
        },
        Upstream::Redirect => FetchResponse {
            status: 302,
            headers: vec![("Location".into(), "https://elsewhere.test/login".into())],
            body: Vec::new(),
        },
        Upstream::Unreachable => return Err(HostError("connection refused".into())),
    };
    Ok(response)
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let mut world = SNAPSHOT.with(World::from_snapshot);
    for _ in 0..MAX_STEPS {
        if u.is_empty() {
            break;
        }
        let Ok(step) = u.arbitrary::<Step>() else { break };
        world.run(step);
    }
});
