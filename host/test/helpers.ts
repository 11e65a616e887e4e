// Shared test helpers: temp databases, an in-process server, and logged-in Client4 instances.
import mattermostClient from '@mattermost/client';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultPluginDir, readPluginFiles } from '../src/manifest.js';
import { createServer, type RunningServer, type ServerOptions } from '../src/server.js';

// @mattermost/client is CommonJS; Node's ESM loader cannot see its named exports.
export const { Client4 } = mattermostClient;
export type Client = InstanceType<typeof Client4>;

/** Source folder of the fixtures (tests run from dist/test, fixtures are not compiled). */
const FIXTURES = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));
export const FAKE_PLUGIN_DIR = join(FIXTURES, 'fake-plugin');
export const FAKE_PLUGIN_NO_BUNDLE_DIR = join(FIXTURES, 'fake-plugin-no-bundle');

/** The repository root, where the real plugin is built (make build). Fails clearly when it is not. */
export function realPluginDir(): string {
  const dir = defaultPluginDir();
  const files = readPluginFiles(dir);
  for (const path of [files.wasmPath, files.gluePath]) {
    if (!existsSync(path)) throw new Error(`the real plugin is not built (${path} is missing): run "make build" first`);
  }
  return dir;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'oauth-host-test-'));
}

export function tempDbFile(): string {
  return join(tempDir(), 'test.db');
}

export interface TestServer extends RunningServer {
  dbFile: string;
  logs: string[];
}

/** Starts the host on a free loopback port with a fresh (or the given) database; logs are kept, not printed. */
export async function startServer(options: ServerOptions & { dbFile?: string } = {}): Promise<TestServer> {
  const dbFile = options.dbFile ?? tempDbFile();
  const logs: string[] = [];
  const server = await createServer({
    env: {},
    listenAddress: '127.0.0.1:0',
    dataSource: dbFile,
    logSink: (line) => {
      logs.push(line);
      if (process.env.HOST_TEST_LOGS) console.log(line);
    },
    ...options,
  });
  return { ...server, dbFile, logs };
}

export function client(url: string, token?: string): Client {
  const c = new Client4();
  c.setUrl(url);
  if (token) c.setToken(token);
  return c;
}

export const ADMIN = { username: 'admin', email: 'admin@example.com', password: 'admin-password-1' };
export const USER = { username: 'alice', email: 'alice@example.com', password: 'alice-password-1' };

export async function createAdmin(url: string): Promise<{ client: Client; id: string }> {
  const c = client(url);
  const user = await c.createUser(ADMIN as never, '', '');
  await c.login(ADMIN.username, ADMIN.password);
  return { client: c, id: user.id };
}

/** The admin creates an ordinary user, who then logs in with a client of their own. */
export async function createUser(url: string, admin: Client, user = USER): Promise<{ client: Client; id: string }> {
  const created = await admin.createUser(user as never, '', '');
  const c = client(url);
  await c.login(user.username, user.password);
  return { client: c, id: created.id };
}

/** Logs in with plain fetch and returns the cookies the host set (name → value) and raw Set-Cookie lines. */
export async function loginForCookies(url: string, loginId: string, password: string): Promise<{ cookies: Map<string, string>; setCookie: string[]; cookieHeader: string }> {
  const res = await fetch(`${url}/api/v4/users/login`, { method: 'POST', body: JSON.stringify({ login_id: loginId, password }) });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  const setCookie = res.headers.getSetCookie();
  const cookies = new Map(setCookie.map((line) => line.split(';')[0].split('=') as [string, string]));
  const cookieHeader = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return { cookies, setCookie, cookieHeader };
}

/** Expects a Client4 call to fail with this status (and error id, when given). */
export async function expectClientError(promise: Promise<unknown>, status: number, id?: string): Promise<void> {
  try {
    await promise;
  } catch (err) {
    const e = err as { status_code?: number; server_error_id?: string; message: string };
    if (e.status_code !== status) throw new Error(`expected status ${status}, got ${e.status_code}: ${e.message}`);
    if (id !== undefined && e.server_error_id !== id) throw new Error(`expected error id ${id}, got ${e.server_error_id}`);
    return;
  }
  throw new Error(`expected a ${status} error, but the call succeeded`);
}
