// make bench, cold start: how long a fresh Node process takes from the wasm module's bytes to an
// activated plugin, as the reference server loads it (reference-server/src/plugin.ts): import the
// wasm-bindgen glue, read the module, compile it (WebAssembly.Module), instantiate it (the glue's
// initSync), then new Plugin(host), onConfigurationChange and onActivate. The host is the server's
// real PluginHost over a SQLite database that a first activation already filled (the schema mark,
// the at-rest key check and the signing key ring), as on every start but the very first. Each run
// is its own process; min and median per phase. Also the module's size, raw and gzipped.
//
//   node bench/coldstart.mjs             BENCH_COLDSTART_RUNS=11
//   node bench/coldstart.mjs prepare|start <dir>   (the child processes, started by the above)
import { fork, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ROOT, printFigures } from './lib.mjs';

const RUNS = Number(process.env.BENCH_COLDSTART_RUNS ?? 11);
const WASM = join(ROOT, 'server/dist/oauth_plugin_bg.wasm');
const GLUE = join(ROOT, 'server/dist/oauth_plugin.js');
const SERVER = join(ROOT, 'reference-server/dist/src');
// Stands in for MM_SQLSETTINGS_ATRESTENCRYPTKEY: the same key on every start, as in production.
const AT_REST_KEY = 'coldstart-at-rest-key-coldstart-at-rest-key';
const PHASES = ['read bytes', 'compile', 'instantiate', 'new Plugin + config', 'onActivate', 'total'];

// ---- child processes

/** The server's PluginHost over the SQLite database in `dir`, counting the plugin's calls into it and the time they take. */
async function pluginHost(dir) {
  const { openSqliteStore } = await import(pathToFileURL(join(SERVER, 'store/sqlite/index.js')));
  const { createPluginHost } = await import(pathToFileURL(join(SERVER, 'plugin-host.js')));
  const { defaultStoredConfig } = await import(pathToFileURL(join(SERVER, 'config.js')));
  const { createLogger } = await import(pathToFileURL(join(SERVER, 'log.js')));
  const store = openSqliteStore(join(dir, 'coldstart.db'), Date.now, AT_REST_KEY);
  const config = defaultStoredConfig('oauth-plugin');
  config.ServiceSettings.EnableOAuthServiceProvider = true;
  const lines = [];
  const host = createPluginHost({
    pluginId: 'oauth-plugin', store, settings: () => config.ServiceSettings, log: createLogger((line) => lines.push(line)),
    fetch: () => Promise.reject(new Error('no outbound requests at activation')), atRestKey: AT_REST_KEY,
  });
  const calls = { count: 0, ms: 0 };
  const counted = Object.fromEntries(Object.entries(host).map(([name, fn]) => [name, name === 'log' ? fn : async (...args) => {
    const t0 = performance.now();
    try {
      return await fn(...args);
    } finally {
      calls.count++;
      calls.ms += performance.now() - t0;
    }
  }]));
  return { host: counted, calls, lines, store, config: { ServiceSettings: config.ServiceSettings, PluginSettings: {} } };
}

/** One cold start: the time of each phase, in ms. */
async function start(dir) {
  const { host, calls, lines, store, config } = await pluginHost(dir);
  // A server has logged and read its store before it loads the plugin: the host's own first calls
  // (its logger, its first KV statement) are not the plugin's cold start.
  host.log('info', 'host ready');
  await host.kvGet('host-ready');
  calls.count = 0;
  calls.ms = 0;
  const ms = {};
  let t = performance.now();
  const lap = (phase) => {
    const now = performance.now();
    ms[phase] = now - t;
    t = now;
  };
  // The glue is plain JS, which the server imports once; timed apart from the module's own phases.
  const glue = await import(pathToFileURL(GLUE));
  lap('glue import');
  const t0 = t;
  const bytes = readFileSync(WASM);
  lap('read bytes');
  const module = new WebAssembly.Module(bytes);
  lap('compile');
  glue.initSync({ module });
  lap('instantiate');
  const plugin = new glue.Plugin(host);
  await plugin.onConfigurationChange(config);
  lap('new Plugin + config');
  await plugin.onActivate();
  lap('onActivate');
  ms.total = t - t0;
  if (!lines.some((line) => line.includes('plugin: activated'))) throw new Error(`not activated: ${lines.join('\n')}`);
  await store.close();
  return { ms, hostCalls: calls.count, hostMs: calls.ms };
}

async function prepare(dir) {
  // The first activation: marks the store and makes the signing key (slow in wasm; not measured).
  const { hostCalls } = await start(dir);
  return { hostCalls };
}

// ---- the parent

function run(role, dir) {
  const proc = fork(fileURLToPath(import.meta.url), [role, dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    proc.once('message', (message) => (message.error ? reject(new Error(`${role}: ${message.error}`)) : resolve(message)));
    proc.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
}

/** `gzip -9`'s size, as scripts/build-wasm.sh prints it (zlib's where there is no gzip: a little larger). */
function gzipped(path) {
  const gzip = spawnSync('gzip', ['-9c', path], { maxBuffer: 64 << 20 });
  return gzip.status === 0 ? gzip.stdout.length : gzipSync(readFileSync(path), { level: 9 }).length;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const bytes = readFileSync(WASM);
  const kib = (n) => `${n} bytes (${(n / 1024).toFixed(0)} KiB)`;
  const gzippedBytes = gzipped(WASM);
  console.log(`wasm module: ${kib(bytes.length)} raw, ${kib(gzippedBytes)} gzipped`);
  const dir = mkdtempSync(join(tmpdir(), 'oauth-coldstart-'));
  try {
    await run('prepare', dir);
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await run('start', dir));
    console.log(`\ncold start to an activated plugin (signing key stored), ${RUNS} fresh Node ${process.version} processes;`);
    console.log('total: from reading the bytes to activated (the glue import apart)');
    console.log(`${'phase'.padEnd(22)}${'min ms'.padStart(9)}${'median ms'.padStart(11)}`);
    for (const phase of ['glue import', ...PHASES]) {
      const xs = runs.map((r) => r.ms[phase]);
      console.log(`${phase.padEnd(22)}${Math.min(...xs).toFixed(2).padStart(9)}${median(xs).toFixed(2).padStart(11)}`);
    }
    const hostMs = runs.map((r) => r.hostMs);
    console.log(`(onActivate: ${runs[0].hostCalls} host calls, median ${median(hostMs).toFixed(2)} ms of it waiting on them)\n`);
    printFigures([
      ['wasm module, raw KiB', Math.round(bytes.length / 1024), '<=', 350],
      ['wasm module, gzip KiB', Math.round(gzippedBytes / 1024), '<=', 140],
      ['cold start, bytes to activated, median ms', median(runs.map((r) => r.ms.total)), '<=', 15],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const [role, dir] = process.argv.slice(2);
if (role === 'prepare' || role === 'start') {
  try {
    process.send(await (role === 'prepare' ? prepare(dir) : start(dir)));
  } catch (err) {
    process.send({ error: err instanceof Error ? err.stack : String(err) });
  }
  process.disconnect();
} else {
  await main();
}
