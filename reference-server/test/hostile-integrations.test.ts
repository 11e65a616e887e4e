// The hostile-input suite for integrations (see hostile.test.ts for the rest): outgoing webhook
// definitions of the wrong shape, posts, buttons and dialogs aimed where they may not go, trigger ids
// expired, forged or someone else's, and bodies over each limit. Each case asserts its status and a
// clear error (assertRefused), that nothing stored changed, and that nothing reached the integration.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addChannel, type ReceivedRequest } from './command-helpers.js';
import { client, createUser, loginForCookies, USER } from './helpers.js';
import { BAD_BODIES, KIB, assertRefused, send, snapshot, type Expect, type HostileRequest, type JsonRoute } from './hostile-helpers.js';
import { startOutgoingServer, type OutgoingServer } from './outgoing-helpers.js';
import { buttonMaker, clientPartOf, createHook, createPost, dialogOf, hookBody, openDialog, sleep, submission, type Post } from './webhook-helpers.js';
import { connectEvents, postOf, rawSocket, type EventStream } from './websocket-helpers.js';

const json = (value: unknown) => JSON.stringify(value);
const MM = (id?: string): Expect => ({ kind: 'mattermost', id });
const FORBIDDEN = MM('api.context.permissions.app_error');
const NO_ACTION = MM('api.post.do_action.action_id.app_error');
const DECODE = 'interactive_message.decode_trigger_id.';

/** The hostile world: a server, an integration that records everything, and something of each kind to aim at. */
interface World {
  s: OutgoingServer;
  url: string;
  adminToken: string;
  aliceToken: string;
  hook: { id: string };
  /** Alice's post in town-square with a button to the integration. */
  button: { post: Post; actionId: string };
  /** The admin's post with a button, in a private channel alice is not in. */
  privateButton: { post: Post; actionId: string };
  privateChannel: string;
  /** A dialog the integration opened for alice (in answer to her click), which she may submit. */
  opened: { url: string; dialog: Record<string, unknown> };
  /** Alice's WebSocket: no dialog may open for her by a refused request. */
  events: EventStream;
  postButton: Awaited<ReturnType<typeof buttonMaker>>;
}

const asAdmin = (w: World) => ({ authorization: `Bearer ${w.adminToken}`, 'content-type': 'application/json' });
const asAlice = (w: World) => ({ authorization: `Bearer ${w.aliceToken}`, 'content-type': 'application/json' });
const nobody = () => ({ 'content-type': 'application/json' });

async function startWorld(): Promise<World> {
  const s = await startOutgoingServer([]);
  const url = s.server.url;
  const at = (segment: string) => `${s.receiver.url}/hostile/${segment}`;
  const hook = await createHook(s.admin, hookBody(s.teamId, [at('hook')], { trigger_words: ['hostile'] }));
  const postButton = await buttonMaker(s);
  const button = await postButton(s.alice, s.channelId, at('action'), { secret_context: 'never-shown' });
  const privateChannel = addChannel(s.server.dbFile, s.teamId, 'admins-only', { members: [s.adminId], type: 'P' });
  const privateButton = await postButton(s.admin, privateChannel, at('private-action'));
  s.receiver.handle('opener', async (req) => {
    await openDialog(url, client(url), { trigger_id: req.json?.trigger_id, url: at('dialog-submit'), dialog: dialogOf('hostile-callback') });
    return { body: {} };
  });
  const events = await connectEvents(url, s.alice.getToken());
  const opener = await postButton(s.alice, s.channelId, at('opener'));
  await s.alice.doPostActionWithCookie(opener.post.id, opener.actionId, '');
  const e = await events.waitFor((ev) => ev.event === 'open_dialog');
  const opened = JSON.parse(String(e.data.dialog)) as { url: string; dialog: Record<string, unknown> };
  return {
    s, url, adminToken: s.admin.getToken(), aliceToken: s.alice.getToken(), hook, button, privateButton, privateChannel, opened, events, postButton,
  };
}

interface Case {
  name: string;
  request: (w: World) => HostileRequest;
  status: number | number[];
  expect: Expect;
  /** The error id's beginning, where the id names a detail (which part of a trigger id was wrong). */
  idPrefix?: string;
  shownBack?: string[];
}

// ---- 1. JSON bodies of the wrong shape on every integration route

const JSON_ROUTES: JsonRoute<World>[] = [
  { name: 'create an outgoing webhook', method: 'POST', path: () => '/api/v4/hooks/outgoing', headers: asAdmin, expect: MM(), limit: 1024 * KIB, wrongType: json({ team_id: 5, trigger_words: 'weather', callback_urls: 'https://a.example.com/' }) },
  { name: 'update an outgoing webhook', method: 'PUT', path: (w) => `/api/v4/hooks/outgoing/${w.hook.id}`, headers: asAdmin, expect: MM(), limit: 1024 * KIB, wrongType: json({ trigger_words: [1], trigger_when: '0' }) },
  { name: 'create a post', method: 'POST', path: () => '/api/v4/posts', headers: asAlice, expect: MM(), limit: 1024 * KIB, wrongType: json({ channel_id: 5, message: [] }) },
  { name: 'click a button', method: 'POST', path: (w) => `/api/v4/posts/${w.button.post.id}/actions/${w.button.actionId}`, headers: asAlice, expect: MM(), limit: 1024 * KIB, wrongType: json({ selected_option: 5, cookie: {} }) },
  { name: 'open a dialog', method: 'POST', path: () => '/api/v4/actions/dialogs/open', headers: nobody, expect: MM(), limit: 1024 * KIB, wrongType: json({ trigger_id: 5, url: [], dialog: 'x' }) },
  { name: 'submit a dialog', method: 'POST', path: () => '/api/v4/actions/dialogs/submit', headers: asAlice, expect: MM(), limit: 64 * KIB, wrongType: json({ url: 5, callback_id: [], submission: 'x' }) },
];

/**
 * Mattermost's doPostAction lets a body go that Go's decoder takes for an empty request (nothing,
 * null, invalid UTF-8 replaced), and refuses (400) any other that does not decode as one.
 */
const LENIENT = new Set(['null', 'an empty body', 'invalid UTF-8']);
const badBodiesOf = (route: JsonRoute<World>) => BAD_BODIES.filter(([what]) => !(route.name === 'click a button' && LENIENT.has(what)));

function jsonCases(): Case[] {
  return JSON_ROUTES.flatMap((route) => badBodiesOf(route).map(([what, body, status]): Case => ({
    name: `${route.name}: ${what}`,
    request: (w) => ({ method: route.method, path: route.path(w), headers: route.headers(w), body: body(route) }),
    status: typeof status === 'number' ? status : status(route),
    expect: route.expect,
  })));
}

// ---- 2. Outgoing webhook definitions with a wrong type in each field

const HOOK_WRONG_TYPES: [string, Record<string, unknown>][] = [
  ['team_id a number', { team_id: 5 }],
  ['team_id an object', { team_id: {} }],
  ['channel_id a number', { channel_id: 7 }],
  ['channel_id an array', { channel_id: ['x'] }],
  ['trigger_words a string', { trigger_words: 'weather' }],
  ['trigger_words an object', { trigger_words: { 0: 'weather' } }],
  ['a trigger word a number', { trigger_words: [42] }],
  ['a trigger word null', { trigger_words: [null] }],
  ['a trigger word an array', { trigger_words: [['weather']] }],
  ['trigger_when a string', { trigger_when: '0' }],
  ['trigger_when a fraction', { trigger_when: 0.5 }],
  ['trigger_when true', { trigger_when: true }],
  ['callback_urls a string', { callback_urls: 'https://hooks.example.com/x' }],
  ['a callback URL a number', { callback_urls: [1] }],
  ['a callback URL null', { callback_urls: [null] }],
  ['display_name a number', { display_name: 5 }],
  ['description an array', { description: ['d'] }],
  ['content_type a number', { content_type: 1 }],
  ['username an object', { username: { name: 'x' } }],
  ['icon_url true', { icon_url: true }],
];

function hookCases(): Case[] {
  const body = (w: World, overrides: Record<string, unknown>) => json(hookBody(w.s.teamId, ['https://hooks.example.com/x'], overrides));
  return HOOK_WRONG_TYPES.flatMap(([what, overrides]): Case[] => [
    { name: `create a webhook with ${what}`, request: (w) => ({ method: 'POST', path: '/api/v4/hooks/outgoing', headers: asAdmin(w), body: body(w, overrides) }), status: 400, expect: MM() },
    {
      name: `update a webhook with ${what}`,
      request: (w) => ({ method: 'PUT', path: `/api/v4/hooks/outgoing/${w.hook.id}`, headers: asAdmin(w), body: json({ ...JSON.parse(body(w, overrides)), id: w.hook.id }) }),
      status: 400, expect: MM(),
    },
  ]);
}

// ---- 3. Buttons: actions that are not there, posts of channels one is not in, other people's sessions

function actionCases(): Case[] {
  const click = (name: string, path: (w: World) => string, status: number | number[], expect: Expect, headers: (w: World) => Record<string, string> = asAlice): Case => ({
    name, request: (w) => ({ method: 'POST', path: path(w), headers: headers(w), body: json({ selected_option: '' }) }), status, expect,
  });
  return [
    click('an action id that does not exist', (w) => `/api/v4/posts/${w.button.post.id}/actions/${'q'.repeat(26)}`, 404, NO_ACTION),
    click('an action id of another post', (w) => `/api/v4/posts/${w.button.post.id}/actions/${w.privateButton.actionId}`, 404, NO_ACTION),
    click('an action id with markup', (w) => `/api/v4/posts/${w.button.post.id}/actions/${encodeURIComponent('<script>alert(1)</script>')}`, [400, 404], MM()),
    click('an action id of 200 characters', (w) => `/api/v4/posts/${w.button.post.id}/actions/${'a'.repeat(200)}`, [400, 404], MM()),
    click('a post that does not exist', (w) => `/api/v4/posts/${'p'.repeat(26)}/actions/${w.button.actionId}`, [403, 404], MM()),
    click('a post id that is not an id', (w) => `/api/v4/posts/..%2F..%2Fconfig/actions/${w.button.actionId}`, [400, 404], MM()),
    click("a post of a private channel alice is not in", (w) => `/api/v4/posts/${w.privateButton.post.id}/actions/${w.privateButton.actionId}`, [403, 404], MM()),
    click('a post without a session', (w) => `/api/v4/posts/${w.button.post.id}/actions/${w.button.actionId}`, 401, MM('api.context.session_expired.app_error'), nobody),
  ];
}

// ---- 4. Posts and channels alice is not in

function postCases(): Case[] {
  return [
    {
      name: 'post in a private channel alice is not in',
      request: (w) => ({ method: 'POST', path: '/api/v4/posts', headers: asAlice(w), body: json({ channel_id: w.privateChannel, message: 'hostile intrusion' }) }),
      status: 403, expect: FORBIDDEN,
    },
    {
      name: 'post in a channel that does not exist',
      request: (w) => ({ method: 'POST', path: '/api/v4/posts', headers: asAlice(w), body: json({ channel_id: 'c'.repeat(26), message: 'hostile' }) }),
      status: [403, 404], expect: MM(),
    },
    {
      name: 'post a reply to a post of a channel alice is not in',
      request: (w) => ({ method: 'POST', path: '/api/v4/posts', headers: asAlice(w), body: json({ channel_id: w.s.channelId, root_id: w.privateButton.post.id, message: 'hostile reply' }) }),
      status: [400, 403], expect: MM(),
    },
    { name: 'read a post of a private channel alice is not in', request: (w) => ({ method: 'GET', path: `/api/v4/posts/${w.privateButton.post.id}`, headers: asAlice(w) }), status: [403, 404], expect: MM() },
    { name: 'read the posts of a private channel alice is not in', request: (w) => ({ method: 'GET', path: `/api/v4/channels/${w.privateChannel}/posts`, headers: asAlice(w) }), status: 403, expect: FORBIDDEN },
    { name: 'read a private channel alice is not in', request: (w) => ({ method: 'GET', path: `/api/v4/channels/${w.privateChannel}`, headers: asAlice(w) }), status: [403, 404], expect: MM() },
    {
      name: 'a message over 16383 characters',
      request: (w) => ({ method: 'POST', path: '/api/v4/posts', headers: asAlice(w), body: json({ channel_id: w.s.channelId, message: `hostile ${'m'.repeat(16383)}` }) }),
      status: 400, expect: MM(),
    },
    {
      name: 'props over 800000 characters of JSON',
      request: (w) => ({ method: 'POST', path: '/api/v4/posts', headers: asAlice(w), body: json({ channel_id: w.s.channelId, message: 'hostile', props: { big: 'p'.repeat(800_001) } }) }),
      status: 400, expect: MM(),
    },
    {
      name: 'props that are an array',
      request: (w) => ({ method: 'POST', path: '/api/v4/posts', headers: asAlice(w), body: json({ channel_id: w.s.channelId, message: 'hostile', props: [] }) }),
      status: 400, expect: MM(),
    },
  ];
}

// ---- 5. Dialogs: trigger ids forged, submissions of dialogs never opened, bodies over the limit

function dialogCases(): Case[] {
  const open = (name: string, triggerId: (w: World) => unknown): Case => ({
    name, status: 400, expect: MM(), idPrefix: DECODE,
    request: (w) => ({ method: 'POST', path: '/api/v4/actions/dialogs/open', headers: nobody(), body: json({ trigger_id: triggerId(w), url: w.opened.url, dialog: dialogOf('forged') }) }),
  });
  const submit = (name: string, body: (w: World) => Record<string, unknown>, status: number, expect: Expect = MM(), headers: (w: World) => Record<string, string> = asAlice): Case => ({
    name, status, expect, request: (w) => ({ method: 'POST', path: '/api/v4/actions/dialogs/submit', headers: headers(w), body: json(body(w)) }),
  });
  const valid = (w: World, extra: Record<string, unknown> = {}) => submission(w.opened, w.s.channelId, w.s.teamId, { name: 'hostile' }, extra);
  return [
    open('open a dialog with a made-up trigger id', () => 'q'.repeat(26)),
    { ...open('open a dialog with an empty trigger id', () => ''), idPrefix: undefined },
    open('open a dialog with a trigger id of markup', () => '<script>alert(1)</script>'),
    open('open a dialog with a trigger id of 10000 characters', () => 't'.repeat(10_000)),
    open('open a dialog with a trigger id of two made-up parts', () => `${'a'.repeat(26)}:${'b'.repeat(40)}`),
    {
      name: 'open a dialog with a URL that is not http(s)', status: 400, expect: MM(),
      request: () => ({ method: 'POST', path: '/api/v4/actions/dialogs/open', headers: nobody(), body: json({ trigger_id: 'q'.repeat(26), url: 'javascript:alert(1)', dialog: dialogOf('x') }) }),
    },
    submit('submit a dialog never opened (another callback id)', (w) => valid(w, { callback_id: 'never-opened' }), 403),
    submit('submit a dialog to another URL than it was opened with', (w) => valid(w, { url: 'https://evil.example/steal' }), 403),
    submit('submit a dialog to the integration with another path', (w) => valid(w, { url: w.opened.url.replace('dialog-submit', 'hook') }), 403),
    submit('submit a dialog naming a channel alice is not in', (w) => valid(w, { channel_id: w.privateChannel }), 403),
    submit('submit a dialog opened for alice, as the admin', (w) => valid(w), 403, MM(), asAdmin),
    submit('submit a dialog without a session', (w) => valid(w), 401, MM('api.context.session_expired.app_error'), nobody),
    submit('submit a dialog of 65 KiB', (w) => valid(w, { submission: { name: 'n'.repeat(65 * KIB) } }), 413, MM()),
    submit('submit a dialog with a state of 65 KiB', (w) => valid(w, { state: 's'.repeat(65 * KIB) }), 413, MM()),
    submit('submit a dialog whose submission is an array', (w) => valid(w, { submission: ['hostile'] }), 400, MM()),
  ];
}

const ALL: Case[] = [...jsonCases(), ...hookCases(), ...actionCases(), ...postCases(), ...dialogCases()];

describe(`hostile input to integrations: ${ALL.length} cases, each refused, nothing stored, nothing sent`, () => {
  let w: World;
  /** What the integration got before the cases, and every open_dialog alice saw. */
  let requestsBefore: ReceivedRequest[];
  before(async () => {
    w = await startWorld();
    requestsBefore = [...w.s.receiver.requests];
  });
  after(async () => {
    w?.events.close();
    await w?.s.close();
  });

  it('case names are unique', () => {
    assert.equal(new Set(ALL.map((c) => c.name)).size, ALL.length);
  });

  for (const c of ALL) {
    it(c.name, async () => {
      const sent = w.s.receiver.requests.length;
      const dialogs = w.events.ofKind('open_dialog').length;
      const before = snapshot(w.s.server.dbFile);
      const reply = await send(w, c.request(w));
      assertRefused(reply, c.status, c.expect, c.shownBack ?? ['<script>alert(1)']);
      if (c.idPrefix) assert.ok(String(JSON.parse(reply.text).id).startsWith(c.idPrefix), reply.text);
      assert.equal(snapshot(w.s.server.dbFile), before, 'nothing stored changed');
      // A webhook would fire after the answer: give it the time to.
      await sleep(20);
      assert.deepEqual(w.s.receiver.requests.slice(sent).map((r) => r.path), [], 'nothing reached the integration');
      assert.equal(w.events.ofKind('open_dialog').length, dialogs, 'no dialog opened');
    });
  }

  it('the world is intact: the real button and dialog still work after all the cases', async () => {
    const sent = w.s.receiver.requests.length;
    await w.s.alice.doPostActionWithCookie(w.button.post.id, w.button.actionId, '');
    await w.s.alice.submitInteractiveDialog(submission(w.opened, w.s.channelId, w.s.teamId, { name: 'legit' }) as never);
    assert.deepEqual(w.s.receiver.requests.slice(sent).map((r) => r.path), ['/hostile/action', '/hostile/dialog-submit']);
  });

  it('no case reached the integration', () => {
    assert.deepEqual(w.s.receiver.requests.slice(requestsBefore.length, -2).map((r) => `${r.path} ${r.rawBody.slice(0, 60)}`), []);
  });
});

describe('hostile input to integrations: trigger ids in time and in hand', () => {
  let w: World;
  /** Alice clicks a button whose integration answers {}: the trigger id the integration got, and the part alice got. */
  let triggerIds: () => Promise<{ signed: string; inHand: string }>;
  const triggerId = async () => (await triggerIds()).signed;
  before(async () => {
    w = await startWorld();
    const quiet = await w.postButton(w.s.alice, w.s.channelId, `${w.s.receiver.url}/hostile/quiet`);
    triggerIds = async () => {
      const answer = (await w.s.alice.doPostActionWithCookie(quiet.post.id, quiet.actionId, '')) as unknown as { trigger_id: string };
      const got = w.s.receiver.requestsTo('quiet').at(-1)?.json?.trigger_id;
      assert.equal(clientPartOf(got), answer.trigger_id, 'the user got only the client part of the integration\'s trigger id');
      return { signed: String(got), inHand: answer.trigger_id };
    };
  });
  after(async () => {
    w?.events.close();
    await w?.s.close();
  });

  const openWith = (id: string, headers: Record<string, string> = nobody()) => send(w, {
    method: 'POST', path: '/api/v4/actions/dialogs/open', headers, body: json({ trigger_id: id, url: w.opened.url, dialog: dialogOf('in-hand') }),
  });
  /** Asserts the refusal, that nothing was stored, and that no dialog opened for anyone. */
  const refused = async (reply: Promise<Awaited<ReturnType<typeof openWith>>>, status: number, idPrefix?: string) => {
    const dialogs = w.events.ofKind('open_dialog').length;
    const before = snapshot(w.s.server.dbFile);
    const r = await reply;
    assertRefused(r, status, MM());
    if (idPrefix) assert.ok(String(JSON.parse(r.text).id).startsWith(idPrefix), r.text);
    assert.equal(snapshot(w.s.server.dbFile), before);
    await sleep(100);
    assert.equal(w.events.ofKind('open_dialog').length, dialogs, 'no dialog opened');
  };

  it("a fresh trigger id opens alice's dialog once it is hers (the control case)", async () => {
    const since = w.events.events.length;
    const reply = await openWith(await triggerId());
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(JSON.parse(reply.text), { status: 'OK' });
    await w.events.waitFor((e) => e.event === 'open_dialog', 5000, since);
  });

  it('an expired trigger id (older than 3 s) is refused with 400', async () => {
    const id = await triggerId();
    await sleep(3500);
    await refused(openWith(id), 400, DECODE);
  });

  it('a forged trigger id (one character changed) is refused with 400', async () => {
    const id = await triggerId();
    // In the claims and in the signature (not its last character, whose low bits base64 does not use).
    const dot = id.indexOf('.');
    for (const at of [0, Math.floor(dot / 2), dot + 1, id.length - 3]) {
      const forged = id.slice(0, at) + (id[at] === 'a' ? 'b' : 'a') + id.slice(at + 1);
      await refused(openWith(forged), 400, DECODE);
    }
  });

  it('the trigger id a person holds (the client part an action answers with) opens no dialog, with or without a session', async () => {
    const { inHand } = await triggerIds();
    await refused(openWith(inHand), 400, DECODE);
    await refused(openWith(inHand, { authorization: `Bearer ${w.s.alice.getToken()}`, 'content-type': 'application/json' }), 400, DECODE);
  });

  it('a trigger id of a post that is not alice\'s to read is refused: the action itself never happens', async () => {
    const sent = w.s.receiver.requests.length;
    const reply = await send(w, { method: 'POST', path: `/api/v4/posts/${w.privateButton.post.id}/actions/${w.privateButton.actionId}`, headers: asAlice(w), body: '{}' });
    assert.ok([403, 404].includes(reply.status), reply.text);
    assert.equal(JSON.parse(reply.text).trigger_id, undefined);
    assert.equal(w.s.receiver.requests.length, sent);
  });

  it("a person's post cannot pass for an integration's: from_webhook and the override props are dropped, and it fires hooks as any post", async () => {
    const before = w.s.receiver.requestsTo('hook').length;
    const post = await createPost(w.s.alice, w.s.channelId, 'hostile disguise', {
      props: { from_webhook: 'true', override_username: 'system', override_icon_url: 'https://evil.example/icon.png', webhook_display_name: 'Admin' },
    });
    for (const key of ['from_webhook', 'override_username', 'override_icon_url', 'webhook_display_name']) assert.equal(post.props[key], undefined, key);
    const stored = (await w.s.admin.getPost(post.id)) as unknown as Post;
    assert.deepEqual(stored.props, post.props);
    assert.equal((await w.s.receiver.waitFor('hook', before + 1)).form.get('post_id'), post.id);
  });

  it("never shows a button's integration URL or context in post JSON: create, get, list, the posted event", async () => {
    const since = w.events.events.length;
    const post = await createPost(w.s.alice, w.s.channelId, 'with a secret button', {
      props: { attachments: [{ actions: [{ name: 'Go', type: 'button', integration: { url: `${w.s.receiver.url}/hostile/leak`, context: { api_key: 'context-never-shown' } } }] }] },
    });
    const shown = [
      post, await w.s.alice.getPost(post.id), await w.s.admin.getPost(post.id), await w.s.alice.getPosts(w.s.channelId, 0, 60),
      (await w.events.waitFor((e) => e.event === 'posted' && String(e.data.post).includes(post.id), 5000, since)).data,
    ];
    for (const s of shown) {
      const text = JSON.stringify(s);
      assert.ok(!text.includes('/hostile/leak') && !text.includes('context-never-shown') && !text.includes('"integration"'), text.slice(0, 400));
    }
  });
});

describe('hostile input to integrations: the WebSocket', () => {
  let w: World;
  before(async () => {
    w = await startWorld();
  });
  after(async () => {
    w?.events.close();
    await w?.s.close();
  });

  it('refuses a session cookie sent from another origin (cross-site WebSocket hijacking), and takes it from its own', async () => {
    const { cookieHeader } = await loginForCookies(w.url, USER.username, USER.password);
    const foreign = rawSocket(w.url, { cookie: cookieHeader, origin: 'https://evil.example' });
    assert.equal(await foreign.settled, 'refused');
    assert.equal(foreign.socket.refusedWith, 403);
    assert.deepEqual(foreign.messages, []);
    const own = rawSocket(w.url, { cookie: cookieHeader, origin: new URL(w.url).origin });
    assert.equal(await own.settled, 'open');
    await waitFor(() => own.messages.length > 0);
    assert.equal(own.messages[0].event, 'hello');
    own.socket.close();
  });

  it('closes a socket whose authentication challenge carries no valid token, before any event', async () => {
    for (const token of ['q'.repeat(26), '', w.adminToken.slice(0, -1)]) {
      const socket = rawSocket(w.url);
      assert.equal(await socket.settled, 'open');
      socket.socket.send(JSON.stringify({ seq: 1, action: 'authentication_challenge', data: { token } }));
      await socket.closed;
      assert.deepEqual(socket.messages.filter((m) => m.event !== undefined), [], `events for the token ${JSON.stringify(token.slice(0, 8))}`);
    }
  });

  it('stops telling a socket anything once its session ended: after logout, no more posts, and the socket is closed', { timeout: 15_000 }, async () => {
    const carolUser = { username: 'carol', email: 'carol@example.com', password: 'carol-password-12' };
    const { client: carol } = await createUser(w.url, w.s.admin, carolUser);
    const { cookieHeader } = await loginForCookies(w.url, carolUser.username, carolUser.password);
    const socket = rawSocket(w.url, { cookie: cookieHeader, origin: new URL(w.url).origin });
    assert.equal(await socket.settled, 'open');
    const before = await createPost(w.s.admin, w.s.channelId, 'carol hears this');
    await waitFor(() => socket.messages.some((m) => m.event === 'posted' && String((m.data as { post: string }).post).includes(before.id)));
    // The cookie's session ends (as a logout from the browser does); carol's other session is unrelated.
    const logout = await fetch(`${w.url}/api/v4/users/logout`, { method: 'POST', headers: { cookie: cookieHeader, 'x-requested-with': 'XMLHttpRequest' } });
    assert.equal(logout.status, 200);
    const after = await createPost(w.s.admin, w.s.channelId, 'carol must not hear this');
    assert.equal(await socket.closed, 4001);
    assert.ok(!JSON.stringify(socket.messages).includes(after.id), 'no event after the session ended');
    assert.ok(carol.getToken(), 'carol herself is still logged in elsewhere');
  });

  it('sends each event only to whom it concerns: a private channel\'s posts to its members, an ephemeral message and a dialog to their user', async () => {
    const bobUser = { username: 'bob', email: 'bob@example.com', password: 'bob-password-12' };
    const { client: bob } = await createUser(w.url, w.s.admin, bobUser);
    const bobEvents = await connectEvents(w.url, bob.getToken());
    try {
      const aliceSince = w.events.events.length;
      // The admin posts in a private channel only the admin is in.
      const secret = await createPost(w.s.admin, w.privateChannel, 'for admins only');
      // Alice presses a button whose integration answers with an ephemeral text and opens a dialog for her.
      w.s.receiver.handle('ephemeral-and-dialog', async (req) => {
        await openDialog(w.url, client(w.url), { trigger_id: req.json?.trigger_id, url: `${w.s.receiver.url}/hostile/dialog-submit`, dialog: dialogOf('only-alice') });
        return { body: { ephemeral_text: 'only for alice' } };
      });
      const { post, actionId } = await w.postButton(w.s.alice, w.s.channelId, `${w.s.receiver.url}/hostile/ephemeral-and-dialog`);
      await w.s.alice.doPostActionWithCookie(post.id, actionId, '');
      await w.events.waitFor((e) => e.event === 'open_dialog', 5000, aliceSince);
      await w.events.waitFor((e) => e.event === 'ephemeral_message', 5000, aliceSince);
      // A public post that all three see marks the point by which everything has arrived.
      const marker = await createPost(w.s.admin, w.s.channelId, 'everyone sees this');
      await bobEvents.waitFor((e) => e.event === 'posted' && postOf(e).id === marker.id);
      await w.events.waitFor((e) => e.event === 'posted' && postOf(e).id === marker.id, 5000, aliceSince);
      for (const [who, events] of [['bob', bobEvents.events], ['alice', w.events.events.slice(aliceSince)]] as const) {
        const leaked = events.filter((e) => e.event === 'posted' && postOf(e).id === secret.id);
        assert.deepEqual(leaked, [], `${who} saw the private channel's post`);
      }
      assert.deepEqual(bobEvents.ofKind('ephemeral_message'), [], "bob got alice's ephemeral message");
      assert.deepEqual(bobEvents.ofKind('open_dialog'), [], "bob got alice's dialog");
    } finally {
      bobEvents.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}
