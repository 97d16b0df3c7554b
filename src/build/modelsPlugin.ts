/**
 * Vite plugin: the model folders under models/ become part of the app without a second copy in
 * git. The dev server serves them (and a freshly generated models/index.json) straight from
 * models/; `vite build` copies the files each config.json lists into dist/models/ and writes the
 * index there, so `vite preview` and any static host serve them as plain files.
 */
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';

import type { Connect, Plugin, ResolvedConfig } from 'vite';

import { buildModelIndex, scanModels } from './modelIndex.ts';

function contentType(path: string): string {
  return path.endsWith('.json') ? 'application/json' : 'application/octet-stream';
}

function devMiddleware(modelsDir: string, urlPrefix: string): Connect.NextHandleFunction {
  return (req, res, next) => {
    const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
    if (!path.startsWith(urlPrefix)) return next();
    const rest = path.slice(urlPrefix.length);
    try {
      // Rescanned per request so a model exported while the server runs shows up on reload.
      const folders = scanModels(modelsDir);
      if (rest === 'index.json') {
        res.setHeader('Content-Type', 'application/json');
        res.setHeader('Cache-Control', 'no-cache');
        res.end(JSON.stringify(buildModelIndex(folders)));
        return;
      }
      const file = resolve(modelsDir, rest);
      // Only files a config.json lists are served: nothing else under models/ leaks out.
      const listed = folders.some((folder) => folder.files.includes(file));
      if (!listed || !file.startsWith(modelsDir + sep)) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.setHeader('Content-Type', contentType(file));
      res.setHeader('Cache-Control', 'no-cache');
      createReadStream(file).on('error', next).pipe(res);
    } catch (error) {
      next(error);
    }
  };
}

export function modelsPlugin(modelsDirName = 'models'): Plugin {
  let config: ResolvedConfig;
  let modelsDir: string;
  return {
    name: 'mae-lens:models',
    configResolved(resolved) {
      config = resolved;
      modelsDir = resolve(resolved.root, modelsDirName);
    },
    configureServer(server) {
      server.middlewares.use(devMiddleware(modelsDir, `${config.base}models/`));
    },
    async writeBundle() {
      const folders = scanModels(modelsDir);
      const outModels = resolve(config.root, config.build.outDir, 'models');
      for (const folder of folders) {
        for (const file of folder.files) {
          const target = join(outModels, relative(modelsDir, file));
          await mkdir(dirname(target), { recursive: true });
          await copyFile(file, target);
        }
      }
      await mkdir(outModels, { recursive: true });
      await writeFile(join(outModels, 'index.json'), JSON.stringify(buildModelIndex(folders), null, 2));
    },
  };
}
