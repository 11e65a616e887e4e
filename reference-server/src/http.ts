// Small request/response helpers shared by the API and plugin routes.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { ApiError, errorBody } from './errors.js';
import type { Durability } from './store/store.js';

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads the body up to `limit` bytes. A larger body is drained and dropped, then refused with 413:
 * answering before the client finished sending would make many clients see a reset, not the 413.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) reject(tooLarge(limit));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

const tooLarge = (limit: number) =>
  new ApiError(413, 'api.context.request_body_too_large.app_error', `The request body is larger than ${limit} bytes.`);

/** A JSON object: not null, not an array (what a body, a field or an answer must be to have fields). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ApiError(400, 'api.context.invalid_json.app_error', 'The request body is not valid JSON.');
  }
}

/** What answering a request needs of it (a request's context has it all). */
export interface Answering {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  storeGeneration: number;
  services: { store: { durability?: Durability } };
}

/**
 * Writes the response, once every write the request made is durable (stores that commit in groups
 * commit after the request's work; see store/sqlite/db.ts): no client learns of a change that a crash
 * could still undo. A failed commit throws the 503 instead. Every response leaves through here.
 */
export async function respond(ctx: Answering, status: number, headers: OutgoingHttpHeaders, body?: string | Uint8Array): Promise<void> {
  const durability = ctx.services.store.durability;
  const pending = durability?.durable(ctx.storeGeneration);
  if (pending) await pending;
  ctx.res.writeHead(status, headers);
  ctx.res.end(body);
}

/** Client4 parses a body as JSON only when Content-Type is exactly "application/json". */
export function sendJson(ctx: Answering, status: number, value: unknown): Promise<void> {
  const body = JSON.stringify(value);
  return respond(ctx, status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }, body);
}

// Set by the host on every response, whoever writes it (API, pages, the bundle, the plugin), and
// kept when an error replaces a response.
const HOST_HEADERS = new Set(['x-request-id', 'x-content-type-options', 'strict-transport-security']);

/** Whether a header is the host's to set (a plugin's copy is dropped, so each is sent once, as the host says). */
export const isHostHeader = (name: string) => HOST_HEADERS.has(name.toLowerCase());

export function setHostHeaders(res: ServerResponse, requestId: string, siteUrl: string): void {
  res.setHeader('X-Request-Id', requestId);
  // A response is only what its Content-Type says: no JSON error or bundle read as a page or script.
  res.setHeader('X-Content-Type-Options', 'nosniff');
  // Only for an https SiteURL: on an http one, HSTS would lock browsers out of the site.
  if (siteUrl.startsWith('https:')) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
}

/** Answers GET or HEAD with the script at `path`; `missing` (a 404) when it is not built. */
export async function serveScriptFile(ctx: Answering, path: string | null, missing: ApiError): Promise<void> {
  const method = ctx.req.method;
  if (method !== 'GET' && method !== 'HEAD') throw new ApiError(405, 'api.context.405.app_error', 'Method not allowed.');
  const script = path ? await readFile(path).catch(() => null) : null;
  if (!script) throw missing;
  const headers = { 'Content-Type': 'text/javascript; charset=utf-8', 'Content-Length': script.length, 'Cache-Control': 'no-cache' };
  return respond(ctx, 200, headers, method === 'HEAD' ? undefined : script);
}

export async function sendError(ctx: Answering, err: ApiError): Promise<void> {
  const res = ctx.res;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // Drop headers set before the failure (e.g. by a plugin response), keeping the host's own.
  for (const name of res.getHeaderNames()) if (!isHostHeader(name)) res.removeHeader(name);
  const headers = (e: ApiError, body: string) => ({ ...e.headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  const body = errorBody(err, ctx.requestId);
  try {
    await respond(ctx, err.status, headers(err, body), body);
  } catch (failed) {
    // The commit the error depended on failed: that is the answer now.
    const unavailable = failed instanceof ApiError ? failed : err;
    const text = errorBody(unavailable, ctx.requestId);
    res.writeHead(unavailable.status, headers(unavailable, text));
    res.end(text);
  }
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

export interface CookieOptions {
  maxAgeSeconds: number;
  httpOnly: boolean;
  secure: boolean;
}

export function cookie(name: string, value: string, opts: CookieOptions): string {
  const parts = [`${name}=${value}`, 'Path=/', `Max-Age=${opts.maxAgeSeconds}`, 'SameSite=Lax'];
  if (opts.maxAgeSeconds === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  if (opts.httpOnly) parts.push('HttpOnly');
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Splits "/a/b?x=1" into the path and the raw query (without "?"). */
export function splitUrl(rawUrl: string): { path: string; query: string } {
  const q = rawUrl.indexOf('?');
  return q < 0 ? { path: rawUrl, query: '' } : { path: rawUrl.slice(0, q), query: rawUrl.slice(q + 1) };
}

/**
 * The client's address: the socket's, unless ServiceSettings.TrustedProxyIPHeader names headers (the
 * host sits behind a proxy that sets one); then the first of them present. In a list ("client, proxy1"
 * as X-Forwarded-For grows) only the right-most entry was written by the trusted proxy: the rest is
 * whatever the client sent. A value that is not an IP address is ignored.
 */
export function clientAddress(req: IncomingMessage, trustedHeaders: readonly string[]): string {
  const socketAddress = req.socket.remoteAddress ?? '';
  const header = trustedHeaders.map((name) => req.headers[name.toLowerCase()]).find((value) => value !== undefined);
  if (header === undefined) return socketAddress;
  const last = (Array.isArray(header) ? header.join(',') : header).split(',').pop()!.trim();
  return isIP(last) ? last : socketAddress;
}
