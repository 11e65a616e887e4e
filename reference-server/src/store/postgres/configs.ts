import { newId } from '../../ids.js';
import type { Logger } from '../../log.js';
import type { Clock, ConfigStore } from '../store.js';
import type { Db } from './db.js';
import { ConfigWatch } from './config-watch.js';

/** The channel every node LISTENs on; a save NOTIFYs it in the same transaction (delivered on commit). */
export const CONFIG_CHANNEL = 'oauth_host_config';

/** Any fixed number: held while saving, so two nodes saving at once take turns instead of failing. */
const SAVE_CONFIG_LOCK = 7_240_003;

export class PgConfigStore implements ConfigStore {
  constructor(private readonly db: Db, private readonly clock: Clock, private readonly url: string, private readonly log: Logger) {}

  async loadActive(): Promise<unknown | null> {
    const row = (await this.db.query<{ value: string }>('SELECT Value FROM Configurations WHERE Active ORDER BY CreateAt DESC LIMIT 1')).rows[0];
    return row ? JSON.parse(row.value) : null;
  }

  async save(value: unknown): Promise<void> {
    // Deactivating the old row and inserting the new one commit together: there is always one active row.
    await this.db.transaction(async (q) => {
      await q.query('SELECT pg_advisory_xact_lock($1)', [SAVE_CONFIG_LOCK]);
      await q.query('UPDATE Configurations SET Active = NULL WHERE Active');
      await q.query('INSERT INTO Configurations (Id, Value, CreateAt, Active) VALUES ($1, $2, $3, true)', [newId(), JSON.stringify(value), this.clock()]);
      await q.query('SELECT pg_notify($1, $2)', [CONFIG_CHANNEL, '']);
    });
  }

  watch(changed: () => Promise<void>): () => void {
    const watch = new ConfigWatch(this.url, CONFIG_CHANNEL, changed, this.log);
    return () => watch.stop();
  }
}
