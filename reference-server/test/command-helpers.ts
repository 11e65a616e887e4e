// Helpers for the slash command tests: a command receiver (the integration), the raw rows of the
// Commands table, and Client4 calls whose error the test wants to read.
import Database from 'better-sqlite3';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sqliteKey } from '../src/at-rest-key.js';
import { newId } from '../src/ids.js';
import { CommandTokens } from '../src/store/command-tokens.js';
import type { Client } from './helpers.js';

export interface ReceivedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** The body, parsed as a form. */
  form: URLSearchParams;
  /** The body, parsed as JSON when it is JSON (an outgoing webhook's, an action's, a dialog's), else undefined. */
  json: Record<string, unknown> | undefined;
  rawBody: string;
}

/** What a test's own handler answers: a status and a JSON value (or a string, sent as text/plain). */
export interface ReceiverAnswer {
  status?: number;
  body: unknown;
}

/** A handler a test installs for one last path segment; it may call back into the server before it answers. */
export type ReceiverHandler = (req: ReceivedRequest) => ReceiverAnswer | Promise<ReceiverAnswer>;

export interface CommandReceiver {
  /** e.g. "http://127.0.0.1:41234" */
  url: string;
  requests: ReceivedRequest[];
  /** Requests whose path ends with this segment. */
  requestsTo(segment: string): ReceivedRequest[];
  /** Answers requests whose path ends with `segment` with `handler` (before the built-in answers). */
  handle(segment: string, handler: ReceiverHandler): void;
  /** Resolves with the `count`-th request to `segment` once it has come (they may come after the call that caused them answered). */
  waitFor(segment: string, count?: number, timeoutMs?: number): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

/** What the receiver answers at /json: every CommandResponse field a test checks, and one Mattermost does not know. */
export const JSON_REPLY = {
  response_type: 'in_channel', text: 'Sunny, 21 °C', username: 'weather-bot', icon_url: 'https://example.com/sun.png',
  goto_location: 'https://example.com/forecast', attachments: [{ text: 'tomorrow: rain' }], props: { source: 'test' },
  not_a_mattermost_field: 'dropped',
};

export const SLOW_REPLY_MS = 2500;

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A small integration on 127.0.0.1 that records every request and answers by the last path segment:
 * a handler the test installed (handle), else json, plain, unavailable (503), bad-json, slow (after
 * SLOW_REPLY_MS); anything else a small JSON reply.
 */
export async function startCommandReceiver(): Promise<CommandReceiver> {
  const requests: ReceivedRequest[] = [];
  const handlers = new Map<string, ReceiverHandler>();
  const waiters = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  const segmentOf = (path: string) => path.split('/').pop();
  const requestsTo = (segment: string) => requests.filter((r) => segmentOf(r.path) === segment);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const received: ReceivedRequest = {
        method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, form: new URLSearchParams(rawBody),
        json: /json/.test(req.headers['content-type'] ?? '') ? parseJson(rawBody) : undefined, rawBody,
      };
      requests.push(received);
      waiters.forEach((wake) => wake());
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(value));
      };
      const handler = handlers.get(segmentOf(url.pathname) ?? '');
      if (handler) {
        void (async () => {
          try {
            const answer = await handler(received);
            if (typeof answer.body === 'string') {
              res.writeHead(answer.status ?? 200, { 'Content-Type': 'text/plain' });
              res.end(answer.body);
            } else json(answer.status ?? 200, answer.body);
          } catch (err) {
            res.writeHead(599, { 'Content-Type': 'text/plain' });
            res.end(`the test's handler failed: ${err instanceof Error ? err.message : String(err)}`);
          }
        })();
        return;
      }
      switch (segmentOf(url.pathname)) {
        case 'json':
          return json(200, JSON_REPLY);
        case 'plain':
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          return res.end('plain answer');
        case 'unavailable':
          res.writeHead(503, { 'Content-Type': 'text/plain' });
          return res.end('down for maintenance');
        case 'bad-json':
          res.writeHead(200, { 'Content-Type': 'application/json' });
          return res.end('{"text": "cut off');
        case 'slow': {
          const timer = setTimeout(() => json(200, { text: 'too late' }), SLOW_REPLY_MS);
          timers.add(timer);
          return;
        }
        default:
          return json(200, { text: 'received' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestsTo,
    handle: (segment, handler) => void handlers.set(segment, handler),
    waitFor: (segment, count = 1, timeoutMs = 5000) => new Promise((resolve, reject) => {
      const check = () => {
        const got = requestsTo(segment);
        if (got.length < count) return false;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(got[count - 1]);
        return true;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`the receiver got ${requestsTo(segment).length} requests to ${segment} in ${timeoutMs} ms, expected ${count}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    }),
    close: async () => {
      timers.forEach(clearTimeout);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface CommandRow {
  Id: string;
  Token: string;
  DeleteAt: number;
  Trigger: string;
  URL: string;
  DisplayName: string;
}

/**
 * Every row of the Commands table, deleted ones included, read straight from the SQLite file; the
 * token (stored encrypted) decrypted with the key file beside the database, as the host reads it.
 */
export function commandRows(dbFile: string): CommandRow[] {
  const db = new Database(dbFile, { readonly: true });
  const tokens = new CommandTokens(sqliteKey(dbFile));
  try {
    const rows = db.prepare('SELECT Id, Token, DeleteAt, "Trigger", URL, DisplayName FROM Commands ORDER BY CreateAt, Id').all() as CommandRow[];
    return rows.map((row) => ({ ...row, Token: tokens.open(row.Token, row.Id) }));
  } finally {
    db.close();
  }
}

/**
 * Adds a channel to a team straight in the database (the host has no API to create channels), with
 * the given members, deleted or not, Open ('O', the default) or Private ('P'). Returns its id.
 */
export function addChannel(dbFile: string, teamId: string, name: string, options: { members: string[]; deleted?: boolean; type?: 'O' | 'P' }): string {
  const db = new Database(dbFile);
  try {
    const id = newId();
    const now = Date.now();
    db.prepare('INSERT INTO Channels (Id, CreateAt, UpdateAt, DeleteAt, TeamId, Name, DisplayName, Type) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, now, now, options.deleted ? now : 0, teamId, name, name, options.type ?? 'O');
    for (const userId of options.members) db.prepare('INSERT INTO ChannelMembers (ChannelId, UserId) VALUES (?, ?)').run(id, userId);
    return id;
  } finally {
    db.close();
  }
}

/**
 * Adds a team straight in the database (the host has no API to create teams) with the given members,
 * and one Open channel, town-square, whose members they are too. Returns the ids.
 */
export function addTeam(dbFile: string, name: string, members: string[]): { teamId: string; channelId: string } {
  const db = new Database(dbFile);
  const teamId = newId();
  try {
    const now = Date.now();
    db.prepare('INSERT INTO Teams (Id, CreateAt, UpdateAt, Name, DisplayName) VALUES (?, ?, ?, ?, ?)').run(teamId, now, now, name, name);
    for (const userId of members) db.prepare('INSERT INTO TeamMembers (TeamId, UserId) VALUES (?, ?)').run(teamId, userId);
  } finally {
    db.close();
  }
  return { teamId, channelId: addChannel(dbFile, teamId, 'town-square', { members }) };
}

export interface ClientFailure {
  status_code?: number;
  server_error_id?: string;
  message: string;
  detailed_error?: string;
}

/** The error a Client4 call fails with; the test fails if the call succeeds. */
export async function clientFailure(promise: Promise<unknown>): Promise<ClientFailure> {
  try {
    await promise;
  } catch (err) {
    return err as ClientFailure;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** GET /api/v4/commands/{id}, which Client4 has no method for. */
export async function getCommandById(serverUrl: string, c: Client, id: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${serverUrl}/api/v4/commands/${id}`, { headers: { authorization: `Bearer ${c.getToken()}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The default team and its town-square channel, as a member sees them. */
export async function mainTeamAndChannel(c: Client): Promise<{ teamId: string; channelId: string }> {
  const team = await c.getTeamByName('main');
  const channel = await c.getChannelByName(team.id, 'town-square');
  return { teamId: team.id, channelId: channel.id };
}

/** A valid command body for Client4.addCommand; `overrides` changes or removes (undefined) fields. */
export function commandBody(teamId: string, url: string, overrides: Record<string, unknown> = {}): never {
  return {
    team_id: teamId, trigger: 'weather', url, method: 'P', username: 'weather-bot', icon_url: 'https://example.com/icon.png',
    auto_complete: true, auto_complete_desc: 'Shows the weather', auto_complete_hint: '[city]', display_name: 'Weather',
    description: 'The weather, now', ...overrides,
  } as never;
}

/**
 * For tests of the migration that encrypts command tokens (step 4 of either driver): the schema
 * version before it, and SQL that undoes what the steps after it made (the same in both dialects).
 */
export const SCHEMA_BEFORE_ENCRYPTION = 3;
export const UNDO_AFTER_ENCRYPTION = `DROP TABLE Posts; DROP TABLE OutgoingWebhooks;
  DELETE FROM ChannelMembers WHERE ChannelId IN (SELECT Id FROM Channels WHERE Name = 'off-topic');
  DELETE FROM Channels WHERE Name = 'off-topic';`;
