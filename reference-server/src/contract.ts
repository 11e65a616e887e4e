// The host contract: what the wasm module exports (Plugin) and the object the host hands it
// (PluginHost). The Rust side mirrors this in src/wasm.rs; change both together.
import type { ServiceSettings } from './config.js';
import type { Answer } from './store/store.js';

export interface PluginConfig {
  ServiceSettings: ServiceSettings;
  /** This plugin's own settings (PluginSettings.Plugins[<id>]). */
  PluginSettings: Record<string, unknown>;
}

export interface PluginRequest {
  method: string;
  /** Full path, not stripped, e.g. "/oauth/authorize" or "/plugins/oauth-plugin/x". */
  path: string;
  /** Raw query string without "?". */
  query: string;
  /** Lower-case names; client-sent identity headers removed. */
  headers: Record<string, string>;
  body: Uint8Array;
  userId?: string;
  sessionId?: string;
  isOAuthSession?: boolean;
  /** When the (login) session was created, ms since the epoch: OpenID Connect's max_age and auth_time. */
  sessionCreatedAt?: number;
  remoteAddr: string;
  requestId: string;
}

export interface PluginResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

/**
 * One of the plugin's routes (its table in src/routes.rs). The server forwards a request whose path
 * matches a pattern, whatever its method (the plugin answers 405 itself). A pattern's segments are
 * literals, `{name}` (one non-empty segment) or, last, `{name...}` (the rest of the path), matched
 * against the path as sent (not percent-decoded).
 */
export interface PluginRoute {
  method: string;
  pattern: string;
}

export interface TokenInfo {
  userId: string;
  clientId: string;
  scope: string;
  expiresAt: number;
  /** Whether the token may use the chat API (false for a token that only signs a user in). */
  apiAccess: boolean;
}

export interface Plugin {
  /** Its routes: fixed for a build of the plugin, so read once it is loaded. */
  routes(): PluginRoute[];
  onActivate(): Promise<void>;
  onDeactivate(): Promise<void>;
  onConfigurationChange(config: PluginConfig): Promise<void>;
  /** The response, or a promise of it when a host call answered with a promise. */
  serveHttp(req: PluginRequest): Answer<PluginResponse>;
  resolveAccessToken(token: string): Answer<TokenInfo | null>;
  authorizeOutgoingRequest(url: string): Promise<string | null>;
  /** The `WWW-Authenticate` of the server's 401s (RFC 9728 §5.1), or null while the provider is off. */
  bearerChallenge(invalidToken: boolean): string | null;
  free?(): void;
}

/** The wasm-bindgen glue module (`wasm-bindgen --target web`). */
export interface PluginGlue {
  initSync(options: { module: Uint8Array }): unknown;
  Plugin: new (host: PluginHost) => Plugin;
}

export interface FetchRequest {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: Uint8Array;
  timeoutMs?: number;
  /** A longer response body is refused; the server's own limit still applies. */
  maxResponseBytes?: number;
}

export interface FetchResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

/**
 * The data calls (KV, users, permissions) answer with their value, or with a promise of it: a host
 * whose database answers at once (SQLite) returns the value, and the plugin then goes on without a
 * trip through the microtask queue. A failure is thrown, or rejected, as an Error with a readable message.
 */
export interface PluginHost {
  kvGet(key: string): Answer<Uint8Array | null>;
  /**
   * Each key's value as kvGet gives it, in the order given (a key given twice is answered twice), in
   * one round trip: at most 100 keys, and a bad key anywhere (or more keys) refuses the whole call.
   * Optional: Mattermost's plugin API has no multi-get, and on a host without one the plugin makes
   * N kvGet calls instead, with the same results.
   */
  kvGetMany?(keys: string[]): Answer<(Uint8Array | null)[]>;
  kvSet(key: string, value: Uint8Array | null, opts?: { atomic?: boolean; oldValue?: Uint8Array | null; expireInSeconds?: number }): Answer<boolean>;
  kvDelete(key: string): Answer<void>;
  kvList(page: number, perPage: number): Answer<string[]>;
  httpFetch(req: FetchRequest): Promise<FetchResponse>;
  getUser(userId: string): Answer<Record<string, unknown> | null>;
  hasPermission(userId: string, permission: string): Answer<boolean>;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields?: Record<string, string>): void;
  /**
   * The at-rest key, as the UTF-8 bytes of the key string (MM_SQLSETTINGS_ATRESTENCRYPTKEY, or the
   * SQLite key file): what the plugin derives its own encryption keys from. The same on every node and
   * across restarts; never in the database. A fresh copy each call.
   */
  atRestKey(): Promise<Uint8Array>;
  /**
   * A new RS256 signing key (RSASSA-PKCS1-v1_5 with SHA-256, a 2048-bit modulus, exponent 65537):
   * the private key as PKCS #8 DER, and the public key's JWK members n and e (base64url). The host
   * keeps no copy and never logs it: the plugin keeps it sealed in its KV store and passes it back.
   */
  generateSigningKey(): Promise<{ privateKey: Uint8Array; n: string; e: string }>;
  /** The RSASSA-PKCS1-v1_5 SHA-256 signature of `message` under `privateKey` (PKCS #8 DER). */
  signRs256(privateKey: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /** The public half of `privateKey` (PKCS #8 DER), for keys the plugin stored without it. */
  signingPublicKey(privateKey: Uint8Array): Promise<{ n: string; e: string }>;
}
