//! The plugin and what it issued: the world each input runs in, and running its steps.

use crate::*;

/// A secret shown to a client once.
#[derive(Clone)]
pub(crate) struct Secret {
    pub(crate) value: String,
    pub(crate) what: &'static str,
}

/// A registered client: the setup's trusted app and public client, and those the input made.
#[derive(Clone)]
pub(crate) struct Client {
    pub(crate) id: String,
    pub(crate) secret: Option<String>,
    pub(crate) callback: String,
}

/// An authorization code, with what its exchange must repeat.
#[derive(Clone)]
pub(crate) struct Code {
    pub(crate) value: String,
    pub(crate) client: String,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) pkce: bool,
}

/// An access or refresh token, with the client it was issued to.
#[derive(Clone)]
pub(crate) struct Token {
    pub(crate) value: String,
    pub(crate) client: String,
}

/// A device authorization (RFC 8628): the device's secret code, the code the user types, and
/// the client that asked.
#[derive(Clone)]
pub(crate) struct Device {
    pub(crate) device_code: String,
    pub(crate) user_code: String,
    pub(crate) client: String,
}

/// A registered protected resource (RFC 9728), with its introspection secret.
#[derive(Clone)]
pub(crate) struct Resource {
    pub(crate) id: String,
    pub(crate) identifier: String,
    pub(crate) secret: Option<String>,
}

/// What the setup and the steps so far issued, which the input may refer to; and the secrets
/// for the leak check.
#[derive(Clone)]
pub(crate) struct Issued {
    pub(crate) challenge: String,
    /// The trusted app first, the public client second, then the confidential and the public
    /// device clients ([`DEVICE_CLIENT`], [`PUBLIC_DEVICE_CLIENT`]).
    pub(crate) clients: Vec<Client>,
    pub(crate) codes: Vec<Code>,
    /// The admin's first, the plain user's second (both for the trusted app, full access), the
    /// admin's with `openid profile email` third.
    pub(crate) access_tokens: Vec<Token>,
    pub(crate) refresh_tokens: Vec<Token>,
    pub(crate) connections: Vec<String>,
    pub(crate) states: Vec<String>,
    /// Device authorizations: the setup's pending one first, then the one its plain user approved.
    pub(crate) devices: Vec<Device>,
    /// The setup's resource under the SiteURL first, the one beside it second.
    pub(crate) resources: Vec<Resource>,
    /// Every secret issued so far.
    pub(crate) secrets: Vec<Secret>,
    /// Secrets the client sent in a JSON body: stored values it may read back.
    pub(crate) stored_by_client: Vec<String>,
}

pub(crate) struct World {
    pub(crate) plugin: Plugin<MemoryHost>,
    pub(crate) upstream: Rc<Cell<Upstream>>,
    /// Whether the token server was asked during this step, in a mode that fails.
    pub(crate) upstream_failed: Rc<Cell<bool>>,
    pub(crate) issued: Issued,
}

/// The plugin's state after the setup, taken once per process and laid into a fresh host for
/// every input (the setup's requests cost more than most inputs).
pub(crate) struct Snapshot {
    /// Every KV entry, with the seconds it had left to live.
    pub(crate) entries: Vec<(String, Vec<u8>, Option<u32>)>,
    pub(crate) issued: Issued,
}

thread_local! {
    pub(crate) static SNAPSHOT: Snapshot = Snapshot::take(World::with_setup());
}

impl Snapshot {
    pub(crate) fn take(world: World) -> Snapshot {
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
        let mut entries = Vec::new();
        for chunk in keys.chunks(MAX_KEYS_PER_GET) {
            let asked: Vec<&str> = chunk.iter().map(String::as_str).collect();
            let values = block_on(host.kv_get_many(&asked)).expect("setup: reading the KV store");
            for (key, value) in chunk.iter().zip(values) {
                let value = value.expect("setup: a listed key");
                entries.push((key.clone(), value, seconds_to_live(host, key)));
            }
        }
        Snapshot { entries, issued: world.issued }
    }
}

/// How many seconds `key` has left, found by moving the clock to and fro (the host cannot say).
pub(crate) fn seconds_to_live(host: &MemoryHost, key: &str) -> Option<u32> {
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

pub(crate) fn push_bounded<T>(pool: &mut Vec<T>, item: T) {
    if pool.len() < MAX_POOL {
        pool.push(item);
    }
}

pub(crate) fn pick<T>(pool: &[T], index: u8) -> Option<&T> {
    (!pool.is_empty()).then(|| &pool[usize::from(index) % pool.len()])
}

/// Like [`pick`], newest first: the codes and states not used yet are the recent ones.
pub(crate) fn pick_recent<T>(pool: &[T], index: u8) -> Option<&T> {
    (!pool.is_empty()).then(|| &pool[pool.len() - 1 - usize::from(index) % pool.len()])
}

pub(crate) fn id_from(seed: u128) -> String {
    let mut x = seed;
    (0..26)
        .map(|_| {
            let c = ID_ALPHABET[(x % 32) as usize] as char;
            x = x.rotate_right(5);
            c
        })
        .collect()
}

pub(crate) fn form(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

pub(crate) fn has_control(text: &str) -> bool {
    text.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0)
}

pub(crate) fn is_json_type(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    media == "application/json" || media.ends_with("+json")
}

pub(crate) fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub(crate) fn prefix(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

pub(crate) fn summary(request: &Request) -> String {
    format!(
        "{:?} {:?} query={:?} user={:?} oauth_session={} remote_addr={:?} headers={:?} body={:?}",
        request.method,
        prefix(&request.path, 300),
        prefix(&request.query, 300),
        request.user_id,
        request.is_oauth_session,
        prefix(&request.remote_addr, 100),
        request.headers,
        prefix(&lossy(&request.body), 600),
    )
}

pub(crate) fn response_summary(response: &Response) -> String {
    format!("{} {:?} {}", response.status, response.headers, prefix(&lossy(&response.body), 600))
}

/// Everything of the request a response may echo: its path, query, headers (and the decoded Basic
/// credentials) and body.
pub(crate) fn request_text(request: &Request) -> String {
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

pub(crate) fn url_params(url: &str) -> Vec<(String, String)> {
    let Ok(url) = url::Url::parse(url) else { return Vec::new() };
    let mut params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    if let Some(fragment) = url.fragment() {
        params.extend(url::form_urlencoded::parse(fragment.as_bytes()).into_owned());
    }
    params
}

/// The settings under test: every feature on.
pub(crate) fn configuration() -> Vec<u8> {
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
    pub(crate) fn empty(issued: Issued) -> World {
        let host = MemoryHost::new();
        // One at-rest key for the setup and every copy of its store, as a restarted server keeps its key.
        host.set_at_rest_key(b"the fuzz target's at-rest key, 32 bytes or more");
        host.add_system_admin(User { id: ADMIN.into(), username: "admin".into(), ..Default::default() });
        for (id, name, delete_at) in [(USER, "user", 0), (DEACTIVATED, "gone", 1)] {
            host.add_user(User { id: id.into(), username: name.into(), delete_at, ..Default::default() });
        }
        // A plain user may manage OAuth apps and slash commands, as when EnableOnlyAdminIntegrations is off.
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

    /// A fresh plugin with the setup's state.
    pub(crate) fn from_snapshot(snapshot: &Snapshot) -> World {
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

    // -- running the steps ------------------------------------------------------------------------

    pub(crate) fn run(&mut self, step: Step) {
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

    pub(crate) fn http(&mut self, actions: &[Action], upstream: Option<Upstream>) {
        for action in actions {
            if let Action::Call(call) = action {
                match call.as_ref() {
                    Call::Complete(user, app, StateChoice::Fresh, ..) => {
                        let connect = Call::Connect(user.clone(), app.clone());
                        self.http(&[Action::Call(Box::new(connect))], None);
                    }
                    Call::DevicePage(_, Some(UserCodeChoice::Fresh))
                    | Call::DeviceDecision(_, UserCodeChoice::Fresh, ..) => {
                        let start =
                            Call::DeviceAuthorize(DeviceClient::Confidential, ClientAuth::Owner, None, None);
                        self.http(&[Action::Call(Box::new(start))], None);
                    }
                    _ => {}
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
