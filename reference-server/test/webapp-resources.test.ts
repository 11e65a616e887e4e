// The webapp in a real browser: a system admin registers protected resources (RFC 9728) through
// Integrations → Protected Resources (a refused identifier stores nothing; the secret is shown once
// and works at the introspection endpoint; edit, regenerate secret, delete), a user is refused, and
// the entry goes away while the provider is off. On the real host with the real plugin.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ADMIN, createUser, postForm, USER, type Client, type TestServer } from './helpers.js';
import { clipboardText, loginAndOpen, newPage, overflowX, screenshot, scriptErrors, startBrowserSession, type BrowserSession } from './webapp-helpers.js';

const RESOURCES = '/main/integrations/protected-resources';
const API = '/plugins/oauth-plugin/api/v1/resources';

interface StoredResource {
  id: string;
  name: string;
  identifier: string;
  scopes: string[];
  token_format: string;
}

/** The resources API as `client`'s session calls it: the status and the JSON body. */
async function resourcesApi(url: string, client: Client, path = '', method = 'GET', body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}${API}${path}`, {
    method, headers: { Authorization: `Bearer ${client.getToken()}` }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** The Integrations sidebar once it knows every entry it shows (it is aria-busy until then). */
async function settledSidebar(page: Page) {
  const sidebar = page.locator('nav[aria-label="Integrations"]:not([aria-busy])');
  await sidebar.waitFor();
  return sidebar;
}

async function storedResources(url: string, admin: Client): Promise<StoredResource[]> {
  const { status, body } = await resourcesApi(url, admin);
  assert.equal(status, 200);
  return body as StoredResource[];
}

/** Whether the introspection endpoint accepts this resource id and secret (an unknown token is then inactive, not refused). */
async function secretWorks(url: string, resourceId: string, secret: string): Promise<boolean> {
  const res = await postForm(url, '/oauth/introspect', { token: 'no-such-token', client_id: resourceId, client_secret: secret });
  if (res.status === 200 && res.body.active === false) return true;
  if (res.status === 401 && res.body.error === 'invalid_client') return false;
  throw new Error(`unexpected introspection answer ${res.status}: ${JSON.stringify(res.body)}`);
}

describe('webapp: protected resources (system admin, Chromium)', () => {
  let server: TestServer;
  let admin: Client;
  let userClient: Client;
  let browser: Browser;
  let page: Page;
  let session: BrowserSession | undefined;

  before(async () => {
    session = await startBrowserSession({ EnableOAuthServiceProvider: true });
    ({ server, admin, browser, page } = session);
    ({ client: userClient } = await createUser(server.url, admin));
  });
  after(async () => {
    await session?.close();
  });

  const item = () => page.locator('[data-testid="protected-resource"]');

  it('Integrations offers Protected Resources to the admin, beside OAuth 2.0 Applications; the list starts empty', { timeout: 60_000 }, async () => {
    await loginAndOpen(page, '/main/integrations', ADMIN.username, ADMIN.password);
    const sidebar = await settledSidebar(page);
    const entries = await sidebar.getByRole('link').allTextContents();
    assert.equal(entries.indexOf('Protected Resources'), entries.indexOf('OAuth 2.0 Applications') + 1);
    await page.getByRole('main').getByRole('link', { name: /Protected Resources/ }).click();
    await page.waitForURL((u) => u.pathname === RESOURCES);
    await page.getByRole('heading', { name: 'No protected resources registered' }).waitFor();
  });

  let resourceId = '';
  let secret = '';

  it('refuses a bad identifier next to its field, and the server\'s refusal next to the form; neither stores anything', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'Add Protected Resource' }).click();
    await page.waitForURL((u) => u.pathname === `${RESOURCES}/add`);
    await page.getByLabel('Identifier').fill('mcp.example.com');
    await page.getByLabel('Name').fill('Chat MCP');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#identifier-error').getByText('Identifier must be a URL that starts with https://').waitFor();
    assert.equal(await page.getByLabel('Identifier').getAttribute('aria-invalid'), 'true');

    await page.getByLabel('Identifier').fill('https://MCP.example.com/./mcp');
    await page.locator('#identifier-error').getByText('write it as “https://mcp.example.com/mcp”').waitFor();

    // The SiteURL itself (a bare origin, as MCP clients write one) passes the browser's checks;
    // only the server knows it is its own.
    await page.getByLabel('Identifier').fill(server.url);
    await page.getByRole('button', { name: 'Save' }).click();
    const refusal = page.locator('#serverError');
    await refusal.getByText('is the chat server\'s own identifier (the SiteURL)').waitFor();
    assert.equal(await refusal.getAttribute('role'), 'alert');
    assert.equal(new URL(page.url()).pathname, `${RESOURCES}/add`, 'the form stays, with what was typed');
    await screenshot(page, 'protected-resource-add-refused');
    assert.deepEqual(await storedResources(server.url, admin), []);
  });

  it('adds a resource under the SiteURL: its id and secret are shown once with copy buttons, with the introspection endpoint and the metadata the plugin serves', { timeout: 60_000 }, async () => {
    await page.getByLabel('Identifier').fill(`${server.url}/mcp`);
    await page.getByLabel('Scopes').fill('mcp:tools openid');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#scopes-error').getByText('Scope “openid” belongs to the chat server.').waitFor();
    await page.getByLabel('Scopes').fill('mcp:tools mcp:resources');
    await page.getByRole('button', { name: 'Save' }).click();

    await page.getByRole('heading', { name: 'Setup Successful' }).waitFor();
    resourceId = (await page.locator('#resource_id').textContent()) ?? '';
    secret = (await page.locator('#resource_secret').textContent()) ?? '';
    assert.match(resourceId, /^[a-z0-9]{26}$/);
    assert.ok(secret.length >= 26, 'the secret is shown');
    await page.getByText('It will not be shown again').waitFor();
    await page.getByText(/authenticate to the introspection endpoint/).waitFor();
    assert.equal(await page.locator('#introspection_endpoint').textContent(), `${server.url}/oauth/introspect`);
    await page.getByRole('button', { name: 'Copy the Secret' }).click();
    await page.getByRole('button', { name: 'Copy the Secret' }).getByText('Copied').waitFor();
    assert.equal(await clipboardText(page), secret, 'the clipboard holds the secret');
    assert.ok(await secretWorks(server.url, resourceId, secret), 'the copied secret authenticates the resource');

    const metadataUrl = (await page.locator('#metadata_url').textContent()) ?? '';
    assert.equal(metadataUrl, `${server.url}/.well-known/oauth-protected-resource/mcp`);
    const served = await (await fetch(metadataUrl)).json();
    assert.deepEqual(JSON.parse((await page.locator('#metadata_document').textContent()) ?? ''), served, 'the page shows the document the plugin serves');
    await screenshot(page, 'protected-resource-created');

    const [stored] = await storedResources(server.url, admin);
    assert.deepEqual(
      { id: stored.id, name: stored.name, identifier: stored.identifier, scopes: stored.scopes, token_format: stored.token_format },
      { id: resourceId, name: 'Chat MCP', identifier: `${server.url}/mcp`, scopes: ['mcp:tools', 'mcp:resources'], token_format: 'introspection' },
    );
  });

  it('lists the resources with identifier, token format, scopes and metadata URL, never the secret', { timeout: 60_000 }, async () => {
    await page.getByRole('button', { name: 'Done' }).click();
    await page.waitForURL((u) => u.pathname === RESOURCES);
    await item().getByText('Chat MCP').waitFor();
    const mine = item().filter({ hasText: 'Chat MCP' });
    await mine.getByText(`${server.url}/mcp`, { exact: true }).waitFor();
    await mine.getByText('mcp:tools mcp:resources').waitFor();
    await mine.getByText('Introspection', { exact: true }).waitFor();
    await mine.getByText(`${server.url}/.well-known/oauth-protected-resource/mcp`).waitFor();
    assert.equal(await page.getByText(secret).count(), 0);

    // One beside the chat server, registered through the API: it serves its metadata itself.
    const beside = 'https://mcp.example.com/';
    const created = await resourcesApi(server.url, admin, '', 'POST', { identifier: beside, name: 'Docs search', scopes: ['search'], token_format: 'jwt' });
    assert.equal(created.status, 201);
    await page.reload();
    const other = item().filter({ hasText: 'Docs search' });
    await other.getByText('JWT', { exact: true }).waitFor();
    await other.getByText('Served by the resource itself').waitFor();
    await screenshot(page, 'protected-resources-list');
  });

  it('reads well at a narrow width: no sideways scrolling', { timeout: 60_000 }, async () => {
    const { context, page: small } = await newPage(browser, server.url, { width: 380, height: 800 });
    try {
      await loginAndOpen(small, RESOURCES, ADMIN.username, ADMIN.password);
      await small.locator('[data-testid="protected-resource"]').nth(1).waitFor();
      const overflow = await overflowX(small);
      assert.ok(overflow <= 0, `the list is ${overflow}px wider than the window`);
      await screenshot(small, 'protected-resources-narrow');
      assert.deepEqual(scriptErrors(small), []);
    } finally {
      await context.close();
    }
  });

  it('edits the name from the list', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'Edit Chat MCP' }).click();
    await page.waitForURL((u) => u.pathname === `${RESOURCES}/edit`);
    const name = page.getByLabel('Name');
    await name.waitFor();
    assert.equal(await page.getByLabel('Identifier').inputValue(), `${server.url}/mcp`);
    assert.equal(await page.getByLabel('Scopes').inputValue(), 'mcp:tools mcp:resources');
    await name.fill('x'.repeat(65));
    await page.getByRole('button', { name: 'Update' }).click();
    await page.locator('#name-error').getByText(/64 characters or fewer/).waitFor();
    await name.fill('Chat MCP tools');
    await page.getByRole('button', { name: 'Update' }).click();
    await page.waitForURL((u) => u.pathname === RESOURCES);
    await item().getByText('Chat MCP tools').waitFor();
    const stored = (await storedResources(server.url, admin)).find((r) => r.id === resourceId);
    assert.equal(stored?.name, 'Chat MCP tools');
    assert.deepEqual(stored?.scopes, ['mcp:tools', 'mcp:resources'], 'the rest is kept');
  });

  it('regenerates the secret after a confirm dialog: the new one is shown once, the old one no longer authenticates', { timeout: 60_000 }, async () => {
    await page.getByRole('button', { name: 'Regenerate the secret of Chat MCP tools' }).click();
    const dialog = page.getByRole('dialog', { name: 'Regenerate Secret' });
    await dialog.getByRole('button', { name: 'Regenerate Secret' }).click();
    await page.getByRole('heading', { name: 'Secret Regenerated' }).waitFor();
    assert.equal(await page.locator('#resource_id').textContent(), resourceId);
    const fresh = (await page.locator('#resource_secret').textContent()) ?? '';
    assert.ok(fresh.length >= 26 && fresh !== secret);
    assert.ok(await secretWorks(server.url, resourceId, fresh), 'the new secret works');
    assert.ok(!(await secretWorks(server.url, resourceId, secret)), 'the old secret no longer works');
    secret = fresh;
    await page.getByRole('button', { name: 'Done' }).click();
    await page.waitForURL((u) => u.pathname === RESOURCES);
    assert.equal(await page.getByText(fresh).count(), 0, 'shown once');
  });

  it('deletes the resource after a confirm dialog: it leaves the list and the store, and its secret stops working', { timeout: 60_000 }, async () => {
    await page.getByRole('button', { name: 'Delete Chat MCP tools' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Protected Resource' });
    await dialog.getByText(/This cannot be undone/).waitFor();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await item().filter({ hasText: 'Chat MCP tools' }).waitFor({ state: 'detached' });
    await item().filter({ hasText: 'Docs search' }).waitFor();
    assert.deepEqual((await storedResources(server.url, admin)).map((r) => r.name), ['Docs search']);
    assert.equal((await resourcesApi(server.url, admin, `/${resourceId}`)).status, 404);
    assert.ok(!(await secretWorks(server.url, resourceId, secret)));
  });

  it('a user sees no entry and is refused the page; the API refuses them too', { timeout: 60_000 }, async () => {
    const { context, page: userPage } = await newPage(browser, server.url);
    try {
      await loginAndOpen(userPage, RESOURCES, USER.username, USER.password);
      await userPage.getByRole('alert').getByText('You do not have permission to view this page.').waitFor();
      assert.equal(await userPage.getByText('Docs search').count(), 0);
      const sidebar = await settledSidebar(userPage);
      await sidebar.getByRole('link', { name: 'OAuth 2.0 Applications' }).waitFor();
      assert.equal(await userPage.getByRole('link', { name: 'Protected Resources' }).count(), 0);
      assert.equal((await resourcesApi(server.url, userClient)).status, 403);
      assert.deepEqual(scriptErrors(userPage), []);
    } finally {
      await context.close();
    }
  });

  it('while the provider is off the entry is gone and the page says why', { timeout: 60_000 }, async () => {
    await admin.patchConfig({ ServiceSettings: { EnableOAuthServiceProvider: false } } as never);
    await page.goto('/main/integrations');
    const sidebar = await settledSidebar(page);
    await sidebar.getByRole('link', { name: 'OAuth 2.0 Applications' }).waitFor();
    await page.locator('ul.cards:not([aria-busy])').waitFor();
    assert.equal(await page.getByRole('link', { name: /Protected Resources/ }).count(), 0, 'neither in the sidebar nor as a card');
    await page.goto(RESOURCES);
    await page.getByRole('alert').getByRole('link', { name: 'Open the System Console' }).waitFor();
    assert.equal((await resourcesApi(server.url, admin)).status, 501);
  });

  it('ran without script errors', () => {
    assert.deepEqual(scriptErrors(page), []);
  });
});
