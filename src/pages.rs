//! HTML pages the plugin serves itself (consent, connect/complete, errors): one look, escaped
//! text, no framing, and only their own inline script and style (a per-response CSP nonce).

use crate::http::Response;
use crate::ids::new_secret;
use serde::Serialize;

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
pub fn script_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".into()).replace('<', "\\u003c")
}

pub fn page(status: u16, nonce: &str, title: &str, body: &str) -> Response {
    page_with_forms(status, nonce, title, body, "'none'")
}

/// [`page`] whose forms may be sent to `form_action` (a CSP source list): a page that asks for
/// input with a plain form, which works before (and without) any script.
pub fn page_with_forms(status: u16, nonce: &str, title: &str, body: &str, form_action: &str) -> Response {
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style nonce="{nonce}">
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f4f4f6;color:#1f2329;margin:0;display:flex;justify-content:center;padding:48px 16px}}
main{{background:#fff;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.12);padding:32px;max-width:480px;width:100%}}
h1{{font-size:22px;margin:0 0 16px}} .app{{display:flex;gap:16px;align-items:center;margin-bottom:16px}}
.app img,.avatar{{width:56px;height:56px;border-radius:8px;flex:none}} .avatar{{display:flex;align-items:center;justify-content:center;background:#1c58d9;color:#fff;font-size:26px;font-weight:600}} .muted{{color:#5d6470}} .actions{{display:flex;gap:12px;margin-top:24px}}
button{{font-size:15px;padding:10px 20px;border-radius:4px;border:1px solid #1c58d9;cursor:pointer}}
button.allow{{background:#1c58d9;color:#fff}} button.deny{{background:#fff;color:#1c58d9}}
button:focus-visible{{outline:3px solid #f5a623;outline-offset:2px}} button:disabled{{opacity:.6;cursor:progress}}
.error{{color:#b3261e;margin-top:16px}}
label{{display:block;font-weight:600;margin-bottom:8px}} .code{{font-family:ui-monospace,Menlo,Consolas,monospace;letter-spacing:2px}}
input.code{{font-size:22px;padding:10px 12px;border:1px solid #8d939c;border-radius:4px;width:100%;box-sizing:border-box;text-transform:uppercase}}
input:focus-visible{{outline:3px solid #f5a623;outline-offset:1px}} .device{{background:#fff8e1;border-left:4px solid #f5a623;padding:10px 12px}}
</style></head><body><main>{body}</main></body></html>"#
    );
    let csp = format!(
        "default-src 'none'; img-src https: data:; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; \
         connect-src 'self'; base-uri 'none'; form-action {form_action}; frame-ancestors 'none'"
    );
    Response { body: html.into_bytes(), ..Response::new(status) }
        .with_header("Content-Type", "text/html; charset=utf-8")
        .with_header("Content-Security-Policy", &csp)
        .with_header("X-Frame-Options", "DENY")
        .with_header("Cache-Control", "no-store")
        .with_header("Referrer-Policy", "no-referrer")
}

/// A page of text only: a heading and a paragraph.
pub fn message_page(status: u16, heading: &str, message: &str) -> Response {
    let body = format!("<h1>{}</h1><p>{}</p>", escape_html(heading), escape_html(message));
    page(status, &new_secret(), heading, &body)
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

    #[test]
    fn pages_cannot_be_framed_and_escape_their_text() {
        let response = message_page(403, "No", "<script>alert(1)</script>");
        assert_eq!(response.header("X-Frame-Options"), Some("DENY"));
        assert!(response.header("Content-Security-Policy").unwrap().contains("frame-ancestors 'none'"));
        assert!(!String::from_utf8(response.body).unwrap().contains("<script>alert"));
    }
}
