// Opens the SQLite database (WAL, foreign keys, migrations) and builds the stores over it.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { KEY_CHECK_NAME, sqliteKey, verifyKeyCheck } from '../../at-rest-key.js';
import type { Clock, Store } from '../store.js';
import { SqliteCommandStore } from './commands.js';
import { SqliteConfigStore } from './configs.js';
import { SqliteKvStore } from './kv.js';
import { migrate } from './migrations.js';
import { SqliteSessionStore } from './sessions.js';
import { SqliteTeamStore } from './teams.js';
import { SqliteUserStore } from './users.js';

/** `atRestKey` defaults to the key file beside the database (the host passes MM_SQLSETTINGS_ATRESTENCRYPTKEY when set). */
export function openSqliteStore(file: string, clock: Clock = Date.now, atRestKey = sqliteKey(file)): Store {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL lets readers run while a write commits; busy_timeout waits for a lock instead of failing.
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  // Overwritten and deleted content is zeroed, so a secret replaced (a plaintext token encrypted, a
  // KV secret deleted) does not linger in the file's free space.
  db.pragma('secure_delete = ON');
  try {
    migrate(db, clock(), atRestKey);
    const check = db.prepare('SELECT Value FROM Systems WHERE Name = ?').get(KEY_CHECK_NAME) as { Value: string } | undefined;
    verifyKeyCheck(atRestKey, check?.Value ?? null);
  } catch (err) {
    db.close();
    throw err;
  }
  return {
    kv: new SqliteKvStore(db, clock),
    users: new SqliteUserStore(db, clock),
    sessions: new SqliteSessionStore(db),
    teams: new SqliteTeamStore(db),
    commands: new SqliteCommandStore(db, clock, atRestKey),
    configs: new SqliteConfigStore(db, clock),
    close: async () => void db.close(),
  };
}
