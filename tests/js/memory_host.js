// A JS in-memory PluginHost for the wasm-bindgen tests of the exported Plugin, with Mattermost's
// KV semantics and a clock the test moves. Its KV calls keep the contract of tests/kv-contract.json
// (tests/wasm_kv_contract.rs plays it), as the reference server's SQL stores do.

const MAX_KEY_CHARS = 150;
const MAX_KEYS_PER_GET = 100;

// Characters are code points, as Go's utf8.RuneCountInString counts them: [...key] splits into
// code points, where key.length would count UTF-16 units. NUL is refused: PostgreSQL text cannot
// hold it.
function checkKey(key) {
  const chars = typeof key === 'string' ? [...key].length : 0;
  if (chars < 1 || chars > MAX_KEY_CHARS) {
    throw new Error(`KV key must be 1 to ${MAX_KEY_CHARS} characters, got ${chars}`);
  }
  if (key.includes('\0')) throw new Error('KV key must not contain NUL');
}

function checkKeys(keys) {
  if (!Array.isArray(keys)) throw new Error('kvGetMany takes an array of keys');
  if (keys.length > MAX_KEYS_PER_GET) {
    throw new Error(`KV get of at most ${MAX_KEYS_PER_GET} keys per call, got ${keys.length}`);
  }
  keys.forEach(checkKey);
}

function checkOptions(opts) {
  // As in Go, a null oldValue is the same as none: only a real value needs atomic.
  if (opts.oldValue != null && !opts.atomic) throw new Error('oldValue requires atomic');
  const seconds = opts.expireInSeconds ?? 0;
  if (!Number.isInteger(seconds) || seconds < 0) {
    throw new Error('expireInSeconds must be a whole number of seconds, 0 or more');
  }
}

function checkPage(page, perPage) {
  if (!Number.isInteger(page) || page < 0 || !Number.isInteger(perPage) || perPage < 1) {
    throw new Error('invalid paging: page must be 0 or more and perPage 1 or more');
  }
}

// Code point order, which is the byte order of UTF-8 that the SQL stores and Rust sort keys in.
// The default sort compares UTF-16 units, which puts U+10000 and above before U+E000 to U+FFFF.
function byCodePoint(a, b) {
  for (let i = 0; i < a.length && i < b.length; ) {
    const x = a.codePointAt(i);
    const y = b.codePointAt(i);
    if (x !== y) return x - y;
    i += x > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

function sameBytes(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

const RS256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };


// The data calls answer at once, as the reference server's SQLite host does; promising() gives a
// host whose data calls answer with promises, as its PostgreSQL host does. The plugin takes both.
export function memoryHost() {
  const kv = new Map(); // key -> { value: Uint8Array, expireAt: number | 0 }
  const host = {
    now: Date.UTC(2026, 0, 1),
    logs: [],
    users: new Map(),
    permissions: new Set(),
    live(key) {
      const entry = kv.get(key);
      return entry && (entry.expireAt === 0 || entry.expireAt > host.now) ? entry : undefined;
    },
    kvGet(key) {
      checkKey(key);
      return host.live(key)?.value ?? null;
    },
    kvGetMany(keys) {
      checkKeys(keys);
      return keys.map((key) => host.live(key)?.value ?? null);
    },
    kvSet(key, value, opts = {}) {
      checkKey(key);
      checkOptions(opts);
      const seconds = opts.expireInSeconds ?? 0;
      if (opts.atomic) {
        const current = host.live(key)?.value ?? null;
        const old = opts.oldValue ?? null;
        // As Mattermost: a null value cannot be stored, so "delete if it is null" never matches.
        if (old === null && value === null) return false;
        const matches = old === null ? current === null : current !== null && sameBytes(current, old);
        if (!matches) return false;
      }
      if (value === null) kv.delete(key);
      else kv.set(key, { value: new Uint8Array(value), expireAt: seconds > 0 ? host.now + seconds * 1000 : 0 });
      return true;
    },
    kvDelete(key) {
      checkKey(key);
      kv.delete(key);
    },
    kvList(page, perPage) {
      checkPage(page, perPage);
      const keys = [...kv.keys()].filter((k) => host.live(k)).sort(byCodePoint);
      return keys.slice(page * perPage, (page + 1) * perPage);
    },
    async httpFetch(req) {
      throw new Error(`no outbound HTTP in this test (${req.method} ${req.url})`);
    },
    getUser(userId) {
      return host.users.get(userId) ?? null;
    },
    hasPermission(userId, permission) {
      return host.permissions.has(`${userId} ${permission}`);
    },
    log(level, message, fields) {
      host.logs.push({ level, message, fields: fields ?? {} });
    },
    async atRestKey() {
      return host.atRestKeyBytes;
    },
    // The signing keys' RSA operations, with WebCrypto as in a browser or Node.
    async generateSigningKey() {
      const pair = await crypto.subtle.generateKey(
        { ...RS256, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, ['sign', 'verify']);
      const privateKey = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
      const { n, e } = await crypto.subtle.exportKey('jwk', pair.publicKey);
      return { privateKey, n, e };
    },
    async signRs256(privateKey, message) {
      const key = await crypto.subtle.importKey('pkcs8', privateKey, RS256, false, ['sign']);
      return new Uint8Array(await crypto.subtle.sign(RS256, key, message));
    },
    async signingPublicKey(privateKey) {
      const key = await crypto.subtle.importKey('pkcs8', privateKey, RS256, true, ['sign']);
      const { n, e } = await crypto.subtle.exportKey('jwk', key);
      return { n, e };
    },
  };
  host.atRestKeyBytes = new TextEncoder().encode('a wasm test at-rest key of 32+ bytes');
  return host;
}

const DATA_CALLS = ['kvGet', 'kvGetMany', 'kvSet', 'kvDelete', 'kvList', 'getUser', 'hasPermission'];

export function promising(host) {
  const wrapped = Object.create(host);
  for (const name of DATA_CALLS) {
    wrapped[name] = (...args) => new Promise((resolve) => setTimeout(resolve, 0)).then(() => host[name](...args));
  }
  return wrapped;
}

// What the exported Plugin's resolveAccessToken gives: "promise", or the answer itself as JSON.
export function resolveFromJs(plugin, token) {
  const answer = plugin.resolveAccessToken(token);
  return answer instanceof Promise ? 'promise' : JSON.stringify(answer);
}

// The host as one without the optional kvGetMany (Mattermost's plugin API has no multi-get).
export function withoutKvGetMany(host) {
  delete host.kvGetMany;
  return host;
}

// Makes the host's kvGetMany answer `answer`, whatever it is asked.
export function answeringKvGetMany(host, answer) {
  host.kvGetMany = () => answer;
}

// Moves the host's KV clock (the one expiry is judged by) forward.
export function advanceClock(host, millis) {
  host.now += millis;
}

export async function putText(host, key, text) {
  return host.kvSet(key, new TextEncoder().encode(text));
}

export async function getText(host, key) {
  const value = await host.kvGet(key);
  return value === null ? null : new TextDecoder().decode(value);
}

export function setAtRestKey(host, key) {
  host.atRestKeyBytes = new TextEncoder().encode(key);
}

export function logText(host) {
  return JSON.stringify(host.logs);
}

export function request(method, path, query = '') {
  return { method, path, query, headers: {}, body: new Uint8Array(), remoteAddr: '127.0.0.1', requestId: 'test-request' };
}

// A request from the session of `userId` (none: no session) with a body of `contentType`.
export function requestAs(method, path, query, userId, contentType, body) {
  const req = request(method, path, query);
  if (userId) req.userId = userId;
  if (contentType) req.headers['content-type'] = contentType;
  req.body = new TextEncoder().encode(body);
  return req;
}

// A user holding the system_admin role's permissions that the plugin asks about.
export function addSystemAdmin(host, id) {
  host.users.set(id, { id, username: 'admin', email: 'admin@example.com', roles: 'system_admin system_user', delete_at: 0 });
  for (const permission of ['manage_system', 'manage_oauth', 'manage_system_wide_oauth']) host.permissions.add(`${id} ${permission}`);
}

const base64url = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

// A JWT's claims (JSON text) when its RS256 signature verifies, with WebCrypto, under the key of
// the JWK Set `jwksJson` that its kid names; null when it does not.
export async function verifiedJwtClaims(jwt, jwksJson) {
  const [header, payload, signature] = jwt.split('.');
  const { alg, kid } = JSON.parse(new TextDecoder().decode(base64url(header)));
  const jwk = JSON.parse(jwksJson).keys.find((k) => k.kid === kid);
  if (alg !== 'RS256' || !jwk) return null;
  const key = await crypto.subtle.importKey('jwk', jwk, RS256, false, ['verify']);
  const signed = new TextEncoder().encode(`${header}.${payload}`);
  const valid = await crypto.subtle.verify(RS256, key, base64url(signature), signed);
  return valid ? new TextDecoder().decode(base64url(payload)) : null;
}

export function config(settings) {
  return { ServiceSettings: JSON.parse(settings), PluginSettings: {} };
}

export function responseStatus(response) {
  return response.status;
}

export function responseBody(response) {
  return new TextDecoder().decode(response.body);
}

export function responseHeader(response, name) {
  const found = response.headers.find(([n]) => n.toLowerCase() === name.toLowerCase());
  return found ? found[1] : undefined;
}

export function errorMessage(error) {
  return error instanceof Error ? error.message : String(error);
}

// Calls the plugin's test-only panicking method from JS, where the trap can be caught.
export function callPanicForTest(plugin) {
  try {
    plugin.panicForTest();
    return 'returned';
  } catch (error) {
    return `${error?.constructor?.name}: ${error?.message}`;
  }
}
