// What bench/bench.mjs, bench/cluster.mjs and bench/commands.mjs share: the settings read from the
// environment, the load generator and its summary, the table they print, and starting a host
// process, its admin and a trusted app. Loopback only.
import { fork, spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
export const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
export const WARMUP_SECONDS = 1;
export const CALLBACK = 'http://127.0.0.1:9/callback';
export const FORM = 'application/x-www-form-urlencoded';
export const JSON_TYPE = { 'content-type': 'application/json' };

// ---- the load generator

export const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** One request on a kept-alive loopback connection; resolves with the status and the parsed JSON. */
export function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode, headers: res.headers, json: /^[[{]/.test(text) ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * CONCURRENCY workers each call `step(worker)` (one request, which must succeed) until `seconds`
 * have passed or `step` returns false. Returns each request's latency and the time taken.
 */
export async function timed(step, seconds = Infinity) {
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
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

/** Requests, requests/s and latency percentiles of a `timed` run. */
export function summary({ latencies, seconds }) {
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.floor(q * (latencies.length - 1))];
  return { requests: latencies.length, rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

/** `timed`, summed up. */
export async function load(step, seconds = Infinity) {
  return summary(await timed(step, seconds));
}

/** Warms the server up, then measures. */
export async function measure(step) {
  await load(step, WARMUP_SECONDS);
  return load(step, SECONDS);
}

/** A bench that counted failures as requests would flatter the server: any other status stops it. */
export function expectOk(res, what, status = 200) {
  if (![status].flat().includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.json)}`);
  return res;
}

/** The table of results: a row a `[name, summary]`, under a first column `title` `width` wide. */
export function printTable(title, rows, width = 36) {
  const pad = (s, n) => String(s).padStart(n);
  console.log(`${title.padEnd(width)}${pad('requests', 10)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}`);
  for (const [name, r] of rows) {
    console.log(`${name.padEnd(width)}${pad(r.requests, 10)}${pad(r.rps.toFixed(0), 10)}${pad(r.p50.toFixed(2), 9)}${pad(r.p99.toFixed(2), 9)}`);
  }
}

/**
 * The figures the performance work is held to: `[what, value, comparison, target]` a row (the
 * target may be left out, for a figure shown for scale); each target met or not, in words.
 */
export function printFigures(rows, width = 56) {
  console.log(`${'figure'.padEnd(width)}${'value'.padStart(9)}   target`);
  for (const [what, value, comparison, target] of rows) {
    const shown = Number.isInteger(value) ? String(value) : value.toFixed(3);
    const met = target === undefined ? '' : (comparison === '>=' ? value >= target : value <= target) ? 'met' : 'not met';
    const goal = target === undefined ? '' : `${comparison} ${target}  ${met}`;
    console.log(`${what.padEnd(width)}${shown.padStart(9)}   ${goal}`);
  }
}

/** `a`'s requests/s as a share of `b`'s. */
export const rpsRatio = (a, b) => `${(a.rps / b.rps).toFixed(3)} of the requests/s`;

// ---- processes

export function freePort() {
  return new Promise((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Forks the script at `moduleUrl` with the argument `role`; resolves with the first message it sends. */
export async function child(moduleUrl, role) {
  const proc = fork(fileURLToPath(moduleUrl), [role], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const info = await new Promise((resolve, reject) => {
    proc.once('message', resolve);
    proc.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
  return { info, stop: () => proc.kill() };
}

/**
 * Starts a host process on a free loopback port with the environment `env`; resolves once it
 * answers, with its URL and `stop()`. The host logs one line per request to stdout, as `make run`
 * does; here it goes nowhere.
 */
export async function startHost(env, what = 'the host') {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // BENCH_PROFILE=<dir>: the host writes a V8 CPU profile there when it stops (open it in Chrome's DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const proc = spawn(process.execPath, [...profile, join(ROOT, 'reference-server/dist/src/main.js')], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...env, MM_SERVICESETTINGS_LISTENADDRESS: `127.0.0.1:${port}` },
  });
  const exited = new Promise((r) => proc.once('exit', r));
  const stop = async () => {
    proc.kill();
    await exited;
  };
  try {
    for (let i = 0; ; i++) {
      const up = await request(`${url}/api/v4/system/ping`).catch(() => null);
      if (up?.status === 200) break;
      if (i > 100) throw new Error(`${what} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

/** Creates the admin on a fresh host and logs in; the session's Authorization header. */
export async function adminSession(url) {
  const admin = { username: 'bench', email: 'bench@example.com', password: 'bench-password-1' };
  expectOk(await request(`${url}/api/v4/users`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify(admin) }), 'create user', 201);
  const login = expectOk(await request(`${url}/api/v4/users/login`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ login_id: admin.username, password: admin.password }) }), 'login');
  return { authorization: `Bearer ${login.headers.token}` };
}

/**
 * A trusted app, so that the authorization request answers with a code at once (no consent page):
 * its credentials, token URL, `code()` (one authorization request) and `exchange(code)` (the token response).
 */
export async function trustedApp(url, session) {
  const app = expectOk(await request(`${url}/api/v4/oauth/apps`, { method: 'POST', headers: { ...JSON_TYPE, ...session },
    body: JSON.stringify({ name: 'bench', description: '', homepage: 'http://127.0.0.1:9/', callback_urls: [CALLBACK], is_trusted: true }) }), 'create app', 201).json;
  const credentials = { client_id: app.id, client_secret: app.client_secret };
  const tokenUrl = `${url}/oauth/access_token`;
  const authorizeUrl = `${url}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.id, redirect_uri: CALLBACK, state: 's' })}`;
  const code = async () => {
    const res = expectOk(await request(authorizeUrl, { headers: session }), 'authorize', 302);
    return new URL(res.headers.location).searchParams.get('code');
  };
  const exchange = async (code) => {
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, ...credentials }).toString();
    return expectOk(await request(tokenUrl, { method: 'POST', headers: { 'content-type': FORM }, body }), 'code exchange').json;
  };
  return { credentials, tokenUrl, code, exchange };
}

/**
 * A worker's refresh chain: each request presents the refresh token the previous one returned.
 * `tokenUrl` is one URL, or a function of the worker that picks it.
 */
export function refreshChains(tokenUrl, firstTokens, credentials) {
  const current = [...firstTokens];
  const urlOf = typeof tokenUrl === 'function' ? tokenUrl : () => tokenUrl;
  return async (worker) => {
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: current[worker], ...credentials }).toString();
    const res = expectOk(await request(urlOf(worker), { method: 'POST', headers: { 'content-type': FORM }, body }), 'refresh');
    current[worker] = res.json.refresh_token;
  };
}
