// The webapp in a real browser: an admin logs in through the login page and manages OAuth 2.0
// applications through Integrations → OAuth 2.0 Applications (add with a field error corrected,
// confirmation with the secret copied, edit, regenerate secret, delete), on the real host.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ADMIN, postForm, type Client, type TestServer } from './helpers.js';
import {
  clipboardText, focusedId, focusedText, loginAndOpen, newPage, overflowX, screenshot, scriptErrors, startBrowserSession, submitLogin,
  type BrowserSession,
} from './webapp-helpers.js';

const APPS = '/main/integrations/oauth2-apps';
const CALLBACK = 'http://127.0.0.1:9/callback';

/** Whether the token endpoint accepts this client id and secret (a bad code then fails as invalid_grant, not invalid_client). */
async function secretWorks(url: string, clientId: string, secret: string): Promise<boolean> {
  const res = await postForm(url, '/oauth/access_token', {
    grant_type: 'authorization_code', code: 'no-such-code', redirect_uri: CALLBACK, client_id: clientId, client_secret: secret,
  });
  if (res.body.error === 'invalid_grant') return true;
  if (res.body.error === 'invalid_client') return false;
  throw new Error(`unexpected token endpoint answer ${res.status}: ${JSON.stringify(res.body)}`);
}

describe('webapp: OAuth 2.0 applications (admin, Chromium)', () => {
  let server: TestServer;
  let admin: Client;
  let browser: Browser;
  let page: Page;
  let session: BrowserSession | undefined;

  before(async () => {
    session = await startBrowserSession({ EnableOAuthServiceProvider: true });
    ({ server, admin, browser, page } = session);
  });
  after(async () => {
    await session?.close();
  });

  it('the login page refuses a wrong password in place, then logs in and goes back to where the admin was going', { timeout: 60_000 }, async () => {
    await page.goto(APPS);
    await page.waitForURL(/\/login\?redirect_to=/);
    assert.equal(new URL(page.url()).searchParams.get('redirect_to'), APPS);
    await screenshot(page, 'login');
    await submitLogin(page, ADMIN.username, 'not-the-password');
    const alert = page.locator('#login-error');
    await alert.getByText('Enter a valid email or username and/or password.').waitFor();
    assert.equal(await alert.getAttribute('role'), 'alert');
    assert.match(page.url(), /\/login\?/, 'still on the login page');
    await screenshot(page, 'login-error');
    await submitLogin(page, ADMIN.email, ADMIN.password);
    await page.waitForURL((u) => u.pathname === APPS);
    await page.getByRole('heading', { name: 'No OAuth 2.0 Applications found' }).waitFor();
    await screenshot(page, 'oauth-apps-empty');
  });

  let clientId = '';
  let secret = '';

  it('adds an app: a field error shows next to its field, is corrected, and the confirmation shows the secret once, with a copy button', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'Add OAuth 2.0 Application' }).first().click();
    await page.waitForURL((u) => u.pathname === `${APPS}/add`);
    await page.getByRole('heading', { name: /Add/ }).waitFor();
    // The admin sees Is Trusted; every field is found by its label.
    await page.getByRole('group', { name: 'Is Trusted' }).getByLabel('Yes').check();
    await page.getByLabel('Display Name').fill('Weather Bot');
    await page.getByLabel('Description').fill('Posts the forecast for your city');
    await page.getByLabel('Homepage').fill('weather.example.com');
    await page.getByLabel('Icon URL').fill('');
    await page.getByLabel('Callback URLs (One Per Line)').fill(`${CALLBACK}\n\n${CALLBACK}/2\n`);
    await page.getByRole('button', { name: 'Save' }).click();

    const homepage = page.getByLabel('Homepage');
    await page.locator('#homepage-error').getByText('Homepage must be a valid URL and start with http:// or https://.').waitFor();
    assert.equal(await homepage.getAttribute('aria-invalid'), 'true');
    assert.equal(await focusedId(page), 'homepage', 'focus moves to the field to fix');
    assert.match((await homepage.getAttribute('aria-describedby')) ?? '', /homepage-error/);
    assert.equal(await page.locator('[data-testid="oauth-app"]').count(), 0);
    await screenshot(page, 'oauth-app-add-field-error');

    await homepage.fill('https://weather.example.com');
    await page.locator('#homepage-error').getByText(/./).waitFor({ state: 'detached' });
    assert.equal(await homepage.getAttribute('aria-invalid'), null);
    await page.getByRole('button', { name: 'Save' }).click();

    await page.getByRole('heading', { name: 'Setup Successful' }).waitFor();
    assert.match(page.url(), /\/main\/integrations\/confirm\?type=oauth2-apps&id=[a-z0-9]{26}$/);
    clientId = (await page.locator('#client_id').textContent()) ?? '';
    secret = (await page.locator('#client_secret').textContent()) ?? '';
    assert.match(clientId, /^[a-z0-9]{26}$/);
    assert.ok(secret.length >= 26, 'the secret is shown');
    await page.getByText('It will not be shown again').waitFor();
    await page.getByRole('button', { name: 'Copy the Client Secret' }).click();
    await page.getByRole('button', { name: 'Copy the Client Secret' }).getByText('Copied').waitFor();
    assert.equal(await clipboardText(page), secret, 'the clipboard holds the secret');
    assert.ok(await secretWorks(server.url, clientId, secret), 'the copied secret is the app\'s');
    await screenshot(page, 'oauth-app-confirmation');

    const stored = await admin.getOAuthApp(clientId);
    assert.equal(stored.name, 'Weather Bot');
    assert.equal(stored.is_trusted, true);
    assert.deepEqual(stored.callback_urls, [CALLBACK, `${CALLBACK}/2`], 'blank lines dropped');

    await page.getByRole('button', { name: 'Done' }).click();
    await page.waitForURL((u) => u.pathname === APPS);
    const item = page.locator('[data-testid="oauth-app"]');
    await item.getByText('Weather Bot').waitFor();
    await item.getByText(clientId).waitFor();
    await item.getByText('Trusted', { exact: true }).waitFor();
    assert.equal(await page.getByText(secret).count(), 0, 'the list never shows the secret');
    await screenshot(page, 'oauth-apps-list');
  });

  it('edits the app from the list', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'Edit Weather Bot' }).click();
    await page.waitForURL((u) => u.pathname === `${APPS}/edit`);
    const name = page.getByLabel('Display Name');
    await name.waitFor();
    assert.equal(await name.inputValue(), 'Weather Bot');
    assert.equal(await page.getByLabel('Callback URLs (One Per Line)').inputValue(), `${CALLBACK}\n${CALLBACK}/2`);
    await name.fill('x'.repeat(65));
    await page.getByRole('button', { name: 'Update' }).click();
    await page.locator('#name-error').getByText(/64 characters or fewer/).waitFor();
    await name.fill('Weather Bot Pro');
    await page.getByLabel('Icon URL').fill(`${server.url}/no-such-icon.png`);
    await page.getByRole('button', { name: 'Update' }).click();
    await page.waitForURL((u) => u.pathname === APPS);
    await page.locator('[data-testid="oauth-app"]').getByText('Weather Bot Pro').waitFor();
    assert.equal((await admin.getOAuthApp(clientId)).name, 'Weather Bot Pro');
  });

  it('regenerates the secret after a confirm dialog: the new one is shown once and the old one stops working', { timeout: 60_000 }, async () => {
    await page.getByRole('button', { name: 'Regenerate Secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'Regenerate Secret' });
    await dialog.waitFor();
    // Escape closes the dialog and changes nothing.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.ok(await secretWorks(server.url, clientId, secret));

    await page.getByRole('button', { name: 'Regenerate Secret' }).click();
    await dialog.getByRole('button', { name: 'Regenerate Secret' }).click();
    await dialog.waitFor({ state: 'detached' });
    const fresh = (await page.locator(`#secret_${clientId}`).textContent()) ?? '';
    assert.ok(fresh.length >= 26 && fresh !== secret);
    await page.getByText('it will not be shown again').waitFor();
    assert.ok(await secretWorks(server.url, clientId, fresh), 'the new secret works');
    assert.ok(!(await secretWorks(server.url, clientId, secret)), 'the old secret no longer works');
    await screenshot(page, 'oauth-apps-regenerated');
  });

  it('deletes the app after a dialog that says every user\'s access is revoked; the empty state comes back', { timeout: 60_000 }, async () => {
    await page.getByRole('button', { name: 'Delete Weather Bot Pro' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete OAuth 2.0 Application' });
    await dialog.getByText(/Every user's access through it is revoked/).waitFor();
    // Keyboard: focus starts on Cancel, Tab reaches Delete, Enter confirms.
    assert.equal(await focusedText(page), 'Cancel');
    await screenshot(page, 'oauth-app-delete-dialog', 'window');
    await page.keyboard.press('Tab');
    assert.equal(await focusedText(page), 'Delete');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'No OAuth 2.0 Applications found' }).waitFor();
    assert.deepEqual(await admin.getOAuthApps(0, 100), []);
  });

  it('reads well at a narrow width: no sideways scrolling', { timeout: 60_000 }, async () => {
    const { context: narrow, page: small } = await newPage(browser, server.url, { width: 380, height: 800 });
    try {
      await admin.createOAuthApp({ name: 'A rather long application name for a small screen', description: 'Checks wrapping', homepage: 'https://example.com/a/very/long/homepage/path/that/wraps', callback_urls: [`${CALLBACK}/with/a/very/long/path/that/must/wrap/somewhere`], is_trusted: false } as never);
      await loginAndOpen(small, APPS, ADMIN.username, ADMIN.password);
      await small.locator('[data-testid="oauth-app"]').first().waitFor();
      const overflow = await overflowX(small);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window`);
      await screenshot(small, 'oauth-apps-narrow');
      await small.getByRole('link', { name: 'Add OAuth 2.0 Application' }).click();
      await small.getByLabel('Display Name').waitFor();
      const formOverflow = await overflowX(small);
      assert.ok(formOverflow <= 0, `the form is ${formOverflow}px wider than the window`);
      await screenshot(small, 'oauth-app-add-narrow');
      assert.deepEqual(scriptErrors(small), []);
    } finally {
      await narrow.close();
    }
  });

  it('shows the server\'s refusal in place when it still refuses (the app was deleted meanwhile)', { timeout: 60_000 }, async () => {
    const [app] = await admin.getOAuthApps(0, 10);
    await page.goto(`${APPS}/edit?id=${app.id}`);
    await page.getByLabel('Display Name').fill('Renamed while gone');
    await admin.deleteOAuthApp(app.id);
    await page.getByRole('button', { name: 'Update' }).click();
    const refusal = page.locator('#serverError');
    await refusal.waitFor();
    assert.equal(await refusal.getAttribute('role'), 'alert');
    assert.ok(((await refusal.textContent()) ?? '').length > 0);
    assert.equal(await page.getByRole('button', { name: 'Update' }).isEnabled(), true, 'the button is usable again');
    assert.equal(new URL(page.url()).pathname, `${APPS}/edit`, 'the form stays, with what was typed');
    assert.equal(await page.getByLabel('Display Name').inputValue(), 'Renamed while gone');
  });

  it('ran without script errors', () => {
    assert.deepEqual(scriptErrors(page), []);
  });
});
