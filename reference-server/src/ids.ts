// Identifiers and random secrets, in one place so that every id has Mattermost's shape.
import { createHash, randomFillSync } from 'node:crypto';

// Mattermost's id alphabet: base32 with its own letter order, lower case, no padding.
const ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';

function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

// Random bytes are drawn from the system generator a page at a time and each byte is handed out
// once: one system call per 4 KiB instead of one per id (every request gets an id).
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

function randomBytes(n: number): Uint8Array {
  if (used + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    used = 0;
  }
  const bytes = pool.subarray(used, used + n);
  used += n;
  return bytes;
}

/** A 26-character Mattermost id (16 random bytes). */
export function newId(): string {
  return base32(randomBytes(16));
}

/** Mattermost's IsValidId: 26 characters, letters and digits. */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && /^[a-z0-9]{26}$/.test(value);
}

/** A bearer secret: 32 random bytes (52 characters), longer than an id as the design asks. */
export function newSecret(): string {
  return base32(randomBytes(32));
}

const SECRET_SHAPE = new RegExp(`^[${ALPHABET}]{52}$`);

/** Whether `value` could be a secret newSecret() made (so a token of another shape is not looked up as one). */
export function hasSecretShape(value: string): boolean {
  return SECRET_SHAPE.test(value);
}

/** Secrets are kept only as this hash, so a copy of the database grants nothing. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
