// Opens the SQLite database (WAL, foreign keys, migrations) and builds the stores over it.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock, Store } from '../store.js';
import { SqliteCommandStore } from './commands.js';
import { SqliteConfigStore } from './configs.js';
import { SqliteKvStore } from './kv.js';
import { migrate } from './migrations.js';
import { SqliteSessionStore } from './sessions.js';
import { SqliteTeamStore } from './teams.js';
import { SqliteUserStore } from './users.js';

export function openSqliteStore(file: string, clock: Clock = Date.now): Store {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL lets readers run while a write commits; busy_timeout waits for a lock instead of failing.
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db, clock());
  return {
    kv: new SqliteKvStore(db, clock),
    users: new SqliteUserStore(db, clock),
    sessions: new SqliteSessionStore(db),
    teams: new SqliteTeamStore(db),
    commands: new SqliteCommandStore(db, clock),
    configs: new SqliteConfigStore(db, clock),
    close: async () => void db.close(),
  };
}
