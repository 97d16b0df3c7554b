import { readFileSync } from 'node:fs';

import react from '@vitejs/plugin-react';
import type { Connect, Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

import { DEFAULT_MODEL_ID } from './src/build/modelIndex.ts';
import { modelsPlugin } from './src/build/modelsPlugin.ts';
import { onDemandFiles, precachePlugin } from './src/build/precachePlugin.ts';

// Cross-origin isolation: SharedArrayBuffer, hence multithreaded ORT WASM, needs both headers.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The Hugging Face Hub the page fetches `hf:` models from (huggingface_hub's variable). */
const hfEndpoint = (process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');

/**
 * `connect-src https:` already reaches the real Hub and the CDN hosts it redirects to. A hub at
 * an http address (a local stand-in, as the e2e tests start) is added, with every port of its
 * host: its redirects go to another port there, as the real Hub's go to another host.
 */
function withHub(csp: string): string {
  const hub = new URL(hfEndpoint);
  if (hub.protocol === 'https:') return csp;
  return csp.replace(
    /connect-src ([^;]*)/,
    `connect-src $1 ${hub.origin} ${hub.protocol}//${hub.hostname}:*`,
  );
}

/**
 * The headers public/_headers gives every path (`/*`), as Netlify and Cloudflare Pages send them:
 * `vite preview`, which the e2e tests drive, then serves the build under the same
 * Content-Security-Policy as a real host. Not used by `vite dev`, whose React refresh needs
 * inline scripts.
 */
function staticHostHeaders(): Record<string, string> {
  const lines = readFileSync(new URL('./public/_headers', import.meta.url), 'utf8').split('\n');
  const headers: Record<string, string> = {};
  let inAllPaths = false;
  for (const line of lines) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      inAllPaths = line.trim() === '/*';
    } else if (inAllPaths) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      headers[name] = name === 'Content-Security-Policy' ? withHub(value) : value;
    }
  }
  return headers;
}

// `vite preview` gzips responses on the fly when their Content-Type is empty or textual; a
// several-hundred-MB .onnx then takes 10x longer to arrive. This middleware runs before the
// compression middleware: it hides Accept-Encoding and fixes the Content-Type for .onnx files.
const onnxAsBinary: Connect.NextHandleFunction = (req, res, next) => {
  const path = (req.url ?? '').split('?')[0] ?? '';
  if (path.endsWith('.onnx')) {
    delete req.headers['accept-encoding'];
    res.setHeader('Content-Type', 'application/octet-stream');
  }
  next();
};

function serveOnnxAsBinary(): Plugin {
  return {
    name: 'mae-lens:onnx-as-binary',
    configureServer(server) {
      server.middlewares.use(onnxAsBinary);
    },
    configurePreviewServer(server) {
      server.middlewares.use(onnxAsBinary);
    },
  };
}

/** The built _headers carry the same Content-Security-Policy as `vite preview` sends. */
function hubHeaders(): Plugin {
  return {
    name: 'mae-lens:hub-headers',
    apply: 'build',
    generateBundle() {
      const source = readFileSync(new URL('./public/_headers', import.meta.url), 'utf8');
      const rewritten = source.replace(
        /(Content-Security-Policy: )(.*)/,
        (_, key: string, csp: string) => key + withHub(csp),
      );
      // public/ is copied as is; this asset replaces its _headers in the output.
      this.emitFile({ type: 'asset', fileName: '_headers', source: rewritten });
    },
  };
}

export default defineConfig({
  define: { 'import.meta.env.VITE_HF_ENDPOINT': JSON.stringify(hfEndpoint) },
  // Relative base: the build works from any sub-path of a static host.
  base: './',
  plugins: [
    react(),
    serveOnnxAsBinary(),
    modelsPlugin(),
    hubHeaders(),
    precachePlugin({
      worker: 'coi-sw.js',
      // Host configuration, never fetched by the page.
      exclude: [/^_headers$/, /\.map$/],
      onDemand: onDemandFiles(DEFAULT_MODEL_ID),
    }),
  ],
  server: { headers: isolationHeaders },
  preview: { headers: { ...isolationHeaders, ...staticHostHeaders() } },
  worker: { format: 'es' },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'tests/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        // Builds the app and drives it in Chromium: run on its own with `npm run test:e2e`.
        extends: true,
        test: {
          name: 'e2e',
          // *.e2e.ts rather than *.test.ts, so no unit-test glob over tests/ picks them up.
          include: ['tests/e2e/**/*.e2e.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
