// The PluginHost object the wasm module receives: every call the plugin makes into the server.
// Failures reject with an Error whose message says what went wrong (the plugin shows it as is).
import { createPrivateKey, createPublicKey, generateKeyPair, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { ServiceSettings } from './config.js';
import type { FetchRequest, PluginHost } from './contract.js';
import { FetchError, type Fetcher } from './fetch.js';
import type { Logger, LogLevel } from './log.js';
import { hasPermission } from './permissions.js';
import { errorMessage } from './plugin.js';
import type { Answer, KvSetOptions, Store, UserRecord } from './store/store.js';
import { userJson } from './users.js';

export interface PluginHostDeps {
  pluginId: string;
  store: Store;
  settings: () => ServiceSettings;
  fetch: Fetcher;
  log: Logger;
  /** See PluginHost.atRestKey; never logged. */
  atRestKey: string;
}

const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/** Values from wasm may be views into its memory, valid only during the call: copy them. */
const copy = (value: Uint8Array | null | undefined) => (value == null ? null : new Uint8Array(value));

function kvOptions(opts: KvSetOptions | null | undefined): KvSetOptions {
  if (opts == null) return {};
  return { atomic: opts.atomic === true, oldValue: copy(opts.oldValue), expireInSeconds: opts.expireInSeconds ?? 0 };
}

const generateRsaKeyPair = promisify(generateKeyPair);
const signWith = promisify(sign);

/** A private key (PKCS #8 DER) as node:crypto takes it; from a copy, as values from wasm may be views. */
const pkcs8 = (privateKey: Uint8Array): KeyObject => createPrivateKey({ key: Buffer.from(privateKey), format: 'der', type: 'pkcs8' });

/** The JWK members n and e of an RSA key's public half. */
function publicJwk(key: KeyObject): { n: string; e: string } {
  const { n, e } = createPublicKey(key).export({ format: 'jwk' });
  if (typeof n !== 'string' || typeof e !== 'string') throw new Error('not an RSA key');
  return { n, e };
}

/** Applies `f` to an answer: at once when it is a value, when it settles when it is a promise. */
function then<T, R>(answer: Answer<T>, f: (value: T) => R): Answer<R> {
  return answer instanceof Promise ? answer.then(f) : f(answer);
}

/**
 * Wraps each method so any failure becomes an Error with a readable message: thrown when the
 * method answered at once, rejected when it answered with a promise (the plugin takes either).
 */
function readableErrors<T extends object>(methods: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(methods)) {
    // A fetch's own refusal reads as it is (the plugin shows it to whoever set the URL).
    const readable = (err: unknown) => new Error(err instanceof FetchError ? err.message : `${name}: ${errorMessage(err)}`);
    wrapped[name] = (...args: unknown[]) => {
      let answer: unknown;
      try {
        answer = (fn as (...a: unknown[]) => unknown)(...args);
      } catch (err) {
        throw readable(err);
      }
      return answer instanceof Promise ? answer.catch((err: unknown) => Promise.reject(readable(err))) : answer;
    };
  }
  return wrapped as T;
}

export function createPluginHost(deps: PluginHostDeps): PluginHost {
  const { pluginId, store } = deps;
  const activeUser = (userId: string): Answer<UserRecord | null> =>
    typeof userId === 'string' ? then(store.users.get(userId), (user) => (user && user.deleteAt === 0 ? user : null)) : null;
  const calls = readableErrors({
    kvGet: (key: string) => store.kv.get(pluginId, key),
    kvGetMany: (keys: string[]) => store.kv.getMany(pluginId, keys),
    kvSet: (key: string, value: Uint8Array | null, opts?: KvSetOptions) => store.kv.set(pluginId, key, copy(value), kvOptions(opts)),
    kvDelete: (key: string) => store.kv.delete(pluginId, key),
    kvList: (page: number, perPage: number) => store.kv.list(pluginId, page, perPage),
    httpFetch: (req: FetchRequest) => deps.fetch({ ...req, body: copy(req.body) ?? undefined }),
    getUser: (userId: string) => then(activeUser(userId), (user) => user && userJson(user)),
    hasPermission: (userId: string, permission: string) =>
      then(activeUser(userId), (user) => !!user && hasPermission(user.roles, permission, deps.settings())),
    atRestKey: async () => new TextEncoder().encode(deps.atRestKey),
    // The plugin's signing keys (RS256): OpenSSL's RSA, on libuv's thread pool, instead of RSA in wasm.
    generateSigningKey: async () => {
      const { privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
      return { privateKey: new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' })), ...publicJwk(privateKey) };
    },
    signRs256: async (privateKey: Uint8Array, message: Uint8Array) =>
      new Uint8Array(await signWith('sha256', new Uint8Array(message), pkcs8(privateKey))),
    signingPublicKey: async (privateKey: Uint8Array) => publicJwk(pkcs8(privateKey)),
  });
  return {
    ...calls,
    log(level, message, fields) {
      const safeLevel: LogLevel = LEVELS.has(level) ? level : 'info';
      const safeFields = Object.fromEntries(Object.entries(fields ?? {}).map(([k, v]) => [k, String(v)]));
      deps.log.log(safeLevel, `plugin: ${String(message)}`, { plugin: pluginId, ...safeFields });
    },
  };
}
