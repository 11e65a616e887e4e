// make bench, second part: the refresh grant through the host on one node with SQLite, one node
// with PostgreSQL, and two nodes on one PostgreSQL database with the load spread over both, with the
// ratios. Loopback only; PostgreSQL is a throwaway server (reference-server/test/pg-helpers: its own data
// directory in a temporary folder, a Unix socket, no TCP), stopped at the end.
//
//   node bench/cluster.mjs               BENCH_SECONDS=5 BENCH_CONCURRENCY=16
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ROOT, CONCURRENCY, SECONDS, WARMUP_SECONDS, agent, measure, printTable, printFigures, startHost, adminSession, trustedApp, refreshChains,
} from './lib.mjs';

const { startPostgres, PG_HOST_ENV } = await import(join(ROOT, 'reference-server/dist/test/pg-helpers.js'));

/** Starts a host node; resolves once it answers. */
function startNode(env) {
  return startHost({ PATH: process.env.PATH, MM_SERVICESETTINGS_ENABLEOAUTHSERVICEPROVIDER: 'true', ...env }, 'a host node');
}

/**
 * Admin, trusted app and one refresh token per worker, made through the first node; then refresh
 * chains, worker i sending its requests to node i mod n, so the load is spread evenly.
 */
async function benchRefresh(nodes) {
  const app = await trustedApp(nodes[0].url, await adminSession(nodes[0].url));
  const refreshTokens = [];
  for (let i = 0; i < CONCURRENCY; i++) refreshTokens.push((await app.exchange(await app.code())).refresh_token);
  return measure(refreshChains((worker) => `${nodes[worker % nodes.length].url}/oauth/access_token`, refreshTokens, app.credentials));
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
    // Every node of a database gets the same at-rest key (PG_HOST_ENV), as PostgreSQL nodes must.
    const postgres = async () => ({ ...PG_HOST_ENV, MM_SQLSETTINGS_DATASOURCE: await pg.createDatabase() });
    const sqlite = await scenario([{ MM_SQLSETTINGS_DATASOURCE: join(dir, 'bench.db') }]);
    const pg1 = await scenario([await postgres()]);
    const shared = await postgres();
    const pg2 = await scenario([shared, shared]);
    const rows = [['1 node, SQLite', sqlite], ['1 node, PostgreSQL', pg1], ['2 nodes, one PostgreSQL', pg2]];
    printTable('refresh grant', rows);
    console.log();
    printFigures([
      ['refresh grant req/s, 1 node PostgreSQL / 1 node SQLite', pg1.rps / sqlite.rps, '>=', 0.9],
      ['refresh grant req/s, 2 nodes PostgreSQL / 1 node PostgreSQL', pg2.rps / pg1.rps],
    ]);
  } finally {
    agent.destroy();
    pg.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
