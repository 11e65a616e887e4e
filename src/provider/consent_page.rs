//! The consent page and the authorization error page: plain HTML that works without the rest of
//! the webapp, cannot be framed, and runs only its own script (a per-response CSP nonce).

use super::apps::App;
use crate::http::Response;
use crate::ids::new_secret;
use serde::Serialize;

/// What the page posts back to `POST /oauth/authorize` (Mattermost's `AuthorizeRequest`).
#[derive(Debug, Serialize)]
pub struct PageRequest {
    pub client_id: String,
    pub response_type: String,
    pub redirect_uri: String,
    pub state: String,
    pub scope: String,
    pub code_challenge: String,
    pub code_challenge_method: String,
    pub resource: String,
}

/// Escapes text for HTML content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// JSON that is safe inside a `<script>` element: no `<`, so no `</script>`.
fn script_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into()).replace('<', "\\u003c")
}

fn page(status: u16, nonce: &str, title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style nonce="{nonce}">
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f4f6;color:#1f2329;margin:0;display:flex;justify-content:center;padding:48px 16px}}
main{{background:#fff;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.12);padding:32px;max-width:480px;width:100%}}
h1{{font-size:22px;margin:0 0 16px}} .app{{display:flex;gap:16px;align-items:center;margin-bottom:16px}}
.app img{{width:56px;height:56px;border-radius:8px}} .muted{{color:#5d6470}} .actions{{display:flex;gap:12px;margin-top:24px}}
button{{font-size:15px;padding:10px 20px;border-radius:4px;border:1px solid #1c58d9;cursor:pointer}}
button.allow{{background:#1c58d9;color:#fff}} button.deny{{background:#fff;color:#1c58d9}}
button:focus-visible{{outline:3px solid #f5a623;outline-offset:2px}} button:disabled{{opacity:.6;cursor:progress}}
.error{{color:#b3261e;margin-top:16px}}
</style></head><body><main>{body}</main></body></html>"#
    );
    let csp = format!(
        "default-src 'none'; img-src http: https: data:; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; \
         connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    Response { status, headers: Vec::new(), body: html.into_bytes() }
        .with_header("Content-Type", "text/html; charset=utf-8")
        .with_header("Content-Security-Policy", &csp)
        .with_header("X-Frame-Options", "DENY")
        .with_header("Cache-Control", "no-store")
        .with_header("Referrer-Policy", "no-referrer")
}

/// The consent screen: the app, what it may do, Allow and Deny.
pub fn render(app: &App, request: &PageRequest) -> Response {
    let nonce = new_secret();
    let name = escape_html(&app.name);
    let icon = if app.icon_url.is_empty() {
        String::new()
    } else {
        format!(r#"<img src="{}" alt="">"#, escape_html(&app.icon_url))
    };
    let body = format!(
        r#"<h1>Authorize {name}?</h1>
<div class="app">{icon}<div><strong>{name}</strong><div class="muted">{description}</div>
<a href="{homepage}" rel="noopener noreferrer" target="_blank">{homepage}</a></div></div>
<p>{name} will be able to act on your behalf: read and change your data.</p>
<p class="muted">You can revoke its access at any time in Settings → Security → OAuth 2.0 Applications.</p>
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
    const response = await fetch('/oauth/authorize', {{
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
        description = escape_html(&app.description),
        homepage = escape_html(&app.homepage),
        request_json = script_json(request),
    );
    page(200, &nonce, &format!("Authorize {name}"), &body)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape_html(r#"<b onclick="x">&'"#), "&lt;b onclick=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let json = script_json(&serde_json::json!({"state": "</script><script>alert(1)</script>"}));
        assert!(!json.contains("</script>"));
    }
}
