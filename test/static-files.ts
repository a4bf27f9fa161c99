// Serving built files and checkpoint folders over loopback HTTP to a runtime under test (Chromium,
// workerd, edge-runtime), with the content types a browser insists on and no path out of a root.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** `relative` inside `root`, or undefined for a path that would leave it. */
export function inside(root: string, relative: string): string | undefined {
  const file = path.resolve(root, `.${path.posix.normalize(`/${relative}`)}`);
  return file.startsWith(`${root}${path.sep}`) ? file : undefined;
}

export function serveFile(response: http.ServerResponse, file: string | undefined): void {
  const stat = file === undefined ? undefined : fs.statSync(file, { throwIfNoEntry: false });
  if (file === undefined || !stat?.isFile()) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, {
    'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': stat.size,
  });
  fs.createReadStream(file).pipe(response);
}

/** Listens on 127.0.0.1 at a free port. */
export function listenOnLoopback(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** Serves each folder of `folders` under /<name>/ on 127.0.0.1; the URL of the root. */
export async function serveFolders(folders: Map<string, string>): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((request, response) => {
    const route = /^\/([^/]+)\/(.+)$/.exec(new URL(request.url ?? '/', 'http://localhost').pathname);
    const folder = route && folders.get(route[1]);
    serveFile(response, folder ? inside(folder, decodeURIComponent(route[2])) : undefined);
  });
  const port = await listenOnLoopback(server);
  return { server, url: `http://127.0.0.1:${port}` };
}

export function closeServer(server: http.Server): void {
  server.closeAllConnections();
  server.close();
}
