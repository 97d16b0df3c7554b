/*
 * Cross-origin isolation for hosts that cannot send headers (GitHub Pages): this service worker
 * re-serves the site's own responses with COOP and COEP, which is what makes the page
 * `crossOriginIsolated` and ORT multithreaded. src/ui/isolation.ts registers it only when the
 * host's headers did not isolate the page. Other origins' responses pass through untouched: with
 * COEP require-corp they need CORS (or Cross-Origin-Resource-Policy) from their own server.
 */
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function withIsolationHeaders(response) {
  // Opaque and error responses cannot be rebuilt; the browser handles them as it would anyway.
  if (response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0)
    return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (new URL(request.url).origin !== self.location.origin) return;
  // fetch() refuses this combination (a devtools quirk); leave it to the browser.
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(fetch(request).then(withIsolationHeaders));
});
