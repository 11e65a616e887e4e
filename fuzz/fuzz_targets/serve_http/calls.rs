//! Calls of each endpoint that are valid unless the input deviates.

use crate::*;

impl Issued {
    pub(crate) fn client(&self, index: u8) -> Client {
        pick(&self.clients, index).cloned().unwrap_or(Client {
            id: NOT_ISSUED.into(),
            secret: None,
            callback: APP_CALLBACK.into(),
        })
    }

    /// The client authentication `auth` for a code or token of `owner`: form fields, or a header.
    pub(crate) fn client_auth(
        &self,
        auth: &ClientAuth,
        owner: &str,
    ) -> (Vec<(String, String)>, Option<String>) {
        let owner = || self.clients.iter().find(|c| c.id == owner).cloned().unwrap_or_else(|| self.client(0));
        let (client, use_basic) = match auth {
            ClientAuth::Owner => (owner(), false),
            ClientAuth::OwnerBasic => (owner(), true),
            ClientAuth::Client(i) => (self.client(*i), false),
            ClientAuth::ClientBasic(i) => (self.client(*i), true),
            ClientAuth::Resource(i) => {
                let resource = pick(&self.resources, *i);
                let id = resource.map_or_else(|| NOT_ISSUED.into(), |r| r.id.clone());
                let secret = resource.and_then(|r| r.secret.clone()).unwrap_or_default();
                return (vec![("client_id".into(), id), ("client_secret".into(), secret)], None);
            }
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

    pub(crate) fn authorize_call(&self, call: &AuthorizeCall) -> Vec<(String, String)> {
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

    pub(crate) fn token_call(&self, call: &TokenCall) -> (Vec<(String, String)>, Option<String>) {
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
            GrantChoice::Device(i) => {
                let device = pick_recent(&self.devices, *i).cloned().unwrap_or(Device {
                    device_code: NOT_ISSUED.into(),
                    user_code: String::new(),
                    client: self.device_client(&DeviceClient::Confidential).id,
                });
                pairs.push(("grant_type".into(), DEVICE_GRANT.into()));
                pairs.push(("device_code".into(), device.device_code));
                device.client
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

    /// The client that asks for a device code.
    pub(crate) fn device_client(&self, choice: &DeviceClient) -> Client {
        let setup = |index: usize| self.clients.get(index).cloned().unwrap_or_else(|| self.client(0));
        match choice {
            DeviceClient::Confidential => setup(DEVICE_CLIENT),
            DeviceClient::Public => setup(PUBLIC_DEVICE_CLIENT),
            DeviceClient::Client(i) => self.client(*i),
        }
    }

    /// A user code as typed on the verification page.
    pub(crate) fn user_code(&self, choice: &UserCodeChoice) -> String {
        match choice {
            UserCodeChoice::Fresh => self.known(Known::UserCode(0)),
            UserCodeChoice::Issued(i, typing) => {
                let shown = self.known(Known::UserCode(*i));
                match typing {
                    CodeTyping::AsShown => shown,
                    CodeTyping::Lower => shown.to_lowercase(),
                    CodeTyping::NoDash => shown.replace('-', ""),
                    CodeTyping::Spaced => format!(" {} ", shown.replace('-', " ")),
                }
            }
            UserCodeChoice::Other(text) => self.text(text),
        }
    }

    /// A UserInfo request (OpenID Connect Core §5.3) with `token` where `how` says (RFC 6750 §2).
    pub(crate) fn userinfo(&self, token: &TokenRef, how: &BearerPlacement, post: bool) -> Request {
        let (token, _) = self.token_ref(token);
        let mut request = Request::new(if post { "POST" } else { "GET" }, "/oauth/userinfo");
        let in_header = matches!(how, BearerPlacement::Header | BearerPlacement::Both);
        if in_header {
            request.headers.insert("authorization".into(), format!("Bearer {token}"));
        }
        if let BearerPlacement::LowerCaseScheme = how {
            request.headers.insert("authorization".into(), format!("bearer {token}"));
        }
        if let BearerPlacement::Form | BearerPlacement::Both = how {
            request.headers.insert("content-type".into(), "application/x-www-form-urlencoded".into());
            request.body = form(&[("access_token".into(), token.clone())]).into_bytes();
        }
        if let BearerPlacement::Query = how {
            request.query = form(&[("access_token".into(), token)]);
        }
        request
    }

    /// The token of `token` and its client.
    pub(crate) fn token_ref(&self, token: &TokenRef) -> (String, String) {
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
            TokenRef::DeviceCode(i) => pick_recent(&self.devices, *i)
                .map(|d| (d.device_code.clone(), d.client.clone()))
                .unwrap_or_else(|| (NOT_ISSUED.into(), self.app_id())),
            TokenRef::Other(t) => (self.text(t), self.app_id()),
        }
    }

    pub(crate) fn call(&self, call: &Call) -> Request {
        const APPS: &str = "/api/v4/oauth/apps";
        const OUTGOING: &str = "/api/v4/oauth/outgoing_connections";
        const STORE: &str = "/plugins/oauth-plugin/api/v1/oauth2";
        const RESOURCES: &str = "/plugins/oauth-plugin/api/v1/resources";
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
            Call::DeviceAuthorize(client, auth, scope, resource) => {
                let client = self.device_client(client);
                let (mut pairs, header) = self.client_auth(auth, &client.id);
                for (name, value) in [("scope", scope), ("resource", resource)] {
                    if let Some(value) = value {
                        pairs.push((name.into(), self.text(value)));
                    }
                }
                form_request("/oauth/device_authorization", (pairs, header))
            }
            Call::DevicePage(user, code) => {
                let mut request = empty_request("GET", "/oauth/device", user);
                if let Some(code) = code {
                    request.query = form(&[("user_code".into(), self.user_code(code))]);
                }
                request
            }
            Call::DeviceDecision(user, code, approve, oauth_session) => {
                let mut body = json!({"user_code": self.user_code(code)});
                if let Some(approve) = approve {
                    body["approve"] = Value::Bool(*approve);
                }
                let mut request = json_request("POST", "/oauth/device", user_id(user), body);
                request.is_oauth_session = *oauth_session;
                request
            }
            Call::UserInfo(token, how, post) => self.userinfo(token, how, *post),
            Call::RotateSigningKeys(user) => {
                empty_request("POST", "/plugins/oauth-plugin/api/v1/signing_keys/rotate", user)
            }
            Call::CreateResource(user, fields) => {
                json_request("POST", RESOURCES, user_id(user), self.resource(fields, None))
            }
            Call::UpdateResource(index, user, fields) => {
                let id = self.known(Known::Resource(*index));
                let body = self.resource(fields, Some(&id));
                json_request("PUT", &format!("{RESOURCES}/{id}"), user_id(user), body)
            }
            Call::ResourceAction(action, index, user) => {
                let path = format!("{RESOURCES}/{}", self.known(Known::Resource(*index)));
                match action {
                    ResourceAction::Get => empty_request("GET", &path, user),
                    ResourceAction::Regenerate => {
                        empty_request("POST", &format!("{path}/regen_secret"), user)
                    }
                    ResourceAction::Delete => empty_request("DELETE", &path, user),
                }
            }
            Call::ListResources(user) => empty_request("GET", RESOURCES, user),
        };
        if request.remote_addr.is_empty() {
            request.remote_addr = "203.0.113.7".into();
        }
        request.request_id = "fuzz".into();
        request
    }

    // -- learning what was issued ---------------------------------------------------------------
}
