/**
 * The page's side of the site's service worker (public/coi-sw.js) for offline use: registering
 * it, asking it to cache the app, noticing a newer build waiting, and letting that build take
 * over only when the user clicks. src/ui/isolation.ts registers the same worker earlier where the
 * host sends no COOP/COEP.
 */
import { listedFiles } from '../formats/config';
import { clearModelCache } from '../runtime/modelFiles';
import { remoteModelCached } from '../runtime/remoteModel';
import type { OfflineServices } from './store';

export const SERVICE_WORKER_URL = `${import.meta.env.BASE_URL}coi-sw.js`;

/** A page left open still hears of new builds; navigations check on their own. */
const UPDATE_CHECK_MS = 60 * 60 * 1000;
/** A first install takes well under a second (it caches nothing before it activates). */
const CONTROL_TIMEOUT_MS = 3000;

type PrecacheReply = { type: 'precached'; version: string } | { type: 'precache-failed'; message: string };

function ask(worker: ServiceWorker, message: { type: string }): Promise<PrecacheReply> {
  const channel = new MessageChannel();
  const reply = new Promise<PrecacheReply>((resolve) => {
    channel.port1.onmessage = (event: MessageEvent<PrecacheReply>) => resolve(event.data);
  });
  worker.postMessage(message, [channel.port2]);
  return reply;
}

export interface SiteWorker extends OfflineServices {
  /**
   * Resolves once the worker controls the page (at once after the first visit), or after a short
   * wait where it does not: files fetched through it are downloaded once, not again for its cache.
   */
  untilControlled(): Promise<void>;
}

/** Undefined under `vite dev` (whose modules change under the page) and where there are no service workers. */
export function createOfflineServices(): SiteWorker | undefined {
  if (import.meta.env.DEV || !globalThis.isSecureContext || !('serviceWorker' in navigator)) return undefined;
  const container = navigator.serviceWorker;
  let registration: Promise<ServiceWorkerRegistration> | null = null;
  const register = () => (registration ??= container.register(SERVICE_WORKER_URL));

  return {
    async cacheApp() {
      await register();
      const { active } = await container.ready;
      if (!active) throw new Error('the service worker did not start');
      const reply = await ask(active, { type: 'precache' });
      if (reply.type === 'precache-failed') throw new Error(reply.message);
    },

    async untilControlled() {
      if (container.controller) return;
      const registration = await register().catch(() => null);
      // Refused, or active yet not in control (a hard reload): it will not take this page.
      if (!registration || registration.active?.state === 'activated' || container.controller) return;
      await new Promise<void>((resolve) => {
        container.addEventListener('controllerchange', () => resolve(), { once: true });
        setTimeout(resolve, CONTROL_TIMEOUT_MS);
      });
    },

    watchForUpdate(onReady) {
      void register().then(
        (worker) => {
          // `controller`: a first install is not an update, there is no older page to replace.
          const check = () => {
            if (worker.waiting && container.controller) onReady();
          };
          const follow = (installing: ServiceWorker | null) =>
            installing?.addEventListener('statechange', check);
          check();
          follow(worker.installing);
          worker.addEventListener('updatefound', () => follow(worker.installing));
          setInterval(() => void worker.update().catch(() => undefined), UPDATE_CHECK_MS);
        },
        () => undefined, // cacheApp reports a refused registration.
      );
    },

    applyUpdate() {
      void register().then((worker) => {
        if (!worker.waiting) return;
        container.addEventListener('controllerchange', () => window.location.reload(), { once: true });
        worker.waiting.postMessage({ type: 'skip-waiting' });
      });
    },

    async storageUsage() {
      const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
      return estimate?.usage ?? null;
    },

    async appFilesCached(configPath, config) {
      // The worker's cache keys are the files' URLs; the page's own model cache uses other keys.
      const configUrl = new URL(`${import.meta.env.BASE_URL}${configPath}`, window.location.href);
      const files = listedFiles(config.files).map((file) => new URL(file.path, configUrl));
      const found = await Promise.all(
        [configUrl, ...files].map(async (url) => (await caches.match(url.href)) !== undefined),
      );
      return found.every(Boolean);
    },

    modelFilesCached: remoteModelCached,
    clearModelCache,
  };
}
