// Mattermost's KVSetWithOptions on SQLite. Each atomic operation is one SQL statement and its
// success is read from the change count, so two racing callers cannot both win.
import type BetterSqlite3 from 'better-sqlite3';
import { checkKey, checkKeys, checkOptions, checkPage, expireAt, valuesInOrder } from '../kv-rules.js';
import type { Clock, KvSetOptions, KvStore } from '../store.js';

const LIVE = '(ExpireAt = 0 OR ExpireAt > @now)';

const SQL = {
  get: `SELECT PValue FROM PluginKeyValueStore WHERE PluginId = @plugin AND PKey = @key AND ${LIVE}`,
  upsert: `INSERT INTO PluginKeyValueStore (PluginId, PKey, PValue, ExpireAt) VALUES (@plugin, @key, @value, @expireAt)
           ON CONFLICT (PluginId, PKey) DO UPDATE SET PValue = excluded.PValue, ExpireAt = excluded.ExpireAt`,
  // Insert-if-absent: an expired row counts as absent, so the conflict branch replaces only such a row.
  insertIfAbsent: `INSERT INTO PluginKeyValueStore (PluginId, PKey, PValue, ExpireAt) VALUES (@plugin, @key, @value, @expireAt)
           ON CONFLICT (PluginId, PKey) DO UPDATE SET PValue = excluded.PValue, ExpireAt = excluded.ExpireAt
           WHERE PluginKeyValueStore.ExpireAt != 0 AND PluginKeyValueStore.ExpireAt <= @now`,
  compareAndSet: `UPDATE PluginKeyValueStore SET PValue = @value, ExpireAt = @expireAt
           WHERE PluginId = @plugin AND PKey = @key AND PValue = @old AND ${LIVE}`,
  compareAndDelete: `DELETE FROM PluginKeyValueStore WHERE PluginId = @plugin AND PKey = @key AND PValue = @old AND ${LIVE}`,
  delete: 'DELETE FROM PluginKeyValueStore WHERE PluginId = @plugin AND PKey = @key',
  list: `SELECT PKey FROM PluginKeyValueStore WHERE PluginId = @plugin AND ${LIVE} ORDER BY PKey LIMIT @limit OFFSET @offset`,
  sweep: 'DELETE FROM PluginKeyValueStore WHERE ExpireAt != 0 AND ExpireAt <= @now',
};

/** getMany's statement for `count` keys: positional parameters, bound as get() binds its key. */
const getManySql = (count: number) =>
  `SELECT PKey, PValue FROM PluginKeyValueStore WHERE PluginId = ? AND (ExpireAt = 0 OR ExpireAt > ?)
   AND PKey IN (${Array(count).fill('?').join(', ')})`;

const toBlob = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength);

export class SqliteKvStore implements KvStore {
  private readonly stmts: { [K in keyof typeof SQL]: BetterSqlite3.Statement };
  /** getMany's statements by key count (at most MAX_KEYS_PER_GET of them). */
  private readonly getManyStmts = new Map<number, BetterSqlite3.Statement>();

  constructor(private readonly db: BetterSqlite3.Database, private readonly clock: Clock) {
    this.stmts = Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as never;
  }

  async get(plugin: string, key: string): Promise<Uint8Array | null> {
    checkKey(key);
    const row = this.stmts.get.get({ plugin, key, now: this.clock() }) as { PValue: Buffer | null } | undefined;
    return row?.PValue ? new Uint8Array(row.PValue) : null;
  }

  async getMany(plugin: string, keys: string[]): Promise<(Uint8Array | null)[]> {
    checkKeys(keys);
    if (keys.length === 0) return [];
    let stmt = this.getManyStmts.get(keys.length);
    if (!stmt) this.getManyStmts.set(keys.length, (stmt = this.db.prepare(getManySql(keys.length))));
    const rows = stmt.all(plugin, this.clock(), ...keys) as { PKey: string; PValue: Buffer | null }[];
    return valuesInOrder(keys, rows.flatMap((row) => (row.PValue ? [{ key: row.PKey, value: row.PValue }] : [])));
  }

  async set(plugin: string, key: string, value: Uint8Array | null, options: KvSetOptions = {}): Promise<boolean> {
    checkKey(key);
    checkOptions(options);
    const now = this.clock();
    const params = { plugin, key, now, expireAt: expireAt(options, now) };
    if (!options.atomic) {
      if (value === null) this.stmts.delete.run(params);
      else this.stmts.upsert.run({ ...params, value: toBlob(value) });
      return true;
    }
    const old = options.oldValue ?? null;
    if (old === null) {
      // As Mattermost: a null value cannot be stored, so "delete if it is null" never matches.
      return value === null ? false : this.changed(this.stmts.insertIfAbsent, { ...params, value: toBlob(value) });
    }
    if (value === null) return this.changed(this.stmts.compareAndDelete, { ...params, old: toBlob(old) });
    return this.changed(this.stmts.compareAndSet, { ...params, value: toBlob(value), old: toBlob(old) });
  }

  async delete(plugin: string, key: string): Promise<void> {
    checkKey(key);
    this.stmts.delete.run({ plugin, key });
  }

  async list(plugin: string, page: number, perPage: number): Promise<string[]> {
    checkPage(page, perPage);
    const rows = this.stmts.list.all({ plugin, now: this.clock(), limit: perPage, offset: page * perPage }) as { PKey: string }[];
    return rows.map((row) => row.PKey);
  }

  async sweepExpired(): Promise<number> {
    return this.stmts.sweep.run({ now: this.clock() }).changes;
  }

  private changed(stmt: BetterSqlite3.Statement, params: Record<string, unknown>): boolean {
    return stmt.run(params).changes === 1;
  }
}
