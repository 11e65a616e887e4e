// Group commit on SQLite (src/store/sqlite/db.ts): the writes of a turn of the event loop commit
// once; no answer leaves before the commit that holds its writes, so every token a client received
// survives a SIGKILL of the server; a commit that fails is a 503 for every answer that waited on it,
// with nothing of the batch written, and writes stop until the database takes one again.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { SqliteDb } from '../src/store/sqlite/db.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import type { Store } from '../src/store/store.js';
import { createAdmin, realPluginDir, refreshGrant, startProvider, tempDbFile, type AppCredentials, type ProviderServer } from './helpers.js';
import { brokenPairs, createApp, loadThenKill, tokensFrom } from './kill-helpers.js';
import { freePort, startNode, waitUntil, type Node } from './pg-helpers.js';

const P = 'oauth-plugin';
const bytes = (text: string) => new TextEncoder().encode(text);
const sqliteOf = (store: Store) => store.durability as SqliteDb;

/** A trigger on the server's own connection whose row breaks a deferred foreign key: any KV update then fails at COMMIT. */
function failCommitsOfKvUpdates(db: SqliteDb): () => void {
  db.raw.exec(`CREATE TEMP TABLE commit_breaker_parent (id TEXT PRIMARY KEY);
    CREATE TEMP TABLE commit_breaker (parent TEXT REFERENCES commit_breaker_parent (id) DEFERRABLE INITIALLY DEFERRED);
    CREATE TEMP TRIGGER break_commit AFTER UPDATE ON main.PluginKeyValueStore BEGIN INSERT INTO commit_breaker VALUES ('none'); END;`);
  return () => db.raw.exec('DROP TRIGGER temp.break_commit; DROP TABLE temp.commit_breaker; DROP TABLE temp.commit_breaker_parent;');
}

describe('group commit on SQLite', () => {
  it('commits the writes of one turn once, and only after the turn', async () => {
    const file = tempDbFile();
    const store = openSqliteStore(file, Date.now);
    const peek = new Database(file, { readonly: true }); // outside the process's batches, as another process
    try {
      const db = sqliteOf(store);
      const rows = () => (peek.prepare('SELECT COUNT(*) AS n FROM PluginKeyValueStore').get() as { n: number }).n;
      const commits = () => peek.pragma('data_version', { simple: true }) as number;
      const before = commits();
      await Promise.all(['a', 'b', 'c'].map((key) => store.kv.set(P, key, bytes(key))));
      const pending = db.durable(db.generation);
      assert.ok(pending, 'the writes wait for their commit');
      assert.equal(rows(), 0, 'nothing is committed before the turn ends');
      await pending;
      assert.equal(rows(), 3);
      assert.equal(commits(), before + 1, 'three writes, one commit');
      assert.equal(db.durable(db.generation), undefined, 'nothing left to wait for');
    } finally {
      peek.close();
      await store.close();
    }
  });

  it('loses the whole batch when its commit fails: waiters get a 503, writes stop until the database takes one again', async () => {
    const store = openSqliteStore(tempDbFile(), Date.now);
    try {
      const db = sqliteOf(store);
      await store.kv.set(P, 'kept', bytes('1'));
      await db.durable(db.generation);
      const since = db.generation;
      const repair = failCommitsOfKvUpdates(db);
      await store.kv.set(P, 'new', bytes('2')); // same batch as the update that breaks it
      await store.kv.set(P, 'kept', bytes('changed'));
      await assert.rejects(db.durable(since)!, { status: 503, id: 'app.store.unavailable.app_error' });
      assert.equal(db.down, true);
      await assert.rejects(async () => store.kv.set(P, 'more', bytes('3')), { status: 503 }, 'no write while down');
      repair();
      await waitUntil('the database takes writes again', async () => !db.down, 5_000);
      assert.equal(await store.kv.get(P, 'new'), null, 'nothing of the failed batch was written');
      assert.deepEqual(await store.kv.get(P, 'kept'), bytes('1'));
      await assert.rejects(db.durable(since)!, { status: 503 }, 'an answer begun before the failure cannot pretend it did not happen');
      assert.equal(await store.kv.set(P, 'more', bytes('3')), true);
      await db.durable(db.generation);
    } finally {
      await store.close();
    }
  });
});

describe('a failed commit through the server', () => {
  let provider: ProviderServer;
  let app: AppCredentials;

  before(async () => {
    provider = await startProvider();
    const { server, admin } = provider;
    const res = await fetch(`${server.url}/api/v4/oauth/apps`, {
      method: 'POST', headers: { authorization: `Bearer ${admin.getToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'app', homepage: 'https://example.com', callback_urls: ['http://127.0.0.1:9/callback'], is_trusted: true }),
    });
    app = (await res.json()) as AppCredentials;
  });
  after(async () => provider?.server.close());

  it('answers 503 to every request whose writes it held, and their refresh tokens still work afterwards', async () => {
    const { server, admin } = provider;
    const node = { name: 'in-process', url: server.url } as Node;
    const pairs = [await tokensFrom(node, admin.getToken(), app), await tokensFrom(node, admin.getToken(), app)];
    const db = sqliteOf(server.services.store);
    const repair = failCommitsOfKvUpdates(db);
    let repaired = false;
    try {
      const refused = await Promise.all(pairs.map((pair) => refreshGrant(server.url, app, pair.refresh_token)));
      assert.deepEqual(refused.map((r) => [r.status, r.body.id]), [[503, 'app.store.unavailable.app_error'], [503, 'app.store.unavailable.app_error']]);
      assert.ok(refused.every((r) => !('access_token' in r.body)), 'no token from a rotation that was not committed');
      repair();
      repaired = true;
      await waitUntil('the database takes writes again', async () => !db.down, 5_000);
      for (const pair of pairs) {
        const res = await refreshGrant(server.url, app, pair.refresh_token);
        assert.equal(res.status, 200, `the rotation was rolled back, so the refresh token still works: ${JSON.stringify(res.body)}`);
      }
    } finally {
      if (!repaired) repair();
    }
  });
});

describe('a host process on SQLite killed with SIGKILL under load', () => {
  const file = tempDbFile();
  let node: Node;
  let session: string;
  let app: AppCredentials;

  const start = async (name: string) => {
    const port = await freePort();
    return startNode(name, {
      databaseUrl: file, port, siteUrl: `http://127.0.0.1:${port}`, pluginDir: realPluginDir(),
      env: { MM_SQLSETTINGS_DRIVERNAME: 'sqlite3', MM_SERVICESETTINGS_ENABLEOAUTHSERVICEPROVIDER: 'true' },
    });
  };

  before(async () => {
    node = await start('first');
    const { client: admin } = await createAdmin(node.url);
    session = admin.getToken();
    app = await createApp(node, session, 'durable app');
  });
  after(async () => {
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
    await node.exited;
  });

  it('keeps every token a client received: the restarted server takes them all (three kills)', async (t) => {
    for (let round = 1; round <= 3; round++) {
      const { live, received, inFlightAtKill } = await loadThenKill(node, session, app);
      node = await start(`after kill ${round}`);
      const broken = await brokenPairs(node.url, app, live);
      t.diagnostic(`kill ${round}: ${received} token answers received, ${inFlightAtKill} requests in flight, ${live.length} pairs checked`);
      assert.deepEqual(broken, [], `kill ${round}: ${broken.length} of ${live.length} token pairs a client received are lost`);
    }
  });
});
