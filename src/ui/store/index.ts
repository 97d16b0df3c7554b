/** The app's one store: six slices over one state, and the React hook that reads it. */
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';

import { createCameraSlice } from './cameraSlice';
import { createInputSlice } from './inputSlice';
import { createModelSlice } from './modelSlice';
import { createOfflineSlice } from './offlineSlice';
import { createResultSlice } from './resultSlice';
import { createStepperSlice } from './stepperSlice';
import type { AppServices, AppState } from './types';

export { randomSeed } from './inputSlice';
export {
  isBusy,
  isOfflineReady,
  maskSpecOf,
  modelGeometry,
  runKey,
  sourceLabel,
  visibleOfTotal,
} from './selectors';
export type * from './types';

export type AppStore = StoreApi<AppState>;

export function createAppStore(services: AppServices): AppStore {
  return createStore<AppState>()((...api) => ({
    ...createInputSlice(services)(...api),
    ...createModelSlice(services)(...api),
    ...createResultSlice(services)(...api),
    ...createStepperSlice(services)(...api),
    ...createCameraSlice(services)(...api),
    ...createOfflineSlice(services)(...api),
  }));
}

export const AppStoreContext = createContext<AppStore | null>(null);

export function useAppStore<T>(selector: (state: AppState) => T): T {
  const store = useContext(AppStoreContext);
  if (!store) throw new Error('useAppStore needs an <AppStoreContext.Provider>');
  return useStore(store, selector);
}
