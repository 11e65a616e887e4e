// Picks the database driver from SqlSettings: SQLite (the default, one process) or PostgreSQL
// (one database shared by several host processes).
import { resolve } from 'node:path';
import type { SqlSettings } from '../config.js';
import type { Logger } from '../log.js';
import { openPostgresStore } from './postgres/index.js';
import { openSqliteStore } from './sqlite/index.js';
import type { Clock, Store } from './store.js';

export async function openStore(sql: SqlSettings, clock: Clock, log: Logger): Promise<Store> {
  if (sql.DriverName === 'postgres') return openPostgresStore({ url: sql.DataSource, maxConnections: sql.MaxOpenConns, log, clock });
  return openSqliteStore(resolve(sql.DataSource), clock);
}
