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
  rawBody: string;
}

export interface CommandReceiver {
  /** e.g. "http://127.0.0.1:41234" */
  url: string;
  requests: ReceivedRequest[];
  /** Requests whose path ends with this segment. */
  requestsTo(segment: string): ReceivedRequest[];
  close(): Promise<void>;
}

/** What the receiver answers at /json: every CommandResponse field a test checks, and one Mattermost does not know. */
export const JSON_REPLY = {
  response_type: 'in_channel', text: 'Sunny, 21 °C', username: 'weather-bot', icon_url: 'https://example.com/sun.png',
  goto_location: 'https://example.com/forecast', attachments: [{ text: 'tomorrow: rain' }], props: { source: 'test' },
  not_a_mattermost_field: 'dropped',
};

export const SLOW_REPLY_MS = 2500;

/**
 * A small integration on 127.0.0.1 that records every request and answers by the last path segment:
 * json, plain, unavailable (503), bad-json, slow (after SLOW_REPLY_MS); anything else a small JSON reply.
 */
export async function startCommandReceiver(): Promise<CommandReceiver> {
  const requests: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, form: new URLSearchParams(rawBody), rawBody });
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(value));
      };
      switch (url.pathname.split('/').pop()) {
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
    requestsTo: (segment) => requests.filter((r) => r.path.split('/').pop() === segment),
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
 * the given members, deleted or not. Returns its id.
 */
export function addChannel(dbFile: string, teamId: string, name: string, options: { members: string[]; deleted?: boolean }): string {
  const db = new Database(dbFile);
  try {
    const id = newId();
    const now = Date.now();
    db.prepare('INSERT INTO Channels (Id, CreateAt, UpdateAt, DeleteAt, TeamId, Name, DisplayName) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, now, now, options.deleted ? now : 0, teamId, name, name);
    for (const userId of options.members) db.prepare('INSERT INTO ChannelMembers (ChannelId, UserId) VALUES (?, ?)').run(id, userId);
    return id;
  } finally {
    db.close();
  }
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
