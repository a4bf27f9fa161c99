// Models by repo id in browsers, web workers and edge runtimes: the same resolve URLs as under
// Node, the responses kept in the Cache API (or any { match, put } store passed in). A token is
// sent only when given explicitly: a page has no environment to take one from.

import {
  DEFAULT_ENDPOINT, DEFAULT_REVISION, HubError, fetchModelFiles, resolveUrl,
  type HubOptions, type RepoRef,
} from './repo.js';
import { filesSource, type ModelSource } from './source.js';

/** The part of the Cache API the hub source uses. */
export interface ModelCache {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
}

export interface BrowserHubOptions extends Omit<HubOptions, 'cacheDir'> {
  /** Where fetched files are kept; default the Cache API's 'sentvec-hub' cache where there is one. */
  cache?: ModelCache;
}

const CACHE_NAME = 'sentvec-hub';

async function defaultCache(): Promise<ModelCache | undefined> {
  const caches = (globalThis as { caches?: { open(name: string): Promise<ModelCache> } }).caches;
  return caches?.open(CACHE_NAME).catch(() => undefined);
}

/** Reads a response body to the end, reporting progress as it arrives. */
async function readBody(response: Response, report: (loaded: number, total: number) => void): Promise<Uint8Array<ArrayBuffer>> {
  const total = Number(response.headers.get('content-length')) || 0;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body!.getReader();
  for (let part = await reader.read(); !part.done; part = await reader.read()) {
    chunks.push(part.value);
    loaded += part.value.length;
    report(loaded, total);
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

export async function hubSource(id: string, options: BrowserHubOptions): Promise<ModelSource> {
  const endpoint = (options.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const repo: RepoRef = { id, revision: options.revision ?? DEFAULT_REVISION };
  const cache = options.cache ?? (await defaultCache());
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const files = new Map<string, Uint8Array>();
  const name = `${endpoint}/${id}@${repo.revision}`;

  const fetchFile = async (file: string): Promise<Response> => {
    const url = resolveUrl(endpoint, repo, file);
    const cached = await cache?.match(url);
    if (cached) return cached;
    if (options.offline) throw new HubError('not-cached', `${id} at revision '${repo.revision}': ${file} is not in the browser cache and downloads are off ({ offline: true })`);
    let response: Response;
    try {
      response = await fetch(url, { headers });
    } catch (error) {
      throw new HubError('network', `cannot reach ${endpoint} for ${id}/${file} (${(error as Error).message})`, { cause: error });
    }
    if (response.status === 401 || response.status === 403) {
      throw new HubError('unauthorized', `${id} is gated or private (HTTP ${response.status}): ${options.token ? 'the token given has no access to it' : 'a token is needed; pass { token } to load()'}`);
    }
    if (!response.ok && response.status !== 404) throw new HubError('http', `${url}: HTTP ${response.status}`);
    if (response.status === 404) {
      await cache?.put(url, new Response(null, { status: 404 }));
      return response;
    }
    const bytes = await readBody(response, (loaded, total) => options.onProgress?.({ repo: id, file, loaded, total }));
    const whole = new Response(bytes, { headers: { 'content-length': String(bytes.length) } });
    await cache?.put(url, whole.clone());
    return whole;
  };

  await fetchModelFiles({
    get: async (file) => {
      const response = await fetchFile(file);
      if (response.status === 404) return false;
      files.set(file, new Uint8Array(await response.arrayBuffer()));
      return true;
    },
    text: async (file) => new TextDecoder().decode(files.get(file)),
  }, `${id} at revision '${repo.revision}'`);
  return { ...filesSource(Object.fromEntries(files)), name };
}
