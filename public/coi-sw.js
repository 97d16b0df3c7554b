/*
 * The site's one service worker (a scope has one), with two jobs:
 *
 * 1. Cross-origin isolation for hosts that cannot send headers (GitHub Pages): every same-origin
 *    response, from the network or from the cache, is re-served with COOP and COEP, which is what
 *    makes the page `crossOriginIsolated` and ORT multithreaded. Other origins' responses pass
 *    through untouched: with COEP require-corp they need CORS (or Cross-Origin-Resource-Policy)
 *    from their own server. Models from other origins stay in the page's own model cache
 *    (src/runtime/modelFiles.ts), checked against their SHA-256; this worker never stores them.
 * 2. Offline use: the app shell (index.html, scripts, styles, onnxruntime's .wasm/.mjs, the
 *    samples, the default model, the web app manifest and icons; other models under models/ and
 *    the WebGPU build once first fetched) is kept in a cache named after the build.
 *    src/build/precachePlugin.ts writes the build's list of files, each with its SHA-256, into
 *    PRECACHE below; a new build therefore is a new worker. It installs next to the
 *    running one, fills its own cache (reusing unchanged files, checking every file's hash, so a
 *    half-deployed site cannot end up cached) and waits: the page offers "A new version is
 *    ready — reload", and only that click (the `skip-waiting` message) lets it take over. On
 *    activation every other shell cache is deleted.
 *
 * Written by hand rather than generated with Workbox (vite-plugin-pwa): every response has to be
 * rebuilt with the isolation headers, cached or not, which in Workbox means a plugin on each
 * strategy plus a catch-all route around the same code; the first install must activate at once
 * and fill its cache later (see `install`), or the isolation reload would wait for the whole
 * download; and workbox-build brings Babel and Rollup into the build for what is a list of files
 * and their hashes that Vite's output already gives (src/build/precachePlugin.ts).
 */

// Replaced by the build with { version, entries: [{ url, sha256, onDemand? }] }, URLs relative to
// the scope. Null under `vite dev`, where the worker only adds the isolation headers.
const PRECACHE = /* mae-lens:precache-manifest */ null;

const SHELL_CACHE_PREFIX = 'mae-lens-shell-';
const SHELL_CACHE = PRECACHE && `${SHELL_CACHE_PREFIX}${PRECACHE.version}`;
/** Stored with each cached copy, so a later build can reuse the files that did not change. */
const HASH_HEADER = 'X-MAE-Lens-SHA256';

const scope = self.registration.scope;
/** Absolute URL → manifest entry. */
const ENTRIES = new Map((PRECACHE?.entries ?? []).map((entry) => [new URL(entry.url, scope).href, entry]));
const INDEX_URL = new URL('index.html', scope).href;

function withIsolationHeaders(response) {
  // Opaque and error responses cannot be rebuilt; the browser handles them as it would anyway.
  if (response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0)
    return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** The cache key of a request for a shell file (the scope itself is index.html), else null. */
function shellKey(request) {
  if (!PRECACHE || request.method !== 'GET' || request.headers.has('Range')) return null;
  const url = new URL(request.url);
  url.search = '';
  url.hash = '';
  const key = url.href === scope ? INDEX_URL : url.href;
  return ENTRIES.has(key) ? key : null;
}

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Shell files being stored now, by key, registered before their download starts: the precache
 * and the page's own requests then share one download.
 */
const storing = new Map();

/**
 * Stores the response `fetchResponse` gives under `key` if its bytes are this build's: a file
 * from another deploy (the host half-updated, or already newer) is not kept, so nothing stale
 * reaches the cache. A copy from an earlier build's cache carries its checked hash already.
 */
function store(key, fetchResponse) {
  if (storing.has(key)) return storing.get(key);
  const job = (async () => {
    const response = await fetchResponse();
    const expected = ENTRIES.get(key).sha256;
    const cache = await caches.open(SHELL_CACHE);
    if (response.headers.get(HASH_HEADER) === expected) return cache.put(key, response);
    if (!response.ok) throw new Error(`${key}: HTTP ${response.status}`);
    const bytes = await response.arrayBuffer();
    const actual = await sha256Hex(bytes);
    if (actual !== expected) throw new Error(`${key}: SHA-256 ${actual}, this build has ${expected}`);
    const headers = new Headers(response.headers);
    headers.set(HASH_HEADER, actual);
    // The body is stored decoded: the host's compression no longer applies to it.
    headers.delete('Content-Encoding');
    headers.set('Content-Length', String(bytes.byteLength));
    return cache.put(key, new Response(bytes, { status: 200, statusText: 'OK', headers }));
  })().finally(() => storing.delete(key));
  storing.set(key, job);
  return job;
}

/** The same file from an earlier build's cache, when its hash has not changed. */
async function reusable(key) {
  const sha256 = ENTRIES.get(key).sha256;
  for (const name of await caches.keys()) {
    if (!name.startsWith(SHELL_CACHE_PREFIX) || name === SHELL_CACHE) continue;
    const cached = await (await caches.open(name)).match(key);
    if (cached?.headers.get(HASH_HEADER) === sha256) return cached;
  }
  return null;
}

/** Fills this build's cache with every file that is not fetched on demand; safe to repeat. */
async function precache() {
  const cache = await caches.open(SHELL_CACHE);
  const wanted = [...ENTRIES].filter(([, entry]) => !entry.onDemand).map(([key]) => key);
  await Promise.all(
    wanted.map(async (key) => {
      if (storing.has(key) || !(await cache.match(key)))
        // `no-cache`: revalidated with the server, so an HTTP-cached copy of an older deploy is not taken.
        await store(key, async () => (await reusable(key)) ?? fetch(key, { cache: 'no-cache' }));
    }),
  );
}

self.addEventListener('install', (event) => {
  if (!PRECACHE || !self.registration.active) {
    // First install: no page runs older code, so take over at once. The page asks for the
    // precache (`precache` message) once it runs: waiting for the download here would hold up
    // the isolation reload (src/ui/isolation.ts) and the first visit.
    event.waitUntil(self.skipWaiting());
    return;
  }
  // An update: complete before the page is offered the reload.
  event.waitUntil(precache());
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith(SHELL_CACHE_PREFIX) && name !== SHELL_CACHE)
          .map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  const reply = event.ports[0];
  switch (event.data?.type) {
    case 'precache':
      event.waitUntil(
        (PRECACHE ? precache() : Promise.reject(new Error('this worker has no precache list'))).then(
          () => reply?.postMessage({ type: 'precached', version: PRECACHE.version }),
          (error) =>
            reply?.postMessage({ type: 'precache-failed', message: String(error?.message ?? error) }),
        ),
      );
      break;
    case 'skip-waiting':
      // Sent only when the user clicks "reload": the page reloads as soon as this worker controls it.
      event.waitUntil(self.skipWaiting());
      break;
  }
});

async function respond(event, key) {
  const { request } = event;
  if (key === null) return fetch(request);
  // `reload`: the page found a copy that failed its check (src/runtime/modelFiles.ts) and wants the server's.
  if (request.cache !== 'reload') {
    if (storing.has(key)) await storing.get(key).catch(() => undefined);
    const cached = await (await caches.open(SHELL_CACHE)).match(key);
    if (cached) return cached;
  }
  if (storing.has(key)) return fetch(request);
  // A file used before the precache reached it (or an on-demand one) is kept as it goes by,
  // registered before the download starts so that the precache waits for it instead.
  let handOver;
  const copy = new Promise((resolve) => (handOver = resolve));
  event.waitUntil(
    store(key, async () => {
      const response = await copy;
      if (!response) throw new Error(`${key}: not fetched`);
      return response;
    }).catch(() => undefined),
  );
  return fetch(request).then(
    (response) => {
      handOver(response.status === 200 ? response.clone() : null);
      return response;
    },
    (error) => {
      handOver(null);
      throw error;
    },
  );
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (new URL(request.url).origin !== self.location.origin) return;
  // fetch() refuses this combination (a devtools quirk); leave it to the browser.
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(respond(event, shellKey(request)).then(withIsolationHeaders));
});
