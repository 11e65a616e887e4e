// Shared test helpers: temp databases, an in-process server, logged-in Client4 instances, and for
// the OAuth provider a logged-in user agent and raw token endpoint requests.
import mattermostClient from '@mattermost/client';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultPluginDir, readPluginFiles } from '../src/manifest.js';
import { createServer, type RunningServer, type ServerOptions } from '../src/server.js';
import { rememberDatabase, watchFetch } from './dump-check.js';

// Every test process that uses these helpers records the secrets its requests carry (dump-check.ts).
watchFetch();

// @mattermost/client is CommonJS; Node's ESM loader cannot see its named exports.
export const { Client4 } = mattermostClient;
export type Client = InstanceType<typeof Client4>;

/** Source folder of the fixtures (tests run from dist/test, fixtures are not compiled). */
const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
export const FAKE_PLUGIN_DIR = join(FIXTURES, 'fake-plugin');
export const FAKE_PLUGIN_NO_BUNDLE_DIR = join(FIXTURES, 'fake-plugin-no-bundle');

/** The repository root, where the real plugin is built (make build). Fails clearly when it is not. */
export function realPluginDir(): string {
  const dir = defaultPluginDir();
  const files = readPluginFiles(dir);
  for (const path of [files.wasmPath, files.gluePath]) {
    if (!existsSync(path)) throw new Error(`the real plugin is not built (${path} is missing): run "make build" first`);
  }
  return dir;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'oauth-host-test-'));
}

export function tempDbFile(): string {
  return join(tempDir(), 'test.db');
}

export interface TestServer extends RunningServer {
  dbFile: string;
  logs: string[];
}

/**
 * Starts the host on a free loopback port with a fresh (or the given) database; logs are kept, not
 * printed. The database is checked for plain-text secrets after the suite, unless `dumpCheck` is
 * false (for a test that plants plain text on purpose, as an older version wrote it) or the plugin
 * is one of the fixtures' fakes (which keep their made-up tokens as they like).
 */
export async function startServer(options: ServerOptions & { dbFile?: string; dumpCheck?: boolean } = {}): Promise<TestServer> {
  const dbFile = options.dbFile ?? tempDbFile();
  const fakePlugin = options.pluginDir?.startsWith(FIXTURES) ?? false;
  if (options.dumpCheck !== false && !fakePlugin) rememberDatabase(dbFile);
  const logs: string[] = [];
  const server = await createServer({
    env: {},
    listenAddress: '127.0.0.1:0',
    dataSource: dbFile,
    logSink: (line) => {
      logs.push(line);
      if (process.env.HOST_TEST_LOGS) console.log(line);
    },
    ...options,
  });
  return { ...server, dbFile, logs };
}

export function client(url: string, token?: string): Client {
  const c = new Client4();
  c.setUrl(url);
  if (token) c.setToken(token);
  return c;
}

export const ADMIN = { username: 'admin', email: 'admin@example.com', password: 'admin-password-1' };
export const USER = { username: 'alice', email: 'alice@example.com', password: 'alice-password-1' };

export async function createAdmin(url: string): Promise<{ client: Client; id: string }> {
  const c = client(url);
  const user = await c.createUser(ADMIN as never, '', '');
  await c.login(ADMIN.username, ADMIN.password);
  return { client: c, id: user.id };
}

/** The admin creates an ordinary user, who then logs in with a client of their own. */
export async function createUser(url: string, admin: Client, user = USER): Promise<{ client: Client; id: string }> {
  const created = await admin.createUser(user as never, '', '');
  const c = client(url);
  await c.login(user.username, user.password);
  return { client: c, id: created.id };
}

/** Logs in with plain fetch and returns the cookies the host set (name → value) and raw Set-Cookie lines. */
export async function loginForCookies(url: string, loginId: string, password: string): Promise<{ cookies: Map<string, string>; setCookie: string[]; cookieHeader: string }> {
  const res = await fetch(`${url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: loginId, password }) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  const setCookie = res.headers.getSetCookie();
  const cookies = new Map(setCookie.map((line) => line.split(';')[0].split('=') as [string, string]));
  const cookieHeader = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return { cookies, setCookie, cookieHeader };
}

/** Expects a Client4 call to fail with this status (and error id, when given). */
export async function expectClientError(promise: Promise<unknown>, status: number, id?: string): Promise<void> {
  try {
    await promise;
  } catch (err) {
    const e = err as { status_code?: number; server_error_id?: string; message: string };
    if (e.status_code !== status) throw new Error(`expected status ${status}, got ${e.status_code}: ${e.message}`);
    if (id !== undefined && e.server_error_id !== id) throw new Error(`expected error id ${id}, got ${e.server_error_id}`);
    return;
  }
  throw new Error(`expected a ${status} error, but the call succeeded`);
}

// ---- The OAuth 2.0 provider: a server with the provider on, a logged-in user agent, raw requests.

/** Where test apps send users back. Nothing listens there: the tests read the redirect, never follow it. */
export const CALLBACK = 'http://127.0.0.1:9/callback';

export interface ProviderServer {
  server: TestServer;
  admin: Client;
  adminId: string;
  /** An ordinary user (no integration permissions), through Client4 and as a browser. */
  user: Client;
  userId: string;
  browser: Browser;
}

/** The real plugin with the provider on (and any other ServiceSettings given), an admin and a user. */
export async function startProvider(serviceSettings: Record<string, unknown> = {}, pluginSettings: Record<string, unknown> = {}): Promise<ProviderServer> {
  const server = await startServer({ pluginDir: realPluginDir() });
  const { client: admin, id: adminId } = await createAdmin(server.url);
  const patch: Record<string, unknown> = { ServiceSettings: { EnableOAuthServiceProvider: true, ...serviceSettings } };
  if (Object.keys(pluginSettings).length > 0) patch.PluginSettings = { Plugins: { 'oauth-plugin': pluginSettings } };
  await admin.patchConfig(patch as never);
  const { client: user, id: userId } = await createUser(server.url, admin);
  const browser = await loginBrowser(server.url, USER.username, USER.password);
  return { server, admin, adminId, user, userId, browser };
}

/** A logged-in user agent: the session cookies, and the CSRF token its pages echo in X-CSRF-Token. */
export interface Browser {
  url: string;
  cookieHeader: string;
  csrf: string;
}

export async function loginBrowser(url: string, loginId: string, password: string): Promise<Browser> {
  const { cookies, cookieHeader } = await loginForCookies(url, loginId, password);
  return { url, cookieHeader, csrf: cookies.get('MMCSRF') ?? '' };
}

/** `GET /oauth/authorize` as the browser sends it, without following the redirect. */
export async function getAuthorize(browser: { url: string; cookieHeader?: string }, params: Record<string, string>): Promise<Response> {
  const headers: Record<string, string> = browser.cookieHeader ? { cookie: browser.cookieHeader } : {};
  return fetch(`${browser.url}/oauth/authorize?${new URLSearchParams(params)}`, { headers, redirect: 'manual' });
}

/**
 * Plays the user agent through the authorization endpoint: follows `authorizationUrl` (any origin
 * is replaced by the host's), and when the consent page comes, answers it the way the page's own
 * script does (JSON, session cookie, X-CSRF-Token). Returns where the user is sent back to.
 */
export async function authorizeInBrowser(browser: Browser, authorizationUrl: URL | Record<string, string>, approve = true): Promise<URL> {
  const params = authorizationUrl instanceof URL ? Object.fromEntries(authorizationUrl.searchParams) : authorizationUrl;
  const res = await getAuthorize(browser, params);
  if (res.status === 302) return new URL(res.headers.get('location')!);
  if (res.status !== 200) throw new Error(`GET /oauth/authorize answered ${res.status}: ${await res.text()}`);
  await res.body?.cancel();
  const answer = await fetch(`${browser.url}/oauth/authorize`, {
    method: 'POST',
    headers: { cookie: browser.cookieHeader, 'content-type': 'application/json', 'x-csrf-token': browser.csrf },
    body: JSON.stringify({ ...params, approve }),
  });
  const body = (await answer.json()) as { redirect?: string };
  if (answer.status !== 200 || !body.redirect) throw new Error(`POST /oauth/authorize answered ${answer.status}: ${JSON.stringify(body)}`);
  return new URL(body.redirect);
}

/** RFC 7636: a verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The code flow up to the code: authorization request for `clientId`, consent if asked, the code. */
export async function authorizationCode(browser: Browser, clientId: string, extra: Record<string, string> = {}): Promise<string> {
  const back = await authorizeInBrowser(browser, { response_type: 'code', client_id: clientId, redirect_uri: CALLBACK, state: 'st', ...extra });
  const code = back.searchParams.get('code');
  if (!code) throw new Error(`no code in the redirect: ${back}`);
  return code;
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** POSTs an application/x-www-form-urlencoded body to a provider endpoint, as OAuth clients do. */
export async function postForm(url: string, path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<JsonResponse> {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded. */
export function basicAuth(clientId: string, secret: string): string {
  const enc = (s: string) => new URLSearchParams({ s }).toString().slice(2);
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

/** The status of `GET /api/v4/users/me` with an access token, in the header or in the query. */
export async function meStatus(url: string, accessToken: string, via: 'header' | 'query' = 'header'): Promise<number> {
  const res = via === 'header'
    ? await fetch(`${url}/api/v4/users/me`, { headers: { authorization: `Bearer ${accessToken}` } })
    : await fetch(`${url}/api/v4/users/me?access_token=${encodeURIComponent(accessToken)}`);
  await res.body?.cancel();
  return res.status;
}

/** The credentials of a confidential app, as create (or regen_secret) returned them once. */
export interface AppCredentials {
  id: string;
  client_secret: string;
}

/** `authorization_code` grant with client_secret_post, for a code sent to CALLBACK. */
export function exchangeCode(url: string, app: AppCredentials, code: string, extra: Record<string, string> = {}): Promise<JsonResponse> {
  return postForm(url, '/oauth/access_token', {
    grant_type: 'authorization_code', code, redirect_uri: CALLBACK, client_id: app.id, client_secret: app.client_secret, ...extra,
  });
}

/** `refresh_token` grant with client_secret_post. */
export function refreshGrant(url: string, app: AppCredentials, refreshToken: string): Promise<JsonResponse> {
  return postForm(url, '/oauth/access_token', {
    grant_type: 'refresh_token', refresh_token: refreshToken, client_id: app.id, client_secret: app.client_secret,
  });
}

// ---- Servers of the tests beside the host, and the host's registry of protected resources.

/** Listens on a free loopback port; returns the server's origin. */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes a server without waiting for idle keep-alive connections. */
export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((done) => server.close(() => done()));
}

/** A protected resource as `POST …/api/v1/resources` returns it (the secret is shown this once). */
export interface ProtectedResource {
  id: string;
  identifier: string;
  name: string;
  client_secret: string;
  metadata: Record<string, unknown>;
  /** Where the plugin serves `metadata`; empty for a resource beside the chat server. */
  metadata_url: string;
}

/** Registers a protected resource through the plugin's REST API, as a system admin. */
export async function createProtectedResource(url: string, admin: Client, fields: Record<string, unknown>): Promise<ProtectedResource> {
  const res = await fetch(`${url}/plugins/oauth-plugin/api/v1/resources`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin.getToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify(fields),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`creating the resource answered ${res.status}: ${text}`);
  return JSON.parse(text) as ProtectedResource;
}

/** RFC 7662 introspection at the host, authenticated as a registered resource (client_secret_basic). */
export function introspectAs(url: string, resource: ProtectedResource, token: string): Promise<JsonResponse> {
  return postForm(url, '/oauth/introspect', { token }, { authorization: basicAuth(resource.id, resource.client_secret) });
}
