import { describe, expect, it } from 'vitest';

import {
  type BuiltFile,
  injectManifest,
  onDemandFiles,
  PRECACHE_PLACEHOLDER,
  precacheManifest,
  sha256Hex,
} from './precachePlugin';

const options = {
  worker: 'coi-sw.js',
  exclude: [/^_headers$/],
  onDemand: [/\.asyncify-[^/]+\.wasm$/],
};

function file(path: string, text: string): BuiltFile {
  return { path, bytes: new TextEncoder().encode(text) };
}

const build = [
  file('index.html', '<!doctype html>'),
  file('coi-sw.js', PRECACHE_PLACEHOLDER),
  file('_headers', '/*'),
  file('assets/ort-wasm-simd-threaded.asyncify-X1.wasm', 'webgpu'),
  file('assets/index-A1.js', 'app'),
  file('models/mae-small/encoder.onnx', 'weights'),
];

describe('precacheManifest', () => {
  it('lists every file of the site but the worker and the host configuration, with its SHA-256', () => {
    const { entries } = precacheManifest(build, options);
    expect(entries.map((entry) => entry.url)).toEqual([
      'assets/index-A1.js',
      'assets/ort-wasm-simd-threaded.asyncify-X1.wasm',
      'index.html',
      'models/mae-small/encoder.onnx',
    ]);
    expect(entries[0]).toEqual({ url: 'assets/index-A1.js', sha256: sha256Hex('app') });
    expect(entries[1]?.onDemand).toBe(true);
    expect(entries.filter((entry) => entry.onDemand)).toHaveLength(1);
  });

  it('names a new version when any byte changes, and the same one for the same files in any order', () => {
    const { version } = precacheManifest(build, options);
    expect(precacheManifest([...build].reverse(), options).version).toBe(version);
    const changed = build.map((f) => (f.path === 'index.html' ? file(f.path, '<!doctype html> ') : f));
    expect(precacheManifest(changed, options).version).not.toBe(version);
    // The worker's own bytes do not count: it is what carries the version.
    const otherWorker = build.map((f) => (f.path === 'coi-sw.js' ? file(f.path, 'x') : f));
    expect(precacheManifest(otherWorker, options).version).toBe(version);
  });
});

describe('injectManifest', () => {
  it('writes the list in place of the placeholder, as a JavaScript object literal', () => {
    const manifest = precacheManifest(build, options);
    const source = `const PRECACHE = ${PRECACHE_PLACEHOLDER};\nself.list = PRECACHE;`;
    const injected = injectManifest(source, manifest);
    const scope: { list?: unknown } = {};
    new Function('self', injected)(scope);
    expect(scope.list).toEqual(manifest);
  });

  it('fails the build when the worker has no placeholder, or two', () => {
    const manifest = precacheManifest(build, options);
    expect(() => injectManifest('const PRECACHE = null;', manifest)).toThrow(/exactly once/);
    expect(() => injectManifest(`${PRECACHE_PLACEHOLDER} ${PRECACHE_PLACEHOLDER}`, manifest)).toThrow(
      /exactly once/,
    );
  });
});

describe('onDemandFiles', () => {
  it('leaves the default model to the precache and every other model folder to first use', () => {
    const onDemand = (path: string) => onDemandFiles('mae-small').some((re) => re.test(path));
    expect(onDemand('models/mae-small/encoder.onnx')).toBe(false);
    expect(onDemand('models/mae-small/config.json')).toBe(false);
    expect(onDemand('models/index.json')).toBe(false);
    expect(onDemand('models/mae-small-int8/encoder.onnx')).toBe(true);
    expect(onDemand('models/random-base/decoder.onnx')).toBe(true);
    expect(onDemand('assets/ort-wasm-simd-threaded.asyncify-D5D0fo7z.wasm')).toBe(true);
    expect(onDemand('assets/ort-wasm-simd-threaded-DcHrbrbl.wasm')).toBe(false);
  });
});
