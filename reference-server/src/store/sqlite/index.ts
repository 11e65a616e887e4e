// Opens the SQLite database (WAL, foreign keys, migrations) and builds the stores over it.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { KEY_CHECK_NAME, sqliteKey, verifyKeyCheck } from '../../at-rest-key.js';
import type { Clock, Store } from '../store.js';
import type { Logger } from '../../log.js';
import { SqliteCommandStore } from './commands.js';
import { SqliteConfigStore } from './configs.js';
import { SqliteDb } from './db.js';
import { SqliteKvStore } from './kv.js';
import { SqlitePostStore } from './posts.js';
import { SqliteOutgoingWebhookStore } from './webhooks.js';
import { migrate } from './migrations.js';
import { SqliteSessionStore } from './sessions.js';
import { SqliteTeamStore } from './teams.js';
import { SqliteUserStore } from './users.js';

/** `atRestKey` defaults to the key file beside the database (the host passes MM_SQLSETTINGS_ATRESTENCRYPTKEY when set). */
export function openSqliteStore(file: string, clock: Clock = Date.now, atRestKey = sqliteKey(file), log?: Logger): Store {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL lets readers run while a write commits; busy_timeout waits for a lock instead of failing.
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // Overwritten and deleted content is zeroed, so a secret replaced (a plaintext token encrypted, a
  // KV secret deleted) does not linger in the file's free space.
  db.pragma('secure_delete = ON');
  // Syncs at checkpoints, not at commit: group commit (db.ts) syncs the log after each batch, off the
  // event loop, and answers only then, so a commit is on disk before any answer that depends on it
  // leaves (a power loss, not only a crash of the process, keeps it).
  db.pragma('synchronous = NORMAL');
  try {
    migrate(db, clock(), atRestKey);
    const check = db.prepare('SELECT Value FROM Systems WHERE Name = ?').get(KEY_CHECK_NAME) as { Value: string } | undefined;
    verifyKeyCheck(atRestKey, check?.Value ?? null);
  } catch (err) {
    db.close();
    throw err;
  }
  const sql = new SqliteDb(db, log);
  return {
    kv: new SqliteKvStore(sql, clock),
    users: new SqliteUserStore(sql, clock),
    sessions: new SqliteSessionStore(sql),
    teams: new SqliteTeamStore(sql),
    commands: new SqliteCommandStore(sql, clock, atRestKey),
    posts: new SqlitePostStore(sql, clock),
    outgoingWebhooks: new SqliteOutgoingWebhookStore(sql, clock, atRestKey),
    configs: new SqliteConfigStore(sql, clock),
    health: sql,
    durability: sql,
    close: async () => sql.close(),
  };
}
