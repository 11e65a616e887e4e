// make bench: the token endpoint through the reference server (authorization code exchange and
// refresh grant), against a bare Node http server answering a fixed JSON (the ceiling), the same
// server doing the least durable work of a refresh-token rotation first (the durable floor), and
// oidc-provider doing the same refresh grant (the peer, in memory). Loopback only; every server runs in its
// own process, started for its turn only, so that server and load generator each get a core.
//
//   node bench/bench.mjs                 BENCH_SECONDS=5 BENCH_CONCURRENCY=16 BENCH_CODES=3000
//   node bench/bench.mjs serve-bare|serve-floor|serve-oidc    (the child processes, started by the above)
import { fdatasync, mkdtempSync, openSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CALLBACK, CONCURRENCY, SECONDS, WARMUP_SECONDS, FORM, agent, request, load, measure, expectOk, printTable, printFigures, child, startHost,
  adminSession, trustedApp, refreshChains,
} from './lib.mjs';

const CODES = Number(process.env.BENCH_CODES ?? 3000);

// ---- child processes: the two servers that are not the host

// Reads the request body like the token endpoint must, then answers the same JSON every time.
async function serveBare() {
  serveFixed((answer) => answer());
}

const TOKEN_JSON = JSON.stringify({ access_token: 'x'.repeat(69), token_type: 'bearer', expires_in: 3600, scope: 'user', refresh_token: 'y'.repeat(69) });

/** Answers every request with `TOKEN_JSON` after reading its body and doing `work(answer)`, which calls `answer` when done. */
function serveFixed(work) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      work(() => res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(TOKEN_JSON));
    });
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}

// The least durable work a refresh-token rotation needs, in SQLite with the host's settings (WAL,
// its pragmas, its driver) and its durability: one read, two writes and one delete in one
// transaction per request, and the log synced to disk before the answer (off the event loop, as the
// host syncs it).
async function serveFloor() {
  const { default: Database } = await import('better-sqlite3');
  const file = join(mkdtempSync(join(tmpdir(), 'oauth-floor-')), 'floor.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('secure_delete = ON');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB NOT NULL)');
  const read = db.prepare('SELECT v FROM kv WHERE k = ?');
  const write = db.prepare('INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v');
  const remove = db.prepare('DELETE FROM kv WHERE k = ?');
  const grant = Buffer.alloc(400, 1);
  let previous = 'rt:0';
  let n = 0;
  const rotate = db.transaction(() => {
    const next = `rt:${++n}`;
    read.get(previous);
    write.run(next, grant);
    write.run('grant', grant);
    remove.run(previous);
    previous = next;
  });
  let wal;
  serveFixed((answer) => {
    rotate();
    wal ??= openSync(`${file}-wal`, 'r');
    fdatasync(wal, answer);
  });
}

async function serveOidc() {
  const { default: Provider } = await import('oidc-provider');
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const client = { client_id: 'bench', client_secret: 'bench-secret-bench-secret-bench-secret', redirect_uris: [CALLBACK],
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' };
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [client],
    // As the host does: every refresh rotates the refresh token and the old one stops working.
    rotateRefreshToken: true,
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
    cookies: { keys: ['bench-cookie-key'] },
    features: { devInteractions: { enabled: false } },
  });
  server.on('request', provider.callback());
  // One grant and refresh token per connection, made through the provider's own models (the
  // authorization code flow would need its login UI); what is measured is the HTTP refresh grant.
  // No "openid" scope, so no ID token is signed: the host issues none either.
  const registered = await provider.Client.find(client.client_id);
  const tokens = [];
  for (let i = 0; i < CONCURRENCY; i++) {
    const grant = new provider.Grant({ accountId: `user-${i}`, clientId: client.client_id });
    grant.addOIDCScope('offline_access');
    const grantId = await grant.save();
    const refresh = new provider.RefreshToken({ accountId: `user-${i}`, client: registered, grantId, scope: 'offline_access', gty: 'authorization_code' });
    tokens.push(await refresh.save());
  }
  process.send({ port, client, tokens });
}

// ---- the scenarios

async function benchHost() {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-bench-'));
  let host;
  try {
    host = await startHost({ ...process.env, MM_SQLSETTINGS_DRIVERNAME: 'sqlite3', MM_SQLSETTINGS_DATASOURCE: join(dir, 'bench.db'),
      MM_SERVICESETTINGS_ENABLEOAUTHSERVICEPROVIDER: 'true' });
    const app = await trustedApp(host.url, await adminSession(host.url));
    const newCodes = async (n) => {
      const codes = [];
      await load(async () => {
        if (codes.length >= n) return false;
        codes.push(await app.code());
      });
      return codes.slice(0, n);
    };

    const firstRefresh = [];
    for (const code of await newCodes(CONCURRENCY)) firstRefresh.push((await app.exchange(code)).refresh_token);
    const refresh = await measure(refreshChains(app.tokenUrl, firstRefresh, app.credentials));

    // Each request redeems a fresh code (a code is single use).
    const codes = await newCodes(CODES);
    const code = await load(async () => {
      const next = codes.pop();
      if (next === undefined) return false;
      await app.exchange(next);
    });

    // The chat API with an OAuth access token, as an integration calls it.
    const bearer = { authorization: `Bearer ${(await app.exchange((await newCodes(1))[0])).access_token}` };
    const me = await measure(async () => {
      expectOk(await request(`${host.url}/api/v4/users/me`, { headers: bearer }), 'users/me');
    });
    return { code, refresh, me };
  } finally {
    await host?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A refresh grant's request, again and again, to the child server `role`. */
async function benchFixed(role) {
  const { info, stop } = await child(import.meta.url, role);
  try {
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'z'.repeat(69), client_id: 'c', client_secret: 's' }).toString();
    return await measure(async () => {
      expectOk(await request(`http://127.0.0.1:${info.port}/token`, { method: 'POST', headers: { 'content-type': FORM }, body }), role);
    });
  } finally {
    stop();
  }
}

async function benchOidc() {
  const { info, stop } = await child(import.meta.url, 'serve-oidc');
  try {
    const { client_id, client_secret } = info.client;
    return await measure(refreshChains(`http://127.0.0.1:${info.port}/token`, info.tokens, { client_id, client_secret }));
  } finally {
    stop();
  }
}

async function main() {
  console.log(`loopback, concurrency ${CONCURRENCY}, ${SECONDS} s per run after ${WARMUP_SECONDS} s warm-up (code exchange: ${CODES} codes), Node ${process.version}\n`);
  const host = await benchHost();
  const bare = await benchFixed('serve-bare');
  const floor = await benchFixed('serve-floor');
  const oidc = await benchOidc();
  printTable('what', [
    ['host: authorization code exchange', host.code],
    ['host: refresh grant', host.refresh],
    ['host: GET /users/me, OAuth token', host.me],
    ['bare node http (fixed JSON)', bare],
    ['durable floor (SQLite rotation)', floor],
    ['oidc-provider: refresh grant', oidc],
  ]);
  console.log();
  printFigures([
    ['refresh grant req/s / durable floor', host.refresh.rps / floor.rps, '>=', 1.2],
    ['refresh grant req/s / oidc-provider refresh grant', host.refresh.rps / oidc.rps, '>=', 1.5],
    ['code exchange req/s / durable floor', host.code.rps / floor.rps, '>=', 0.8],
    ['GET /users/me (OAuth token) req/s / bare node http', host.me.rps / bare.rps, '>=', 0.5],
    ['refresh grant p99 / bare node http p99', host.refresh.p99 / bare.p99, '<=', 3],
    ['refresh grant req/s / bare node http (for scale)', host.refresh.rps / bare.rps],
  ]);
  agent.destroy();
}

const role = process.argv[2];
if (role === 'serve-bare') await serveBare();
else if (role === 'serve-floor') await serveFloor();
else if (role === 'serve-oidc') await serveOidc();
else await main();
