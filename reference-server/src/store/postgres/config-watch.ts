// Hears configuration saves from every node: one connection of its own (outside the pool, which
// would hand it to requests) LISTENing on a channel. NOTIFY is lost while that connection is down,
// so each reconnection also reports a change and the node re-reads the active configuration; a
// re-read that fails (the database is away too) is tried again until it succeeds.
import pg from 'pg';
import type { Logger } from '../../log.js';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;
const REREAD_RETRY_MS = 1_000;

export class ConfigWatch {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private rereadTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private retryMs = FIRST_RETRY_MS;

  constructor(private readonly url: string, private readonly channel: string, private readonly changed: () => Promise<void>,
    private readonly log: Logger) {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.rereadTimer) clearTimeout(this.rereadTimer);
    const client = this.client;
    this.client = null;
    void client?.end().catch(() => {});
  }

  private connect(): void {
    const client = new pg.Client({ connectionString: this.url, application_name: 'oauth-plugin-server-config-watch', keepAlive: true });
    let failed = false;
    const retry = (err: unknown) => {
      if (failed || this.stopped) return;
      failed = true;
      if (this.client === client) this.client = null;
      void client.end().catch(() => {});
      this.log.log('warn', 'config watch lost; reconnecting', { error: (err as Error)?.message ?? String(err) });
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
      this.timer.unref();
    };
    client.on('error', retry);
    client.on('end', () => retry(new Error('connection ended')));
    client.on('notification', (msg) => {
      if (msg.channel === this.channel) this.reread();
    });
    this.client = client;
    client.connect()
      .then(() => client.query(`LISTEN ${this.channel}`))
      .then(() => {
        if (this.stopped) return void client.end().catch(() => {});
        this.retryMs = FIRST_RETRY_MS;
        // Saves made before this LISTEN (since start-up, or while reconnecting) were not heard: look once now.
        this.reread();
      }, retry);
  }

  private reread(): void {
    if (this.stopped) return;
    if (this.rereadTimer) clearTimeout(this.rereadTimer);
    this.rereadTimer = null;
    this.changed().catch((err: unknown) => {
      if (this.stopped) return;
      this.log.log('warn', 'reading the saved configuration failed; retrying', { error: (err as Error)?.message ?? String(err) });
      this.rereadTimer ??= setTimeout(() => this.reread(), REREAD_RETRY_MS);
      this.rereadTimer.unref();
    });
  }
}
