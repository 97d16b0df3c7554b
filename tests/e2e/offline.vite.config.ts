/**
 * The second build of tests/e2e/offline.e2e.ts: the app's own config, plus a marker in index.html,
 * so the test can tell which build a page runs after an update.
 */
import { mergeConfig, type Plugin } from 'vite';

import appConfig from '../../vite.config';

const marker: Plugin = {
  name: 'e2e:second-build-marker',
  transformIndexHtml: (html) =>
    html.replace('</head>', '<meta name="mae-lens-e2e-build" content="second" /></head>'),
};

export default mergeConfig(appConfig, { plugins: [marker] });
