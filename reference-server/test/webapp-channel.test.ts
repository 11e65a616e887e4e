// The channel view in a real browser, with an integration on loopback: a message is posted and seen;
// one with the trigger word reaches an outgoing webhook whose answer (an attachment with buttons)
// appears by itself; a button updates the post and sends an ephemeral message; a slash command's
// ephemeral answer shows; another button opens an interactive dialog, which checks its own fields,
// shows the integration's field and general errors, closes on a good submission and tells the
// integration of a cancel; another user's posts arrive live, and a webhook whose connection cannot get
// a token tells the author why.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { DEPLOY_DIALOG, FROZEN_ERROR, startIntegration, VERSION_ERROR, type Integration } from './channel-helpers.js';
import { mainTeamAndChannel } from './command-helpers.js';
import { ADMIN, createUser, USER, type Client } from './helpers.js';
import { loginAndOpen, newPage, overflowX, screenshot, scriptErrors, startBrowserSession, WAIT_MS, type BrowserSession } from './webapp-helpers.js';

const CHANNEL = '/main/channels/town-square';

/** Waits until `check` holds (it asks the integration what it received). */
async function eventually(what: string, check: () => boolean): Promise<void> {
  const until = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('webapp: the channel view with an outgoing webhook, message actions and a dialog (admin, Chromium)', () => {
  let admin: Client;
  let alice: Client;
  let page: Page;
  let session: BrowserSession | undefined;
  let integration: Integration;
  let teamId = '';
  let channelId = '';

  before(async () => {
    session = await startBrowserSession({
      AllowedUntrustedInternalConnections: '127.0.0.1', EnablePostUsernameOverride: true, EnableOutgoingOAuthConnections: true,
    });
    ({ admin, page } = session);
    integration = await startIntegration();
    integration.serverUrl = session.server.url;
    ({ teamId, channelId } = await mainTeamAndChannel(admin));
    ({ client: alice } = await createUser(session.server.url, admin));
    await admin.createOutgoingWebhook({
      team_id: teamId, channel_id: channelId, trigger_words: ['deploy'], trigger_when: 0, callback_urls: [`${integration.url}/hook`],
      display_name: 'Deploys', content_type: 'application/json', username: 'deploy-bot',
    } as never);
    await admin.addCommand({ team_id: teamId, trigger: 'whisper', url: `${integration.url}/command`, method: 'P', display_name: 'Whisper' } as never);
  });
  after(async () => {
    await session?.close(() => integration?.close());
  });

  const posts = () => page.locator('[data-testid="post"]');
  const lastPost = () => posts().last();
  const composer = () => page.locator('#post_textbox');
  const write = async (text: string) => {
    await composer().fill(text);
    await composer().press('Enter');
  };
  const dialog = () => page.getByRole('dialog', { name: DEPLOY_DIALOG.title });

  it('is reached from the top bar; a message is posted with Enter and shown last', { timeout: 60_000 }, async () => {
    await loginAndOpen(page, '/main/integrations', ADMIN.username, ADMIN.password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Channels' }).click();
    await page.waitForURL((u) => u.pathname === CHANNEL);
    await page.locator('[data-socket="open"]').waitFor();
    await page.getByText('No messages yet.', { exact: false }).waitFor();
    const sidebar = page.getByRole('navigation', { name: 'Channels' });
    assert.deepEqual(await sidebar.getByRole('link').allTextContents(), ['Off-Topic', 'Town Square']);

    await write('hello everyone');
    await lastPost().getByText('hello everyone').waitFor();
    assert.equal(await composer().inputValue(), '', 'the box is emptied');
    await lastPost().getByText(ADMIN.username, { exact: true }).waitFor();
    await write('second line');
    await lastPost().getByText('second line').waitFor();
    assert.equal(await posts().first().locator('.post-message').textContent(), 'hello everyone', 'oldest at the top');
    const saved = await admin.getPosts(channelId);
    assert.equal(saved.order.length, 2);
    assert.equal(integration.requestsTo('/hook').length, 0, 'no trigger word, no webhook');
  });

  it('a message with the trigger word reaches the webhook, whose answer appears with its buttons', { timeout: 60_000 }, async () => {
    await write('deploy v1.2.3');
    const reply = posts().filter({ hasText: 'Deploying v1.2.3?' });
    await reply.waitFor();
    await reply.getByText('deploy-bot', { exact: true }).waitFor();
    await reply.getByText('Bot', { exact: true }).waitFor();
    await reply.getByText('Approve it, or choose where it goes.').waitFor();
    await reply.getByRole('button', { name: 'Approve' }).waitFor();
    const [sent] = integration.requestsTo('/hook');
    assert.equal(sent.body.text, 'deploy v1.2.3');
    assert.equal(sent.body.trigger_word, 'deploy');
    assert.equal(sent.headers.authorization, undefined, 'no connection covers the URL: no Authorization header');
    await screenshot(page, 'channel-webhook-reply');
  });

  it('a button updates the post and sends an ephemeral message only this user sees', { timeout: 60_000 }, async () => {
    const reply = posts().filter({ hasText: 'Deploying v1.2.3?' });
    await reply.getByRole('button', { name: 'Approve' }).click();
    const updated = posts().filter({ hasText: `Deploy approved by @${ADMIN.username}` });
    await updated.getByText('Approved.').waitFor();
    assert.equal(await updated.getByRole('button').count(), 0, 'the update took the buttons away');
    const ephemeral = posts().filter({ hasText: 'You approved the deploy.' });
    await ephemeral.getByText('(Only visible to you)').waitFor();
    await ephemeral.getByText('System', { exact: true }).waitFor();
    const [action] = integration.requestsTo('/approve');
    assert.deepEqual(action.body.context, { step: 'approve' });
    await screenshot(page, 'channel-action-update');
    const stored = await admin.getPosts(channelId);
    assert.ok(!Object.values(stored.posts).some((p) => p.message === 'You approved the deploy.'), 'the ephemeral message is not a post');
  });

  it('a slash command\'s ephemeral answer is shown', { timeout: 60_000 }, async () => {
    await write('/whisper quietly');
    const answer = posts().filter({ hasText: 'Only you can see this answer.' });
    await answer.getByText('(Only visible to you)').waitFor();
    assert.equal(integration.requestsTo('/command').at(-1)?.body.text, 'quietly');
    await write('/nosuchcommand');
    await page.locator('#post_textbox-error').getByText(/nosuchcommand/).waitFor();
    assert.equal(await composer().inputValue(), '/nosuchcommand', 'a refused command stays in the box');
    await composer().fill('');
  });

  it('another button opens the integration\'s dialog; it checks its fields, shows the integration\'s errors, and closes when all is well', { timeout: 60_000 }, async () => {
    await write('deploy v2.0.0');
    const reply = posts().filter({ hasText: 'Deploying v2.0.0?' });
    await reply.getByRole('button', { name: 'Choose…' }).click();
    await dialog().waitFor();
    assert.equal(integration.lastOpen?.status, 200, integration.lastOpen?.body);
    await dialog().getByText(DEPLOY_DIALOG.introduction_text).waitFor();
    assert.equal(await dialog().getByLabel('Notify (optional)').isChecked(), true, 'the default "true"');
    await screenshot(page, 'channel-dialog', 'window');

    // The dialog's own check: a required field left empty is not sent.
    await dialog().getByRole('button', { name: 'Deploy' }).click();
    await dialog().getByText('This field is required.').first().waitFor();
    assert.equal(integration.requestsTo('/dialog').length, 0);

    // The integration's field error, under its field.
    await dialog().getByLabel('Environment').selectOption('staging');
    await dialog().getByLabel('Version').fill('latest');
    await dialog().getByRole('button', { name: 'Deploy' }).click();
    await page.locator('[id$="-version-error"]').getByText(VERSION_ERROR).waitFor();
    await screenshot(page, 'channel-dialog-field-error', 'window');

    // The integration's general error.
    await dialog().getByLabel('Environment').selectOption('production');
    await dialog().getByLabel('Version').fill('v2.0.0');
    await dialog().getByRole('button', { name: 'Deploy' }).click();
    await dialog().getByRole('alert').getByText(FROZEN_ERROR).waitFor();

    await dialog().getByLabel('Environment').selectOption('staging');
    await dialog().getByLabel('Notes (optional)').fill('after lunch');
    await dialog().getByRole('button', { name: 'Deploy' }).click();
    await dialog().waitFor({ state: 'detached' });
    const submitted = integration.requestsTo('/dialog').at(-1)!.body;
    assert.equal(submitted.type, 'dialog_submission');
    assert.equal(submitted.callback_id, DEPLOY_DIALOG.callback_id);
    assert.equal(submitted.state, DEPLOY_DIALOG.state);
    assert.equal(submitted.channel_id, channelId);
    assert.equal(submitted.cancelled, false);
    assert.deepEqual(submitted.submission, { environment: 'staging', version: 'v2.0.0', notes: 'after lunch', notify: true });
  });

  it('Cancel closes the dialog and tells the integration (notify_on_cancel)', { timeout: 60_000 }, async () => {
    await posts().filter({ hasText: 'Deploying v2.0.0?' }).getByRole('button', { name: 'Choose…' }).click();
    await dialog().waitFor();
    const before = integration.requestsTo('/dialog').length;
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'detached' });
    await eventually('the cancellation', () => integration.requestsTo('/dialog').length === before + 1);
    assert.equal(integration.requestsTo('/dialog').at(-1)!.body.cancelled, true);
  });

  it('another user\'s posts arrive live: in this channel shown, in another marked', { timeout: 60_000 }, async () => {
    const offTopic = (await alice.getChannelByName(teamId, 'off-topic')).id;
    await alice.createPost({ channel_id: channelId, message: 'alice was here' } as never);
    await lastPost().getByText('alice was here').waitFor();
    await lastPost().getByText('alice', { exact: true }).waitFor();
    await alice.createPost({ channel_id: offTopic, message: 'elsewhere' } as never);
    const offTopicLink = page.getByRole('navigation', { name: 'Channels' }).getByRole('link', { name: /Off-Topic/ });
    await offTopicLink.getByText('(new messages)').waitFor({ state: 'attached' });
    await screenshot(page, 'channel-view');
    await offTopicLink.click();
    await page.waitForURL((u) => u.pathname === '/main/channels/off-topic');
    await lastPost().getByText('elsewhere').waitFor();
    assert.equal(await offTopicLink.getByText('(new messages)').count(), 0, 'read once opened');
    await page.goBack();
    await lastPost().getByText('alice was here').waitFor();
  });

  it('a webhook whose connection gets no token sends nothing and tells the author why', { timeout: 60_000 }, async () => {
    await admin.createOutgoingOAuthConnection(teamId, {
      name: 'Guarded API', client_id: 'chat-server', client_secret: 'the-chat-servers-secret', grant_type: 'client_credentials',
      oauth_token_url: `${integration.url}/token`, audiences: [`${integration.url}/guarded/*`],
    } as never);
    await admin.createOutgoingWebhook({
      team_id: teamId, channel_id: '', trigger_words: ['guarded'], trigger_when: 0, callback_urls: [`${integration.url}/guarded/hook`],
      display_name: 'Guarded', content_type: 'application/json',
    } as never);
    await write('guarded request');
    const notice = posts().filter({ hasText: 'The outgoing webhook "Guarded" did not send your message' });
    await notice.getByText('(Only visible to you)').waitFor();
    assert.match((await notice.locator('.post-message').textContent()) ?? '', /Guarded API/, 'the message names the connection');
    assert.equal(integration.requestsTo('/guarded/hook').length, 0, 'nothing was sent without the token');
    assert.ok(integration.requestsTo('/token').length >= 1, 'the token server was asked');
  });

  it('reads well at a narrow width, for a user who is no admin: no sideways scrolling', { timeout: 60_000 }, async () => {
    const { context: narrow, page: small } = await newPage(session!.browser, session!.server.url, { width: 380, height: 800 });
    try {
      await alice.createPost({ channel_id: channelId, message: `a long word: ${'supercalifragilistic'.repeat(6)}` } as never);
      await loginAndOpen(small, CHANNEL, USER.username, USER.password);
      await small.locator('[data-socket="open"]').waitFor();
      await small.locator('[data-testid="post"]').filter({ hasText: 'Deploying v2.0.0?' }).getByRole('button', { name: 'Approve' }).waitFor();
      const overflow = await overflowX(small);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window`);
      assert.equal(await small.getByText('You approved the deploy.').count(), 0, 'another user\'s ephemeral message is not shown');
      await screenshot(small, 'channel-narrow');
      assert.deepEqual(scriptErrors(small), []);
    } finally {
      await narrow.close();
    }
  });

  it('ran without script errors', () => {
    assert.deepEqual(scriptErrors(page), []);
  });
});
