// Outgoing OAuth connections and slash commands in a real browser: an admin creates a connection
// against a real token server (oidc-provider on loopback) and goes through every Validate
// Connection state (a wrong secret, try again, validating, validated, dirty again), meets the
// "save anyway" dialog, edits the connection with its stored secret, then adds a slash command
// whose Request URL shows the "Connected to" hint, and runs it: the token server's token arrives.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Provider from 'oidc-provider';
import type { Page } from 'playwright-core';
import { startCommandReceiver, type CommandReceiver } from './command-helpers.js';
import { ADMIN, type Client } from './helpers.js';
import { focusedId, loginAndOpen, screenshot, scriptErrors, startBrowserSession, WAIT_MS, type BrowserSession } from './webapp-helpers.js';

const CONNECTIONS = '/main/integrations/outgoing-oauth2-connections';
const CLIENT_ID = 'chat-server';
const CLIENT_SECRET = 'the-right-secret-0123456789';

/** oidc-provider issuing client-credentials tokens on 127.0.0.1; requests can be held to watch the "validating" state. */
class TokenServer {
  private readonly server = http.createServer();
  private held: { release: () => void; promise: Promise<void> } | null = null;
  issued: string[] = [];
  requests = 0;
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    // oidc-provider announces its development defaults (in-memory adapter, generated keys) on the console.
    const { warn, info } = console;
    console.warn = console.info = () => undefined;
    let provider: Provider;
    try {
      provider = new Provider(this.url, {
        clients: [{
          client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_types: ['client_credentials'], redirect_uris: [], response_types: [],
          token_endpoint_auth_method: 'client_secret_post',
        }],
        features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
        ttl: { ClientCredentials: 600 },
      });
    } finally {
      console.warn = warn;
      console.info = info;
    }
    provider.on('client_credentials.saved', (...args: unknown[]) => void this.issued.push((args[0] as { jti: string }).jti));
    const callback = provider.callback();
    this.server.on('request', (req, res) => {
      this.requests++;
      void (this.held?.promise ?? Promise.resolve()).then(() => callback(req, res));
    });
  }

  hold(): void {
    let release!: () => void;
    const promise = new Promise<void>((done) => (release = done));
    this.held = { release, promise };
  }

  release(): void {
    this.held?.release();
    this.held = null;
  }

  stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}

describe('webapp: outgoing OAuth connections and slash commands (admin, Chromium, oidc-provider)', () => {
  let admin: Client;
  let tokens: TokenServer;
  let receiver: CommandReceiver;
  let page: Page;
  let session: BrowserSession | undefined;

  before(async () => {
    session = await startBrowserSession({ EnableOutgoingOAuthConnections: true, AllowedUntrustedInternalConnections: '127.0.0.1' });
    ({ admin, page } = session);
    tokens = new TokenServer();
    await tokens.start();
    receiver = await startCommandReceiver();
  });
  after(async () => {
    await session?.close(async () => {
      await receiver?.close();
      await tokens?.stop();
    });
  });

  const status = () => page.locator('#validationStatus');

  it('creates a connection: a wrong secret fails validation, "try again", validating, validated, dirty again, then "Save anyway"', { timeout: 90_000 }, async () => {
    await loginAndOpen(page, CONNECTIONS, ADMIN.username, ADMIN.password);
    await page.getByRole('heading', { name: 'No Outgoing OAuth 2.0 Connections found' }).waitFor();
    await page.getByRole('link', { name: 'Add Outgoing OAuth Connection' }).first().click();

    await page.getByLabel('Name', { exact: true }).fill('Weather API');
    await page.getByLabel('Client ID').fill(CLIENT_ID);
    await page.getByLabel('Client Secret').fill('a-wrong-secret');
    // The password grant asks for a username and a password; back to client credentials.
    await page.getByLabel('Grant Type').selectOption('password');
    await page.getByLabel('Username').waitFor();
    await page.getByLabel('Password', { exact: true }).waitFor();
    await page.getByLabel('Grant Type').selectOption('client_credentials');
    await page.getByLabel('Username').waitFor({ state: 'detached' });
    await page.getByLabel('OAuth Token URL').fill(`${tokens.url}/token`);
    await page.getByLabel('Audience URLs (One Per Line)').fill(`${receiver.url}/weather*\n\n`);
    assert.equal(await page.getByLabel('Cache tokens').isChecked(), false, 'caching is off by default');
    await screenshot(page, 'outgoing-connection-add');

    const validateButton = page.locator('#validateConnection');
    assert.equal((await validateButton.textContent())?.trim(), 'Validate Connection');
    await validateButton.click();
    await status().getByText('Connection not validated. Please check the server logs for details or').waitFor();
    await status().getByRole('alert').waitFor();
    await screenshot(page, 'outgoing-connection-validate-error');

    // "try again" asks the token server again.
    const before = tokens.requests;
    tokens.hold();
    await status().getByRole('button', { name: 'try again' }).click();
    await validateButton.getByText('Validating...').waitFor();
    assert.equal(await validateButton.isDisabled(), true, 'the button is disabled while validating');
    assert.equal(await validateButton.getAttribute('aria-busy'), 'true');
    await screenshot(page, 'outgoing-connection-validating');
    tokens.release();
    await status().getByText('Connection not validated.').waitFor();
    assert.equal(tokens.requests, before + 1);

    // The right secret: validated.
    await page.getByLabel('Client Secret').fill(CLIENT_SECRET);
    await status().getByText('Not validated yet').waitFor();
    await validateButton.click();
    await status().getByText('Validated connection').waitFor();
    assert.ok(tokens.issued.length >= 1, 'the token server issued a token');
    await screenshot(page, 'outgoing-connection-validated');

    // Editing the token URL makes the validation stale again; saving then asks first.
    await page.getByLabel('OAuth Token URL').fill(`${tokens.url}/token/`);
    await page.getByLabel('OAuth Token URL').fill(`${tokens.url}/token`);
    await status().getByText('Not validated yet').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save Outgoing OAuth Connection' });
    await dialog.getByText('This connection has not been validated. Do you want to save anyway?').waitFor();
    await screenshot(page, 'outgoing-connection-save-anyway', 'window');
    await dialog.getByRole('button', { name: 'Save anyway' }).click();

    await page.waitForURL((u) => u.pathname === CONNECTIONS);
    const item = page.locator('[data-testid="outgoing-connection"]');
    await item.getByText('Weather API').waitFor();
    await item.getByText(`${receiver.url}/weather*`).waitFor();
    await screenshot(page, 'outgoing-connections-list');

    const [saved] = await admin.getOutgoingOAuthConnections('', 0, 10);
    assert.equal(saved.name, 'Weather API');
    assert.equal(saved.client_id, CLIENT_ID);
    assert.equal(saved.client_secret, '', 'the secret is never read back');
    assert.deepEqual(saved.audiences, [`${receiver.url}/weather*`], 'blank lines dropped');
    assert.equal((saved as unknown as { cache_tokens: boolean }).cache_tokens, false);
  });

  it('edits the connection: the stored secret is masked, validates untouched, and stays', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'Edit Weather API' }).click();
    const masked = page.locator('#client_secret');
    await masked.waitFor();
    assert.equal(await masked.inputValue(), '•'.repeat(40));
    assert.equal(await masked.isDisabled(), true);
    await page.getByRole('button', { name: 'Edit Client Secret' }).waitFor();
    await status().getByText('Not validated yet.').waitFor();
    await page.locator('#validateConnection').click();
    await status().getByText('Validated connection').waitFor();
    await page.getByLabel('Cache tokens').check();
    await screenshot(page, 'outgoing-connection-edit');
    await page.getByRole('button', { name: 'Update' }).click();
    // Validated: no question asked.
    await page.waitForURL((u) => u.pathname === CONNECTIONS);
    await page.locator('[data-testid="outgoing-connection"]').getByText('Caches tokens').waitFor();
    const [saved] = await admin.getOutgoingOAuthConnections('', 0, 10);
    assert.equal((saved as unknown as { cache_tokens: boolean }).cache_tokens, true);
    // The stored secret is still the right one.
    await admin.validateOutgoingOAuthConnection('', { ...saved, client_secret: '' } as never);

    // The pencil opens an empty field; a new value there makes the validation stale.
    await page.getByRole('link', { name: 'Edit Weather API' }).click();
    await page.getByRole('button', { name: 'Edit Client Secret' }).click();
    const secret = page.getByLabel('Client Secret');
    assert.equal(await secret.inputValue(), '');
    assert.equal(await secret.isEditable(), true);
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL((u) => u.pathname === CONNECTIONS);
  });

  it('moving the OAuth Token URL to another server asks for the secret again', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'Edit Weather API' }).click();
    await page.locator('#client_secret').waitFor();
    assert.equal(await page.locator('#client_secret').isDisabled(), true, 'masked while the server stays');
    const tokenUrl = page.getByLabel('OAuth Token URL');
    const stored = await tokenUrl.inputValue();
    const elsewhere = stored.replace('127.0.0.1', 'localhost');
    assert.notEqual(elsewhere, stored);
    await tokenUrl.fill(elsewhere);
    const secret = page.getByLabel('Client Secret');
    await page.getByText('The OAuth Token URL now points to another server: enter the Client Secret for it again.').waitFor();
    assert.equal(await secret.isEditable(), true);
    assert.equal(await secret.inputValue(), '');
    await page.getByRole('button', { name: 'Update' }).click();
    await page.getByText('Client Secret is required: up to 255 characters.').waitFor();
    assert.equal(await focusedId(page), 'client_secret', 'focus on the field to fix');
    await screenshot(page, 'outgoing-connection-moved-token-url');
    // Back to the same server: the stored secret may stay again.
    await tokenUrl.fill(stored);
    await page.locator('#client_secret[disabled]').waitFor();
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL((u) => u.pathname === CONNECTIONS);
  });

  it('the slash command form shows which connection covers the Request URL, 1 s after typing stops; the command gets its token', { timeout: 60_000 }, async () => {
    await page.goto('/main/integrations/commands/add');
    await page.getByLabel('Command Trigger Word').fill('weather');
    await page.getByLabel('Title').fill('Weather');
    await page.getByLabel('Description').fill('The forecast');
    const url = page.getByLabel('Request URL');
    const hint = page.locator('#url-connection');
    await hint.waitFor({ state: 'attached' });

    await url.fill(`${receiver.url}/elsewhere`);
    await hint.getByText('Not linked to an OAuth connection').waitFor({ timeout: WAIT_MS });
    const typedAt = Date.now();
    await url.fill(`${receiver.url}/weather/json`);
    // Not before the user stops typing for a second.
    await page.waitForTimeout(400);
    assert.equal(await hint.textContent(), '', 'no hint while typing: the earlier one is gone, the new one not there yet');
    await hint.getByText('Connected to "Weather API"').waitFor({ timeout: WAIT_MS });
    assert.ok(Date.now() - typedAt >= 900, 'the hint waits about a second');
    assert.match((await url.getAttribute('aria-describedby')) ?? '', /url-connection/);
    await screenshot(page, 'slash-command-connected-hint');

    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Setup Successful' }).waitFor();
    const token = (await page.locator('#token').textContent()) ?? '';
    assert.match(token, /^[a-z0-9]{26}$/);
    await screenshot(page, 'slash-command-confirmation');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('[data-testid="slash-command"]').getByText('- /weather').waitFor();
    await screenshot(page, 'slash-commands-list');

    // Running it sends the token server's token, not the command token.
    const team = await admin.getTeamByName('main');
    const channel = await admin.getChannelByName(team.id, 'town-square');
    const issued = tokens.issued.length;
    await admin.executeCommand('/weather', { channel_id: channel.id, team_id: team.id } as never);
    const received = receiver.requestsTo('json').at(-1);
    assert.ok(received, 'the integration was called');
    assert.match(String(received.headers.authorization), /^Bearer \S+$/);
    assert.equal(tokens.issued.length, issued + 1, 'a token was fetched for the request');
  });

  it('edits and deletes the slash command', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'Edit /weather' }).click();
    const description = page.getByLabel('Description');
    await description.waitFor();
    assert.equal(await description.inputValue(), 'The forecast');
    assert.equal(await page.getByLabel('Request Method').inputValue(), 'P');
    await description.fill('Tomorrow\'s forecast');
    await page.getByLabel('Request Method').selectOption('G');
    await page.getByRole('button', { name: 'Update' }).click();
    const item = page.locator('[data-testid="slash-command"]');
    await item.getByText('Tomorrow\'s forecast').waitFor();
    await item.getByText(/^GET /).waitFor();

    await page.getByRole('button', { name: 'Delete /weather' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Slash Command' });
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'No custom slash commands found' }).waitFor();
    const team = await admin.getTeamByName('main');
    assert.deepEqual(await admin.getCustomTeamCommands(team.id), []);
  });

  it('ran without script errors', () => {
    assert.deepEqual(scriptErrors(page), []);
  });
});
