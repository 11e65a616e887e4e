// The PostgreSQL driver beyond the KV contract (kv-postgres.test.ts): the schema in Mattermost's
// shape, rules that must hold when several nodes (here: several pools) share the database, the
// configuration watch, and a lost database (503 meanwhile, reconnection, nothing half-written).
import assert from 'node:assert/strict';
import { SCHEMA_BEFORE_ENCRYPTION, UNDO_AFTER_ENCRYPTION } from './command-helpers.js';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ApiError } from '../src/errors.js';
import { LOGIN_LOCKOUT_MS } from '../src/users.js';
import type { CommandFields, Store } from '../src/store/store.js';
import { CALLBACK, createAdmin, exchangeCode, meStatus, realPluginDir, refreshGrant, startServer, type TestServer } from './helpers.js';
import { PG_HOST_ENV, openPgStore, startPostgres, waitUntil, type TestPostgres } from './pg-helpers.js';

const user = (n: number) => ({ username: `user${n}`, email: `user${n}@example.com`, nickname: '', firstName: '', lastName: '', passwordHash: 'x' });

const command = (trigger: string): CommandFields => ({
  trigger, method: 'P', username: '', iconUrl: '', autoComplete: false, autoCompleteDesc: '', autoCompleteHint: '',
  displayName: '', description: '', url: 'https://example.com/cmd',
});

/** Settles every promise; returns the values and the errors apart. */
async function settle<T>(promises: Promise<T>[]): Promise<{ ok: T[]; failed: unknown[] }> {
  const results = await Promise.allSettled(promises);
  return {
    ok: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    failed: results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])),
  };
}

describe('PostgreSQL store', () => {
  let server: TestPostgres;
  const opened: Store[] = [];
  /** `n` stores (separate pools, as separate nodes) on one fresh database, opened at the same time. */
  let lastUrl = '';
  const nodes = async (n: number): Promise<Store[]> => {
    lastUrl = await server.createDatabase();
    const stores = await Promise.all(Array.from({ length: n }, () => openPgStore(lastUrl)));
    opened.push(...stores);
    return stores;
  };

  before(() => {
    server = startPostgres();
  });
  after(async () => {
    for (const s of opened) await s.close();
    server.destroy();
  });

  it('creates the schema once when several nodes start together, with the KV table in Mattermost\'s shape', async () => {
    const [first] = await nodes(4);
    assert.ok(await first.teams.teamByName('main'), 'the default team');
    const client = new pg.Client({ connectionString: lastUrl });
    await client.connect();
    try {
      const teams = await client.query("SELECT count(*)::int AS n FROM teams WHERE name = 'main'");
      assert.equal(teams.rows[0].n, 1, 'migrated exactly once');
      const columns = await client.query(`SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = 'pluginkeyvaluestore' ORDER BY ordinal_position`);
      assert.deepEqual(columns.rows.map((r) => `${r.column_name} ${r.data_type}`),
        ['pluginid character varying', 'pkey character varying', 'pvalue bytea', 'expireat bigint']);
    } finally {
      await client.end();
    }
  });

  it('makes exactly one first user system admin when sign-ups race on several nodes', async () => {
    const stores = await nodes(2);
    const { ok, failed } = await settle(Array.from({ length: 10 }, (_, i) => stores[i % 2].users.create(user(i), false)));
    assert.equal(ok.length, 1);
    assert.equal(ok[0].roles, 'system_admin system_user');
    assert.ok(failed.every((e) => e instanceof ApiError && e.status === 403));
    assert.equal((await stores[1].teams.teamsOfUser(ok[0].id)).length, 1, 'joined the default team');
  });

  it('refuses a duplicate user with a 400 and writes nothing of it', async () => {
    const [store] = await nodes(1);
    await store.users.create(user(1), false);
    await assert.rejects(store.users.create({ ...user(1), email: 'other@example.com' }, true), (e: ApiError) => e.status === 400);
    assert.equal(await store.users.findByLogin('other@example.com'), null);
  });

  it('counts login attempts in one statement: of attempts racing on two nodes, exactly the limit go ahead', async () => {
    const [a, b] = await nodes(2);
    const u = await a.users.create(user(1), false);
    let now = 1_700_000_000_000;
    const counted = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).users.countLoginAttempt(u.id, 10, LOGIN_LOCKOUT_MS, now)));
    assert.equal(counted.filter(Boolean).length, 10);
    now += LOGIN_LOCKOUT_MS - 1;
    assert.equal(await a.users.countLoginAttempt(u.id, 10, LOGIN_LOCKOUT_MS, now), false, 'still locked');
    now += 1;
    assert.equal(await b.users.countLoginAttempt(u.id, 10, LOGIN_LOCKOUT_MS, now), true, 'the cool-down is over: a fresh count');
    await a.users.clearLoginAttempts(u.id);
    for (let i = 0; i < 10; i++) assert.equal(await b.users.countLoginAttempt(u.id, 10, LOGIN_LOCKOUT_MS, now), true);
    assert.equal(await a.users.countLoginAttempt(u.id, 10, LOGIN_LOCKOUT_MS, now), false);
  });

  it('deactivates a user (DeleteAt kept on a second deactivation), revokes their sessions, and reactivates', async () => {
    const [store] = await nodes(1);
    const [u, other] = [await store.users.create(user(1), false), await store.users.create(user(2), true)];
    for (const [id, userId] of [['s1', u.id], ['s2', u.id], ['s3', other.id]]) {
      await store.sessions.create({ id, tokenHash: `h${id}`, csrfHash: 'c', userId, createAt: 1, expiresAt: Date.now() + 60_000 });
    }
    assert.equal(await store.users.setActive(u.id, false, 1_000), true);
    assert.equal(await store.users.setActive(u.id, false, 2_000), true);
    assert.equal((await store.users.get(u.id))?.deleteAt, 1_000);
    assert.equal(await store.sessions.deleteByUser(u.id), 2);
    assert.ok(await store.sessions.findByTokenHash('hs3', Date.now()), "another user's session stays");
    assert.equal(await store.users.setActive(u.id, true, 3_000), true);
    assert.equal((await store.users.get(u.id))?.deleteAt, 0);
    assert.equal(await store.users.setActive('n'.repeat(26), false, 1), false);
  });

  it('stores command tokens encrypted; the migration encrypts tokens written in plain text before it', async () => {
    const [store] = await nodes(1);
    const team = (await store.teams.teamByName('main'))!;
    const [a, b] = [await store.commands.create('c'.repeat(26), team.id, command('one')), await store.commands.create('c'.repeat(26), team.id, command('two'))];
    const client = new pg.Client({ connectionString: lastUrl });
    await client.connect();
    try {
      const raw = async () => new Map((await client.query('SELECT id, token FROM commands')).rows.map((r) => [r.id as string, r.token as string]));
      assert.ok(![...(await raw()).values()].some((t) => t === a.token || t === b.token), 'no plaintext token in the database');
      // As a database written before this version: plaintext tokens, the schema one step back.
      await client.query('UPDATE commands SET token = $2 WHERE id = $1', [a.id, a.token]);
      await client.query('UPDATE commands SET token = $2 WHERE id = $1', [b.id, b.token]);
      await client.query(UNDO_AFTER_ENCRYPTION);
      await client.query('DROP TABLE systems');
      await client.query('UPDATE hostschemaversion SET version = $1', [SCHEMA_BEFORE_ENCRYPTION]);
      const [reopened] = await Promise.all([openPgStore(lastUrl), openPgStore(lastUrl)]).then((stores) => (opened.push(...stores), stores));
      assert.equal((await reopened.commands.get(a.id))?.token, a.token);
      assert.equal((await reopened.commands.get(b.id))?.token, b.token);
      const after = await raw();
      assert.ok(after.get(a.id) !== a.token && after.get(b.id) !== b.token, 'encrypted by the migration');
    } finally {
      await client.end();
    }
  });

  it('refuses to open with another at-rest key than the database was encrypted with', async () => {
    await nodes(1);
    await assert.rejects(openPgStore(lastUrl, Date.now, 10, 'another key, at least thirty-two characters long'),
      /the at-rest key is not the one this database was encrypted with.*every node needs the same one/);
  });

  it('refuses to start a host on PostgreSQL without MM_SQLSETTINGS_ATRESTENCRYPTKEY, saying every node needs it', async () => {
    await assert.rejects(startServer({ env: { MM_SQLSETTINGS_DRIVERNAME: 'postgres' }, dataSource: await server.createDatabase(), pluginDir: realPluginDir() }),
      /MM_SQLSETTINGS_ATRESTENCRYPTKEY is required with the postgres driver.*same key.*every node/);
  });

  it('keeps a trigger unique per team when creations race on several nodes; a deleted command frees it', async () => {
    const stores = await nodes(2);
    const team = (await stores[0].teams.teamByName('main'))!;
    const { ok, failed } = await settle(Array.from({ length: 10 }, (_, i) => stores[i % 2].commands.create('creator', team.id, command('deploy'))));
    assert.equal(ok.length, 1);
    assert.ok(failed.every((e) => e instanceof ApiError && e.id === 'api.command.duplicate_trigger.app_error'));
    const other = await stores[1].commands.create('creator', team.id, command('other'));
    await assert.rejects(stores[0].commands.update(other.id, command('deploy')), (e: ApiError) => e.id === 'api.command.duplicate_trigger.app_error');
    assert.equal((await stores[0].commands.get(other.id))?.trigger, 'other', 'the refused update changed nothing');
    assert.equal(await stores[1].commands.delete(ok[0].id), true);
    assert.equal((await stores[0].commands.update(other.id, command('deploy')))?.trigger, 'deploy');
    assert.deepEqual((await stores[1].commands.listByTeam(team.id)).map((c) => c.trigger), ['deploy']);
    const fresh = await stores[0].commands.regenerateToken(other.id);
    assert.notEqual(fresh?.token, other.token);
    assert.equal(fresh?.autoComplete, false);
  });

  it('keeps one active configuration when nodes save at once, and tells every watching node', async () => {
    const stores = await nodes(3);
    let heard = 0;
    const stop = stores[2].configs.watch!(async () => void heard++);
    try {
      await waitUntil('the watch is listening', async () => heard > 0, 5_000); // it looks once when it starts
      const before = heard;
      await Promise.all(Array.from({ length: 10 }, (_, i) => stores[i % 2].configs.save({ ServiceSettings: { OutgoingIntegrationRequestsTimeout: i + 1 } })));
      await waitUntil('every save heard', async () => heard - before >= 10, 5_000);
      const active = await stores[2].configs.loadActive() as { ServiceSettings: { OutgoingIntegrationRequestsTimeout: number } };
      assert.ok(active.ServiceSettings.OutgoingIntegrationRequestsTimeout >= 1);
    } finally {
      stop();
    }
  });

  it('re-reads the configuration again while reading it fails (the database may be back before the watch)', async () => {
    const [store] = await nodes(1);
    let calls = 0;
    const stop = store.configs.watch!(async () => {
      if (++calls < 3) throw new Error('database away');
    });
    try {
      await waitUntil('a third, successful re-read', async () => calls >= 3, 10_000);
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal(calls, 3, 'no more re-reads once one succeeded');
    } finally {
      stop();
    }
  });

  it('opens no more connections than MaxOpenConns, however many requests wait', async () => {
    const url = await server.createDatabase();
    const store = await openPgStore(url, Date.now, 3);
    opened.push(store);
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.kv.set('p', `k${i}`, new Uint8Array([i % 256]), { atomic: true, oldValue: null })));
    assert.equal((await store.kv.list('p', 0, 1000)).length, 200);
    // Idle connections stay in the pool for a while, so what it opened under that load is still there to count.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'oauth-plugin-server'");
      assert.ok(rows[0].n >= 1 && rows[0].n <= 3, `connections: ${rows[0].n}`);
    } finally {
      await client.end();
    }
  });

  it('sweeps expired KV rows and sessions', async () => {
    let now = 1_000_000;
    const url = await server.createDatabase();
    const store = await openPgStore(url, () => now);
    opened.push(store);
    await store.kv.set('p', 'short', new Uint8Array([1]), { expireInSeconds: 1 });
    await store.kv.set('p', 'kept', new Uint8Array([1]));
    const u = await store.users.create(user(1), false);
    await store.sessions.create({ id: 's1', tokenHash: 'h1', csrfHash: 'c', userId: u.id, createAt: now, expiresAt: now + 500 });
    now += 1_000;
    assert.equal(await store.kv.sweepExpired(), 1);
    assert.equal(await store.sessions.sweepExpired(now), 1);
    assert.deepEqual(await store.kv.list('p', 0, 10), ['kept']);
  });
});

describe('a host on PostgreSQL when the database goes away', () => {
  let pg: TestPostgres;
  let host: TestServer;
  let session: string;
  let app: { id: string; client_secret: string };

  before(async () => {
    pg = startPostgres(); // its own server: this suite stops and starts it
    host = await startServer({ env: PG_HOST_ENV, dataSource: await pg.createDatabase(), pluginDir: realPluginDir() });
    const { client: admin } = await createAdmin(host.url);
    session = admin.getToken();
    await admin.patchConfig({ ServiceSettings: { EnableOAuthServiceProvider: true } } as never);
    const res = await fetch(`${host.url}/api/v4/oauth/apps`, {
      method: 'POST', headers: { authorization: `Bearer ${session}` },
      body: JSON.stringify({ name: 'outage app', homepage: 'https://example.com', callback_urls: [CALLBACK], is_trusted: true }),
    });
    app = (await res.json()) as typeof app;
  });
  after(async () => {
    await host?.close();
    pg?.destroy();
  });

  const authorize = () => fetch(`${host.url}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.id, redirect_uri: CALLBACK })}`,
    { headers: { authorization: `Bearer ${session}` }, redirect: 'manual' });

  it('answers 503 meanwhile, changes nothing, and serves again once the database is back', async () => {
    const location = (await authorize()).headers.get('location')!;
    const tokens = (await exchangeCode(host.url, app, new URL(location).searchParams.get('code')!)).body as { access_token: string; refresh_token: string };
    assert.equal(await meStatus(host.url, tokens.access_token), 200);

    pg.stop();
    // Host routes, plugin routes, OAuth-authenticated calls: all the same clear 503.
    const answers = await Promise.all([
      fetch(`${host.url}/api/v4/users/me`, { headers: { authorization: `Bearer ${session}` } }),
      fetch(`${host.url}/api/v4/oauth/apps`, { headers: { authorization: `Bearer ${session}` } }),
      fetch(`${host.url}/api/v4/users/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
      fetch(`${host.url}/oauth/access_token`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: app.id, client_secret: app.client_secret }),
      }),
    ]);
    for (const res of answers) {
      const body = (await res.json()) as { id: string };
      assert.equal(res.status, 503, JSON.stringify(body));
      assert.equal(body.id, 'app.store.unavailable.app_error');
    }
    assert.equal(host.services.store.health?.down, true);
    assert.match(host.logs.join('\n'), /database unavailable; reconnecting/);

    pg.start();
    const back = await waitUntil('served again', async () => (await meStatus(host.url, tokens.access_token)) === 200, 15_000);
    assert.match(host.logs.join('\n'), /database reachable again/);
    // The refresh attempted during the outage rotated nothing: the refresh token still works, once.
    assert.equal((await refreshGrant(host.url, app, tokens.refresh_token)).status, 200);
    assert.ok(back < 15_000);
  });

  it('hears configuration saves again after the outage (the watch reconnected)', async () => {
    // Written straight into the database, as another node would: only the watch can tell this host.
    const other = await openPgStore(host.services.config.get().SqlSettings.DataSource);
    try {
      await other.configs.save({ ServiceSettings: { EnableOAuthServiceProvider: false } });
      await waitUntil('provider off', async () => (await fetch(`${host.url}/.well-known/oauth-authorization-server`)).status === 501, 10_000);
    } finally {
      await other.close();
    }
  });
});
