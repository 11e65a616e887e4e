// Loads the wasm plugin, runs its lifecycle, and guards every call: a timeout, and on a trap
// (a Rust panic) the instance is marked dead, the request gets a 500 and a fresh instance loads.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Plugin, PluginConfig, PluginGlue, PluginHost, PluginRoute } from './contract.js';
import type { Answer } from './store/store.js';
import { ApiError } from './errors.js';
import type { Logger } from './log.js';
import type { PluginFiles } from './manifest.js';
import { onTrap } from './traps.js';

export const PLUGIN_CALL_TIMEOUT_MS = 60_000;

export type PluginState = 'loading' | 'active' | 'failed' | 'dead' | 'stopped';

export interface PluginManagerOptions {
  files: PluginFiles;
  host: PluginHost;
  config: () => PluginConfig;
  log: Logger;
  callTimeoutMs?: number;
}

interface Instance {
  plugin: Plugin;
  inFlight: number;
  /** Rejects when this instance traps, so calls waiting on it end at once. */
  trapped: Promise<never>;
  trap: (err: Error) => void;
}

// Each load imports the glue under a new query string: a fresh module, so fresh wasm memory.
// (ES modules are never unloaded; a reload after a crash leaves the old one behind, which is fine.)
let loadCount = 0;

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
}

/** The plugin's routes, checked: what the server forwards depends on them. */
function checkRoutes(value: unknown): PluginRoute[] {
  const valid = Array.isArray(value) && value.every((r: Partial<PluginRoute> | null) =>
    typeof r?.method === 'string' && typeof r.pattern === 'string' && r.pattern.startsWith('/'));
  if (!valid) throw new Error('the plugin\'s routes() did not return [{method, pattern}]');
  return (value as PluginRoute[]).map(({ method, pattern }) => ({ method, pattern }));
}

export class PluginManager {
  state: PluginState = 'loading';
  /**
   * The routes the plugin gave when it was loaded: a build's routes do not change, so they are
   * known (and answered with 503) even when activation fails.
   */
  routes: readonly PluginRoute[] = [];
  private failure = '';
  private instance: Instance | null = null;
  private reloading: Promise<void> | null = null;
  private readonly stopListening: () => void;
  private readonly timeoutMs: number;

  constructor(private readonly opts: PluginManagerOptions) {
    this.timeoutMs = opts.callTimeoutMs ?? PLUGIN_CALL_TIMEOUT_MS;
    this.stopListening = onTrap((err, force) => this.onTrap(err, force));
  }

  get id(): string {
    return this.opts.files.manifest.id;
  }

  /** Loads and activates; an activation error is logged and leaves the plugin 'failed'. */
  async start(): Promise<void> {
    this.state = 'loading';
    try {
      const instance = await this.load();
      this.instance = instance;
      this.routes = checkRoutes(instance.plugin.routes());
      await this.invoke(instance, 'onConfigurationChange', (p) => p.onConfigurationChange(this.opts.config()));
      await this.invoke(instance, 'onActivate', (p) => p.onActivate());
      this.state = 'active';
      this.opts.log.log('info', 'plugin activated', { plugin: this.id });
    } catch (err) {
      this.state = 'failed';
      this.failure = err instanceof ApiError ? err.detailedError || err.message : errorMessage(err);
      this.opts.log.log('error', 'plugin activation failed', { plugin: this.id, error: this.failure });
    }
  }

  /** Runs one call on the active plugin, mapping failures to Mattermost errors (503 inactive, 500 crash or error, 504 timeout). */
  call<T>(name: string, fn: (plugin: Plugin) => Answer<T>): Promise<T> {
    const instance = this.instance;
    if (this.state !== 'active' || !instance) return Promise.reject(this.unavailable());
    return this.invoke(instance, name, fn);
  }

  private invoke<T>(instance: Instance, name: string, fn: (plugin: Plugin) => Answer<T>): Promise<T> {
    let answer: Answer<T>;
    instance.inFlight++;
    try {
      answer = fn(instance.plugin);
    } catch (err) {
      return Promise.reject(this.callFailure(name, instance, err));
    } finally {
      instance.inFlight--;
    }
    // Answered at once (every host call did): no timer, no race.
    return answer instanceof Promise ? this.awaited(instance, name, answer) : Promise.resolve(answer);
  }

  /** An answer still to come: bounded in time, and ended at once if the instance traps meanwhile. */
  private async awaited<T>(instance: Instance, name: string, answer: Promise<T>): Promise<T> {
    instance.inFlight++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ApiError(504, 'app.plugin.timeout.app_error',
        `The plugin did not answer within ${this.timeoutMs} ms.`)), this.timeoutMs);
    });
    try {
      return await Promise.race([answer, instance.trapped, timeout]);
    } catch (err) {
      throw this.callFailure(name, instance, err);
    } finally {
      clearTimeout(timer);
      instance.inFlight--;
    }
  }

  /** The plugin's bearer challenge for a 401 (null when it is not active, or has none to give). */
  bearerChallenge(invalidToken: boolean): string | null {
    const instance = this.instance;
    if (this.state !== 'active' || !instance) return null;
    try {
      return instance.plugin.bearerChallenge(invalidToken);
    } catch (err) {
      this.opts.log.log('error', 'plugin call failed', { plugin: this.id, call: 'bearerChallenge', error: errorMessage(err) });
      return null;
    }
  }

  async configure(config: PluginConfig): Promise<void> {
    if (this.state !== 'active') return;
    try {
      await this.call('onConfigurationChange', (p) => p.onConfigurationChange(config));
    } catch (err) {
      this.opts.log.log('error', 'plugin rejected the configuration', { plugin: this.id, error: errorMessage(err) });
    }
  }

  async stop(): Promise<void> {
    await this.reloading;
    if (this.state === 'active') {
      try {
        await this.call('onDeactivate', (p) => p.onDeactivate());
      } catch (err) {
        this.opts.log.log('error', 'plugin deactivation failed', { plugin: this.id, error: errorMessage(err) });
      }
    }
    this.state = 'stopped';
    this.instance = null;
    this.stopListening();
  }

  private async load(): Promise<Instance> {
    const { gluePath, wasmPath } = this.opts.files;
    const glue = (await import(`${pathToFileURL(gluePath).href}?instance=${++loadCount}`)) as PluginGlue;
    glue.initSync({ module: readFileSync(wasmPath) });
    let trap!: (err: Error) => void;
    const trapped = new Promise<never>((_, reject) => (trap = reject));
    trapped.catch(() => {}); // only observed through race(); never an unhandled rejection itself
    return { plugin: new glue.Plugin(this.opts.host), inFlight: 0, trapped, trap };
  }

  private unavailable(): ApiError {
    const why = this.state === 'failed' ? `activation failed: ${this.failure.replace(/\.$/, '')}` : `the plugin is ${this.state}`;
    return new ApiError(503, 'app.plugin.not_active.app_error', `The ${this.id} plugin is not active (${why}).`);
  }

  private callFailure(name: string, instance: Instance, err: unknown): ApiError {
    if (err instanceof ApiError) return err;
    if (err instanceof WebAssembly.RuntimeError) {
      this.crash(instance, err);
      return new ApiError(500, 'app.plugin.crashed.app_error', 'The plugin crashed while handling the request; it is being restarted.',
        `trap: ${err.message}`);
    }
    this.opts.log.log('error', 'plugin call failed', { plugin: this.id, call: name, error: errorMessage(err) });
    return new ApiError(500, 'app.plugin.error.app_error', 'The plugin failed to handle the request.', errorMessage(err));
  }

  private onTrap(err: WebAssembly.RuntimeError, force: boolean): boolean {
    const instance = this.instance;
    const running = this.state === 'active' || this.state === 'loading';
    if (!instance || !running || (!force && instance.inFlight === 0)) return false;
    this.crash(instance, err);
    return true;
  }

  /** Marks the instance dead (its memory may be inconsistent after a trap) and loads a fresh one. */
  private crash(instance: Instance, err: Error): void {
    if (this.instance !== instance) return;
    instance.trap(err);
    // A trap during activation fails start() itself; reloading then would loop.
    if (this.state !== 'active') return;
    this.state = 'dead';
    this.opts.log.log('error', 'plugin crashed; reloading', { plugin: this.id, error: err.message });
    this.reloading = this.start().finally(() => (this.reloading = null));
  }
}
