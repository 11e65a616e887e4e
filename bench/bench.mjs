// make bench: the token endpoint through the reference host (authorization code exchange and
// refresh grant), against a bare Node http server answering a fixed JSON (the ceiling) and
// oidc-provider doing the same refresh grant (the peer). Loopback only; every server runs in its
// own process, started for its turn only, so that server and load generator each get a core.
//
//   node bench/bench.mjs                 BENCH_SECONDS=5 BENCH_CONCURRENCY=16 BENCH_CODES=3000
//   node bench/bench.mjs serve-bare|serve-oidc    (the child processes, started by the above)
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const CODES = Number(process.env.BENCH_CODES ?? 3000);
const WARMUP_SECONDS = 1;
const CALLBACK = 'http://127.0.0.1:9/callback';
const FORM = 'application/x-www-form-urlencoded';

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

// ---- the load generator

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** One request on a kept-alive loopback connection; resolves with the status and the parsed JSON. */
function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode, headers: res.headers, json: text.startsWith('{') ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * CONCURRENCY workers each call `step(worker)` (one request, which must succeed) until `seconds`
 * have passed or `step` returns false. Returns requests/s and latency percentiles.
 */
async function load(step, seconds = Infinity) {
  const latencies = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, worker) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      if ((await step(worker)) === false) return;
      latencies.push(performance.now() - t0);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.floor(q * (latencies.length - 1))];
  return { requests: latencies.length, rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) };
}

/** Warms the server up, then measures. */
async function measure(step) {
  await load(step, WARMUP_SECONDS);
  return load(step, SECONDS);
}

/** A bench that counted failures as requests would flatter the server: any other status stops it. */
function expectOk(res, what, status = 200) {
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.json)}`);
  return res;
}

/** A worker's refresh chain: each request presents the refresh token the previous one returned. */
function refreshChains(tokenUrl, firstTokens, credentials) {
  const current = [...firstTokens];
  return async (worker) => {
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: current[worker], ...credentials }).toString();
    const res = expectOk(await request(tokenUrl, { method: 'POST', headers: { 'content-type': FORM }, body }), 'refresh');
    current[worker] = res.json.refresh_token;
  };
}

function freePort() {
  return new Promise((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function child(role) {
  const proc = fork(fileURLToPath(import.meta.url), [role], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const info = await new Promise((resolve, reject) => {
    proc.once('message', resolve);
    proc.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
  return { info, stop: () => proc.kill() };
}

// ---- the scenarios

async function benchHost() {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-bench-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, [join(ROOT, 'host/dist/src/main.js')], {
    // The host logs one line per request to stdout, as `make run` does; here it goes nowhere.
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, MM_SERVICESETTINGS_LISTENADDRESS: `127.0.0.1:${port}`, MM_SQLSETTINGS_DRIVERNAME: 'sqlite3', MM_SQLSETTINGS_DATASOURCE: join(dir, 'bench.db'),
      MM_SERVICESETTINGS_ENABLEOAUTHSERVICEPROVIDER: 'true' },
  });
  try {
    for (let i = 0; ; i++) {
      const up = await request(`${url}/api/v4/system/ping`).catch(() => null);
      if (up?.status === 200) break;
      if (i > 100) throw new Error('the host did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const json = { 'content-type': 'application/json' };
    const admin = { username: 'bench', email: 'bench@example.com', password: 'bench-password-1' };
    expectOk(await request(`${url}/api/v4/users`, { method: 'POST', headers: json, body: JSON.stringify(admin) }), 'create user', 201);
    const login = expectOk(await request(`${url}/api/v4/users/login`, { method: 'POST', headers: json, body: JSON.stringify({ login_id: admin.username, password: admin.password }) }), 'login');
    const session = { authorization: `Bearer ${login.headers.token}` };
    // Trusted, so that the authorization request answers with a code at once (no consent page).
    const app = expectOk(await request(`${url}/api/v4/oauth/apps`, { method: 'POST', headers: { ...json, ...session },
      body: JSON.stringify({ name: 'bench', description: '', homepage: 'http://127.0.0.1:9/', callback_urls: [CALLBACK], is_trusted: true }) }), 'create app', 201).json;
    const credentials = { client_id: app.id, client_secret: app.client_secret };
    const tokenUrl = `${url}/oauth/access_token`;
    const authorizeUrl = `${url}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.id, redirect_uri: CALLBACK, state: 's' })}`;

    const newCodes = async (n) => {
      const codes = [];
      await load(async () => {
        if (codes.length >= n) return false;
        const res = expectOk(await request(authorizeUrl, { headers: session }), 'authorize', 302);
        codes.push(new URL(res.headers.location).searchParams.get('code'));
      });
      return codes.slice(0, n);
    };
    const exchange = async (code) => {
      const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, ...credentials }).toString();
      return expectOk(await request(tokenUrl, { method: 'POST', headers: { 'content-type': FORM }, body }), 'code exchange').json;
    };

    const firstRefresh = [];
    for (const code of await newCodes(CONCURRENCY)) firstRefresh.push((await exchange(code)).refresh_token);
    const refresh = await measure(refreshChains(tokenUrl, firstRefresh, credentials));

    // Each request redeems a fresh code (a code is single use).
    const codes = await newCodes(CODES);
    const code = await load(async () => {
      const next = codes.pop();
      if (next === undefined) return false;
      await exchange(next);
    });
    return { code, refresh };
  } finally {
    proc.kill();
    await new Promise((r) => proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchBare() {
  const { info, stop } = await child('serve-bare');
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
  const { info, stop } = await child('serve-oidc');
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
  const pad = (s, n) => String(s).padStart(n);
  console.log(`${'what'.padEnd(36)}${pad('requests', 10)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}`);
  for (const [name, r] of rows) {
    console.log(`${name.padEnd(36)}${pad(r.requests, 10)}${pad(r.rps.toFixed(0), 10)}${pad(r.p50.toFixed(2), 9)}${pad(r.p99.toFixed(2), 9)}`);
  }
  const [, , bare, oidc] = rows.map(([, r]) => r);
  console.log(`\nhost refresh / bare node:     ${(host.refresh.rps / bare.rps).toFixed(3)} of the requests/s`);
  console.log(`host refresh / oidc-provider: ${(host.refresh.rps / oidc.rps).toFixed(3)} of the requests/s`);
  agent.destroy();
}

const role = process.argv[2];
if (role === 'serve-bare') await serveBare();
else if (role === 'serve-oidc') await serveOidc();
else await main();
