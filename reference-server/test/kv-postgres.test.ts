// The KV contract (kv-contract.ts) on PostgreSQL: a throwaway server for this file, a fresh database
// per test; a second handle is a second connection pool, as another host node would have.
import { after } from 'node:test';
import { kvContract } from './kv-contract.js';
import { openPgStore, startPostgres } from './pg-helpers.js';

const server = startPostgres();
after(() => server.destroy());

kvContract({
  name: 'PostgreSQL',
  async open(clock) {
    const url = await server.createDatabase();
    return { store: await openPgStore(url, clock), another: () => openPgStore(url, clock) };
  },
});
