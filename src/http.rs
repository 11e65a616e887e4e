//! Requests and responses as the host hands them over, query parsing, and error rendering in
//! Mattermost's format. One place for each: every handler builds its errors here.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;

/// An HTTP request routed to the plugin (`PluginRequest` in the host contract). `user_id` is set by
/// the host only for a valid session.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// The full path, e.g. `/oauth/authorize` or `/plugins/oauth-plugin/…`.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    /// The session is an OAuth access token rather than a login.
    pub is_oauth_session: bool,
    /// When the session logged in (ms since the epoch), for OpenID Connect's `max_age`,
    /// `prompt=login` and `auth_time`.
    pub session_created_at: Option<i64>,
    pub remote_addr: String,
    pub request_id: String,
}

impl Request {
    pub fn new(method: &str, path: &str) -> Self {
        Request { method: method.into(), path: path.into(), ..Default::default() }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// What went wrong inside, for the server log only: never sent (see [`crate::Plugin::serve_http`]).
    pub internal_error: Option<String>,
}

impl Response {
    pub fn new(status: u16) -> Self {
        Response { status, ..Default::default() }
    }

    pub fn json<T: Serialize>(status: u16, value: &T) -> Self {
        // Serializing our own plain structs cannot fail; an empty object is a safe fallback.
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
        Response { body, ..Response::new(status) }.with_header("Content-Type", "application/json")
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// CORS for endpoints that browser-based clients call from other origins (RFC 8414 metadata,
    /// the token endpoint); never for pages that act with the user's cookies.
    pub fn allow_any_origin(self) -> Self {
        self.with_header("Access-Control-Allow-Origin", "*")
    }
}

/// Mattermost's `AppError`, rendered as `{id, message, detailed_error, request_id, status_code}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    pub status: u16,
    pub id: &'static str,
    pub message: String,
    pub detailed_error: String,
    /// The internal cause of a server error: logged, never rendered.
    pub cause: Option<String>,
}

#[derive(Serialize)]
struct AppErrorBody<'a> {
    id: &'a str,
    message: &'a str,
    detailed_error: &'a str,
    request_id: &'a str,
    status_code: u16,
}

impl AppError {
    pub fn new(status: u16, id: &'static str, message: impl Into<String>) -> Self {
        AppError { status, id, message: message.into(), detailed_error: String::new(), cause: None }
    }

    /// A failure inside the server (storage, the host): a 500 in general words, with `cause` kept
    /// for the server log.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        AppError {
            cause: Some(cause.to_string()),
            ..AppError::new(500, INTERNAL_ERROR_ID, INTERNAL_ERROR_MESSAGE)
        }
    }

    pub fn not_found() -> Self {
        AppError::new(404, "api.context.404.app_error", "Sorry, we could not find the page.")
    }

    pub fn method_not_allowed() -> Self {
        AppError::new(405, "api.context.405.app_error", "The method is not allowed for this URL.")
    }

    pub fn render(&self, request: &Request) -> Response {
        let body = AppErrorBody {
            id: self.id,
            message: &self.message,
            detailed_error: &self.detailed_error,
            request_id: &request.request_id,
            status_code: self.status,
        };
        Response { internal_error: self.cause.clone(), ..Response::json(self.status, &body) }
    }
}

/// A store failure at an endpoint: the server's fault, told to the client in general words only;
/// the detail goes to the server log.
impl From<crate::store::StoreError> for AppError {
    fn from(error: crate::store::StoreError) -> Self {
        AppError::internal(error)
    }
}

pub const INTERNAL_ERROR_ID: &str = "app.plugin.internal_error.app_error";

/// What a client learns of a server-side failure: that it happened, and the request id (in the
/// body) under which the server log has the details.
pub const INTERNAL_ERROR_MESSAGE: &str =
    "An internal error occurred. The server log has the details under this request's id.";

/// Mattermost's 400 for a malformed id (or other parameter) in the request's path.
pub fn invalid_url_param(name: &str) -> AppError {
    AppError::new(
        400,
        "api.context.invalid_url_param.app_error",
        format!("Invalid or missing {name} parameter in request URL."),
    )
}

/// Largest JSON body the REST endpoints accept.
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// Mattermost's 400 for a parameter that is missing or malformed.
pub fn invalid_param(name: &str) -> AppError {
    AppError::new(
        400,
        "api.context.invalid_param.app_error",
        format!("Invalid or missing {name} in request body."),
    )
}

/// A count or page number from a query (a decimal integer), saturated at `usize::MAX`: a number
/// past 32 bits gives on wasm32, where `usize` is 32 bits, the answer it gives natively (a page
/// past the end, a limit out of range) instead of a parse error.
pub fn query_count(text: &str) -> Option<usize> {
    text.parse::<u64>().ok().map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// Why a JSON body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Larger than the endpoint's limit (in bytes).
    TooLarge(usize),
    /// Valid or not, not a JSON object: every body the plugin takes is one.
    NotAnObject,
    /// An object of the wrong shape: serde's words (about the client's input, not the server).
    Invalid(String),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge(max) => write!(f, "the request body is larger than {max} bytes"),
            BodyError::NotAnObject => f.write_str("the request body must be a JSON object"),
            BodyError::Invalid(reason) => write!(f, "the request body is not valid: {reason}"),
        }
    }
}

/// What a body must be besides valid JSON of at most its endpoint's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonShape {
    /// An object, of the shape the endpoint's type wants: every body the plugin takes but one.
    Object,
    /// Any JSON value: what an app stores as its user's token (the Apps framework's `/user`).
    Any,
}

/// The one JSON body reader: at most `max` bytes, of `shape`, of the shape `T` wants.
pub fn read_json<T: DeserializeOwned>(body: &[u8], max: usize, shape: JsonShape) -> Result<T, BodyError> {
    if body.len() > max {
        return Err(BodyError::TooLarge(max));
    }
    // Checked first because serde skips the fields a type does not take without reading them.
    let text = std::str::from_utf8(body).map_err(|_| BodyError::Invalid("the body is not UTF-8".into()))?;
    // serde would also build a struct from a JSON array (or a missing body's defaults); a JSON
    // text is an object exactly when it begins with `{`.
    if shape == JsonShape::Object && !text.trim_start().starts_with('{') {
        return Err(BodyError::NotAnObject);
    }
    serde_json::from_slice(text.as_bytes()).map_err(|e| BodyError::Invalid(e.to_string()))
}

/// A JSON object request body of at most [`MAX_JSON_BODY`] bytes; `what` names it in errors.
pub fn json_body<T: DeserializeOwned>(request: &Request, what: &str) -> Result<T, AppError> {
    json_body_within(request, what, MAX_JSON_BODY, JsonShape::Object)
}

/// [`json_body`] with the endpoint's own size limit and shape, as Mattermost's errors word it.
pub fn json_body_within<T: DeserializeOwned>(
    request: &Request,
    what: &str,
    max: usize,
    shape: JsonShape,
) -> Result<T, AppError> {
    read_json(&request.body, max, shape).map_err(|error| match error {
        BodyError::TooLarge(max) => AppError::new(
            413,
            "api.context.request_body_too_large.app_error",
            format!("The request body is larger than {max} bytes."),
        ),
        BodyError::NotAnObject => invalid_param(what),
        BodyError::Invalid(reason) => AppError { detailed_error: reason, ..invalid_param(what) },
    })
}

/// URL-encoded parameters (a query string or a form body), each name at most once (RFC 6749 §3.1:
/// "Request and response parameters MUST NOT be included more than once"), but for the names in
/// [`REPEATABLE`].
#[derive(Debug, Default, Clone)]
pub struct Params(BTreeMap<String, Vec<String>>);

/// The parameters a request may repeat: RFC 8707 §2 `resource`, once per resource.
pub const REPEATABLE: &[&str] = &["resource"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamsError {
    Repeated(String),
    NotUtf8,
}

impl Params {
    pub fn parse(encoded: &[u8]) -> Result<Params, ParamsError> {
        let mut params = BTreeMap::<String, Vec<String>>::new();
        for (name, value) in url::form_urlencoded::parse(encoded) {
            // form_urlencoded replaces invalid UTF-8 silently; refuse it instead of guessing.
            if name.contains(char::REPLACEMENT_CHARACTER) || value.contains(char::REPLACEMENT_CHARACTER) {
                return Err(ParamsError::NotUtf8);
            }
            let values = params.entry(name.to_string()).or_default();
            if !values.is_empty() && !REPEATABLE.contains(&name.as_ref()) {
                return Err(ParamsError::Repeated(name.into_owned()));
            }
            values.push(value.into_owned());
        }
        Ok(Params(params))
    }

    /// The value, with an empty one counting as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.all(name).next()
    }

    /// Every value of a [`REPEATABLE`] parameter, in order, empty ones left out.
    pub fn all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + Clone {
        self.0.get(name).into_iter().flatten().map(String::as_str).filter(|v| !v.is_empty())
    }
}

impl std::fmt::Display for ParamsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamsError::Repeated(name) => write!(f, "parameter {name} is repeated"),
            ParamsError::NotUtf8 => f.write_str("parameters are not valid UTF-8"),
        }
    }
}

/// A 302 to `location`. Never cached, and no Referer leaks the URL (it may carry a code or a
/// state) to the next site.
pub fn redirect(location: &str) -> Response {
    Response::new(302)
        .with_header("Location", location)
        .with_header("Cache-Control", "no-store")
        .with_header("Referrer-Policy", "no-referrer")
}

/// The response to a request whose path matches but whose method does not.
pub fn wrong_method(request: &Request, allowed: &str) -> Response {
    AppError::method_not_allowed().render(request).with_header("Allow", allowed)
}

/// The answer to a CORS preflight for an endpoint open to any origin.
pub fn cors_preflight(allowed: &str) -> Response {
    Response::new(204)
        .allow_any_origin()
        .with_header("Access-Control-Allow-Methods", allowed)
        .with_header("Access-Control-Allow-Headers", "Authorization, Content-Type")
        .with_header("Access-Control-Max-Age", "86400")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_error_has_mattermosts_fields() {
        let mut request = Request::new("GET", "/nowhere");
        request.request_id = "req123".into();
        let response = AppError::not_found().render(&request);
        assert_eq!(response.status, 404);
        assert_eq!(response.header("content-type"), Some("application/json"));
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(body["id"], "api.context.404.app_error");
        assert_eq!(body["status_code"], 404);
        assert_eq!(body["request_id"], "req123");
        assert_eq!(body["detailed_error"], "");
        assert!(body["message"].as_str().unwrap().contains("could not find"));
    }

    #[test]
    fn params_refuse_repeats_and_invalid_utf8() {
        let params = Params::parse(b"a=1&b=&c=x%20y").unwrap();
        assert_eq!(params.get("a"), Some("1"));
        assert_eq!(params.get("b"), None);
        assert_eq!(params.get("c"), Some("x y"));
        assert_eq!(Params::parse(b"a=1&a=2").unwrap_err(), ParamsError::Repeated("a".into()));
        assert_eq!(Params::parse(b"a=%ff").unwrap_err(), ParamsError::NotUtf8);
    }

    #[test]
    fn json_bodies_are_bounded_and_checked() {
        let mut request = Request::new("POST", "/x");
        request.body = b"{\"name\": 5}".to_vec();
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Named {
            name: String,
        }
        let error = json_body::<Named>(&request, "oauth_app").unwrap_err();
        assert_eq!(error.status, 400);
        assert!(error.message.contains("oauth_app"));
        request.body = vec![b' '; MAX_JSON_BODY + 1];
        assert_eq!(json_body::<Named>(&request, "oauth_app").unwrap_err().status, 413);
    }

    #[test]
    fn wrong_method_names_the_allowed_ones() {
        let response = wrong_method(&Request::new("POST", "/x"), "GET, OPTIONS");
        assert_eq!(response.status, 405);
        assert_eq!(response.header("Allow"), Some("GET, OPTIONS"));
    }
}
