// Outgoing webhooks end to end: the /hooks/outgoing REST API driven by Client4's *OutgoingWebhook*
// methods as Mattermost serves it, and posts that fire hooks at a local receiver with Mattermost's
// payload (form or JSON), whose JSON answers are posted back into the channel.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addChannel, addTeam, clientFailure, type ReceivedRequest } from './command-helpers.js';
import { expectClientError } from './helpers.js';
import { snapshot } from './hostile-helpers.js';
import { startOutgoingServer, type OutgoingServer } from './outgoing-helpers.js';
import {
  ID, JSON_TYPE, createHook, createPost, hookBody, postsIn, sleep, waitForPost, type OutgoingHook,
} from './webhook-helpers.js';

const DISABLED = 'api.outgoing_webhook.disabled.app_error';
const PERMISSION = 'api.context.permissions.app_error';
const NO_TRIGGERS = 'api.webhook.create_outgoing.triggers.app_error';

/** A raw request as `token`'s user, for what Client4 hides: exact statuses and malformed bodies. */
async function raw(s: OutgoingServer, method: string, path: string, body?: string, token = s.admin.getToken()) {
  const res = await fetch(`${s.server.url}/api/v4${path}`, { method, headers: { authorization: `Bearer ${token}` }, body });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
}

describe('outgoing webhooks: the REST API through Client4', () => {
  let s: OutgoingServer;
  let offTopic: string;
  let privateChannel: string;
  let otherTeamChannel: string;
  const callback = 'https://hooks.example.com/weather';
  const all = async () => (await s.admin.getOutgoingWebhooks('', s.teamId, 0, 200)) as unknown as OutgoingHook[];

  before(async () => {
    s = await startOutgoingServer([]);
    offTopic = (await s.admin.getChannelByName(s.teamId, 'off-topic')).id;
    privateChannel = addChannel(s.server.dbFile, s.teamId, 'secret-plans', { members: [s.adminId], type: 'P' });
    ({ channelId: otherTeamChannel } = addTeam(s.server.dbFile, 'elsewhere', [s.adminId]));
  });
  after(async () => {
    await s.close();
  });

  it('creates a hook (201) with a 26-character token, and answers it as Mattermost', async () => {
    const body = hookBody(s.teamId, [callback, 'http://hooks.example.com:8080/second'], {
      trigger_words: ['weather', 'forecast'], trigger_when: 1, content_type: JSON_TYPE, display_name: 'Weather', description: 'The weather',
      username: 'weather-bot', icon_url: 'https://example.com/sun.png',
    });
    const res = await raw(s, 'POST', '/hooks/outgoing', JSON.stringify(body));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const created = res.body as unknown as OutgoingHook;
    assert.match(created.id, ID);
    assert.match(created.token, ID);
    assert.notEqual(created.token, created.id);
    assert.equal(created.creator_id, s.adminId);
    assert.equal(created.delete_at, 0);
    assert.ok(created.create_at > 0 && created.update_at === created.create_at);
    for (const field of ['team_id', 'channel_id', 'trigger_words', 'trigger_when', 'callback_urls', 'display_name', 'description', 'content_type', 'username', 'icon_url']) {
      assert.deepEqual(created[field as keyof OutgoingHook], body[field], field);
    }
    assert.deepEqual(await s.admin.getOutgoingWebhook(created.id), created);
    assert.ok((await all()).some((h) => h.id === created.id));
    await s.admin.removeOutgoingWebhook(created.id);
  });

  it('lists the hooks of a team or of a channel, with page and per_page', async () => {
    const team = await Promise.all([1, 2, 3].map((n) => createHook(s.admin, hookBody(s.teamId, [callback], { trigger_words: [`team${n}`], display_name: `Team ${n}` }))));
    const inChannel = await createHook(s.admin, hookBody(s.teamId, [callback], { channel_id: offTopic, trigger_words: [], display_name: 'Channel' }));
    const ids = (hooks: unknown) => (hooks as OutgoingHook[]).map((h) => h.id).sort();
    assert.deepEqual(ids(await all()), [...team, inChannel].map((h) => h.id).sort());
    assert.deepEqual(ids(await s.admin.getOutgoingWebhooks(offTopic)), [inChannel.id]);
    assert.deepEqual(ids(await s.admin.getOutgoingWebhooks(s.channelId)), [], 'the team-wide hooks belong to no channel');

    const page = async (p: number, perPage: number) => ((await s.admin.getOutgoingWebhooks('', s.teamId, p, perPage)) as unknown as OutgoingHook[]).map((h) => h.id);
    const everything = (await all()).map((h) => h.id);
    assert.deepEqual(await page(0, 3), everything.slice(0, 3));
    assert.deepEqual(await page(1, 3), everything.slice(3, 6));
    assert.deepEqual(await page(9, 3), [], 'past the end: an empty list');
    for (const h of [...team, inChannel]) await s.admin.removeOutgoingWebhook(h.id);
  });

  it('updates a hook (the body replaces its fields; id, token, creator and team stay) and refuses a broken update', async () => {
    const hook = await createHook(s.admin, hookBody(s.teamId, [callback], { trigger_words: ['updatable'] }));
    await sleep(5);
    const updated = (await s.admin.updateOutgoingWebhook({
      ...hook, trigger_words: ['rain'], trigger_when: 1, callback_urls: ['https://hooks.example.com/rain'], display_name: 'Rain',
      content_type: JSON_TYPE, token: 'x'.repeat(26), creator_id: 'y'.repeat(26), create_at: 1,
    } as never)) as unknown as OutgoingHook;
    assert.equal(updated.id, hook.id);
    assert.deepEqual([updated.trigger_words, updated.trigger_when, updated.callback_urls, updated.display_name, updated.content_type],
      [['rain'], 1, ['https://hooks.example.com/rain'], 'Rain', JSON_TYPE]);
    assert.equal(updated.token, hook.token, 'the token changes only through regen_token');
    assert.equal(updated.creator_id, hook.creator_id);
    assert.equal(updated.create_at, hook.create_at);
    assert.ok(updated.update_at > hook.update_at);
    assert.deepEqual(await s.admin.getOutgoingWebhook(hook.id), updated);

    const stored = snapshot(s.server.dbFile);
    await expectClientError(s.admin.updateOutgoingWebhook({ ...updated, callback_urls: ['ftp://nope'] } as never), 400);
    await expectClientError(s.admin.updateOutgoingWebhook({ ...updated, trigger_words: [''] } as never), 400);
    await expectClientError(s.admin.updateOutgoingWebhook({ ...updated, channel_id: '', trigger_words: [] } as never), 400, NO_TRIGGERS);
    const mismatch = await raw(s, 'PUT', `/hooks/outgoing/${hook.id}`, JSON.stringify({ ...updated, id: 'z'.repeat(26) }));
    assert.equal(mismatch.status, 400, JSON.stringify(mismatch.body));
    await expectClientError(s.admin.updateOutgoingWebhook({ ...updated, id: 'c'.repeat(26) } as never), 404);
    assert.equal(snapshot(s.server.dbFile), stored, 'refused updates change nothing');
    await s.admin.removeOutgoingWebhook(hook.id);
  });

  it('regenerates the token', async () => {
    const hook = await createHook(s.admin, hookBody(s.teamId, [callback], { trigger_words: ['regen'] }));
    const regenerated = (await s.admin.regenOutgoingHookToken(hook.id)) as unknown as OutgoingHook;
    assert.equal(regenerated.id, hook.id);
    assert.match(regenerated.token, ID);
    assert.notEqual(regenerated.token, hook.token);
    assert.equal(((await s.admin.getOutgoingWebhook(hook.id)) as unknown as OutgoingHook).token, regenerated.token);
    await s.admin.removeOutgoingWebhook(hook.id);
  });

  it('deletes a hook: {"status":"OK"}, then 404 everywhere and gone from the lists', async () => {
    const hook = await createHook(s.admin, hookBody(s.teamId, [callback], { trigger_words: ['doomed'] }));
    assert.deepEqual(await s.admin.removeOutgoingWebhook(hook.id), { status: 'OK' });
    await expectClientError(s.admin.getOutgoingWebhook(hook.id), 404);
    await expectClientError(s.admin.removeOutgoingWebhook(hook.id), 404);
    await expectClientError(s.admin.regenOutgoingHookToken(hook.id), 404);
    await expectClientError(s.admin.updateOutgoingWebhook({ ...hook, display_name: 'Back' } as never), 404);
    assert.ok(!(await all()).some((h) => h.id === hook.id));
  });

  it('refuses each broken rule with a 400, and stores nothing', async () => {
    const stored = snapshot(s.server.dbFile);
    const unchanged = () => assert.equal(snapshot(s.server.dbFile), stored, 'nothing stored');
    const long = (n: number) => 'a'.repeat(n);
    // [what, the body's fields, the status(es), what the error id says]: Mattermost's ids where it has them
    // (model/outgoing_webhook.go, app/webhook.go). Mattermost answers 404 for a missing channel and 403 for
    // a private one or another team's; the contract asks 400 for every rule: either is taken.
    const cases: [string, Record<string, unknown>, number | number[], RegExp][] = [
      ['an empty trigger word', { trigger_words: ['weather', ''] }, 400, /^model\.outgoing_hook\.is_valid\.trigger_words\./],
      ['no channel and no trigger words', { channel_id: '', trigger_words: [] }, 400, new RegExp(`^${NO_TRIGGERS.replace(/\./g, '\\.')}$`)],
      ['no trigger words field and no channel', { channel_id: '', trigger_words: undefined }, 400, /^api\.webhook\.create_outgoing\.triggers\./],
      ['no callback URL', { callback_urls: [] }, 400, /^model\.outgoing_hook\.is_valid\.callback\./],
      ['a callback URL that is not a URL', { callback_urls: ['not a url'] }, 400, /^model\.outgoing_hook\.is_valid\.(url|callback)\./],
      ['a callback URL that is not http(s)', { callback_urls: ['ftp://hooks.example.com/x'] }, 400, /^model\.outgoing_hook\.is_valid\.(url|callback)\./],
      ['a second callback URL that is bad', { callback_urls: [callback, 'javascript:alert(1)'] }, 400, /^model\.outgoing_hook\.is_valid\.(url|callback)\./],
      ['a callback URL with user:pass@', { callback_urls: ['https://bot:hunter2@hooks.example.com/x'] }, 400, /^model\.outgoing_hook\.is_valid\.(url|callback)\./],
      ['trigger words of more than 1024 characters in all', { trigger_words: Array.from({ length: 60 }, (_, i) => `word${i}${long(12)}`) }, 400, /^model\.outgoing_hook\.is_valid\.(words|trigger_words)\./],
      ['callback URLs of more than 1024 characters in all', { callback_urls: Array.from({ length: 10 }, (_, i) => `https://hooks.example.com/${i}/${long(100)}`) }, 400, /^model\.outgoing_hook\.is_valid\.callback\./],
      ['a display name of 65 characters', { display_name: long(65) }, 400, /^model\.outgoing_hook\.is_valid\.display_name\./],
      ['a description of 501 characters', { description: long(501) }, 400, /^model\.outgoing_hook\.is_valid\.description\./],
      ['a username of 65 characters', { username: long(65) }, 400, /^model\.outgoing_hook\.(is_valid\.)?username\./],
      ['an icon URL of 1025 characters', { icon_url: `https://example.com/${long(1005)}` }, 400, /^model\.outgoing_hook\.(is_valid\.)?icon_url\./],
      // Mattermost's IsValid names content_type for a bad trigger_when (model/outgoing_webhook.go): either id is taken.
      ['trigger_when 2', { trigger_when: 2 }, 400, /^model\.outgoing_hook\.is_valid\.(trigger_?when|content_type)\./i],
      ['trigger_when -1', { trigger_when: -1 }, 400, /^model\.outgoing_hook\.is_valid\.(trigger_?when|content_type)\./i],
      ['an unknown content type', { content_type: 'text/xml' }, 400, /^model\.outgoing_hook\.is_valid\.content_type\./],
      ['no team', { team_id: '' }, 400, /^model\.outgoing_hook\.is_valid\.team_id\./],
      ['a team that does not exist', { team_id: 't'.repeat(26) }, [400, 403, 404], /./],
      ['a channel that does not exist', { channel_id: 'q'.repeat(26) }, [400, 404], /./],
      ['a channel of another team', { channel_id: otherTeamChannel }, [400, 403], /./],
      ['a private channel', { channel_id: privateChannel }, [400, 403], /./],
    ];
    // Every case is tried, and every one that goes wrong is listed.
    const wrong: string[] = [];
    for (const [what, overrides, status, id] of cases) {
      const err = await clientFailure(s.admin.createOutgoingWebhook(hookBody(s.teamId, [callback], overrides) as never)).catch((e: Error) => ({ status_code: 0, server_error_id: '', message: e.message }));
      const statuses = Array.isArray(status) ? status : [status];
      if (!statuses.includes(err.status_code ?? 0)) wrong.push(`${what}: ${err.status_code} ${err.message}`);
      else if (!id.test(err.server_error_id ?? '')) wrong.push(`${what}: error id ${err.server_error_id}`);
      else if (err.message.length <= 5 || err.message.includes('hunter2')) wrong.push(`${what}: message ${err.message}`);
    }
    assert.deepEqual(wrong, []);
    unchanged();
    // Mattermost's: two hooks of one channel (or both team-wide) may not share a trigger word and a callback URL.
    const first = await createHook(s.admin, hookBody(s.teamId, [callback], { trigger_words: ['twice'] }));
    const stored2 = snapshot(s.server.dbFile);
    await expectClientError(s.admin.createOutgoingWebhook(hookBody(s.teamId, ['https://other.example.com/x', callback], { trigger_words: ['once', 'twice'] }) as never),
      400, 'api.webhook.create_outgoing.intersect.app_error');
    assert.equal(snapshot(s.server.dbFile), stored2);
    await s.admin.removeOutgoingWebhook(first.id);
    const malformed = await raw(s, 'POST', '/hooks/outgoing', '{"team_id":');
    assert.equal(malformed.status, 400);
    assert.deepEqual(await all(), []);
    // The limits themselves are allowed.
    const atLimits = await createHook(s.admin, hookBody(s.teamId, [callback], { display_name: long(64), description: long(500), username: long(64) }));
    await s.admin.removeOutgoingWebhook(atLimits.id);
  });

  // As Mattermost's api4/webhook.go: a permission error (403) for a hook one may not manage, on every route.
  it('refuses a user without manage_outgoing_webhooks (403 on every route) while EnableOnlyAdminIntegrations is true', async () => {
    const hook = await createHook(s.admin, hookBody(s.teamId, [callback], { trigger_words: ['plainuser'] }));
    try {
      const stored = snapshot(s.server.dbFile);
      const calls: [string, () => Promise<unknown>][] = [
        ['create', () => s.alice.createOutgoingWebhook(hookBody(s.teamId, [callback]) as never)],
        ['list a team', () => s.alice.getOutgoingWebhooks('', s.teamId)],
        ['list a channel', () => s.alice.getOutgoingWebhooks(s.channelId)],
        ['get', () => s.alice.getOutgoingWebhook(hook.id)],
        ['update', () => s.alice.updateOutgoingWebhook({ ...hook, callback_urls: ['https://evil.example/x'] } as never)],
        ['regen', () => s.alice.regenOutgoingHookToken(hook.id)],
        ['delete', () => s.alice.removeOutgoingWebhook(hook.id)],
      ];
      const wrong: string[] = [];
      for (const [what, call] of calls) {
        const err = await clientFailure(call()).catch((e: Error) => ({ status_code: 0, server_error_id: '', message: e.message }));
        if (err.status_code !== 403 || err.server_error_id !== PERMISSION) wrong.push(`${what}: ${err.status_code} ${err.server_error_id}`);
      }
      assert.deepEqual(wrong, []);
      const anonymous = await fetch(`${s.server.url}/api/v4/hooks/outgoing?team_id=${s.teamId}`);
      assert.equal(anonymous.status, 401);
      assert.equal(snapshot(s.server.dbFile), stored, 'nothing changed');
    } finally {
      await s.admin.removeOutgoingWebhook(hook.id);
    }
  });

  it("with manage_outgoing_webhooks a user manages her own hooks, not others' (manage_others_outgoing_webhooks)", async () => {
    await s.admin.patchConfig({ ServiceSettings: { EnableOnlyAdminIntegrations: false } } as never);
    try {
      const admins = await createHook(s.admin, hookBody(s.teamId, [callback], { display_name: "The admin's", trigger_words: ['adminsown'] }));
      const own = await createHook(s.alice, hookBody(s.teamId, [callback], { display_name: 'Her own', trigger_words: ['mine'] }));
      assert.equal(own.creator_id, s.aliceId);
      assert.deepEqual(((await s.alice.getOutgoingWebhooks('', s.teamId)) as unknown as OutgoingHook[]).map((h) => h.id), [own.id],
        'her list holds only her own hooks');
      assert.deepEqual((await s.alice.getOutgoingWebhook(own.id) as unknown as OutgoingHook).id, own.id);
      const renamed = (await s.alice.updateOutgoingWebhook({ ...own, display_name: 'Renamed' } as never)) as unknown as OutgoingHook;
      assert.equal(renamed.display_name, 'Renamed');
      assert.notEqual(((await s.alice.regenOutgoingHookToken(own.id)) as unknown as OutgoingHook).token, own.token);

      const stored = snapshot(s.server.dbFile);
      await expectClientError(s.alice.getOutgoingWebhook(admins.id), 403, PERMISSION);
      await expectClientError(s.alice.updateOutgoingWebhook({ ...admins, callback_urls: ['https://evil.example/x'] } as never), 403, PERMISSION);
      await expectClientError(s.alice.regenOutgoingHookToken(admins.id), 403, PERMISSION);
      await expectClientError(s.alice.removeOutgoingWebhook(admins.id), 403, PERMISSION);
      assert.equal(snapshot(s.server.dbFile), stored, "nothing of the admin's hook changed");

      // The admin (manage_others_outgoing_webhooks) sees and manages hers.
      assert.deepEqual(((await all()).map((h) => h.id)).sort(), [admins.id, own.id].sort());
      assert.deepEqual(await s.admin.removeOutgoingWebhook(own.id), { status: 'OK' });
      assert.deepEqual(await s.alice.getOutgoingWebhooks('', s.teamId), []);
      await s.admin.removeOutgoingWebhook(admins.id);
    } finally {
      await s.admin.patchConfig({ ServiceSettings: { EnableOnlyAdminIntegrations: true } } as never);
    }
  });

  it('answers 501 on every route while EnableOutgoingWebhooks is off, and changes nothing', async () => {
    const hook = await createHook(s.admin, hookBody(s.teamId, [callback], { trigger_words: ['dormant'] }));
    await s.admin.patchConfig({ ServiceSettings: { EnableOutgoingWebhooks: false } } as never);
    try {
      const stored = snapshot(s.server.dbFile);
      const calls: [string, () => Promise<unknown>][] = [
        ['create', () => s.admin.createOutgoingWebhook(hookBody(s.teamId, [callback]) as never)],
        ['list a team', () => s.admin.getOutgoingWebhooks('', s.teamId)],
        ['list a channel', () => s.admin.getOutgoingWebhooks(s.channelId)],
        ['get', () => s.admin.getOutgoingWebhook(hook.id)],
        ['update', () => s.admin.updateOutgoingWebhook({ ...hook, display_name: 'While off' } as never)],
        ['regen', () => s.admin.regenOutgoingHookToken(hook.id)],
        ['delete', () => s.admin.removeOutgoingWebhook(hook.id)],
      ];
      for (const [what, call] of calls) {
        const err = await clientFailure(call());
        assert.equal(err.status_code, 501, `${what}: ${err.message}`);
        assert.equal(err.server_error_id, DISABLED, what);
      }
      assert.equal(snapshot(s.server.dbFile), stored);
    } finally {
      await s.admin.patchConfig({ ServiceSettings: { EnableOutgoingWebhooks: true } } as never);
    }
    assert.deepEqual(((await s.admin.getOutgoingWebhook(hook.id)) as unknown as OutgoingHook).display_name, hook.display_name);
    await s.admin.removeOutgoingWebhook(hook.id);
  });
});

describe('outgoing webhooks: posts fire them, and their answers come back as posts', () => {
  let s: OutgoingServer;
  let offTopic: string;
  let privateChannel: string;
  /** The hooks' callback URLs end in a segment of their own, so each test reads its own requests. */
  const at = (segment: string) => `${s.receiver.url}/hooks/${segment}`;
  const hook = (segment: string, overrides: Record<string, unknown> = {}) => createHook(s.admin, hookBody(s.teamId, [at(segment)], overrides));
  const say = (message: string, channelId = s.channelId, extra: Record<string, unknown> = {}) => createPost(s.alice, channelId, message, extra);
  /** Waits for a hook's request, then a little longer, so that a second (wrong) request would be seen too. */
  const firedOnce = async (segment: string): Promise<ReceivedRequest> => {
    const req = await s.receiver.waitFor(segment);
    await sleep(150);
    assert.equal(s.receiver.requestsTo(segment).length, 1, `${segment}: fired more than once`);
    return req;
  };
  /** A post that fires nothing has had its chance once a later post fired a hook that catches everything. */
  const settled = async () => {
    const n = s.receiver.requestsTo('sentinel').length;
    await say('sentinel', offTopic);
    await s.receiver.waitFor('sentinel', n + 1);
  };

  before(async () => {
    s = await startOutgoingServer([]);
    offTopic = (await s.admin.getChannelByName(s.teamId, 'off-topic')).id;
    privateChannel = addChannel(s.server.dbFile, s.teamId, 'private-room', { members: [s.adminId, s.aliceId], type: 'P' });
    // Catches every post in off-topic: a channel hook without trigger words.
    await hook('sentinel', { channel_id: offTopic, trigger_words: [] });
  });
  after(async () => {
    await s.close();
  });

  it('sends Mattermost\'s form payload for a first word that matches exactly, with the hook\'s token and no Authorization header', async () => {
    const h = await hook('exact-form', { trigger_words: ['weather', 'forecast'] });
    const post = await say('weather in  Paris\ttomorrow');
    const req = await firedOnce('exact-form');
    assert.equal(req.method, 'POST');
    assert.match(req.headers['content-type'] ?? '', /^application\/x-www-form-urlencoded/);
    assert.equal(req.headers.authorization, undefined, 'no connection covers the URL: no Authorization header');
    const f = Object.fromEntries(req.form);
    assert.deepEqual(
      { token: f.token, team_id: f.team_id, team_domain: f.team_domain, channel_id: f.channel_id, channel_name: f.channel_name, user_id: f.user_id,
        user_name: f.user_name, post_id: f.post_id, text: f.text, trigger_word: f.trigger_word, file_ids: f.file_ids },
      { token: h.token, team_id: s.teamId, team_domain: 'main', channel_id: s.channelId, channel_name: 'town-square', user_id: s.aliceId,
        user_name: 'alice', post_id: post.id, text: 'weather in  Paris\ttomorrow', trigger_word: 'weather', file_ids: '' },
    );
    // As Mattermost's OutgoingWebhookPayload.ToFormValues: the post's create_at in seconds (JSON keeps milliseconds).
    assert.equal(Number(f.timestamp), Math.floor(post.create_at / 1000), 'timestamp: the post\'s create_at, in seconds');
  });

  it('fires only on the first word: exact (trigger_when 0) vs starts-with (trigger_when 1)', async () => {
    await hook('exact-only', { trigger_words: ['deploy'], trigger_when: 0 });
    await hook('starts-with', { trigger_words: ['deploy'], trigger_when: 1 });
    await say('deployment started');
    await say('please deploy now');
    await say('deploy');
    await settled();
    assert.deepEqual(s.receiver.requestsTo('exact-only').map((r) => r.form.get('text')), ['deploy']);
    assert.deepEqual(s.receiver.requestsTo('starts-with').map((r) => [r.form.get('text'), r.form.get('trigger_word')]),
      [['deployment started', 'deploy'], ['deploy', 'deploy']]);
  });

  it('a channel hook fires only in its channel; a team hook in every Open channel of the team; neither in a private channel', async () => {
    await hook('team-wide', { trigger_words: ['status'] });
    await hook('in-channel', { channel_id: offTopic, trigger_words: ['status'] });
    await say('status town');
    await say('status off', offTopic);
    await say('status private', privateChannel);
    await settled();
    assert.deepEqual(s.receiver.requestsTo('team-wide').map((r) => r.form.get('channel_name')).sort(), ['off-topic', 'town-square']);
    assert.deepEqual(s.receiver.requestsTo('in-channel').map((r) => r.form.get('text')), ['status off']);
  });

  it('a channel hook without trigger words fires on every post in its channel, with an empty trigger word', async () => {
    const before = s.receiver.requestsTo('sentinel').length;
    const post = await say('anything at all', offTopic);
    const req = await s.receiver.waitFor('sentinel', before + 1);
    assert.equal(req.form.get('post_id'), post.id);
    assert.equal(req.form.get('trigger_word'), '');
  });

  it('sends the payload as JSON when the content type says so', async () => {
    const h = await hook('as-json', { trigger_words: ['json'], content_type: JSON_TYPE });
    const post = await say('json please');
    const req = await firedOnce('as-json');
    assert.match(req.headers['content-type'] ?? '', /^application\/json/);
    assert.ok(req.json, `not JSON: ${req.rawBody}`);
    const { timestamp, ...rest } = req.json;
    assert.equal(timestamp, post.create_at);
    assert.deepEqual(rest, {
      token: h.token, team_id: s.teamId, team_domain: 'main', channel_id: s.channelId, channel_name: 'town-square', user_id: s.aliceId,
      user_name: 'alice', post_id: post.id, text: 'json please', trigger_word: 'json', file_ids: '',
    });
  });

  it('sends to every callback URL, and the regenerated token from then on', async () => {
    const h = await createHook(s.admin, hookBody(s.teamId, [at('first'), at('second')], { trigger_words: ['both'] }));
    await say('both please');
    const [first, second] = [await s.receiver.waitFor('first'), await s.receiver.waitFor('second')];
    assert.deepEqual([first.form.get('token'), second.form.get('token')], [h.token, h.token]);
    const { token } = (await s.admin.regenOutgoingHookToken(h.id)) as unknown as OutgoingHook;
    await say('both again');
    assert.equal((await s.receiver.waitFor('first', 2)).form.get('token'), token);
  });

  it('posts a JSON answer with text back into the channel as the hook\'s creator, marked from_webhook', async () => {
    s.receiver.handle('answers', () => ({ body: { text: 'It is sunny in Paris' } }));
    await hook('answers', { trigger_words: ['sun'], display_name: 'Sun hook' });
    const post = await say('sun Paris');
    const reply = await waitForPost(s.alice, s.channelId, 'the hook\'s answer', (p) => p.message === 'It is sunny in Paris');
    assert.equal(reply.user_id, s.adminId, 'posted by the hook\'s creator');
    assert.equal(reply.props.from_webhook, 'true');
    assert.equal(reply.props.webhook_display_name, 'Sun hook');
    assert.equal(reply.root_id, '', 'not a reply without response_type "comment"');
    assert.ok(reply.create_at >= post.create_at);
    // Its own post does not fire the hook (or any other) again.
    await settled();
    assert.equal(s.receiver.requestsTo('answers').length, 1);
  });

  it('posts the answer as a reply to the post that fired the hook with response_type "comment"', async () => {
    s.receiver.handle('comments', () => ({ body: { text: 'Noted.', response_type: 'comment' } }));
    await hook('comments', { trigger_words: ['note'] });
    const post = await say('note this');
    const reply = await waitForPost(s.alice, s.channelId, 'the comment', (p) => p.message === 'Noted.');
    assert.equal(reply.root_id, post.id);
    assert.equal(reply.props.from_webhook, 'true');
  });

  it("shows the answer under the hook's name and icon only while EnablePostUsernameOverride and EnablePostIconOverride are on", async () => {
    s.receiver.handle('dressed', () => ({ body: { text: 'dressed answer', username: 'answer-bot' } }));
    await hook('dressed', { trigger_words: ['dress'], username: 'hook-bot', icon_url: 'https://example.com/hook.png' });
    await say('dress plainly');
    const plain = await waitForPost(s.alice, s.channelId, 'the plain answer', (p) => p.message === 'dressed answer');
    assert.deepEqual([plain.props.override_username, plain.props.override_icon_url], [undefined, undefined]);
    await s.admin.patchConfig({ ServiceSettings: { EnablePostUsernameOverride: true, EnablePostIconOverride: true } } as never);
    try {
      await say('dress up');
      const dressed = await waitForPost(s.alice, s.channelId, 'the dressed answer', (p) => p.message === 'dressed answer' && p.id !== plain.id);
      assert.equal(dressed.props.override_username, 'answer-bot', "the answer's username wins over the hook's");
      assert.equal(dressed.props.override_icon_url, 'https://example.com/hook.png');
    } finally {
      await s.admin.patchConfig({ ServiceSettings: { EnablePostUsernameOverride: false, EnablePostIconOverride: false } } as never);
    }
  });

  it('a channel hook that answers every post does not answer its own answers', async () => {
    const channel = addChannel(s.server.dbFile, s.teamId, 'echo-room', { members: [s.adminId, s.aliceId] });
    s.receiver.handle('echo', (req) => ({ body: { text: `echo: ${req.form.get('text')}` } }));
    await hook('echo', { channel_id: channel, trigger_words: [] });
    await say('hello', channel);
    await waitForPost(s.alice, channel, 'the echo', (p) => p.message === 'echo: hello');
    await sleep(500);
    assert.equal(s.receiver.requestsTo('echo').length, 1);
    assert.deepEqual((await postsIn(s.alice, channel)).map((p) => p.message), ['echo: hello', 'hello']);
  });

  it('posts nothing for an answer that is not JSON or has no text; the post itself stands', async () => {
    const answers: [string, unknown][] = [['text-answer', 'plain words'], ['empty-answer', {}], ['null-text', { text: null, username: 'x' }]];
    for (const [segment, body] of answers) {
      s.receiver.handle(segment, () => ({ body }));
      await hook(segment, { trigger_words: [segment] });
      await say(`${segment} now`);
      await s.receiver.waitFor(segment);
    }
    await settled();
    const messages = (await postsIn(s.alice, s.channelId)).map((p) => p.message);
    assert.ok(!messages.includes('plain words'));
    for (const [segment] of answers) assert.ok(messages.includes(`${segment} now`), segment);
    assert.equal((await postsIn(s.alice, s.channelId)).filter((p) => p.props?.from_webhook === 'true' && p.create_at > Date.now() - 3000 && p.message === '').length, 0,
      'no empty post from the hook');
  });

  it('answers the post before the hook is called back (the trigger is asynchronous)', async () => {
    let answeredAt = 0;
    s.receiver.handle('slow-hook', async () => {
      await sleep(1500);
      answeredAt = Date.now();
      return { body: { text: 'slowly' } };
    });
    await hook('slow-hook', { trigger_words: ['slowly'] });
    const started = Date.now();
    await say('slowly does it');
    const postedAt = Date.now();
    assert.ok(postedAt - started < 1000, `POST /posts took ${postedAt - started} ms: it waited for the hook`);
    await waitForPost(s.alice, s.channelId, 'the slow answer', (p) => p.message === 'slowly');
    assert.ok(answeredAt > postedAt);
  });

  it('fires nothing while EnableOutgoingWebhooks is off', async () => {
    await hook('switched', { trigger_words: ['switch'] });
    await s.admin.patchConfig({ ServiceSettings: { EnableOutgoingWebhooks: false } } as never);
    try {
      await say('switch off');
      await sleep(500);
    } finally {
      await s.admin.patchConfig({ ServiceSettings: { EnableOutgoingWebhooks: true } } as never);
    }
    await say('switch on');
    await firedOnce('switched');
    assert.deepEqual(s.receiver.requestsTo('switched').map((r) => r.form.get('text')), ['switch on']);
  });

  it("takes a person's post with props up to Mattermost's limit (PostPropsMaxUserRunes, 800000 characters of JSON)", async () => {
    const post = await say('big props', s.channelId, { props: { notes: 'n'.repeat(700_000) } });
    assert.equal(String(post.props.notes).length, 700_000);
    await assert.rejects(say('too big', s.channelId, { props: { notes: 'n'.repeat(800_001) } }), (err: { status_code?: number }) => err.status_code === 400);
  });

  it('fires nothing for a deleted hook', async () => {
    const h = await hook('deleted-hook', { trigger_words: ['gone'] });
    await s.admin.removeOutgoingWebhook(h.id);
    await say('gone now');
    await settled();
    assert.deepEqual(s.receiver.requestsTo('deleted-hook'), []);
  });

  it('never writes a hook token in a log line', async () => {
    const hooks = (await s.admin.getOutgoingWebhooks('', s.teamId, 0, 200)) as unknown as OutgoingHook[];
    assert.ok(hooks.length > 5);
    for (const h of hooks) assert.ok(!s.server.logs.some((l) => l.includes(h.token)), `a log line shows the token of ${h.display_name}`);
  });
});
