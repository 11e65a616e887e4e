// Requests for the plugin: routing, identity (only from a valid session), header hygiene, and the
// webapp bundle as a static file.
import type { RequestContext } from './api/context.js';
import { CSRF_COOKIE, SESSION_COOKIE, USER_COOKIE } from './auth.js';
import type { PluginRequest, PluginResponse, PluginRoute } from './contract.js';
import { ApiError, storeUnavailable } from './errors.js';
import { isHostHeader, readBody, respond, serveScriptFile } from './http.js';

/** A pattern's segments: a literal, ONE (`{name}`: one non-empty segment) or REST (`{name...}`: the rest). */
const ONE = Symbol('one segment');
const REST = Symbol('the rest');
type Segment = string | typeof ONE | typeof REST;

function segmentsOf(pattern: string): Segment[] | null {
  if (!pattern.startsWith('/')) return null;
  return pattern.slice(1).split('/').map((part) => (/^\{[^}]+\.\.\.\}$/.test(part) ? REST : part.startsWith('{') ? ONE : part));
}

/** Whether a path's segments (after its leading "/") match a pattern's, as the plugin matches them (see PluginRoute). */
function matchesSegments(wanted: Segment[], parts: string[]): boolean {
  for (let i = 0; i < wanted.length; i++) {
    const want = wanted[i];
    if (want === REST) return i < parts.length;
    if (i >= parts.length) return false;
    if (want === ONE ? parts[i] === '' : want !== parts[i]) return false;
  }
  return parts.length === wanted.length;
}

/** The plugin's patterns, split once (they are fixed for a build of the plugin), by their routes list. */
const compiled = new WeakMap<readonly PluginRoute[], Segment[][]>();

function patternsOf(routes: readonly PluginRoute[]): Segment[][] {
  let patterns = compiled.get(routes);
  if (!patterns) {
    patterns = routes.map((route) => segmentsOf(route.pattern)).filter((p): p is Segment[] => p !== null);
    compiled.set(routes, patterns);
  }
  return patterns;
}

/**
 * Whether a request goes to the plugin: every path under `/plugins/<id>`, as Mattermost forwards
 * them to the plugin's ServeHTTP (the plugin's own 404 for what it does not serve), and the paths
 * of the routes the plugin gave when it was loaded. Nothing else: the server keeps no list of the
 * plugin's URLs.
 */
export function forwardsToPlugin(path: string, pluginId: string, routes: readonly PluginRoute[]): boolean {
  if (path === `/plugins/${pluginId}` || path.startsWith(`/plugins/${pluginId}/`)) return true;
  if (!path.startsWith('/')) return false;
  const parts = path.slice(1).split('/');
  return patternsOf(routes).some((pattern) => matchesSegments(pattern, parts));
}

export const bundleRoute = (pluginId: string) => `/static/plugins/${pluginId}/main.js`;

// Headers a client could send to pose as a user; the host alone says who the user is.
const IDENTITY_HEADER = /^(mattermost-|x-forwarded-user$|x-remote-user$|remote-user$|x-user-id$)/;
const HOST_COOKIES = new Set([SESSION_COOKIE, USER_COOKIE, CSRF_COOKIE]);
// Framing is the host's job: it sends the body it has with its own length.
const HOP_BY_HOP = new Set(['connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade']);
/** Headers a plugin response may not set: framing, and those the host sends on every response. */
const hostOwned = (name: string) => HOP_BY_HOP.has(name.toLowerCase()) || isHostHeader(name);

/** The host's session cookies stay with the host: the plugin gets the identity, not the token. */
function withoutHostCookies(header: string): string {
  return header.split(';').map((c) => c.trim()).filter((c) => c && !HOST_COOKIES.has(c.split('=')[0])).join('; ');
}

function pluginHeaders(ctx: RequestContext): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.req.headers)) {
    if (value === undefined || IDENTITY_HEADER.test(name)) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (name === 'cookie') {
      const rest = withoutHostCookies(text);
      if (rest) headers.cookie = rest;
    } else headers[name] = text;
  }
  return headers;
}

async function pluginRequest(ctx: RequestContext): Promise<PluginRequest> {
  const body = await readBody(ctx.req);
  // As Mattermost's servePluginRequest: a bad token or a cookie without CSRF proof just means
  // "no user"; the plugin decides whether that is a 401.
  const auth = await ctx.services.auth.authenticate(ctx.req, ctx.query);
  const request: PluginRequest = {
    method: ctx.req.method ?? 'GET', path: ctx.path, query: ctx.rawQuery, headers: pluginHeaders(ctx),
    body: new Uint8Array(body), remoteAddr: ctx.remoteAddr, requestId: ctx.requestId,
  };
  if (auth.kind === 'session') {
    ctx.userId = auth.session.user.id;
    Object.assign(request, { userId: auth.session.user.id, sessionId: auth.session.id, isOAuthSession: auth.session.isOAuth,
      sessionCreatedAt: auth.session.createAt });
  }
  return request;
}

function checkResponse(value: unknown): PluginResponse {
  const r = value as Partial<PluginResponse> | null;
  const valid = r && Number.isInteger(r.status) && r.status! >= 100 && r.status! <= 599 && Array.isArray(r.headers) &&
    (r.body === undefined || r.body instanceof Uint8Array);
  if (!valid) throw new ApiError(500, 'app.plugin.bad_response.app_error', 'The plugin returned a malformed response.');
  return { status: r.status!, headers: r.headers!, body: r.body ?? new Uint8Array() };
}

export async function servePlugin(ctx: RequestContext): Promise<void> {
  const request = await pluginRequest(ctx);
  const response = checkResponse(await ctx.services.plugin.call('serveHttp', (p) => p.serveHttp(request)));
  // The plugin failed because the database went away under it: say so (its writes are single statements, so none is half-done).
  if (response.status >= 500 && ctx.services.store.health?.down) throw storeUnavailable();
  try {
    for (const [name, value] of response.headers) {
      if (!hostOwned(String(name))) ctx.res.appendHeader(String(name), String(value));
    }
  } catch {
    throw new ApiError(500, 'app.plugin.bad_response.app_error', 'The plugin returned an invalid header.');
  }
  ctx.res.setHeader('Content-Length', response.body.byteLength);
  return respond(ctx, response.status, {}, response.body);
}

export function serveBundle(ctx: RequestContext): Promise<void> {
  return serveScriptFile(ctx, ctx.services.pluginFiles.bundlePath,
    new ApiError(404, 'app.plugin.bundle_not_found.app_error', 'The plugin webapp bundle is not built.'));
}
