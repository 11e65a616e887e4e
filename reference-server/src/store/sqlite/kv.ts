// Mattermost's KVSetWithOptions on SQLite. Each atomic operation is one SQL statement and its
// success is read from the change count, so two racing callers cannot both win. Calls answer at
// once (no promise): the plugin's host calls then cost no trip through the microtask queue.
import { checkKey, checkKeys, checkOptions, checkPage, expireAt } from '../kv-rules.js';
import type { Clock, KvSetOptions, KvStore } from '../store.js';
import type { SqliteDb } from './db.js';

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

const toBlob = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength);

export class SqliteKvStore implements KvStore {
  // The value column alone, without a row object around it.
  private readonly getValue;

  constructor(private readonly db: SqliteDb, private readonly clock: Clock) {
    this.getValue = db.prepare(SQL.get).pluck();
  }

  get(plugin: string, key: string): Uint8Array | null {
    checkKey(key);
    this.db.beforeUse();
    const value = this.getValue.get({ plugin, key, now: this.clock() }) as Buffer | null | undefined;
    // A view of the Buffer's own memory (better-sqlite3 copies each value out of SQLite), not a second copy.
    return value ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : null;
  }

  /**
   * In process there is no round trip to save, and SQLite finds each key faster alone than in an
   * `IN (...)` list (which it sorts into a temporary index first): one lookup per key, each value a
   * Buffer of its own (a key asked twice gives two).
   */
  getMany(plugin: string, keys: string[]): (Uint8Array | null)[] {
    checkKeys(keys);
    return keys.map((key) => this.get(plugin, key));
  }

  set(plugin: string, key: string, value: Uint8Array | null, options: KvSetOptions = {}): boolean {
    checkKey(key);
    checkOptions(options);
    const now = this.clock();
    const params = { plugin, key, now, expireAt: expireAt(options, now) };
    if (!options.atomic) {
      if (value === null) this.db.run(SQL.delete, { plugin, key });
      else this.db.run(SQL.upsert, { ...params, value: toBlob(value) });
      return true;
    }
    const old = options.oldValue ?? null;
    if (old === null) {
      // As Mattermost: a null value cannot be stored, so "delete if it is null" never matches.
      return value === null ? false : this.changed(SQL.insertIfAbsent, { ...params, value: toBlob(value) });
    }
    if (value === null) return this.changed(SQL.compareAndDelete, { ...params, old: toBlob(old) });
    return this.changed(SQL.compareAndSet, { ...params, value: toBlob(value), old: toBlob(old) });
  }

  delete(plugin: string, key: string): void {
    checkKey(key);
    this.db.run(SQL.delete, { plugin, key });
  }

  list(plugin: string, page: number, perPage: number): string[] {
    checkPage(page, perPage);
    const rows = this.db.all<{ PKey: string }>(SQL.list, { plugin, now: this.clock(), limit: perPage, offset: page * perPage });
    return rows.map((row) => row.PKey);
  }

  async sweepExpired(): Promise<number> {
    return this.db.run(SQL.sweep, { now: this.clock() }).changes;
  }

  private changed(sql: string, params: Record<string, unknown>): boolean {
    return this.db.run(sql, params).changes === 1;
  }
}
