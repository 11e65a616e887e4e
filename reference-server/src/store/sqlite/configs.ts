import type { SqliteDb } from './db.js';
import { newId } from '../../ids.js';
import type { Clock, ConfigStore } from '../store.js';

export class SqliteConfigStore implements ConfigStore {
  private readonly saveTx: (json: string) => void;

  constructor(private readonly db: SqliteDb, clock: Clock) {
    // Deactivating the old row and inserting the new one commit together: there is always one active row.
    this.saveTx = db.transaction((json: string) => {
      db.run('UPDATE Configurations SET Active = NULL WHERE Active = 1');
      db.run('INSERT INTO Configurations (Id, Value, CreateAt, Active) VALUES (?, ?, ?, 1)', newId(), json, clock());
    });
  }

  async loadActive(): Promise<unknown | null> {
    const row = this.db.get('SELECT Value FROM Configurations WHERE Active = 1 ORDER BY CreateAt DESC LIMIT 1') as { Value: string } | undefined;
    return row ? JSON.parse(row.Value) : null;
  }

  async save(value: unknown): Promise<void> {
    this.saveTx(JSON.stringify(value));
  }
}
