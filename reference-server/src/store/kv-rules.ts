// The checks of Mattermost's KVSetWithOptions that do not depend on the database, shared by
// every KvStore implementation.
import type { KvSetOptions } from './store.js';

export class KvError extends Error {}

export const MAX_KEY_LENGTH = 150;

/** Most keys one getMany call takes: a bound on one statement's size (the plugin asks for a few). */
export const MAX_KEYS_PER_GET = 100;

/**
 * Characters are code points, as Go's utf8.RuneCountInString counts them: [...key] splits into
 * code points, where key.length would count UTF-16 units (an emoji is two). NUL is refused on both
 * drivers, as PostgreSQL text cannot hold it, so that a key that works on one works on the other.
 */
export function checkKey(key: string): void {
  // A string has at least as many UTF-16 units as code points: only a long one needs counting.
  const units = typeof key === 'string' ? key.length : 0;
  const chars = units > MAX_KEY_LENGTH ? [...key].length : units;
  if (chars < 1 || chars > MAX_KEY_LENGTH) {
    throw new KvError(`invalid key: a key must have 1 to ${MAX_KEY_LENGTH} characters`);
  }
  if (key.includes('\0')) throw new KvError('invalid key: a key must not contain NUL');
}

/** The keys of one getMany call: an array of at most MAX_KEYS_PER_GET keys, each as checkKey wants. */
export function checkKeys(keys: unknown): asserts keys is string[] {
  if (!Array.isArray(keys)) throw new KvError('invalid keys: getMany takes an array of keys');
  if (keys.length > MAX_KEYS_PER_GET) {
    throw new KvError(`invalid keys: at most ${MAX_KEYS_PER_GET} keys per call, got ${keys.length}`);
  }
  for (const key of keys) checkKey(key);
}

/** Returns the ExpireAt column value: 0 means never. */
export function expireAt(options: KvSetOptions, now: number): number {
  const seconds = options.expireInSeconds ?? 0;
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new KvError('invalid expireInSeconds: must be a whole number of seconds, 0 or more');
  }
  return seconds === 0 ? 0 : now + seconds * 1000;
}

export function checkOptions(options: KvSetOptions): void {
  // As in Go, a null oldValue is the same as none: only a real value needs atomic.
  if (options.oldValue != null && !options.atomic) {
    throw new KvError('oldValue is only allowed with atomic: true');
  }
}

export function checkPage(page: number, perPage: number): void {
  if (!Number.isInteger(page) || page < 0 || !Number.isInteger(perPage) || perPage < 1) {
    throw new KvError('invalid paging: page must be 0 or more and perPage 1 or more');
  }
}
