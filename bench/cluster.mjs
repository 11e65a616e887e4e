// make bench, second part: the refresh grant through the host on one node with SQLite, one node
// with PostgreSQL, and two nodes on one PostgreSQL database with the load spread over both, with the
// ratios. Loopback only; PostgreSQL is a throwaway server (host/test/pg-helpers: its own data
// directory in a temporary folder, a Unix socket, no TCP), stopped at the end.
//
//   node bench/cluster.mjs               BENCH_SECONDS=5 BENCH_CONCURRENCY=16
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { startPostgres, freePort } = await import(join(ROOT, 'host/dist/test/pg-helpers.js'));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const WARMUP_SECONDS = 1;
const CALLBACK = 'http://127.0.0.1:9/callback';
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = { 'content-type': 'application/json' };

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const json = text.startsWith('{') ? JSON.parse(text) : undefined;
        if (res.statusCode >= 400) reject(new Error(`${method} ${new URL(url).pathname}: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
        else resolve({ status: res.statusCode, headers: res.headers, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** CONCURRENCY workers call `step(worker)` until `seconds` have passed; requests/s and latency percentiles. */
async function load(step, seconds) {
  const latencies = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: CONCURRENCY }, async (_, worker) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await step(worker);
      latencies.push(performance.now() - t0);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.floor(q * (latencies.length - 1))];
  return { requests: latencies.length, rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) };
}

/** Starts a host process; resolves once it answers. */
async function startNode(env) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, [join(ROOT, 'host/dist/src/main.js')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { PATH: process.env.PATH, MM_SERVICESETTINGS_LISTENADDRESS: `127.0.0.1:${port}`, MM_SERVICESETTINGS_ENABLEOAUTHSERVICEPROVIDER: 'true', ...env },
  });
  const exited = new Promise((r) => proc.once('exit', r));
  for (let i = 0; ; i++) {
    if ((await request(`${url}/api/v4/system/ping`).catch(() => null))?.status === 200) break;
    if (i > 100) throw new Error('a host node did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop: async () => { proc.kill(); await exited; } };
}

/** Admin, trusted app and one refresh token per worker, made through the first node. */
async function prepare(url) {
  const admin = { username: 'bench', email: 'bench@example.com', password: 'bench-password-1' };
  await request(`${url}/api/v4/users`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify(admin) });
  const login = await request(`${url}/api/v4/users/login`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ login_id: admin.username, password: admin.password }) });
  const session = { authorization: `Bearer ${login.headers.token}` };
  const app = (await request(`${url}/api/v4/oauth/apps`, { method: 'POST', headers: { ...JSON_TYPE, ...session },
    body: JSON.stringify({ name: 'bench', homepage: 'http://127.0.0.1:9/', callback_urls: [CALLBACK], is_trusted: true }) })).json;
  const credentials = { client_id: app.id, client_secret: app.client_secret };
  const authorize = `${url}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.id, redirect_uri: CALLBACK, state: 's' })}`;
  const refreshTokens = [];
  for (let i = 0; i < CONCURRENCY; i++) {
    const code = new URL((await request(authorize, { headers: session })).headers.location).searchParams.get('code');
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, ...credentials }).toString();
    refreshTokens.push((await request(`${url}/oauth/access_token`, { method: 'POST', headers: { 'content-type': FORM }, body })).json.refresh_token);
  }
  return { credentials, refreshTokens };
}

/** Refresh chains; worker i sends its requests to node i mod n, so the load is spread evenly. */
async function benchRefresh(nodes) {
  const { credentials, refreshTokens } = await prepare(nodes[0].url);
  const step = async (worker) => {
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshTokens[worker], ...credentials }).toString();
    const res = await request(`${nodes[worker % nodes.length].url}/oauth/access_token`, { method: 'POST', headers: { 'content-type': FORM }, body });
    refreshTokens[worker] = res.json.refresh_token;
  };
  await load(step, WARMUP_SECONDS);
  return load(step, SECONDS);
}

async function scenario(envs) {
  const nodes = [];
  try {
    for (const env of envs) nodes.push(await startNode(env));
    return await benchRefresh(nodes);
  } finally {
    for (const node of nodes) await node.stop();
  }
}

async function main() {
  console.log(`\nrefresh grant by database and nodes: loopback, concurrency ${CONCURRENCY}, ${SECONDS} s per run after ${WARMUP_SECONDS} s warm-up\n`);
  const dir = mkdtempSync(join(tmpdir(), 'oauth-bench-'));
  const pg = startPostgres();
  try {
    const postgres = async () => ({ MM_SQLSETTINGS_DRIVERNAME: 'postgres', MM_SQLSETTINGS_DATASOURCE: await pg.createDatabase() });
    const sqlite = await scenario([{ MM_SQLSETTINGS_DATASOURCE: join(dir, 'bench.db') }]);
    const pg1 = await scenario([await postgres()]);
    const shared = await postgres();
    const pg2 = await scenario([shared, shared]);
    const rows = [['1 node, SQLite', sqlite], ['1 node, PostgreSQL', pg1], ['2 nodes, one PostgreSQL', pg2]];
    const pad = (s, n) => String(s).padStart(n);
    console.log(`${'refresh grant'.padEnd(36)}${pad('requests', 10)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}`);
    for (const [name, r] of rows) {
      console.log(`${name.padEnd(36)}${pad(r.requests, 10)}${pad(r.rps.toFixed(0), 10)}${pad(r.p50.toFixed(2), 9)}${pad(r.p99.toFixed(2), 9)}`);
    }
    console.log(`\n1 node PostgreSQL / 1 node SQLite:   ${(pg1.rps / sqlite.rps).toFixed(3)} of the requests/s`);
    console.log(`2 nodes PostgreSQL / 1 node PostgreSQL: ${(pg2.rps / pg1.rps).toFixed(3)} of the requests/s`);
  } finally {
    agent.destroy();
    pg.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
