// Mattermost's KVSetWithOptions rules as one suite, run against every KvStore driver (kv.test.ts:
// SQLite, kv-postgres.test.ts: PostgreSQL) with a clock the test moves, so both keep the same contract.
import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import type { Clock, KvStore, Store } from '../src/store/store.js';

const P = 'oauth-plugin';
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

export interface KvBackend {
  name: string;
  /** A store on a fresh, empty database, with this clock. */
  open(clock: Clock): Promise<{ store: Store; /** another connection (handle, pool) to the same database */ another(): Promise<Store> }>;
}

/** How many callers race in the concurrency cases, split over two handles on one database. */
const RACERS = 50;

export function kvContract(backend: KvBackend): void {
  describe(`plugin KV store (${backend.name})`, () => {
    let now = 1_700_000_000_000;
    let store: Store;
    let kv: KvStore;
    let another: () => Promise<Store>;
    const opened: Store[] = [];

    beforeEach(async () => {
      now = 1_700_000_000_000;
      const fresh = await backend.open(() => now);
      store = fresh.store;
      another = async () => {
        const second = await fresh.another();
        opened.push(second);
        return second;
      };
      opened.push(store);
      kv = store.kv;
    });
    after(async () => {
      for (const s of opened) await s.close();
    });

    it('sets, gets and overwrites a value; a plain set returns true', async () => {
      assert.equal(await kv.set(P, 'a', bytes('1')), true);
      assert.equal(text(await kv.get(P, 'a')), '1');
      assert.equal(await kv.set(P, 'a', bytes('2')), true);
      assert.equal(text(await kv.get(P, 'a')), '2');
    });

    it('keeps plugins apart', async () => {
      await kv.set(P, 'a', bytes('mine'));
      assert.equal(await kv.get('other-plugin', 'a'), null);
    });

    it('a null value deletes; kvDelete deletes', async () => {
      await kv.set(P, 'a', bytes('1'));
      assert.equal(await kv.set(P, 'a', null), true);
      assert.equal(await kv.get(P, 'a'), null);
      await kv.set(P, 'b', bytes('1'));
      await kv.delete(P, 'b');
      assert.equal(await kv.get(P, 'b'), null);
    });

    it('accepts keys of 1 and 150 characters and refuses 0 and 151', async () => {
      assert.equal(await kv.set(P, 'k'.repeat(150), bytes('x')), true);
      assert.equal(await kv.set(P, 'k', bytes('x')), true);
      await assert.rejects(kv.set(P, 'k'.repeat(151), bytes('x')), /1 to 150 characters/);
      await assert.rejects(kv.set(P, '', bytes('x')), /1 to 150 characters/);
      await assert.rejects(kv.get(P, 'k'.repeat(151)), /1 to 150 characters/);
      assert.equal(text(await kv.get(P, 'k'.repeat(150))), 'x');
    });

    it('hides a key once expireInSeconds has passed', async () => {
      await kv.set(P, 'a', bytes('1'), { expireInSeconds: 10 });
      now += 9_999;
      assert.equal(text(await kv.get(P, 'a')), '1');
      now += 1;
      assert.equal(await kv.get(P, 'a'), null);
    });

    it('a plain set resets the expiry (0 or absent means never)', async () => {
      await kv.set(P, 'a', bytes('1'), { expireInSeconds: 10 });
      await kv.set(P, 'a', bytes('2'));
      now += 1_000_000;
      assert.equal(text(await kv.get(P, 'a')), '2');
    });

    it('refuses a negative expiry and changes nothing', async () => {
      await assert.rejects(kv.set(P, 'a', bytes('1'), { expireInSeconds: -1 }), /expireInSeconds/);
      assert.equal(await kv.get(P, 'a'), null);
    });

    it('refuses oldValue without atomic and changes nothing', async () => {
      await kv.set(P, 'a', bytes('1'));
      await assert.rejects(kv.set(P, 'a', bytes('2'), { oldValue: bytes('1') }), /atomic/);
      assert.equal(text(await kv.get(P, 'a')), '1');
    });

    it('atomic insert with oldValue null succeeds only when the key is absent', async () => {
      assert.equal(await kv.set(P, 'a', bytes('1'), { atomic: true, oldValue: null }), true);
      assert.equal(await kv.set(P, 'a', bytes('2'), { atomic: true, oldValue: null }), false);
      assert.equal(text(await kv.get(P, 'a')), '1');
    });

    it('atomic insert treats an expired key as absent', async () => {
      await kv.set(P, 'a', bytes('old'), { expireInSeconds: 1 });
      assert.equal(await kv.set(P, 'a', bytes('new'), { atomic: true, oldValue: null }), false);
      now += 1_000;
      assert.equal(await kv.set(P, 'a', bytes('new'), { atomic: true, oldValue: null }), true);
      assert.equal(text(await kv.get(P, 'a')), 'new');
      now += 1_000_000;
      assert.equal(text(await kv.get(P, 'a')), 'new', 'the new row does not inherit the old expiry');
    });

    it('compare-and-set succeeds on the current value and fails against a changed one', async () => {
      await kv.set(P, 'a', bytes('1'));
      assert.equal(await kv.set(P, 'a', bytes('2'), { atomic: true, oldValue: bytes('1') }), true);
      assert.equal(await kv.set(P, 'a', bytes('3'), { atomic: true, oldValue: bytes('1') }), false);
      assert.equal(text(await kv.get(P, 'a')), '2');
    });

    it('compare-and-set fails on a missing or expired key', async () => {
      assert.equal(await kv.set(P, 'a', bytes('2'), { atomic: true, oldValue: bytes('1') }), false);
      assert.equal(await kv.get(P, 'a'), null);
      await kv.set(P, 'b', bytes('1'), { expireInSeconds: 1 });
      now += 1_000;
      assert.equal(await kv.set(P, 'b', bytes('2'), { atomic: true, oldValue: bytes('1') }), false);
      assert.equal(await kv.get(P, 'b'), null);
    });

    it('compare-and-set can set an expiry', async () => {
      await kv.set(P, 'a', bytes('1'));
      assert.equal(await kv.set(P, 'a', bytes('2'), { atomic: true, oldValue: bytes('1'), expireInSeconds: 5 }), true);
      now += 5_000;
      assert.equal(await kv.get(P, 'a'), null);
    });

    it('compare-and-delete deletes only on a match', async () => {
      await kv.set(P, 'a', bytes('1'));
      assert.equal(await kv.set(P, 'a', null, { atomic: true, oldValue: bytes('other') }), false);
      assert.equal(text(await kv.get(P, 'a')), '1');
      assert.equal(await kv.set(P, 'a', null, { atomic: true, oldValue: bytes('1') }), true);
      assert.equal(await kv.get(P, 'a'), null);
      assert.equal(await kv.set(P, 'a', null, { atomic: true, oldValue: bytes('1') }), false, 'second delete loses');
    });

    it('atomic delete with oldValue null does nothing, as in Mattermost', async () => {
      await kv.set(P, 'a', bytes('1'));
      assert.equal(await kv.set(P, 'a', null, { atomic: true, oldValue: null }), false);
      assert.equal(text(await kv.get(P, 'a')), '1');
    });

    it('of two racing compare-and-sets exactly one wins', async () => {
      await kv.set(P, 'rt', bytes('v1'));
      const results = await Promise.all([
        kv.set(P, 'rt', bytes('v2a'), { atomic: true, oldValue: bytes('v1') }),
        kv.set(P, 'rt', bytes('v2b'), { atomic: true, oldValue: bytes('v1') }),
      ]);
      assert.deepEqual(results.filter(Boolean).length, 1);
    });

    it('lists keys in ascending order, paged, without expired ones', async () => {
      for (const key of ['d', 'b', 'a', 'e', 'c']) await kv.set(P, key, bytes(key));
      await kv.set(P, 'bb', bytes('x'), { expireInSeconds: 1 });
      await kv.set('other-plugin', 'aa', bytes('x'));
      now += 1_000;
      assert.deepEqual(await kv.list(P, 0, 2), ['a', 'b']);
      assert.deepEqual(await kv.list(P, 1, 2), ['c', 'd']);
      assert.deepEqual(await kv.list(P, 2, 2), ['e']);
      assert.deepEqual(await kv.list(P, 3, 2), []);
      await assert.rejects(kv.list(P, -1, 2), /paging/);
    });

    it('lists keys in byte order, whatever the database locale', async () => {
      for (const key of ['b', 'B', 'a', '_x', 'A1']) await kv.set(P, key, bytes(key));
      assert.deepEqual(await kv.list(P, 0, 10), ['A1', 'B', '_x', 'a', 'b']);
    });

    it('sweeps expired rows', async () => {
      await kv.set(P, 'a', bytes('1'), { expireInSeconds: 1 });
      await kv.set(P, 'b', bytes('1'));
      assert.equal(await kv.sweepExpired(), 0);
      now += 1_000;
      assert.equal(await kv.sweepExpired(), 1);
      assert.deepEqual(await kv.list(P, 0, 10), ['b']);
    });

    it('stores binary values byte for byte', async () => {
      const value = new Uint8Array([0, 255, 1, 254, 0]);
      await kv.set(P, 'bin', value);
      assert.deepEqual(await kv.get(P, 'bin'), value);
      assert.equal(await kv.set(P, 'bin', bytes('x'), { atomic: true, oldValue: value }), true);
    });

    /** RACERS callers, alternating between this handle and a second one on the same database. */
    async function race(op: (kv: KvStore) => Promise<boolean>): Promise<number> {
      const second = (await another()).kv;
      const results = await Promise.all(Array.from({ length: RACERS }, (_, i) => op(i % 2 === 0 ? kv : second)));
      return results.filter(Boolean).length;
    }

    it(`of ${RACERS} racing inserts-if-absent over two connections exactly one wins`, async () => {
      assert.equal(await race((k) => k.set(P, 'code', bytes('x'), { atomic: true, oldValue: null })), 1);
    });

    it(`of ${RACERS} racing compare-and-sets over two connections exactly one wins`, async () => {
      await kv.set(P, 'rt', bytes('v1'));
      let n = 0;
      assert.equal(await race((k) => k.set(P, 'rt', bytes(`v2-${n++}`), { atomic: true, oldValue: bytes('v1') })), 1);
      assert.match(text(await kv.get(P, 'rt')) ?? '', /^v2-\d+$/);
    });

    it(`of ${RACERS} racing compare-and-deletes over two connections exactly one wins`, async () => {
      await kv.set(P, 'code', bytes('c'));
      assert.equal(await race((k) => k.set(P, 'code', null, { atomic: true, oldValue: bytes('c') })), 1);
      assert.equal(await kv.get(P, 'code'), null);
    });

    it('a write through one connection is read through another at once', async () => {
      const second = await another();
      await kv.set(P, 'a', bytes('1'));
      assert.equal(text(await second.kv.get(P, 'a')), '1');
      assert.equal(await second.kv.set(P, 'a', bytes('2'), { atomic: true, oldValue: bytes('1') }), true);
      assert.equal(text(await kv.get(P, 'a')), '2');
    });
  });
}
