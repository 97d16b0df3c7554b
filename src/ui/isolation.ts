/**
 * The fallback for hosts that cannot send COOP/COEP (GitHub Pages): public/coi-sw.js adds them.
 * A service worker only controls pages loaded after it, hence one reload. If it still does not
 * isolate the page (or service workers are unavailable), the app runs on one thread and says so.
 */
import { SERVICE_WORKER_URL } from './siteWorker';

/** Set before the reload, so a browser that ignores the worker's headers cannot loop. */
const RELOADED_KEY = 'mae-lens:coi-reloaded';
/** Installing coi-sw.js takes milliseconds; much longer means it is not going to happen. */
const READY_TIMEOUT_MS = 3000;

/** True when the page is about to reload under the service worker: the app should not start. */
export async function isolateWithServiceWorker(): Promise<boolean> {
  if (globalThis.crossOriginIsolated || !globalThis.isSecureContext || !('serviceWorker' in navigator)) {
    return false;
  }
  if (navigator.serviceWorker.controller || sessionStorage.getItem(RELOADED_KEY) !== null) return false;
  try {
    await navigator.serviceWorker.register(SERVICE_WORKER_URL);
    // A blocked worker never becomes ready: waiting for it would keep the app from starting.
    const timeout = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), READY_TIMEOUT_MS),
    );
    if ((await Promise.race([navigator.serviceWorker.ready, timeout])) === 'timeout') return false;
  } catch {
    // Refused (private modes, some embedded browsers): run single-threaded.
    return false;
  }
  sessionStorage.setItem(RELOADED_KEY, '1');
  window.location.reload();
  return true;
}
