// Builds and starts the host: storage, configuration, the plugin, and the HTTP server.
// Usable in-process by tests (127.0.0.1:0, a temp database) and by main.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiRouter } from './api/index.js';
import type { Services } from './api/context.js';
import { loadAtRestKey } from './at-rest-key.js';
import { Authenticator } from './auth.js';
import { parseListenAddress, serviceSettingsFromEnv, sqlSettingsFromEnv, type Config, type SqlSettings } from './config.js';
import { ConfigService } from './config-service.js';
import type { PluginConfig, TokenInfo } from './contract.js';
import { EventHub } from './events.js';
import { createFetcher } from './fetch.js';
import { createLogger, type LogSink } from './log.js';
import { defaultPluginDir, readPluginFiles } from './manifest.js';
import { PluginManager } from './plugin.js';
import { createPluginHost } from './plugin-host.js';
import { createRequestHandler } from './request.js';
import { openStore } from './store/open.js';
import type { Clock, Store } from './store/store.js';
import { TriggerIds } from './trigger-ids.js';

export interface ServerOptions {
  /** Environment to read MM_* settings from; tests pass their own (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Overrides ListenAddress, e.g. "127.0.0.1:0" for a free port. */
  listenAddress?: string;
  /** Overrides MM_SQLSETTINGS_DATASOURCE. */
  dataSource?: string;
  /** Folder holding plugin.json (default: OAUTH_PLUGIN_DIR, else the repository root). */
  pluginDir?: string;
  logSink?: LogSink;
  clock?: Clock;
  pluginCallTimeoutMs?: number;
  /** Certificate authorities (PEM) the plugin's outbound https trusts beside Node's own; for tests. */
  outboundCa?: string[];
}

export interface RunningServer {
  url: string;
  services: Services;
  close(): Promise<void>;
}

const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
const DRAIN_TIMEOUT_MS = 5_000;

export function pluginConfig(config: Config, pluginId: string): PluginConfig {
  return { ServiceSettings: config.ServiceSettings, PluginSettings: config.PluginSettings.Plugins[pluginId] ?? {} };
}

function listen(server: http.Server, address: string): Promise<AddressInfo> {
  const { host, port } = parseListenAddress(address);
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolveListen(server.address() as AddressInfo));
  });
}

/** Where the server can be reached; also the SiteURL default when none is configured. */
function reachableUrl(addr: AddressInfo): string {
  const host = addr.address === '0.0.0.0' || addr.address === '::' ? 'localhost'
    : addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `http://${host}:${addr.port}`;
}

export async function createServer(options: ServerOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const clock = options.clock ?? Date.now;
  const sql = sqlSettingsFromEnv(options.dataSource ? { ...env, MM_SQLSETTINGS_DATASOURCE: options.dataSource } : env);
  const atRestKey = loadAtRestKey(sql, env);
  const store = await openStore(sql, clock, createLogger(options.logSink), atRestKey);
  const httpServer = http.createServer();
  try {
    return await start({ ...options, env, clock }, sql, store, atRestKey, httpServer);
  } catch (err) {
    // A failed start (bad stored config, port in use) leaves nothing open behind it.
    httpServer.close();
    await store.close();
    throw err;
  }
}

async function start(options: ServerOptions & { env: NodeJS.ProcessEnv; clock: Clock }, sql: SqlSettings, store: Store,
  atRestKey: string, httpServer: http.Server): Promise<RunningServer> {
  const { env, clock } = options;
  const log = createLogger(options.logSink);
  const envService = serviceSettingsFromEnv(env);
  const files = readPluginFiles(options.pluginDir ?? env.OAUTH_PLUGIN_DIR ?? defaultPluginDir());

  const bootConfig = await ConfigService.load(store.configs, files.manifest.id, envService, sql);
  const listenAddress = options.listenAddress ?? bootConfig.service.ListenAddress;
  const addr = await listen(httpServer, listenAddress);
  const config = await ConfigService.load(store.configs, files.manifest.id, envService, sql,
    { SiteURL: reachableUrl(addr), ListenAddress: listenAddress });

  let plugin!: PluginManager; // the authenticator asks the plugin, which is built below
  const resolveOAuth = (token: string): Promise<TokenInfo | null> =>
    plugin.state !== 'active' ? Promise.resolve(null)
      : plugin.call('resolveAccessToken', (p) => p.resolveAccessToken(token)).catch(() => null);
  const auth = new Authenticator(store, resolveOAuth, clock);
  const fetch = createFetcher(() => ({
    allowList: config.service.AllowedUntrustedInternalConnections,
    timeoutMs: config.service.OutgoingIntegrationRequestsTimeout * 1000,
    extraCa: options.outboundCa,
  }), log);
  const host = createPluginHost({ pluginId: files.manifest.id, store, settings: () => config.service, fetch, log, atRestKey });
  plugin = new PluginManager({ files, host, log, config: () => pluginConfig(config.get(), files.manifest.id), callTimeoutMs: options.pluginCallTimeoutMs });
  config.onChange((c) => plugin.configure(pluginConfig(c, files.manifest.id)));
  // Several nodes on one database: a save on any node reaches this one (and its plugin) within moments.
  const stopWatch = store.configs.watch?.(() => config.reload());

  const events = new EventHub(auth, store.teams, () => new URL(config.service.SiteURL).origin, log);
  const triggerIds = new TriggerIds(atRestKey, clock);
  const services: Services = { store, config, auth, plugin, pluginFiles: files, log, clock, fetch, events, triggerIds };
  let inFlight = 0;
  const handler = createRequestHandler(services, createApiRouter());
  httpServer.on('request', (req, res) => {
    inFlight++;
    res.on('close', () => inFlight--);
    void handler(req, res);
  });
  httpServer.on('upgrade', (req, socket, head) => void events.upgrade(req, socket, head));
  await plugin.start();

  const sweep = setInterval(() => {
    // A database that is away now is swept next time; a failed sweep must not end the process.
    const failed = (err: unknown) => log.log('warn', 'sweep failed', { error: err instanceof Error ? err.message : String(err) });
    void store.kv.sweepExpired().then((n) => n && log.log('debug', 'swept expired KV rows', { count: n })).catch(failed);
    void store.sessions.sweepExpired(clock()).catch(failed);
  }, SWEEP_INTERVAL_MS);
  sweep.unref();

  log.log('info', 'server started', { listen: `${addr.address}:${addr.port}`, site_url: config.service.SiteURL });
  return {
    url: reachableUrl(addr),
    services,
    close: async () => {
      clearInterval(sweep);
      stopWatch?.();
      events.close();
      const closed = new Promise<void>((done) => httpServer.close(() => done()));
      httpServer.closeIdleConnections();
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      httpServer.closeAllConnections();
      await closed;
      await plugin.stop();
      await store.close();
      log.log('info', 'server stopped');
    },
  };
}
