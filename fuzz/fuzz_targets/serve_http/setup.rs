//! The setup every input starts from, made once per process through the plugin's own API.

use crate::*;

impl World {
    /// The setup, through the plugin's own API.
    pub(crate) fn with_setup() -> World {
        let issued = Issued {
            challenge: URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes())),
            clients: Vec::new(),
            codes: Vec::new(),
            access_tokens: Vec::new(),
            refresh_tokens: Vec::new(),
            connections: Vec::new(),
            states: Vec::new(),
            devices: Vec::new(),
            resources: Vec::new(),
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

    pub(crate) fn send(&mut self, request: Request, expect: u16) -> Response {
        let response = block_on(self.plugin.serve_http(request.clone()));
        if response.status != expect {
            panic!("setup: {}: {}", summary(&request), response_summary(&response));
        }
        self.issued.learn(&request, &response);
        response
    }

    pub(crate) fn setup_request(method: &str, path: &str, user: Option<&str>, body: Value) -> Request {
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
    /// settings and the admin's connected account; device clients, protected resources and a
    /// pending and an approved device authorization.
    pub(crate) fn setup(&mut self) {
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

        // Full access for both users; and the admin's OpenID Connect token, which UserInfo takes.
        for (user, scope) in [(ADMIN, None), (USER, None), (ADMIN, Some("openid profile email"))] {
            let mut params = vec![
                ("response_type".into(), "code".into()),
                ("client_id".into(), self.issued.app_id()),
                ("redirect_uri".into(), APP_CALLBACK.into()),
            ];
            params.extend(scope.map(|scope| ("scope".to_owned(), scope.to_owned())));
            let query = form(&params);
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
        self.setup_device_and_resources();
    }

    /// RFC 8628's clients (a confidential one by the REST API, a public one by RFC 7591), RFC
    /// 9728's resources (one under the SiteURL with JWT access tokens, one beside it), a device
    /// authorization waiting for its user and one approved.
    pub(crate) fn setup_device_and_resources(&mut self) {
        let tv = json!({
            "name": "TV", "homepage": "https://tv.example.com", "callback_urls": [],
            "grant_types": [DEVICE_GRANT],
        });
        self.send(Self::setup_request("POST", "/api/v4/oauth/apps", Some(ADMIN), tv), 201);
        let cli = json!({
            "client_name": "Device CLI", "grant_types": [DEVICE_GRANT], "token_endpoint_auth_method": "none",
        });
        self.send(Self::setup_request("POST", "/api/v4/oauth/apps/register", None, cli), 201);
        assert_eq!(self.issued.clients.len(), 4, "setup: the device clients");

        let resources = [
            json!({"identifier": RESOURCE_UNDER_SITE, "name": "MCP", "scopes": ["mcp:read", "mcp:write"], "token_format": "jwt"}),
            json!({"identifier": RESOURCE_BESIDE, "name": "Tools", "scopes": ["tools:run"]}),
        ];
        for resource in resources {
            let path = "/plugins/oauth-plugin/api/v1/resources";
            self.send(Self::setup_request("POST", path, Some(ADMIN), resource), 201);
        }
        assert_eq!(self.issued.resources.len(), 2, "setup: the protected resources");

        // One the user has not decided on yet, and one the plain user approved, which a poll (of
        // the newest device code) turns into tokens.
        let tv = self.issued.clients[DEVICE_CLIENT].clone();
        for _ in 0..2 {
            let mut request = Request::new("POST", "/oauth/device_authorization");
            request.headers.insert("content-type".into(), "application/x-www-form-urlencoded".into());
            request.body = form(&[
                ("client_id".into(), tv.id.clone()),
                ("client_secret".into(), tv.secret.clone().unwrap_or_default()),
                ("scope".into(), "openid profile".into()),
            ])
            .into_bytes();
            self.send(request, 200);
        }
        assert_eq!(self.issued.devices.len(), 2, "setup: the device authorizations");
        let approval = json!({"user_code": self.issued.devices[1].user_code, "approve": true});
        self.send(Self::setup_request("POST", "/oauth/device", Some(USER), approval), 200);
    }
}
