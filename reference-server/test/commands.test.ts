// Slash commands: management through Client4 as Mattermost's REST API, and execution against a small
// command receiver — with the real wasm plugin (no outgoing connection covers any URL), with the fake
// plugin for the bearer and "not sent" paths, and with no active plugin at all.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import {
  JSON_REPLY, SLOW_REPLY_MS, addChannel, clientFailure, commandBody, commandRows, getCommandById, mainTeamAndChannel,
  startCommandReceiver,
} from './command-helpers.js';
import {
  FAKE_PLUGIN_DIR, USER, createAdmin, createUser, expectClientError, realPluginDir, startServer, tempDbFile, type Client,
  type TestServer,
} from './helpers.js';

const PERMISSION_ERROR = 'api.context.permissions.app_error';
const NOT_FOUND = 'store.sql_command.save.get.app_error';
const FAILED = 'api.command.execute_command.failed.app_error';
const FAILED_RESP = 'api.command.execute_command.failed_resp.app_error';
const NOT_SENT = 'api.command.execute_command.oauth_token.app_error';
const ID = /^[ybndrfg8ejkmcpqxot1uwisza345h769]{26}$/;
/** A signed trigger id: base64url claims, ".", a base64url HMAC-SHA256. */
const TRIGGER_ID = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;

type Command = Record<string, unknown> & { id: string; token: string; trigger: string };

describe('slash commands: management through Client4', () => {
  let server: TestServer;
  let admin: Client;
  let adminId: string;
  let alice: Client;
  let teamId: string;
  const url = 'https://integrations.example.com/weather';

  before(async () => {
    server = await startServer({ pluginDir: realPluginDir() });
    ({ client: admin, id: adminId } = await createAdmin(server.url));
    ({ client: alice } = await createUser(server.url, admin));
    ({ teamId } = await mainTeamAndChannel(admin));
  });
  after(async () => {
    await server.close();
  });

  it('creates a command (201) with a 26-character token, the trigger lower-cased, and lists it', async () => {
    const res = await fetch(`${server.url}/api/v4/commands`, {
      method: 'POST', headers: { authorization: `Bearer ${admin.getToken()}` }, body: JSON.stringify(commandBody(teamId, url, { trigger: 'Weather' })),
    });
    assert.equal(res.status, 201);
    const created = (await res.json()) as Command;
    assert.match(created.id, ID);
    assert.match(created.token, ID);
    assert.equal(created.trigger, 'weather');
    assert.equal(created.creator_id, adminId);
    assert.equal(created.team_id, teamId);
    assert.equal(created.delete_at, 0);
    assert.ok(Number(created.create_at) > 0 && created.create_at === created.update_at);
    for (const [field, value] of Object.entries({
      url, method: 'P', username: 'weather-bot', icon_url: 'https://example.com/icon.png', auto_complete: true,
      auto_complete_desc: 'Shows the weather', auto_complete_hint: '[city]', display_name: 'Weather', description: 'The weather, now',
    })) assert.deepEqual(created[field], value, field);

    const listed = await admin.getCustomTeamCommands(teamId);
    assert.deepEqual(listed.map((c) => c.id), [created.id]);
    assert.equal(listed[0].token, created.token, 'custom_only shows the token to those who manage the command');
    const one = await getCommandById(server.url, admin, created.id);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, created);
    assert.equal(commandRows(server.dbFile).length, 1);
  });

  it('refuses each broken rule with a 400 naming the field, and stores nothing', async () => {
    const before = commandRows(server.dbFile);
    const cases: [Record<string, unknown>, string][] = [
      [{ trigger: '' }, 'trigger'],
      [{ trigger: 'a'.repeat(129) }, 'trigger'],
      [{ trigger: '/weather2' }, 'trigger'],
      [{ trigger: 'two words' }, 'trigger'],
      [{ trigger: 42 }, 'trigger'],
      [{ url: '' }, 'url'],
      [{ url: `https://example.com/${'a'.repeat(1010)}` }, 'url'],
      [{ url: 'ftp://example.com/cmd' }, 'url_http'],
      [{ url: 'not a url' }, 'url_http'],
      [{ url: 'https://user:secret@example.com/cmd' }, 'url_http'],
      [{ method: 'POST' }, 'method'],
      [{ method: undefined }, 'method'],
      [{ display_name: 'd'.repeat(65) }, 'display_name'],
      [{ description: 'd'.repeat(129) }, 'description'],
      [{ username: 'u'.repeat(65) }, 'username'],
      [{ icon_url: `https://example.com/${'i'.repeat(1010)}` }, 'icon_url'],
      [{ auto_complete: 'yes' }, 'auto_complete'],
      [{ auto_complete_desc: 'd'.repeat(1025) }, 'auto_complete_desc'],
      [{ auto_complete_hint: 'h'.repeat(1025) }, 'auto_complete_hint'],
      [{ team_id: 'not-a-team' }, 'team_id'],
      [{ team_id: 'a'.repeat(26) }, 'team_id'], // well-formed, but no such team
    ];
    for (const [overrides, field] of cases) {
      const body = commandBody(teamId, url, { trigger: 'fresh', ...overrides });
      const err = await clientFailure(admin.addCommand(body));
      assert.equal(err.status_code, 400, `${JSON.stringify(overrides).slice(0, 60)}: ${err.message}`);
      assert.equal(err.server_error_id, `model.command.is_valid.${field}.app_error`, JSON.stringify(overrides).slice(0, 60));
      assert.match(err.message, new RegExp(field.replace('_http', '')));
    }
    const malformed = await fetch(`${server.url}/api/v4/commands`, { method: 'POST', headers: { authorization: `Bearer ${admin.getToken()}` }, body: '{"trigger":' });
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as { id: string }).id, 'api.context.invalid_json.app_error');
    const noTeam = await fetch(`${server.url}/api/v4/commands?custom_only=true`, { headers: { authorization: `Bearer ${admin.getToken()}` } });
    assert.equal(noTeam.status, 400);
    assert.equal(((await noTeam.json()) as { id: string }).id, 'api.context.invalid_param.app_error');
    assert.deepEqual(commandRows(server.dbFile), before);
  });

  it('keeps a trigger unique in its team among live commands (in any case), and frees it on delete', async () => {
    const first = await admin.addCommand(commandBody(teamId, url, { trigger: 'dup' }));
    await expectClientError(admin.addCommand(commandBody(teamId, url, { trigger: 'DUP' })), 400, 'api.command.duplicate_trigger.app_error');
    const other = await admin.addCommand(commandBody(teamId, url, { trigger: 'other' }));
    await expectClientError(admin.editCommand({ ...other, trigger: 'dup' }), 400, 'api.command.duplicate_trigger.app_error');
    assert.equal(commandRows(server.dbFile).find((r) => r.Id === other.id)?.Trigger, 'other');

    await admin.deleteCommand(first.id);
    const again = await admin.addCommand(commandBody(teamId, url, { trigger: 'dup' }));
    assert.notEqual(again.id, first.id);
    await admin.deleteCommand(again.id);
    await admin.deleteCommand(other.id);
  });

  it('edits a command as Mattermost (the body replaces the fields; id, token, creator and team stay)', async () => {
    const original = await admin.addCommand(commandBody(teamId, url, { trigger: 'editme' }));
    const edited = await admin.editCommand({
      ...original, trigger: 'Edited', url: 'http://integrations.example.com/v2', method: 'G', display_name: 'Edited',
      token: 'x'.repeat(26), creator_id: 'y'.repeat(26), create_at: 1,
    });
    assert.equal(edited.id, original.id);
    assert.equal(edited.trigger, 'edited');
    assert.equal(edited.url, 'http://integrations.example.com/v2');
    assert.equal(edited.method, 'G');
    assert.equal(edited.display_name, 'Edited');
    assert.equal(edited.token, original.token, 'the token changes only through regen_token');
    assert.equal(edited.creator_id, original.creator_id);
    assert.equal(edited.create_at, original.create_at);
    assert.ok(edited.update_at >= original.update_at);

    await expectClientError(admin.editCommand({ ...edited, url: 'ftp://nope' }), 400, 'model.command.is_valid.url_http.app_error');
    const wrongId = await fetch(`${server.url}/api/v4/commands/${original.id}`, {
      method: 'PUT', headers: { authorization: `Bearer ${admin.getToken()}` }, body: JSON.stringify({ ...edited, id: 'z'.repeat(26) }),
    });
    assert.equal(wrongId.status, 400);
    assert.equal(((await wrongId.json()) as { id: string }).id, 'api.context.invalid_body_param.app_error');
    await expectClientError(admin.editCommand({ ...edited, team_id: 'b'.repeat(26) }), 400, 'api.command.team_mismatch.app_error');
    assert.equal(commandRows(server.dbFile).find((r) => r.Id === original.id)?.URL, 'http://integrations.example.com/v2', 'refused edits change nothing');
    await expectClientError(admin.editCommand({ ...edited, id: 'c'.repeat(26) }), 404, NOT_FOUND);
    await admin.deleteCommand(original.id);
  });

  it('regenerates the token', async () => {
    const command = await admin.addCommand(commandBody(teamId, url, { trigger: 'regen' }));
    const { token } = await admin.regenCommandToken(command.id);
    assert.match(token, ID);
    assert.notEqual(token, command.token);
    assert.equal((await getCommandById(server.url, admin, command.id)).body.token, token);
    assert.equal(commandRows(server.dbFile).find((r) => r.Id === command.id)?.Token, token);
    await admin.deleteCommand(command.id);
  });

  it('deletes softly: gone from the API, the row kept with DeleteAt set', async () => {
    const command = await admin.addCommand(commandBody(teamId, url, { trigger: 'gone' }));
    assert.deepEqual(await admin.deleteCommand(command.id), { status: 'OK' });
    assert.ok(!(await admin.getCustomTeamCommands(teamId)).some((c) => c.id === command.id));
    assert.equal((await getCommandById(server.url, admin, command.id)).status, 404);
    await expectClientError(admin.deleteCommand(command.id), 404, NOT_FOUND);
    await expectClientError(admin.regenCommandToken(command.id), 404, NOT_FOUND);
    const row = commandRows(server.dbFile).find((r) => r.Id === command.id);
    assert.ok(row && row.DeleteAt > 0);
  });

  it('refuses users without manage_slash_commands while EnableOnlyAdminIntegrations is true (the default)', async () => {
    const [command] = await admin.getCustomTeamCommands(teamId);
    const before = commandRows(server.dbFile);
    await expectClientError(alice.addCommand(commandBody(teamId, url, { trigger: 'alice' })), 403, PERMISSION_ERROR);
    await expectClientError(alice.getCustomTeamCommands(teamId), 403, PERMISSION_ERROR);
    // As Mattermost, the commands of a team one may not manage are not found, rather than forbidden.
    assert.equal((await getCommandById(server.url, alice, command.id)).status, 404);
    await expectClientError(alice.editCommand({ ...command, display_name: 'taken over' } as never), 404, NOT_FOUND);
    await expectClientError(alice.regenCommandToken(command.id), 404, NOT_FOUND);
    await expectClientError(alice.deleteCommand(command.id), 404, NOT_FOUND);
    assert.deepEqual(commandRows(server.dbFile), before);
    const anonymous = await fetch(`${server.url}/api/v4/commands?team_id=${teamId}&custom_only=true`);
    assert.equal(anonymous.status, 401);
  });

  it('shows only auto-complete commands, sanitized, to members who cannot manage commands', async () => {
    const hidden = await admin.addCommand(commandBody(teamId, url, { trigger: 'hidden', auto_complete: false }));
    const listed = await alice.getCommandsList(teamId);
    assert.ok(listed.length > 0);
    assert.ok(!listed.some((c) => c.id === hidden.id), 'not offered for autocomplete');
    for (const c of listed) {
      assert.equal(c.auto_complete, true);
      for (const field of ['token', 'url', 'method', 'username', 'icon_url', 'creator_id'] as const) assert.equal(c[field], '', field);
    }
    await admin.deleteCommand(hidden.id);
  });

  it('lets every user manage their own commands, not others\', once EnableOnlyAdminIntegrations is false', async () => {
    await admin.patchConfig({ ServiceSettings: { EnableOnlyAdminIntegrations: false } } as never);
    try {
      const [adminCommand] = await admin.getCustomTeamCommands(teamId);
      const own = await alice.addCommand(commandBody(teamId, url, { trigger: 'alice' }));
      assert.equal(own.trigger, 'alice');
      assert.deepEqual((await alice.getCustomTeamCommands(teamId)).map((c) => c.id), [own.id]);
      assert.equal((await alice.editCommand({ ...own, display_name: 'Mine' })).display_name, 'Mine');
      assert.equal((await getCommandById(server.url, alice, adminCommand.id)).status, 404);
      await expectClientError(alice.editCommand({ ...adminCommand, display_name: 'taken over' } as never), 403, PERMISSION_ERROR);
      await expectClientError(alice.regenCommandToken(adminCommand.id), 403, PERMISSION_ERROR);
      await expectClientError(alice.deleteCommand(adminCommand.id), 403, PERMISSION_ERROR);
      assert.ok((await admin.getCustomTeamCommands(teamId)).some((c) => c.id === own.id), 'an admin manages everyone\'s');
      await alice.deleteCommand(own.id);
    } finally {
      await admin.patchConfig({ ServiceSettings: { EnableOnlyAdminIntegrations: true } } as never);
    }
  });
});

/** A server with `pluginDir`, an admin, the user alice, loopback allowed, and a command receiver. */
async function startExecutionServer(options: { pluginDir: string; dbFile?: string; pluginCallTimeoutMs?: number }) {
  const server = await startServer(options);
  const { client: admin } = await createAdmin(server.url);
  const { client: alice, id: aliceId } = await createUser(server.url, admin);
  const { teamId, channelId } = await mainTeamAndChannel(alice);
  await admin.patchConfig({ ServiceSettings: { AllowedUntrustedInternalConnections: '127.0.0.1' } } as never);
  const receiver = await startCommandReceiver();
  const add = (trigger: string, path: string, method = 'P') =>
    admin.addCommand(commandBody(teamId, `${receiver.url}${path}`, { trigger, method })) as Promise<Command>;
  const run = (line: string, as: Client = alice) => as.executeCommand(line, { channel_id: channelId, team_id: teamId });
  return { server, admin, alice, aliceId, teamId, channelId, receiver, add, run };
}

describe('slash commands: execution (real plugin, no connection covers the URL)', () => {
  let s: Awaited<ReturnType<typeof startExecutionServer>>;
  let weather: Command;

  before(async () => {
    s = await startExecutionServer({ pluginDir: realPluginDir() });
    weather = await s.add('weather', '/hooks/json');
  });
  after(async () => {
    await s.receiver.close();
    await s.server.close();
  });

  it('POSTs Mattermost\'s payload, form-encoded, with "Authorization: Token <command token>"', async () => {
    const response = await s.run('/Weather tomorrow  in Paris');
    const [got] = s.receiver.requestsTo('json');
    assert.equal(got.method, 'POST');
    assert.equal(got.path, '/hooks/json');
    assert.equal(got.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(got.headers.accept, 'application/json');
    assert.equal(got.headers.authorization, `Token ${weather.token}`);
    const form = Object.fromEntries(got.form);
    assert.deepEqual(Object.keys(form).sort(), [
      'channel_id', 'channel_name', 'command', 'response_url', 'root_id', 'team_domain', 'team_id', 'text', 'token', 'trigger_id',
      'user_id', 'user_name',
    ]);
    assert.equal(form.token, weather.token);
    assert.equal(form.team_id, s.teamId);
    assert.equal(form.team_domain, 'main');
    assert.equal(form.channel_id, s.channelId);
    assert.equal(form.channel_name, 'town-square');
    assert.equal(form.user_id, s.aliceId);
    assert.equal(form.user_name, USER.username);
    assert.equal(form.command, '/weather');
    assert.equal(form.text, 'tomorrow  in Paris');
    assert.equal(form.root_id, '');
    assert.match(form.trigger_id, TRIGGER_ID);
    assert.match(form.response_url, new RegExp(`^${s.server.url}/hooks/commands/[a-z0-9]{26}$`));

    const { not_a_mattermost_field: _dropped, ...known } = JSON_REPLY;
    assert.deepEqual(response, { ...known, trigger_id: form.trigger_id });
  });

  it('sends method G as the query of a GET, after the query the URL already has', async () => {
    const echo = await s.add('echo', '/hooks/get?existing=1', 'G');
    const response = await s.run('/echo hello world');
    const [got] = s.receiver.requestsTo('get');
    assert.equal(got.method, 'GET');
    assert.equal(got.rawBody, '');
    assert.equal(got.headers['content-type'], undefined);
    assert.equal(got.headers.authorization, `Token ${echo.token}`);
    assert.equal(got.query.get('existing'), '1');
    assert.equal(got.query.get('token'), echo.token);
    assert.equal(got.query.get('command'), '/echo');
    assert.equal(got.query.get('text'), 'hello world');
    assert.equal(got.query.get('user_name'), USER.username);
    assert.equal(response.text, 'received');
    assert.equal(response.response_type, 'ephemeral', 'an answer without response_type is ephemeral');
  });

  it('takes a reply that is not JSON as the text of an ephemeral response, as Mattermost', async () => {
    await s.add('plain', '/hooks/plain');
    const response = await s.run('/plain');
    assert.equal(response.text, 'plain answer');
    assert.equal(response.response_type, 'ephemeral');
    assert.equal(s.receiver.requestsTo('plain')[0].form.get('text'), '');
  });

  it('answers a non-200 reply with failed_resp naming the command and the status', async () => {
    await s.add('broken', '/hooks/unavailable');
    const err = await clientFailure(s.run('/broken now'));
    assert.equal(err.status_code, 500);
    assert.equal(err.server_error_id, FAILED_RESP);
    assert.match(err.message, /'broken'.*503 Service Unavailable/);
    assert.equal(err.detailed_error, 'down for maintenance');
  });

  it('answers a reply that claims JSON but is not with a clear failure', async () => {
    await s.add('badjson', '/hooks/bad-json');
    const err = await clientFailure(s.run('/badjson'));
    assert.equal(err.server_error_id, FAILED);
    assert.match(err.message, /'badjson' failed: the response says it is JSON but is not valid JSON/);
  });

  it('gives up on a reply slower than OutgoingIntegrationRequestsTimeout', async () => {
    await s.add('slow', '/hooks/slow');
    await s.admin.patchConfig({ ServiceSettings: { OutgoingIntegrationRequestsTimeout: 1 } } as never);
    try {
      const started = Date.now();
      const err = await clientFailure(s.run('/slow'));
      assert.equal(err.server_error_id, FAILED);
      assert.match(err.message, /'slow' failed: timed out after 1000 ms/);
      assert.ok(Date.now() - started < SLOW_REPLY_MS, 'the host did not wait for the reply');
    } finally {
      await s.admin.patchConfig({ ServiceSettings: { OutgoingIntegrationRequestsTimeout: 30 } } as never);
    }
  });

  it('refuses a loopback URL unless AllowedUntrustedInternalConnections lists it, and sends nothing', async () => {
    const before = s.receiver.requests.length;
    await s.admin.patchConfig({ ServiceSettings: { AllowedUntrustedInternalConnections: '' } } as never);
    try {
      const err = await clientFailure(s.run('/weather'));
      assert.equal(err.server_error_id, FAILED);
      assert.match(err.message, /'weather' failed: refused: 127\.0\.0\.1 is a loopback address/);
      assert.equal(s.receiver.requests.length, before);
    } finally {
      await s.admin.patchConfig({ ServiceSettings: { AllowedUntrustedInternalConnections: '127.0.0.1' } } as never);
    }
  });

  it('refuses what cannot run: an unknown trigger (404), a malformed command (400), a channel one is not in (403) or deleted (400)', async () => {
    const before = s.receiver.requests.length;
    await expectClientError(s.run('/nosuch thing'), 404, 'api.command.execute_command.not_found.app_error');
    await expectClientError(s.run('weather'), 400, 'api.command.execute_command.start.app_error');
    await expectClientError(s.run('/'), 400, 'api.command.execute_command.start.app_error');
    await expectClientError(s.alice.executeCommand('/weather', { channel_id: 'not-an-id' }), 400, 'api.command.execute_command.start.app_error');
    await expectClientError(s.alice.executeCommand('/weather', { channel_id: s.channelId, root_id: 'nope' }), 400, 'api.context.invalid_body_param.app_error');
    await expectClientError(s.alice.executeCommand('/weather', { channel_id: 'd'.repeat(26) }), 403, PERMISSION_ERROR);
    const notMine = addChannel(s.server.dbFile, s.teamId, 'admins-only', { members: [] });
    await expectClientError(s.alice.executeCommand('/weather', { channel_id: notMine }), 403, PERMISSION_ERROR);
    const archived = addChannel(s.server.dbFile, s.teamId, 'archived', { members: [s.aliceId], deleted: true });
    await expectClientError(s.alice.executeCommand('/weather', { channel_id: archived }), 400, 'api.command.execute_command.deleted.error');
    // A deleted command no longer runs.
    const gone = await s.add('gone', '/hooks/json');
    await s.admin.deleteCommand(gone.id);
    await expectClientError(s.run('/gone'), 404, 'api.command.execute_command.not_found.app_error');
    assert.equal(s.receiver.requests.length, before);
  });

  it('logs one line per execution (command, trigger, status, time) and never a token', async () => {
    const line = s.server.logs.find((l) => l.includes('command executed') && l.includes(`command=${weather.id}`) && l.includes('status=200'));
    assert.ok(line, 'a log line for the weather command');
    assert.match(line, /trigger=weather .*outcome=ok ms=\d+/);
    const failedLine = s.server.logs.find((l) => l.includes('command executed') && l.includes('trigger=broken'));
    assert.match(failedLine ?? '', /status=503 outcome=api\.command\.execute_command\.failed_resp\.app_error/);
    const tokens = commandRows(s.server.dbFile).map((r) => r.Token);
    for (const log of s.server.logs) for (const token of tokens) assert.ok(!log.includes(token), `a log line shows a command token: ${log}`);
  });
});

describe('slash commands: execution through an outgoing OAuth connection (fake plugin)', () => {
  let s: Awaited<ReturnType<typeof startExecutionServer>>;

  before(async () => {
    s = await startExecutionServer({ pluginDir: FAKE_PLUGIN_DIR, pluginCallTimeoutMs: 1000 });
  });
  after(async () => {
    await s.receiver.close();
    await s.server.close();
  });

  it('sends the connection\'s Authorization instead of the command token', async () => {
    await s.add('secured', '/api/with-connection');
    const response = await s.run('/secured');
    const [got] = s.receiver.requestsTo('with-connection');
    assert.equal(got.headers.authorization, 'Bearer test-token');
    assert.equal(response.text, 'received');
    assert.ok(!s.server.logs.some((l) => l.includes('test-token')), 'the Authorization value is never logged');
  });

  it('sends the command token when no connection covers the URL', async () => {
    const open = await s.add('open', '/api/json');
    await s.run('/open');
    assert.equal(s.receiver.requestsTo('json')[0].headers.authorization, `Token ${open.token}`);
  });

  it('does not send the request when the connection cannot give a token, and says which and why', async () => {
    await s.add('refused', '/api/connection-failing');
    const err = await clientFailure(s.run('/refused'));
    assert.equal(err.server_error_id, NOT_SENT);
    assert.match(err.message, /'refused' was not sent/);
    assert.match(err.message, /"Fake connection": the token server answered 401 invalid_client/);
    assert.deepEqual(s.receiver.requestsTo('connection-failing'), []);
  });

  it('does not send the request when the plugin does not answer in time', async () => {
    await s.add('hanging', '/api/connection-hanging');
    const err = await clientFailure(s.run('/hanging'));
    assert.equal(err.server_error_id, NOT_SENT);
    assert.match(err.message, /did not answer within 1000 ms/);
    assert.deepEqual(s.receiver.requestsTo('connection-hanging'), []);
  });
});

describe('slash commands: execution while the plugin is not active', () => {
  it('sends nothing, since only the plugin knows whether a connection covers the URL', async () => {
    const dbFile = tempDbFile();
    const store = openSqliteStore(dbFile);
    // Data from a newer plugin version: the fake plugin refuses to activate.
    await store.kv.set('oauth-plugin', 'meta:schema', new TextEncoder().encode('{"v":999}'));
    await store.close();
    const s = await startExecutionServer({ pluginDir: FAKE_PLUGIN_DIR, dbFile });
    try {
      assert.equal(s.server.services.plugin.state, 'failed');
      // With an active fake plugin this URL would get "Bearer test-token".
      await s.add('secured', '/api/with-connection');
      const err = await clientFailure(s.run('/secured'));
      assert.equal(err.server_error_id, NOT_SENT);
      assert.match(err.message, /'secured' was not sent: .*the OAuth plugin is not active \(failed\)/);
      assert.deepEqual(s.receiver.requestsTo('with-connection'), []);
    } finally {
      await s.receiver.close();
      await s.server.close();
    }
  });
});
