// Two host processes on one PostgreSQL database, on two loopback ports with the same SiteURL, as
// nodes behind a load balancer: shared data, single use of codes and refresh tokens across nodes,
// configuration reaching the other node, and a node killed with SIGKILL in the middle of a load.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { commandBody, mainTeamAndChannel, startCommandReceiver } from './command-helpers.js';
import { client, createAdmin, exchangeCode, meStatus, realPluginDir, refreshGrant, type AppCredentials, type Client } from './helpers.js';
import { brokenPairs, codeFrom, createApp, loadThenKill, tokensFrom } from './kill-helpers.js';
import { freePort, startNode, startPostgres, waitUntil, type Node, type TestPostgres } from './pg-helpers.js';

const RACERS = 50;

const providerOn = async (node: Node) => (await fetch(`${node.url}/.well-known/oauth-authorization-server`)).status === 200;

describe('two host nodes on one PostgreSQL database', () => {
  let pg: TestPostgres;
  let a: Node;
  let b: Node;
  let admin: Client;
  let session: string;
  let app: AppCredentials;

  before(async () => {
    pg = startPostgres();
    const databaseUrl = await pg.createDatabase();
    const [portA, portB] = [await freePort(), await freePort()];
    const common = { databaseUrl, siteUrl: `http://127.0.0.1:${portA}`, pluginDir: realPluginDir() };
    // Both start at once on an empty database: the migration lock lets exactly one create the schema.
    [a, b] = await Promise.all([startNode('A', { ...common, port: portA }), startNode('B', { ...common, port: portB })]);
    ({ client: admin } = await createAdmin(a.url));
    session = admin.getToken();
    await admin.patchConfig({ ServiceSettings: { EnableOAuthServiceProvider: true } } as never);
    await waitUntil('the provider enabled on A is on at B', () => providerOn(b));
    app = await createApp(a, session, 'cluster app');
  });

  after(async () => {
    for (const node of [a, b]) if (node && node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
    await Promise.all([a?.exited, b?.exited]);
    pg?.destroy();
  });

  it('shares users and sessions: a session made on A works on B', async () => {
    const res = await fetch(`${b.url}/api/v4/users/me`, { headers: { authorization: `Bearer ${session}` } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { username: string }).username, 'admin');
  });

  it('counts failed logins across nodes: ten wrong passwords split over A and B lock the account on both', async () => {
    const { id } = await admin.createUser({ username: 'carol', email: 'carol@example.com', password: 'carol-password-1' } as never, '', '');
    assert.ok(id);
    const login = (node: Node, password: string) => fetch(`${node.url}/api/v4/users/login`, {
      method: 'POST', body: JSON.stringify({ login_id: 'carol', password }),
    }).then(async (res) => ({ status: res.status, id: ((await res.json()) as { id?: string }).id }));
    const wrong = await Promise.all(Array.from({ length: 10 }, (_, i) => login(i % 2 ? a : b, 'wrong-password')));
    assert.deepEqual(new Set(wrong.map((r) => r.id)), new Set(['api.user.login.invalid_credentials_email_username']));
    for (const node of [a, b]) {
      assert.deepEqual(await login(node, 'carol-password-1'), { status: 401, id: 'api.user.check_user_login_attempts.too_many.app_error' }, node.name);
    }
  });

  it('lists on B an app created on A', async () => {
    const res = await fetch(`${b.url}/api/v4/oauth/apps`, { headers: { authorization: `Bearer ${session}` } });
    assert.equal(res.status, 200);
    const apps = (await res.json()) as { id: string; name: string }[];
    assert.ok(apps.some((x) => x.id === app.id && x.name === 'cluster app'), JSON.stringify(apps));
  });

  it('redeems on B a code issued through A; the tokens work on both nodes', async () => {
    const code = await codeFrom(a, session, app);
    const res = await exchangeCode(b.url, app, code);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const access = String(res.body.access_token);
    assert.equal(await meStatus(a.url, access), 200);
    assert.equal(await meStatus(b.url, access), 200);
    assert.equal((await exchangeCode(a.url, app, code)).status, 400, 'the code was used up on B');
  });

  it(`of ${RACERS} concurrent redemptions of one code split across both nodes exactly one succeeds`, async () => {
    const code = await codeFrom(a, session, app);
    const results = await Promise.all(Array.from({ length: RACERS }, (_, i) => exchangeCode((i % 2 ? b : a).url, app, code)));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(' ')}`);
    assert.ok(results.every((r) => r.status === 200 || (r.status === 400 && r.body.error === 'invalid_grant')), `statuses: ${statuses.join(' ')}`);
  });

  it(`of ${RACERS} concurrent refreshes of one refresh token across both nodes exactly one rotates it`, async () => {
    const tokens = await tokensFrom(a, session, app);
    const results = await Promise.all(Array.from({ length: RACERS }, (_, i) => refreshGrant((i % 2 ? b : a).url, app, tokens.refresh_token)));
    assert.equal(results.filter((r) => r.status === 200).length, 1, `statuses: ${results.map((r) => r.status).join(' ')}`);
    assert.ok(results.every((r) => r.status === 200 || (r.status === 400 && r.body.error === 'invalid_grant')));
    // The old one is spent on every node. (The losers replayed it, so the plugin's reuse detection
    // has revoked the grant, winner's new tokens included: not asserted here, it is the plugin's rule.)
    assert.equal((await refreshGrant(a.url, app, tokens.refresh_token)).status, 400);
    assert.equal((await refreshGrant(b.url, app, tokens.refresh_token)).status, 400);
  });

  it('puts a setting changed through A in force on B within seconds (and B\'s plugin hears it)', async (t) => {
    await admin.patchConfig({ ServiceSettings: { EnableOAuthServiceProvider: false } } as never);
    // 501 comes from B's plugin: it was told of the change (onConfigurationChange), not only B's host.
    const off = await waitUntil('provider off on B', async () => (await fetch(`${b.url}/.well-known/oauth-authorization-server`)).status === 501, 5_000);
    const config = (await (await fetch(`${b.url}/api/v4/config`, { headers: { authorization: `Bearer ${session}` } })).json()) as
      { ServiceSettings: { EnableOAuthServiceProvider: boolean } };
    assert.equal(config.ServiceSettings.EnableOAuthServiceProvider, false);
    // And back, changed through B this time, heard by A.
    const bAdmin = await fetch(`${b.url}/api/v4/config/patch`, {
      method: 'PUT', headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ServiceSettings: { EnableOAuthServiceProvider: true } }),
    });
    assert.equal(bAdmin.status, 200);
    const on = await waitUntil('provider on again at A', () => providerOn(a), 5_000);
    t.diagnostic(`config propagation: A→B ${off} ms, B→A ${on} ms (polled every 50 ms)`);
  });

  it('fires on B an outgoing webhook made on A, and posts its answer for both; a trigger id B issued opens a dialog through A that B submits', async () => {
    const receiver = await startCommandReceiver();
    try {
      await admin.patchConfig({ ServiceSettings: { AllowedUntrustedInternalConnections: '127.0.0.1' } } as never);
      const onB = client(b.url, session);
      await waitUntil('loopback allowed on B', async () => (await onB.getConfig()).ServiceSettings.AllowedUntrustedInternalConnections === '127.0.0.1');
      const { teamId, channelId } = await mainTeamAndChannel(admin);
      await admin.createOutgoingWebhook({ team_id: teamId, trigger_words: ['ping'], callback_urls: [`${receiver.url}/hooks/cluster`] } as never);
      const post = await onB.createPost({ channel_id: channelId, message: 'ping from B' } as never);
      await waitUntil('the webhook answer posted', async () => {
        const list = await admin.getPosts(channelId);
        return list.order.some((id) => list.posts[id].message === 'received' && list.posts[id].props.from_webhook === 'true');
      });
      assert.equal(Object.fromEntries(receiver.requestsTo('cluster')[0].form).post_id, post.id);

      await admin.addCommand(commandBody(teamId, `${receiver.url}/hooks/cluster-command`, { trigger: 'cluster' }));
      await onB.executeCommand('/cluster', { channel_id: channelId, team_id: teamId } as never);
      const triggerId = Object.fromEntries(receiver.requestsTo('cluster-command')[0].form).trigger_id;
      const url = `${receiver.url}/hooks/cluster-dialog`;
      const opened = await fetch(`${a.url}/api/v4/actions/dialogs/open`, {
        method: 'POST', body: JSON.stringify({ trigger_id: triggerId, url, dialog: { callback_id: 'c', title: 'Cluster', elements: [] } }),
      });
      assert.equal(opened.status, 200, await opened.text());
      assert.deepEqual(await onB.submitInteractiveDialog({ url, callback_id: 'c', state: '', submission: {} } as never), {});
      assert.equal(receiver.requestsTo('cluster-dialog').length, 1);
    } finally {
      await receiver.close();
    }
  });

  it('keeps working through B every token a client received from A before A was killed (SIGKILL) under load', async (t) => {
    const { live, received, inFlightAtKill } = await loadThenKill(a, session, app);
    const broken = await brokenPairs(b.url, app, live);
    t.diagnostic(`SIGKILL: ${received} token responses received, ${inFlightAtKill} requests in flight at the kill, ${live.length} pairs checked through B`);
    assert.deepEqual(broken, [], `${broken.length} of ${live.length} received token pairs do not work through B`);
  });
});
