// The consent flow in a real browser: a small OAuth client on loopback (node:http) starts the code
// flow with PKCE; the user logs in on the host's login page, meets the plugin's consent screen,
// denies once (the client gets access_denied with its state) and allows once (the client gets a
// code and exchanges it), then deauthorizes the app in Settings → Security.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { appAccessToken, call, startRemote, type RemoteServer } from './apps-oauth2-helpers.js';
import { CALLBACK, createUser, meStatus, USER, type Client, type TestServer } from './helpers.js';
import { cookieHeader, screenshot, scriptErrors, startBrowserSession, submitLogin, type BrowserSession } from './webapp-helpers.js';

interface Outcome {
  state: string;
  error?: string;
  accessToken?: string;
  username?: string;
}

/** A third-party web app with a "Sign in" link: it keeps each flow's state and PKCE verifier, and what came back. */
class ClientApp {
  readonly outcomes: Outcome[] = [];
  private readonly flows = new Map<string, string>();
  private server!: http.Server;
  url = '';
  clientId = '';
  clientSecret = '';

  constructor(private readonly host: string) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res).catch((e: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(e.message);
    }));
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }

  private page(res: http.ServerResponse, status: number, body: string): void {
    const html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Weather Bot</title>
<style>body{font-family:system-ui,sans-serif;margin:48px auto;max-width:560px;color:#222}a.btn{display:inline-block;background:#0a7c5a;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none}</style>
</head><body><h1>Weather Bot</h1>${body}</body></html>`;
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname === '/') return this.page(res, 200, '<p>Forecasts in your chat.</p><p><a class="btn" id="signin" href="/start">Sign in with Chat</a></p>');
    if (url.pathname === '/icon.svg') {
      res.writeHead(200, { 'content-type': 'image/svg+xml' });
      res.end('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 56 56"><rect width="56" height="56" rx="10" fill="#0a7c5a"/><circle cx="22" cy="22" r="9" fill="#ffd23f"/><path d="M16 40h26a8 8 0 0 0 0-16 11 11 0 0 0-21 3 7 7 0 0 0-5 13z" fill="#fff"/></svg>');
      return;
    }
    if (url.pathname === '/start') {
      const state = randomBytes(12).toString('base64url');
      const verifier = randomBytes(32).toString('base64url');
      this.flows.set(state, verifier);
      const authorize = new URL('/oauth/authorize', this.host);
      authorize.search = new URLSearchParams({
        response_type: 'code', client_id: this.clientId, redirect_uri: `${this.url}/callback`, state,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
      }).toString();
      res.writeHead(302, { location: authorize.toString() });
      res.end();
      return;
    }
    if (url.pathname === '/callback') {
      const state = url.searchParams.get('state') ?? '';
      const verifier = this.flows.get(state);
      const error = url.searchParams.get('error');
      if (error) {
        this.outcomes.push({ state, error });
        return this.page(res, 200, `<p id="result">Sign-in failed: <code>${error}</code></p><p>state: <code id="state">${state}</code></p>`);
      }
      if (!verifier) return this.page(res, 400, '<p id="result">Unknown state.</p>');
      this.flows.delete(state);
      const token = await fetch(`${this.host}/oauth/access_token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code', code: url.searchParams.get('code') ?? '', redirect_uri: `${this.url}/callback`,
          client_id: this.clientId, client_secret: this.clientSecret, code_verifier: verifier,
        }),
      });
      const tokens = (await token.json()) as { access_token?: string };
      if (!tokens.access_token) return this.page(res, 502, `<p id="result">The exchange failed: ${token.status}</p>`);
      const me = (await (await fetch(`${this.host}/api/v4/users/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json()) as { username: string };
      this.outcomes.push({ state, accessToken: tokens.access_token, username: me.username });
      return this.page(res, 200, `<p id="result">Signed in as <strong>${me.username}</strong>.</p><p>The chat server gave this app an access token.</p>`);
    }
    return this.page(res, 404, '<p>Not found</p>');
  }
}

describe('webapp: the consent flow from a client on loopback, and Settings → Security (Chromium)', () => {
  let server: TestServer;
  let admin: Client;
  let clientApp: ClientApp;
  let remote: RemoteServer | undefined;
  let context: BrowserContext;
  let page: Page;
  let session: BrowserSession | undefined;

  before(async () => {
    // The plugin reaches the app store's remote provider on loopback.
    session = await startBrowserSession({ EnableOAuthServiceProvider: true, AllowedUntrustedInternalConnections: '127.0.0.1' });
    ({ server, admin, context, page } = session);
    await createUser(server.url, admin);
    clientApp = new ClientApp(server.url);
    await clientApp.start();
    const app = await admin.createOAuthApp({
      name: 'Weather Bot', description: 'Posts the forecast for your city every morning.', homepage: `${clientApp.url}/`,
      icon_url: `${clientApp.url}/icon.svg`, callback_urls: [`${clientApp.url}/callback`], is_trusted: false,
    } as never);
    clientApp.clientId = app.id;
    clientApp.clientSecret = app.client_secret;
  });
  after(async () => {
    await session?.close(async () => {
      await clientApp?.stop();
      await remote?.close();
    });
  });

  it('Deny: after logging in, the user denies on the consent screen and the client receives access_denied with its state', { timeout: 60_000 }, async () => {
    await page.goto(clientApp.url);
    await screenshot(page, 'consent-client-page');
    await page.getByRole('link', { name: 'Sign in with Chat' }).click();
    await page.waitForURL((u) => u.origin === server.url && u.pathname === '/login');
    assert.match(new URL(page.url()).searchParams.get('redirect_to') ?? '', /^\/oauth\/authorize\?/);
    await submitLogin(page, USER.username, USER.password);

    await page.waitForURL((u) => u.pathname === '/oauth/authorize');
    await page.getByRole('heading', { name: 'Authorize Weather Bot?' }).waitFor();
    await page.getByText('will be able to act on your behalf: read and change your data').waitFor();
    await page.getByText('Posts the forecast for your city every morning.').waitFor();
    // The app's logo is at a plain-http URL: never loaded on the page where the user decides
    // whom to trust (a network attacker could swap it); its initial stands in.
    assert.equal(await page.locator('.app img').count(), 0, 'no logo over plain http');
    assert.equal(await page.locator('.app .avatar').textContent(), 'W');
    assert.equal(await page.getByRole('link', { name: `${clientApp.url}/` }).count(), 1, 'the homepage is shown');
    await page.waitForFunction('Array.from(document.images).every((i) => i.complete && i.naturalWidth > 0)', undefined, { timeout: 10_000 });
    await screenshot(page, 'consent-screen');

    // The consent page cannot be framed.
    const direct = await context.request.get(page.url(), { maxRedirects: 0 });
    assert.equal(direct.status(), 200);
    assert.match(direct.headers()['x-frame-options'] ?? '', /^(DENY|SAMEORIGIN)$/);
    assert.match(direct.headers()['content-security-policy'] ?? '', /frame-ancestors '(none|self)'/);

    const started = [...clientApp.outcomes];
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL((u) => u.origin === clientApp.url && u.pathname === '/callback');
    await page.locator('#result').getByText('access_denied').waitFor();
    assert.equal(clientApp.outcomes.length, started.length + 1);
    const denied = clientApp.outcomes.at(-1)!;
    assert.equal(denied.error, 'access_denied');
    assert.ok(denied.state.length > 0);
    assert.equal(new URL(page.url()).searchParams.get('state'), denied.state, 'the client gets its own state back');
    await screenshot(page, 'consent-denied-at-client');
  });

  let accessToken = '';

  it('Allow: the client receives a code, exchanges it, and calls the API as the user', { timeout: 60_000 }, async () => {
    await page.goto(clientApp.url);
    await page.getByRole('link', { name: 'Sign in with Chat' }).click();
    // Already logged in: straight to the consent screen.
    await page.getByRole('heading', { name: 'Authorize Weather Bot?' }).waitFor();
    await page.getByRole('button', { name: 'Allow' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.origin === clientApp.url && u.pathname === '/callback');
    await page.locator('#result').getByText('Signed in as alice').waitFor();
    const allowed = clientApp.outcomes.at(-1)!;
    assert.equal(allowed.username, USER.username);
    assert.equal(allowed.error, undefined);
    accessToken = allowed.accessToken!;
    assert.equal(await meStatus(server.url, accessToken), 200);
    await screenshot(page, 'consent-allowed-at-client');
  });

  it('Settings → Security lists the app; Deauthorize revokes its token', { timeout: 60_000 }, async () => {
    await page.goto('/settings/security');
    const item = page.locator('[data-testid="authorized-app"]');
    await item.getByText('Weather Bot').waitFor();
    await item.getByText('Posts the forecast for your city every morning.').waitFor();
    await page.getByText('No app has connected an account of yours.').waitFor();
    await page.waitForFunction('Array.from(document.images).every((i) => i.complete && i.naturalWidth > 0)', undefined, { timeout: 10_000 });
    await screenshot(page, 'settings-security');

    await page.getByRole('button', { name: 'Deauthorize Weather Bot' }).click();
    await page.getByText('You have not authorized any OAuth 2.0 application.').waitFor();
    assert.equal(await meStatus(server.url, accessToken), 401, 'the token no longer works');
    // The server agrees: nothing is authorized any more.
    const me = await (await context.request.get('/api/v4/users/me')).json() as { id: string };
    const listed = await fetch(`${server.url}/api/v4/users/${me.id}/oauth/apps/authorized`, { headers: { cookie: await cookieHeader(context) } });
    assert.deepEqual(await listed.json(), []);
    await screenshot(page, 'settings-security-deauthorized');
  });

  it('Settings → Security lists an account connected through the app OAuth2 store; Disconnect forgets it', { timeout: 60_000 }, async () => {
    // An app with its remote provider (oidc-provider on loopback), set up as the apps framework does.
    const appId = 'com.example.notes';
    const complete = `${server.url}/plugins/oauth-plugin/apps/${appId}/oauth2/remote/complete`;
    const remoteClient = { client_id: 'notes-at-remote', client_secret: randomBytes(24).toString('base64url'), redirect_uri: complete, accessTokenTtl: 3600 };
    remote = await startRemote([remoteClient]);
    const app = await admin.createOAuthApp({
      name: 'Notes', description: 'An app of the apps framework', homepage: 'http://127.0.0.1:9/', callback_urls: [CALLBACK], is_trusted: true,
      mattermost_app_id: appId,
    } as never);
    const adminAppToken = await appAccessToken(server.url, admin.getToken(), app);
    const settings = await call(server.url, 'POST', '/plugins/oauth-plugin/api/v1/oauth2/app', { bearer: adminAppToken }, JSON.stringify({
      client_id: remoteClient.client_id, client_secret: remoteClient.client_secret, remote_root_url: remote.url,
      authorize_url: remote.authorizeUrl, token_url: remote.tokenUrl, scopes: ['openid'],
    }));
    assert.equal(settings.status, 200, settings.text);

    // The user connects in the browser: the remote's own login and consent pages, then back to the host.
    await page.goto(`/plugins/oauth-plugin/apps/${appId}/oauth2/remote/connect`);
    await page.waitForURL((u) => u.origin === remote!.url);
    await page.locator('input[name="login"]').fill('alice@remote');
    await page.locator('input[name="password"]').fill('any-password');
    await page.locator('button[type="submit"]').click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((u) => u.origin === server.url && u.pathname.endsWith('/oauth2/remote/complete'));
    await page.getByText('Completed connecting your account. Please close this window.').waitFor();

    await page.goto('/settings/security');
    const item = page.locator('[data-testid="connected-account"]');
    await item.getByText(appId).waitFor();
    await item.getByText(/^Connected /).waitFor();
    await screenshot(page, 'settings-security-connected-account');
    await page.getByRole('button', { name: `Disconnect ${appId}` }).click();
    await page.getByText('No app has connected an account of yours.').waitFor();
    const left = await call(server.url, 'GET', '/plugins/oauth-plugin/api/v1/oauth2/connections', { cookie: await cookieHeader(context) });
    assert.equal(left.status, 200, left.text);
    assert.deepEqual(JSON.parse(left.text), [], 'the store forgot the token');
  });

  it('ran without script errors', () => {
    assert.deepEqual(scriptErrors(page), []);
  });
});
