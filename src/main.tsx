import './ui/app.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { startInferenceWorker } from './runtime/inferenceClient';
import { App } from './ui/App';
import { isolateWithServiceWorker } from './ui/isolation';
import { createBrowserServices } from './ui/services';
import { AppStoreContext, createAppStore } from './ui/store';
import { parseUrlState } from './ui/urlState';
import { syncUrlWithStore } from './ui/urlSync';

function startApp(rootElement: HTMLElement): void {
  const store = createAppStore(createBrowserServices(startInferenceWorker()));
  // Started outside React so StrictMode's double effects cannot start it twice.
  void store.getState().start(parseUrlState(window.location.search));
  store.getState().startOffline();
  syncUrlWithStore(store);

  createRoot(rootElement).render(
    <StrictMode>
      <AppStoreContext.Provider value={store}>
        <App />
      </AppStoreContext.Provider>
    </StrictMode>,
  );
}

const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('index.html has no #root element');
void isolateWithServiceWorker().then((reloading) => {
  if (!reloading) startApp(rootElement);
});
