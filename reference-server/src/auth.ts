// Sessions and request authentication, in Mattermost's order of token sources, with the CSRF rule
// for cookie-authenticated changes. Tokens and CSRF tokens are stored only as SHA-256 hashes.
import type { IncomingMessage } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { TokenInfo } from './contract.js';
import { hasSecretShape, newId, newSecret, sha256Hex } from './ids.js';
import { parseCookies } from './http.js';
import type { Clock, Store, UserRecord } from './store/store.js';

export const SESSION_COOKIE = 'MMAUTHTOKEN';
export const USER_COOKIE = 'MMUSERID';
export const CSRF_COOKIE = 'MMCSRF';
export const SESSION_LENGTH_MS = 30 * 24 * 3600 * 1000;

export interface Session {
  id: string;
  user: UserRecord;
  isOAuth: boolean;
  /** Hash of the CSRF token; null for OAuth sessions, which have none. */
  csrfHash: string | null;
  /** When a login session was created (ms); absent for OAuth sessions. */
  createAt?: number;
}

type TokenLocation = 'cookie' | 'header' | 'query';

export type AuthResult =
  | { kind: 'none' }
  | { kind: 'session'; session: Session }
  | { kind: 'invalid'; bearer: boolean } // a token was sent but is not valid (bearer: not a cookie)
  | { kind: 'insufficient_scope' } // a valid OAuth token that may not use the chat API
  | { kind: 'csrf' }; // a valid cookie session on a change without the CSRF header

/** A valid OAuth token granted only OpenID Connect's scopes: it signs a user in, nothing more. */
const NO_API_ACCESS = Symbol('no API access');

export type OAuthResolver = (token: string) => Promise<TokenInfo | null>;

/** Mattermost's ParseAuthTokenFromRequest: cookie, then "Bearer", then "Token", then ?access_token. */
export function findToken(req: IncomingMessage, query: URLSearchParams): { token: string; location: TokenLocation } | null {
  const cookie = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  if (cookie) return { token: cookie, location: 'cookie' };
  const auth = req.headers.authorization ?? '';
  const scheme = /^(bearer|token) +(.+)$/i.exec(auth.trim());
  if (scheme) return { token: scheme[2], location: 'header' };
  const fromQuery = query.get('access_token');
  if (fromQuery) return { token: fromQuery, location: 'query' };
  return null;
}

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function passesCsrf(req: IncomingMessage, session: Session): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  if (req.headers['x-requested-with'] === 'XMLHttpRequest') return true;
  const header = req.headers['x-csrf-token'];
  return typeof header === 'string' && session.csrfHash !== null && sameHash(sha256Hex(header), session.csrfHash);
}

export class Authenticator {
  constructor(
    private readonly store: Store,
    private readonly resolveOAuth: OAuthResolver,
    private readonly clock: Clock,
  ) {}

  async authenticate(req: IncomingMessage, query: URLSearchParams): Promise<AuthResult> {
    const found = findToken(req, query);
    if (!found) return { kind: 'none' };
    const session = await this.sessionFor(found.token, found.location);
    if (!session) return { kind: 'invalid', bearer: found.location !== 'cookie' };
    if (session === NO_API_ACCESS) return { kind: 'insufficient_scope' };
    if (found.location === 'cookie' && !passesCsrf(req, session)) return { kind: 'csrf' };
    return { kind: 'session', session };
  }

  /** The session a token names, as if sent in an Authorization header (a WebSocket's challenge). */
  async sessionForToken(token: string): Promise<Session | null> {
    const session = await this.sessionFor(token, 'header');
    return session === NO_API_ACCESS ? null : session;
  }

  /** Starts a host session; the caller hands the plaintext token and CSRF token to the client once. */
  async login(user: UserRecord): Promise<{ token: string; csrf: string; session: Session }> {
    const token = newSecret();
    const csrf = newSecret();
    const now = this.clock();
    const record = { id: newId(), tokenHash: sha256Hex(token), csrfHash: sha256Hex(csrf), userId: user.id, createAt: now, expiresAt: now + SESSION_LENGTH_MS };
    await this.store.sessions.create(record);
    return { token, csrf, session: { id: record.id, user, isOAuth: false, csrfHash: record.csrfHash } };
  }

  async logout(session: Session): Promise<void> {
    if (!session.isOAuth) await this.store.sessions.delete(session.id);
  }

  private async sessionFor(token: string, location: TokenLocation): Promise<Session | typeof NO_API_ACCESS | null> {
    // Host session tokens never travel in URLs (they would end up in logs and Referer headers), and
    // a token of another shape (an OAuth access token) is none of ours: no hash, no lookup.
    if (location !== 'query' && hasSecretShape(token)) {
      const record = await this.store.sessions.findByTokenHash(sha256Hex(token), this.clock());
      if (record) {
        const user = await this.activeUser(record.userId);
        return user && { id: record.id, user, isOAuth: false, csrfHash: record.csrfHash, createAt: record.createAt };
      }
    }
    // Cookies carry only host sessions; OAuth tokens come in a header or ?access_token.
    return location === 'cookie' ? null : this.oauthSession(token);
  }

  private async oauthSession(token: string): Promise<Session | typeof NO_API_ACCESS | null> {
    const info = await this.resolveOAuth(token);
    if (!info || typeof info.userId !== 'string') return null;
    if (info.apiAccess !== true) return NO_API_ACCESS;
    if (typeof info.expiresAt === 'number' && info.expiresAt > 0 && info.expiresAt <= this.clock()) return null;
    const user = await this.activeUser(info.userId);
    // The session id names the token without revealing it.
    return user && { id: sha256Hex(token).slice(0, 26), user, isOAuth: true, csrfHash: null };
  }

  private async activeUser(userId: string): Promise<UserRecord | null> {
    const user = await this.store.users.get(userId);
    return user && user.deleteAt === 0 ? user : null;
  }
}
