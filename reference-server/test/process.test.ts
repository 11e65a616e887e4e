// The host as a real process (dist/src/main.js): start-up message, a trap inside an async plugin
// task (it surfaces as an uncaught exception, which only a process of its own shows faithfully),
// and graceful shutdown on SIGTERM.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { FAKE_PLUGIN_DIR, tempDir } from './helpers.js';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));

function startMain(): Promise<{ child: ChildProcessWithoutNullStreams; url: string; output: () => string }> {
  const dir = tempDir();
  const child = spawn(process.execPath, [MAIN], {
    cwd: dir,
    env: {
      PATH: process.env.PATH, OAUTH_PLUGIN_DIR: FAKE_PLUGIN_DIR,
      MM_SERVICESETTINGS_LISTENADDRESS: '127.0.0.1:0', MM_SQLSETTINGS_DATASOURCE: join(dir, 'host.db'),
    },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start-up line:\n${output}`)), 10_000);
    child.stdout.on('data', () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1], output: () => output });
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not met in time');
}

describe('host process', () => {
  let host: Awaited<ReturnType<typeof startMain>>;

  before(async () => {
    host = await startMain();
  });
  after(() => {
    if (host.child.exitCode === null) host.child.kill('SIGKILL');
  });

  it('prints its URL and how to create the first admin user', () => {
    assert.match(host.output(), /curl -X POST http:\/\/127\.0\.0\.1:\d+\/api\/v4\/users -d '\{"username":"admin"/);
  });

  it('survives a trap inside an async plugin task: 500 for that request, then a fresh instance', async () => {
    const instance = async () => ((await (await fetch(`${host.url}/plugins/oauth-plugin/instance`)).json()) as { instanceId: string }).instanceId;
    const first = await instance();
    const res = await fetch(`${host.url}/plugins/oauth-plugin/panic-in-task`);
    assert.equal(res.status, 500);
    assert.equal(((await res.json()) as { id: string }).id, 'app.plugin.crashed.app_error');
    await waitFor(async () => (await fetch(`${host.url}/plugins/oauth-plugin/instance`)).status === 200);
    assert.notEqual(await instance(), first);
    assert.equal(host.child.exitCode, null, 'the process is still running');
  });

  it('shuts down cleanly on SIGTERM: plugin deactivated, exit code 0', async () => {
    const exited = new Promise<number | null>((resolve) => host.child.on('exit', resolve));
    host.child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(host.output(), /fake plugin deactivated/);
    assert.match(host.output(), /server stopped/);
  });
});
