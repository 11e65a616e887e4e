// The device authorization grant (RFC 8628) end to end against the real server: oauth4webapi plays
// the device (a command-line tool: device authorization request, then polling the token endpoint),
// and the user's side runs in headless Chromium (the verification page, login, the consent screen,
// Settings → Security). Approve, deny, expire, slow down, wrong codes, 50 concurrent polls with one
// winner, a public client, and an app that did not opt in.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import type { Page } from 'playwright-core';
import { ADMIN, createUser, meStatus, USER } from './helpers.js';
import { cookieHeader, loginAndOpen, newPage, screenshot, scriptErrors, startBrowserSession, submitLogin, type BrowserSession } from './webapp-helpers.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const BOB = { username: 'bob', email: 'bob@example.com', password: 'bob-password-1' };
const options = { [oauth.allowInsecureRequests]: true };

/** A device: an OAuth client of the server, as oauth4webapi has it. */
interface Device {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
}

/** The RFC 6749 §5.2 / RFC 8628 §3.5 error code oauth4webapi threw, or the failure itself. */
async function errorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof oauth.ResponseBodyError) return e.error;
    throw e;
  }
  throw new Error('expected an OAuth error response');
}

describe('Device authorization grant (RFC 8628)', () => {
  let session: BrowserSession;
  let page: Page;
  let as: oauth.AuthorizationServer;
  let confidential: Device;

  const setPluginSettings = (settings: Record<string, unknown>) =>
    session.admin.patchConfig({ PluginSettings: { Plugins: { 'oauth-plugin': settings } } } as never);

  /** An app of the REST API; `grant_types` given only when the test means to choose them. */
  async function createApp(fields: Record<string, unknown>): Promise<{ id: string; client_secret: string }> {
    return session.admin.createOAuthApp({
      name: 'Terminal Tool', description: 'A command-line client for the chat.', homepage: 'https://tool.example.com',
      callback_urls: ['https://tool.example.com/cb'], ...fields,
    } as never) as unknown as { id: string; client_secret: string };
  }

  const start = (device: Device, parameters: Record<string, string> = {}) =>
    oauth.deviceAuthorizationRequest(device.as, device.client, device.auth, parameters, options)
      .then((response) => oauth.processDeviceAuthorizationResponse(device.as, device.client, response));

  const poll = (device: Device, deviceCode: string) =>
    oauth.deviceCodeGrantRequest(device.as, device.client, device.auth, deviceCode, options)
      .then((response) => oauth.processDeviceCodeResponse(device.as, device.client, response));

  /** The user's side: the verification page (logging in first when the browser is logged out), then the consent screen. */
  async function openVerification(url: string, user = USER, on = page): Promise<void> {
    await on.goto(new URL(url).pathname + new URL(url).search);
    if (new URL(on.url()).pathname === '/login') {
      await submitLogin(on, user.username, user.password);
      await on.waitForURL((u) => u.pathname === '/oauth/device');
    }
  }

  async function decide(url: string, button: 'Allow' | 'Deny'): Promise<void> {
    await openVerification(url);
    await page.getByText('A device is asking for access').waitFor();
    await page.getByRole('button', { name: button }).click();
    await page.getByRole('heading', { name: button === 'Allow' ? 'Device connected' : 'Request denied' }).waitFor();
  }

  before(async () => {
    session = await startBrowserSession({ EnableOAuthServiceProvider: true, EnableDynamicClientRegistration: true });
    ({ page } = session);
    await createUser(session.server.url, session.admin);
    await createUser(session.server.url, session.admin, BOB);
    // Polling every second, so that slowing down shows within the test's time.
    await setPluginSettings({ DevicePollingIntervalSeconds: 1 });
    const issuer = new URL(session.server.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...options }));
    const app = await createApp({ grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT] });
    confidential = { as, client: { client_id: app.id }, auth: oauth.ClientSecretPost(app.client_secret) };
  });
  after(async () => {
    await session?.close();
  });

  it('is advertised in the metadata, at both well-known URLs', async () => {
    assert.equal(as.device_authorization_endpoint, `${session.server.url}/oauth/device_authorization`);
    assert.ok(as.grant_types_supported?.includes(DEVICE_GRANT));
    const issuer = new URL(session.server.url);
    const rfc8414 = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...options }));
    assert.equal(rfc8414.device_authorization_endpoint, as.device_authorization_endpoint);
  });

  it('approve: the device gets the code flow\'s tokens once; Settings → Security lists the app and deauthorizes it', { timeout: 60_000 }, async () => {
    const started = await start(confidential, { scope: 'user openid' });
    assert.match(started.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(started.verification_uri, `${session.server.url}/oauth/device`);
    assert.equal(started.verification_uri_complete, `${started.verification_uri}?user_code=${started.user_code}`);
    assert.equal(started.interval, 1);
    assert.equal(await errorOf(poll(confidential, started.device_code)), 'authorization_pending');

    // The user opens the link (logged out: the login page first, then back with the code).
    await openVerification(started.verification_uri_complete!);
    await page.getByText('A device is asking for access').waitFor();
    await page.getByText(started.user_code).waitFor();
    await page.getByRole('heading', { name: 'Authorize Terminal Tool?' }).waitFor();
    await screenshot(page, 'device-consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Device connected' }).waitFor();

    const tokens = await poll(confidential, started.device_code);
    assert.equal(tokens.token_type, 'bearer');
    assert.ok(tokens.refresh_token, 'a confidential client gets a refresh token');
    assert.ok(tokens.id_token, 'openid asks for an ID token');
    const claims = oauth.getValidatedIdTokenClaims(tokens)!;
    assert.equal(claims.aud, confidential.client.client_id);
    assert.equal(await meStatus(session.server.url, tokens.access_token), 200);
    // Once only.
    assert.equal(await errorOf(poll(confidential, started.device_code)), 'invalid_grant');
    assert.equal(await meStatus(session.server.url, tokens.access_token), 200, 'a repeated poll ends nothing');

    await page.goto('/settings/security');
    const item = page.locator('[data-testid="authorized-app"]');
    await item.getByText('Terminal Tool').waitFor();
    await page.getByRole('button', { name: 'Deauthorize Terminal Tool' }).click();
    await page.getByText('You have not authorized any OAuth 2.0 application.').waitFor();
    assert.equal(await meStatus(session.server.url, tokens.access_token), 401, 'deauthorized: the token no longer works');
    assert.deepEqual(scriptErrors(page), []);
  });

  it('deny: the device hears access_denied, and the code cannot be used again', { timeout: 60_000 }, async () => {
    const started = await start(confidential);
    await decide(started.verification_uri_complete!, 'Deny');
    assert.equal(await errorOf(poll(confidential, started.device_code)), 'access_denied');
    await openVerification(started.verification_uri_complete!);
    await page.getByText('That code is not valid').waitFor();
  });

  it('slow down: polling faster than the interval is slow_down, and the interval grows by 5 s', { timeout: 60_000 }, async () => {
    const started = await start(confidential);
    assert.equal(await errorOf(poll(confidential, started.device_code)), 'authorization_pending');
    assert.equal(await errorOf(poll(confidential, started.device_code)), 'slow_down');
    // The interval was 1 s: 1.5 s later would do, but it is 6 s now.
    await new Promise((done) => setTimeout(done, 1500));
    assert.equal(await errorOf(poll(confidential, started.device_code)), 'slow_down');
    // Approved, the device gets its tokens at its next poll.
    await decide(started.verification_uri_complete!, 'Allow');
    assert.ok((await poll(confidential, started.device_code)).access_token);
  });

  it('expire: after the code\'s lifetime the device hears expired_token and the page refuses the code', { timeout: 60_000 }, async () => {
    await setPluginSettings({ DevicePollingIntervalSeconds: 1, DeviceCodeLifetimeSeconds: 1 });
    try {
      const started = await start(confidential);
      assert.equal(started.expires_in, 1);
      await new Promise((done) => setTimeout(done, 1500));
      assert.equal(await errorOf(poll(confidential, started.device_code)), 'expired_token');
      await openVerification(started.verification_uri_complete!);
      await page.getByText('That code is not valid').waitFor();
    } finally {
      // A patch merges: the lifetime is set back explicitly.
      await setPluginSettings({ DevicePollingIntervalSeconds: 1, DeviceCodeLifetimeSeconds: 600 });
    }
  });

  it('50 concurrent polls of an approved request: one gets tokens, the others invalid_grant', { timeout: 60_000 }, async () => {
    const started = await start(confidential);
    await decide(started.verification_uri_complete!, 'Allow');
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => poll(confidential, started.device_code)));
    const winners = results.filter((r) => r.status === 'fulfilled');
    assert.equal(winners.length, 1, JSON.stringify(results.map((r) => r.status)));
    for (const result of results) {
      if (result.status === 'rejected') {
        assert.ok(result.reason instanceof oauth.ResponseBodyError, String(result.reason));
        assert.equal(result.reason.error, 'invalid_grant');
      }
    }
    assert.equal(await meStatus(session.server.url, (winners[0] as PromiseFulfilledResult<oauth.TokenEndpointResponse>).value.access_token), 200);
  });

  it('a public client registered with DCR for the device grant alone: tokens without a refresh token', { timeout: 60_000 }, async () => {
    const registration = await fetch(as.registration_endpoint!, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'CLI', grant_types: [DEVICE_GRANT], token_endpoint_auth_method: 'none' }),
    });
    assert.equal(registration.status, 201);
    const registered = (await registration.json()) as { client_id: string; grant_types: string[]; redirect_uris: string[] };
    assert.deepEqual(registered.grant_types, [DEVICE_GRANT]);
    assert.deepEqual(registered.redirect_uris, []);
    const device: Device = { as, client: { client_id: registered.client_id, token_endpoint_auth_method: 'none' }, auth: oauth.None() };
    const started = await start(device);
    await decide(started.verification_uri_complete!, 'Allow');
    const tokens = await poll(device, started.device_code);
    assert.equal(tokens.refresh_token, undefined);
    assert.equal(await meStatus(session.server.url, tokens.access_token), 200);
  });

  it('an app that did not opt in gets unauthorized_client, and another client cannot poll a device code', async () => {
    const app = await createApp({});
    const plain: Device = { as, client: { client_id: app.id }, auth: oauth.ClientSecretPost(app.client_secret) };
    assert.equal(await errorOf(start(plain)), 'unauthorized_client');
    const started = await start(confidential);
    assert.equal(await errorOf(poll(plain, started.device_code)), 'unauthorized_client');
    // Another client that did opt in: the code is unknown to it, and the device's schedule is untouched.
    const other = await createApp({ name: 'Other Tool', grant_types: [DEVICE_GRANT] });
    const otherDevice: Device = { as, client: { client_id: other.id }, auth: oauth.ClientSecretPost(other.client_secret) };
    assert.equal(await errorOf(poll(otherDevice, started.device_code)), 'invalid_grant');
    assert.equal(await errorOf(poll(confidential, started.device_code)), 'authorization_pending');
    assert.equal(await errorOf(poll(confidential, 'no-such-device-code')), 'invalid_grant');
  });

  it('the backstage form opts an app in (Allow Device Flow) and out again', { timeout: 90_000 }, async () => {
    const admin = await newPage(session.browser, session.server.url);
    const apps = '/main/integrations/oauth2-apps';
    try {
      const { page: form } = admin;
      await loginAndOpen(form, `${apps}/add`, ADMIN.username, ADMIN.password);
      await form.getByRole('group', { name: 'Allow Device Flow' }).getByLabel('Yes').check();
      await form.getByLabel('Display Name').fill('Room Display');
      await form.getByLabel('Homepage').fill('https://display.example.com');
      await form.getByLabel('Callback URLs (One Per Line)').fill('https://display.example.com/cb');
      await form.getByRole('button', { name: 'Save' }).click();
      await form.getByRole('heading', { name: 'Setup Successful' }).waitFor();
      const id = (await form.locator('#client_id').textContent()) ?? '';
      const secret = (await form.locator('#client_secret').textContent()) ?? '';
      const display: Device = { as, client: { client_id: id }, auth: oauth.ClientSecretPost(secret) };
      assert.ok((await start(display)).device_code, 'opted in');

      await form.goto(apps);
      await form.locator('[data-testid="oauth-app"]', { hasText: 'Room Display' }).getByText('Device flow').waitFor();
      await form.goto(`${apps}/edit?id=${id}`);
      const allow = form.getByRole('group', { name: 'Allow Device Flow' });
      assert.ok(await allow.getByLabel('Yes').isChecked(), 'the form shows the opt-in');
      await allow.getByLabel('No').check();
      await form.getByRole('button', { name: 'Update' }).click();
      await form.waitForURL((u) => u.pathname === apps);
      assert.equal(await errorOf(start(display)), 'unauthorized_client', 'opted out');
      assert.deepEqual(scriptErrors(form), []);
    } finally {
      await admin.context.close();
    }
  });

  it('wrong codes: entered by hand in any case and without the dash; too many wrong ones block the user', { timeout: 90_000 }, async () => {
    // Bob, in a browser of his own: the limits count per user (and address), and Alice goes on.
    const bob = await newPage(session.browser, session.server.url);
    try {
      const started = await start(confidential);
      await openVerification(`${session.server.url}/oauth/device`, BOB, bob.page);
      await bob.page.getByLabel('Code').waitFor();
      await screenshot(bob.page, 'device-verification');
      await bob.page.getByLabel('Code').fill('BBBB-BBBB');
      await bob.page.getByRole('button', { name: 'Continue' }).click();
      await bob.page.getByText('That code is not valid').waitFor();
      // The right code, typed carelessly.
      await bob.page.getByLabel('Code').fill(started.user_code.replace('-', '').toLowerCase());
      await bob.page.getByRole('button', { name: 'Continue' }).click();
      await bob.page.getByText('A device is asking for access').waitFor();
      await bob.page.getByText(started.user_code).waitFor();
      // Nine more wrong codes make ten: the right one is refused now.
      const cookie = await cookieHeader(bob.context);
      for (let i = 0; i < 9; i++) {
        const res = await fetch(`${session.server.url}/oauth/device?user_code=CCCC-CCC${'BCDFGHJKL'[i]}`, { headers: { cookie } });
        assert.equal(res.status, 400);
        await res.body?.cancel();
      }
      await openVerification(started.verification_uri_complete!, BOB, bob.page);
      await bob.page.getByText('Too many wrong codes').waitFor();
      assert.equal(await errorOf(poll(confidential, started.device_code)), 'authorization_pending');
      // Alice is not blocked.
      await decide(started.verification_uri_complete!, 'Allow');
      assert.ok((await poll(confidential, started.device_code)).access_token);
      assert.deepEqual(scriptErrors(bob.page), []);
    } finally {
      await bob.context.close();
    }
  });
});
