// The hostile-input suite's world and its one assertion. The world: the real host and plugin with
// every integration setting on, an admin and an ordinary user (who may create OAuth apps, as with
// EnableOnlyAdminIntegrations off), and one of everything a request can aim at. The assertion: a
// hostile request gets its status and a clear error, nothing it could reach is stored differently
// afterwards, no internal detail reaches it, and anything it shows back is escaped.
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { commandBody, mainTeamAndChannel } from './command-helpers.js';
import {
  ADMIN, CALLBACK, USER, authorizationCode, createAdmin, createUser, exchangeCode, loginBrowser, realPluginDir,
  startServer, type Browser, type Client, type TestServer,
} from './helpers.js';

export const LINKED_APP_ID = 'com.example.hostile';
export const DCR_ALLOWLIST = ['https://*.example.com/cb', 'http://localhost:*/callback'];

export interface App {
  id: string;
  client_secret: string;
}

export interface World {
  server: TestServer;
  url: string;
  admin: Client;
  adminId: string;
  adminToken: string;
  alice: Client;
  aliceId: string;
  aliceToken: string;
  /** Alice as a browser: session cookie and the CSRF token her pages echo. */
  aliceBrowser: Browser;
  adminApp: App;
  trustedApp: App;
  publicApp: { id: string };
  aliceApp: App;
  /** Trusted, linked to LINKED_APP_ID, with remote settings stored through the app store. */
  linkedApp: App;
  /** An access token of linkedApp for the admin (an app session with manage_system). */
  appToken: string;
  /** An access token of linkedApp for alice. */
  aliceAppToken: string;
  /** A code of trustedApp for alice, already exchanged; its tokens. */
  usedCode: string;
  tokens: { access: string; refresh: string };
  connectionId: string;
  commandId: string;
  teamId: string;
  channelId: string;
}

async function bearerFetch(url: string, token: string, method: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

export async function startWorld(): Promise<World> {
  const server = await startServer({ pluginDir: realPluginDir() });
  const url = server.url;
  const { client: admin, id: adminId } = await createAdmin(url);
  await admin.patchConfig({
    ServiceSettings: {
      EnableOAuthServiceProvider: true, EnableDynamicClientRegistration: true, DCRRedirectURIAllowlist: DCR_ALLOWLIST,
      EnableClientIdMetadataDocuments: true,
      EnableOutgoingOAuthConnections: true, EnableOnlyAdminIntegrations: false,
    },
    PluginSettings: { Plugins: { 'oauth-plugin': { DcrRateLimitPerMinute: 0 } } },
  } as never);
  const { client: alice, id: aliceId } = await createUser(url, admin);
  const aliceBrowser = await loginBrowser(url, USER.username, USER.password);
  const adminBrowser = await loginBrowser(url, ADMIN.username, ADMIN.password);
  const app = (fields: Record<string, unknown>, by = admin) =>
    by.createOAuthApp({ name: 'Hostile', description: 'd', homepage: 'https://hostile.example.com/', callback_urls: [CALLBACK], ...fields } as never) as unknown as Promise<App>;
  const adminApp = await app({});
  const trustedApp = await app({ is_trusted: true });
  const publicApp = await app({ is_public: true });
  const aliceApp = await app({}, alice);
  const linkedApp = await app({ is_trusted: true, mattermost_app_id: LINKED_APP_ID });
  const appTokenOf = async (browser: Browser) => {
    const code = await authorizationCode(browser, linkedApp.id);
    return (await exchangeCode(url, linkedApp, code)).body.access_token as string;
  };
  const appToken = await appTokenOf(adminBrowser);
  const aliceAppToken = await appTokenOf(aliceBrowser);
  await bearerFetch(`${url}/plugins/oauth-plugin/api/v1/oauth2/app`, appToken, 'POST', {
    client_id: 'remote-client', client_secret: 'remote-client-secret-1', authorize_url: 'https://remote.example.com/authorize',
    token_url: 'https://remote.example.com/token',
  });
  await bearerFetch(`${url}/plugins/oauth-plugin/api/v1/oauth2/user`, aliceAppToken, 'POST', { access_token: 'alice-remote-token-1' });
  const usedCode = await authorizationCode(aliceBrowser, trustedApp.id);
  const exchanged = await exchangeCode(url, trustedApp, usedCode);
  const tokens = { access: exchanged.body.access_token as string, refresh: exchanged.body.refresh_token as string };
  const { teamId, channelId } = await mainTeamAndChannel(admin);
  const connection = (await admin.createOutgoingOAuthConnection(teamId, {
    name: 'Hostile connection', client_id: 'hostile-client', client_secret: 'hostile-connection-secret-1',
    oauth_token_url: 'https://auth.example.com/token', grant_type: 'client_credentials', audiences: ['https://hooks.example.com/*'],
  } as never)) as unknown as { id: string };
  const command = (await admin.addCommand(commandBody(teamId, 'https://hooks.example.com/cmd', { trigger: 'hostile' }))) as unknown as { id: string };
  return {
    server, url, admin, adminId, adminToken: admin.getToken(), alice, aliceId, aliceToken: alice.getToken(), aliceBrowser,
    adminApp, trustedApp, publicApp, aliceApp, linkedApp, appToken, aliceAppToken, usedCode, tokens,
    connectionId: connection.id, commandId: command.id, teamId, channelId,
  };
}

/** Everything stored: every row of every table, as text, in a stable order. */
export function snapshot(dbFile: string, ignoreColumns: RegExp | null = null): string {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    const out: Record<string, unknown[]> = {};
    for (const { name } of tables) {
      const rows = db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all() as Record<string, unknown>[];
      out[name] = rows.map((row) => Object.fromEntries(Object.entries(row)
        .filter(([column]) => !ignoreColumns?.test(column))
        .map(([column, value]) => [column, Buffer.isBuffer(value) ? value.toString('base64') : value])));
    }
    return JSON.stringify(out);
  } finally {
    db.close();
  }
}

/** Words that only internals use: storage, stack traces, runtime failures. */
const INTERNALS = /KV (store|record)|SQLITE|sqlite|better-sqlite|postgres|node:internal|\bat \S+ \(|panicked|RuntimeError|TypeError|ReferenceError|\[object Object\]|undefined is not/;

export type Expect =
  | { kind: 'mattermost'; id?: string }
  | { kind: 'oauth'; error?: string }
  | { kind: 'page' }
  /** An HTML page that is not an error (the login page), only checked for what it shows back. */
  | { kind: 'html' }
  | { kind: 'error-redirect'; to: string; error?: string; state?: string };

export interface HostileRequest {
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

export const KIB = 1024;

/** What BAD_BODIES need of a route: how it reports a bad body, its size limit, a body with a wrong type. */
export interface BodyRules {
  /** How the route reports a bad body. */
  expect: Expect;
  /** Its size limit, in bytes. */
  limit: number;
  /** A body of the right shape but one field of the wrong type. */
  wrongType: string;
}

/** A route that takes a JSON body, in the world `W` of a suite: where it is, who sends it, how it refuses. */
export interface JsonRoute<W> extends BodyRules {
  name: string;
  method: string;
  path: (w: W) => string;
  headers: (w: W) => Record<string, string>;
}

// RFC 7591 has no 413: a registration body over the limit is invalid_client_metadata (400).
const overLimit = (r: BodyRules) => (r.expect.kind === 'oauth' ? 400 : 413);

/** Bodies of the wrong shape that every JSON route refuses: what, the body, and the status. */
export const BAD_BODIES: [string, (r: BodyRules) => string | Buffer, number | ((r: BodyRules) => number)][] = [
  ['not JSON', () => '{"name": ', 400],
  ['an array for an object', () => '[]', 400],
  ['an array of objects', () => '[{"name":"x"}]', 400],
  ['a string', () => '"hello"', 400],
  ['a number', () => '42', 400],
  ['null', () => 'null', 400],
  ['an empty body', () => '', 400],
  ['the wrong types', (r) => r.wrongType, 400],
  ['invalid UTF-8', () => Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 400],
  ['a body over the limit', (r) => `{"name":"${'a'.repeat(r.limit + 16)}"}`, overLimit],
];

export async function send(world: { url: string }, req: HostileRequest): Promise<Reply> {
  const res = await fetch(`${world.url}${req.path}${req.query ? `?${req.query}` : ''}`, {
    method: req.method, headers: req.headers, body: req.body, redirect: 'manual',
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The one assertion of the suite (see the file comment). */
export function assertRefused(reply: Reply, status: number | number[], expect: Expect, shownBack: string[] = []): void {
  const where = `${reply.status} ${reply.text.slice(0, 400)}`;
  const statuses = Array.isArray(status) ? status : [status];
  assert.ok(statuses.includes(reply.status), `status ${reply.status}, expected ${statuses.join(' or ')}: ${where}`);
  assert.equal(reply.headers.get('x-content-type-options'), 'nosniff', where);
  assert.doesNotMatch(reply.text, INTERNALS, 'no internal detail');
  for (const markup of shownBack) assert.ok(!reply.text.includes(markup), `shown back unescaped: ${markup}`);
  switch (expect.kind) {
    case 'mattermost': {
      const body = JSON.parse(reply.text) as Record<string, unknown>;
      assert.equal(typeof body.id, 'string', where);
      assert.ok(String(body.message).length > 5, where);
      assert.equal(body.status_code, reply.status, where);
      if (expect.id) assert.equal(body.id, expect.id, where);
      return;
    }
    case 'oauth': {
      const body = JSON.parse(reply.text) as Record<string, unknown>;
      assert.equal(typeof body.error, 'string', where);
      assert.ok(String(body.error_description).length > 5, where);
      if (expect.error) assert.equal(body.error, expect.error, where);
      assert.equal(reply.headers.get('cache-control'), 'no-store', where);
      return;
    }
    case 'html':
      assert.match(reply.headers.get('content-type') ?? '', /^text\/html/, where);
      return;
    case 'page':
      assert.match(reply.headers.get('content-type') ?? '', /^text\/html/, where);
      assert.match(reply.text, /<h1>[^<]{5,}<\/h1>/, where);
      assert.match(reply.text, /<p>[^<]{10,}/, where);
      return;
    case 'error-redirect': {
      const location = new URL(reply.headers.get('location') ?? 'about:blank');
      assert.equal(`${location.origin}${location.pathname}`, expect.to, where);
      const params = new URLSearchParams(location.search || location.hash.slice(1));
      if (expect.error) assert.equal(params.get('error'), expect.error, where);
      else assert.ok(params.get('error'), where);
      assert.ok((params.get('error_description') ?? '').length > 5, where);
      assert.equal(params.get('code'), null, 'no code with an error');
      if (expect.state !== undefined) assert.equal(params.get('state'), expect.state, where);
    }
  }
}
