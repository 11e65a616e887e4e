// make bench, outgoing OAuth connections: executing a slash command through the reference host
// (POST /api/v4/commands/execute) with no connection covering its URL ("Authorization: Token …"),
// through a connection that asks oidc-provider's client credentials grant for a fresh token on
// every command (as Mattermost does), and through a connection with cache_tokens on. Requests/s and
// p50/p99 latency, with the ratios; and, for scale, oidc-provider's token endpoint alone.
// Loopback only; the host, the token server and the command receiver each run in their own process.
//
//   node bench/commands.mjs              BENCH_SECONDS=5 BENCH_CONCURRENCY=16 BENCH_ROUNDS=5
//                                        (each scenario: BENCH_SECONDS in all, in BENCH_ROUNDS interleaved turns)
//   node bench/commands.mjs serve-oidc|serve-receiver    (the child processes, started by the above)
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const WARMUP_SECONDS = 1;
const HOST_WARMUP_SECONDS = 4;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = { 'content-type': 'application/json' };
const CLIENT = { client_id: 'chat-server', client_secret: 'bench-secret-bench-secret-bench-secret' };

// ---- child processes: the integration's token server and its command receiver

async function serveOidc() {
  const { default: Provider } = await import('oidc-provider');
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [{ ...CLIENT, grant_types: ['client_credentials'], response_types: [], redirect_uris: [], token_endpoint_auth_method: 'client_secret_post' }],
    cookies: { keys: ['bench-cookie-key'] },
    features: { devInteractions: { enabled: false }, clientCredentials: { enabled: true } },
    // Opaque tokens (no resource indicator), living long enough that a cached one lasts the run.
    ttl: { ClientCredentials: 3600 },
  });
  server.on('request', provider.callback());
  process.send({ port });
}

/** Answers every command with its Authorization header as the text, so the bench can check what came. */
async function serveReceiver() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ response_type: 'ephemeral', text: req.headers.authorization ?? '' }));
    });
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
}

// ---- the load generator (as bench/bench.mjs)

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function request(url, { method = 'GET', headers = {}, body } = {}) {
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

/** CONCURRENCY workers call `step()` (one request, which must succeed) for `seconds`; each request's latency and the time taken. */
async function load(step, seconds) {
  const latencies = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await step();
      latencies.push(performance.now() - t0);
    }
  }));
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

/**
 * Measures the scenarios in ROUNDS interleaved turns of SECONDS/ROUNDS each (after a short warm-up
 * of each turn), so that a drift of the machine's load weighs on every scenario alike. Requests/s
 * and latency percentiles over all turns.
 */
async function measureInterleaved(steps) {
  const runs = Object.fromEntries(Object.keys(steps).map((name) => [name, { latencies: [], seconds: 0 }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, step] of Object.entries(steps)) {
      await load(step, WARMUP_SECONDS / ROUNDS);
      const run = await load(step, SECONDS / ROUNDS);
      runs[name].latencies.push(...run.latencies);
      runs[name].seconds += run.seconds;
    }
  }
  return Object.fromEntries(Object.entries(runs).map(([name, run]) => [name, summary(run)]));
}

function summary({ latencies, seconds }) {
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.floor(q * (latencies.length - 1))];
  return { requests: latencies.length, rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99) };
}

function expectOk(res, what) {
  if (res.status !== 200 && res.status !== 201) throw new Error(`${what}: HTTP ${res.status} ${JSON.stringify(res.json)}`);
  return res;
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

/** The host, set up with an admin, outgoing connections on, loopback allowed; stopped by `stop()`. */
async function startHost() {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-bench-commands-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, [join(ROOT, 'host/dist/src/main.js')], {
    // The host logs one line per request (and per outbound request) to stdout; here it goes nowhere.
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, MM_SERVICESETTINGS_LISTENADDRESS: `127.0.0.1:${port}`, MM_SQLSETTINGS_DATASOURCE: join(dir, 'bench.db') },
  });
  const stop = async () => {
    proc.kill();
    await new Promise((r) => proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      const up = await request(`${url}/api/v4/system/ping`).catch(() => null);
      if (up?.status === 200) break;
      if (i > 100) throw new Error('the host did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const admin = { username: 'bench', email: 'bench@example.com', password: 'bench-password-1' };
    expectOk(await request(`${url}/api/v4/users`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify(admin) }), 'create user');
    const login = expectOk(await request(`${url}/api/v4/users/login`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ login_id: admin.username, password: admin.password }) }), 'login');
    const session = { authorization: `Bearer ${login.headers.token}` };
    // As the tests do, through the config API: the setting, and loopback for the host's outbound requests.
    expectOk(await request(`${url}/api/v4/config/patch`, { method: 'PUT', headers: { ...JSON_TYPE, ...session },
      body: JSON.stringify({ ServiceSettings: { EnableOutgoingOAuthConnections: true, AllowedUntrustedInternalConnections: '127.0.0.1' } }) }), 'config');
    const team = expectOk(await request(`${url}/api/v4/teams/name/main`, { headers: session }), 'team').json;
    const channel = expectOk(await request(`${url}/api/v4/teams/${team.id}/channels/name/town-square`, { headers: session }), 'channel').json;
    return { url, session, teamId: team.id, channelId: channel.id, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function benchCommands(tokenUrl, receiverUrl) {
  const host = await startHost();
  try {
    const post = async (path, body, what) =>
      expectOk(await request(`${host.url}${path}`, { method: 'POST', headers: { ...JSON_TYPE, ...host.session }, body: JSON.stringify(body) }), what).json;
    const addCommand = (trigger, path) => post('/api/v4/commands', { team_id: host.teamId, trigger, url: `${receiverUrl}${path}`, method: 'P' }, `command ${trigger}`);
    const connect = (name, audience, cacheTokens) => post('/api/v4/oauth/outgoing_connections', {
      name, ...CLIENT, oauth_token_url: tokenUrl, grant_type: 'client_credentials', audiences: [audience], cache_tokens: cacheTokens,
    }, `connection ${name}`);

    const plain = await addCommand('plain', '/plain/run');
    await connect('Fresh tokens', `${receiverUrl}/fresh/*`, false);
    await addCommand('fresh', '/fresh/run');
    await connect('Cached tokens', `${receiverUrl}/cached/*`, true);
    await addCommand('cached', '/cached/run');

    /**
     * Executes `/trigger` as the admin; checks the answer's text, which is the Authorization header
     * the receiver got, and tallies it in `seen`.
     */
    const run = (trigger, seen, check) => async () => {
      seen.executed++;
      const res = expectOk(await request(`${host.url}/api/v4/commands/execute`, { method: 'POST', headers: { ...JSON_TYPE, ...host.session },
        body: JSON.stringify({ channel_id: host.channelId, team_id: host.teamId, command: `/${trigger} now` }) }), `/${trigger}`);
      const authorization = res.json?.text ?? '';
      if (!check(authorization)) throw new Error(`/${trigger}: the receiver got "Authorization: ${authorization.slice(0, 20)}…"`);
      seen.tokens.add(authorization);
    };
    const bearer = (a) => /^Bearer \S+$/.test(a);
    const tally = () => ({ tokens: new Set(), executed: 0 });
    const seen = { plain: tally(), fresh: tally(), cached: tally() };
    const steps = {
      plain: run('plain', seen.plain, (a) => a === `Token ${plain.token}`),
      fresh: run('fresh', seen.fresh, bearer),
      cached: run('cached', seen.cached, bearer),
    };
    // The host's JavaScript and the wasm module reach their optimized tiers only after a few
    // thousand calls: without this, whichever scenario runs first pays for it.
    const mixed = Object.values(steps);
    let turn = 0;
    await load(() => mixed[turn++ % mixed.length](), HOST_WARMUP_SECONDS);
    const results = await measureInterleaved(steps);
    // What makes the comparison fair: every fresh-token command got a token of its own, and the
    // cached ones shared a few (the first commands may each fetch one before any is cached).
    if (seen.fresh.tokens.size !== seen.fresh.executed) throw new Error(`${seen.fresh.executed} fresh-token commands got only ${seen.fresh.tokens.size} distinct tokens`);
    return { results, seen };
  } finally {
    await host.stop();
  }
}

/** oidc-provider's client credentials grant alone, from the same load generator. */
async function benchTokenEndpoint(tokenUrl) {
  const body = new URLSearchParams({ grant_type: 'client_credentials', ...CLIENT }).toString();
  const step = async () => {
    expectOk(await request(tokenUrl, { method: 'POST', headers: { 'content-type': FORM }, body }), 'token');
  };
  await load(step, WARMUP_SECONDS);
  return summary(await load(step, SECONDS));
}

async function main() {
  console.log(`slash commands through outgoing OAuth connections: loopback, concurrency ${CONCURRENCY}, ${SECONDS} s per scenario in ${ROUNDS} interleaved turns after a ${HOST_WARMUP_SECONDS} s warm-up, Node ${process.version}\n`);
  const oidc = await child('serve-oidc');
  const receiver = await child('serve-receiver');
  let host;
  let tokenEndpoint;
  try {
    const tokenUrl = `http://127.0.0.1:${oidc.info.port}/token`;
    host = await benchCommands(tokenUrl, `http://127.0.0.1:${receiver.info.port}`);
    tokenEndpoint = await benchTokenEndpoint(tokenUrl);
  } finally {
    oidc.stop();
    receiver.stop();
    agent.destroy();
  }
  const { results: r, seen } = host;
  const rows = [
    ['command, no connection (Token)', r.plain],
    ['command via connection, fresh token', r.fresh],
    ['command via connection, cache_tokens', r.cached],
    ['oidc-provider token endpoint alone', tokenEndpoint],
  ];
  const pad = (s, n) => String(s).padStart(n);
  console.log(`${'what'.padEnd(40)}${pad('requests', 10)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}`);
  for (const [name, x] of rows) {
    console.log(`${name.padEnd(40)}${pad(x.requests, 10)}${pad(x.rps.toFixed(0), 10)}${pad(x.p50.toFixed(2), 9)}${pad(x.p99.toFixed(2), 9)}`);
  }
  const ratio = (a, b) => `${(a.rps / b.rps).toFixed(3)} of the requests/s, p50 x${(a.p50 / b.p50).toFixed(2)}, p99 x${(a.p99 / b.p99).toFixed(2)}`;
  console.log(`\nfresh token / no connection:   ${ratio(r.fresh, r.plain)}`);
  console.log(`cache_tokens / no connection:  ${ratio(r.cached, r.plain)}`);
  console.log(`cache_tokens / fresh token:    ${ratio(r.cached, r.fresh)}`);
  console.log(`\nbearer tokens (warm-up included): fresh, ${seen.fresh.tokens.size} distinct for ${seen.fresh.executed} commands; cache_tokens, ${seen.cached.tokens.size} distinct for ${seen.cached.executed} commands`);
}

const role = process.argv[2];
if (role === 'serve-oidc') await serveOidc();
else if (role === 'serve-receiver') await serveReceiver();
else await main();
