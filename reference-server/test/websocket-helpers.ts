// The chat server's WebSocket as the webapp sees it: @mattermost/client's own WebSocketClient,
// unchanged, on a small RFC 6455 client (Node 20 has no WebSocket without a flag; browsers and later
// Nodes do, with this interface). Every event that arrives is kept, so a test can wait for one.
import mattermostClient from '@mattermost/client';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';

const { WebSocketClient } = mattermostClient;

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

interface MessageEventLike { data: string }
interface CloseEventLike { code: number; reason: string; wasClean: boolean }

/**
 * The browser's WebSocket interface (what WebSocketClient uses: readyState, send, close and the
 * on* handlers) over node:http's upgrade: text frames, fragmentation, ping/pong and close. Client
 * frames are masked, as RFC 6455 §5.3 requires.
 */
export class LoopbackWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  readyState = LoopbackWebSocket.CONNECTING;
  onopen: (() => void) | null = null;
  onmessage: ((event: MessageEventLike) => void) | null = null;
  onclose: ((event: CloseEventLike) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  /** The HTTP status when the server refused the upgrade. */
  refusedWith: number | undefined;
  /** Every text message the server sent, in order (replies to the client's requests too). */
  readonly received: string[] = [];
  private socket: Socket | null = null;
  private buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];

  /** `headers`: what the upgrade request carries beside the handshake's own (a session cookie, an Origin). */
  constructor(readonly url: string, headers: Record<string, string> = {}) {
    const key = randomBytes(16).toString('base64');
    const target = new URL(url.replace(/^ws/, 'http'));
    const req = http.request(target, {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13', ...headers },
    });
    req.on('upgrade', (res, socket, head) => {
      const expected = createHash('sha1').update(key + GUID).digest('base64');
      if (res.headers['sec-websocket-accept'] !== expected) {
        socket.destroy();
        return this.fail(new Error(`Sec-WebSocket-Accept is ${res.headers['sec-websocket-accept']}, expected ${expected}`));
      }
      this.socket = socket;
      this.readyState = LoopbackWebSocket.OPEN;
      socket.on('data', (chunk: Buffer) => this.receive(chunk));
      socket.on('close', () => this.closed(1006, ''));
      socket.on('error', (err) => this.onerror?.(err));
      this.onopen?.();
      if (head.length > 0) this.receive(head);
    });
    req.on('response', (res) => {
      this.refusedWith = res.statusCode;
      res.resume();
      this.fail(new Error(`the server answered the upgrade with ${res.statusCode}`));
    });
    req.on('error', (err) => this.fail(err));
    req.end();
  }

  send(text: string): void {
    if (this.readyState !== LoopbackWebSocket.OPEN) throw new Error('the socket is not open');
    this.frame(0x1, Buffer.from(text, 'utf8'));
  }

  close(code = 1000): void {
    if (this.readyState !== LoopbackWebSocket.OPEN) return;
    this.readyState = LoopbackWebSocket.CLOSING;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.frame(0x8, payload);
    this.socket?.end();
  }

  private fail(err: unknown): void {
    this.onerror?.(err);
    this.closed(1006, '');
  }

  private closed(code: number, reason: string): void {
    if (this.readyState === LoopbackWebSocket.CLOSED) return;
    this.readyState = LoopbackWebSocket.CLOSED;
    this.socket?.destroy();
    this.onclose?.({ code, reason, wasClean: code !== 1006 });
  }

  private frame(opcode: number, payload: Buffer): void {
    const mask = randomBytes(4);
    const length = payload.length;
    const header = length < 126 ? Buffer.from([0x80 | opcode, 0x80 | length])
      : length < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(length)); return b; })()]);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]));
    this.socket?.write(Buffer.concat([header, mask, masked]));
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.buffer.length < 2) return;
      const fin = (this.buffer[0] & 0x80) !== 0;
      const opcode = this.buffer[0] & 0x0f;
      const masked = (this.buffer[1] & 0x80) !== 0;
      let length = this.buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.buffer.length < 4) return;
        length = this.buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.buffer.length < 10) return;
        length = Number(this.buffer.readBigUInt64BE(2));
        offset = 10;
      }
      const maskKey = masked ? this.buffer.subarray(offset, offset + 4) : null;
      if (masked) offset += 4;
      if (this.buffer.length < offset + length) return;
      let payload = Buffer.from(this.buffer.subarray(offset, offset + length));
      this.buffer = this.buffer.subarray(offset + length);
      if (maskKey) payload = Buffer.from(payload.map((byte, i) => byte ^ maskKey[i % 4]));
      if (opcode === 0x8) {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        if (this.readyState === LoopbackWebSocket.OPEN) this.frame(0x8, payload.subarray(0, 2));
        return this.closed(code, payload.subarray(2).toString('utf8'));
      }
      if (opcode === 0x9) {
        this.frame(0xa, payload);
        continue;
      }
      if (opcode === 0xa) continue;
      this.fragments.push(payload);
      if (!fin) continue;
      const message = Buffer.concat(this.fragments).toString('utf8');
      this.fragments = [];
      this.received.push(message);
      this.onmessage?.({ data: message });
    }
  }
}

// WebSocketClient reads WebSocket.OPEN and builds CloseEvents: what Node 20 lacks, the way browsers have it.
const globals = globalThis as Record<string, unknown>;
globals.WebSocket ??= LoopbackWebSocket;
globals.CloseEvent ??= class CloseEvent {
  readonly code: number;
  readonly wasClean: boolean;
  constructor(readonly type: string, init: { code?: number; wasClean?: boolean } = {}) {
    this.code = init.code ?? 0;
    this.wasClean = init.wasClean ?? false;
  }
};

/** A server event as WebSocketClient passes it on. */
export interface ServerEvent {
  event: string;
  data: Record<string, unknown>;
  broadcast: { channel_id?: string; user_id?: string; team_id?: string };
  seq: number;
}

export interface EventStream {
  events: ServerEvent[];
  /** How often the client's connection closed (a reconnect follows each): 0 while all is well. */
  closes(): number;
  /** The first event (from `since` on) that satisfies `match`, once it has come. */
  waitFor(match: (e: ServerEvent) => boolean, timeoutMs?: number, since?: number): Promise<ServerEvent>;
  /** The events of one kind so far. */
  ofKind(event: string): ServerEvent[];
  /** The server's replies (seq_reply) to what the client sent on its current connection. */
  replies(): Record<string, unknown>[];
  /** WebSocketClient's ping, which it sends on connecting and every 30 s: resolves with the server's reply. */
  ping(timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): void;
}

/**
 * Connects @mattermost/client's WebSocketClient to `serverUrl` with a session `token` (sent as the
 * authentication challenge, as the webapp does), and waits for the server's hello.
 */
export async function connectEvents(serverUrl: string, token: string): Promise<EventStream> {
  let socket: LoopbackWebSocket | null = null;
  const ws = new WebSocketClient({ newWebSocketFn: (url: string) => (socket = new LoopbackWebSocket(url)) as unknown as WebSocket });
  const events: ServerEvent[] = [];
  const waiters = new Set<() => void>();
  let closes = 0;
  ws.addMessageListener((msg) => {
    events.push(msg as unknown as ServerEvent);
    waiters.forEach((wake) => wake());
  });
  ws.addCloseListener(() => closes++);
  const stream: EventStream = {
    events,
    closes: () => closes,
    ofKind: (kind) => events.filter((e) => e.event === kind),
    replies: () => (socket?.received ?? []).map((m) => JSON.parse(m) as Record<string, unknown>).filter((m) => m.seq_reply !== undefined),
    waitFor: (match, timeoutMs = 5000, since = 0) => new Promise((resolve, reject) => {
      const check = () => {
        const found = events.slice(since).find(match);
        if (!found) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no such event in ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.event))} (${closes} closes)`));
      }, timeoutMs);
      waiters.add(check);
      check();
    }),
    ping: (timeoutMs = 2000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to a ping in ${timeoutMs} ms`)), timeoutMs);
      ws.ping((reply: unknown) => {
        clearTimeout(timer);
        resolve(reply as Record<string, unknown>);
      });
    }),
    close: () => ws.close(),
  };
  ws.initialize(`${serverUrl.replace(/^http/, 'ws')}/api/v4/websocket`, token);
  await stream.waitFor((e) => e.event === 'hello');
  return stream;
}

/** A post carried by an event (posted, post_edited, ephemeral_message), parsed from its JSON string. */
export function postOf(e: ServerEvent): Record<string, unknown> & { id: string; message: string; props: Record<string, unknown> } {
  return JSON.parse(String(e.data.post)) as Record<string, unknown> & { id: string; message: string; props: Record<string, unknown> };
}

/** What a raw socket got: whether it opened, the HTTP status that refused it, its messages, how it closed. */
export interface RawSocket {
  socket: LoopbackWebSocket;
  messages: Record<string, unknown>[];
  /** Resolves once the socket opened, or was refused or closed. */
  settled: Promise<'open' | 'refused' | 'closed'>;
  /** Resolves with the close code once the socket is closed. */
  closed: Promise<number>;
}

/** A socket to the server's /api/v4/websocket without WebSocketClient, for requests a client would not send. */
export function rawSocket(serverUrl: string, headers: Record<string, string> = {}): RawSocket {
  const socket = new LoopbackWebSocket(`${serverUrl.replace(/^http/, 'ws')}/api/v4/websocket`, headers);
  const messages: Record<string, unknown>[] = [];
  let settle!: (how: 'open' | 'refused' | 'closed') => void;
  let close!: (code: number) => void;
  const settled = new Promise<'open' | 'refused' | 'closed'>((resolve) => (settle = resolve));
  const closed = new Promise<number>((resolve) => (close = resolve));
  socket.onopen = () => settle('open');
  socket.onmessage = (e) => messages.push(JSON.parse(e.data) as Record<string, unknown>);
  socket.onerror = () => undefined;
  socket.onclose = (e) => {
    settle(socket.refusedWith ? 'refused' : 'closed');
    close(e.code);
  };
  return { socket, messages, settled, closed };
}
