import type { AppState, AppStore } from './store';
import { formatUrlState, type UrlState } from './urlState';

export function urlStateOf(state: AppState): UrlState {
  const url: UrlState = { ratio: state.maskPercent, seed: state.seed };
  if (state.maskMode === 'block' || state.maskMode === 'grid') url.mask = state.maskMode;
  if (state.source?.kind === 'sample') url.sample = state.source.sampleId;
  if (state.model?.kind === 'bundled') url.model = state.model.id;
  if (state.model?.kind === 'url') url.model = state.model.spec;
  if (state.executionProvider !== 'auto') url.ep = state.executionProvider;
  return url;
}

/** Keeps the query string equal to the current sample, ratio, seed and model (no history spam). */
export function syncUrlWithStore(store: AppStore): () => void {
  return store.subscribe((state) => {
    const search = formatUrlState(urlStateOf(state));
    if (search !== window.location.search) {
      window.history.replaceState(window.history.state, '', `${window.location.pathname}${search}`);
    }
  });
}
