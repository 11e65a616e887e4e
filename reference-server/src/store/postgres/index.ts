// Opens PostgreSQL (a bounded pool, migrations under a lock shared by all nodes) and builds the
// stores over it. Several host processes may share one database: every rule that must hold across
// them is decided by the database (single statements, transactions, locks, unique indexes).
import { KEY_CHECK_NAME, verifyKeyCheck } from '../../at-rest-key.js';
import type { Logger } from '../../log.js';
import type { Clock, Store } from '../store.js';
import { PgCommandStore } from './commands.js';
import { PgConfigStore } from './configs.js';
import { Db, isConnectionError } from './db.js';
import { PgKvStore } from './kv.js';
import { PgPostStore } from './posts.js';
import { PgOutgoingWebhookStore } from './webhooks.js';
import { migrate } from './migrations.js';
import { PgSessionStore } from './sessions.js';
import { PgTeamStore } from './teams.js';
import { PgUserStore } from './users.js';

export interface PgStoreOptions {
  url: string;
  maxConnections: number;
  log: Logger;
  clock?: Clock;
  /** Encrypts the secrets the host stores; the same on every node (see at-rest-key.ts). */
  atRestKey: string;
  /** How long start-up waits for a database that does not answer yet (it may be starting too). */
  connectTimeoutMs?: number;
}

export async function openPostgresStore(opts: PgStoreOptions): Promise<Store> {
  const clock = opts.clock ?? Date.now;
  const db = new Db({ url: opts.url, maxConnections: opts.maxConnections, log: opts.log });
  try {
    await untilReachable(() => migrate((work) => db.inTransaction(work), clock(), opts.atRestKey), opts.connectTimeoutMs ?? 15_000, opts.log);
    const check = await db.inTransaction((q) => q.query<{ value: string }>('SELECT Value AS "value" FROM Systems WHERE Name = $1', [KEY_CHECK_NAME]));
    verifyKeyCheck(opts.atRestKey, check.rows[0]?.value ?? null);
  } catch (err) {
    await db.close();
    throw err;
  }
  return {
    kv: new PgKvStore(db, clock),
    users: new PgUserStore(db, clock),
    sessions: new PgSessionStore(db),
    teams: new PgTeamStore(db),
    commands: new PgCommandStore(db, clock, opts.atRestKey),
    posts: new PgPostStore(db, clock),
    outgoingWebhooks: new PgOutgoingWebhookStore(db, clock, opts.atRestKey),
    configs: new PgConfigStore(db, clock, opts.url, opts.log),
    health: db,
    close: () => db.close(),
  };
}

/** Retries `attempt` with backoff while the database cannot be reached, up to `timeoutMs`. */
async function untilReachable(attempt: () => Promise<void>, timeoutMs: number, log: Logger): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await attempt();
    } catch (err) {
      if (!isConnectionError(err) || Date.now() + delay > deadline) {
        throw new Error(`cannot open the PostgreSQL database: ${(err as Error).message}`);
      }
      log.log('warn', 'database not reachable yet; retrying', { error: (err as Error).message });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
