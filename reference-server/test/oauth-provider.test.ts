// The OAuth 2.0 provider end to end: the real host with the real wasm plugin, driven by the
// official Mattermost client (apps REST API, consent, authorized apps) and by plain requests where
// the exact wire behaviour is the point (failure cases, concurrency). openid-client and
// oauth4webapi drive it in oauth-clients.test.ts.
import type { OAuthApp } from '@mattermost/types/integrations';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CALLBACK, authorizationCode, authorizeInBrowser, basicAuth, client, exchangeCode, expectClientError, getAuthorize,
  meStatus, pkcePair, postForm, refreshGrant, startProvider, type JsonResponse, type ProviderServer,
} from './helpers.js';

const PERMISSION_ERROR = 'api.context.permissions.app_error';

/** A token endpoint success (RFC 6749 §5.1): what every grant below must return. */
function assertTokens(res: JsonResponse, withRefresh: boolean): { access: string; refresh: string } {
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('pragma'), 'no-cache');
  assert.equal(typeof res.body.access_token, 'string');
  assert.equal(res.body.token_type, 'bearer');
  assert.ok(Number.isInteger(res.body.expires_in) && (res.body.expires_in as number) > 0);
  assert.equal(res.body.scope, 'user');
  assert.equal(typeof res.body.refresh_token, withRefresh ? 'string' : 'undefined');
  return { access: res.body.access_token as string, refresh: (res.body.refresh_token as string | undefined) ?? '' };
}

/** A token endpoint error (RFC 6749 §5.2), which also carries Mattermost's error fields. */
function assertOAuthError(res: JsonResponse, status: number, error: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error, error, JSON.stringify(res.body));
  assert.equal(typeof res.body.error_description, 'string');
  assert.equal(res.body.status_code, status);
  assert.equal(typeof res.body.id, 'string');
  assert.equal(res.headers.get('cache-control'), 'no-store');
}

function newApp(p: ProviderServer, fields: Partial<OAuthApp> = {}): Promise<OAuthApp> {
  return p.admin.createOAuthApp({
    name: 'Test app', description: 'An app of the tests', homepage: 'http://127.0.0.1:9/', callback_urls: [CALLBACK], ...fields,
  });
}

describe('OAuth apps and authorization through @mattermost/client', () => {
  let p: ProviderServer;

  before(async () => {
    p = await startProvider();
  });
  after(async () => {
    await p.server.close();
  });

  it('an admin creates, lists, reads and edits an app; the secret is shown only at creation', async () => {
    const app = await newApp(p, { is_trusted: true, icon_url: 'http://127.0.0.1:9/icon.png' });
    assert.match(app.id, /^[a-z0-9]{26}$/);
    assert.equal(app.creator_id, p.adminId);
    assert.ok(app.client_secret.length >= 26, 'create returns the secret once');
    assert.equal(app.is_trusted, true, 'an admin may make an app trusted');
    assert.deepEqual(app.callback_urls, [CALLBACK]);

    const listed = await p.admin.getOAuthApps(0, 100);
    const found = listed.find((a) => a.id === app.id);
    assert.ok(found, 'the new app is listed');
    assert.ok(!found.client_secret, 'list never shows the secret');

    const got = await p.admin.getOAuthApp(app.id);
    assert.equal(got.name, 'Test app');
    assert.ok(!got.client_secret, 'get never shows the secret');

    const edited = await p.admin.editOAuthApp({ ...got, name: 'Renamed app', description: 'Edited', callback_urls: [CALLBACK, `${CALLBACK}/2`] });
    assert.equal(edited.name, 'Renamed app');
    assert.ok(!edited.client_secret, 'edit never shows the secret');
    const reread = await p.admin.getOAuthApp(app.id);
    assert.equal(reread.description, 'Edited');
    assert.deepEqual(reread.callback_urls, [CALLBACK, `${CALLBACK}/2`]);
  });

  it('any logged-in user reads an app\'s public info, without the secret', async () => {
    const app = await newApp(p);
    const info = await p.user.getOAuthAppInfo(app.id);
    assert.equal(info.id, app.id);
    assert.equal(info.name, 'Test app');
    assert.ok(!info.client_secret);
  });

  it('a user without manage_oauth gets 403 on every app call', async () => {
    const app = await newApp(p);
    await expectClientError(p.user.createOAuthApp({ name: 'x', description: '', homepage: 'http://127.0.0.1:9/', callback_urls: [CALLBACK] }), 403, PERMISSION_ERROR);
    // Mattermost's getOAuthApps answers with this id rather than the generic one.
    await expectClientError(p.user.getOAuthApps(0, 10), 403, 'api.command.admin_only.app_error');
    await expectClientError(p.user.getOAuthApp(app.id), 403, PERMISSION_ERROR);
    await expectClientError(p.user.editOAuthApp({ ...app, name: 'stolen' }), 403, PERMISSION_ERROR);
    await expectClientError(p.user.regenOAuthAppSecret(app.id), 403, PERMISSION_ERROR);
    await expectClientError(p.user.deleteOAuthApp(app.id), 403, PERMISSION_ERROR);
    assert.equal((await p.admin.getOAuthApp(app.id)).name, 'Test app', 'nothing changed');
  });

  it('regenerating the secret: the old one fails at once, issued tokens keep working', async () => {
    const app = await newApp(p, { is_trusted: true });
    const tokens = assertTokens(await exchangeCode(p.server.url, app, await authorizationCode(p.browser, app.id)), true);

    const regenerated = await p.admin.regenOAuthAppSecret(app.id);
    assert.ok(regenerated.client_secret.length >= 26);
    assert.notEqual(regenerated.client_secret, app.client_secret);

    assertOAuthError(await refreshGrant(p.server.url, app, tokens.refresh), 401, 'invalid_client');
    assert.equal(await meStatus(p.server.url, tokens.access), 200);
    assertTokens(await refreshGrant(p.server.url, { id: app.id, client_secret: regenerated.client_secret }, tokens.refresh), true);
  });

  it('deleting an app revokes its tokens at once', async () => {
    const app = await newApp(p, { is_trusted: true });
    const tokens = assertTokens(await exchangeCode(p.server.url, app, await authorizationCode(p.browser, app.id)), true);
    assert.equal(await meStatus(p.server.url, tokens.access), 200);

    assert.deepEqual(await p.admin.deleteOAuthApp(app.id), { status: 'OK' });
    await expectClientError(p.admin.getOAuthApp(app.id), 404);
    assert.equal(await meStatus(p.server.url, tokens.access), 401);
    assertOAuthError(await refreshGrant(p.server.url, app, tokens.refresh), 401, 'invalid_client');
  });

  it('a user authorizes with authorizeOAuthApp, sees the app among authorized apps, and deauthorizes it', async () => {
    const app = await newApp(p);
    const { verifier, challenge } = pkcePair();
    const { redirect } = (await p.user.authorizeOAuthApp('code', app.id, CALLBACK, 'state-1', 'user', undefined, challenge, 'S256')) as unknown as { redirect: string };
    const back = new URL(redirect);
    assert.equal(`${back.origin}${back.pathname}`, CALLBACK);
    assert.equal(back.searchParams.get('state'), 'state-1');
    assert.equal(back.searchParams.get('iss'), p.server.url);
    const tokens = assertTokens(await exchangeCode(p.server.url, app, back.searchParams.get('code')!, { code_verifier: verifier }), true);

    const me = await client(p.server.url, tokens.access).getMe();
    assert.equal(me.id, p.userId, 'the access token acts as the user who approved');

    const authorized = await p.user.getAuthorizedOAuthApps(p.userId);
    const listed = authorized.find((a) => a.id === app.id);
    assert.ok(listed, 'the app is among the user\'s authorized apps');
    assert.ok(!listed.client_secret);

    // Approved once: the next authorization skips the consent page.
    const again = await getAuthorize(p.browser, { response_type: 'code', client_id: app.id, redirect_uri: CALLBACK, state: 's' });
    assert.equal(again.status, 302);
    assert.ok(new URL(again.headers.get('location')!).searchParams.get('code'));

    assert.deepEqual(await p.user.deauthorizeOAuthApp(app.id), { status: 'OK' });
    assert.equal(await meStatus(p.server.url, tokens.access), 401, 'deauthorizing revokes the access token');
    assertOAuthError(await refreshGrant(p.server.url, app, tokens.refresh), 400, 'invalid_grant');
    assert.ok(!(await p.user.getAuthorizedOAuthApps(p.userId)).some((a) => a.id === app.id));
    const asksAgain = await getAuthorize(p.browser, { response_type: 'code', client_id: app.id, redirect_uri: CALLBACK, state: 's' });
    assert.equal(asksAgain.status, 200, 'the approval is forgotten: consent is asked again');
    assert.equal(asksAgain.headers.get('x-frame-options'), 'DENY');
    assert.match(asksAgain.headers.get('content-type') ?? '', /^text\/html/);
  });

  it('an OAuth token cannot approve apps (403)', async () => {
    const app = await newApp(p, { is_trusted: true });
    const tokens = assertTokens(await exchangeCode(p.server.url, app, await authorizationCode(p.browser, app.id)), true);
    const other = await newApp(p);
    await expectClientError(client(p.server.url, tokens.access).authorizeOAuthApp('code', other.id, CALLBACK, 's', 'user'), 403);
  });
});

describe('OAuth failure cases on the wire', () => {
  let p: ProviderServer;
  let app: OAuthApp;
  let publicApp: OAuthApp;

  before(async () => {
    p = await startProvider();
    app = await newApp(p, { is_trusted: true });
    publicApp = await newApp(p, { is_trusted: true, is_public: true });
  });
  after(async () => {
    await p.server.close();
  });

  it('a reused code fails with invalid_grant and revokes the tokens of its first use', async () => {
    const code = await authorizationCode(p.browser, app.id);
    const first = assertTokens(await exchangeCode(p.server.url, app, code), true);
    assert.equal(await meStatus(p.server.url, first.access), 200);

    assertOAuthError(await exchangeCode(p.server.url, app, code), 400, 'invalid_grant');
    assert.equal(await meStatus(p.server.url, first.access), 401);
    assertOAuthError(await refreshGrant(p.server.url, app, first.refresh), 400, 'invalid_grant');
  });

  it('a rotated refresh token presented again revokes the whole grant', async () => {
    const first = assertTokens(await exchangeCode(p.server.url, app, await authorizationCode(p.browser, app.id)), true);
    const second = assertTokens(await refreshGrant(p.server.url, app, first.refresh), true);
    assert.equal(await meStatus(p.server.url, first.access), 401, 'rotation ends the old access token at once');
    assert.equal(await meStatus(p.server.url, second.access), 200);

    assertOAuthError(await refreshGrant(p.server.url, app, first.refresh), 400, 'invalid_grant');
    assert.equal(await meStatus(p.server.url, second.access), 401);
    assertOAuthError(await refreshGrant(p.server.url, app, second.refresh), 400, 'invalid_grant');
  });

  it('the implicit flow puts the token, state and iss in the fragment', async () => {
    const back = await authorizeInBrowser(p.browser, { response_type: 'token', client_id: app.id, redirect_uri: CALLBACK, state: 'st' });
    assert.equal(back.search, '', 'nothing in the query');
    const fragment = new URLSearchParams(back.hash.slice(1));
    assert.equal(fragment.get('token_type'), 'bearer');
    assert.ok(Number(fragment.get('expires_in')) > 0);
    assert.equal(fragment.get('state'), 'st');
    assert.equal(fragment.get('iss'), p.server.url);
    assert.equal(fragment.get('refresh_token'), null);
    assert.equal(await meStatus(p.server.url, fragment.get('access_token')!), 200);
  });

  it('a wrong or missing PKCE verifier fails with invalid_grant; the right one succeeds', async () => {
    const withChallenge = async () => {
      const { verifier, challenge } = pkcePair();
      return { verifier, code: await authorizationCode(p.browser, app.id, { code_challenge: challenge, code_challenge_method: 'S256' }) };
    };
    const wrong = await withChallenge();
    assertOAuthError(await exchangeCode(p.server.url, app, wrong.code, { code_verifier: pkcePair().verifier }), 400, 'invalid_grant');
    const missing = await withChallenge();
    assertOAuthError(await exchangeCode(p.server.url, app, missing.code), 400, 'invalid_grant');
    const right = await withChallenge();
    assertTokens(await exchangeCode(p.server.url, app, right.code, { code_verifier: right.verifier }), true);
  });

  it('a public client without PKCE is sent back with invalid_request, state and iss', async () => {
    const res = await getAuthorize(p.browser, { response_type: 'code', client_id: publicApp.id, redirect_uri: CALLBACK, state: 'st&=1' });
    assert.equal(res.status, 302);
    const back = new URL(res.headers.get('location')!);
    assert.equal(`${back.origin}${back.pathname}`, CALLBACK);
    assert.equal(back.searchParams.get('error'), 'invalid_request');
    assert.ok(back.searchParams.get('error_description'));
    assert.equal(back.searchParams.get('state'), 'st&=1');
    assert.equal(back.searchParams.get('iss'), p.server.url);
    assert.equal(back.searchParams.get('code'), null);
  });

  it('a public client with PKCE gets tokens without a secret, and no refresh token', async () => {
    const { verifier, challenge } = pkcePair();
    const code = await authorizationCode(p.browser, publicApp.id, { code_challenge: challenge, code_challenge_method: 'S256' });
    const res = await postForm(p.server.url, '/oauth/access_token', {
      grant_type: 'authorization_code', code, redirect_uri: CALLBACK, client_id: publicApp.id, code_verifier: verifier,
    });
    const tokens = assertTokens(res, false);
    assert.equal(await meStatus(p.server.url, tokens.access), 200);
  });

  it('an unregistered redirect URI or an unknown client gets an error page, never a redirect', async () => {
    for (const [params, status] of [
      [{ client_id: app.id, redirect_uri: 'http://127.0.0.1:9/elsewhere' }, 400],
      [{ client_id: app.id, redirect_uri: `${CALLBACK}/` }, 400],
      [{ client_id: 'nosuchclientxxxxxxxxxxxxxx', redirect_uri: CALLBACK }, 404],
    ] as const) {
      const res = await getAuthorize(p.browser, { response_type: 'code', state: 's', ...params });
      assert.equal(res.status, status, JSON.stringify(params));
      assert.equal(res.headers.get('location'), null);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      await res.body?.cancel();
    }
  });

  it('an error is appended to the query a callback URL already has', async () => {
    const withQuery = `${CALLBACK}?tenant=a%20b`;
    const own = await newApp(p, { is_trusted: true, callback_urls: [withQuery] });
    const res = await getAuthorize(p.browser, { response_type: 'bogus', client_id: own.id, redirect_uri: withQuery, state: 's' });
    assert.equal(res.status, 302);
    const back = new URL(res.headers.get('location')!);
    assert.equal(back.searchParams.get('tenant'), 'a b');
    assert.equal(back.searchParams.get('error'), 'unsupported_response_type');
    assert.equal(back.searchParams.get('state'), 's');
    assert.equal(back.searchParams.get('iss'), p.server.url);
  });

  it('metadata and token endpoints allow any origin; the authorization endpoint never does', async () => {
    const origin = { origin: 'http://127.0.0.1:9' };
    const meta = await fetch(`${p.server.url}/.well-known/oauth-authorization-server`, { headers: origin });
    assert.equal(meta.headers.get('access-control-allow-origin'), '*');
    const token = await postForm(p.server.url, '/oauth/access_token', { grant_type: 'refresh_token', refresh_token: 'x' }, origin);
    assert.equal(token.headers.get('access-control-allow-origin'), '*');
    const query = new URLSearchParams({ response_type: 'code', client_id: app.id, redirect_uri: CALLBACK });
    const authorize = await fetch(`${p.server.url}/oauth/authorize?${query}`, { headers: { ...origin, cookie: p.browser.cookieHeader }, redirect: 'manual' });
    assert.equal(authorize.status, 302);
    assert.equal(authorize.headers.get('access-control-allow-origin'), null);
  });

  it('the server describes itself as a protected resource of this issuer (RFC 9728)', async () => {
    const res = await fetch(`${p.server.url}/.well-known/oauth-protected-resource`, { headers: { origin: 'http://127.0.0.1:9' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const body = (await res.json()) as { resource: string; authorization_servers: string[] };
    const issuer = ((await (await fetch(`${p.server.url}/.well-known/oauth-authorization-server`)).json()) as { issuer: string }).issuer;
    assert.equal(body.resource, p.server.url);
    assert.deepEqual(body.authorization_servers, [issuer]);
  });

  it('a 401 of the API says where to get a token, and that a token sent was refused (RFC 9728 §5.1, RFC 6750 §3)', async () => {
    const metadata = `${p.server.url}/.well-known/oauth-protected-resource`;
    const none = await fetch(`${p.server.url}/api/v4/users/me`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), `Bearer resource_metadata="${metadata}"`);
    const bad = await fetch(`${p.server.url}/api/v4/users/me`, { headers: { authorization: 'Bearer not-a-token' } });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get('www-authenticate'), `Bearer error="invalid_token", resource_metadata="${metadata}"`);
    const pluginRoute = await fetch(`${p.server.url}/api/v4/oauth/apps`, { headers: { authorization: 'Bearer not-a-token' } });
    assert.equal(pluginRoute.status, 401);
    assert.equal(pluginRoute.headers.get('www-authenticate'), `Bearer error="invalid_token", resource_metadata="${metadata}"`);
    // A wrong password is no bearer challenge.
    const login = await fetch(`${p.server.url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: 'nobody', password: 'whatever-password' }) });
    assert.equal(login.status, 401);
    assert.equal(login.headers.get('www-authenticate'), null);
  });

  it('a user who is not logged in is sent to the login page, and back here after', async () => {
    const params = { response_type: 'code', client_id: app.id, redirect_uri: CALLBACK, state: 's' };
    const res = await getAuthorize({ url: p.server.url }, params);
    assert.equal(res.status, 302);
    const login = new URL(res.headers.get('location')!);
    assert.equal(login.pathname, '/login');
    assert.equal(login.searchParams.get('redirect_to'), `/oauth/authorize?${new URLSearchParams(params)}`);
  });

  it('Deny sends the user back with access_denied, state and iss', async () => {
    const untrusted = await newApp(p);
    const back = await authorizeInBrowser(p.browser, { response_type: 'code', client_id: untrusted.id, redirect_uri: CALLBACK, state: 'st' }, false);
    assert.equal(back.searchParams.get('error'), 'access_denied');
    assert.equal(back.searchParams.get('state'), 'st');
    assert.equal(back.searchParams.get('iss'), p.server.url);
    assert.equal(back.searchParams.get('code'), null);
  });

  it('a revoked access token gets 401 on /api/v4/users/me; before that it works in the header and in ?access_token=', async () => {
    const tokens = assertTokens(await exchangeCode(p.server.url, app, await authorizationCode(p.browser, app.id)), true);
    const me = await fetch(`${p.server.url}/api/v4/users/me?access_token=${tokens.access}`);
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { id: string }).id, p.userId);
    assert.equal(await meStatus(p.server.url, tokens.access, 'header'), 200);

    const revoked = await postForm(p.server.url, '/oauth/revoke', { token: tokens.access }, { authorization: basicAuth(app.id, app.client_secret) });
    assert.equal(revoked.status, 200);
    assert.equal(await meStatus(p.server.url, tokens.access, 'header'), 401);
    assert.equal(await meStatus(p.server.url, tokens.access, 'query'), 401);
  });

  it('a host session token is refused in ?access_token= (OAuth tokens only)', async () => {
    assert.equal(await meStatus(p.server.url, p.user.getToken(), 'header'), 200);
    assert.equal(await meStatus(p.server.url, p.user.getToken(), 'query'), 401);
  });

  it('a wrong secret in HTTP Basic gets 401 invalid_client with a WWW-Authenticate challenge', async () => {
    const code = await authorizationCode(p.browser, app.id);
    const res = await postForm(p.server.url, '/oauth/access_token', { grant_type: 'authorization_code', code, redirect_uri: CALLBACK }, { authorization: basicAuth(app.id, 'wrong-secret') });
    assertOAuthError(res, 401, 'invalid_client');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/i);
    assertTokens(await postForm(p.server.url, '/oauth/access_token', { grant_type: 'authorization_code', code, redirect_uri: CALLBACK }, { authorization: basicAuth(app.id, app.client_secret) }), true);
  });
});

describe('concurrency through the real host', () => {
  let p: ProviderServer;
  let app: OAuthApp;
  const N = 50;

  before(async () => {
    p = await startProvider();
    app = await newApp(p, { is_trusted: true });
  });
  after(async () => {
    await p.server.close();
  });

  /** Runs `request` N times at once; every answer is a 200 or an invalid_grant, never a 5xx. */
  async function race(request: () => Promise<JsonResponse>): Promise<number> {
    const answers = await Promise.all(Array.from({ length: N }, request));
    for (const res of answers.filter((r) => r.status !== 200)) assertOAuthError(res, 400, 'invalid_grant');
    return answers.filter((r) => r.status === 200).length;
  }

  it(`${N} concurrent redemptions of one code: exactly one gets tokens`, async () => {
    const code = await authorizationCode(p.browser, app.id);
    assert.equal(await race(() => exchangeCode(p.server.url, app, code)), 1);
  });

  it(`${N} concurrent uses of one refresh token: exactly one rotation`, async () => {
    const tokens = assertTokens(await exchangeCode(p.server.url, app, await authorizationCode(p.browser, app.id)), true);
    assert.equal(await race(() => refreshGrant(p.server.url, app, tokens.refresh)), 1);
  });
});
