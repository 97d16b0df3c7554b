/**
 * Vite plugin: after `vite build` has written dist/ (the app, onnxruntime's files, the samples and
 * the bundled models that modelsPlugin copies), lists every file with its SHA-256 and writes that
 * list into dist/coi-sw.js, the service worker, in place of its placeholder. The worker precaches
 * those files for offline use; the list's hash names its cache, so every build that changes a
 * byte is a new worker with a new cache (public/coi-sw.js says how updates then happen).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';

import type { Plugin, ResolvedConfig } from 'vite';

/** Where the list goes in the worker; the plugin fails the build if it is not there. */
export const PRECACHE_PLACEHOLDER = '/* mae-lens:precache-manifest */ null';

export interface PrecacheEntry {
  /** Relative to the worker's scope (the folder of index.html). */
  url: string;
  sha256: string;
  /** Cached when first used rather than at install. */
  onDemand?: true;
}

export interface PrecacheManifest {
  version: string;
  entries: PrecacheEntry[];
}

export interface PrecacheOptions {
  /** The worker, relative to the output folder. */
  worker: string;
  /** Output files that are not part of the site (host configuration). */
  exclude: RegExp[];
  /** Files only some browsers fetch, worth keeping once fetched but not worth downloading everywhere. */
  onDemand: RegExp[];
}

/**
 * What this site caches only once used: onnxruntime's WebGPU build (27 MB; only the machines that
 * run WebGPU fetch it) and every model folder beside the default one (a developer's bench exports
 * are 0.5 GB at base size: kept once opened, never downloaded for every visitor).
 */
export function onDemandFiles(defaultModelId: string): RegExp[] {
  return [/\.asyncify-[^/]+\.(wasm|mjs)$/, new RegExp(`^models/(?!${defaultModelId}/)[^/]+/`)];
}

export interface BuiltFile {
  /** Relative to the output folder, with forward slashes. */
  path: string;
  bytes: Uint8Array;
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The worker's list: every file but the worker itself and the excluded ones, in path order. */
export function precacheManifest(files: BuiltFile[], options: PrecacheOptions): PrecacheManifest {
  const entries = files
    .filter((file) => file.path !== options.worker && !options.exclude.some((re) => re.test(file.path)))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((file): PrecacheEntry => {
      const entry: PrecacheEntry = { url: file.path, sha256: sha256Hex(file.bytes) };
      if (options.onDemand.some((re) => re.test(file.path))) entry.onDemand = true;
      return entry;
    });
  // 16 hex digits name the cache; a collision would need two builds to share 64 bits of hash.
  return { version: sha256Hex(JSON.stringify(entries)).slice(0, 16), entries };
}

/** The worker's source with the list written in. */
export function injectManifest(workerSource: string, manifest: PrecacheManifest): string {
  const at = workerSource.indexOf(PRECACHE_PLACEHOLDER);
  if (at < 0 || workerSource.indexOf(PRECACHE_PLACEHOLDER, at + 1) >= 0) {
    throw new Error(`the service worker must contain "${PRECACHE_PLACEHOLDER}" exactly once`);
  }
  return (
    workerSource.slice(0, at) +
    JSON.stringify(manifest) +
    workerSource.slice(at + PRECACHE_PLACEHOLDER.length)
  );
}

async function listFiles(folder: string): Promise<string[]> {
  const found = await readdir(folder, { recursive: true, withFileTypes: true });
  return found.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

export function precachePlugin(options: PrecacheOptions): Plugin {
  let config: ResolvedConfig;
  return {
    name: 'mae-lens:precache',
    apply: 'build',
    configResolved(resolved) {
      config = resolved;
    },
    // closeBundle: after every plugin's writeBundle, so the models are in dist/ too.
    async closeBundle() {
      const outDir = resolve(config.root, config.build.outDir);
      const paths = await listFiles(outDir);
      const files = await Promise.all(
        paths.map(async (path) => ({
          path: relative(outDir, path).split(sep).join('/'),
          bytes: new Uint8Array(await readFile(path)),
        })),
      );
      const worker = join(outDir, options.worker);
      const manifest = precacheManifest(files, options);
      await writeFile(worker, injectManifest(await readFile(worker, 'utf8'), manifest));
    },
  };
}
