// plugin.json: where the plugin lives and which files make it up.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PluginManifest {
  id: string;
  name: string;
  version: string;
  server: { executable: string };
  webapp?: { bundle_path?: string };
}

export interface PluginFiles {
  dir: string;
  manifest: PluginManifest;
  wasmPath: string;
  gluePath: string;
  bundlePath: string | null;
}

/** The repository root: the nearest folder above this file that holds plugin.json (works from src/ and dist/src/). */
export function defaultPluginDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'plugin.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('plugin.json not found above the host; set OAUTH_PLUGIN_DIR');
    dir = parent;
  }
  return dir;
}

/** wasm-bindgen names the glue after the module: <name>_bg.wasm ↔ <name>.js. */
export function gluePathFor(wasmPath: string): string {
  if (!wasmPath.endsWith('_bg.wasm')) throw new Error(`server.executable must end in _bg.wasm (wasm-bindgen output), got ${wasmPath}`);
  return wasmPath.slice(0, -'_bg.wasm'.length) + '.js';
}

export function readPluginFiles(dir: string): PluginFiles {
  const manifestPath = join(dir, 'plugin.json');
  let manifest: PluginManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PluginManifest;
  } catch (err) {
    throw new Error(`cannot read ${manifestPath}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof manifest.id !== 'string' || !/^[a-zA-Z0-9-_.]{3,190}$/.test(manifest.id)) throw new Error(`${manifestPath}: invalid id`);
  if (typeof manifest.server?.executable !== 'string') throw new Error(`${manifestPath}: server.executable is missing`);
  const wasmPath = resolve(dir, manifest.server.executable);
  const bundle = manifest.webapp?.bundle_path;
  return { dir, manifest, wasmPath, gluePath: gluePathFor(wasmPath), bundlePath: bundle ? resolve(dir, bundle) : null };
}
