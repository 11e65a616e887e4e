// The live configuration: stored (defaults ⊕ database) plus environment overrides, saved as a new
// Configurations row on each change, with listeners (the plugin) told after each save.
import {
  applyPatch, defaultStoredConfig, differencesFrom, effectiveConfig, type Config, type ServiceSettings, type SqlSettings,
  type StoredConfig,
} from './config.js';
import type { ConfigStore } from './store/store.js';

export type ConfigListener = (config: Config) => Promise<void>;

export class ConfigService {
  private listeners: ConfigListener[] = [];
  private queue: Promise<void> = Promise.resolve();
  private current: Config | null = null;

  private constructor(
    private readonly defaults: StoredConfig,
    private stored: StoredConfig,
    private readonly store: ConfigStore,
    private readonly env: Partial<ServiceSettings>,
    private readonly sql: SqlSettings,
  ) {}

  /** `defaults` replaces built-in defaults (tests derive SiteURL from the bound port). */
  static async load(store: ConfigStore, pluginId: string, env: Partial<ServiceSettings>, sql: SqlSettings,
    defaults: Partial<ServiceSettings> = {}): Promise<ConfigService> {
    const base = applyPatch(defaultStoredConfig(pluginId), { ServiceSettings: defaults });
    const saved = await store.loadActive();
    const stored = saved === null ? base : applyPatch(base, saved);
    return new ConfigService(base, stored, store, env, sql);
  }

  /** The effective config; one frozen object until the next change, since every request reads it. */
  get(): Config {
    this.current ??= deepFreeze(effectiveConfig(this.stored, this.env, this.sql));
    return this.current;
  }

  get service(): ServiceSettings {
    return this.get().ServiceSettings;
  }

  onChange(listener: ConfigListener): void {
    this.listeners.push(listener);
  }

  /** Validates and saves a patch (400 and nothing saved when invalid), then tells the listeners. */
  async patch(patch: unknown): Promise<Config> {
    return this.serially(async () => {
      // Patch what is saved now, not this node's copy: another node may have saved since.
      const next = applyPatch(await this.saved(), patch);
      await this.store.save(differencesFrom(this.defaults, next));
      this.stored = next;
      this.current = null;
      return this.tell();
    });
  }

  /** Re-reads the saved settings (another node saved them); tells the listeners only when they changed. */
  async reload(): Promise<void> {
    await this.serially(async () => {
      const next = await this.saved();
      if (JSON.stringify(next) === JSON.stringify(this.stored)) return;
      this.stored = next;
      this.current = null;
      await this.tell();
    });
  }

  private async saved(): Promise<StoredConfig> {
    const saved = await this.store.loadActive();
    return saved === null ? this.defaults : applyPatch(this.defaults, saved);
  }

  private async tell(): Promise<Config> {
    const config = this.get();
    for (const listener of this.listeners) await listener(config);
    return config;
  }

  /** Patches and reloads run one at a time, so a slow reload never puts back settings older than a patch. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.then(() => undefined, () => undefined);
    return run;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
