// The plugin's web UI. It registers itself the way Mattermost's webapp plugins do; the page
// (Mattermost's webapp, or the reference server's page shell) provides `window.registerPlugin`,
// calls `initialize` with its registry, and gives the bundle its React as window.React (build.mjs).

import { id, version } from '../../plugin.json';
import { installStyle, ROUTES } from './app';

/** The part of Mattermost's plugin registry this bundle uses. */
export interface PluginRegistry {
  registerCustomRoute(route: string, component: unknown): string;
  registerRootComponent(component: unknown): string;
}

declare global {
  interface Window {
    registerPlugin(id: string, plugin: OAuthPluginUI): void;
  }
}

export class OAuthPluginUI {
  readonly id = id;
  readonly version = version;

  /** Called once by the host with its registry and store: registers every page under its path. */
  initialize(registry: PluginRegistry, _store: unknown): void {
    installStyle();
    for (const [route, component] of ROUTES) registry.registerCustomRoute(route, component);
  }
}

window.registerPlugin(id, new OAuthPluginUI());
