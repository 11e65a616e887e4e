// The PostgreSQL connection layer: a bounded pool, the one place that tells a lost connection from
// a failed statement, and the health state the host turns into 503s while it reconnects with backoff.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { ApiError, storeUnavailable } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { StoreHealth } from '../store.js';

/** What a statement runs on: the pool (autocommit) or one transaction's client. */
export interface Querier {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

// Network errors, PostgreSQL's "connection exception" class (08…), and the server shutting down or
// starting up (57P01-03). Anything else is a failed statement, not a lost database.
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'ENOENT',
  'EHOSTUNREACH', 'ENETUNREACH', '57P01', '57P02', '57P03']);
const CONNECTION_MESSAGES = /Connection terminated|connection error|timeout exceeded when trying to connect|Query read timeout|not queryable/i;

export function isConnectionError(err: unknown): boolean {
  if (err instanceof ApiError) return false;
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  return typeof message === 'string' && CONNECTION_MESSAGES.test(message);
}

// int8 columns (times in milliseconds) come back as strings by default; they fit a double exactly.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as never)) as typeof pg.types.getTypeParser,
};

/** A statement's name: its text's hash (the same text, the same name, on every connection). */
const names = new Map<string, string>();
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) names.set(text, (name = `s${createHash('sha256').update(text).digest('hex').slice(0, 16)}`));
  return name;
}

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 5_000;

export interface DbOptions {
  url: string;
  maxConnections: number;
  log: Logger;
}

export class Db implements StoreHealth {
  readonly pool: pg.Pool;
  private isDown = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly opts: DbOptions) {
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.maxConnections,
      types,
      application_name: 'oauth-plugin-server',
      // Waiting for a free connection (or a new one) is bounded, so a stuck database cannot pile up requests.
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      // A silent network partition surfaces as a lost connection instead of a request hanging forever.
      query_timeout: 15_000,
      statement_timeout: 10_000,
      keepAlive: true,
    });
    // An idle connection the server dropped: the pool discards it; without a listener Node would crash.
    this.pool.on('error', (err) => this.failure(err));
  }

  get down(): boolean {
    return this.isDown;
  }

  /**
   * One statement in autocommit: it either happened entirely or not at all. Prepared by name, once
   * per connection: PostgreSQL then parses and plans each of the few statements the stores run once,
   * not on every request.
   */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
    // While reconnecting, fail fast rather than queue requests behind a dead database.
    if (this.isDown) throw storeUnavailable();
    try {
      return await this.pool.query<R>({ name: statementName(text), text, values: params });
    } catch (err) {
      throw this.failure(err);
    }
  }

  /** Runs `work` in one transaction: committed entirely, or (on any error, a lost connection included) not at all. */
  async transaction<T>(work: (q: Querier) => Promise<T>): Promise<T> {
    if (this.isDown) throw storeUnavailable();
    try {
      return await this.inTransaction(work);
    } catch (err) {
      throw this.failure(err);
    }
  }

  /** `transaction` without the 503 mapping: start-up reports the database's own error. */
  async inTransaction<T>(work: (q: Querier) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      if (isConnectionError(err)) broken = err;
      else await client.query('ROLLBACK').catch((rollbackErr: unknown) => (broken = rollbackErr));
      throw err;
    } finally {
      // A connection that failed mid-transaction is destroyed, never handed to the next request.
      client.release(broken instanceof Error ? broken : broken === undefined ? undefined : true);
    }
  }

  /** Maps a lost connection to the 503 (and starts reconnecting); other errors pass through. */
  failure(err: unknown): unknown {
    if (!isConnectionError(err)) return err;
    // Waiting too long for a connection while the pool holds some is a busy database, not a lost
    // one: this request gets the 503, the others go on (a lost database fails those connections too).
    const busy = /timeout exceeded when trying to connect/i.test((err as Error)?.message ?? '') && this.pool.totalCount > 0;
    if (!busy) this.markDown(err);
    return storeUnavailable();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.pool.end();
  }

  private markDown(err: unknown): void {
    if (this.isDown || this.closed) return;
    this.isDown = true;
    this.opts.log.log('error', 'database unavailable; reconnecting', { error: (err as Error)?.message ?? String(err) });
    this.scheduleProbe(FIRST_RETRY_MS);
  }

  /** Probes with a growing delay until the database answers again. */
  private scheduleProbe(delayMs: number): void {
    this.retryTimer = setTimeout(() => {
      this.pool.query('SELECT 1').then(() => {
        this.isDown = false;
        this.opts.log.log('info', 'database reachable again');
      }, () => {
        if (!this.closed) this.scheduleProbe(Math.min(delayMs * 2, MAX_RETRY_MS));
      });
    }, delayMs);
    this.retryTimer.unref();
  }
}
