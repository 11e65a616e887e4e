// Mattermost's KVSetWithOptions on PostgreSQL. Each operation is one SQL statement whose success is
// read from its row count; PostgreSQL's row locks make a racing statement from another process
// re-check its WHERE against the winner's row, so of two racing callers on any nodes only one wins.
import { checkKey, checkKeys, checkOptions, checkPage, expireAt } from '../kv-rules.js';
import type { Clock, KvSetOptions, KvStore } from '../store.js';
import type { Db } from './db.js';

// Parameters: $1 plugin id, $2 key, then each statement's own, in the order of its comment.
const live = (now: string) => `(ExpireAt = 0 OR ExpireAt > ${now})`;

const SQL = {
  // $3 now
  get: `SELECT PValue FROM PluginKeyValueStore WHERE PluginId = $1 AND PKey = $2 AND ${live('$3')}`,
  // $2 the keys (an array), $3 now
  getMany: `SELECT PKey, PValue FROM PluginKeyValueStore WHERE PluginId = $1 AND PKey = ANY($2::text[]) AND ${live('$3')}`,
  // $3 value, $4 expireAt
  upsert: `INSERT INTO PluginKeyValueStore (PluginId, PKey, PValue, ExpireAt) VALUES ($1, $2, $3, $4)
           ON CONFLICT (PluginId, PKey) DO UPDATE SET PValue = EXCLUDED.PValue, ExpireAt = EXCLUDED.ExpireAt`,
  // $3 value, $4 expireAt, $5 now. An expired row counts as absent, so the conflict branch replaces
  // only such a row; a racing insert waits for the winner's row and then finds it live.
  insertIfAbsent: `INSERT INTO PluginKeyValueStore (PluginId, PKey, PValue, ExpireAt) VALUES ($1, $2, $3, $4)
           ON CONFLICT (PluginId, PKey) DO UPDATE SET PValue = EXCLUDED.PValue, ExpireAt = EXCLUDED.ExpireAt
           WHERE PluginKeyValueStore.ExpireAt != 0 AND PluginKeyValueStore.ExpireAt <= $5`,
  // $3 value, $4 expireAt, $5 old value, $6 now
  compareAndSet: `UPDATE PluginKeyValueStore SET PValue = $3, ExpireAt = $4
           WHERE PluginId = $1 AND PKey = $2 AND PValue = $5 AND ${live('$6')}`,
  // $3 old value, $4 now
  compareAndDelete: `DELETE FROM PluginKeyValueStore WHERE PluginId = $1 AND PKey = $2 AND PValue = $3 AND ${live('$4')}`,
  delete: 'DELETE FROM PluginKeyValueStore WHERE PluginId = $1 AND PKey = $2',
  // $1 plugin id, $2 now, $3 limit, $4 offset. COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
  list: `SELECT PKey FROM PluginKeyValueStore WHERE PluginId = $1 AND ${live('$2')} ORDER BY PKey COLLATE "C" LIMIT $3 OFFSET $4`,
  // $1 now
  sweep: 'DELETE FROM PluginKeyValueStore WHERE ExpireAt != 0 AND ExpireAt <= $1',
};

/** Each key's value from the rows a getMany statement found (live ones only), in the keys' order. */
function valuesInOrder(keys: string[], found: Array<{ key: string; value: Uint8Array }>): (Uint8Array | null)[] {
  const byKey = new Map(found.map(({ key, value }) => [key, value]));
  // A fresh copy per place, so that a key asked twice gives two values no caller shares.
  return keys.map((key) => {
    const value = byKey.get(key);
    return value === undefined ? null : new Uint8Array(value);
  });
}

const toBytea = (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength);

export class PgKvStore implements KvStore {
  constructor(private readonly db: Db, private readonly clock: Clock) {}

  async get(plugin: string, key: string): Promise<Uint8Array | null> {
    checkKey(key);
    const { rows } = await this.db.query<{ pvalue: Buffer | null }>(SQL.get, [plugin, key, this.clock()]);
    return rows[0]?.pvalue ? new Uint8Array(rows[0].pvalue) : null;
  }

  async getMany(plugin: string, keys: string[]): Promise<(Uint8Array | null)[]> {
    checkKeys(keys);
    if (keys.length === 0) return [];
    const { rows } = await this.db.query<{ pkey: string; pvalue: Buffer | null }>(SQL.getMany, [plugin, keys, this.clock()]);
    return valuesInOrder(keys, rows.flatMap((row) => (row.pvalue ? [{ key: row.pkey, value: row.pvalue }] : [])));
  }

  async set(plugin: string, key: string, value: Uint8Array | null, options: KvSetOptions = {}): Promise<boolean> {
    checkKey(key);
    checkOptions(options);
    const now = this.clock();
    const expires = expireAt(options, now);
    if (!options.atomic) {
      if (value === null) await this.db.query(SQL.delete, [plugin, key]);
      else await this.db.query(SQL.upsert, [plugin, key, toBytea(value), expires]);
      return true;
    }
    const old = options.oldValue ?? null;
    if (old === null) {
      // As Mattermost: a null value cannot be stored, so "delete if it is null" never matches.
      return value === null ? false : this.changed(SQL.insertIfAbsent, [plugin, key, toBytea(value), expires, now]);
    }
    if (value === null) return this.changed(SQL.compareAndDelete, [plugin, key, toBytea(old), now]);
    return this.changed(SQL.compareAndSet, [plugin, key, toBytea(value), expires, toBytea(old), now]);
  }

  async delete(plugin: string, key: string): Promise<void> {
    checkKey(key);
    await this.db.query(SQL.delete, [plugin, key]);
  }

  async list(plugin: string, page: number, perPage: number): Promise<string[]> {
    checkPage(page, perPage);
    const { rows } = await this.db.query<{ pkey: string }>(SQL.list, [plugin, this.clock(), perPage, page * perPage]);
    return rows.map((row) => row.pkey);
  }

  async sweepExpired(): Promise<number> {
    return (await this.db.query(SQL.sweep, [this.clock()])).rowCount ?? 0;
  }

  private async changed(sql: string, params: unknown[]): Promise<boolean> {
    return (await this.db.query(sql, params)).rowCount === 1;
  }
}
