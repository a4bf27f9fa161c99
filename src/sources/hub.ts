// Models by repo id under Node: the files load() reads, fetched from the hub into the cache
// huggingface_hub keeps, and read back from there as a folder. Layout and protocol follow
// huggingface_hub file_download.py (hf_hub_download, _get_metadata_or_catch_error, http_get):
//
//   $HF_HUB_CACHE/models--ORG--NAME/blobs/<etag>                  the bytes, named by their hash
//                                   snapshots/<commit>/<file>     → ../../blobs/<etag> (a copy where links fail)
//                                   refs/<revision>               the commit a branch or tag named
//                                   .no_exist/<commit>/<file>     a file the repo does not have
//   $HF_HUB_CACHE/.locks/models--ORG--NAME/<etag>.lock            held while a blob downloads
//
// A blob is written to blobs/<etag>.incomplete, its hash checked against the etag (sha256 for LFS
// files, the git blob sha1 for the rest), then renamed: a file that loads is always whole.
// This module imports Node built-ins and is only ever imported dynamically, under Node.

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  COMMIT, DEFAULT_ENDPOINT, DEFAULT_REVISION, HubError, fetchModelFiles, resolveUrl,
  type DownloadProgress, type HubOptions, type RepoRef,
} from './repo.js';
import { shardFiles } from '../safetensors.js';

interface Settings {
  endpoint: string;
  cacheDir: string;
  token?: string;
  offline: boolean;
  onProgress?: (progress: DownloadProgress) => void;
}

const TRUTHY = new Set(['1', 'on', 'yes', 'true']);

/** Options, else the environment huggingface_hub reads (constants.py), else its defaults. */
export function hubSettings(options: HubOptions = {}): Settings {
  const env = process.env;
  const home = env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'huggingface');
  return {
    endpoint: (options.endpoint ?? env.HF_ENDPOINT ?? DEFAULT_ENDPOINT).replace(/\/+$/, ''),
    cacheDir: options.cacheDir ?? env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE ?? path.join(home, 'hub'),
    token: options.token ?? (env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || storedToken(env.HF_TOKEN_PATH ?? path.join(home, 'token'))),
    offline: options.offline ?? TRUTHY.has((env.HF_HUB_OFFLINE ?? '').toLowerCase()),
    onProgress: options.onProgress,
  };
}

function storedToken(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A repo's folder of the hub cache. */
class RepoCache {
  readonly dir: string;
  private readonly locks: string;

  constructor(readonly cacheDir: string, readonly repo: string) {
    const folder = `models--${repo.replace(/\//g, '--')}`;
    this.dir = path.join(cacheDir, folder);
    this.locks = path.join(cacheDir, '.locks', folder);
  }

  blob(etag: string): string {
    return path.join(this.dir, 'blobs', etag);
  }

  lock(etag: string): string {
    return path.join(this.locks, `${etag}.lock`);
  }

  snapshot(commit: string, file = ''): string {
    return path.join(this.dir, 'snapshots', commit, file);
  }

  readRef(revision: string): string | undefined {
    const commit = readText(path.join(this.dir, 'refs', revision))?.trim();
    return commit && COMMIT.test(commit) ? commit : undefined;
  }

  writeRef(revision: string, commit: string): void {
    if (revision === commit) return;
    writeAtomically(path.join(this.dir, 'refs', revision), commit);
  }

  /** True when the snapshot holds config.json and the weights: model.safetensors, or its index and every shard. */
  hasModel(commit: string): boolean {
    const has = (file: string) => fs.existsSync(this.snapshot(commit, file));
    if (!has('config.json')) return false;
    if (has('model.safetensors')) return true;
    const index = readText(this.snapshot(commit, 'model.safetensors.index.json'));
    if (index === undefined) return false;
    try {
      return shardFiles(index, 'model.safetensors.index.json').every(has);
    } catch {
      return false;
    }
  }

  /** True when an earlier download learnt that the repo has no such file at this commit. */
  knownMissing(commit: string, file: string): boolean {
    return fs.existsSync(path.join(this.dir, '.no_exist', commit, file));
  }

  markMissing(commit: string, file: string): void {
    writeAtomically(path.join(this.dir, '.no_exist', commit, file), '');
  }

  /** Points snapshots/<commit>/<file> at the blob: a relative link as huggingface_hub makes it, else a copy. */
  link(commit: string, file: string, etag: string): void {
    const target = this.snapshot(commit, file);
    const blob = this.blob(etag);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const temporary = `${target}.${process.pid}.tmp`;
    fs.rmSync(temporary, { force: true });
    try {
      fs.symlinkSync(path.relative(path.dirname(target), blob), temporary);
    } catch {
      fs.copyFileSync(blob, temporary);
    }
    fs.renameSync(temporary, target);
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function writeAtomically(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, content);
  fs.renameSync(temporary, file);
}

/** What the hub says about one file at a revision (huggingface_hub HfFileMetadata). */
interface FileMetadata {
  commit: string;
  etag: string;
  size: number;
  /** Where the bytes are: the resolve URL, or the CDN an LFS file is redirected to. */
  location: string;
}

/** The etag as a blob name: no weak-validator prefix, no quotes (huggingface_hub _normalize_etag). */
const normalizeEtag = (etag: string | null) => etag?.replace(/^W\//, '').replace(/"/g, '') || undefined;

class Hub {
  private readonly origin: string;

  constructor(private readonly settings: Settings) {
    this.origin = new URL(settings.endpoint).origin;
  }

  /** Sends the token to the hub itself only, never to the host an LFS file is redirected to. */
  private async request(url: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('user-agent', 'sentvec');
    if (this.settings.token && new URL(url).origin === this.origin) headers.set('authorization', `Bearer ${this.settings.token}`);
    try {
      return await fetch(url, { ...init, headers, redirect: 'manual' });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new HubError('network', `cannot reach ${new URL(url).origin} (${cause?.code ?? cause?.message ?? (error as Error).message}); set HF_HUB_OFFLINE=1 to load from the cache only`, { cause: error });
    }
  }

  /**
   * HEAD on the resolve URL. Redirects within the hub (a renamed repo) are followed; one to another
   * host is the CDN holding an LFS file, whose metadata the redirect itself carries.
   */
  async metadata(repo: RepoRef, file: string): Promise<FileMetadata | undefined> {
    let url = resolveUrl(this.settings.endpoint, repo, file);
    for (let hops = 0; ; hops++) {
      const response = await this.request(url, { method: 'HEAD', headers: { 'accept-encoding': 'identity' } });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, url);
        if (next.origin === this.origin && hops < 5) {
          url = next.href;
          continue;
        }
        return this.fileMetadata(repo, file, response, () => next.href);
      }
      // the bytes are fetched at the commit, so a branch that moves in between cannot mix files
      if (response.ok) return this.fileMetadata(repo, file, response, (commit) => resolveUrl(this.settings.endpoint, { id: repo.id, revision: commit }, file));
      return this.refused(repo, file, response);
    }
  }

  private fileMetadata(repo: RepoRef, file: string, response: Response, location: (commit: string) => string): FileMetadata {
    const headers = response.headers;
    const commit = headers.get('x-repo-commit') ?? undefined;
    const etag = normalizeEtag(headers.get('x-linked-etag')) ?? normalizeEtag(headers.get('etag'));
    const size = Number(headers.get('x-linked-size') ?? headers.get('content-length'));
    if (!commit || !etag || !Number.isSafeInteger(size)) {
      const missing = [!commit && 'X-Repo-Commit', !etag && 'ETag', !Number.isSafeInteger(size) && 'a size'].filter(Boolean).join(', ');
      throw new HubError('http', `${this.settings.endpoint} answered ${repo.id}/${file} at ${repo.revision} without ${missing}: it does not behave like a Hugging Face hub`);
    }
    return { commit, etag, size, location: location(commit) };
  }

  /** undefined for a file the repo does not have; else the one-line error the refusal means. */
  private refused(repo: RepoRef, file: string, response: Response): undefined {
    const code = response.headers.get('x-error-code');
    const howToPass = 'pass { token } to load(), set HF_TOKEN, or run `huggingface-cli login`';
    if (code === 'GatedRepo' || ((response.status === 401 || response.status === 403) && code !== 'RepoNotFound')) {
      throw new HubError('unauthorized', this.settings.token
        ? `${repo.id} is gated or private and the token given has no access (HTTP ${response.status}): accept its conditions at ${this.settings.endpoint}/${repo.id}`
        : `${repo.id} is gated or private (HTTP ${response.status}): a token is needed; ${howToPass}`);
    }
    if (code === 'RepoNotFound') {
      throw new HubError('not-found', `no repo ${repo.id} on ${this.settings.endpoint}${this.settings.token ? '' : ` (if it is private, ${howToPass})`}`);
    }
    if (code === 'RevisionNotFound') throw new HubError('not-found', `${repo.id} has no revision '${repo.revision}'`);
    if (response.status === 404) return undefined;
    throw new HubError('http', `${resolveUrl(this.settings.endpoint, repo, file)}: HTTP ${response.status} ${response.statusText}`.trim());
  }

  /** GET from `from` bytes on, following every redirect; the token stays with the hub. */
  async body(location: string, from: number): Promise<Response> {
    let url = location;
    for (let hops = 0; hops < 10; hops++) {
      // uncompressed, so sizes and Range offsets count the file's own bytes
      const response = await this.request(url, { headers: { 'accept-encoding': 'identity', ...(from > 0 ? { range: `bytes=${from}-` } : {}) } });
      const next = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !next) return response;
      url = new URL(next, url).href;
    }
    throw new HubError('http', `${location}: more than 10 redirects`);
  }
}

/** The hash an etag names: sha256 for an LFS file, else the git blob sha1; undefined for another etag. */
function hashFor(etag: string, size: number): crypto.Hash | undefined {
  if (/^[0-9a-f]{64}$/.test(etag)) return crypto.createHash('sha256');
  if (/^[0-9a-f]{40}$/.test(etag)) return crypto.createHash('sha1').update(`blob ${size}\0`);
  return undefined;
}

/** Feeds the first `bytes` bytes of `file` (all of it by default) to `hash`. */
function hashFile(file: string, hash: crypto.Hash, bytes?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.createReadStream(file, { end: bytes === undefined ? undefined : bytes - 1 })
      .on('data', (chunk) => hash.update(chunk)).on('end', resolve).on('error', reject);
  });
}

/** The file's hash of the kind `etag` names, in hex; undefined when the etag is no hash sentvec knows. */
async function hashAs(file: string, etag: string): Promise<string | undefined> {
  const hash = hashFor(etag, fs.statSync(file).size);
  if (!hash) return undefined;
  await hashFile(file, hash);
  return hash.digest('hex');
}

/** The hash of the bytes written to an .incomplete file so far, carried across resumed attempts. */
interface RunningHash {
  hash?: crypto.Hash;
  bytes: number;
}

// A lock is held by a live process on this host, or by one that touches it at least this often.
const LOCK_STALE_MS = 30_000;
const LOCK_TOUCH_MS = 5_000;
const LOCK_POLL_MS = 100;

function lockIsStale(file: string): boolean {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return true;
  const [pid, host] = (readText(file) ?? '').split('\n');
  if (host === os.hostname() && Number(pid) > 0) {
    try {
      process.kill(Number(pid), 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    }
  }
  // huggingface_hub's flock leaves an empty lock file behind; it is stale once untouched for long
  return Date.now() - stat.mtimeMs > LOCK_STALE_MS;
}

/**
 * Runs `work` while holding `file`, created exclusively. A second process waits for the first to
 * finish, then finds the blob in place; a lock left by a crashed process is taken over.
 */
async function withLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid}\n${os.hostname()}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (lockIsStale(file)) fs.rmSync(file, { force: true });
      else await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }
  const touch = setInterval(() => fs.utimes(file, new Date(), new Date(), () => {}), LOCK_TOUCH_MS);
  try {
    return await work();
  } finally {
    clearInterval(touch);
    fs.rmSync(file, { force: true });
  }
}

// Dropped connections are resumed where they stopped, this many times per file.
const RESUMES = 3;

class Download {
  constructor(
    private readonly hub: Hub,
    private readonly cache: RepoCache,
    private readonly settings: Settings,
  ) {}

  /**
   * Puts the file's blob in place (downloading it unless another process just did) and links it;
   * with `verify`, a cached blob that no longer hashes to its name is fetched again.
   */
  async file(commit: string, file: string, metadata: FileMetadata, verify: boolean): Promise<void> {
    const blob = this.cache.blob(metadata.etag);
    if (verify && fs.existsSync(blob)) {
      const found = await hashAs(blob, metadata.etag);
      if (found !== undefined && found !== metadata.etag) fs.rmSync(blob);
    }
    if (!fs.existsSync(blob)) {
      await withLock(this.cache.lock(metadata.etag), async () => {
        if (!fs.existsSync(blob)) await this.blob(file, metadata, blob);
      });
    }
    this.cache.link(commit, file, metadata.etag);
  }

  private async blob(file: string, metadata: FileMetadata, blob: string): Promise<void> {
    const incomplete = `${blob}.incomplete`;
    fs.mkdirSync(path.dirname(blob), { recursive: true });
    const running: RunningHash = { bytes: -1 };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.fetchInto(file, metadata, incomplete, running);
        break;
      } catch (error) {
        if (!(error instanceof HubError) || error.code !== 'network' || attempt >= RESUMES) throw error;
      }
    }
    const found = running.hash?.digest('hex');
    if (found !== undefined && found !== metadata.etag) {
      fs.rmSync(incomplete, { force: true });
      throw new HubError('checksum', `${this.cache.repo}/${file}: the downloaded bytes hash to ${found}, not to ${metadata.etag} as the hub says; nothing was kept, try again`);
    }
    fs.renameSync(incomplete, blob);
  }

  /**
   * Appends the missing bytes to `incomplete`, resuming with a Range request where it stopped, and
   * hashes them as they arrive (the bytes already on disk only when another attempt left them).
   */
  private async fetchInto(file: string, metadata: FileMetadata, incomplete: string, running: RunningHash): Promise<void> {
    const repo = this.cache.repo;
    let loaded = fs.statSync(incomplete, { throwIfNoEntry: false })?.size ?? 0;
    if (loaded > metadata.size) loaded = 0;
    const response = loaded === metadata.size ? undefined : await this.hub.body(metadata.location, loaded);
    if (response && response.status !== 206) {
      if (!response.ok) throw new HubError('http', `${repo}/${file}: ${metadata.location.split('?')[0]} answered HTTP ${response.status}`);
      loaded = 0;  // a server that ignores Range sends the whole file
    }
    if (running.bytes !== loaded) {
      running.hash = hashFor(metadata.etag, metadata.size);
      if (running.hash && loaded > 0) await hashFile(incomplete, running.hash, loaded);
      running.bytes = loaded;
    }
    const out = await fs.promises.open(incomplete, loaded > 0 ? 'a' : 'w');
    const report = () => this.settings.onProgress?.({ repo, file, loaded, total: metadata.size });
    try {
      report();
      for await (const chunk of (response?.body ?? []) as unknown as AsyncIterable<Uint8Array>) {
        await out.write(chunk);
        running.hash?.update(chunk);
        loaded += chunk.length;
        running.bytes = loaded;
        report();
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        await out.close();
        fs.rmSync(incomplete, { force: true });
        throw new HubError('disk-full', `no space left on the disk of ${this.cache.cacheDir} writing ${repo}/${file} (${metadata.size} bytes); nothing was kept`, { cause: error });
      }
      if (error instanceof HubError) throw error;
      throw new HubError('network', `${repo}/${file}: the connection dropped after ${loaded} of ${metadata.size} bytes (${(error as Error).message}); the next download resumes there`, { cause: error });
    } finally {
      await out.close().catch(() => {});
    }
    if (loaded !== metadata.size) {
      throw new HubError('network', `${repo}/${file}: the connection ended after ${loaded} of ${metadata.size} bytes; the next download resumes there`);
    }
  }
}

export interface Snapshot {
  /** snapshots/<commit> of the repo in the hub cache: a folder load() reads. */
  dir: string;
  commit: string;
  /** The files load() reads that the repo has, relative to dir. */
  files: string[];
}

/**
 * The repo's snapshot folder with the files load() reads. A revision the cache already holds is
 * served with no request at all; `refresh` (unless offline) asks the hub about every file again
 * and re-hashes each cached blob, fetching any that are damaged.
 */
export async function hubSnapshot(repoId: string, options: HubOptions = {}, refresh = false): Promise<Snapshot> {
  const settings = hubSettings(options);
  const revision = options.revision ?? DEFAULT_REVISION;
  const cache = new RepoCache(settings.cacheDir, repoId);
  const pinned = COMMIT.test(revision) ? revision : undefined;
  let commit = pinned ?? (refresh && !settings.offline ? undefined : cache.readRef(revision));

  // A snapshot with its config and weights is whole: huggingface_hub's snapshot_download writes
  // every file of the repo and no record of the ones it lacks, so absent means absent.
  if (commit && (!refresh || settings.offline) && cache.hasModel(commit)) {
    const cached = commit;
    const files = fs.readdirSync(cache.snapshot(cached), { recursive: true, encoding: 'utf8' })
      .filter((file) => fs.statSync(cache.snapshot(cached, file)).isFile());
    return { dir: cache.snapshot(cached), commit: cached, files };
  }
  if (settings.offline) {
    throw new HubError('not-cached', `${repoId} at revision '${revision}' is not in the hub cache ${settings.cacheDir} and downloads are off (HF_HUB_OFFLINE or { offline: true })`);
  }

  const hub = new Hub(settings);
  const download = new Download(hub, cache, settings);
  const files = await fetchModelFiles({
    get: async (file) => {
      if (commit && !refresh) {
        if (fs.existsSync(cache.snapshot(commit, file))) return true;
        if (cache.knownMissing(commit, file)) return false;
      }
      const metadata = await hub.metadata({ id: repoId, revision: commit ?? revision }, file);
      commit ??= metadata?.commit;
      if (!commit) return false;  // config.json is asked first; without it the walk stops
      if (!metadata) {
        cache.markMissing(commit, file);
        return false;
      }
      await download.file(commit, file, metadata, refresh);
      return true;
    },
    text: async (file) => fs.promises.readFile(cache.snapshot(commit!, file), 'utf8'),
  }, `${repoId} at revision '${revision}'`);
  cache.writeRef(revision, commit!);
  return { dir: cache.snapshot(commit!), commit: commit!, files };
}
