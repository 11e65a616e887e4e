//! The consent page and the authorization error page: plain HTML that works without the rest of
//! the webapp, cannot be framed, and runs only its own script (a per-response CSP nonce).

use super::client_metadata::document_host;
use super::clients::Client;
use super::resource_indicators::Targets;
use super::scope;
use crate::http::Response;
use crate::ids::new_secret;
use crate::pages::{escape_html, page, script_json};
use serde::Serialize;

/// Who is asking, beside the app: a browser redirect (the code and implicit flows), or a device
/// that showed the user a code (RFC 8628).
#[derive(Debug, Clone, Copy)]
pub enum Asking<'a> {
    Redirect,
    /// A device, with the user code as shown.
    Device {
        user_code: &'a str,
    },
}

impl Asking<'_> {
    /// Where the page posts the decision (an answer of `{"redirect": url}` is followed).
    fn decision_path(self) -> &'static str {
        match self {
            Asking::Redirect => "/oauth/authorize",
            Asking::Device { .. } => super::device::VERIFICATION_PATH,
        }
    }

    /// RFC 8628 §5.4: the device flow named plainly, so that a user sent a code by someone else
    /// (remote phishing) sees that this gives a device access.
    fn notice(self) -> String {
        match self {
            Asking::Redirect => String::new(),
            Asking::Device { user_code } => format!(
                r#"<p class="device" id="device">A device is asking for access: one that showed you the code <strong class="code">{}</strong>. Allow only if you started signing in on that device yourself, just now.</p>
"#,
                escape_html(user_code)
            ),
        }
    }
}

/// The consent screen: the app, what it may do and where, Allow and Deny.
/// `request` is what the page posts back (the authorization request as verified); `granted` the
/// scope it would be granted; `targets` the resources it names (RFC 8707), if any.
pub fn render(client: &Client, request: &impl Serialize, granted: &str, targets: &Targets) -> Response {
    render_for(Asking::Redirect, client, request, granted, targets)
}

/// [`render`], for whoever is `asking`.
pub fn render_for(
    asking: Asking<'_>,
    client: &Client,
    request: &impl Serialize,
    granted: &str,
    targets: &Targets,
) -> Response {
    let nonce = new_secret();
    let name = escape_html(&client.name);
    // Only over https: a logo fetched over plain http could be swapped on the way, on the very
    // page where the user decides whom to trust (the page's CSP allows https images only).
    let icon = if client.icon_url.starts_with("https://") {
        format!(r#"<img src="{}" alt="">"#, escape_html(&client.icon_url))
    } else {
        let initial: String =
            client.name.chars().next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
        format!(r#"<div class="avatar" aria-hidden="true">{}</div>"#, escape_html(&initial))
    };
    let (title, origin) = who_asks(client);
    let body = format!(
        r#"<h1>Authorize {title}?</h1>
{notice}{origin}<div class="app">{icon}<div><strong>{name}</strong><div class="muted">{description}</div>
<a href="{homepage}" rel="noopener noreferrer" target="_blank">{homepage}</a></div></div>
<p>{name} will be able to {what}.</p>
{resources}<p class="muted">You can revoke its access at any time in Settings → Security → OAuth 2.0 Applications.</p>
<div class="actions"><button class="allow" id="allow" type="button">Allow</button>
<button class="deny" id="deny" type="button">Deny</button></div>
<p class="error" id="error" role="alert" hidden></p>
<script type="application/json" id="request">{request_json}</script>
<script nonce="{nonce}">
const request = JSON.parse(document.getElementById('request').textContent);
const csrf = (document.cookie.match(/(?:^|; )MMCSRF=([^;]*)/) || [])[1] || '';
async function decide(approve) {{
  for (const b of document.querySelectorAll('button')) b.disabled = true;
  const error = document.getElementById('error');
  error.hidden = true;
  try {{
    const response = await fetch('{decision_path}', {{
      method: 'POST', credentials: 'same-origin',
      headers: {{ 'Content-Type': 'application/json', 'X-CSRF-Token': decodeURIComponent(csrf), 'X-Requested-With': 'XMLHttpRequest' }},
      body: JSON.stringify({{ ...request, approve }}),
    }});
    const result = await response.json();
    if (!response.ok || !result.redirect) throw new Error(result.message || 'The request failed.');
    window.location.assign(result.redirect);
  }} catch (e) {{
    error.textContent = e.message;
    error.hidden = false;
    for (const b of document.querySelectorAll('button')) b.disabled = false;
  }}
}}
document.getElementById('allow').addEventListener('click', () => decide(true));
document.getElementById('deny').addEventListener('click', () => decide(false));
</script>"#,
        notice = asking.notice(),
        decision_path = asking.decision_path(),
        description = escape_html(&client.description),
        homepage = escape_html(&client.homepage),
        request_json = script_json(request),
        what = what_is_asked(granted),
        resources = where_it_applies(targets),
    );
    page(200, &nonce, &format!("Authorize {title}"), &body)
}

/// Whom the page names: a registered app by its name; a client of a metadata document by its
/// document's host, plainly, because anyone can declare any name in a document they serve.
fn who_asks(client: &Client) -> (String, String) {
    match document_host(&client.id) {
        Some(host) => {
            let host = escape_html(&host);
            let origin = format!(
                r#"<p class="origin" id="origin"><strong>{host}</strong> is asking for access. It calls itself “{}”; this server has not checked that name.</p>
"#,
                escape_html(&client.name)
            );
            (host, origin)
        }
        None => (escape_html(&client.name), String::new()),
    }
}

/// What a full-access grant lets the app do.
pub const ACT_ON_YOUR_BEHALF: &str = "act on your behalf: read and change your data";
/// What a grant of OpenID Connect's scopes only lets it do.
pub const SIGN_YOU_IN: &str = "sign you in and see your name and email";
/// Introduces the resources a grant is limited to.
pub const ONLY_AT: &str = "Its access is limited to:";

/// The sentence's end for a granted scope: full access; or signing in, and the scopes of
/// protected resources by name (the permissions that resource's admin registered).
fn what_is_asked(granted: &str) -> String {
    if scope::allows_api(granted) {
        return ACT_ON_YOUR_BEHALF.to_owned();
    }
    let (oidc, resource_scopes): (Vec<&str>, Vec<&str>) =
        scope::names(granted).partition(|s| scope::OIDC_SCOPES.contains(s));
    let signs_in = !oidc.is_empty();
    let mut parts = Vec::new();
    if signs_in {
        parts.push(SIGN_YOU_IN.to_owned());
    }
    if !resource_scopes.is_empty() {
        let names: Vec<String> =
            resource_scopes.iter().map(|s| format!("<code>{}</code>", escape_html(s))).collect();
        parts.push(format!("use the permissions {}", names.join(", ")));
    }
    parts.join(", and ")
}

/// RFC 8707: the resources the token will be for, by name and identifier, when the request
/// named any; nothing when it did not (a token for the chat API, as always).
fn where_it_applies(targets: &Targets) -> String {
    if targets.audience.is_empty() {
        return String::new();
    }
    let items: String = targets
        .names
        .iter()
        .zip(targets.audience.identifiers())
        .map(|(name, identifier)| {
            format!(
                r#"<li><strong>{}</strong> <span class="muted">{}</span></li>"#,
                escape_html(name),
                escape_html(identifier)
            )
        })
        .collect();
    format!("<p>{ONLY_AT}</p>\n<ul class=\"resources\" id=\"resources\">{items}</ul>\n")
}

/// An error that cannot go back to the client.
pub fn error_page(status: u16, message: &str) -> Response {
    let nonce = new_secret();
    let body = format!(
        "<h1>This authorization request cannot be completed</h1><p>{}</p>\
         <p class=\"muted\">Go back to the app and try again, or tell its developer.</p>",
        escape_html(message)
    );
    page(status, &nonce, "Authorization error", &body)
}
