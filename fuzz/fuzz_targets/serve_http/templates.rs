//! Requests built from templates of every route, with the values issued so far.

use crate::*;

impl Issued {
    // -- rendering the input ------------------------------------------------------------------

    pub(crate) fn app_id(&self) -> String {
        self.clients.first().map(|c| c.id.clone()).unwrap_or_default()
    }

    pub(crate) fn app_secret(&self) -> String {
        self.clients.first().and_then(|c| c.secret.clone()).unwrap_or_default()
    }

    pub(crate) fn known(&self, known: Known) -> String {
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
            Known::DeviceClientId => or_not_issued(self.clients.get(DEVICE_CLIENT).map(|c| &c.id)),
            Known::DeviceClientSecret => {
                or_not_issued(self.clients.get(DEVICE_CLIENT).and_then(|c| c.secret.as_ref()))
            }
            Known::DeviceCode(i) => or_not_issued(pick_recent(&self.devices, i).map(|d| &d.device_code)),
            Known::UserCode(i) => or_not_issued(pick_recent(&self.devices, i).map(|d| &d.user_code)),
            Known::Resource(i) => or_not_issued(pick(&self.resources, i).map(|r| &r.id)),
            Known::ResourceSecret(i) => {
                let secrets: Vec<&String> = self.resources.iter().filter_map(|r| r.secret.as_ref()).collect();
                or_not_issued(pick(&secrets, i).copied())
            }
            Known::ResourceIdentifier(i) => or_not_issued(pick(&self.resources, i).map(|r| &r.identifier)),
        }
    }

    pub(crate) fn text(&self, text: &Text) -> String {
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

    pub(crate) fn field(&self, field: &Field) -> Value {
        match field {
            Field::Str(text) => Value::String(self.text(text)),
            Field::Json(json) => self.json(json),
        }
    }

    pub(crate) fn fields(&self, fields: &[Field]) -> Value {
        Value::Array(fields.iter().map(|f| self.field(f)).collect())
    }

    pub(crate) fn json(&self, json: &Json) -> Value {
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

    pub(crate) fn segment(&self, seg: &Seg) -> String {
        match seg {
            Seg::Known(known) => self.known(*known),
            Seg::ValidLooking(seed) => id_from(*seed),
            Seg::Overlong(n) => "y".repeat(27 + usize::from(*n) % 1024),
            Seg::Empty => String::new(),
            Seg::Odd(s) => s.clone(),
        }
    }

    pub(crate) fn path(&self, route: &Route) -> String {
        const APPS: &str = "/api/v4/oauth/apps";
        const OUTGOING: &str = "/api/v4/oauth/outgoing_connections";
        const STORE: &str = "/plugins/oauth-plugin/api/v1/oauth2";
        const RESOURCES: &str = "/plugins/oauth-plugin/api/v1/resources";
        const PROTECTED: &str = "/.well-known/oauth-protected-resource";
        let remote = |app: &AppSeg, step: &str| {
            format!("/plugins/oauth-plugin/apps/{}/oauth2/remote/{step}", app_segment(app))
        };
        match route {
            Route::Metadata => "/.well-known/oauth-authorization-server".into(),
            Route::MetadataSuffix(t) => format!("/.well-known/oauth-authorization-server{}", self.text(t)),
            Route::OpenIdConfiguration => "/.well-known/openid-configuration".into(),
            Route::OpenIdConfigurationSuffix(t) => {
                format!("/.well-known/openid-configuration{}", self.text(t))
            }
            Route::Jwks => "/oauth/jwks".into(),
            Route::UserInfo => "/oauth/userinfo".into(),
            Route::ProtectedResource => PROTECTED.into(),
            Route::ProtectedResourceOf(i) => {
                // RFC 9728 §3.1: the well-known path goes before the identifier's path.
                let identifier = pick(&self.resources, *i).map(|r| r.identifier.clone()).unwrap_or_default();
                let path = url::Url::parse(&identifier).map(|u| u.path().to_owned()).unwrap_or_default();
                format!("{PROTECTED}{}", path.trim_end_matches('/'))
            }
            Route::ProtectedResourceSuffix(t) => format!("{PROTECTED}{}", self.text(t)),
            Route::Authorize => "/oauth/authorize".into(),
            Route::AccessToken => "/oauth/access_token".into(),
            Route::Revoke => "/oauth/revoke".into(),
            Route::Introspect => "/oauth/introspect".into(),
            Route::DeviceAuthorization => "/oauth/device_authorization".into(),
            Route::Device => "/oauth/device".into(),
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
            Route::SigningKeysRotate => "/plugins/oauth-plugin/api/v1/signing_keys/rotate".into(),
            Route::Resources => RESOURCES.into(),
            Route::Resource(s) => format!("{RESOURCES}/{}", self.segment(s)),
            Route::ResourceRegenSecret(s) => format!("{RESOURCES}/{}/regen_secret", self.segment(s)),
            Route::ResourceOther(s, t) => format!("{RESOURCES}/{}/{}", self.segment(s), self.text(t)),
            Route::Raw(s) => s.clone(),
        }
    }

    pub(crate) fn authorize_pairs(&self, fields: &AuthorizeFields) -> Vec<(String, String)> {
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

    pub(crate) fn query(&self, query: &Query) -> String {
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
            Query::Device { user_code, result } => {
                form(&optional(&[("user_code", user_code), ("result", result)]))
            }
            Query::AccessToken(token) => form(&[("access_token".into(), self.text(token))]),
            Query::Pairs(pairs) => {
                form(&pairs.iter().map(|(k, v)| (self.text(k), self.text(v))).collect::<Vec<_>>())
            }
            Query::Raw(s) => s.clone(),
        }
    }

    /// An object from a valid template (when `base`) with the given fields set.
    pub(crate) fn object(&self, base: Option<Value>, overrides: Vec<(&str, Option<Value>)>) -> Value {
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

    pub(crate) fn field_of(&self, field: &Option<Field>) -> Option<Value> {
        field.as_ref().map(|f| self.field(f))
    }

    pub(crate) fn flag(&self, flag: &Option<Flag>) -> Option<Value> {
        flag.as_ref().map(|flag| match flag {
            Flag::Yes => Value::Bool(true),
            Flag::No => Value::Bool(false),
            Flag::Other(field) => self.field(field),
        })
    }

    pub(crate) fn list_of(&self, fields: &Option<Vec<Field>>) -> Option<Value> {
        fields.as_ref().map(|f| self.fields(f))
    }

    /// An app as the REST API takes it; `id` for an update.
    pub(crate) fn app(&self, a: &AppFields, id: Option<&str>) -> Value {
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
                ("grant_types", list(&a.grant_types)),
            ],
        );
        if let (Some((k, v)), Value::Object(map)) = (&a.extra, &mut value) {
            map.insert(k.clone(), self.json(v));
        }
        value
    }

    /// An outgoing connection as the REST API takes it; `id` for an update or a validation.
    pub(crate) fn connection(&self, c: &ConnectionFields, id: Option<&str>) -> Value {
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
    pub(crate) fn registration(&self, r: &RegistrationFields) -> Value {
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

    /// A protected resource as the resources API takes it; `id` for an update.
    pub(crate) fn resource(&self, r: &ResourceFields, id: Option<&str>) -> Value {
        let f = |field: &Option<Field>| self.field_of(field);
        let base = json!({
            "identifier": format!("{SITE}/fuzz-mcp"), "name": "Fuzzed resource", "scopes": ["fuzz:read"],
        });
        let mut value = self.object(
            r.base.then_some(base),
            vec![
                ("id", f(&r.id).or_else(|| id.map(|id| Value::String(id.into())))),
                ("identifier", f(&r.identifier)),
                ("name", f(&r.name)),
                ("scopes", self.list_of(&r.scopes)),
                ("token_format", f(&r.token_format)),
            ],
        );
        if let (Some((k, v)), Value::Object(map)) = (&r.extra, &mut value) {
            map.insert(k.clone(), self.json(v));
        }
        value
    }

    /// An app's remote OAuth2 settings.
    pub(crate) fn remote(&self, r: &RemoteFields) -> Value {
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
    pub(crate) fn body(&self, body: &Body) -> (Vec<u8>, Option<&'static str>) {
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
                    ("device_code", &fields.device_code),
                    ("access_token", &fields.access_token),
                    ("scope", &fields.scope),
                    ("resource", &fields.resource),
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
            Body::Resource(fields) => self.resource(fields, None),
            Body::DeviceDecision(user_code, approve) => self.object(
                None,
                vec![
                    ("user_code", user_code.as_ref().map(|t| Value::String(self.text(t)))),
                    ("approve", f(approve)),
                ],
            ),
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

    pub(crate) fn request(&self, step: &HttpStep) -> Request {
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
}
