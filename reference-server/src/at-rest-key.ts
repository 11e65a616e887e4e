// The at-rest key: the secret the database never holds, under which the host (slash command
// tokens) and the plugin (its stored secrets) encrypt what they must read again. Where it comes
// from: MM_SQLSETTINGS_ATRESTENCRYPTKEY (Mattermost's SqlSettings.AtRestEncryptKey) when set; else,
// with SQLite, a key file beside the database, made on first start; PostgreSQL needs the variable,
// since every node must use the same key. It is never logged and never part of the config.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { sqliteFile, type SqlSettings } from './config.js';
import { SecretBox } from './secret-box.js';

export const AT_REST_KEY_VARIABLE = 'MM_SQLSETTINGS_ATRESTENCRYPTKEY';

/** Mattermost's rule for AtRestEncryptKey. */
const MIN_KEY_LENGTH = 32;

/** The key for this database; throws (start-up stops) when it cannot be had. */
export function loadAtRestKey(sql: SqlSettings, env: NodeJS.ProcessEnv): string {
  const fromEnv = env[AT_REST_KEY_VARIABLE];
  if (fromEnv) {
    // The value is not echoed: it is a secret even when it is too short.
    if (fromEnv.length < MIN_KEY_LENGTH) throw new Error(`${AT_REST_KEY_VARIABLE}: must be at least ${MIN_KEY_LENGTH} characters`);
    return fromEnv;
  }
  if (sql.DriverName === 'postgres') {
    throw new Error(`${AT_REST_KEY_VARIABLE} is required with the postgres driver: set it to the same key (at least ` +
      `${MIN_KEY_LENGTH} characters) on every node`);
  }
  return sqliteKey(sqliteFile(sql));
}

let memoryKey: string | undefined;

const newKey = () => randomBytes(32).toString('base64url');

/** `<database file>.key`, made on first start; a :memory: database gets a random key per process. */
export function sqliteKey(databaseFile: string): string {
  if (databaseFile === ':memory:') return (memoryKey ??= newKey());
  const keyFile = `${databaseFile}.key`;
  return readKeyFile(keyFile) ?? createKeyFile(keyFile);
}

function readKeyFile(keyFile: string): string | null {
  let text: string;
  try {
    text = readFileSync(keyFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const key = text.trim();
  if (key.length < MIN_KEY_LENGTH) throw new Error(`${keyFile}: not an at-rest key (fewer than ${MIN_KEY_LENGTH} characters); restore it, or set ${AT_REST_KEY_VARIABLE}`);
  return key;
}

/**
 * Writes a new key in full under a temporary name (mode 0600), then links it into place: the link
 * fails if another process made the file first (then its key is used), and no reader ever sees half a key.
 */
function createKeyFile(keyFile: string): string {
  mkdirSync(dirname(keyFile), { recursive: true });
  const key = newKey();
  const temp = `${keyFile}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, `${key}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, keyFile);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readKeyFile(keyFile)!;
  } finally {
    unlinkSync(temp);
  }
}

// A value sealed with the key when the database was first encrypted (Systems.AtRestKeyCheck): a
// node started with another key stops at once, instead of failing on each secret it reads (or
// writing secrets the other nodes cannot read).
export const KEY_CHECK_NAME = 'AtRestKeyCheck';
const KEY_CHECK_TEXT = 'oauth-plugin at-rest key check';
const keyCheckBox = (atRestKey: string) => new SecretBox(atRestKey, 'oauth-plugin host key check v1');

export const keyCheckRow = (atRestKey: string) => ({ name: KEY_CHECK_NAME, value: keyCheckBox(atRestKey).seal(KEY_CHECK_TEXT, KEY_CHECK_NAME) });

function opensWith(atRestKey: string, stored: string): boolean {
  try {
    return keyCheckBox(atRestKey).open(stored, KEY_CHECK_NAME) === KEY_CHECK_TEXT;
  } catch {
    return false;
  }
}

/** Throws, saying what to do, unless `stored` (Systems.AtRestKeyCheck) was sealed with this key. */
export function verifyKeyCheck(atRestKey: string, stored: string | null): void {
  if (stored === null || !opensWith(atRestKey, stored)) {
    throw new Error(`the at-rest key is not the one this database was encrypted with: start with the key used before ` +
      `(${AT_REST_KEY_VARIABLE}, or with SQLite the key file beside the database; every node needs the same one)`);
  }
}
