// The plugin behind the host: the real wasm module (metadata, 404s, activation failure, restart)
// and a fake glue module with the same exports for identity, crash and timeout paths.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import {
  ADMIN, FAKE_PLUGIN_DIR, FAKE_PLUGIN_NO_BUNDLE_DIR, USER, client, createAdmin, createUser, loginForCookies,
  realPluginDir, startServer, tempDbFile, type Client, type TestServer,
} from './helpers.js';

const METADATA = '/.well-known/oauth-authorization-server';

async function getJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, init);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

function assertMattermostError(body: Record<string, unknown>, status: number): void {
  assert.equal(body.status_code, status);
  assert.equal(typeof body.id, 'string');
  assert.equal(typeof body.message, 'string');
  assert.ok('request_id' in body);
}

describe('the real wasm plugin', () => {
  let server: TestServer;
  let admin: Client;

  before(async () => {
    server = await startServer({ pluginDir: realPluginDir() });
    ({ client: admin } = await createAdmin(server.url));
  });
  after(async () => {
    await server.close();
  });

  it('is active after start', () => {
    assert.equal(server.services.plugin.state, 'active');
  });

  it('answers the metadata route with 501 while the provider is off (the default)', async () => {
    const { status, body } = await getJson(server.url + METADATA);
    assert.equal(status, 501);
    assertMattermostError(body, 501);
  });

  it('serves RFC 8414 metadata whose issuer is the SiteURL once an admin enables the provider', async () => {
    await admin.patchConfig({ ServiceSettings: { EnableOAuthServiceProvider: true } } as never);
    const { status, body } = await getJson(server.url + METADATA);
    assert.equal(status, 200);
    assert.equal(body.issuer, server.url);
    assert.equal(body.authorization_endpoint, `${server.url}/oauth/authorize`);
    assert.equal(body.token_endpoint, `${server.url}/oauth/access_token`);
    assert.ok((body.response_types_supported as string[]).includes('code'));
    assert.deepEqual(body.code_challenge_methods_supported, ['S256']);

    await admin.patchConfig({ ServiceSettings: { SiteURL: 'https://chat.example.com/' } } as never);
    const moved = await getJson(server.url + METADATA);
    assert.equal(moved.body.issuer, 'https://chat.example.com');
    assert.equal(moved.body.token_endpoint, 'https://chat.example.com/oauth/access_token');
  });

  it('answers an unknown plugin path with a 404 in Mattermost JSON, from the plugin', async () => {
    for (const path of ['/plugins/oauth-plugin/no-such-route', '/oauth/no-such-route']) {
      const { status, body, headers } = await getJson(server.url + path);
      assert.equal(status, 404, path);
      assertMattermostError(body, 404);
      assert.equal(body.request_id, headers.get('x-request-id'), 'the plugin echoes the host request id');
    }
  });

  it("knows the plugin's paths from its route table alone, read when it was loaded", async () => {
    const has = (method: string, pattern: string) => server.services.plugin.routes.some((r) => r.method === method && r.pattern === pattern);
    assert.ok(has('POST', '/oauth/access_token'));
    assert.ok(has('POST', '/api/v4/oauth/apps/{client_id}/regen_secret'));
    assert.ok(has('GET', '/.well-known/oauth-authorization-server/{issuer_path...}'));
    // The plugin answers a wrong method itself: 405 with the pattern's methods.
    const res = await fetch(`${server.url}/oauth/access_token`, { method: 'PUT' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST, OPTIONS');
  });

  it('serves the webapp bundle, or a clean 404 when it is not built', async () => {
    const res = await fetch(`${server.url}/static/plugins/oauth-plugin/main.js`);
    if (res.status === 200) assert.match(res.headers.get('content-type') ?? '', /javascript/);
    else assertMattermostError((await res.json()) as Record<string, unknown>, 404);
  });
});

describe('restart and activation failure (real plugin)', () => {
  it('keeps users, config and KV data across restarts on the same database', async () => {
    const dbFile = tempDbFile();
    const run = async (steps: (server: TestServer) => Promise<void>) => {
      const server = await startServer({ pluginDir: realPluginDir(), dbFile });
      try {
        await steps(server);
      } finally {
        await server.close();
      }
    };
    await run(async (server) => {
      const { client: admin } = await createAdmin(server.url);
      await createUser(server.url, admin);
      await admin.patchConfig({ ServiceSettings: { EnableOAuthServiceProvider: true } } as never);
      await server.services.store.kv.set('oauth-plugin', 'kept-key', new TextEncoder().encode('kept value'));
    });
    await run(async (server) => {
      const admin = client(server.url);
      assert.equal((await admin.login(ADMIN.username, ADMIN.password)).roles, 'system_admin system_user');
      assert.equal((await client(server.url).login(USER.username, USER.password)).roles, 'system_user');
      const { status, body } = await getJson(server.url + METADATA);
      assert.equal(status, 200, 'the provider is still enabled');
      assert.equal(body.issuer, server.url, 'the SiteURL default follows the new port: defaults are not frozen in the database');
      const kept = await server.services.store.kv.get('oauth-plugin', 'kept-key');
      assert.equal(new TextDecoder().decode(kept!), 'kept value');
      await admin.patchConfig({ ServiceSettings: { SiteURL: 'https://kept.example.com' } } as never);
    });
    await run(async (server) => {
      const { body } = await getJson(server.url + METADATA);
      assert.equal(body.issuer, 'https://kept.example.com', 'a SiteURL an admin set is kept');
    });
  });

  it('answers 503 on plugin routes when activation fails (data from a newer version); the API keeps working', async () => {
    const dbFile = tempDbFile();
    const store = openSqliteStore(dbFile);
    await store.kv.set('oauth-plugin', 'meta:schema', new TextEncoder().encode('{"v":999}'));
    await store.close();
    const server = await startServer({ pluginDir: realPluginDir(), dbFile });
    try {
      assert.equal(server.services.plugin.state, 'failed');
      const { status, body } = await getJson(server.url + METADATA);
      assert.equal(status, 503);
      assertMattermostError(body, 503);
      assert.equal(body.id, 'app.plugin.not_active.app_error');
      assert.match(String(body.message), /not active/);
      assert.match(server.logs.join('\n'), /ERROR plugin activation failed plugin=oauth-plugin/);
      assert.deepEqual(await client(server.url).ping(false), { status: 'OK' });
    } finally {
      await server.close();
    }
  });
});

describe('plugin requests (fake glue module)', () => {
  let server: TestServer;
  let admin: Client;
  let adminId: string;

  before(async () => {
    server = await startServer({ pluginDir: FAKE_PLUGIN_DIR, pluginCallTimeoutMs: 300 });
    ({ client: admin, id: adminId } = await createAdmin(server.url));
  });
  after(async () => {
    await server.close();
  });

  const echo = async (init: RequestInit & { query?: string } = {}) => {
    const { status, body } = await getJson(`${server.url}/plugins/oauth-plugin/echo${init.query ?? ''}`, init);
    assert.equal(status, 200);
    return body as { userId?: string; sessionId?: string; isOAuthSession?: boolean; headers: Record<string, string>; method: string; path: string; query: string; bodyText: string; requestId: string; remoteAddr: string };
  };

  it('passes method, full path, raw query, body and request id', async () => {
    const req = await echo({ method: 'POST', body: 'a=1&b=2', query: '?x=1&y=%20' });
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/plugins/oauth-plugin/echo');
    assert.equal(req.query, 'x=1&y=%20');
    assert.equal(req.bodyText, 'a=1&b=2');
    assert.equal(req.requestId.length, 26);
    assert.equal(req.remoteAddr, '127.0.0.1');
  });

  it('never takes identity from client-sent headers', async () => {
    const req = await echo({ headers: { 'Mattermost-User-Id': adminId, 'X-Forwarded-User': 'admin', 'Mattermost-Session-Id': 'x' } });
    assert.equal(req.userId, undefined);
    assert.equal(req.sessionId, undefined);
    for (const name of ['mattermost-user-id', 'x-forwarded-user', 'mattermost-session-id']) assert.ok(!(name in req.headers), name);
  });

  it('sets the user from a valid session only', async () => {
    const withToken = await echo({ headers: { Authorization: `Bearer ${admin.getToken()}`, 'Mattermost-User-Id': 'someone-else' } });
    assert.equal(withToken.userId, adminId);
    assert.equal(withToken.isOAuthSession, false);
    assert.ok(withToken.sessionId);
    const badToken = await echo({ headers: { Authorization: 'Bearer not-a-token' } });
    assert.equal(badToken.userId, undefined, 'a bad token just means no user');
  });

  it('passes the Authorization header through (the token endpoint needs Basic)', async () => {
    const req = await echo({ headers: { Authorization: 'Basic Y2xpZW50OnNlY3JldA==' } });
    assert.equal(req.headers.authorization, 'Basic Y2xpZW50OnNlY3JldA==');
    assert.equal(req.userId, undefined);
  });

  it('ignores a cookie session on a change without CSRF proof, and keeps the host cookies from the plugin', async () => {
    const { cookies, cookieHeader } = await loginForCookies(server.url, ADMIN.username, ADMIN.password);
    const cookie = `${cookieHeader}; theme=dark`;
    assert.equal((await echo({ headers: { Cookie: cookie } })).userId, adminId, 'GET with the cookie');
    assert.equal((await echo({ method: 'POST', headers: { Cookie: cookie } })).userId, undefined, 'POST without CSRF header');
    const post = await echo({ method: 'POST', headers: { Cookie: cookie, 'X-CSRF-Token': cookies.get('MMCSRF')! } });
    assert.equal(post.userId, adminId, 'POST with the CSRF header');
    assert.equal(post.headers.cookie, 'theme=dark');
  });

  it('marks sessions from plugin-issued OAuth tokens', async () => {
    const { body } = await getJson(`${server.url}/plugins/oauth-plugin/issue-token?user=${adminId}`);
    const req = await echo({ headers: { Authorization: `Bearer ${body.token}` } });
    assert.equal(req.userId, adminId);
    assert.equal(req.isOAuthSession, true);
  });

  it('caps the body at 1 MiB with a 413', async () => {
    const res = await fetch(`${server.url}/plugins/oauth-plugin/echo`, { method: 'POST', body: Buffer.alloc(1024 * 1024 + 1) });
    assert.equal(res.status, 413);
  });

  it('routes the OAuth paths to the plugin, and nothing else', async () => {
    for (const path of ['/oauth/authorize', '/.well-known/oauth-authorization-server', '/.well-known/oauth-authorization-server/x',
      '/api/v4/oauth/apps', `/api/v4/users/${adminId}/oauth/apps/authorized`]) {
      const { status, body } = await getJson(server.url + path);
      assert.equal(status, 404, path);
      assert.equal(body.id, 'fake.not_found', `${path} reached the plugin`);
    }
    const { body } = await getJson(`${server.url}/plugins/other-plugin/x`);
    assert.equal(body.id, 'api.context.404.app_error');
  });

  it("forwards exactly the plugin's routes, with any method: no list of the plugin's URLs in the server", async () => {
    // A route the server has never heard of reaches the plugin, with a method the route lacks too.
    const hook = await getJson(`${server.url}/hooks/abc`, { method: 'DELETE' });
    assert.deepEqual([hook.status, hook.body], [200, { hook: 'abc', method: 'DELETE' }]);
    // Paths the server used to forward by prefix, which no route has: the server's own 404.
    for (const path of ['/oauth/nothing', '/oauth/authorize/x', '/.well-known/oauth-authorization-server-x',
      '/api/v4/oauth/apps/x', '/api/v4/users/x/oauth/nothing', '/hooks', '/hooks/a/b']) {
      const { status, body } = await getJson(server.url + path);
      assert.equal(status, 404, path);
      assert.equal(body.id, 'api.context.404.app_error', `${path} stayed with the server`);
    }
    // Every path under the plugin's prefix is the plugin's, as in Mattermost.
    assert.equal((await getJson(`${server.url}/plugins/oauth-plugin/nothing/here`)).body.id, 'fake.not_found');
    assert.equal(server.services.plugin.routes.length, 7);
  });

  it('serves the webapp bundle as a static file', async () => {
    const res = await fetch(`${server.url}/static/plugins/oauth-plugin/main.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(await res.text(), /registerPlugin/);
  });

  it('gives the plugin KV, users, permissions and config-driven outbound HTTP', async () => {
    const set = await getJson(`${server.url}/plugins/oauth-plugin/kv?key=k1`, { method: 'POST', body: 'v1' });
    assert.equal(set.body.ok, true);
    assert.equal((await getJson(`${server.url}/plugins/oauth-plugin/kv?key=k1`)).body.value, 'v1');
    const many = await getJson(`${server.url}/plugins/oauth-plugin/kv-many?key=k1&key=nothing&key=k1`);
    assert.deepEqual(many.body, { values: ['v1', null, 'v1'] });
    const refused = await getJson(`${server.url}/plugins/oauth-plugin/kv-many?key=k1&key=`);
    assert.deepEqual([refused.status, refused.body], [400, { error: 'kvGetMany: invalid key: a key must have 1 to 150 characters' }]);

    const { body: user } = await getJson(`${server.url}/plugins/oauth-plugin/user?id=${adminId}`);
    assert.equal((user.user as { username: string }).username, ADMIN.username);
    assert.ok(!('password' in (user.user as object)));
    assert.equal(user.canManageOAuth, true);
    const { id: aliceId } = await createUser(server.url, admin);
    const alice = async () => (await getJson(`${server.url}/plugins/oauth-plugin/user?id=${aliceId}`)).body.canManageOAuth;
    assert.equal(await alice(), false);
    await admin.patchConfig({ ServiceSettings: { EnableOnlyAdminIntegrations: false } } as never);
    assert.equal(await alice(), true, 'EnableOnlyAdminIntegrations=false gives users manage_oauth');

    const target = http.createServer((_, res) => res.end('from target'));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    try {
      const url = encodeURIComponent(`http://127.0.0.1:${(target.address() as AddressInfo).port}/`);
      const refused = await getJson(`${server.url}/plugins/oauth-plugin/fetch?url=${url}`);
      assert.equal(refused.status, 502);
      assert.match(String(refused.body.error), /refused: 127\.0\.0\.1 is a loopback address/);
      await admin.patchConfig({ ServiceSettings: { AllowedUntrustedInternalConnections: '127.0.0.0/8' } } as never);
      const allowed = await getJson(`${server.url}/plugins/oauth-plugin/fetch?url=${url}`);
      assert.deepEqual(allowed.body, { status: 200, body: 'from target' });
    } finally {
      target.close();
    }
  });

  it("hands the plugin its own settings from PluginSettings.Plugins on each change", async () => {
    await admin.patchConfig({ PluginSettings: { Plugins: { 'oauth-plugin': { Greeting: 'hi' }, 'other-plugin': { X: 1 } } } } as never);
    const { body } = await getJson(`${server.url}/plugins/oauth-plugin/echo`);
    assert.deepEqual(body.settings, { Greeting: 'hi' });
  });

  it('answers 500 when a plugin call fails, and stays active', async () => {
    const { status, body } = await getJson(`${server.url}/plugins/oauth-plugin/fail`);
    assert.equal(status, 500);
    assertMattermostError(body, 500);
    assert.equal(server.services.plugin.state, 'active');
  });

  it('answers 504 when the plugin does not answer in time', async () => {
    const { status, body } = await getJson(`${server.url}/plugins/oauth-plugin/hang`);
    assert.equal(status, 504);
    assert.equal(body.id, 'app.plugin.timeout.app_error');
  });

  it('answers 500 to a request whose call traps, and reloads a fresh instance', async () => {
    const before = (await getJson(`${server.url}/plugins/oauth-plugin/instance`)).body.instanceId;
    const { status, body } = await getJson(`${server.url}/plugins/oauth-plugin/panic`);
    assert.equal(status, 500);
    assert.equal(body.id, 'app.plugin.crashed.app_error');
    for (let i = 0; i < 50 && server.services.plugin.state !== 'active'; i++) await new Promise((r) => setTimeout(r, 20));
    const after = (await getJson(`${server.url}/plugins/oauth-plugin/instance`)).body.instanceId;
    assert.notEqual(after, before, 'a new module instance answers');
    assert.match(server.logs.join('\n'), /plugin crashed; reloading/);
  });
});

describe('webapp bundle not built', () => {
  it('answers 404 in Mattermost JSON', async () => {
    const server = await startServer({ pluginDir: FAKE_PLUGIN_NO_BUNDLE_DIR });
    try {
      const { status, body } = await getJson(`${server.url}/static/plugins/oauth-plugin/main.js`);
      assert.equal(status, 404);
      assertMattermostError(body, 404);
    } finally {
      await server.close();
    }
  });
});
