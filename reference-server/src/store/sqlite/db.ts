// The SQLite connection as the stores use it: statements prepared once per SQL text, and group
// commit. Every write joins the transaction of the current turn of the event loop, which commits
// once when the turn's work is done; then the write-ahead log is synced to disk off the event loop
// (fdatasync in libuv's thread pool), while the next turn's requests go on. A response waits for the
// sync that holds its request's writes (durable()), so no client is told of a write that a crash, a
// power loss included, could undo; requests in flight share one commit and one sync instead of each
// paying its own, and no request waits for another's sync to begin its work.
//
// The connection runs with synchronous = NORMAL, which in WAL mode syncs at every checkpoint (the
// log before, the database after) but not at commit: the sync after each batch is what makes a
// commit durable, as FULL would, without blocking the event loop while the disk works.
//
// Reads run on the same connection, so a read inside an open batch sees the batch's writes before
// they are durable. That is safe because nothing leaves the process before the sync: every response
// waits for it, and if the commit fails, the whole batch is rolled back and every response that
// waited on it is a 503.
import type BetterSqlite3 from 'better-sqlite3';
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import { storeUnavailable } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { StoreHealth } from '../store.js';

interface Batch {
  committed: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 5_000;

/**
 * The connections of this process, by database file. A batch holds the file's write lock until the
 * turn ends, and a second connection in the same process waiting for that lock would block the turn
 * itself; so a connection commits the others' batches before it uses the file, and it reads what they
 * wrote, as two connections without group commit would. (The server opens one per file; tests and
 * tools may open more.)
 */
const connections = new Map<string, Set<SqliteDb>>();

export class SqliteDb implements StoreHealth {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private batch: Batch | null = null;
  private isDown = false;
  /** Counts failed commits: a request that began before one cannot be answered as if nothing happened. */
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  /** The write-ahead log, opened for syncing once it exists (a database in memory has none). */
  private wal: number | null = null;
  /** The sync of the latest commit, while it runs. */
  private syncing: Promise<void> | null = null;

  private readonly siblings: Set<SqliteDb>;

  constructor(readonly raw: BetterSqlite3.Database, private readonly log?: Logger) {
    const file = raw.memory ? null : raw.name;
    this.siblings = file === null ? new Set() : connections.get(file) ?? new Set();
    if (file !== null) connections.set(file, this.siblings);
    this.siblings.add(this);
  }

  get down(): boolean {
    return this.isDown;
  }

  /** Where durability stands now: pass it to durable() when the request answers. */
  get generation(): number {
    return this.failures;
  }

  prepare(sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.raw.prepare(sql)));
    return statement;
  }

  get<T>(sql: string, ...params: unknown[]): T | undefined {
    this.beforeUse();
    return this.prepare(sql).get(...params) as T | undefined;
  }

  all<T>(sql: string, ...params: unknown[]): T[] {
    this.beforeUse();
    return this.prepare(sql).all(...params) as T[];
  }

  /** Call before a statement of one's own: commits other connections' batches on the same file. */
  beforeUse(): void {
    if (this.siblings.size < 2) return;
    for (const other of this.siblings) if (other !== this) other.commit();
  }

  /** Runs a write statement in the current batch. */
  run(sql: string, ...params: unknown[]): BetterSqlite3.RunResult {
    const statement = this.prepare(sql);
    return this.write(() => statement.run(...params));
  }

  /**
   * `fn` as one all-or-nothing step inside the current batch (a savepoint): a check and the write
   * that depends on it cannot be split by another request, since the batch holds the write lock.
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    const atomic = this.raw.transaction(fn);
    return (...args: A) => this.write(() => atomic(...args));
  }

  /** Runs `work` in the current batch, opening one (and scheduling its commit) if none is open. */
  write<T>(work: () => T): T {
    if (this.isDown) throw storeUnavailable();
    if (!this.batch) {
      this.beforeUse();
      this.open();
    }
    try {
      return work();
    } catch (err) {
      // Some errors (disk full, I/O) roll the whole transaction back: the batch is lost with it.
      if (!this.raw.inTransaction) this.lose(err);
      throw err;
    }
  }

  /**
   * Settles once every write made so far is durable; undefined when they already are. Rejects with a
   * 503 when the commit failed, or failed since `since` (the generation when the request began).
   */
  durable(since: number): Promise<void> | undefined {
    if (since !== this.failures || this.isDown) return Promise.reject(storeUnavailable());
    return this.batch?.committed ?? this.syncing ?? undefined;
  }

  /** Commits what is pending and syncs it, then closes. */
  close(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.commit();
    const fd = this.walFd();
    if (fd !== null) {
      fdatasyncSync(fd);
      // Not while the last batch's own sync may still use it.
      void (this.syncing ?? Promise.resolve()).catch(() => {}).finally(() => closeSync(fd));
    }
    this.siblings.delete(this);
    if (this.siblings.size === 0) connections.delete(this.raw.name);
    this.raw.close();
  }

  private open(): void {
    this.prepare('BEGIN IMMEDIATE').run();
    let resolve!: () => void;
    let reject!: (err: unknown) => void;
    const committed = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    committed.catch(() => {}); // a batch nobody waits on (the expiry sweep) must not be an unhandled rejection
    this.batch = { committed, resolve, reject };
    setImmediate(() => this.commit());
  }

  /** Commits the open batch now (it is also committed at the end of the turn it began in), and syncs it. */
  commit(): void {
    const batch = this.batch;
    if (!batch) return;
    try {
      this.prepare('COMMIT').run();
    } catch (err) {
      this.lose(err);
      return;
    }
    this.batch = null;
    const fd = this.walFd();
    if (fd === null) return batch.resolve();
    const synced = new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    this.syncing = synced;
    const settled = () => {
      if (this.syncing === synced) this.syncing = null;
    };
    synced.then(() => {
      settled();
      batch.resolve();
    }, (err: unknown) => {
      settled();
      this.fail('syncing the database log failed; refusing writes until it works again', err);
      batch.reject(storeUnavailable());
    });
  }

  /**
   * The log's file descriptor, opened once the log exists. SQLite keeps the same log file while any
   * connection is open (it truncates and reuses it, and deletes it only when the last connection
   * closes), and this one stays open until close().
   */
  private walFd(): number | null {
    if (this.wal === null && !this.raw.memory) {
      try {
        this.wal = openSync(`${this.raw.name}-wal`, 'r');
      } catch {
        return null; // no log yet: nothing was committed in WAL mode
      }
    }
    return this.wal;
  }

  /** The batch did not commit: nothing of it stays, every answer waiting on it is a 503, and writes stop until the database takes one again. */
  private lose(err: unknown): void {
    const batch = this.batch;
    this.batch = null;
    try {
      if (this.raw.inTransaction) this.prepare('ROLLBACK').run();
    } catch {
      // Rolled back already, or the connection is broken: the probe finds out.
    }
    batch?.reject(storeUnavailable());
    this.fail('database commit failed; refusing writes until it works again', err);
  }

  /** Every answer in flight is a 503 from here on, and writes stop until a probe commits and syncs. */
  private fail(what: string, err: unknown): void {
    this.failures++;
    if (this.isDown) return;
    this.isDown = true;
    this.log?.log('error', what, { error: err instanceof Error ? err.message : String(err) });
    this.scheduleProbe(FIRST_RETRY_MS);
  }

  /** Tries an empty write transaction with a growing delay until one commits. */
  private scheduleProbe(delayMs: number): void {
    this.retryTimer = setTimeout(() => {
      try {
        this.prepare('BEGIN IMMEDIATE').run();
        this.prepare('COMMIT').run();
        const fd = this.walFd();
        if (fd !== null) fdatasyncSync(fd);
        this.isDown = false;
        this.log?.log('info', 'database takes writes again');
      } catch {
        try {
          if (this.raw.inTransaction) this.raw.exec('ROLLBACK');
        } catch {
          // Still broken: the next probe tries again.
        }
        this.scheduleProbe(Math.min(delayMs * 2, MAX_RETRY_MS));
      }
    }, delayMs);
    this.retryTimer.unref();
  }
}
