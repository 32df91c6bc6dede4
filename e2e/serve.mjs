// A minimal static file server for dist/ on 127.0.0.1, used by the e2e suite
// and the measurements. Hand-written (a few lines of node:http) rather than a
// dependency: it only serves files with the right content types.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json',
};

/**
 * Serves `root` on 127.0.0.1:`port` (0 picks a free port) under the URL
 * path `base` (to check the app works from any base path); resolves to the
 * server.
 */
export function serve(root, port = 0, base = '/') {
  const server = createServer(async (req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!pathname.startsWith(base)) {
      res.writeHead(404).end('not found');
      return;
    }
    const path = normalize('/' + pathname.slice(base.length));
    const file = join(root, path.endsWith('/') ? join(path, 'index.html') : path);
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

// `node serve.mjs DIR PORT` serves until killed (Playwright's webServer).
if (import.meta.url === `file://${process.argv[1]}`) {
  const root = normalize(join(process.cwd(), process.argv[2] ?? '../dist'));
  const server = await serve(root, Number(process.argv[3] ?? 4173));
  console.log(`serving ${root} on http://127.0.0.1:${server.address().port}/`);
}
