// System Console → Integration Management in a real browser: the switches take effect on the
// server (the provider's routes answer 501 when it is off), Dynamic Client Registration with its
// allowlist, outgoing connections, and "Restrict managing integrations to Admins" as a user sees it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ADMIN, createUser, USER, type Client, type TestServer } from './helpers.js';
import { loginAndOpen, newPage, screenshot, screenshotOf, scriptErrors, startBrowserSession, type BrowserSession } from './webapp-helpers.js';

const CONSOLE = '/admin_console/integrations/integration_management';

async function statusOf(url: string): Promise<number> {
  const res = await fetch(url, { redirect: 'manual' });
  await res.body?.cancel();
  return res.status;
}

describe('webapp: System Console → Integration Management (Chromium)', () => {
  let server: TestServer;
  let admin: Client;
  let browser: Browser;
  let page: Page;
  let session: BrowserSession | undefined;

  before(async () => {
    session = await startBrowserSession();
    ({ server, admin, browser, page } = session);
    await createUser(server.url, admin);
  });
  after(async () => {
    await session?.close();
  });

  const authorize = () => `${server.url}/oauth/authorize?response_type=code&client_id=${'a'.repeat(26)}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb`;
  const providerSwitch = () => page.getByRole('switch', { name: 'Enable OAuth 2.0 Service Provider:' });
  const save = async () => {
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText('Settings saved.').waitFor();
  };

  it('turning the provider on and off takes effect: /oauth/authorize answers 501 while it is off', { timeout: 60_000 }, async () => {
    assert.equal(await statusOf(authorize()), 501, 'off by default');
    await loginAndOpen(page, CONSOLE, ADMIN.username, ADMIN.password);
    await providerSwitch().waitFor();
    assert.equal(await providerSwitch().isChecked(), false);
    assert.equal(await page.getByRole('button', { name: 'Save' }).isDisabled(), true, 'nothing to save yet');
    assert.equal(await page.getByRole('switch', { name: 'Enable Dynamic Client Registration:' }).isDisabled(), true, 'DCR needs the provider');
    await page.getByText('acts as an OAuth 2.0 service provider').waitFor();
    await screenshot(page, 'console-integration-management');

    // Keyboard: focus the switch and press Space.
    await providerSwitch().focus();
    await page.keyboard.press('Space');
    assert.equal(await providerSwitch().isChecked(), true);
    await save();
    assert.equal((await admin.getConfig()).ServiceSettings.EnableOAuthServiceProvider, true);
    assert.notEqual(await statusOf(authorize()), 501, 'the provider answers now');
    assert.equal(await statusOf(`${server.url}/.well-known/oauth-authorization-server`), 200);

    await providerSwitch().click();
    await save();
    assert.equal(await statusOf(authorize()), 501);
    assert.equal(await statusOf(`${server.url}/.well-known/oauth-authorization-server`), 501);
  });

  it('Dynamic Client Registration with its redirect URI allowlist', { timeout: 60_000 }, async () => {
    await providerSwitch().click();
    const dcr = page.getByRole('switch', { name: 'Enable Dynamic Client Registration:' });
    await dcr.click();
    const allowlist = page.getByLabel('DCR Redirect URI Allowlist:');
    await allowlist.fill('ftp://apps.example.com/*');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Each pattern must start with http:// or https://').waitFor();
    assert.equal(await allowlist.getAttribute('aria-invalid'), 'true');
    await allowlist.fill('https://apps.example.com/**\n\nhttp://127.0.0.1:*/callback');
    await save();
    await screenshot(page, 'console-dcr-on');
    const settings = (await admin.getConfig()).ServiceSettings as unknown as Record<string, unknown>;
    assert.equal(settings.EnableDynamicClientRegistration, true);
    assert.deepEqual(settings.DCRRedirectURIAllowlist, ['https://apps.example.com/**', 'http://127.0.0.1:*/callback']);
    const metadata = await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json() as Record<string, unknown>;
    assert.equal(metadata.registration_endpoint, `${server.url}/api/v4/oauth/apps/register`);
  });

  it('Client ID Metadata Documents with their allowlist: the metadata advertises them while on', { timeout: 60_000 }, async () => {
    const documents = page.getByRole('switch', { name: 'Enable Client ID Metadata Documents:' });
    const allowlist = page.getByLabel('Client ID Metadata Document Allowlist:');
    const advertised = async () => {
      const metadata = await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json() as Record<string, unknown>;
      return metadata.client_id_metadata_document_supported;
    };
    assert.equal(await documents.isChecked(), false, 'off by default');
    assert.equal(await allowlist.isDisabled(), true, 'the allowlist needs the switch');
    assert.equal(await advertised(), undefined);
    await documents.click();
    await allowlist.fill('http://client.example.com/**');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Each pattern must start with https://').waitFor();
    assert.equal(await allowlist.getAttribute('aria-invalid'), 'true');
    await allowlist.fill('https://client.example.com/**\nhttps://*.tools.example.com/**');
    await save();
    await screenshot(page, 'console-client-id-metadata-documents-on');
    const setting = (control: typeof documents) => page.locator('.setting', { has: control });
    await screenshotOf(page, 'console-client-metadata-documents', [setting(documents), setting(allowlist)]);
    const settings = (await admin.getConfig()).ServiceSettings as unknown as Record<string, unknown>;
    assert.equal(settings.EnableClientIdMetadataDocuments, true);
    assert.deepEqual(settings.ClientIdMetadataDocumentAllowlist, ['https://client.example.com/**', 'https://*.tools.example.com/**']);
    assert.equal(await advertised(), true);
    await documents.click();
    await save();
    assert.equal(await advertised(), undefined, 'off again: not advertised');
  });

  it('outgoing connections and "Restrict managing integrations to Admins" take effect for a user', { timeout: 60_000 }, async () => {
    const outgoing = page.getByRole('switch', { name: 'Enable Outgoing OAuth Connections:' });
    const connections = () => fetch(`${server.url}/api/v4/oauth/outgoing_connections`).then((r) => r.status);
    assert.equal(await connections(), 501);
    await outgoing.click();
    const restrict = page.getByRole('switch', { name: 'Restrict managing integrations to Admins:' });
    assert.equal(await restrict.isChecked(), true, 'on by default');
    await restrict.click();
    await save();
    assert.equal(await connections(), 401, 'on: the API answers (and wants a session)');
    assert.equal(((await admin.getConfig()).ServiceSettings as unknown as Record<string, unknown>).EnableOnlyAdminIntegrations, false);

    // A user may now manage OAuth apps, but does not see "Is Trusted" (admins only).
    const { context: userContext, page: userPage } = await newPage(browser, server.url);
    try {
      await loginAndOpen(userPage, '/main/integrations/oauth2-apps', USER.username, USER.password);
      await userPage.getByRole('heading', { name: 'No OAuth 2.0 Applications found' }).waitFor();
      await userPage.getByRole('link', { name: 'Add OAuth 2.0 Application' }).first().click();
      await userPage.getByLabel('Display Name').waitFor();
      assert.equal(await userPage.getByRole('group', { name: 'Is Trusted' }).count(), 0);
      await userPage.getByRole('group', { name: 'Is Public Client' }).waitFor();

      // Restricted again: the user is told so.
      await restrict.click();
      await save();
      await userPage.goto('/main/integrations/oauth2-apps');
      await userPage.getByRole('alert').getByText('Integrations have been limited to admins only.').waitFor();
      await screenshot(userPage, 'oauth-apps-restricted-user');

      // The System Console is for admins only.
      await userPage.goto(CONSOLE);
      await userPage.getByRole('alert').getByText('You do not have permission to view this page.').waitFor();
      assert.equal(await userPage.getByRole('switch').count(), 0);
      assert.deepEqual(scriptErrors(userPage), []);
    } finally {
      await userContext.close();
    }
  });

  it('outgoing webhooks and the username and icon overrides are switched from here and take effect', { timeout: 60_000 }, async () => {
    const webhooks = page.getByRole('switch', { name: 'Enable Outgoing Webhooks:' });
    const username = page.getByRole('switch', { name: 'Enable integrations to override usernames:' });
    const icon = page.getByRole('switch', { name: 'Enable integrations to override profile picture icons:' });
    assert.equal(await webhooks.isChecked(), true, 'on by default, as in Mattermost');
    assert.equal(await username.isChecked(), false);
    assert.equal(await icon.isChecked(), false);
    const hooks = async () => (await fetch(`${server.url}/api/v4/hooks/outgoing?team_id=${'x'.repeat(26)}`, {
      headers: { Authorization: `Bearer ${admin.getToken()}` },
    })).status;
    assert.notEqual(await hooks(), 501);
    await webhooks.click();
    await username.click();
    await icon.click();
    await save();
    assert.equal(await hooks(), 501, 'off: every outgoing webhook route answers 501');
    const settings = (await admin.getConfig()).ServiceSettings as unknown as Record<string, unknown>;
    assert.deepEqual([settings.EnableOutgoingWebhooks, settings.EnablePostUsernameOverride, settings.EnablePostIconOverride], [false, true, true]);
    await webhooks.click();
    await save();
    assert.notEqual(await hooks(), 501, 'on again');
  });

  it('ran without script errors', () => {
    assert.deepEqual(scriptErrors(page), []);
  });
});
