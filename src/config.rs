//! The server configuration the plugin reads: Mattermost's `ServiceSettings` (the keys the plugin
//! uses) and the plugin's own settings, as the host passes them to `onConfigurationChange`.

use serde::Deserialize;
use std::fmt;
use url::Url;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ServerConfig {
    pub service_settings: ServiceSettings,
    pub team_settings: TeamSettings,
    /// This plugin's own settings (`settings_schema` in plugin.json), keys as the admin saved them.
    pub plugin_settings: serde_json::Map<String, serde_json::Value>,
}

/// Mattermost's `TeamSettings`: only the site's name, which the plugin shows as the server's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TeamSettings {
    pub site_name: String,
}

/// Registrations one address may make per minute, unless the admin set another number (0: no limit).
pub const DEFAULT_DCR_RATE_LIMIT_PER_MINUTE: u32 = 10;

/// RFC 8628 §3.2: a device code lives 10 minutes, as an authorization code does (RFC 6749 §4.1.2).
pub const DEFAULT_DEVICE_CODE_LIFETIME_SECONDS: u32 = 600;
/// RFC 8628 §3.2: "If no value is provided, clients MUST use 5 as the default."
pub const DEFAULT_DEVICE_POLLING_INTERVAL_SECONDS: u32 = 5;

/// Mattermost's defaults, so that a missing key means what it means in Mattermost.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ServiceSettings {
    #[serde(rename = "SiteURL")]
    pub site_url: String,
    #[serde(rename = "EnableOAuthServiceProvider")]
    pub enable_oauth_service_provider: bool,
    pub enable_dynamic_client_registration: bool,
    #[serde(rename = "DCRRedirectURIAllowlist")]
    pub dcr_redirect_uri_allowlist: Vec<String>,
    /// A `client_id` that is an https URL names its Client ID Metadata Document (off by default).
    pub enable_client_id_metadata_documents: bool,
    /// Globs for the documents' URLs, in `DCRRedirectURIAllowlist`'s syntax; empty allows any.
    pub client_id_metadata_document_allowlist: Vec<String>,
    #[serde(rename = "EnableOutgoingOAuthConnections")]
    pub enable_outgoing_oauth_connections: bool,
    pub enable_only_admin_integrations: bool,
    pub allowed_untrusted_internal_connections: String,
    pub outgoing_integration_requests_timeout: u32,
    #[serde(rename = "SessionLengthSSOInHours")]
    pub session_length_sso_in_hours: u32,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        ServiceSettings {
            site_url: String::new(),
            enable_oauth_service_provider: false,
            enable_dynamic_client_registration: false,
            dcr_redirect_uri_allowlist: Vec::new(),
            enable_client_id_metadata_documents: false,
            client_id_metadata_document_allowlist: Vec::new(),
            enable_outgoing_oauth_connections: false,
            enable_only_admin_integrations: true,
            allowed_untrusted_internal_connections: String::new(),
            outgoing_integration_requests_timeout: 30,
            session_length_sso_in_hours: 720,
        }
    }
}

impl ServerConfig {
    /// Parses and checks a configuration; the plugin keeps its previous one when this fails.
    pub fn from_json(json: &[u8]) -> Result<Self, ConfigError> {
        let config: ServerConfig =
            serde_json::from_slice(json).map_err(|e| ConfigError::Unreadable(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let site_url = &self.service_settings.site_url;
        if !site_url.is_empty() && !is_http_url(site_url) {
            return Err(ConfigError::SiteUrl(site_url.clone()));
        }
        Ok(())
    }

    /// A plugin setting; Mattermost stores plugin setting keys in lower case, so any case matches.
    fn plugin_setting(&self, key: &str) -> Option<&serde_json::Value> {
        self.plugin_settings.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
    }

    /// A plugin setting that is a whole number (the System Console saves numbers as text too),
    /// kept within `range`; `default` when absent or not a number.
    fn plugin_number(&self, key: &str, default: u32, range: std::ops::RangeInclusive<u32>) -> u32 {
        let value = self.plugin_setting(key);
        let number =
            value.and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())));
        let number = number.map_or(default, |n| n.min(u64::from(u32::MAX)) as u32);
        number.clamp(*range.start(), *range.end())
    }

    pub fn dcr_rate_limit_per_minute(&self) -> u32 {
        self.plugin_number("DcrRateLimitPerMinute", DEFAULT_DCR_RATE_LIMIT_PER_MINUTE, 0..=u32::MAX)
    }

    /// How long a device code and its user code live (RFC 8628 §3.2 `expires_in`).
    pub fn device_code_lifetime_seconds(&self) -> u32 {
        self.plugin_number("DeviceCodeLifetimeSeconds", DEFAULT_DEVICE_CODE_LIFETIME_SECONDS, 1..=3600)
    }

    /// How long a device waits between polls to begin with (RFC 8628 §3.2 `interval`).
    pub fn device_polling_interval_seconds(&self) -> u32 {
        self.plugin_number("DevicePollingIntervalSeconds", DEFAULT_DEVICE_POLLING_INTERVAL_SECONDS, 1..=60)
    }

    /// How long an outbound request may take: `OutgoingIntegrationRequestsTimeout`, at least a second.
    pub fn outgoing_timeout_ms(&self) -> u32 {
        self.service_settings.outgoing_integration_requests_timeout.saturating_mul(1000).max(1000)
    }

    /// The issuer identifier (RFC 8414 §2): the SiteURL exactly as configured.
    pub fn issuer(&self) -> &str {
        &self.service_settings.site_url
    }

    /// The server's name as people read it: `TeamSettings.SiteName`, else Mattermost's default.
    pub fn site_name(&self) -> &str {
        match self.team_settings.site_name.trim() {
            "" => "Mattermost",
            name => name,
        }
    }

    /// An absolute URL on this server for `path` (which starts with `/`).
    pub fn site_url_for(&self, path: &str) -> String {
        format!("{}{}", self.service_settings.site_url.trim_end_matches('/'), path)
    }
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Not the JSON of a configuration: serde's words.
    Unreadable(String),
    /// A SiteURL that is not an http(s) URL with a host, as given.
    SiteUrl(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Unreadable(reason) => write!(f, "invalid configuration: {reason}"),
            ConfigError::SiteUrl(url) => {
                write!(f, "ServiceSettings.SiteURL must be an http(s) URL with a host, got {url:?}")
            }
        }
    }
}

/// Mattermost's "valid http(s) URL": begins with `http://` or `https://` and parses with a host.
/// One place for the rule, for every URL field the plugin checks.
pub fn is_http_url(candidate: &str) -> bool {
    let lower = candidate.get(..8).unwrap_or(candidate).to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return false;
    }
    Url::parse(candidate).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_mattermosts() {
        let config = ServerConfig::from_json(b"{}").unwrap();
        let s = &config.service_settings;
        assert!(!s.enable_oauth_service_provider);
        assert!(!s.enable_dynamic_client_registration);
        assert!(!s.enable_client_id_metadata_documents && s.client_id_metadata_document_allowlist.is_empty());
        assert!(s.enable_only_admin_integrations);
        assert_eq!(s.outgoing_integration_requests_timeout, 30);
        assert_eq!(s.session_length_sso_in_hours, 720);
    }

    #[test]
    fn reads_mattermost_key_names() {
        let json =
            br#"{"ServiceSettings":{"SiteURL":"https://chat.example.com","EnableOAuthServiceProvider":true,
            "DCRRedirectURIAllowlist":["https://*.example.com/**"],"SessionLengthSSOInHours":24}}"#;
        let config = ServerConfig::from_json(json).unwrap();
        assert_eq!(config.issuer(), "https://chat.example.com");
        assert!(config.service_settings.enable_oauth_service_provider);
        assert_eq!(config.service_settings.dcr_redirect_uri_allowlist, ["https://*.example.com/**"]);
        assert_eq!(config.service_settings.session_length_sso_in_hours, 24);
    }

    #[test]
    fn refuses_a_site_url_that_is_not_http() {
        for bad in ["ftp://example.com", "example.com", "http://", "javascript:alert(1)"] {
            let json = format!(r#"{{"ServiceSettings":{{"SiteURL":"{bad}"}}}}"#);
            let err = ServerConfig::from_json(json.as_bytes()).unwrap_err();
            assert!(err.to_string().contains("SiteURL"), "{bad}: {err}");
        }
    }

    #[test]
    fn refuses_wrong_types() {
        let err = ServerConfig::from_json(br#"{"ServiceSettings":{"EnableOAuthServiceProvider":"yes"}}"#)
            .unwrap_err();
        assert!(err.to_string().contains("invalid configuration"), "{err}");
    }

    #[test]
    fn site_urls_join_without_double_slashes() {
        let config =
            ServerConfig::from_json(br#"{"ServiceSettings":{"SiteURL":"http://localhost:8065/"}}"#).unwrap();
        assert_eq!(config.site_url_for("/oauth/authorize"), "http://localhost:8065/oauth/authorize");
    }

    #[test]
    fn plugin_settings_are_read_in_any_case() {
        let config = ServerConfig::from_json(br#"{"PluginSettings":{"dcrratelimitperminute":"3"}}"#).unwrap();
        assert_eq!(config.dcr_rate_limit_per_minute(), 3);
        let config = ServerConfig::from_json(br#"{"PluginSettings":{"DcrRateLimitPerMinute":0}}"#).unwrap();
        assert_eq!(config.dcr_rate_limit_per_minute(), 0);
        assert_eq!(ServerConfig::default().dcr_rate_limit_per_minute(), DEFAULT_DCR_RATE_LIMIT_PER_MINUTE);
    }

    #[test]
    fn the_site_name_defaults_to_mattermost() {
        assert_eq!(ServerConfig::default().site_name(), "Mattermost");
        let config = ServerConfig::from_json(br#"{"TeamSettings":{"SiteName":"Acme Chat"}}"#).unwrap();
        assert_eq!(config.site_name(), "Acme Chat");
    }

    #[test]
    fn http_url_rule() {
        assert!(is_http_url("http://localhost:8065"));
        assert!(is_http_url("HTTPS://Example.com/cb?x=1"));
        assert!(!is_http_url("https:example.com"));
        assert!(!is_http_url("mailto:a@b.c"));
        assert!(!is_http_url(""));
    }
}
