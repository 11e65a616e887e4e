// Helpers for apps-oauth2.test.ts: oidc-provider (a real OAuth server nobody here wrote) as an
// app's remote provider on loopback, a user agent that goes through its own login and consent
// pages, and raw calls to the app OAuth2 store's routes.
import Provider from 'oidc-provider';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CALLBACK, exchangeCode, type AppCredentials } from './helpers.js';
import { oidcEndpoints, type OidcEndpoints } from './oidc-helpers.js';

/** One OAuth client of the remote provider: the plugin, acting for one app. */
export interface RemoteClient {
  client_id: string;
  client_secret: string;
  /** The app's complete URL on the host, where the remote sends the user back. */
  redirect_uri: string;
  /** How long the access tokens issued to this client live, in seconds. */
  accessTokenTtl: number;
}

/** With `introspect` (as the client the token was issued to) and `close` from OidcEndpoints. */
export interface RemoteServer extends OidcEndpoints {
  /** The issuer, e.g. http://127.0.0.1:43210. */
  url: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** Errors oidc-provider reported as server_error, so a test can show why a flow broke. */
  errors: unknown[];
}

/** oidc-provider on a free loopback port, with its development login and consent pages. */
export async function startRemote(clients: RemoteClient[]): Promise<RemoteServer> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ttlOf = new Map(clients.map((c) => [c.client_id, c.accessTokenTtl]));
  const provider = new Provider(url, {
    clients: clients.map((c) => ({
      client_id: c.client_id, client_secret: c.client_secret, redirect_uris: [c.redirect_uri],
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    // The dev login accepts any login name; it becomes the account id (the token's subject).
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: true },
      introspection: {
        enabled: true,
        // A client may introspect only the tokens issued to it.
        allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId,
      },
    },
    // Every refresh hands out a new refresh token and consumes the old one; oidc-provider revokes
    // the whole grant when a consumed one comes back, so a client that keeps an old one fails.
    rotateRefreshToken: true,
    ttl: {
      AccessToken: (_ctx: unknown, _token: unknown, client: { clientId: string }) => ttlOf.get(client.clientId) ?? 60,
      AuthorizationCode: 60, IdToken: 3600, RefreshToken: 3600, Grant: 3600, Session: 3600, Interaction: 600,
    },
  });
  const errors: unknown[] = [];
  provider.on('server_error', (_ctx, err) => errors.push(err));
  server.on('request', provider.callback());
  return {
    url,
    authorizeUrl: `${url}/auth`,
    tokenUrl: `${url}/token`,
    errors,
    ...oidcEndpoints(url, server),
  };
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  return requestPath === cookiePath ||
    (requestPath.startsWith(cookiePath) && (cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/'));
}

/**
 * The cookies of one site, by name and path (oidc-provider scopes its interaction cookies to
 * /interaction/:uid and /auth/:uid), dropped when the server expires them. Enough for one origin.
 */
export class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  take(requestUrl: URL, res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      // RFC 6265 §5.1.4: without a Path, the directory of the request path.
      let path = requestUrl.pathname.slice(0, Math.max(1, requestUrl.pathname.lastIndexOf('/')));
      let expired = value === '';
      for (const attribute of attributes) {
        const at = attribute.indexOf('=');
        const key = (at < 0 ? attribute : attribute.slice(0, at)).toLowerCase();
        const arg = at < 0 ? '' : attribute.slice(at + 1);
        if (key === 'path' && arg.startsWith('/')) path = arg;
        if (key === 'expires' && Date.parse(arg) <= Date.now()) expired = true;
        if (key === 'max-age' && Number(arg) <= 0) expired = true;
      }
      const id = `${name};${path}`;
      if (expired) this.cookies.delete(id);
      else this.cookies.set(id, { name, value, path });
    }
  }

  header(url: URL): string {
    return [...this.cookies.values()].filter((c) => pathMatches(url.pathname, c.path)).map((c) => `${c.name}=${c.value}`).join('; ');
  }
}

/** Where the remote sent the user agent back to, and which of its pages the user saw on the way. */
export interface RemoteOutcome {
  back: URL;
  prompts: string[];
}

/**
 * Plays the user's browser at the remote provider: follows its redirects and answers its own
 * login form (with `login` as the account) and consent form (Continue, or the Cancel link when
 * `approve` is false), until it redirects away from itself, which is where the user goes back to.
 */
export async function throughRemote(start: string, remote: RemoteServer, login: string, approve = true): Promise<RemoteOutcome> {
  const origin = new URL(remote.url).origin;
  const jar = new CookieJar();
  const prompts: string[] = [];
  let next: { url: URL; init?: RequestInit } = { url: new URL(start) };
  // Login and consent take about eight hops; the bound stops a redirect loop.
  for (let hop = 0; hop < 20; hop++) {
    if (next.url.origin !== origin) return { back: next.url, prompts };
    const { url, init } = next;
    const res = await fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), cookie: jar.header(url) }, redirect: 'manual' });
    jar.take(url, res);
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      next = { url: new URL(res.headers.get('location') ?? '', url) };
      continue;
    }
    const page = await res.text();
    if (res.status !== 200) throw new Error(`the remote answered ${res.status} at ${url.pathname}: ${page.slice(0, 300)}; server errors: ${remote.errors.join('; ')}`);
    const prompt = /name="prompt" value="(login|consent)"/.exec(page)?.[1];
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    if (!prompt || !action) throw new Error(`an unexpected page at the remote: ${page.slice(0, 300)}`);
    prompts.push(prompt);
    if (prompt === 'consent' && !approve) {
      const cancel = /href="([^"]*\/abort)"/.exec(page)?.[1];
      if (!cancel) throw new Error('the consent page has no Cancel link');
      next = { url: new URL(cancel, url) };
      continue;
    }
    // The dev login form wants a password too, and accepts any.
    const form: Record<string, string> = prompt === 'login' ? { prompt, login, password: 'any-password' } : { prompt };
    next = {
      url: new URL(action, url),
      init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) },
    };
  }
  throw new Error('the remote did not send the user agent back within 20 hops');
}

/**
 * An access token the host's provider issues to `app` for the user of `sessionToken`, through its
 * own code flow. The app is trusted, so the authorization endpoint answers with the code at once.
 */
export async function appAccessToken(hostUrl: string, sessionToken: string, app: AppCredentials): Promise<string> {
  const query = new URLSearchParams({ response_type: 'code', client_id: app.id, redirect_uri: CALLBACK, state: 'app-token' });
  const res = await fetch(`${hostUrl}/oauth/authorize?${query}`, { headers: { authorization: `Bearer ${sessionToken}` }, redirect: 'manual' });
  await res.body?.cancel();
  const code = res.status === 302 ? new URL(res.headers.get('location') ?? '').searchParams.get('code') : null;
  if (!code) throw new Error(`GET /oauth/authorize answered ${res.status} (location ${res.headers.get('location')}), not a code`);
  const tokens = await exchangeCode(hostUrl, app, code);
  if (tokens.status !== 200 || typeof tokens.body.access_token !== 'string') throw new Error(`the code exchange answered ${tokens.status}: ${JSON.stringify(tokens.body)}`);
  return tokens.body.access_token;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

/** A raw request to the host: the exact status and body are what the tests look at. */
export async function call(
  url: string, method: string, path: string,
  auth: { bearer?: string; cookie?: string; csrf?: string } = {}, body?: string,
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (auth.bearer) headers.authorization = `Bearer ${auth.bearer}`;
  if (auth.cookie) headers.cookie = auth.cookie;
  if (auth.csrf) headers['x-csrf-token'] = auth.csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, { method, headers, body, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The JSON body of a reply, or a failure that shows what came instead. */
export function json<T = Record<string, unknown>>(reply: Reply): T {
  try {
    return JSON.parse(reply.text) as T;
  } catch {
    throw new Error(`expected JSON, got ${reply.status}: ${reply.text.slice(0, 300)}`);
  }
}

/** Polls `check` every `everyMs` until it is true, at most `tries` times; false if it never was. */
export async function eventually(check: () => Promise<boolean>, tries: number, everyMs: number): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return false;
}
