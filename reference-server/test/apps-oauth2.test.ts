// The app OAuth2 store end to end: the real host with the real wasm plugin; an app is an OAuth app
// of the host's provider with a mattermost_app_id, calling with tokens the provider issued to it;
// the app's remote provider is oidc-provider on loopback, whose own login and consent pages the
// test goes through as the user's browser. The plugin reaches it through the host's httpFetch,
// which allows 127.0.0.1 only because the test lists it in AllowedUntrustedInternalConnections.
import type { OAuthApp } from '@mattermost/types/integrations';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  appAccessToken, call, eventually, json, startRemote, throughRemote, type RemoteClient, type RemoteServer, type Reply,
} from './apps-oauth2-helpers.js';
import { CALLBACK, createUser, loginBrowser, startProvider, type Browser, type ProviderServer } from './helpers.js';

const STORE = '/plugins/oauth-plugin/api/v1/oauth2';
const APP_ID = 'com.example.notes';
/** A second app whose remote access tokens live a few seconds, for the refresh test. */
const SHORT_APP_ID = 'com.example.short-lived';
const COMPLETED = 'Completed connecting your account. Please close this window.';
const SHORT_TTL_SECONDS = 3;

const connectPath = (appId: string) => `/plugins/oauth-plugin/apps/${appId}/oauth2/remote/connect`;
const completePath = (appId: string) => `/plugins/oauth-plugin/apps/${appId}/oauth2/remote/complete`;

/** Someone logged in to the host: the session token (for bearer calls) and the browser cookies. */
interface Person {
  id: string;
  session: string;
  browser: Browser;
}

interface RemoteToken {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

describe('the app OAuth2 store against oidc-provider as the remote', () => {
  let p: ProviderServer;
  let remote: RemoteServer;
  let admin: Person;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let remoteClient: RemoteClient;
  let shortClient: RemoteClient;
  /** Access tokens of the host's provider, per app and user: how the app acts for that user. */
  const appTokens = new Map<string, string>();
  const appToken = (appId: string, who: Person) => appTokens.get(`${appId}/${who.id}`)!;

  before(async () => {
    p = await startProvider({ AllowedUntrustedInternalConnections: '127.0.0.1' });
    const person = async (username: string, password: string, id: string, session: string): Promise<Person> =>
      ({ id, session, browser: await loginBrowser(p.server.url, username, password) });
    admin = await person('admin', 'admin-password-1', p.adminId, p.admin.getToken());
    alice = { id: p.userId, session: p.user.getToken(), browser: p.browser };
    for (const name of ['bob', 'carol']) {
      const user = { username: name, email: `${name}@example.com`, password: `${name}-password-1` };
      const created = await createUser(p.server.url, p.admin, user);
      const who = await person(name, user.password, created.id, created.client.getToken());
      if (name === 'bob') bob = who;
      else carol = who;
    }
    const secret = () => randomBytes(24).toString('base64url');
    remoteClient = { client_id: 'notes-at-remote', client_secret: secret(), redirect_uri: p.server.url + completePath(APP_ID), accessTokenTtl: 3600 };
    shortClient = { client_id: 'short-at-remote', client_secret: secret(), redirect_uri: p.server.url + completePath(SHORT_APP_ID), accessTokenTtl: SHORT_TTL_SECONDS };
    remote = await startRemote([remoteClient, shortClient]);
    // Each app, as an admin registers it, and its tokens for every user, through the code flow.
    for (const appId of [APP_ID, SHORT_APP_ID]) {
      const app = await newApp(appId);
      assert.equal(app.mattermost_app_id, appId, 'create keeps the mattermost_app_id');
      for (const who of [admin, alice, bob, carol]) appTokens.set(`${appId}/${who.id}`, await appAccessToken(p.server.url, who.session, app));
    }
  });
  after(async () => {
    await p?.server.close();
    await remote?.close();
  });

  function newApp(appId?: string): Promise<OAuthApp & { mattermost_app_id?: string }> {
    const fields = { name: `App ${appId ?? 'without app id'}`, description: 'An app of the tests', homepage: 'http://127.0.0.1:9/', callback_urls: [CALLBACK], is_trusted: true };
    return p.admin.createOAuthApp((appId ? { ...fields, mattermost_app_id: appId } : fields) as unknown as OAuthApp);
  }

  function settingsFor(client: RemoteClient) {
    return {
      client_id: client.client_id, client_secret: client.client_secret, remote_root_url: remote.url, data: { tenant: 'acme', n: 7 },
      // prompt=consent: oidc-provider grants offline_access (and so a refresh token) only with it.
      authorize_url: `${remote.authorizeUrl}?prompt=consent`, token_url: remote.tokenUrl, scopes: ['offline_access'],
    };
  }

  /** POST /app as the admin's app token; storing identical settings again is a no-op, so each test may call it. */
  async function storeSettings(appId: string, client: RemoteClient): Promise<void> {
    const reply = await call(p.server.url, 'POST', `${STORE}/app`, { bearer: appToken(appId, admin) }, JSON.stringify(settingsFor(client)));
    assert.equal(reply.status, 200, reply.text);
  }

  /** connect as `who` (browser cookies), then the remote's login and consent: where the remote sends the browser back. */
  async function connectAtRemote(appId: string, who: Person, approve = true): Promise<{ back: URL; authorize: URL; prompts: string[] }> {
    const reply = await call(p.server.url, 'GET', connectPath(appId), { cookie: who.browser.cookieHeader });
    assert.equal(reply.status, 302, reply.text);
    const authorize = new URL(reply.headers.get('location')!);
    const { back, prompts } = await throughRemote(authorize.href, remote, `${who.id}@remote`, approve);
    return { back, authorize, prompts };
  }

  /** GET the complete URL the remote sent the browser back to, with `who`'s browser cookies. */
  function complete(back: URL, who: Person): Promise<Reply> {
    assert.equal(back.origin, p.server.url, 'the remote sends the browser back to the host');
    return call(p.server.url, 'GET', back.pathname + back.search, { cookie: who.browser.cookieHeader });
  }

  async function connectFully(appId: string, who: Person): Promise<URL> {
    const { back } = await connectAtRemote(appId, who);
    const done = await complete(back, who);
    assert.equal(done.status, 200, done.text);
    assert.ok(done.text.includes(COMPLETED), done.text);
    return back;
  }

  /** GET /user as the app for `who`: the remote token, or null for the empty body of "none". */
  async function userToken(appId: string, who: Person): Promise<RemoteToken | null> {
    const reply = await call(p.server.url, 'GET', `${STORE}/user`, { bearer: appToken(appId, who) });
    assert.equal(reply.status, 200, reply.text);
    return reply.text === '' ? null : json<RemoteToken>(reply);
  }

  it('an admin\'s app token stores the remote settings with POST /app; a non-admin\'s gets 403', async () => {
    // The app token acts as the admin on the host's own API too.
    const me = await call(p.server.url, 'GET', '/api/v4/users/me', { bearer: appToken(APP_ID, admin) });
    assert.equal(json(me).id, admin.id);

    const body = JSON.stringify(settingsFor(remoteClient));
    const denied = await call(p.server.url, 'POST', `${STORE}/app`, { bearer: appToken(APP_ID, alice) }, body);
    assert.equal(denied.status, 403, denied.text);
    // Before any settings, the app's context is empty: the refused call stored nothing.
    const unset = json(await call(p.server.url, 'GET', `${STORE}/context`, { bearer: appToken(APP_ID, alice) }));
    assert.equal(unset.client_id, '');

    const invalid = await call(p.server.url, 'PUT', `${STORE}/app`, { bearer: appToken(APP_ID, admin) }, JSON.stringify({ ...settingsFor(remoteClient), token_url: 'not a url' }));
    assert.equal(invalid.status, 400, invalid.text);

    for (const method of ['POST', 'PUT']) {
      const stored = await call(p.server.url, method, `${STORE}/app`, { bearer: appToken(APP_ID, admin) }, body);
      assert.equal(stored.status, 200, stored.text);
      assert.deepEqual(json(stored), { status: 'OK' });
    }
    const context = json(await call(p.server.url, 'GET', `${STORE}/context`, { bearer: appToken(APP_ID, alice) }));
    assert.equal(context.client_id, remoteClient.client_id);
    assert.equal(context.client_secret, remoteClient.client_secret, 'the app reads back its own remote secret');
    assert.equal(context.remote_root_url, remote.url);
    assert.deepEqual(context.data, { tenant: 'acme', n: 7 });
    assert.equal(context.connect_url, p.server.url + connectPath(APP_ID));
    assert.equal(context.complete_url, p.server.url + completePath(APP_ID));
    assert.ok(!('user' in context), 'alice has not connected yet');
  });

  it('a user connects through connect/complete; GET /user returns the remote token, which introspection says is active', async () => {
    await storeSettings(APP_ID, remoteClient);
    const { back, authorize, prompts } = await connectAtRemote(APP_ID, alice);
    assert.equal(`${authorize.origin}${authorize.pathname}`, remote.authorizeUrl);
    const q = authorize.searchParams;
    assert.equal(q.get('prompt'), 'consent', 'the authorize_url\'s own query is kept');
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('client_id'), remoteClient.client_id);
    assert.equal(q.get('redirect_uri'), p.server.url + completePath(APP_ID));
    assert.equal(q.get('scope'), 'offline_access');
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok((q.get('state') ?? '').length >= 20, 'a random state');
    assert.deepEqual(prompts, ['login', 'consent'], 'the user signed in and consented at the remote');
    assert.equal(back.pathname, completePath(APP_ID));
    assert.equal(back.searchParams.get('state'), q.get('state'));
    assert.ok(back.searchParams.get('code'), `a code: ${back}`);

    const done = await complete(back, alice);
    assert.equal(done.status, 200, done.text);
    assert.ok(done.text.includes(COMPLETED), done.text);

    // The plugin exchanged the code (with its PKCE verifier: oidc-provider checks it) and kept
    // the remote's token response as it came.
    const token = await userToken(APP_ID, alice);
    assert.ok(token, 'a token is stored');
    assert.equal(token.token_type, 'Bearer');
    assert.equal(token.expires_in, 3600);
    assert.equal(token.scope, 'offline_access');
    assert.equal(typeof token.refresh_token, 'string');
    const introspected = await remote.introspect(remoteClient, token.access_token);
    assert.equal(introspected.active, true, JSON.stringify(introspected));
    assert.equal(introspected.client_id, remoteClient.client_id);
    assert.equal(introspected.sub, `${alice.id}@remote`, 'the token is for the account alice signed in with');

    const context = json(await call(p.server.url, 'GET', `${STORE}/context`, { bearer: appToken(APP_ID, alice) }));
    assert.deepEqual(context.user, token, '/context carries the same user token');
    assert.equal(await userToken(APP_ID, bob), null, 'tokens are per user');
    assert.deepEqual(remote.errors, []);
  });

  it('after the remote access token expires, GET /user returns a refreshed one that introspection says is active', async () => {
    await storeSettings(SHORT_APP_ID, shortClient);
    await connectFully(SHORT_APP_ID, alice);
    // The plugin counts a token's lifetime from when it received it, which is before this moment:
    // so by receivedAt + the lifetime the token has expired for the plugin too, however slow the
    // machine (the remote's own clock starts earlier still, when it issued the token).
    let receivedAt = Date.now();
    const first = await userToken(SHORT_APP_ID, alice);
    assert.ok(first?.refresh_token, 'the remote issued a refresh token');
    assert.equal(first.expires_in, SHORT_TTL_SECONDS);
    assert.equal((await remote.introspect(shortClient, first.access_token)).active, true);

    let current = first;
    // Twice: oidc-provider rotates refresh tokens and revokes the grant when a used one comes back,
    // so the second round fails unless the plugin kept the refresh token of the first.
    for (const round of [1, 2]) {
      // Waits until the remote itself says the token is no longer active (its lifetime is
      // SHORT_TTL_SECONDS; the bound allows four times that).
      const expired = await eventually(async () => (await remote.introspect(shortClient, current.access_token)).active === false, SHORT_TTL_SECONDS * 8, 500);
      assert.ok(expired, `round ${round}: the remote token expired`);
      await sleep(Math.max(0, receivedAt + SHORT_TTL_SECONDS * 1000 - Date.now()));
      receivedAt = Date.now();
      const refreshed = await userToken(SHORT_APP_ID, alice);
      assert.ok(refreshed, `round ${round}: a token`);
      assert.notEqual(refreshed.access_token, current.access_token, `round ${round}: a new access token`);
      assert.notEqual(refreshed.refresh_token, current.refresh_token, `round ${round}: the remote rotated the refresh token`);
      const introspected = await remote.introspect(shortClient, refreshed.access_token);
      assert.equal(introspected.active, true, `round ${round}: ${JSON.stringify(introspected)}`);
      assert.equal(introspected.sub, `${alice.id}@remote`);
      current = refreshed;
    }
    assert.deepEqual(remote.errors, []);
  });

  // Concurrent GET /user calls for an expired token must send the refresh token once: a remote that
  // rotates refresh tokens and detects reuse (OAuth 2.0 Security BCP §4.14.2; oidc-provider does)
  // would answer a second use invalid_grant and revoke the grant.
  it('concurrent GET /user calls for an expired token all get a token, and the connection keeps working', async () => {
    await storeSettings(SHORT_APP_ID, shortClient);
    await connectFully(SHORT_APP_ID, carol);
    const stored = await userToken(SHORT_APP_ID, carol);
    assert.ok(stored);
    assert.ok(await eventually(async () => (await remote.introspect(shortClient, stored.access_token)).active === false, SHORT_TTL_SECONDS * 8, 500));
    const replies = await Promise.all([1, 2, 3].map(() => call(p.server.url, 'GET', `${STORE}/user`, { bearer: appToken(SHORT_APP_ID, carol) })));
    assert.deepEqual(replies.map((r) => r.status), [200, 200, 200], replies.map((r) => r.text).join('\n'));
    const latest = await userToken(SHORT_APP_ID, carol);
    assert.ok(latest);
    assert.ok(await eventually(async () => (await remote.introspect(shortClient, latest.access_token)).active === false, SHORT_TTL_SECONDS * 8, 500));
    const later = await call(p.server.url, 'GET', `${STORE}/user`, { bearer: appToken(SHORT_APP_ID, carol) });
    assert.equal(later.status, 200, `the connection still works: ${later.text}`);
  });

  it('a replayed state gets 403 and changes nothing', async () => {
    await storeSettings(APP_ID, remoteClient);
    const back = await connectFully(APP_ID, alice);
    const stored = await userToken(APP_ID, alice);
    const replayed = await complete(back, alice);
    assert.equal(replayed.status, 403, replayed.text);
    assert.ok(replayed.text.includes('unknown, expired or already used'), replayed.text);
    assert.deepEqual(await userToken(APP_ID, alice), stored, 'the stored token is the same');
  });

  it('a state started by another user gets 403, and stays usable by its own user', async () => {
    await storeSettings(APP_ID, remoteClient);
    const { back } = await connectAtRemote(APP_ID, alice);
    const foreign = await complete(back, bob);
    assert.equal(foreign.status, 403, foreign.text);
    assert.ok(foreign.text.includes('started by another user'), foreign.text);
    assert.equal(await userToken(APP_ID, bob), null, 'nothing stored for bob');
    const own = await complete(back, alice);
    assert.equal(own.status, 200, own.text);
  });

  it('an unknown state gets 403; no state at all gets 400; not logged in gets 401', async () => {
    const made = `${completePath(APP_ID)}?code=whatever&state=${randomBytes(24).toString('base64url')}`;
    const unknown = await call(p.server.url, 'GET', made, { cookie: alice.browser.cookieHeader });
    assert.equal(unknown.status, 403, unknown.text);
    assert.ok(unknown.text.includes('unknown, expired or already used'), unknown.text);
    const stateless = await call(p.server.url, 'GET', `${completePath(APP_ID)}?code=whatever`, { cookie: alice.browser.cookieHeader });
    assert.equal(stateless.status, 400, stateless.text);
    const anonymous = await call(p.server.url, 'GET', made);
    assert.equal(anonymous.status, 401, anonymous.text);
  });

  it('the user cancelling at the remote (error=access_denied) ends on a page that says so, and stores nothing', async () => {
    await storeSettings(APP_ID, remoteClient);
    const { back, prompts } = await connectAtRemote(APP_ID, bob, false);
    assert.deepEqual(prompts, ['login', 'consent']);
    assert.equal(back.searchParams.get('error'), 'access_denied', `${back}`);
    assert.equal(back.searchParams.get('code'), null);
    const page = await complete(back, bob);
    assert.equal(page.status, 400, page.text);
    assert.ok(page.text.includes('The provider answered: access_denied (End-User aborted interaction).'), page.text);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(await userToken(APP_ID, bob), null);
    const connections = await call(p.server.url, 'GET', `${STORE}/connections`, { bearer: bob.session });
    assert.deepEqual(json(connections), []);
  });

  it('a connect for an app without remote settings gets a 404 page', async () => {
    const reply = await call(p.server.url, 'GET', connectPath('com.example.unset'), { cookie: alice.browser.cookieHeader });
    assert.equal(reply.status, 404, reply.text);
    assert.ok(reply.text.includes('has not set up its OAuth2 provider'), reply.text);
  });

  it('POST /user: any JSON is stored; bodies over 8192 bytes get 413 and invalid JSON 400, storing nothing', async () => {
    const as = { bearer: appToken(APP_ID, carol) };
    const kept = { access_token: 'set-by-the-app', nested: [1, { two: 2 }] };
    assert.equal((await call(p.server.url, 'POST', `${STORE}/user`, as, JSON.stringify(kept))).status, 200);
    assert.deepEqual(await userToken(APP_ID, carol), kept);

    const oversized = JSON.stringify({ access_token: 'x'.repeat(8200) });
    for (const method of ['POST', 'PUT']) {
      const tooLarge = await call(p.server.url, method, `${STORE}/user`, as, oversized);
      assert.equal(tooLarge.status, 413, tooLarge.text);
      assert.equal(json(tooLarge).status_code, 413);
    }
    const tooLargeApp = await call(p.server.url, 'POST', `${STORE}/app`, { bearer: appToken(APP_ID, admin) }, JSON.stringify({ ...settingsFor(remoteClient), data: 'x'.repeat(8200) }));
    assert.equal(tooLargeApp.status, 413, tooLargeApp.text);
    for (const bad of ['not json', '{"access_token":', '']) {
      const invalid = await call(p.server.url, 'POST', `${STORE}/user`, as, bad);
      assert.equal(invalid.status, 400, `${JSON.stringify(bad)}: ${invalid.text}`);
      assert.equal(json(invalid).status_code, 400);
    }
    assert.deepEqual(await userToken(APP_ID, carol), kept, 'the refused bodies changed nothing');
    assert.equal(json(await call(p.server.url, 'GET', `${STORE}/context`, { bearer: appToken(APP_ID, alice) })).client_id, remoteClient.client_id,
      'the refused POST /app changed nothing');
  });

  it('only an app session may call the store: 401 "not an app session" otherwise, 403 for an OAuth app without a mattermost_app_id', async () => {
    const attempts: Array<[string, { bearer?: string; cookie?: string }]> = [
      ['no credentials', {}],
      ['a host session token', { bearer: alice.session }],
      ['a host session cookie', { cookie: alice.browser.cookieHeader }],
      ['a made-up bearer token', { bearer: randomBytes(20).toString('hex') }],
    ];
    for (const [what, auth] of attempts) {
      for (const path of ['/user', '/context']) {
        const reply = await call(p.server.url, 'GET', STORE + path, auth);
        assert.equal(reply.status, 401, `${what} on ${path}: ${reply.text}`);
        assert.equal(json(reply).message, 'not an app session', what);
      }
    }
    const plain = await newApp();
    const token = await appAccessToken(p.server.url, alice.session, plain);
    const reply = await call(p.server.url, 'GET', `${STORE}/user`, { bearer: token });
    assert.equal(reply.status, 403, reply.text);
  });

  it('connections list the user\'s connected apps; disconnecting forgets the token', async () => {
    await storeSettings(APP_ID, remoteClient);
    await connectFully(APP_ID, alice);
    const listed = json<Array<{ app_id: string; connected_at: number; expires_at?: number }>>(
      await call(p.server.url, 'GET', `${STORE}/connections`, { bearer: alice.session }));
    const entry = listed.find((c) => c.app_id === APP_ID);
    assert.ok(entry, JSON.stringify(listed));
    assert.ok(entry.connected_at > 0);
    assert.ok(entry.expires_at! > entry.connected_at, 'the remote token\'s expiry is listed');
    assert.equal(listed.filter((c) => c.app_id === APP_ID).length, 1, 'listed once, however often alice connected');
    assert.deepEqual(json(await call(p.server.url, 'GET', `${STORE}/connections`, { bearer: bob.session })), [], 'per user');

    // From the browser a change needs the CSRF token: without it the host gives no identity.
    const noCsrf = await call(p.server.url, 'DELETE', `${STORE}/connections/${APP_ID}`, { cookie: alice.browser.cookieHeader });
    assert.equal(noCsrf.status, 401, noCsrf.text);
    assert.ok(await userToken(APP_ID, alice), 'still connected');

    const done = await call(p.server.url, 'DELETE', `${STORE}/connections/${APP_ID}`, { cookie: alice.browser.cookieHeader, csrf: alice.browser.csrf });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual(json(done), { status: 'OK' });
    const remaining = json<Array<{ app_id: string }>>(await call(p.server.url, 'GET', `${STORE}/connections`, { bearer: alice.session }));
    assert.ok(!remaining.some((c) => c.app_id === APP_ID), JSON.stringify(remaining));
    assert.equal(await userToken(APP_ID, alice), null, 'the token is forgotten');
    assert.equal((await call(p.server.url, 'GET', `${STORE}/connections`)).status, 401, 'not logged in');
  });
});
