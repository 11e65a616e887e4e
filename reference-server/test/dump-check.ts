// What the dump check needs from the whole suite: every database a test server wrote (SQLite
// files; PostgreSQL servers dump their tables here before they stop), and every secret the tests
// used or were given — passwords, client secrets, tokens, codes, verifiers — taken from the
// requests the tests send and the answers they read, through the global fetch that Client4,
// openid-client, oauth4webapi and the helpers all use. After the suite, test/after/ reads it all
// and looks for each secret in plain text in every database.
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DUMP_CHECK_DIR = process.env.DUMP_CHECK_DIR ?? fileURLToPath(new URL('../../../test-output/dump-check/', import.meta.url));

/** Fields whose values are secrets, in JSON bodies, forms, queries and fragments. */
const SECRET_FIELDS = new Set([
  'password', 'client_secret', 'credentials_password', 'access_token', 'refresh_token', 'code', 'code_verifier',
  'token', 'id_token', 'device_code',
]);
/** Shorter values are test filler ("x", "bad"), never a real secret, and could occur by chance. */
const MIN_SECRET_LENGTH = 12;

const seen = new Set<string>();
let registered = 0;

function file(kind: 'secrets' | 'databases'): string {
  const dir = join(DUMP_CHECK_DIR, kind);
  mkdirSync(dir, { recursive: true });
  return join(dir, `${process.pid}.jsonl`);
}

/** Remembers a secret value the tests used (with the field it came from). */
export function rememberSecret(field: string, value: unknown): void {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || seen.has(value)) return;
  seen.add(value);
  appendFileSync(file('secrets'), JSON.stringify({ field, value }) + '\n');
}

/** Remembers a database a test server wrote: a SQLite file (its -wal beside it) or a table dump. */
export function rememberDatabase(path: string): void {
  registered++;
  appendFileSync(file('databases'), JSON.stringify({ path, n: registered }) + '\n');
}

function fromJson(value: unknown, field = ''): void {
  if (typeof value === 'string') {
    if (SECRET_FIELDS.has(field)) rememberSecret(field, value);
  } else if (Array.isArray(value)) {
    for (const item of value) fromJson(item, field);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) fromJson(v, k);
  }
}

function fromParams(params: URLSearchParams): void {
  for (const [k, v] of params) if (SECRET_FIELDS.has(k)) rememberSecret(k, v);
}

function fromText(text: string, contentType: string): void {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      fromJson(JSON.parse(trimmed));
    } catch {
      // not JSON after all
    }
  } else if (contentType.includes('x-www-form-urlencoded') || /^[\w.-]+=/.test(trimmed)) {
    fromParams(new URLSearchParams(trimmed));
  }
}

/** Secrets in a URL: its query and its fragment (implicit grant tokens, redirects with codes). */
export function fromUrl(url: string): void {
  try {
    const parsed = new URL(url, 'http://x');
    fromParams(parsed.searchParams);
    if (parsed.hash) fromParams(new URLSearchParams(parsed.hash.slice(1)));
  } catch {
    // not a URL
  }
}

function fromAuthorization(value: string | null): void {
  const match = /^(basic|bearer|token)\s+(\S+)$/i.exec(value?.trim() ?? '');
  if (!match) return;
  if (match[1].toLowerCase() !== 'basic') return rememberSecret('token', match[2]);
  const decoded = Buffer.from(match[2], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon > 0) rememberSecret('client_secret', decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')));
}

async function fromRequest(input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<void> {
  const request = input instanceof Request ? input : null;
  fromUrl(request ? request.url : String(input));
  const headers = new Headers(init?.headers ?? request?.headers);
  fromAuthorization(headers.get('authorization'));
  const body = init?.body ?? null;
  if (body instanceof URLSearchParams) fromParams(body);
  else if (typeof body === 'string') fromText(body, headers.get('content-type') ?? '');
  else if (body instanceof Uint8Array) fromText(Buffer.from(body).toString('utf8'), headers.get('content-type') ?? '');
  else if (request && !init?.body) fromText(await request.clone().text().catch(() => ''), headers.get('content-type') ?? '');
}

async function fromResponse(response: Response): Promise<void> {
  for (const [name, value] of response.headers) {
    if (name === 'token') rememberSecret('token', value);
    if (name === 'location') fromUrl(value);
  }
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const name = pair.slice(0, pair.indexOf('='));
    // The session token and its CSRF token; MMUSERID is only the user's id.
    if (name === 'MMAUTHTOKEN' || name === 'MMCSRF') rememberSecret('token', pair.slice(pair.indexOf('=') + 1));
  }
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json')) fromText(await response.clone().text().catch(() => ''), type);
}

let installed = false;

/** Wraps the global fetch once per process, so that every request a test makes is looked at. */
export function watchFetch(): void {
  if (installed) return;
  installed = true;
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    await fromRequest(input, init);
    const response = await original(input, init);
    await fromResponse(response);
    return response;
  };
}

export interface Recorded {
  secrets: { field: string; value: string }[];
  databases: string[];
}

/** Everything the suite's processes recorded. */
export function readRecorded(dir = DUMP_CHECK_DIR): Recorded {
  const lines = (kind: string) => {
    const folder = join(dir, kind);
    let names: string[] = [];
    try {
      names = readdirSync(folder);
    } catch {
      return [];
    }
    return names.flatMap((name) => readFileSync(join(folder, name), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  };
  const secrets = new Map<string, { field: string; value: string }>();
  for (const s of lines('secrets') as { field: string; value: string }[]) secrets.set(s.value, s);
  const databases = [...new Set((lines('databases') as { path: string }[]).map((d) => d.path))];
  return { secrets: [...secrets.values()], databases };
}
