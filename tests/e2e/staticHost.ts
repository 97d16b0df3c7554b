/**
 * A plain Node file server for dist/ (not Vite), as a static host serves it: folders mounted
 * under URL prefixes, and the _headers rules of public/_headers applied when given.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

import { freePort } from './harness';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
};

export interface HeaderRule {
  pattern: RegExp;
  headers: [string, string][];
}

/** The _headers format as Netlify and Cloudflare Pages read it: a path pattern, then indented headers. */
export function parseHeadersFile(text: string): HeaderRule[] {
  const rules: HeaderRule[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      const escaped = line.trim().replace(/[.+?^${}()|[\]\\]/g, '\\$&');
      rules.push({ pattern: new RegExp(`^${escaped.replaceAll('*', '.*')}$`), headers: [] });
      continue;
    }
    const colon = line.indexOf(':');
    rules.at(-1)?.headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return rules;
}

export interface Site {
  /** URL prefix → folder served under it; read per request, so a test can swap the folder. */
  mounts: Record<string, string>;
  /** Headers for every response whose path (relative to its mount, with a leading /) matches. */
  rules?: HeaderRule[];
  /** Extra headers per mount prefix. */
  mountHeaders?: Record<string, Record<string, string>>;
  /** While true, every connection is dropped: the network is gone, as far as the page can tell. */
  down?: boolean;
}

function serve(site: Site) {
  return async (request: IncomingMessage, response: ServerResponse) => {
    if (site.down) return void request.socket.destroy();
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const prefix = Object.keys(site.mounts).find((mount) => path.startsWith(mount));
    if (prefix === undefined) return void response.writeHead(404).end();
    // CORS headers go on errors too: otherwise a cross-origin 404 reads as a CORS failure.
    for (const [name, value] of Object.entries(site.mountHeaders?.[prefix] ?? {})) {
      response.setHeader(name, value);
    }
    const folder = site.mounts[prefix]!;
    const relative = `/${path.slice(prefix.length)}`;
    let file = normalize(join(folder, relative));
    if (!file.startsWith(folder + sep) && file !== folder) return void response.writeHead(403).end();
    if ((await stat(file).catch(() => null))?.isDirectory()) file = join(file, 'index.html');
    const body = await readFile(file).catch(() => null);
    if (!body) return void response.writeHead(404).end();
    response.setHeader('Content-Type', CONTENT_TYPES[extname(file)] ?? 'application/octet-stream');
    for (const rule of site.rules ?? []) {
      if (rule.pattern.test(relative))
        for (const [name, value] of rule.headers) response.setHeader(name, value);
    }
    response.end(body);
  };
}

export async function listen(site: Site): Promise<{ server: Server; origin: string }> {
  const port = await freePort();
  const server = createServer((request, response) => {
    serve(site)(request, response).catch(() => response.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${port}` };
}
