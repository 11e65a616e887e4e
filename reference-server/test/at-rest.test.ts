// The at-rest key: where it comes from (MM_SQLSETTINGS_ATRESTENCRYPTKEY, else with SQLite a key file
// beside the database), what the plugin gets (atRestKey()), and the host's own use of it: slash
// command tokens encrypted in the database (AES-256-GCM), readable again only with the same key.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { AT_REST_KEY_VARIABLE } from '../src/at-rest-key.js';
import { SecretBox } from '../src/secret-box.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { commandBody, mainTeamAndChannel, SCHEMA_BEFORE_ENCRYPTION, startCommandReceiver, UNDO_AFTER_ENCRYPTION, type CommandReceiver } from './command-helpers.js';
import { ADMIN, FAKE_PLUGIN_DIR, client, createAdmin, startServer, tempDbFile, type Client, type TestServer } from './helpers.js';

const ENV_KEY = 'an at-rest key of more than 32 characters, for the tests';
const OTHER_KEY = 'another at-rest key, just as long as the first one';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** What the plugin gets from atRestKey(), through the fake plugin (length and hash only). */
async function pluginKey(server: TestServer): Promise<{ isBytes: boolean; length: number; sha256: string }> {
  const res = await fetch(`${server.url}/plugins/oauth-plugin/at-rest-key`);
  assert.equal(res.status, 200);
  return (await res.json()) as { isBytes: boolean; length: number; sha256: string };
}

/** The Token column as stored, read straight from the SQLite file. */
function storedTokens(dbFile: string): Map<string, string> {
  const db = new Database(dbFile, { readonly: true });
  try {
    return new Map((db.prepare('SELECT Id, Token FROM Commands').all() as { Id: string; Token: string }[]).map((r) => [r.Id, r.Token]));
  } finally {
    db.close();
  }
}

/** Every byte the database keeps on disk (the file and its write-ahead log). */
function databaseBytes(dbFile: string): string {
  return [dbFile, `${dbFile}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('');
}

const start = (dbFile: string, env: Record<string, string> = {}) => startServer({ pluginDir: FAKE_PLUGIN_DIR, dbFile, env });

describe('at-rest key: the key file beside a SQLite database', () => {
  const dbFile = tempDbFile();
  const keyFile = `${dbFile}.key`;
  let receiver: CommandReceiver;
  let admin: Client;
  let token: string;
  let commandId: string;
  let fileKey: string;

  before(async () => {
    receiver = await startCommandReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  it('is made on first start: 32 random bytes in base64url, a file of mode 0600 that the plugin gets as UTF-8 bytes', async () => {
    assert.equal(existsSync(keyFile), false);
    const server = await start(dbFile);
    try {
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);
      fileKey = readFileSync(keyFile, 'utf8').trim();
      assert.match(fileKey, /^[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(await pluginKey(server), { isBytes: true, length: 43, sha256: sha256(fileKey) });

      ({ client: admin } = await createAdmin(server.url));
      await admin.patchConfig({ ServiceSettings: { AllowedUntrustedInternalConnections: '127.0.0.1' } } as never);
      const { teamId } = await mainTeamAndChannel(admin);
      const command = await admin.addCommand(commandBody(teamId, `${receiver.url}/hooks/json`));
      ({ token, id: commandId } = command);

      const config = JSON.stringify(await admin.getConfig());
      assert.ok(!config.includes(fileKey), 'GET /api/v4/config never shows the key');
      assert.ok(!server.logs.some((l) => l.includes(fileKey) || l.includes(token)), 'no log line shows the key or a token');
      const stored = storedTokens(dbFile).get(commandId)!;
      assert.notEqual(stored, token);
      assert.ok(!databaseBytes(dbFile).includes(token), 'the token is nowhere in the database in plain text');
      assert.ok(!databaseBytes(dbFile).includes(fileKey), 'nor is the key');
    } finally {
      await server.close();
    }
    assert.ok(!databaseBytes(dbFile).includes(token), 'nor after the log is checkpointed');
  });

  it('is read back on the next start: the same key, and commands keep working with their token', async () => {
    const server = await start(dbFile);
    try {
      assert.equal(readFileSync(keyFile, 'utf8').trim(), fileKey);
      assert.equal((await pluginKey(server)).sha256, sha256(fileKey));
      admin = client(server.url);
      await admin.login(ADMIN.username, ADMIN.password);
      const [listed] = await admin.getCustomTeamCommands((await mainTeamAndChannel(admin)).teamId);
      assert.equal(listed.token, token, 'the API shows the plaintext token to those who manage the command');
      const { channelId } = await mainTeamAndChannel(admin);
      await admin.executeCommand('/weather', { channel_id: channelId });
      assert.equal(receiver.requestsTo('json').at(-1)?.headers.authorization, `Token ${token}`);
      const { token: regenerated } = await admin.regenCommandToken(commandId);
      assert.ok(!databaseBytes(dbFile).includes(regenerated));
      await admin.executeCommand('/weather', { channel_id: channelId });
      assert.equal(receiver.requestsTo('json').at(-1)?.headers.authorization, `Token ${regenerated}`);
      token = regenerated;
    } finally {
      await server.close();
    }
  });

  it('refuses to start with another key, clearly, rather than read the database wrong', async () => {
    await assert.rejects(start(dbFile, { [AT_REST_KEY_VARIABLE]: OTHER_KEY }), (err: Error) =>
      /at-rest key/.test(err.message) && err.message.includes(AT_REST_KEY_VARIABLE) && !err.message.includes(OTHER_KEY));
    writeFileSync(keyFile, `${'k'.repeat(43)}\n`);
    try {
      await assert.rejects(start(dbFile), /at-rest key/);
    } finally {
      writeFileSync(keyFile, `${fileKey}\n`);
    }
  });

  it('fails clearly on a damaged or moved token: a 500 without detail, the reason in the log', async () => {
    const db = new Database(dbFile);
    const stored = storedTokens(dbFile).get(commandId)!;
    const damaged = stored.slice(0, -2) + (stored.at(-2) === 'A' ? 'B' : 'A') + stored.at(-1);
    db.prepare('UPDATE Commands SET Token = ? WHERE Id = ?').run(damaged, commandId);
    db.close();
    const server = await start(dbFile);
    try {
      admin = client(server.url);
      await admin.login(ADMIN.username, ADMIN.password);
      const res = await fetch(`${server.url}/api/v4/commands/${commandId}`, { headers: { authorization: `Bearer ${admin.getToken()}` } });
      const body = (await res.json()) as { id: string; message: string; detailed_error: string };
      assert.equal(res.status, 500);
      assert.equal(body.id, 'app.server.internal_error.app_error');
      assert.equal(body.detailed_error, '');
      assert.ok(server.logs.some((l) => /request failed .*cannot decrypt/.test(l) && l.includes(commandId)), 'the log says which and why');
    } finally {
      await server.close();
    }
  });
});

describe('at-rest key: MM_SQLSETTINGS_ATRESTENCRYPTKEY', () => {
  it('wins over the key file: the plugin gets its UTF-8 bytes, and no key file is made', async () => {
    const dbFile = tempDbFile();
    const server = await start(dbFile, { [AT_REST_KEY_VARIABLE]: ENV_KEY });
    try {
      assert.deepEqual(await pluginKey(server), { isBytes: true, length: ENV_KEY.length, sha256: sha256(ENV_KEY) });
      assert.equal(existsSync(`${dbFile}.key`), false);
      const { client: admin } = await createAdmin(server.url);
      assert.ok(!JSON.stringify(await admin.getConfig()).includes(ENV_KEY), 'GET /api/v4/config never shows the key');
      assert.ok(!server.logs.some((l) => l.includes(ENV_KEY)));
    } finally {
      await server.close();
    }
  });

  it('must have at least 32 characters, as Mattermost asks; the message names the variable, never the value', async () => {
    const short = 'only 31 characters, one short.!';
    assert.equal(short.length, 31);
    await assert.rejects(start(tempDbFile(), { [AT_REST_KEY_VARIABLE]: short }), (err: Error) =>
      err.message.includes(AT_REST_KEY_VARIABLE) && /32 characters/.test(err.message) && !err.message.includes(short));
  });
});

describe('at-rest key: a :memory: database', () => {
  it('gets a random key for the process, written nowhere', async () => {
    const a = await startServer({ pluginDir: FAKE_PLUGIN_DIR, dataSource: ':memory:' });
    const b = await startServer({ pluginDir: FAKE_PLUGIN_DIR, dataSource: ':memory:' });
    try {
      const [keyA, keyB] = [await pluginKey(a), await pluginKey(b)];
      assert.equal(keyA.length, 43);
      assert.equal(keyA.sha256, keyB.sha256, 'one key per process');
      assert.equal(existsSync(':memory:'), false, 'no file named ":memory:"');
      assert.equal(existsSync(':memory:.key'), false);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('command tokens written before encryption', () => {
  it('are encrypted by the migration, and read back as they were', async () => {
    const dbFile = tempDbFile();
    const store = openSqliteStore(dbFile);
    const team = (await store.teams.teamByName('main'))!;
    const fields = {
      trigger: 'old', method: 'P' as const, username: '', iconUrl: '', autoComplete: false, autoCompleteDesc: '', autoCompleteHint: '',
      displayName: '', description: '', url: 'https://example.com/cmd',
    };
    const [first, second] = [await store.commands.create('c'.repeat(26), team.id, fields), await store.commands.create('c'.repeat(26), team.id, { ...fields, trigger: 'older' })];
    await store.close();
    // As a database written before this version: plaintext tokens, the schema one step back.
    const db = new Database(dbFile);
    db.prepare('UPDATE Commands SET Token = ? WHERE Id = ?').run(first.token, first.id);
    db.prepare('UPDATE Commands SET Token = ? WHERE Id = ?').run(second.token, second.id);
    db.exec(UNDO_AFTER_ENCRYPTION);
    db.exec('DROP TABLE Systems');
    db.pragma(`user_version = ${SCHEMA_BEFORE_ENCRYPTION}`);
    db.close();
    assert.equal(storedTokens(dbFile).get(first.id), first.token);

    const reopened = openSqliteStore(dbFile);
    try {
      assert.equal((await reopened.commands.get(first.id))?.token, first.token);
      assert.equal((await reopened.commands.get(second.id))?.token, second.token);
      assert.ok(!databaseBytes(dbFile).includes(first.token), 'no plaintext left behind in free space, even while open');
    } finally {
      await reopened.close();
    }
    const stored = storedTokens(dbFile);
    assert.notEqual(stored.get(first.id), first.token);
    assert.ok(!databaseBytes(dbFile).includes(first.token) && !databaseBytes(dbFile).includes(second.token));
  });
});

describe('SecretBox (AES-256-GCM under an HKDF-SHA256 key of its own purpose)', () => {
  const box = new SecretBox(ENV_KEY, 'oauth-plugin host commands v1');

  it('opens what it sealed, with the same associated data only', () => {
    const sealed = box.seal('the token', 'command-id');
    assert.equal(box.open(sealed, 'command-id'), 'the token');
    assert.notEqual(box.seal('the token', 'command-id'), sealed, 'a fresh nonce each time');
    assert.throws(() => box.open(sealed, 'another-command-id'), /cannot decrypt/);
  });

  it('refuses another key, another purpose, and damaged or foreign values', () => {
    const sealed = box.seal('the token', 'id');
    assert.throws(() => new SecretBox(OTHER_KEY, 'oauth-plugin host commands v1').open(sealed, 'id'), /cannot decrypt/);
    assert.throws(() => new SecretBox(ENV_KEY, 'another purpose').open(sealed, 'id'), /cannot decrypt/);
    const flipped = (at: number) => `${sealed.slice(0, at)}${sealed[at] === 'A' ? 'B' : 'A'}${sealed.slice(at + 1)}`;
    assert.throws(() => box.open(flipped(10), 'id'), /cannot decrypt/, 'a damaged nonce');
    assert.throws(() => box.open(flipped(sealed.length - 5), 'id'), /cannot decrypt/, 'a damaged tag');
    assert.throws(() => box.open('v1:', 'id'), /cannot decrypt/);
    assert.throws(() => box.open('plaintext-token', 'id'), /cannot decrypt/);
  });
});
