// Picks the database driver from SqlSettings: SQLite (the default, one process) or PostgreSQL
// (one database shared by several host processes).
import { sqliteFile, type SqlSettings } from '../config.js';
import type { Logger } from '../log.js';
import { openPostgresStore } from './postgres/index.js';
import { openSqliteStore } from './sqlite/index.js';
import type { Clock, Store } from './store.js';

/** `atRestKey` encrypts the secrets the host stores (see at-rest-key.ts). */
export async function openStore(sql: SqlSettings, clock: Clock, log: Logger, atRestKey: string): Promise<Store> {
  if (sql.DriverName === 'postgres') return openPostgresStore({ url: sql.DataSource, maxConnections: sql.MaxOpenConns, log, clock, atRestKey });
  return openSqliteStore(sqliteFile(sql), clock, atRestKey, log);
}
