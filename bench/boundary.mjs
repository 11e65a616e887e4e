// make bench, the JS boundary: serveHttp called 10k times through the real module in this process,
// with the wasm tests' in-memory PluginHost (tests/js/memory_host.js), so that what is measured is
// the plugin and its boundary, not a database or HTTP. Three requests: a refresh-token grant (the
// hot path: four host calls), a token request refused at once (mostly the request and response
// crossing the boundary), and the RFC 8414 metadata (no host call).
//
//   node bench/boundary.mjs [<dir> ...]     BENCH_CALLS=10000
//
// Each <dir> holds a build (oauth_plugin.js and oauth_plugin_bg.wasm; default server/dist). Given
// several, they run in turns in one process, block by block, so that each sees the same machine.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, printFigures } from './lib.mjs';

const CALLS = Number(process.env.BENCH_CALLS ?? 10000);
const BLOCKS = 20;
const dirs = process.argv.slice(2).map((d) => resolve(d));
if (dirs.length === 0) dirs.push(join(ROOT, 'server/dist'));

const { memoryHost } = await import(pathToFileURL(join(ROOT, 'tests/js/memory_host.js')));
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const FORM = 'application/x-www-form-urlencoded';
const CALLBACK = 'https://app.example.com/cb';
const ADMIN = 'benchbenchbenchbenchbench1';

const request = (method, path, { query = '', userId, body = '', type } = {}) => ({
  method, path, query, remoteAddr: '127.0.0.1', requestId: 'r'.repeat(26), body: encoder.encode(body),
  headers: { 'user-agent': 'bench/1.0', accept: 'application/json', host: 'chat.example.com', ...(type ? { 'content-type': type } : {}) },
  ...(userId ? { userId, sessionId: 's'.repeat(26) } : {}),
});
const json = (response) => JSON.parse(decoder.decode(response.body));

/** The host's data and user calls (what costs a round trip on a real host), counted in `host.calls`. */
function countingCalls(host) {
  host.calls = 0;
  for (const name of ['kvGet', 'kvGetMany', 'kvSet', 'kvDelete', 'kvList', 'getUser', 'hasPermission']) {
    const call = host[name].bind(host);
    host[name] = (...args) => {
      host.calls += 1;
      return call(...args);
    };
  }
  return host;
}

/** A plugin of the build in `dir`, activated, with a trusted app and a first token pair; its three requests. */
async function subject(dir, n) {
  const glue = await import(`${pathToFileURL(join(dir, 'oauth_plugin.js')).href}?${n}`);
  glue.initSync({ module: readFileSync(join(dir, 'oauth_plugin_bg.wasm')) });
  const host = countingCalls(memoryHost());
  host.now = Date.now();
  host.users.set(ADMIN, { id: ADMIN, username: 'bench', email: 'bench@example.com', roles: 'system_admin system_user', delete_at: 0 });
  for (const permission of ['manage_system', 'manage_oauth', 'manage_system_wide_oauth']) host.permissions.add(`${ADMIN} ${permission}`);
  const plugin = new glue.Plugin(host);
  await plugin.onConfigurationChange({ ServiceSettings: { SiteURL: 'https://chat.example.com', EnableOAuthServiceProvider: true }, PluginSettings: {} });
  await plugin.onActivate();
  const app = json(await plugin.serveHttp(request('POST', '/api/v4/oauth/apps', { userId: ADMIN, type: 'application/json',
    body: JSON.stringify({ name: 'bench', homepage: 'https://app.example.com', callback_urls: [CALLBACK], is_trusted: true }) })));
  const authorized = await plugin.serveHttp(request('GET', '/oauth/authorize', { userId: ADMIN,
    query: `response_type=code&client_id=${app.id}&redirect_uri=${CALLBACK}&state=s` }));
  const code = new URL(authorized.headers.find(([name]) => name === 'Location')[1]).searchParams.get('code');
  const credentials = `client_id=${app.id}&client_secret=${app.client_secret}`;
  let tokens = json(await plugin.serveHttp(request('POST', '/oauth/access_token', { type: FORM,
    body: `grant_type=authorization_code&code=${code}&redirect_uri=${CALLBACK}&${credentials}` })));
  const expect = (response, status) => {
    if (response.status !== status) throw new Error(`${dir}: HTTP ${response.status} ${decoder.decode(response.body)}`);
    return response;
  };
  return {
    host,
    'refresh grant': async () => {
      const body = `grant_type=refresh_token&refresh_token=${tokens.refresh_token}&${credentials}`;
      tokens = json(expect(await plugin.serveHttp(request('POST', '/oauth/access_token', { type: FORM, body })), 200));
    },
    'refused token request': async () => {
      const body = 'grant_type=refresh_token&refresh_token=x&client_id=nobody&client_secret=x';
      expect(await plugin.serveHttp(request('POST', '/oauth/access_token', { type: FORM, body })), 401);
    },
    'metadata (RFC 8414)': async () => {
      expect(await plugin.serveHttp(request('GET', '/.well-known/oauth-authorization-server')), 200);
    },
  };
}

const subjects = [];
for (const [n, dir] of dirs.entries()) subjects.push(await subject(dir, n));
const { host: counted, ...first } = subjects[0];
const calls = {};
for (const [name, send] of Object.entries(first)) {
  counted.calls = 0;
  await send();
  calls[name] = counted.calls;
}
printFigures([
  ['host calls (KV, user, permission) per refresh grant', calls['refresh grant'], '<=', 4],
  ['host calls per refused token request', calls['refused token request']],
  ['host calls per metadata request', calls['metadata (RFC 8414)']],
]);
console.log();
for (const s of subjects) delete s.host;
const per = Math.max(1, Math.floor(CALLS / BLOCKS));
console.log(`serveHttp through the module, ${per * BLOCKS} calls per request and build, best and median of ${BLOCKS} blocks (µs per call):`);
for (const name of Object.keys(subjects[0])) {
  const times = subjects.map(() => []);
  for (const s of subjects) for (let i = 0; i < 200; i++) await s[name]();
  for (let b = 0; b < BLOCKS; b++) {
    for (let k = 0; k < subjects.length; k++) {
      const i = (b + k) % subjects.length;
      const t0 = performance.now();
      for (let c = 0; c < per; c++) await subjects[i][name]();
      times[i].push(((performance.now() - t0) / per) * 1000);
    }
  }
  const cells = times.map((xs) => {
    xs.sort((a, b) => a - b);
    return `${xs[0].toFixed(1).padStart(7)} ${xs[BLOCKS >> 1].toFixed(1).padStart(7)}`;
  });
  console.log(`${name.padEnd(24)}${cells.join('   |')}`);
}
if (dirs.length > 1) console.log(`builds: ${dirs.join(' | ')}`);
