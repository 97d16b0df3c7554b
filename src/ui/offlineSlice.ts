/**
 * Offline use, as the page shows it: whether the site's service worker has the app (and the model
 * on show) cached, how much storage the origin uses, and whether a newer build is waiting to be
 * loaded. The worker itself is public/coi-sw.js; src/ui/siteWorker.ts talks to it.
 */
import type { StateCreator } from 'zustand';
import type { ModelConfig } from '../mae/config';
import { modelConfigUrl } from '../runtime/modelSource';
import type { AppState } from './store';

/** What the slice does outside the store; absent where service workers are unavailable. */
export interface OfflineServices {
  /** Registers the worker and has it cache the app; resolves once everything is cached. */
  cacheApp(): Promise<void>;
  /** Calls `onReady` when a newer build is installed and waiting for the page's go-ahead. */
  watchForUpdate(onReady: () => void): void;
  /** Lets the waiting build take over, then reloads the page. */
  applyUpdate(): void;
  /** Bytes this origin stores (`navigator.storage.estimate()`), or null where unknown. */
  storageUsage(): Promise<number | null>;
  /** Whether a model from elsewhere has all its files in the model cache. */
  modelFilesCached(configUrl: string, config: ModelConfig): Promise<boolean>;
  clearModelCache(): Promise<void>;
}

export type AppCacheStatus = 'unsupported' | 'saving' | 'ready' | 'failed';

export interface OfflineSlice {
  appCache: AppCacheStatus;
  /** Why the app could not be cached, when appCache is 'failed'. */
  appCacheError: string | null;
  /**
   * Whether the files of the model on show are kept for offline use: bundled models come with
   * the app; a model from disk needs no cache (null).
   */
  modelCached: boolean | null;
  storageUsage: number | null;
  updateReady: boolean;
  /** Starts caching the app and watching for updates; called once by main.tsx. */
  startOffline(): void;
  refreshOfflineStatus(): Promise<void>;
  clearCachedModels(): Promise<void>;
  applyUpdate(): void;
}

/** Offline-ready: a reload without a network brings back the app and the model on show. */
export function isOfflineReady(state: OfflineSlice): boolean {
  return state.appCache === 'ready' && state.modelCached !== false;
}

export function createOfflineSlice(
  services: OfflineServices | undefined,
): StateCreator<AppState, [], [], OfflineSlice> {
  return (set, get, api) => {
    async function modelCached(): Promise<boolean | null> {
      const { model, config, appCache } = get();
      if (!model || !config || model.kind === 'local') return null;
      // The worker caches every bundled model with the app (the build lists them).
      if (model.kind === 'bundled') return appCache === 'ready';
      const configUrl = modelConfigUrl(model.spec);
      return configUrl !== null && services !== undefined && services.modelFilesCached(configUrl, config);
    }

    return {
      appCache: services ? 'saving' : 'unsupported',
      appCacheError: null,
      modelCached: null,
      storageUsage: null,
      updateReady: false,

      startOffline() {
        if (!services) return;
        services.watchForUpdate(() => set({ updateReady: true }));
        services
          .cacheApp()
          .then(
            () => set({ appCache: 'ready', appCacheError: null }),
            (error: unknown) =>
              set({
                appCache: 'failed',
                appCacheError: error instanceof Error ? error.message : String(error),
              }),
          )
          .finally(() => void get().refreshOfflineStatus());
        // A model that finished loading has just been cached (or not): say so.
        api.subscribe((state, previous) => {
          if (state.config !== previous.config) void get().refreshOfflineStatus();
        });
      },

      async refreshOfflineStatus() {
        if (!services) return;
        const [cached, usage] = await Promise.all([modelCached(), services.storageUsage()]);
        set({ modelCached: cached, storageUsage: usage });
      },

      async clearCachedModels() {
        if (!services) return;
        await services.clearModelCache();
        await get().refreshOfflineStatus();
      },

      applyUpdate() {
        services?.applyUpdate();
      },
    };
  };
}
