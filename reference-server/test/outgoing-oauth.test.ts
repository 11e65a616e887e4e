// Outgoing OAuth connections end to end: the real wasm plugin in the host, its REST API driven by
// Client4's *OutgoingOAuthConnection* methods, and slash commands that go out with tokens from
// oidc-provider (a real OAuth server nobody here wrote, on loopback) to a local command receiver.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { clientFailure } from './command-helpers.js';
import { expectClientError } from './helpers.js';
import {
  bearerToken, connectionBody, startOutgoingServer, type Connection, type ConnectionBody, type OutgoingServer, type TokenClient,
} from './outgoing-helpers.js';

const ID = /^[ybndrfg8ejkmcpqxot1uwisza345h769]{26}$/;
const DISABLED = 'api.context.outgoing_oauth_connection.not_available.configuration_disabled';
const PERMISSION = 'api.context.permissions.app_error';
const NO_SESSION = 'api.context.session_expired.app_error';
const NOT_FOUND = 'app.outgoing_oauth_connection.get.not_found.app_error';
const CLAIMED = 'app.outgoing_oauth_connection.audience_claimed.app_error';
const INVALID_PARAM = 'api.context.invalid_param.app_error';
const NOT_VALIDATED = 'app.outgoing_oauth_connection.validate.token_error.app_error';
const NOT_SENT = 'api.command.execute_command.oauth_token.app_error';

/** The chat server as a client of the integration's token server. */
const CHAT: TokenClient = { client_id: 'chat-server', client_secret: 'chat-server-secret-4f1c9a7e2b' };
/** A second client of the same token server, so that a token tells which connection got it. */
const OTHER: TokenClient = { client_id: 'chat-server-exact', client_secret: 'exact-client-secret-8d2e6b0c3a' };
const WRONG_SECRET = 'not-the-secret-9e7d5c3b1a';

/** A loopback URL where nothing listens (a port that was free a moment ago). */
async function closedPortUrl(path: string): Promise<string> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}${path}`;
}

/** A raw request as the admin (or as nobody), for what Client4 hides: exact statuses and malformed bodies. */
async function raw(s: OutgoingServer, method: string, path: string, body?: string, token: string | null = s.admin.getToken()) {
  const res = await fetch(`${s.server.url}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {}, body });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> & unknown[] };
}

describe('outgoing OAuth connections: the REST API through Client4', () => {
  let s: OutgoingServer;
  let create: (body: ConnectionBody) => Promise<Connection>;
  let list: () => Promise<Connection[]>;
  /** Every answer the API gave in this suite, so the last test can look for secrets in all of them. */
  const answers: unknown[] = [];

  before(async () => {
    s = await startOutgoingServer([CHAT]);
    create = async (body) => {
      const created = (await s.admin.createOutgoingOAuthConnection(s.teamId, body as never)) as unknown as Connection;
      answers.push(created);
      return created;
    };
    list = async () => {
      const all = (await s.admin.getOutgoingOAuthConnections(s.teamId, 0, 100)) as unknown as Connection[];
      answers.push(all);
      return all;
    };
  });
  after(async () => {
    await s.close();
  });

  it('creates a connection (201) and answers it without the secret: get, list, and the list for an audience', async () => {
    const body = connectionBody('Jira', CHAT, s.tokens.tokenUrl, ['https://jira.example.com/hooks/*', 'https://jira.example.com/exact']);
    const res = await raw(s, 'POST', `/api/v4/oauth/outgoing_connections?team_id=${s.teamId}`, JSON.stringify(body));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const created = res.body as unknown as Connection;
    answers.push(created);
    assert.match(created.id, ID);
    assert.equal(created.creator_id, s.adminId);
    assert.ok(created.create_at > 0 && created.update_at === created.create_at);
    assert.deepEqual(
      { name: created.name, client_id: created.client_id, client_secret: created.client_secret, oauth_token_url: created.oauth_token_url,
        grant_type: created.grant_type, audiences: created.audiences, cache_tokens: created.cache_tokens },
      { ...body, client_secret: '', cache_tokens: false },
    );
    assert.ok(!('credentials_password' in created));

    const got = (await s.admin.getOutgoingOAuthConnection(s.teamId, created.id)) as unknown as Connection;
    answers.push(got);
    assert.deepEqual(got, created);
    assert.deepEqual((await list()).find((c) => c.id === created.id), created);

    const forAudience = async (url: string) => {
      const found = (await s.admin.getOutgoingOAuthConnectionsForAudience(s.teamId, url)) as unknown as Connection[];
      answers.push(found);
      return found.map((c) => c.id);
    };
    assert.deepEqual(await forAudience('https://jira.example.com/hooks/run?team=a'), [created.id], 'a prefix audience');
    assert.deepEqual(await forAudience('https://JIRA.example.com:443/exact'), [created.id], 'an exact audience, in another spelling');
    assert.deepEqual(await forAudience('https://jira.example.com/exact?x=1'), [created.id], 'an exact audience with a query string');
    assert.deepEqual(await forAudience('https://jira.example.com/exact/'), [], 'a trailing slash is another URL');
    assert.deepEqual(await forAudience('https://jira.example.com/hook'), [], 'not under the prefix');
    assert.deepEqual(await forAudience('https://elsewhere.example.com/'), [], 'no match: an empty list, not [null]');
  });

  it('edits with patch semantics: the form sent back with an empty secret keeps the stored one', async () => {
    const created = await create(connectionBody('Patchable', CHAT, s.tokens.tokenUrl, ['https://patch.example.com/*']));
    const edit = async (patch: Record<string, unknown>) => {
      const edited = (await s.admin.editOutgoingOAuthConnection(s.teamId, patch as never)) as unknown as Connection;
      answers.push(edited);
      return edited;
    };
    const validate = (patch: Record<string, unknown>) => s.admin.validateOutgoingOAuthConnection(s.teamId, patch as never);

    // What a form does: sends back what it was given (client_secret ""), with one field changed.
    const renamed = await edit({ ...created, name: 'Patched' });
    assert.equal(renamed.name, 'Patched');
    assert.ok(renamed.update_at > created.update_at);
    assert.deepEqual({ ...renamed, name: created.name, update_at: created.update_at }, created, 'nothing else changed');
    // The stored secret still works: the token server accepts it.
    const issued = s.tokens.issued();
    assert.deepEqual(await validate({ id: created.id, client_secret: '' }), { status: 'OK' });
    assert.equal(s.tokens.issued(), issued + 1);

    // A new secret replaces it (a wrong one here, so the token server says so), and a right one again.
    await edit({ id: created.id, client_secret: WRONG_SECRET });
    const refused = await clientFailure(validate({ id: created.id }));
    assert.equal(refused.status_code, 502);
    assert.match(refused.message, /invalid_client/);
    await edit({ id: created.id, client_secret: CHAT.client_secret });
    assert.deepEqual(await validate({ id: created.id }), { status: 'OK' });

    // Only what is given changes.
    const cached = await edit({ id: created.id, cache_tokens: true });
    assert.equal(cached.cache_tokens, true);
    assert.equal(cached.name, 'Patched');
    assert.deepEqual(cached.audiences, created.audiences);

    // Refused edits change nothing.
    const before = await s.admin.getOutgoingOAuthConnection(s.teamId, created.id);
    await expectClientError(edit({ id: created.id, name: 'n'.repeat(65) }), 400, 'model.outgoing_oauth_connection.is_valid.name.error');
    await expectClientError(edit({ id: created.id, audiences: ['not a url'] }), 400, 'model.outgoing_oauth_connection.is_valid.audience.error');
    const mismatch = await raw(s, 'PUT', `/api/v4/oauth/outgoing_connections/${created.id}`, JSON.stringify({ id: 'a'.repeat(26), name: 'Other' }));
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.id, INVALID_PARAM);
    await expectClientError(edit({ id: 'b'.repeat(26), name: 'Nobody' }), 404, NOT_FOUND);
    assert.deepEqual(await s.admin.getOutgoingOAuthConnection(s.teamId, created.id), before);
  });

  it('deletes a connection: then 404, gone from the lists, and its audience free for another', async () => {
    const audience = 'https://delete-me.example.com/*';
    const created = await create(connectionBody('Doomed', CHAT, s.tokens.tokenUrl, [audience]));
    assert.deepEqual(await s.admin.deleteOutgoingOAuthConnection(created.id), { status: 'OK' });
    await expectClientError(s.admin.getOutgoingOAuthConnection(s.teamId, created.id), 404, NOT_FOUND);
    await expectClientError(s.admin.deleteOutgoingOAuthConnection(created.id), 404, NOT_FOUND);
    await expectClientError(s.admin.editOutgoingOAuthConnection(s.teamId, { id: created.id, name: 'Back' } as never), 404, NOT_FOUND);
    assert.ok(!(await list()).some((c) => c.id === created.id));
    assert.deepEqual(await s.admin.getOutgoingOAuthConnectionsForAudience(s.teamId, 'https://delete-me.example.com/x'), []);
    const successor = await create(connectionBody('Successor', CHAT, s.tokens.tokenUrl, [audience]));
    assert.notEqual(successor.id, created.id);
  });

  it('pages the list with page and per_page (limit 1 to 100)', async () => {
    for (const n of [1, 2, 3]) await create(connectionBody(`Page ${n}`, CHAT, s.tokens.tokenUrl, [`https://page${n}.example.com/`]));
    const all = await list();
    assert.ok(all.length >= 4);
    const page = async (p: number, perPage: number) =>
      ((await s.admin.getOutgoingOAuthConnections(s.teamId, p, perPage)) as unknown as Connection[]).map((c) => c.id);
    assert.deepEqual(await page(0, 2), all.slice(0, 2).map((c) => c.id));
    assert.deepEqual(await page(1, 2), all.slice(2, 4).map((c) => c.id));
    assert.deepEqual(await page(99, 2), []);
    for (const perPage of [0, 101]) {
      const res = await raw(s, 'GET', `/api/v4/oauth/outgoing_connections?per_page=${perPage}`);
      assert.equal(res.status, 400, `per_page=${perPage}`);
    }
  });

  it('refuses (409) an audience another connection claims, in any spelling, on create and on edit; an exact URL under a claimed prefix is free', async () => {
    const v1 = await create(connectionBody('API v1', CHAT, s.tokens.tokenUrl, ['https://api.example.com/v1/*']));
    const count = (await list()).length;
    const clash = await clientFailure(create(connectionBody('Intruder', CHAT, s.tokens.tokenUrl, ['https://other.example.com/', 'HTTPS://API.example.com:443/v1/*'])));
    assert.equal(clash.status_code, 409);
    assert.equal(clash.server_error_id, CLAIMED);
    assert.match(clash.message, /"API v1"/, 'the message names the connection that holds the audience');
    assert.equal((await list()).length, count, 'nothing stored');
    assert.deepEqual(await s.admin.getOutgoingOAuthConnectionsForAudience(s.teamId, 'https://other.example.com/'), [], 'no claim left behind');

    const v2 = await create(connectionBody('API v2', CHAT, s.tokens.tokenUrl, ['https://api.example.com/v2/*']));
    await expectClientError(s.admin.editOutgoingOAuthConnection(s.teamId, { id: v2.id, name: 'Taker', audiences: ['https://api.example.com/v1/*'] } as never), 409, CLAIMED);
    const kept = (await s.admin.getOutgoingOAuthConnection(s.teamId, v2.id)) as unknown as Connection;
    assert.deepEqual([kept.name, kept.audiences], ['API v2', ['https://api.example.com/v2/*']]);

    // Another audience (exact, not the prefix itself): allowed, and it wins for its own URL.
    const exact = await create(connectionBody('API v1 run', CHAT, s.tokens.tokenUrl, ['https://api.example.com/v1/run']));
    const serving = async (url: string) =>
      ((await s.admin.getOutgoingOAuthConnectionsForAudience(s.teamId, url)) as unknown as Connection[]).map((c) => c.name);
    assert.deepEqual(await serving('https://api.example.com/v1/run'), [exact.name]);
    assert.deepEqual(await serving('https://api.example.com/v1/walk'), [v1.name]);
    assert.deepEqual(await serving('https://api.example.com/v2/run'), [v2.name]);
  });

  it('refuses each broken rule with a 400 naming the field, and stores nothing', async () => {
    const count = (await list()).length;
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ name: '' }, 'name', /Name/],
      [{ name: 'n'.repeat(65) }, 'name', /Name/],
      [{ client_id: '' }, 'client_id', /Client ID/],
      [{ client_id: 'c'.repeat(256) }, 'client_id', /Client ID/],
      [{ client_secret: '' }, 'client_secret', /Client secret/],
      [{ client_secret: 's'.repeat(256) }, 'client_secret', /Client secret/],
      [{ oauth_token_url: '' }, 'oauth_token_url', /OAuth Token URL/],
      [{ oauth_token_url: 'not a url' }, 'oauth_token_url', /OAuth Token URL/],
      [{ oauth_token_url: 'ftp://auth.example.com/token' }, 'oauth_token_url', /OAuth Token URL/],
      [{ oauth_token_url: 'https://user:pw@auth.example.com/token' }, 'oauth_token_url', /OAuth Token URL/],
      [{ oauth_token_url: 'https://auth.example.com/token#fragment' }, 'oauth_token_url', /OAuth Token URL/],
      [{ oauth_token_url: `https://auth.example.com/${'t'.repeat(240)}` }, 'oauth_token_url', /OAuth Token URL/],
      [{ grant_type: 'implicit' }, 'grant_type', /Grant type/],
      [{ grant_type: 'password' }, 'password_credentials', /password/],
      [{ grant_type: 'password', credentials_username: 'bot' }, 'password_credentials', /password/],
      [{ audiences: [] }, 'audience', /Audience/],
      [{ audiences: ['not a url'] }, 'audience', /Audience URL/],
      [{ audiences: ['ftp://files.example.com/'] }, 'audience', /Audience URL/],
      [{ audiences: ['https://*.example.com/'] }, 'audience', /Audience URL/],
      [{ audiences: ['https://bot:pw@example.com/'] }, 'audience', /Audience URL/],
      [{ audiences: ['https://twice.example.com/x', 'https://TWICE.example.com/x'] }, 'audience', /Audience URL/],
    ];
    for (const [overrides, field, words] of cases) {
      const label = JSON.stringify(overrides).slice(0, 70);
      const body = connectionBody('Broken', CHAT, s.tokens.tokenUrl, ['https://broken.example.com/'], overrides);
      const err = await clientFailure(create(body));
      assert.equal(err.status_code, 400, `${label}: ${err.message}`);
      assert.ok(err.server_error_id?.startsWith(`model.outgoing_oauth_connection.is_valid.${field}.`), `${label}: ${err.server_error_id}`);
      assert.match(err.message, words, label);
      assert.ok(!err.message.includes(CHAT.client_secret), `${label}: the secret is echoed`);
    }
    for (const body of ['', '{', '[]', '{"name": 1}', '{"audiences": "https://x.example.com/"}', '{"cache_tokens": "yes"}']) {
      const res = await raw(s, 'POST', '/api/v4/oauth/outgoing_connections', body);
      assert.equal(res.status, 400, body);
      assert.equal(res.body.id, INVALID_PARAM, body);
    }
    assert.equal((await list()).length, count);
  });

  it('keeps the password of the password grant write-only too', async () => {
    const created = await create(connectionBody('Legacy', CHAT, s.tokens.tokenUrl, ['https://legacy.example.com/*'], {
      grant_type: 'password', credentials_username: 'bot', credentials_password: 'bot-password-7c1e',
    }));
    assert.equal(created.grant_type, 'password');
    assert.equal(created.credentials_username, 'bot');
    assert.ok(!('credentials_password' in created));
    const got = await s.admin.getOutgoingOAuthConnection(s.teamId, created.id);
    answers.push(got);
    assert.ok(!JSON.stringify(got).includes('bot-password-7c1e'));
  });

  it('lets only admins manage connections: 403 for a user, 401 without a session; a command manager may list, without credentials', async () => {
    const mine = await create(connectionBody('Admins only', CHAT, s.tokens.tokenUrl, ['https://admins.example.com/*']));
    const body = connectionBody('Alice', CHAT, s.tokens.tokenUrl, ['https://alice.example.com/']) as never;
    const calls: [string, () => Promise<unknown>][] = [
      ['list', () => s.alice.getOutgoingOAuthConnections(s.teamId)],
      ['list for an audience', () => s.alice.getOutgoingOAuthConnectionsForAudience(s.teamId, 'https://admins.example.com/x')],
      ['get', () => s.alice.getOutgoingOAuthConnection(s.teamId, mine.id)],
      ['create', () => s.alice.createOutgoingOAuthConnection(s.teamId, body)],
      ['edit', () => s.alice.editOutgoingOAuthConnection(s.teamId, { id: mine.id, name: 'Hijacked' } as never)],
      ['validate', () => s.alice.validateOutgoingOAuthConnection(s.teamId, body)],
      ['delete', () => s.alice.deleteOutgoingOAuthConnection(mine.id)],
    ];
    const issued = s.tokens.issued();
    for (const [what, call] of calls) {
      const err = await clientFailure(call());
      assert.equal(err.status_code, 403, `${what}: ${err.message}`);
      assert.equal(err.server_error_id, PERMISSION, what);
    }
    for (const [method, path] of [['GET', ''], ['POST', ''], ['GET', `/${mine.id}`], ['DELETE', `/${mine.id}`], ['POST', '/validate']]) {
      const res = await raw(s, method, `/api/v4/oauth/outgoing_connections${path}`, method === 'POST' ? JSON.stringify(body) : undefined, null);
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.equal(res.body.id, NO_SESSION);
    }
    assert.equal(s.tokens.issued(), issued, 'no token was asked for');
    assert.deepEqual(await s.admin.getOutgoingOAuthConnection(s.teamId, mine.id), mine, 'nothing changed');

    // With EnableOnlyAdminIntegrations off every user manages slash commands, and the command form
    // may show which connection covers a URL: listing, without the client id; nothing else.
    await s.admin.patchConfig({ ServiceSettings: { EnableOnlyAdminIntegrations: false } } as never);
    try {
      const seen = (await s.alice.getOutgoingOAuthConnectionsForAudience(s.teamId, 'https://admins.example.com/x')) as unknown as Connection[];
      answers.push(seen);
      assert.deepEqual(seen.map((c) => [c.id, c.name, c.client_id]), [[mine.id, mine.name, '']]);
      const all = (await s.alice.getOutgoingOAuthConnections(s.teamId, 0, 100)) as unknown as Connection[];
      answers.push(all);
      assert.ok(all.length > 0 && all.every((c) => c.client_id === '' && c.client_secret === ''));
      await expectClientError(s.alice.getOutgoingOAuthConnection(s.teamId, mine.id), 403, PERMISSION);
      await expectClientError(s.alice.createOutgoingOAuthConnection(s.teamId, body), 403, PERMISSION);
      await expectClientError(s.alice.validateOutgoingOAuthConnection(s.teamId, body), 403, PERMISSION);
    } finally {
      await s.admin.patchConfig({ ServiceSettings: { EnableOnlyAdminIntegrations: true } } as never);
    }
  });

  it('validates against the token server: OK, or what the server answered (a wrong secret: invalid_client), and stores nothing', async () => {
    const count = (await list()).length;
    const validate = (body: Record<string, unknown>) => s.admin.validateOutgoingOAuthConnection(s.teamId, body as never);
    const good = connectionBody('Probe', CHAT, s.tokens.tokenUrl, ['https://probe.example.com/']);
    const issued = s.tokens.issued();
    assert.deepEqual(await validate({ ...good }), { status: 'OK' });
    assert.equal(s.tokens.issued(), issued + 1, 'the token server issued a token');

    const wrong = await clientFailure(validate({ ...good, client_secret: WRONG_SECRET }));
    assert.equal(wrong.status_code, 502);
    assert.equal(wrong.server_error_id, NOT_VALIDATED);
    assert.match(wrong.message, /HTTP 401: invalid_client \(client authentication failed\)/);
    assert.ok(!JSON.stringify(wrong).includes(WRONG_SECRET), 'the secret is not echoed');
    const unknown = await clientFailure(validate({ ...good, client_id: 'nobody' }));
    assert.match(unknown.message, /invalid_client/);
    const notFound = await clientFailure(validate({ ...good, oauth_token_url: `${s.tokens.url}/no-such-endpoint` }));
    assert.match(notFound.message, /HTTP 404/);
    const unreachable = await clientFailure(validate({ ...good, oauth_token_url: await closedPortUrl('/token') }));
    assert.equal(unreachable.status_code, 502);
    assert.match(unreachable.message, /could not be reached/);
    await expectClientError(validate({ ...good, oauth_token_url: 'not a url' }), 400, 'model.outgoing_oauth_connection.is_valid.oauth_token_url.error');
    assert.equal((await list()).length, count, 'validation stores nothing');
  });

  it('answers 501 on every route while EnableOutgoingOAuthConnections is off', async () => {
    const existing = await create(connectionBody('Dormant', CHAT, s.tokens.tokenUrl, ['https://dormant.example.com/*']));
    const body = connectionBody('While off', CHAT, s.tokens.tokenUrl, ['https://while-off.example.com/']) as never;
    await s.admin.patchConfig({ ServiceSettings: { EnableOutgoingOAuthConnections: false } } as never);
    try {
      const calls: [string, () => Promise<unknown>][] = [
        ['list', () => s.admin.getOutgoingOAuthConnections(s.teamId)],
        ['list for an audience', () => s.admin.getOutgoingOAuthConnectionsForAudience(s.teamId, 'https://dormant.example.com/x')],
        ['get', () => s.admin.getOutgoingOAuthConnection(s.teamId, existing.id)],
        ['create', () => s.admin.createOutgoingOAuthConnection(s.teamId, body)],
        ['edit', () => s.admin.editOutgoingOAuthConnection(s.teamId, { id: existing.id, name: 'Renamed while off' } as never)],
        ['validate', () => s.admin.validateOutgoingOAuthConnection(s.teamId, body)],
        ['delete', () => s.admin.deleteOutgoingOAuthConnection(existing.id)],
      ];
      for (const [what, call] of calls) {
        const err = await clientFailure(call());
        assert.equal(err.status_code, 501, `${what}: ${err.message}`);
        assert.equal(err.server_error_id, DISABLED, what);
        assert.match(err.message, /Outgoing OAuth connections are disabled/);
      }
    } finally {
      await s.admin.patchConfig({ ServiceSettings: { EnableOutgoingOAuthConnections: true } } as never);
    }
  });

  it('changes nothing while the setting is off: a 501 create, edit or delete stores nothing and validate asks no token server', async () => {
    const existing = await create(connectionBody('Untouchable', CHAT, s.tokens.tokenUrl, ['https://untouchable.example.com/*']));
    const body = connectionBody('Created while off', CHAT, s.tokens.tokenUrl, ['https://created-while-off.example.com/']) as never;
    const requests = s.tokens.tokenStatuses.length;
    await s.admin.patchConfig({ ServiceSettings: { EnableOutgoingOAuthConnections: false } } as never);
    try {
      await expectClientError(s.admin.createOutgoingOAuthConnection(s.teamId, body), 501, DISABLED);
      await expectClientError(s.admin.editOutgoingOAuthConnection(s.teamId, { id: existing.id, name: 'Renamed while off' } as never), 501, DISABLED);
      await expectClientError(s.admin.validateOutgoingOAuthConnection(s.teamId, body), 501, DISABLED);
      await expectClientError(s.admin.deleteOutgoingOAuthConnection(existing.id), 501, DISABLED);
    } finally {
      await s.admin.patchConfig({ ServiceSettings: { EnableOutgoingOAuthConnections: true } } as never);
    }
    assert.equal(s.tokens.tokenStatuses.length, requests, 'validate asked the token server while the setting was off');
    const names = (await list()).map((c) => c.name);
    assert.ok(!names.includes('Created while off'), 'a create answered 501 but stored the connection');
    assert.ok(!names.includes('Renamed while off'), 'an edit answered 501 but changed the connection');
    assert.ok(names.includes('Untouchable'), 'a delete answered 501 but deleted the connection');
  });

  it('never shows a secret or a password: not in any answer, not in a log line', () => {
    const everything = JSON.stringify(answers);
    assert.ok(answers.length > 20);
    for (const secret of [CHAT.client_secret, WRONG_SECRET, 'bot-password-7c1e']) {
      assert.ok(!everything.includes(secret), `an answer shows ${secret}`);
      assert.ok(!s.server.logs.some((l) => l.includes(secret)), `a log line shows ${secret}`);
    }
  });
});

describe('outgoing OAuth connections: slash commands with tokens from oidc-provider', () => {
  let s: OutgoingServer;
  /** Every bearer token the receiver got, to look for in the host's log lines at the end. */
  const seenTokens: string[] = [];
  const connect = async (body: ConnectionBody) => (await s.admin.createOutgoingOAuthConnection(s.teamId, body as never)) as unknown as Connection;
  /** The Authorization header of each request the receiver got at `segment`. */
  const authorizations = (segment: string) => s.receiver.requestsTo(segment).map((r) => r.headers.authorization);

  before(async () => {
    s = await startOutgoingServer([CHAT, OTHER]);
  });
  after(async () => {
    await s.close();
  });

  it('sends a command whose URL a connection covers with a fresh bearer token each time, which the token server says is active', async () => {
    await connect(connectionBody('Weather API', CHAT, s.tokens.tokenUrl, [`${s.receiver.url}/secured/*`]));
    const command = await s.addCommand('weather', '/secured/fresh');
    const issued = s.tokens.issued();
    const first = await s.run('/weather Paris');
    const second = await s.run('/weather Rome');
    assert.equal(first.text, 'received');
    assert.equal(second.text, 'received');

    const got = s.receiver.requestsTo('fresh');
    assert.equal(got.length, 2);
    const tokens = got.map((r) => bearerToken(r.headers.authorization));
    seenTokens.push(...tokens);
    assert.notEqual(tokens[0], tokens[1], 'a new token for every request');
    assert.equal(s.tokens.issued(), issued + 2);
    for (const token of tokens) {
      const introspection = await s.tokens.introspect(CHAT, token);
      assert.equal(introspection.active, true, JSON.stringify(introspection));
      assert.equal(introspection.client_id, CHAT.client_id);
      assert.equal(introspection.token_type, 'Bearer');
    }
    // The payload is Mattermost's as ever; only the Authorization header changed.
    assert.deepEqual(got.map((r) => [r.form.get('token'), r.form.get('text')]), [[command.token, 'Paris'], [command.token, 'Rome']]);
    assert.ok(!got.some((r) => r.rawBody.includes(tokens[0]) || r.rawBody.includes(tokens[1])));
    // A made-up token is not active: the introspection above is not a yes to everything.
    assert.equal((await s.tokens.introspect(CHAT, `${tokens[0]}x`)).active, false);
  });

  it('sends a command whose URL no connection covers with "Token <command token>", and asks for no token', async () => {
    const command = await s.addCommand('open', '/open/plain');
    const issued = s.tokens.tokenStatuses.length;
    const response = await s.run('/open');
    assert.equal(response.text, 'plain answer');
    assert.deepEqual(authorizations('plain'), [`Token ${command.token}`]);
    assert.equal(s.tokens.tokenStatuses.length, issued);
  });

  it('with cache_tokens on, one token serves several commands', async () => {
    const created = await connect(connectionBody('Cached API', CHAT, s.tokens.tokenUrl, [`${s.receiver.url}/cached/*`], { cache_tokens: true }));
    assert.equal(created.cache_tokens, true);
    await s.addCommand('cached', '/cached/one');
    await s.addCommand('cached2', '/cached/two');
    const issued = s.tokens.issued();
    for (const line of ['/cached a', '/cached2 b', '/cached c']) await s.run(line);
    const headers = [...authorizations('one'), ...authorizations('two')];
    assert.equal(headers.length, 3);
    const token = bearerToken(headers[0]);
    seenTokens.push(token);
    assert.deepEqual(headers, [headers[0], headers[0], headers[0]]);
    assert.equal(s.tokens.issued(), issued + 1, 'one token request for three commands');
    assert.equal((await s.tokens.introspect(CHAT, token)).active, true);

    // Turned off again: a fresh token per command once more.
    await s.admin.editOutgoingOAuthConnection(s.teamId, { id: created.id, cache_tokens: false } as never);
    await s.run('/cached d');
    await s.run('/cached e');
    const later = authorizations('one').slice(2).map(bearerToken);
    seenTokens.push(...later);
    assert.equal(later.length, 2);
    assert.notEqual(later[0], later[1]);
    assert.ok(!later.includes(token));
    assert.equal(s.tokens.issued(), issued + 3);
  });

  it('sends a command to the connection whose audience matches best: an exact URL over a prefix', async () => {
    // The broad prefix belongs to CHAT's connection, the exact URL to OTHER's: introspection as each
    // client says which connection's token came.
    await connect(connectionBody('Broad', CHAT, s.tokens.tokenUrl, [`${s.receiver.url}/routed/*`]));
    await connect(connectionBody('Exact', OTHER, s.tokens.tokenUrl, [`${s.receiver.url}/routed/exact`]));
    await s.addCommand('exact', '/routed/exact');
    await s.addCommand('broad', '/routed/broad');
    await s.run('/exact');
    await s.run('/broad');
    const [exact] = authorizations('exact').map(bearerToken);
    const [broad] = authorizations('broad').map(bearerToken);
    seenTokens.push(exact, broad);
    assert.deepEqual([(await s.tokens.introspect(OTHER, exact)).client_id, (await s.tokens.introspect(CHAT, broad)).client_id],
      [OTHER.client_id, CHAT.client_id]);
  });

  it('does not send the command when the token server refuses, and the error names the connection and the reason', async () => {
    await connect(connectionBody('Refused API', CHAT, s.tokens.tokenUrl, [`${s.receiver.url}/refused/*`], { client_secret: WRONG_SECRET }));
    await s.addCommand('refused', '/refused/json');
    const refusals = s.tokens.tokenStatuses.filter((st) => st === 401).length;
    const err = await clientFailure(s.run('/refused now'));
    assert.equal(err.status_code, 500);
    assert.equal(err.server_error_id, NOT_SENT);
    assert.match(err.message, /'refused' was not sent/);
    assert.match(err.message, /Outgoing OAuth connection "Refused API" could not get a token: .*HTTP 401: invalid_client \(client authentication failed\)/);
    assert.ok(!JSON.stringify(err).includes(WRONG_SECRET));
    assert.equal(s.tokens.tokenStatuses.filter((st) => st === 401).length, refusals + 1, 'the token server was asked, and refused');
    assert.deepEqual(s.receiver.requestsTo('json'), [], 'the receiver got nothing');
    assert.ok(s.receiver.requests.every((r) => !r.path.startsWith('/refused/')));
  });

  it('does not send the command when the token server cannot be reached', async () => {
    await connect(connectionBody('Gone API', CHAT, await closedPortUrl('/token'), [`${s.receiver.url}/gone/*`]));
    await s.addCommand('gone', '/gone/json');
    const err = await clientFailure(s.run('/gone'));
    assert.equal(err.server_error_id, NOT_SENT);
    assert.match(err.message, /"Gone API" could not get a token: the token server could not be reached/);
    assert.ok(s.receiver.requests.every((r) => !r.path.startsWith('/gone/')));
  });

  it('uses the token server again after an edit that leaves the secret empty, and not after the connection is deleted', async () => {
    const created = await connect(connectionBody('Edited API', CHAT, s.tokens.tokenUrl, [`${s.receiver.url}/edited/*`]));
    const command = await s.addCommand('edited', '/edited/edit-run');
    // The edit form's round trip: what GET gave (client_secret ""), with a new name.
    const shown = (await s.admin.getOutgoingOAuthConnection(s.teamId, created.id)) as unknown as Connection;
    await s.admin.editOutgoingOAuthConnection(s.teamId, { ...shown, name: 'Edited API 2' } as never);
    await s.run('/edited');
    const token = bearerToken(authorizations('edit-run')[0]);
    seenTokens.push(token);
    assert.equal((await s.tokens.introspect(CHAT, token)).active, true);

    await s.admin.deleteOutgoingOAuthConnection(created.id);
    const requests = s.tokens.tokenStatuses.length;
    await s.run('/edited');
    assert.equal(authorizations('edit-run')[1], `Token ${command.token}`);
    assert.equal(s.tokens.tokenStatuses.length, requests);
  });

  it('while EnableOutgoingOAuthConnections is off, fetches no token and sends the command token', async () => {
    await connect(connectionBody('Switched API', CHAT, s.tokens.tokenUrl, [`${s.receiver.url}/switched/*`]));
    const command = await s.addCommand('switched', '/switched/switch-run');
    await s.admin.patchConfig({ ServiceSettings: { EnableOutgoingOAuthConnections: false } } as never);
    const requests = s.tokens.tokenStatuses.length;
    try {
      await s.run('/switched');
    } finally {
      await s.admin.patchConfig({ ServiceSettings: { EnableOutgoingOAuthConnections: true } } as never);
    }
    assert.equal(s.tokens.tokenStatuses.length, requests);
    await s.run('/switched');
    const [off, on] = authorizations('switch-run');
    assert.equal(off, `Token ${command.token}`);
    seenTokens.push(bearerToken(on));
  });

  it('never writes a token or a secret in a log line', () => {
    assert.ok(seenTokens.length >= 8);
    assert.equal(s.tokens.errors.length, 0, `oidc-provider server errors: ${s.tokens.errors.join('; ')}`);
    for (const secret of [...seenTokens, CHAT.client_secret, OTHER.client_secret, WRONG_SECRET]) {
      assert.ok(!s.server.logs.some((l) => l.includes(secret)), `a log line shows ${secret.slice(0, 6)}…`);
    }
  });
});
