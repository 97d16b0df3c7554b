/**
 * Offline use, as the page shows it: whether the site's service worker has the app (and the model
 * on show) cached, how much storage the origin uses, and whether a newer build is waiting to be
 * loaded. The worker itself is public/coi-sw.js; src/ui/siteWorker.ts talks to it.
 */
import { modelConfigUrl } from '../../runtime/modelSource';
import { errorText } from '../../shared/errorText';
import type { OfflineSlice, SliceCreator } from './types';

export const createOfflineSlice: SliceCreator<OfflineSlice> =
  ({ offline: services }) =>
  (set, get, api) => {
    /** Refreshes overlap (a model load and the app cache finish together): the last one started wins. */
    let refreshes = 0;

    async function modelCached(): Promise<boolean | null> {
      const { model, config, appCache } = get();
      if (!model || !config || model.kind === 'local') return null;
      if (model.kind === 'bundled') {
        const entry = get().models.find((m) => m.id === model.id);
        return (
          appCache === 'ready' &&
          entry !== undefined &&
          services !== undefined &&
          services.appFilesCached(entry.config, config)
        );
      }
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
            (error: unknown) => set({ appCache: 'failed', appCacheError: errorText(error) }),
          )
          .finally(() => void get().refreshOfflineStatus());
        // A model that finished loading has just been cached (or not): say so.
        api.subscribe((state, previous) => {
          if (state.config !== previous.config) void get().refreshOfflineStatus();
        });
      },

      async refreshOfflineStatus() {
        if (!services) return;
        const refresh = ++refreshes;
        const [cached, usage] = await Promise.all([modelCached(), services.storageUsage()]);
        if (refresh === refreshes) set({ modelCached: cached, storageUsage: usage });
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
