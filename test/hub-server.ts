// A Hugging Face hub on loopback for the hub tests: the resolve route with the real hub's headers
// (X-Repo-Commit, ETag, X-Linked-Etag, X-Linked-Size, X-Error-Code), LFS files redirected to a
// second "CDN" server on another port, Range requests, gated and missing repos, the model-info and
// file-tree routes huggingface_hub's snapshot_download asks first, CORS for pages, and faults on demand: a connection
// dropped half-way through a file, or a file served with one byte flipped. Every request is logged.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';

export interface HubRepo {
  id: string;
  /** commit → (path in the repo → file on disk) */
  commits: Record<string, Record<string, string>>;
  /** branch or tag → commit */
  refs: Record<string, string>;
  /** Set for a gated repo: the token that has access. */
  token?: string;
}

export interface LoggedRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  authorization?: string;
  range?: string;
}

interface Blob {
  file: string;
  size: number;
  /** sha256 for an LFS file, git blob sha1 for the rest, as the hub names them. */
  etag: string;
  lfs: boolean;
}

// Files the hub stores with Git LFS: the weights (the real hub also sends any large file there).
const isLfs = (repoPath: string) => repoPath.endsWith('.safetensors');

function hashOf(file: string, algorithm: string, prefix = ''): Promise<string> {
  const hash = crypto.createHash(algorithm).update(prefix);
  return new Promise((resolve, reject) => {
    fs.createReadStream(file).on('data', (chunk) => hash.update(chunk)).on('end', () => resolve(hash.digest('hex'))).on('error', reject);
  });
}

/** A folder's files by repo path ('1_Pooling/config.json'), hidden files left out. */
export function folderFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const file = path.join(dir, name);
    if (fs.statSync(file).isFile() && !name.split(path.sep).some((part) => part.startsWith('.'))) files[name.split(path.sep).join('/')] = file;
  }
  return files;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class LoopbackHub {
  readonly requests: LoggedRequest[] = [];
  /** The CDN drops this many of the next connections half-way through the bytes asked for. */
  dropConnections = 0;
  /** The CDN flips the first byte of every file it sends from its start. */
  corrupt = false;
  /** The CDN pauses this long after each 1 MiB, so that downloads overlap. */
  slowMs = 0;

  private readonly blobs = new Map<string, Blob>();

  private constructor(
    private readonly repos: HubRepo[],
    private readonly hub: http.Server,
    private readonly cdn: http.Server,
  ) {}

  static async start(repos: HubRepo[]): Promise<LoopbackHub> {
    const server = new LoopbackHub(repos, http.createServer(), http.createServer());
    const files = new Set(repos.flatMap((repo) => Object.values(repo.commits).flatMap((commit) => Object.entries(commit))));
    for (const [repoPath, file] of files) {
      const size = fs.statSync(file).size;
      const lfs = isLfs(repoPath);
      const etag = lfs ? await hashOf(file, 'sha256') : await hashOf(file, 'sha1', `blob ${size}\0`);
      server.blobs.set(file, { file, size, etag, lfs });
    }
    server.hub.on('request', (request, response) => server.onHub(request, response));
    server.cdn.on('request', (request, response) => void server.onCdn(request, response));
    for (const listener of [server.hub, server.cdn]) {
      listener.listen(0, '127.0.0.1');
      await once(listener, 'listening');
    }
    return server;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.hub.address() as AddressInfo).port}`;
  }

  private get cdnOrigin(): string {
    return `http://127.0.0.1:${(this.cdn.address() as AddressInfo).port}`;
  }

  /** The etag the hub gives the file a repo has at `path` in `commit`. */
  etagOf(repo: string, commit: string, repoPath: string): string {
    return this.blobs.get(this.repos.find((r) => r.id === repo)!.commits[commit][repoPath])!.etag;
  }

  requestsTo(server: 'hub' | 'cdn'): LoggedRequest[] {
    return this.requests.filter((request) => request.server === server);
  }

  async close(): Promise<void> {
    for (const listener of [this.hub, this.cdn]) {
      listener.closeAllConnections();
      await new Promise((resolve) => listener.close(resolve));
    }
  }

  /** Logs the request and answers a CORS preflight, as the real hub and CDN let pages fetch from them; true when answered. */
  private preflight(server: 'hub' | 'cdn', request: http.IncomingMessage, response: http.ServerResponse): boolean {
    this.log(server, request);
    response.setHeader('access-control-allow-origin', '*');
    response.setHeader('access-control-expose-headers', 'x-repo-commit, x-linked-etag, x-linked-size, etag, x-error-code, x-error-message, content-range');
    if (request.method !== 'OPTIONS') return false;
    response.writeHead(204, { 'access-control-allow-headers': 'authorization, range', 'access-control-allow-methods': 'GET, HEAD' }).end();
    return true;
  }

  private log(server: 'hub' | 'cdn', request: http.IncomingMessage): void {
    this.requests.push({
      server,
      method: request.method ?? 'GET',
      path: decodeURIComponent(new URL(request.url ?? '/', 'http://hub').pathname),
      authorization: request.headers.authorization,
      range: request.headers.range,
    });
  }

  /** The repo and commit a request may see, or the refusal the real hub sends instead. */
  private access(request: http.IncomingMessage, response: http.ServerResponse, id: string, revision: string): { repo: HubRepo; commit: string } | undefined {
    const token = request.headers.authorization?.replace(/^Bearer /, '');
    const repo = this.repos.find((r) => r.id === id);
    const refuse = (status: number, code: string, message: string) => {
      response.writeHead(status, { 'x-error-code': code, 'x-error-message': message, 'content-type': 'application/json' });
      response.end(request.method === 'HEAD' ? undefined : JSON.stringify({ error: message }));
    };
    // without a token, the real hub answers 401 for a repo that does not exist, as for a private one
    if (!repo) return void refuse(token ? 404 : 401, 'RepoNotFound', 'Repository not found');
    if (repo.token !== undefined && token !== repo.token) {
      return void refuse(token ? 403 : 401, 'GatedRepo', `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
    }
    const commit = repo.commits[revision] ? revision : repo.refs[revision];
    if (!commit) return void refuse(404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    return { repo, commit };
  }

  private onHub(request: http.IncomingMessage, response: http.ServerResponse): void {
    if (this.preflight('hub', request, response)) return;
    const parts = new URL(request.url ?? '/', 'http://hub').pathname.split('/').slice(1).map(decodeURIComponent);
    // huggingface_hub's snapshot_download: GET /api/models/{org}/{name}/revision/{revision}
    if (parts[0] === 'api' && parts[1] === 'models' && parts[4] === 'revision') {
      const found = this.access(request, response, `${parts[2]}/${parts[3]}`, parts.slice(5).join('/'));
      if (!found) return;
      const siblings = Object.keys(found.repo.commits[found.commit]).map((rfilename) => ({ rfilename }));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: found.repo.id, modelId: found.repo.id, sha: found.commit, private: false, gated: found.repo.token !== undefined, siblings }));
      return;
    }
    // snapshot_download then lists the files: GET /api/models/{org}/{name}/tree/{revision}?recursive=true
    if (parts[0] === 'api' && parts[1] === 'models' && parts[4] === 'tree') {
      const found = this.access(request, response, `${parts[2]}/${parts[3]}`, parts.slice(5).join('/'));
      if (!found) return;
      const entries = Object.entries(found.repo.commits[found.commit]).map(([repoPath, file]) => {
        const blob = this.blobs.get(file)!;
        return blob.lfs
          ? { type: 'file', oid: blob.etag.slice(0, 40), size: blob.size, path: repoPath, lfs: { oid: blob.etag, size: blob.size, pointerSize: 134 } }
          : { type: 'file', oid: blob.etag, size: blob.size, path: repoPath };
      });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(entries));
      return;
    }
    if (parts[2] !== 'resolve' || parts.length < 5) {
      response.writeHead(404).end();
      return;
    }
    const found = this.access(request, response, `${parts[0]}/${parts[1]}`, parts[3]);
    if (!found) return;
    const repoPath = parts.slice(4).join('/');
    const file = found.repo.commits[found.commit][repoPath];
    if (file === undefined) {
      response.writeHead(404, { 'x-error-code': 'EntryNotFound', 'x-error-message': 'Entry not found', 'x-repo-commit': found.commit });
      response.end();
      return;
    }
    const blob = this.blobs.get(file)!;
    if (blob.lfs) {
      // the real hub's ETag here is the LFS pointer's; the file's own hash is in X-Linked-Etag
      const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${blob.etag}\nsize ${blob.size}\n`;
      const pointerSha = crypto.createHash('sha1').update(`blob ${pointer.length}\0${pointer}`).digest('hex');
      response.writeHead(302, {
        location: `${this.cdnOrigin}/repos/${blob.etag}?response-content-disposition=${encodeURIComponent(`attachment; filename="${repoPath}"`)}`,
        'x-repo-commit': found.commit,
        'x-linked-etag': `"${blob.etag}"`,
        'x-linked-size': String(blob.size),
        etag: `"${pointerSha}"`,
        'content-length': '0',
      });
      response.end();
      return;
    }
    response.writeHead(200, { 'x-repo-commit': found.commit, etag: `"${blob.etag}"`, 'content-length': String(blob.size), 'accept-ranges': 'bytes' });
    if (request.method === 'HEAD') response.end();
    else fs.createReadStream(file).pipe(response);
  }

  private async onCdn(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    if (this.preflight('cdn', request, response)) return;
    const etag = new URL(request.url ?? '/', 'http://cdn').pathname.replace('/repos/', '');
    const blob = [...this.blobs.values()].find((b) => b.lfs && b.etag === etag);
    if (!blob) {
      response.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Number(range[2]) : blob.size - 1;
    if (start >= blob.size) {
      response.writeHead(416, { 'content-range': `bytes */${blob.size}` }).end();
      return;
    }
    response.writeHead(range ? 206 : 200, {
      'content-length': String(end - start + 1),
      'accept-ranges': 'bytes',
      etag: `"${blob.etag}"`,
      ...(range ? { 'content-range': `bytes ${start}-${end}/${blob.size}` } : {}),
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    const drop = this.dropConnections > 0;
    if (drop) this.dropConnections--;
    const last = drop ? start + Math.floor((end - start + 1) / 2) - 1 : end;
    let first = true;
    for await (const chunk of fs.createReadStream(blob.file, { start, end: last, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      if (first && this.corrupt && start === 0) chunk[0] ^= 0xff;
      first = false;
      if (!response.write(chunk)) await once(response, 'drain');
      if (this.slowMs > 0) await sleep(this.slowMs);
      if (response.destroyed) return;
    }
    if (drop) response.socket?.destroy();
    else response.end();
  }
}
