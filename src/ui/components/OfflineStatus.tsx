import { formatBytes } from '../format';
import { type AppState, isOfflineReady, useAppStore } from '../store';

function statusText(state: AppState): string {
  switch (state.appCache) {
    case 'unsupported':
      return '';
    case 'saving':
      return 'Saving the app for offline use…';
    case 'failed':
      return `Not available offline: ${state.appCacheError ?? 'the app could not be cached'}`;
    case 'ready':
      return isOfflineReady(state) ? 'Offline-ready' : 'The app works offline; this model is not cached';
  }
}

/** One line under the model picker: what a reload without a network would bring back. */
export function OfflineStatus() {
  const appCache = useAppStore((s) => s.appCache);
  const ready = useAppStore(isOfflineReady);
  const text = useAppStore(statusText);
  const usage = useAppStore((s) => s.storageUsage);
  const clearCachedModels = useAppStore((s) => s.clearCachedModels);
  if (appCache === 'unsupported') return null;
  const dot = ready ? 'ready' : appCache === 'saving' ? 'downloading' : 'none';
  return (
    <div className="offline-status">
      <p role="status" className="offline-status__text">
        <span className={`status-dot status-dot--${dot}`} aria-hidden="true" />
        <span>
          {text}
          {usage !== null && <span className="offline-status__usage"> · {formatBytes(usage)} stored</span>}
        </span>
      </p>
      <button
        type="button"
        className="button button--small"
        title="Models opened by URL or from the Hub; the bundled model stays with the app"
        onClick={() => void clearCachedModels()}
      >
        Clear cached models
      </button>
    </div>
  );
}

/** Shown when a newer build is installed: it takes over only when asked, never under a running page. */
export function UpdateBanner() {
  const updateReady = useAppStore((s) => s.updateReady);
  const applyUpdate = useAppStore((s) => s.applyUpdate);
  if (!updateReady) return null;
  return (
    <div className="update-banner" role="status">
      <button type="button" className="button button--primary" onClick={applyUpdate}>
        A new version is ready — reload
      </button>
    </div>
  );
}
