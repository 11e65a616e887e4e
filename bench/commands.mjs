// make bench, outgoing OAuth connections: executing a slash command through the reference server
// (POST /api/v4/commands/execute) with no connection covering its URL ("Authorization: Token …"),
// through a connection that asks oidc-provider's client credentials grant for a fresh token on
// every command (as Mattermost does), and through a connection with cache_tokens on. Requests/s and
// p50/p99 latency, with the ratios; and, for scale, oidc-provider's token endpoint alone.
// Loopback only; the host, the token server and the command receiver each run in their own process.
//
//   node bench/commands.mjs              BENCH_SECONDS=5 BENCH_CONCURRENCY=16 BENCH_ROUNDS=5
//                                        (each scenario: BENCH_SECONDS in all, in BENCH_ROUNDS interleaved turns)
//   node bench/commands.mjs serve-oidc|serve-receiver    (the child processes, started by the above)
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONCURRENCY, SECONDS, WARMUP_SECONDS, FORM, JSON_TYPE, agent, request, timed, summary, measure, expectOk, printTable, rpsRatio, child,
  startHost, adminSession,
} from './lib.mjs';

const HOST_WARMUP_SECONDS = 4;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
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

/**
 * Measures the scenarios in ROUNDS interleaved turns of SECONDS/ROUNDS each (after a short warm-up
 * of each turn), so that a drift of the machine's load weighs on every scenario alike. Requests/s
 * and latency percentiles over all turns.
 */
async function measureInterleaved(steps) {
  const runs = Object.fromEntries(Object.keys(steps).map((name) => [name, { latencies: [], seconds: 0 }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, step] of Object.entries(steps)) {
      await timed(step, WARMUP_SECONDS / ROUNDS);
      const run = await timed(step, SECONDS / ROUNDS);
      runs[name].latencies.push(...run.latencies);
      runs[name].seconds += run.seconds;
    }
  }
  return Object.fromEntries(Object.entries(runs).map(([name, run]) => [name, summary(run)]));
}

/** Commands and connections answer 201 when made, the rest 200. */
const ok = (res, what) => expectOk(res, what, [200, 201]);

// ---- the scenarios

/** The host, set up with an admin, outgoing connections on, loopback allowed; stopped by `stop()`. */
async function startConfiguredHost() {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-bench-commands-'));
  let node;
  const stop = async () => {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    node = await startHost({ ...process.env, MM_SQLSETTINGS_DATASOURCE: join(dir, 'bench.db') });
    const { url } = node;
    const session = await adminSession(url);
    // As the tests do, through the config API: the setting, and loopback for the host's outbound requests.
    ok(await request(`${url}/api/v4/config/patch`, { method: 'PUT', headers: { ...JSON_TYPE, ...session },
      body: JSON.stringify({ ServiceSettings: { EnableOutgoingOAuthConnections: true, AllowedUntrustedInternalConnections: '127.0.0.1' } }) }), 'config');
    const team = ok(await request(`${url}/api/v4/teams/name/main`, { headers: session }), 'team').json;
    const channel = ok(await request(`${url}/api/v4/teams/${team.id}/channels/name/town-square`, { headers: session }), 'channel').json;
    return { url, session, teamId: team.id, channelId: channel.id, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function benchCommands(tokenUrl, receiverUrl) {
  const host = await startConfiguredHost();
  try {
    const post = async (path, body, what) =>
      ok(await request(`${host.url}${path}`, { method: 'POST', headers: { ...JSON_TYPE, ...host.session }, body: JSON.stringify(body) }), what).json;
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
      const res = ok(await request(`${host.url}/api/v4/commands/execute`, { method: 'POST', headers: { ...JSON_TYPE, ...host.session },
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
    await timed(() => mixed[turn++ % mixed.length](), HOST_WARMUP_SECONDS);
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
  return measure(async () => {
    ok(await request(tokenUrl, { method: 'POST', headers: { 'content-type': FORM }, body }), 'token');
  });
}

async function main() {
  console.log(`slash commands through outgoing OAuth connections: loopback, concurrency ${CONCURRENCY}, ${SECONDS} s per scenario in ${ROUNDS} interleaved turns after a ${HOST_WARMUP_SECONDS} s warm-up, Node ${process.version}\n`);
  const oidc = await child(import.meta.url, 'serve-oidc');
  const receiver = await child(import.meta.url, 'serve-receiver');
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
  printTable('what', rows, 40);
  const ratio = (a, b) => `${rpsRatio(a, b)}, p50 x${(a.p50 / b.p50).toFixed(2)}, p99 x${(a.p99 / b.p99).toFixed(2)}`;
  console.log(`\nfresh token / no connection:   ${ratio(r.fresh, r.plain)}`);
  console.log(`cache_tokens / no connection:  ${ratio(r.cached, r.plain)}`);
  console.log(`cache_tokens / fresh token:    ${ratio(r.cached, r.fresh)}`);
  console.log(`\nbearer tokens (warm-up included): fresh, ${seen.fresh.tokens.size} distinct for ${seen.fresh.executed} commands; cache_tokens, ${seen.cached.tokens.size} distinct for ${seen.cached.executed} commands`);
}

const role = process.argv[2];
if (role === 'serve-oidc') await serveOidc();
else if (role === 'serve-receiver') await serveReceiver();
else await main();
