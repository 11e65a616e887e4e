// Outgoing webhooks in the backstage, in a real browser: an admin finds the page from the
// Integrations home, meets the form's own checks, adds a hook (the Callback URLs say, line by line,
// which outgoing OAuth connection covers each), copies its token from the confirmation, meets the
// server's refusal of a second hook that intersects the first, edits, regenerates the token, deletes,
// and sees the server's answer when outgoing webhooks are switched off.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { mainTeamAndChannel } from './command-helpers.js';
import { ADMIN, type Client } from './helpers.js';
import { focusedId, loginAndOpen, screenshot, screenshotOf, scriptErrors, startBrowserSession, type BrowserSession } from './webapp-helpers.js';

const HOOKS = '/main/integrations/outgoing_webhooks';
const COVERED = 'https://ci.example.com/hooks/deploy';
const UNCOVERED = 'https://chat-bot.example.com/hook';

describe('webapp: outgoing webhooks in the backstage (admin, Chromium)', () => {
  let admin: Client;
  let page: Page;
  let session: BrowserSession | undefined;
  let teamId = '';
  let townSquare = '';

  before(async () => {
    session = await startBrowserSession({ EnableOutgoingOAuthConnections: true });
    ({ admin, page } = session);
    ({ teamId, channelId: townSquare } = await mainTeamAndChannel(admin));
    await admin.createOutgoingOAuthConnection(teamId, {
      name: 'Deploy API', client_id: 'chat-server', client_secret: 'a-secret-of-the-chat-server', grant_type: 'client_credentials',
      oauth_token_url: 'https://auth.example.com/token', audiences: ['https://ci.example.com/hooks/*'],
    } as never);
  });
  after(async () => {
    await session?.close();
  });

  const item = () => page.locator('[data-testid="outgoing-webhook"]');
  const hooks = () => admin.getOutgoingWebhooks('', teamId);

  it('is reached from the Integrations home; an empty form is refused field by field, focus on the first to fix', { timeout: 60_000 }, async () => {
    await loginAndOpen(page, '/main/integrations', ADMIN.username, ADMIN.password);
    await page.getByRole('main').getByRole('link', { name: /^Outgoing Webhooks/ }).click();
    await page.waitForURL((u) => u.pathname === HOOKS);
    await page.getByRole('heading', { name: 'No outgoing webhooks found' }).waitFor();
    await page.locator('#addOutgoingWebhook').click();
    await page.waitForURL((u) => u.pathname === `${HOOKS}/add`);

    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#triggerWords-error').getByText('A valid channel or a list of trigger words is required.').waitFor();
    await page.locator('#callbackUrls-error').getByText('One or more callback URLs are required.').waitFor();
    assert.equal(await focusedId(page), 'triggerWords');
    await page.getByLabel('Trigger Words (One Per Line)').fill('deploy now');
    await page.locator('#triggerWords-error').getByText('A trigger word must be one word, without spaces. (“deploy now”)').waitFor();
    await page.getByLabel('Callback URLs (One Per Line)').fill('ftp://ci.example.com/hook');
    await page.locator('#callbackUrls-error').getByText('Callback URL must be a valid URL and start with http:// or https://.', { exact: false }).waitFor();
    assert.equal((await hooks()).length, 0, 'nothing was sent');
  });

  it('adds a hook: each callback URL says which connection covers it; the confirmation shows the token', { timeout: 60_000 }, async () => {
    await page.getByLabel('Title').fill('Deploys');
    await page.getByLabel('Description').fill('Starts a deploy');
    await page.getByLabel('Content Type').selectOption('application/json');
    await page.getByLabel('Channel').selectOption({ label: 'Town Square' });
    await page.getByLabel('Trigger Words (One Per Line)').fill('deploy\nship\n');
    await page.getByLabel('Trigger When').selectOption({ label: 'First word starts with a trigger word' });
    await page.getByLabel('Callback URLs (One Per Line)').fill(`${COVERED}\n\n${UNCOVERED}`);
    await page.getByLabel('Username').fill('deploy-bot');
    await page.getByLabel('Profile Picture').fill('https://ci.example.com/bot.png');

    const hints = page.locator('#callbackUrls-connection li');
    await hints.nth(1).waitFor();
    assert.deepEqual(await hints.allTextContents(), [
      `${COVERED}: Connected to "Deploy API"`,
      `${UNCOVERED}: Not linked to an OAuth connection`,
    ]);
    assert.match((await page.getByLabel('Callback URLs (One Per Line)').getAttribute('aria-describedby')) ?? '', /callbackUrls-connection/);
    await screenshotOf(page, 'outgoing-webhook-callback-hints', [page.locator('#callbackUrls-label'), page.locator('#callbackUrls-help')]);
    await screenshot(page, 'outgoing-webhook-add');

    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Setup Successful' }).waitFor();
    assert.match(new URL(page.url()).search, /type=outgoing_webhooks/);
    const token = (await page.locator('#token').textContent()) ?? '';
    const [saved] = await hooks();
    assert.equal(token, saved.token);
    assert.equal(saved.display_name, 'Deploys');
    assert.equal(saved.content_type, 'application/json');
    assert.equal(saved.channel_id, townSquare);
    assert.deepEqual(saved.trigger_words, ['deploy', 'ship'], 'blank lines dropped');
    assert.equal(saved.trigger_when, 1);
    assert.deepEqual(saved.callback_urls, [COVERED, UNCOVERED]);
    assert.equal(saved.username, 'deploy-bot');
    assert.equal(saved.icon_url, 'https://ci.example.com/bot.png');
    await screenshot(page, 'outgoing-webhook-confirmation');

    // Reloaded, the confirmation asks the server for the token.
    await page.reload();
    await page.locator('#token').getByText(token).waitFor();

    await page.getByRole('button', { name: 'Done' }).click();
    await page.waitForURL((u) => u.pathname === HOOKS);
    await item().getByText('Deploys').waitFor();
    for (const text of ['Starts a deploy', 'application/json', 'Town Square', 'deploy, ship', 'First word starts with a trigger word', COVERED, UNCOVERED, token]) {
      await item().getByText(text, { exact: true }).waitFor();
    }
    await screenshot(page, 'outgoing-webhooks-list');
  });

  it('shows the server\'s refusal of a hook that intersects another, keeping what was typed', { timeout: 60_000 }, async () => {
    await page.locator('#addOutgoingWebhook').click();
    await page.getByLabel('Channel').selectOption({ label: 'Town Square' });
    await page.getByLabel('Trigger Words (One Per Line)').fill('ship');
    await page.getByLabel('Callback URLs (One Per Line)').fill(COVERED);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#serverError').getByText('Outgoing webhooks of the same channel cannot have the same trigger words and callback URLs.').waitFor();
    assert.equal(new URL(page.url()).pathname, `${HOOKS}/add`);
    assert.equal(await page.getByLabel('Trigger Words (One Per Line)').inputValue(), 'ship');
    await screenshot(page, 'outgoing-webhook-server-error');
    assert.equal((await hooks()).length, 1);
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL((u) => u.pathname === HOOKS);
  });

  it('edits the hook', { timeout: 60_000 }, async () => {
    await page.getByRole('link', { name: 'Edit Deploys' }).click();
    const description = page.getByLabel('Description');
    await description.waitFor();
    assert.equal(await description.inputValue(), 'Starts a deploy');
    assert.equal(await page.getByLabel('Content Type').inputValue(), 'application/json');
    assert.equal(await page.getByLabel('Channel').inputValue(), townSquare);
    assert.equal(await page.getByLabel('Trigger Words (One Per Line)').inputValue(), 'deploy\nship');
    assert.equal(await page.getByLabel('Trigger When').inputValue(), '1');
    await description.fill('Starts a deploy, exactly');
    await page.getByLabel('Trigger When').selectOption('0');
    await page.getByLabel('Callback URLs (One Per Line)').fill(COVERED);
    await page.getByRole('button', { name: 'Update' }).click();
    await page.waitForURL((u) => u.pathname === HOOKS);
    await item().getByText('Starts a deploy, exactly').waitFor();
    await item().getByText('First word matches a trigger word exactly').waitFor();
    const [saved] = await hooks();
    assert.equal(saved.trigger_when, 0);
    assert.deepEqual(saved.callback_urls, [COVERED]);
  });

  it('regenerates the token after asking', { timeout: 60_000 }, async () => {
    const [before] = await hooks();
    await page.getByRole('button', { name: 'Regenerate the token of Deploys' }).click();
    const dialog = page.getByRole('dialog', { name: 'Regenerate Token' });
    await screenshot(page, 'outgoing-webhook-regenerate', 'window');
    await dialog.getByRole('button', { name: 'Regenerate Token' }).click();
    await dialog.waitFor({ state: 'detached' });
    const [after] = await hooks();
    assert.notEqual(after.token, before.token);
    await item().getByText(after.token).waitFor();
  });

  it('deletes the hook after asking', { timeout: 60_000 }, async () => {
    await page.getByRole('button', { name: 'Delete Deploys' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Outgoing Webhook' });
    await dialog.getByText('This permanently deletes the outgoing webhook', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'No outgoing webhooks found' }).waitFor();
    assert.deepEqual(await hooks(), []);
  });

  it('shows the server\'s answer when outgoing webhooks are switched off', { timeout: 60_000 }, async () => {
    await admin.patchConfig({ ServiceSettings: { EnableOutgoingWebhooks: false } } as never);
    try {
      await page.goto(HOOKS);
      await page.getByRole('alert').getByText('Outgoing webhooks have been disabled by the system admin.').waitFor();
      assert.equal(await page.locator('#addOutgoingWebhook').count(), 0, 'nothing to add to');
    } finally {
      await admin.patchConfig({ ServiceSettings: { EnableOutgoingWebhooks: true } } as never);
    }
  });

  it('ran without script errors', () => {
    assert.deepEqual(scriptErrors(page), []);
  });
});
