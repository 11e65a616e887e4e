// The WebSocket at /api/v4/websocket, as far as the channel view needs Mattermost's: "posted",
// "post_edited", "ephemeral_message" and "open_dialog" events. A socket authenticates with the
// session cookie (from this server's own origin only, against cross-site WebSocket hijacking) or
// with Mattermost's authentication_challenge message carrying a session token; its session is
// checked again before each event, so a socket whose session ended (logout, deactivation, a revoked
// token) hears nothing more and is closed. Events reach the sockets connected to this node.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { findToken, type Authenticator, type Session } from './auth.js';
import { newId } from './ids.js';
import type { Logger } from './log.js';
import type { TeamStore } from './store/store.js';

export const WEBSOCKET_PATH = '/api/v4/websocket';

/** How long a socket without the cookie has to send its authentication_challenge. */
const CHALLENGE_TIMEOUT_MS = 5_000;
/** The largest message a client may send (it only ever sends the challenge). */
const MAX_CLIENT_MESSAGE = 4096;

export interface Events {
  /** To every socket of one user. */
  toUser(userId: string, event: string, data: Record<string, unknown>): Promise<void>;
  /** To every socket of a member of the channel. */
  toChannel(channelId: string, event: string, data: Record<string, unknown>): Promise<void>;
}

interface Client {
  socket: WebSocket;
  userId: string;
  /** The session token it authenticated with, checked again before each event. */
  token: string;
  seq: number;
}

export class EventHub implements Events {
  private readonly clients = new Set<Client>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE });

  constructor(
    private readonly auth: Authenticator,
    private readonly teams: TeamStore,
    private readonly siteOrigin: () => string,
    private readonly log: Logger,
  ) {}

  /** The http server's 'upgrade' handler. */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== WEBSOCKET_PATH) return refuse(socket, 404, 'Not Found');
    let session: Session | null = null;
    try {
      const result = await this.auth.authenticate(req, new URLSearchParams());
      session = result.kind === 'session' ? result.session : null;
    } catch {
      return refuse(socket, 503, 'Service Unavailable');
    }
    const origin = req.headers.origin;
    if (session && !session.isOAuth && origin !== undefined && origin !== this.siteOrigin()) return refuse(socket, 403, 'Forbidden');
    const token = findToken(req, new URLSearchParams())?.token;
    this.wss.handleUpgrade(req, socket, head, (ws) => (session && token ? this.open(ws, session.user.id, token) : this.awaitChallenge(ws)));
  }

  async toUser(userId: string, event: string, data: Record<string, unknown>): Promise<void> {
    for (const client of [...this.clients]) {
      if (client.userId === userId && (await this.live(client))) this.send(client, event, data, { user_id: userId });
    }
  }

  async toChannel(channelId: string, event: string, data: Record<string, unknown>): Promise<void> {
    const users = new Set([...this.clients].map((c) => c.userId));
    for (const userId of users) {
      if (!(await this.teams.isChannelMember(channelId, userId))) continue;
      for (const client of [...this.clients]) {
        if (client.userId === userId && (await this.live(client))) this.send(client, event, data, { channel_id: channelId });
      }
    }
  }

  /** Whether the socket's session still stands; a socket whose session ended is closed. */
  private async live(client: Client): Promise<boolean> {
    const session = await this.auth.sessionForToken(client.token).catch(() => null);
    if (session?.user.id === client.userId) return true;
    this.clients.delete(client);
    client.socket.close(4001, 'session ended');
    return false;
  }

  close(): void {
    for (const client of this.clients) client.socket.terminate();
    this.clients.clear();
  }

  private open(socket: WebSocket, userId: string, token: string, replyTo?: number): void {
    const client: Client = { socket, userId, token, seq: 0 };
    this.clients.add(client);
    socket.on('close', () => this.clients.delete(client));
    socket.on('error', () => socket.terminate());
    // WebSocketClient pings on connecting and every 30 s, and reconnects when no pong comes.
    socket.on('message', (raw: RawData) => {
      let message: { seq?: unknown; action?: unknown } = {};
      try {
        message = JSON.parse(raw.toString()) as typeof message;
      } catch {
        return;
      }
      if (message?.action === 'ping' && typeof message.seq === 'number') {
        socket.send(JSON.stringify({ status: 'OK', seq_reply: message.seq, data: { text: 'pong', server_time: Date.now() } }));
      }
    });
    if (replyTo !== undefined) socket.send(JSON.stringify({ status: 'OK', seq_reply: replyTo }));
    this.send(client, 'hello', { server_version: 'oauth-plugin reference server', connection_id: newId() }, { user_id: userId });
  }

  /** Mattermost's first message for a socket without a cookie: {seq, action: "authentication_challenge", data: {token}}. */
  private awaitChallenge(socket: WebSocket): void {
    const timer = setTimeout(() => socket.close(4001, 'authentication required'), CHALLENGE_TIMEOUT_MS);
    socket.on('error', () => socket.terminate());
    // WebSocketClient sends its first ping right after the challenge: what comes while the token is
    // being checked is kept, and handled once the socket is open.
    const early: RawData[] = [];
    let challenged = false;
    const onMessage = (raw: RawData) => {
      if (challenged) {
        if (early.length < 8) early.push(raw);
        return;
      }
      challenged = true;
      clearTimeout(timer);
      void this.challenge(socket, raw).then((opened) => {
        socket.off('message', onMessage);
        if (opened) for (const message of early) socket.emit('message', message, false);
      });
    };
    socket.on('message', onMessage);
  }

  /** Whether the challenge opened the socket. */
  private async challenge(socket: WebSocket, raw: RawData): Promise<boolean> {
    let message: { seq?: unknown; action?: unknown; data?: { token?: unknown } } = {};
    try {
      message = JSON.parse(raw.toString()) as typeof message;
    } catch {
      message = {};
    }
    const token = message?.action === 'authentication_challenge' ? message.data?.token : undefined;
    const session = typeof token === 'string' ? await this.auth.sessionForToken(token).catch(() => null) : null;
    if (!session) {
      socket.close(4001, 'authentication failed');
      return false;
    }
    this.open(socket, session.user.id, token as string, typeof message.seq === 'number' ? message.seq : undefined);
    return true;
  }

  private send(client: Client, event: string, data: Record<string, unknown>, broadcast: Record<string, string>): void {
    try {
      client.socket.send(JSON.stringify({ event, data, broadcast: { omit_users: null, user_id: '', channel_id: '', team_id: '', ...broadcast }, seq: client.seq++ }));
    } catch (err) {
      this.log.log('debug', 'websocket send failed', { error: (err as Error).message });
    }
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
