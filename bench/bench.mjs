// make bench: the token endpoint through the reference server (authorization code exchange and
// refresh grant), against a bare Node http server answering a fixed JSON (the ceiling) and
// oidc-provider doing the same refresh grant (the peer). Loopback only; every server runs in its
// own process, started for its turn only, so that server and load generator each get a core.
//
//   node bench/bench.mjs                 BENCH_SECONDS=5 BENCH_CONCURRENCY=16 BENCH_CODES=3000
//   node bench/bench.mjs serve-bare|serve-oidc    (the child processes, started by the above)
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CALLBACK, CONCURRENCY, SECONDS, WARMUP_SECONDS, FORM, agent, request, load, measure, expectOk, printTable, rpsRatio, child, startHost,
  adminSession, trustedApp, refreshChains,
} from './lib.mjs';

const CODES = Number(process.env.BENCH_CODES ?? 3000);

// ---- child processes: the two servers that are not the host

async function serveBare() {
  const body = JSON.stringify({ access_token: 'x'.repeat(43), token_type: 'bearer', expires_in: 3600, scope: 'user', refresh_token: 'y'.repeat(43) });
  // Reads the request body like the token endpoint must, then answers the same JSON every time.
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body));
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
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
    return { code, refresh };
  } finally {
    await host?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchBare() {
  const { info, stop } = await child(import.meta.url, 'serve-bare');
  try {
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'z'.repeat(43), client_id: 'c', client_secret: 's' }).toString();
    return await measure(async () => {
      expectOk(await request(`http://127.0.0.1:${info.port}/token`, { method: 'POST', headers: { 'content-type': FORM }, body }), 'bare');
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
  const rows = [
    ['host: authorization code exchange', host.code],
    ['host: refresh grant', host.refresh],
    ['bare node http (fixed JSON)', await benchBare()],
    ['oidc-provider: refresh grant', await benchOidc()],
  ];
  printTable('what', rows);
  const [, , bare, oidc] = rows.map(([, r]) => r);
  console.log(`\nhost refresh / bare node:     ${rpsRatio(host.refresh, bare)}`);
  console.log(`host refresh / oidc-provider: ${rpsRatio(host.refresh, oidc)}`);
  agent.destroy();
}

const role = process.argv[2];
if (role === 'serve-bare') await serveBare();
else if (role === 'serve-oidc') await serveOidc();
else await main();
