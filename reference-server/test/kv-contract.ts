// Mattermost's KVSetWithOptions rules, run against every KvStore driver (kv.test.ts: SQLite,
// kv-postgres.test.ts: PostgreSQL) with a clock the test moves: first the cases of
// tests/kv-contract.json, which the plugin's in-memory hosts play too, then what only a database
// has (plugins sharing a table, several connections, races, the sweep).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, beforeEach, describe, it } from 'node:test';
import type { Answer, Clock, KvSetOptions, KvStore, Store } from '../src/store/store.js';

const P = 'oauth-plugin';
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

// The contract's format, which tests/kv-contract.json describes: a Step has the fields of every
// op, each op only its own.
type Key = string | { repeat: string; times: number };
type Bytes = string | { bytes: number[] };
type List<T> = T[] | { copies: T; times: number };
interface Step {
  op: 'get' | 'get_many' | 'set' | 'insert' | 'compare_and_set' | 'compare_and_delete' | 'set_with_options' | 'delete' | 'list' | 'advance';
  key: Key;
  keys: List<Key>;
  value: Bytes | null;
  old: Bytes;
  expire_in_seconds?: number;
  options: { atomic?: boolean; oldValue?: Bytes | null; expireInSeconds?: number };
  page: number;
  per_page: number;
  ms: number;
  returns?: unknown;
  error?: string;
  note?: string;
}
interface Case {
  name: string;
  steps: Step[];
}

// This file runs from reference-server/dist/test/; the contract is the repository's.
const CONTRACT_FILE = new URL('../../../tests/kv-contract.json', import.meta.url);
const CASES = (JSON.parse(readFileSync(CONTRACT_FILE, 'utf8')) as { cases: Case[] }).cases;

const keyText = (key: Key) => (typeof key === 'string' ? key : key.repeat.repeat(key.times));
const items = <T>(list: List<T>): T[] => (Array.isArray(list) ? list : Array<T>(list.times).fill(list.copies));
const valueBytes = (value: Bytes | null) => (value === null ? null : typeof value === 'string' ? bytes(value) : Uint8Array.from(value.bytes));

/** The options of a set_with_options step as kvSet takes them, oldValue as bytes. */
function setOptions({ oldValue, ...rest }: Step['options']): KvSetOptions {
  return oldValue === undefined ? rest : { ...rest, oldValue: valueBytes(oldValue) };
}

/** Makes a step's call (all but advance) and gives what it returned, in the form of its "returns". */
async function call(kv: KvStore, step: Step): Promise<unknown> {
  if (step.op === 'list') return kv.list(P, step.page, step.per_page);
  if (step.op === 'get_many') return kv.getMany(P, items(step.keys).map(keyText));
  const key = keyText(step.key);
  const expireInSeconds = step.expire_in_seconds;
  switch (step.op) {
    case 'get':
      return kv.get(P, key);
    case 'set':
      return kv.set(P, key, valueBytes(step.value), { expireInSeconds });
    case 'insert':
      return kv.set(P, key, valueBytes(step.value), { atomic: true, oldValue: null, expireInSeconds });
    case 'compare_and_set':
      return kv.set(P, key, valueBytes(step.value), { atomic: true, oldValue: valueBytes(step.old), expireInSeconds });
    case 'compare_and_delete':
      return kv.set(P, key, null, { atomic: true, oldValue: valueBytes(step.old) });
    case 'set_with_options':
      return kv.set(P, key, valueBytes(step.value), setOptions(step.options));
    case 'delete':
      await kv.delete(P, key);
      return null;
    case 'advance':
      throw new Error('advance is no call');
  }
}

/** A step's "returns" in the form call() gives. */
function expected(step: Step): unknown {
  if (step.op === 'get') return valueBytes(step.returns as Bytes | null);
  if (step.op === 'get_many') return items(step.returns as List<Bytes | null>).map(valueBytes);
  if (step.op === 'list') return (step.returns as Key[]).map(keyText);
  return step.returns;
}

async function play(kv: KvStore, step: Step, advance: (ms: number) => void, label: string): Promise<void> {
  if (step.op === 'advance') return advance(step.ms);
  const error = step.error;
  assert.ok(('returns' in step) !== (error !== undefined), `${label}: a step needs exactly one of returns and error`);
  if (error === undefined) {
    const got = await call(kv, step).catch((err: Error) => assert.fail(`${label}: failed: ${err.message}`));
    assert.deepEqual(got, expected(step), label);
    return;
  }
  await assert.rejects(call(kv, step), (err: Error) => {
    assert.ok(err.message.includes(error), `${label}: failed with "${err.message}", expected an error with "${error}"`);
    return true;
  }, `${label}: expected an error with "${error}"`);
}

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

    for (const contractCase of CASES) {
      it(contractCase.name, async () => {
        for (const [i, step] of contractCase.steps.entries()) {
          const label = `step ${i + 1}${step.note ? ` (${step.note})` : ''}`;
          await play(kv, step, (ms) => (now += ms), label);
        }
      });
    }

    it('keeps plugins apart', async () => {
      await kv.set(P, 'a', bytes('mine'));
      await kv.set('other-plugin', 'aa', bytes('x'));
      assert.equal(await kv.get('other-plugin', 'a'), null);
      assert.deepEqual(await kv.list(P, 0, 10), ['a']);
    });

    it('getMany refuses anything but an array of keys, as the plugin host passes it on', async () => {
      await kv.set(P, 'a', bytes('1'));
      for (const keys of ['a', null, { 0: 'a', length: 1 }, [7], ['a', undefined]]) {
        await assert.rejects(async () => kv.getMany(P, keys as never), /invalid key/, JSON.stringify(keys));
      }
    });

    it('getMany answers a key asked twice with values no caller shares', async () => {
      await kv.set(P, 'a', bytes('1'));
      const [first, second] = await kv.getMany(P, ['a', 'a']);
      first![0] = 0x32;
      assert.deepEqual([text(first!), text(second!), text(await kv.get(P, 'a'))], ['2', '1', '1']);
    });

    it('of two racing compare-and-sets exactly one wins', async () => {
      await kv.set(P, 'rt', bytes('v1'));
      const results = await Promise.all([
        kv.set(P, 'rt', bytes('v2a'), { atomic: true, oldValue: bytes('v1') }),
        kv.set(P, 'rt', bytes('v2b'), { atomic: true, oldValue: bytes('v1') }),
      ]);
      assert.deepEqual(results.filter(Boolean).length, 1);
    });

    it('sweeps expired rows', async () => {
      await kv.set(P, 'a', bytes('1'), { expireInSeconds: 1 });
      await kv.set(P, 'b', bytes('1'));
      assert.equal(await kv.sweepExpired(), 0);
      now += 1_000;
      assert.equal(await kv.sweepExpired(), 1);
      assert.deepEqual(await kv.list(P, 0, 10), ['b']);
    });

    /** RACERS callers, alternating between this handle and a second one on the same database. */
    async function race(op: (kv: KvStore) => Answer<boolean>): Promise<number> {
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
