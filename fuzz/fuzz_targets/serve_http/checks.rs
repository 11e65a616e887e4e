//! What the plugin issued, learnt from its answers, and the checks after every step.

use crate::*;

impl Issued {
    pub(crate) fn issue(&mut self, value: &str, what: &'static str) {
        if value.is_empty() || self.secrets.iter().any(|s| s.value == value) {
            return;
        }
        self.secrets.push(Secret { value: value.to_owned(), what });
    }

    /// Takes note of the codes, tokens, secrets and ids a response issued.
    pub(crate) fn learn(&mut self, request: &Request, response: &Response) {
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
            (["oauth", "device_authorization"], "POST", 200) => {
                // The user code is no secret: the device shows it, and the verification page shows
                // it back to whoever typed it (in its own spelling).
                let (device_code, user_code) = (text("device_code"), text("user_code"));
                self.issue(&device_code, "a device code");
                if !device_code.is_empty() {
                    let device = Device { device_code, user_code, client: client_of(request) };
                    push_bounded(&mut self.devices, device);
                }
            }
            (["plugins", "oauth-plugin", "api", "v1", "resources"], "POST", 201) => {
                let secret = text("client_secret");
                self.issue(&secret, "a protected resource's secret");
                let secret = (!secret.is_empty()).then_some(secret);
                let resource = Resource { id: text("id"), identifier: text("identifier"), secret };
                push_bounded(&mut self.resources, resource);
            }
            (["plugins", "oauth-plugin", "api", "v1", "resources", id, "regen_secret"], "POST", 200) => {
                let secret = text("client_secret");
                self.issue(&secret, "a protected resource's secret");
                for resource in self.resources.iter_mut().filter(|r| r.id == *id) {
                    resource.secret = Some(secret.clone());
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
    pub(crate) fn learn_authorization(&mut self, params: &[(String, String)], location: &str) {
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

    pub(crate) fn check_response(request: &Request, response: &Response, upstream_failed: bool) {
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
        // RFC 7517 §9.2, RFC 7518 §6.3.2: a published key set has public keys only.
        if let Ok(body) = serde_json::from_slice::<Value>(&response.body) {
            let keys = body.get("keys").and_then(Value::as_array).into_iter().flatten();
            for key in keys.filter_map(Value::as_object) {
                for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
                    assert!(
                        !key.contains_key(private),
                        "private key member {private:?} published:\n{}",
                        what()
                    );
                }
            }
        }
    }

    /// `exchanges` are this step's requests and responses; `earlier` is how many secrets were
    /// issued before the step. A response may show a secret it issued itself, one its request
    /// carried, and one the client stored in a JSON body.
    pub(crate) fn check_leaks(&self, exchanges: &[(Request, Response, usize, usize)], earlier: usize) {
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
    pub(crate) fn note_stored(&mut self, request: &Request) {
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
