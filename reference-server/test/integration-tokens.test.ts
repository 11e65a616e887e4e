// Outgoing OAuth connections beyond slash commands: outgoing webhooks, interactive message buttons and
// interactive dialogs go out with tokens from oidc-provider (a real OAuth server nobody here wrote) to
// a local integration, which the tests drive as Mattermost's integrations behave: it answers an action
// by opening a dialog with the trigger id it was given, and the user submits the dialog through Client4.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clientFailure, type ReceivedRequest } from './command-helpers.js';
import { client, expectClientError } from './helpers.js';
import { bearerToken, connectionBody, startOutgoingServer, type ConnectionBody, type OutgoingServer, type TokenClient } from './outgoing-helpers.js';
import {
  ID, JSON_TYPE, actionsOf, clientPartOf, buttonMaker, createHook, createPost, dialogOf, hookBody, openDialog, sleep, submission, waitForPost, type Post,
} from './webhook-helpers.js';
import { connectEvents, postOf, type EventStream, type ServerEvent } from './websocket-helpers.js';

const CHAT: TokenClient = { client_id: 'chat-server', client_secret: 'chat-server-secret-5e2d8b1f7a' };
const WRONG_SECRET = 'not-the-secret-3c9a7e5d1b';

/** The open_dialog event's request: what the webapp shows. */
interface OpenRequest {
  trigger_id: string;
  url: string;
  dialog: Record<string, unknown>;
}

describe('integrations with tokens from oidc-provider: outgoing webhooks, buttons and dialogs', () => {
  let s: OutgoingServer;
  /** Alice's WebSocket, as her webapp holds it open. */
  let events: EventStream;
  /** Posts a message with a button to a URL, as an integration's answer (see buttonMaker). */
  let button: Awaited<ReturnType<typeof buttonMaker>>;
  /** Every bearer token the integration got, to look for in the host's log lines at the end. */
  const seenTokens: string[] = [];
  const connect = (body: ConnectionBody) => s.admin.createOutgoingOAuthConnection(s.teamId, body as never);
  const url = (path: string) => `${s.receiver.url}${path}`;
  /** The bearer token of a request the integration got, after checking that oidc-provider says it is active and CHAT's. */
  const activeToken = async (req: ReceivedRequest): Promise<string> => {
    const token = bearerToken(req.headers.authorization);
    seenTokens.push(token);
    const introspection = await s.tokens.introspect(CHAT, token);
    assert.equal(introspection.active, true, JSON.stringify(introspection));
    assert.equal(introspection.client_id, CHAT.client_id);
    return token;
  };
  /** Opens `dialog` with the trigger id of `req` (an action's JSON or a command's form), as the integration does, without a session. */
  const openFrom = async (req: ReceivedRequest, submitUrl: string, dialog = dialogOf('rename-42')) => {
    const triggerId = req.json?.trigger_id ?? req.form.get('trigger_id');
    return openDialog(s.server.url, client(s.server.url), { trigger_id: triggerId, url: submitUrl, dialog });
  };
  /** The next open_dialog event for alice after event number `since`. */
  const dialogOpened = async (since: number): Promise<OpenRequest> => {
    const e = await events.waitFor((ev) => ev.event === 'open_dialog', 5000, since);
    assert.equal(e.broadcast.user_id, s.aliceId, 'the dialog opens for the user who clicked');
    return JSON.parse(String(e.data.dialog)) as OpenRequest;
  };
  const ephemeral = (since: number, match: RegExp): Promise<ServerEvent> =>
    events.waitFor((e) => e.event === 'ephemeral_message' && match.test(postOf(e).message), 5000, since);

  before(async () => {
    s = await startOutgoingServer([CHAT]);
    await connect(connectionBody('Secured API', CHAT, s.tokens.tokenUrl, [url('/secured/*')]));
    await connect(connectionBody('Cached API', CHAT, s.tokens.tokenUrl, [url('/cached/*')], { cache_tokens: true }));
    await connect(connectionBody('Refused API', CHAT, s.tokens.tokenUrl, [url('/refused/*')], { client_secret: WRONG_SECRET }));
    events = await connectEvents(s.server.url, s.alice.getToken());
    button = await buttonMaker(s);
  });
  after(async () => {
    events?.close();
    await s.close();
  });

  it('sends an outgoing webhook whose URL a connection covers with a fresh, active bearer token each time', async () => {
    const hook = await createHook(s.admin, hookBody(s.teamId, [url('/secured/hook-fresh')], { trigger_words: ['secure'], content_type: JSON_TYPE }));
    const issued = s.tokens.issued();
    await createPost(s.alice, s.channelId, 'secure one');
    await createPost(s.alice, s.channelId, 'secure two');
    const requests = [await s.receiver.waitFor('hook-fresh', 1), await s.receiver.waitFor('hook-fresh', 2)];
    const tokens = await Promise.all(requests.map(activeToken));
    assert.notEqual(tokens[0], tokens[1], 'a new token for every request');
    assert.equal(s.tokens.issued(), issued + 2);
    // The payload is Mattermost's as ever, with the hook's own token; only the Authorization header is new.
    assert.deepEqual(requests.map((r) => [r.json?.token, r.json?.text]).sort(), [[hook.token, 'secure one'], [hook.token, 'secure two']]);
    assert.ok(!requests.some((r) => r.rawBody.includes(tokens[0]) || r.rawBody.includes(tokens[1])));
  });

  it('sends an outgoing webhook whose URL no connection covers without an Authorization header, and asks for no token', async () => {
    await createHook(s.admin, hookBody(s.teamId, [url('/open/hook-open')], { trigger_words: ['open'] }));
    const asked = s.tokens.tokenStatuses.length;
    await createPost(s.alice, s.channelId, 'open sesame');
    const req = await s.receiver.waitFor('hook-open');
    assert.equal(req.headers.authorization, undefined);
    assert.equal(s.tokens.tokenStatuses.length, asked);
  });

  it('sends a button press and a dialog submission whose URLs no connection covers without an Authorization header', async () => {
    s.receiver.handle('open-action', async (req) => {
      await openFrom(req, url('/open/open-submit'));
      return { body: {} };
    });
    s.receiver.handle('open-submit', () => ({ body: {} }));
    const asked = s.tokens.tokenStatuses.length;
    const { post, actionId } = await button(s.alice, s.channelId, url('/open/open-action'));
    const since = events.events.length;
    await s.alice.doPostActionWithCookie(post.id, actionId, '');
    const opened = await dialogOpened(since);
    await s.alice.submitInteractiveDialog(submission(opened, s.channelId, s.teamId, { name: 'Uncovered' }) as never);
    assert.deepEqual([s.receiver.requestsTo('open-action')[0].headers.authorization, s.receiver.requestsTo('open-submit')[0].headers.authorization], [undefined, undefined]);
    assert.equal(s.tokens.tokenStatuses.length, asked);
  });

  it("a button: Mattermost's action request with an active bearer token; the answer's update and ephemeral_text are applied", async () => {
    s.receiver.handle('action-update', () => ({ body: { update: { message: 'Ticket 42: approved' }, ephemeral_text: 'You approved ticket 42.' } }));
    const { post, actionId } = await button(s.alice, s.channelId, url('/secured/action-update'), { ticket: 42, secret_note: 'kept server-side' });
    const since = events.events.length;
    const answer = (await s.alice.doPostActionWithCookie(post.id, actionId, '')) as unknown as Record<string, unknown>;
    assert.equal(answer.status, 'OK');
    assert.match(String(answer.trigger_id), ID, 'the client gets the client trigger id alone');

    const [req] = s.receiver.requestsTo('action-update');
    assert.ok(req, 'the integration got the action');
    assert.match(req.headers['content-type'] ?? '', /^application\/json/);
    await activeToken(req);
    assert.deepEqual(req.json, {
      user_id: s.aliceId, user_name: 'alice', channel_id: s.channelId, channel_name: 'town-square', team_id: s.teamId, team_domain: 'main',
      post_id: post.id, trigger_id: req.json?.trigger_id, type: 'button', data_source: '', context: { ticket: 42, secret_note: 'kept server-side' },
    });
    assert.equal(clientPartOf(req.json?.trigger_id), answer.trigger_id, 'the integration got the signed trigger id around it');

    const updated = (await s.alice.getPost(post.id)) as unknown as Post;
    assert.equal(updated.message, 'Ticket 42: approved');
    const edited = await events.waitFor((e) => e.event === 'post_edited' && postOf(e).id === post.id, 5000, since);
    assert.equal(postOf(edited).message, 'Ticket 42: approved');
    const note = await ephemeral(since, /^You approved ticket 42\.$/);
    assert.equal(note.broadcast.user_id, s.aliceId);
    assert.equal(postOf(note).type, 'system_ephemeral');
    assert.equal(postOf(note).channel_id, s.channelId);
    // Nobody reads the integration's URL or context from the post, before or after the update.
    for (const shown of [post, updated, postOf(edited)]) {
      const text = JSON.stringify(shown);
      assert.ok(!text.includes(s.receiver.url) && !text.includes('kept server-side'), `the integration is shown: ${text}`);
    }
  });

  it("a menu: the option chosen goes in the request's context, as Mattermost's selected_option", async () => {
    const { post } = await button(s.alice, s.channelId, url('/secured/unused'), {}, [
      { id: 'priority', name: 'Priority', type: 'select', options: [{ text: 'High', value: 'high' }, { text: 'Low', value: 'low' }],
        integration: { url: url('/secured/menu'), context: { ticket: 7 } } },
    ]);
    await s.alice.doPostActionWithCookie(post.id, 'priority', '', 'high');
    const [req] = s.receiver.requestsTo('menu');
    assert.equal(req.json?.type, 'select');
    assert.deepEqual(req.json?.context, { ticket: 7, selected_option: 'high' });
    await activeToken(req);
  });

  it("an action's goto_location reaches the client with the answer", async () => {
    s.receiver.handle('goto', () => ({ body: { goto_location: 'https://tickets.example.com/42' } }));
    const { post, actionId } = await button(s.alice, s.channelId, url('/secured/goto'));
    const answer = (await s.alice.doPostActionWithCookie(post.id, actionId, '')) as unknown as Record<string, unknown>;
    assert.equal(answer.status, 'OK');
    assert.equal(answer.goto_location, 'https://tickets.example.com/42');
  });

  it("an action's goto_location that a client would run or send elsewhere (javascript:, data:, //host) does not reach the client", async () => {
    const { post, actionId } = await button(s.alice, s.channelId, url('/secured/goto-hostile'));
    for (const location of ['javascript:alert(document.cookie)', 'data:text/html,<script>alert(1)</script>', '//evil.example/x', '/\\evil.example', 'https://user:pw@evil.example/']) {
      s.receiver.handle('goto-hostile', () => ({ body: { goto_location: location } }));
      const answer = (await s.alice.doPostActionWithCookie(post.id, actionId, '')) as unknown as Record<string, unknown>;
      assert.equal(answer.status, 'OK');
      assert.equal(answer.goto_location, undefined, location);
    }
    s.receiver.handle('goto-hostile', () => ({ body: { goto_location: '/main/channels/town-square' } }));
    const own = (await s.alice.doPostActionWithCookie(post.id, actionId, '')) as unknown as Record<string, unknown>;
    assert.equal(own.goto_location, '/main/channels/town-square', 'a path of this server is kept');
  });

  it('a webhook answer with a button: the button works, with a token, and shows no integration', async () => {
    s.receiver.handle('hook-with-button', () => ({
      body: { text: 'Deploy to production?', attachments: [{ text: 'Build 17', actions: [{ name: 'Deploy', type: 'button', integration: { url: url('/secured/deploy'), context: { build: 17 } } }] }] },
    }));
    await createHook(s.admin, hookBody(s.teamId, [url('/secured/hook-with-button')], { trigger_words: ['build'] }));
    await createPost(s.alice, s.channelId, 'build 17 is green');
    const answer = await waitForPost(s.alice, s.channelId, 'the hook\'s answer with a button', (p) => p.message === 'Deploy to production?');
    assert.equal(answer.props.from_webhook, 'true');
    const [action] = actionsOf(answer);
    assert.match(String(action.id), ID);
    assert.ok(!JSON.stringify(answer).includes('/secured/deploy'));
    await s.alice.doPostActionWithCookie(answer.id, String(action.id), '');
    const [req] = s.receiver.requestsTo('deploy');
    assert.deepEqual([req.json?.post_id, req.json?.context], [answer.id, { build: 17 }]);
    await activeToken(req);
  });

  it('an action answered with an error status fails with 400 and changes nothing', async () => {
    s.receiver.handle('action-broken', () => ({ status: 503, body: { update: { message: 'must not be applied' } } }));
    const { post, actionId } = await button(s.alice, s.channelId, url('/secured/action-broken'));
    const err = await clientFailure(s.alice.doPostActionWithCookie(post.id, actionId, ''));
    assert.equal(err.status_code, 400);
    assert.equal(err.server_error_id, 'api.post.do_action.action_integration.app_error');
    assert.equal(((await s.alice.getPost(post.id)) as unknown as Post).message, post.message);
  });

  it('a dialog opened in answer to a button and submitted through Client4: active tokens both ways, and field errors come back', async () => {
    s.receiver.handle('action-dialog', async (req) => {
      await openFrom(req, url('/secured/dialog-submit'));
      return { body: {} };
    });
    s.receiver.handle('dialog-submit', (req) => {
      const values = (req.json?.submission ?? {}) as Record<string, unknown>;
      return { body: String(values.name ?? '').length < 3 ? { errors: { name: 'At least 3 characters, please.' } } : {} };
    });
    const { post, actionId } = await button(s.alice, s.channelId, url('/secured/action-dialog'));
    const since = events.events.length;
    const answer = (await s.alice.doPostActionWithCookie(post.id, actionId, '')) as unknown as Record<string, unknown>;
    const opened = await dialogOpened(since);
    assert.equal(opened.trigger_id, s.receiver.requestsTo('action-dialog')[0].json?.trigger_id);
    assert.equal(clientPartOf(opened.trigger_id), answer.trigger_id);
    assert.equal(opened.url, url('/secured/dialog-submit'));
    assert.deepEqual(opened.dialog, dialogOf('rename-42'));
    await activeToken(s.receiver.requestsTo('action-dialog')[0]);

    const tooShort = (await s.alice.submitInteractiveDialog(submission(opened, s.channelId, s.teamId, { name: 'ab', urgent: true }) as never)) as unknown as Record<string, unknown>;
    assert.deepEqual(tooShort.errors, { name: 'At least 3 characters, please.' });
    const [first] = s.receiver.requestsTo('dialog-submit');
    assert.deepEqual(first.json, {
      type: 'dialog_submission', callback_id: 'rename-42', state: 'state-1', user_id: s.aliceId, channel_id: s.channelId, team_id: s.teamId,
      submission: { name: 'ab', urgent: true }, cancelled: false,
    });
    const done = (await s.alice.submitInteractiveDialog(submission(opened, s.channelId, s.teamId, { name: 'Ticket forty-two', urgent: false }) as never)) as unknown as Record<string, unknown>;
    assert.equal(done.errors, undefined);
    assert.equal(done.error, undefined);
    const tokens = await Promise.all(s.receiver.requestsTo('dialog-submit').map(activeToken));
    assert.equal(tokens.length, 2);
    assert.notEqual(tokens[0], tokens[1]);
  });

  it('a dialog submission the integration answers with an error status fails with 400, and the dialog can be submitted again', async () => {
    let failing = true;
    s.receiver.handle('flaky-submit', () => (failing ? { status: 502, body: 'bad gateway' } : { body: {} }));
    s.receiver.handle('open-flaky', async (req) => {
      await openFrom(req, url('/secured/flaky-submit'), dialogOf('flaky'));
      return { body: {} };
    });
    const { post, actionId } = await button(s.alice, s.channelId, url('/secured/open-flaky'));
    const since = events.events.length;
    await s.alice.doPostActionWithCookie(post.id, actionId, '');
    const opened = await dialogOpened(since);
    const err = await clientFailure(s.alice.submitInteractiveDialog(submission(opened, s.channelId, s.teamId, { name: 'First try' }) as never));
    assert.equal(err.status_code, 400, err.message);
    failing = false;
    const again = (await s.alice.submitInteractiveDialog(submission(opened, s.channelId, s.teamId, { name: 'Second try' }) as never)) as unknown as Record<string, unknown>;
    assert.deepEqual(again, {});
    // Submitted and closed: a third submission is one of a dialog no longer open.
    await expectClientError(s.alice.submitInteractiveDialog(submission(opened, s.channelId, s.teamId, { name: 'Third try' }) as never), 403);
    assert.equal(s.receiver.requestsTo('flaky-submit').length, 2);
  });

  it('a dialog opened in answer to a slash command, with the trigger id the command got', async () => {
    s.receiver.handle('command-dialog', async (req) => {
      await openFrom(req, url('/secured/command-submit'), dialogOf('from-command', 'cmd-state'));
      return { body: { text: 'Opening the dialog' } };
    });
    s.receiver.handle('command-submit', () => ({ body: {} }));
    await s.addCommand('rename', '/secured/command-dialog');
    const since = events.events.length;
    const response = await s.run('/rename ticket 42');
    assert.equal(response.text, 'Opening the dialog');
    const opened = await dialogOpened(since);
    assert.equal(opened.trigger_id, s.receiver.requestsTo('command-dialog')[0].form.get('trigger_id'));
    await s.alice.submitInteractiveDialog(submission(opened, s.channelId, s.teamId, { name: 'Renamed' }) as never);
    const [req] = s.receiver.requestsTo('command-submit');
    assert.equal(req.json?.callback_id, 'from-command');
    assert.equal(req.json?.state, 'cmd-state');
    await activeToken(req);
  });

  it('a cancelled dialog with notify_on_cancel reaches the integration as cancelled', async () => {
    s.receiver.handle('action-cancel', async (req) => {
      await openFrom(req, url('/secured/cancel-submit'), dialogOf('cancel-me'));
      return { body: {} };
    });
    s.receiver.handle('cancel-submit', () => ({ body: {} }));
    const { post, actionId } = await button(s.alice, s.channelId, url('/secured/action-cancel'));
    const since = events.events.length;
    await s.alice.doPostActionWithCookie(post.id, actionId, '');
    const opened = await dialogOpened(since);
    await s.alice.submitInteractiveDialog(submission(opened, s.channelId, s.teamId, {}, { cancelled: true }) as never);
    const [req] = s.receiver.requestsTo('cancel-submit');
    assert.equal(req.json?.cancelled, true);
    await activeToken(req);
  });

  it('with cache_tokens on, one token serves the webhook, the button and the dialog', async () => {
    await createHook(s.admin, hookBody(s.teamId, [url('/cached/hook')], { trigger_words: ['cached'] }));
    s.receiver.handle('cached-action', async (req) => {
      await openFrom(req, url('/cached/dialog'));
      return { body: {} };
    });
    s.receiver.handle('dialog', () => ({ body: {} }));
    const issued = s.tokens.issued();
    await createPost(s.alice, s.channelId, 'cached please');
    const hookRequest = await s.receiver.waitFor('hook');
    const { post, actionId } = await button(s.alice, s.channelId, url('/cached/cached-action'));
    const since = events.events.length;
    await s.alice.doPostActionWithCookie(post.id, actionId, '');
    const opened = await dialogOpened(since);
    await s.alice.submitInteractiveDialog(submission(opened, s.channelId, s.teamId, { name: 'Cached' }) as never);
    const requests = [hookRequest, s.receiver.requestsTo('cached-action')[0], s.receiver.requestsTo('dialog')[0]];
    const tokens = await Promise.all(requests.map(activeToken));
    assert.deepEqual(tokens, [tokens[0], tokens[0], tokens[0]]);
    assert.equal(s.tokens.issued(), issued + 1, 'one token request for the three');
  });

  it('sends nothing when the token server refuses, and tells the person which connection: a button', async () => {
    const { post, actionId } = await button(s.alice, s.channelId, url('/refused/action'));
    const refusals = s.tokens.tokenStatuses.filter((st) => st === 401).length;
    const err = await clientFailure(s.alice.doPostActionWithCookie(post.id, actionId, ''));
    assert.equal(err.status_code, 500);
    assert.match(`${err.message} ${err.detailed_error ?? ''}`, /"Refused API"/);
    assert.ok(!JSON.stringify(err).includes(WRONG_SECRET));
    assert.equal(s.tokens.tokenStatuses.filter((st) => st === 401).length, refusals + 1, 'the token server was asked, and refused');
    assert.ok(s.receiver.requests.every((r) => !r.path.startsWith('/refused/')), 'the integration got nothing');
  });

  it('sends nothing when the token server refuses, and tells the person which connection: a dialog submission', async () => {
    s.receiver.handle('open-refused', async (req) => {
      await openFrom(req, url('/refused/dialog'));
      return { body: {} };
    });
    const { post, actionId } = await button(s.alice, s.channelId, url('/secured/open-refused'));
    const since = events.events.length;
    await s.alice.doPostActionWithCookie(post.id, actionId, '');
    const opened = await dialogOpened(since);
    let said: string;
    try {
      const answer = (await s.alice.submitInteractiveDialog(submission(opened, s.channelId, s.teamId, { name: 'Refused' }) as never)) as unknown as Record<string, unknown>;
      said = String(answer.error ?? '');
    } catch (err) {
      const e = err as { message: string; detailed_error?: string };
      said = `${e.message} ${e.detailed_error ?? ''}`;
    }
    assert.match(said, /"Refused API"/, 'the answer names the connection');
    assert.ok(!said.includes(WRONG_SECRET));
    assert.ok(s.receiver.requests.every((r) => !r.path.startsWith('/refused/')), 'the integration got nothing');
  });

  it('sends nothing when the token server refuses, and tells the author which connection: an outgoing webhook (ephemeral, over the WebSocket)', async () => {
    await createHook(s.admin, hookBody(s.teamId, [url('/refused/hook')], { trigger_words: ['refused'] }));
    const since = events.events.length;
    const post = await createPost(s.alice, s.channelId, 'refused again');
    const note = await ephemeral(since, /"Refused API"/);
    assert.equal(note.broadcast.user_id, s.aliceId);
    assert.equal(postOf(note).channel_id, s.channelId);
    assert.ok(!postOf(note).message.includes(WRONG_SECRET));
    assert.equal(((await s.alice.getPost(post.id)) as unknown as Post).message, 'refused again', 'the post itself stands');
    assert.ok(s.receiver.requests.every((r) => !r.path.startsWith('/refused/')), 'the integration got nothing');
  });

  it("shows buttons to readers with an id each, and never the integration's URL or context", async () => {
    const since = events.events.length;
    const { post, actionId } = await button(s.alice, s.channelId, url('/secured/yes'), { answer: 'context-yes' },
      [{ id: 'chosenbyauthor', name: 'No', type: 'button', integration: { url: url('/secured/no'), context: { answer: 'context-no' } } }]);
    const ids = actionsOf(post).map((a) => String(a.id));
    assert.deepEqual(ids, [actionId, 'chosenbyauthor'], 'an id the integration gave is kept');
    const posted = await events.waitFor((e) => e.event === 'posted' && postOf(e).id === post.id, 5000, since);
    const seen = [post, await s.alice.getPost(post.id), await s.admin.getPost(post.id), await s.alice.getPosts(s.channelId, 0, 10), posted.data];
    for (const shown of seen) {
      const text = JSON.stringify(shown);
      assert.ok(!text.includes(s.receiver.url) && !text.includes('context-yes') && !text.includes('"integration"'), `the integration is shown: ${text.slice(0, 300)}`);
    }
    // It is there all the same: the buttons work.
    await s.alice.doPostActionWithCookie(post.id, 'chosenbyauthor', '');
    assert.deepEqual(s.receiver.requestsTo('no')[0].json?.context, { answer: 'context-no' });
  });

  it("a person's own post keeps no action URL: its button calls nothing, so no one can aim a token-bearing request by posting", async () => {
    const post = await createPost(s.alice, s.channelId, 'My own button', {
      props: { attachments: [{ text: 't', actions: [{ id: 'mine', name: 'Mine', type: 'button', integration: { url: url('/secured/own-button'), context: { mine: true } } }] }] },
    });
    const [action] = actionsOf(post);
    assert.equal(action.name, 'Mine', 'the button is shown');
    assert.equal(action.integration, undefined);
    const stored = (await s.alice.getPost(post.id)) as unknown as { props: { attachments: { actions: Record<string, unknown>[] }[] } };
    assert.equal(stored.props.attachments[0].actions[0].integration, undefined);
    await expectClientError(s.alice.doPostActionWithCookie(post.id, 'mine', ''), 404, 'api.post.do_action.action_id.app_error');
    assert.equal(s.receiver.requestsTo('own-button').length, 0, 'nothing was sent');
  });

  it('posts of a webhook answer and the posted events reach the WebSocket in order, without a reconnect', async () => {
    s.receiver.handle('ws-answer', () => ({ body: { text: 'answered over the socket' } }));
    await createHook(s.admin, hookBody(s.teamId, [url('/secured/ws-answer')], { trigger_words: ['socket'] }));
    const since = events.events.length;
    const post = await createPost(s.alice, s.channelId, 'socket test');
    const mine = await events.waitFor((e) => e.event === 'posted' && postOf(e).id === post.id, 5000, since);
    assert.equal(mine.broadcast.channel_id, s.channelId);
    assert.equal(mine.data.channel_name, 'town-square');
    const answer = await events.waitFor((e) => e.event === 'posted' && postOf(e).message === 'answered over the socket', 5000, since);
    assert.equal(postOf(answer).props.from_webhook, 'true');
    await waitForPost(s.alice, s.channelId, 'the answer', (p) => p.message === 'answered over the socket');
    const seqs = events.events.map((e) => e.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i), 'seq counts up from 0 (hello) without a gap');
    assert.equal(events.closes(), 0);
  });

  it("answers WebSocketClient's ping, as Mattermost does (without a pong it reconnects every 30 s)", async () => {
    // WebSocketClient sends its authentication challenge (seq 1) and at once a ping (seq 2) on connecting;
    // that pong must come too, though the ping arrived while the server was still checking the token.
    assert.deepEqual(events.replies().map((r) => [r.seq_reply, r.status]).slice(0, 2), [[1, 'OK'], [2, 'OK']], JSON.stringify(events.replies()));
    const reply = await events.ping();
    assert.equal(reply.status, 'OK', JSON.stringify(reply));
    const hello = events.ofKind('hello')[0];
    assert.equal(typeof hello.data.connection_id, 'string', 'hello carries a connection id, which a reconnect sends back');
  });

  it('never writes a token or a secret in a log line', async () => {
    await sleep(100);
    assert.ok(seenTokens.length >= 10, `${seenTokens.length}`);
    assert.equal(s.tokens.errors.length, 0, `oidc-provider server errors: ${s.tokens.errors.join('; ')}`);
    for (const secret of [...new Set(seenTokens), CHAT.client_secret, WRONG_SECRET]) {
      assert.ok(!s.server.logs.some((l) => l.includes(secret)), `a log line shows ${secret.slice(0, 6)}…`);
    }
  });
});
