// Server configuration: Mattermost's setting names, defaults that run with no configuration,
// and one validator shared by API patches and environment variables.
import { resolve } from 'node:path';
import { badRequest } from './errors.js';
import { isObject } from './http.js';

export interface ServiceSettings {
  SiteURL: string;
  ListenAddress: string;
  EnableOAuthServiceProvider: boolean;
  EnableDynamicClientRegistration: boolean;
  DCRRedirectURIAllowlist: string[];
  /** A client_id that is an https URL names its Client ID Metadata Document. */
  EnableClientIdMetadataDocuments: boolean;
  /** Globs for those documents' URLs, in DCRRedirectURIAllowlist's syntax; empty: any. */
  ClientIdMetadataDocumentAllowlist: string[];
  EnableOutgoingOAuthConnections: boolean;
  /** Posts that match an outgoing webhook are sent to its callback URLs. */
  EnableOutgoingWebhooks: boolean;
  /** Integrations' posts may show another name and icon than their creator's. */
  EnablePostUsernameOverride: boolean;
  EnablePostIconOverride: boolean;
  EnableOnlyAdminIntegrations: boolean;
  AllowedUntrustedInternalConnections: string;
  OutgoingIntegrationRequestsTimeout: number;
  SessionLengthSSOInHours: number;
  /** Failed password attempts in a row after which an account is locked for a cool-down. */
  MaximumLoginAttempts: number;
  /** Headers a trusted proxy sets to the client's address (e.g. X-Forwarded-For); empty: the socket's address. */
  TrustedProxyIPHeader: string[];
}

export type PluginSettingsMap = Record<string, Record<string, unknown>>;

/** Defaults ⊕ what admins saved: everything an admin may change. */
export interface StoredConfig {
  ServiceSettings: ServiceSettings;
  PluginSettings: { Plugins: PluginSettingsMap };
}

/** Database settings come from the environment only: they are needed to find the stored config. */
export interface SqlSettings {
  DriverName: 'sqlite3' | 'postgres';
  /** A file for sqlite3; a postgres://user:password@host:port/database URL for postgres. */
  DataSource: string;
  /** The most database connections one node opens (postgres; SQLite uses one). */
  MaxOpenConns: number;
}

export interface Config extends StoredConfig {
  SqlSettings: SqlSettings;
}

type Kind = 'siteUrl' | 'listenAddress' | 'boolean' | 'positiveInt' | 'stringList' | 'headerNames' | 'string';

const SERVICE_SETTINGS: { [K in keyof ServiceSettings]: { kind: Kind; default: ServiceSettings[K] } } = {
  SiteURL: { kind: 'siteUrl', default: 'http://localhost:8065' },
  ListenAddress: { kind: 'listenAddress', default: ':8065' },
  EnableOAuthServiceProvider: { kind: 'boolean', default: false },
  EnableDynamicClientRegistration: { kind: 'boolean', default: false },
  DCRRedirectURIAllowlist: { kind: 'stringList', default: [] },
  EnableClientIdMetadataDocuments: { kind: 'boolean', default: false },
  ClientIdMetadataDocumentAllowlist: { kind: 'stringList', default: [] },
  EnableOutgoingOAuthConnections: { kind: 'boolean', default: false },
  EnableOutgoingWebhooks: { kind: 'boolean', default: true },
  EnablePostUsernameOverride: { kind: 'boolean', default: false },
  EnablePostIconOverride: { kind: 'boolean', default: false },
  EnableOnlyAdminIntegrations: { kind: 'boolean', default: true },
  AllowedUntrustedInternalConnections: { kind: 'string', default: '' },
  OutgoingIntegrationRequestsTimeout: { kind: 'positiveInt', default: 30 },
  SessionLengthSSOInHours: { kind: 'positiveInt', default: 720 },
  MaximumLoginAttempts: { kind: 'positiveInt', default: 10 },
  TrustedProxyIPHeader: { kind: 'headerNames', default: [] },
};

const SERVICE_KEYS = Object.keys(SERVICE_SETTINGS) as (keyof ServiceSettings)[];

/** Mattermost shows this instead of the DataSource, which may hold a database password. */
export const MASKED = '********************';
export const DEFAULT_DATA_SOURCE = './data/oauth-plugin.db';

export function defaultStoredConfig(pluginId: string): StoredConfig {
  const service = Object.fromEntries(SERVICE_KEYS.map((k) => [k, structuredClone(SERVICE_SETTINGS[k].default)]));
  return { ServiceSettings: service as unknown as ServiceSettings, PluginSettings: { Plugins: { [pluginId]: {} } } };
}

const invalid = (key: string, why: string) =>
  badRequest('model.config.is_valid.app_error', `Invalid value for ${key}: ${why}.`);

/** RFC 9110 §5.1: a header name is a token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function checkValue(key: string, kind: Kind, value: unknown): unknown {
  switch (kind) {
    case 'boolean':
      if (typeof value !== 'boolean') throw invalid(key, 'must be true or false');
      return value;
    case 'positiveInt':
      if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw invalid(key, 'must be a positive integer');
      return value;
    case 'string':
      if (typeof value !== 'string') throw invalid(key, 'must be a string');
      return value;
    case 'stringList':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalid(key, 'must be a list of strings');
      return [...value];
    case 'headerNames':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && HEADER_NAME.test(v))) throw invalid(key, 'must be a list of HTTP header names');
      return [...value];
    case 'siteUrl':
      return checkSiteUrl(key, value);
    case 'listenAddress':
      if (typeof value !== 'string') throw invalid(key, 'must be a string');
      parseListenAddress(value, key);
      return value;
  }
}

function checkSiteUrl(key: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(key, 'must be a string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(key, 'must be a valid http:// or https:// URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.host || url.username || url.password || url.search || url.hash) {
    throw invalid(key, 'must be a valid http:// or https:// URL without credentials, query or fragment');
  }
  // The plugin builds endpoint URLs by appending paths, so a trailing slash would double up.
  return value.replace(/\/+$/, '');
}

/** ":8065" listens on every interface; "127.0.0.1:0" on loopback with a free port. */
export function parseListenAddress(value: string, key = 'ListenAddress'): { host: string | undefined; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:]*):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw invalid(key, 'must look like ":8065" or "127.0.0.1:8065"');
  const host = match[1].replace(/^\[|\]$/g, '');
  return { host: host === '' ? undefined : host, port };
}

/** Applies a patch (as sent to PUT /api/v4/config/patch) to a stored config; throws a 400 and changes nothing when invalid. */
export function applyPatch(current: StoredConfig, patch: unknown): StoredConfig {
  if (!isObject(patch)) throw badRequest('api.config.patch_config.app_error', 'The configuration patch must be a JSON object.');
  const next = structuredClone(current);
  for (const [section, value] of Object.entries(patch)) {
    if (section === 'ServiceSettings') patchServiceSettings(next.ServiceSettings, value);
    else if (section === 'PluginSettings') patchPluginSettings(next.PluginSettings.Plugins, value);
    // SqlSettings is read-only here (it comes from the environment); clients that send back the
    // whole config they read include it, masked, so it is ignored rather than refused.
    else if (section !== 'SqlSettings') throw invalid(section, 'unknown settings section');
  }
  return next;
}

function patchServiceSettings(target: ServiceSettings, value: unknown): void {
  if (!isObject(value)) throw invalid('ServiceSettings', 'must be an object');
  for (const [key, setting] of Object.entries(value)) {
    const spec = SERVICE_SETTINGS[key as keyof ServiceSettings];
    if (!spec) throw invalid(`ServiceSettings.${key}`, 'unknown setting');
    (target as unknown as Record<string, unknown>)[key] = checkValue(`ServiceSettings.${key}`, spec.kind, setting);
  }
}

function patchPluginSettings(target: PluginSettingsMap, value: unknown): void {
  if (!isObject(value)) throw invalid('PluginSettings', 'must be an object');
  for (const [key, plugins] of Object.entries(value)) {
    if (key !== 'Plugins' || !isObject(plugins)) throw invalid(`PluginSettings.${key}`, 'only PluginSettings.Plugins (an object) can be set');
    for (const [pluginId, settings] of Object.entries(plugins)) {
      if (!isObject(settings)) throw invalid(`PluginSettings.Plugins.${pluginId}`, 'must be an object');
      target[pluginId] = { ...target[pluginId], ...structuredClone(settings) };
    }
  }
}

/** Mattermost's MM_<SECTION>_<SETTING> variables, parsed by the setting's type. Throws on a bad value. */
export function serviceSettingsFromEnv(env: NodeJS.ProcessEnv): Partial<ServiceSettings> {
  const out: Record<string, unknown> = {};
  for (const key of SERVICE_KEYS) {
    const name = `MM_SERVICESETTINGS_${key.toUpperCase()}`;
    const raw = env[name];
    if (raw === undefined) continue;
    const kind = SERVICE_SETTINGS[key].kind;
    out[key] = checkValue(name, kind, parseEnvValue(kind, raw));
  }
  return out as Partial<ServiceSettings>;
}

function parseEnvValue(kind: Kind, raw: string): unknown {
  if (kind === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  if (kind === 'positiveInt') return /^\d+$/.test(raw) ? Number(raw) : raw;
  if (kind === 'stringList' || kind === 'headerNames') return raw.split(/\s+/).filter(Boolean);
  return raw;
}

export const DEFAULT_MAX_OPEN_CONNS = 10;

export function sqlSettingsFromEnv(env: NodeJS.ProcessEnv): SqlSettings {
  const driver = env.MM_SQLSETTINGS_DRIVERNAME ?? 'sqlite3';
  const rawMax = env.MM_SQLSETTINGS_MAXOPENCONNS ?? String(DEFAULT_MAX_OPEN_CONNS);
  if (!/^[1-9]\d{0,3}$/.test(rawMax)) throw new Error('MM_SQLSETTINGS_MAXOPENCONNS: must be a whole number from 1 to 9999');
  const MaxOpenConns = Number(rawMax);
  if (driver === 'sqlite3') return { DriverName: driver, DataSource: env.MM_SQLSETTINGS_DATASOURCE || DEFAULT_DATA_SOURCE, MaxOpenConns };
  if (driver !== 'postgres') throw new Error(`MM_SQLSETTINGS_DRIVERNAME: "sqlite3" or "postgres", got "${driver}"`);
  // No default: guessing a server would hide a missing setting. The URL is not echoed (it may hold a password).
  const source = env.MM_SQLSETTINGS_DATASOURCE ?? '';
  if (!/^postgres(ql)?:\/\//.test(source)) throw new Error('MM_SQLSETTINGS_DATASOURCE: the postgres driver needs a postgres://… URL');
  return { DriverName: driver, DataSource: source, MaxOpenConns };
}

/** The SQLite database file, as an absolute path (the key file lives beside it); ":memory:" as it is. */
export function sqliteFile(sql: SqlSettings): string {
  return sql.DataSource === ':memory:' ? sql.DataSource : resolve(sql.DataSource);
}

/** Effective config = stored (defaults ⊕ database) ⊕ environment, as in Mattermost: the environment wins. */
export function effectiveConfig(stored: StoredConfig, envService: Partial<ServiceSettings>, sql: SqlSettings): Config {
  return { ...structuredClone(stored), ServiceSettings: { ...stored.ServiceSettings, ...envService }, SqlSettings: { ...sql } };
}

export function maskConfig(config: Config): Config {
  return { ...config, SqlSettings: { ...config.SqlSettings, DataSource: MASKED } };
}

/**
 * What is saved: only the settings that differ from the defaults, so that defaults computed at
 * start-up (SiteURL from the bound port) or changed in a later version are never frozen in the database.
 */
export function differencesFrom(defaults: StoredConfig, config: StoredConfig): Record<string, unknown> {
  const service = Object.fromEntries(SERVICE_KEYS
    .filter((k) => JSON.stringify(config.ServiceSettings[k]) !== JSON.stringify(defaults.ServiceSettings[k]))
    .map((k) => [k, config.ServiceSettings[k]]));
  const plugins = Object.fromEntries(Object.entries(config.PluginSettings.Plugins).filter(([, v]) => Object.keys(v).length > 0));
  return { ServiceSettings: service, PluginSettings: { Plugins: plugins } };
}
