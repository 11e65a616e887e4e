// A throwaway PostgreSQL server for the tests, from the distribution's packages (scripts/setup.sh
// installs postgresql-15): its own data directory in a temporary folder, reachable only through a
// Unix socket in that folder (no TCP port, so parallel test files never collide), run as a non-root
// user. Each test file starts its own and stops it; each suite gets a fresh database in it.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createLogger, type Logger } from '../src/log.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import type { Clock, Store } from '../src/store/store.js';
import { DUMP_CHECK_DIR, rememberDatabase } from './dump-check.js';

/** The server binaries: PG_BIN if set, else the newest /usr/lib/postgresql/<version>/bin. */
function binDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  if (versions.length === 0) throw new Error('PostgreSQL server binaries not found (install postgresql-15: scripts/setup.sh), or set PG_BIN');
  return join(root, versions.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

/** PostgreSQL refuses to run as root: as root, run its tools as the distribution's `postgres` user. */
const SERVER_USER = 'postgres';
const asRoot = process.getuid?.() === 0;

function run(tool: string, args: string[]): string {
  const path = join(binDir(), tool);
  const [cmd, argv] = asRoot ? ['runuser', ['-u', SERVER_USER, '--', path, ...args]] : [path, args];
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

export interface TestPostgres {
  /** The folder holding the data directory, the log and the socket. */
  dir: string;
  /** A connection URL for `database` (through the socket, as the server's superuser; trust auth, local only). */
  url(database?: string): string;
  /** A new empty database; returns its URL. */
  createDatabase(): Promise<string>;
  /** Stops the server (fast shutdown: connections are cut), keeping its data. */
  stop(): void;
  /** Starts it again on the same data. */
  start(): void;
  /** Stops it for good and removes its folder. */
  destroy(): void;
}

let databases = 0;

export function startPostgres(): TestPostgres {
  const dir = mkdtempSync(join(tmpdir(), 'oauth-pg-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', SERVER_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', SERVER_USER], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  // listen_addresses='' : no TCP at all; fsync off: a test server's data is thrown away anyway.
  const options = `-c listen_addresses='' -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
  let running = false;
  const start = () => {
    try {
      run('pg_ctl', ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '30', 'start']);
    } catch (err) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
      throw new Error(`PostgreSQL did not start: ${(err as Error).message}\n${log}`);
    }
    running = true;
  };
  const stop = (mode = 'fast') => {
    if (!running) return;
    running = false;
    run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop']);
  };
  // A test process that ends without its after() hook must not leave a server behind.
  const onExit = () => {
    try {
      stop('immediate');
    } catch { /* already gone */ }
  };
  process.on('exit', onExit);
  start();

  const url = (database = 'postgres') => `postgres://postgres@/${database}?host=${encodeURIComponent(dir)}`;
  return {
    dir,
    url,
    async createDatabase() {
      const name = `test_${process.pid}_${++databases}`;
      const admin = new pg.Client({ connectionString: url() });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    stop: () => stop(),
    start,
    destroy() {
      process.off('exit', onExit);
      if (running) dumpForCheck(dir);
      stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let dumps = 0;

/**
 * Every row of every database of the server, for the dump check after the suite: bytea as text
 * (printable bytes as they are), so that a secret stored in plain text reads as itself.
 */
function dumpForCheck(dir: string): void {
  const folder = join(DUMP_CHECK_DIR, 'postgres');
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${process.pid}-${++dumps}.sql`);
  const connection = `host=${dir} user=postgres options='-c bytea_output=escape'`;
  writeFileSync(file, run('pg_dumpall', ['--data-only', '--no-password', '-d', connection]));
  rememberDatabase(file);
}

/** Log lines kept for assertions, printed only with HOST_TEST_LOGS=1. */
export function testLogger(lines: string[] = []): Logger {
  return createLogger((line) => {
    lines.push(line);
    if (process.env.HOST_TEST_LOGS) console.log(line);
  });
}

/** The at-rest key every node and store of these tests shares, as every node of a real cluster must. */
export const TEST_AT_REST_KEY = 'the at-rest key of every test node, 32+ characters';

/** What a host on these databases needs in its environment (the postgres driver requires the key). */
export const PG_HOST_ENV = { MM_SQLSETTINGS_DRIVERNAME: 'postgres', MM_SQLSETTINGS_ATRESTENCRYPTKEY: TEST_AT_REST_KEY };

/** A Store on `url`, as a host node opens it. */
export function openPgStore(url: string, clock: Clock = Date.now, maxConnections = 10, atRestKey = TEST_AT_REST_KEY): Promise<Store> {
  return openPostgresStore({ url, maxConnections, clock, log: testLogger(), connectTimeoutMs: 5_000, atRestKey });
}

// ---- Host nodes: real processes (dist/src/main.js) on one PostgreSQL database.

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

export interface Node {
  name: string;
  url: string;
  child: ChildProcessWithoutNullStreams;
  output(): string;
  /** Resolves with the exit code or signal once the process has ended. */
  exited: Promise<number | string | null>;
}

/** A free loopback port (the kernel picks it; it is released at once for the node to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `node dist/src/main.js` on `port` with the database and SiteURL given; resolves once it listens. */
export function startNode(name: string, opts: { databaseUrl: string; port: number; siteUrl: string; pluginDir: string; env?: Record<string, string> }): Promise<Node> {
  const child = spawn(process.execPath, [MAIN], {
    cwd: tmpdir(),
    env: {
      PATH: process.env.PATH, OAUTH_PLUGIN_DIR: opts.pluginDir, ...PG_HOST_ENV, MM_SQLSETTINGS_DATASOURCE: opts.databaseUrl,
      MM_SERVICESETTINGS_LISTENADDRESS: `127.0.0.1:${opts.port}`, MM_SERVICESETTINGS_SITEURL: opts.siteUrl,
      ...opts.env,
    },
  });
  let output = '';
  const collect = (d: Buffer) => {
    output += d;
    if (process.env.HOST_TEST_LOGS) process.stdout.write(`[${name}] ${d}`);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const node: Node = { name, url: `http://127.0.0.1:${opts.port}`, child, output: () => output, exited };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${name} printed no start-up line:\n${output}`)), 20_000);
    child.stdout.on('data', () => {
      if (output.includes(`listening on ${node.url}`)) {
        clearTimeout(timer);
        resolve(node);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node ${name} exited (${code}) before listening:\n${output}`));
    });
  });
}

/** Polls `check` every 50 ms until it is true, for at most `timeoutMs`; returns how long it took. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
