// The KV contract (kv-contract.ts) on SQLite: a fresh database file per test; a second handle is
// a second connection to the same file.
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { tempDbFile } from './helpers.js';
import { kvContract } from './kv-contract.js';

kvContract({
  name: 'SQLite',
  async open(clock) {
    const file = tempDbFile();
    return { store: openSqliteStore(file, clock), another: async () => openSqliteStore(file, clock) };
  },
});
