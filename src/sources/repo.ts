// Hugging Face repo names and the files of a sentence-transformers repo that sentvec reads,
// shared by the Node hub cache (hub.ts) and the browser's Cache API source (hub-browser.ts).

import { shardFiles } from '../safetensors.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

/** A model repo on the hub at a revision. */
export interface RepoRef {
  /** 'org/name' */
  id: string;
  /** Branch, tag or 40-hex commit. */
  revision: string;
}

export interface DownloadProgress {
  repo: string;
  /** Path of the file inside the repo. */
  file: string;
  /** Bytes of this file on disk so far (a resumed download starts above zero). */
  loaded: number;
  /** Bytes of this file in all, from X-Linked-Size or Content-Length. */
  total: number;
}

export interface HubOptions {
  /** Branch, tag or 40-hex commit (default 'main'). */
  revision?: string;
  /** Access token for gated and private repos; default $HF_TOKEN, else the token file under $HF_HOME. */
  token?: string;
  /** The hub cache; default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Use the cache only and send no request at all; default true when HF_HUB_OFFLINE=1. */
  offline?: boolean;
  /** Hub URL; default $HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Called as each file's bytes arrive. */
  onProgress?: (progress: DownloadProgress) => void;
}

export type HubErrorCode = 'not-cached' | 'unauthorized' | 'not-found' | 'network' | 'checksum' | 'disk-full' | 'http';

/** A hub download or cache lookup that failed; `code` says which way. */
export class HubError extends Error {
  constructor(readonly code: HubErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HubError';
  }
}

// huggingface_hub utils/_validators.py validate_repo_id: an optional namespace, then a name of
// word characters, '-' and '.', at most 96 of them, with no '--' or '..' and no '.git' ending.
const REPO_ID = /^(?:[\w.-]+\/)?[\w.-]{1,96}$/;

export const COMMIT = /^[0-9a-f]{40}$/;

/** 'org/name' for a repo id, a bare name (sentence-transformers/ is implied) or 'hf:org/name'; else undefined. */
export function repoIdOf(name: string): string | undefined {
  const id = name.startsWith('hf:') ? name.slice(3) : name;
  if (!REPO_ID.test(id) || id.includes('--') || id.includes('..') || id.endsWith('.git') || /(^|\/)[.-]|[.-]($|\/)/.test(id)) return undefined;
  return id.includes('/') ? id : `sentence-transformers/${id}`;
}

export const notRepoIdReason = "a Hugging Face repo id is 'org/name' or 'name' with letters, digits, '-', '_' and '.'";

/** `{endpoint}/{repo}/resolve/{revision}/{file}`, as huggingface_hub's hf_hub_url builds it. */
export function resolveUrl(endpoint: string, repo: RepoRef, file: string): string {
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint.replace(/\/+$/, '')}/${repo.id}/resolve/${encodeURIComponent(repo.revision)}/${path}`;
}

/** What a source of repo files must answer to walk a repo. */
export interface RepoFiles {
  /** Makes the file available; false when the repo has no such file at this revision. */
  get(path: string): Promise<boolean>;
  /** The text of a file get() made available. */
  text(path: string): Promise<string>;
}

/** The files load() reads besides the module folders and the weights; optional ones may be absent. */
const TOP_FILES = ['modules.json', 'config_sentence_transformers.json', 'sentence_bert_config.json',
  'tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json'];

/**
 * Fetches the files of a sentence-transformers repo that load() reads, and only those: config.json
 * first (a repo that is missing or refused fails there, once), then the top-level files, each
 * module folder's config.json and weights, and model.safetensors or its index and shards. Returns their paths.
 */
export async function fetchModelFiles(repo: RepoFiles, name: string): Promise<string[]> {
  if (!(await repo.get('config.json'))) throw new HubError('not-found', `${name}: no config.json (no such repo, or no such file at this revision)`);
  const found = ['config.json'];
  const present = await Promise.all(TOP_FILES.map((path) => repo.get(path)));
  found.push(...TOP_FILES.filter((_, i) => present[i]));
  if (found.includes('modules.json')) {
    // unreadable JSON is reported by load(), which names the file
    const modules: unknown = await repo.text('modules.json').then(JSON.parse).catch(() => []);
    const folders = Array.isArray(modules) ? modules.map((entry) => entry?.path).filter((path) => typeof path === 'string' && path !== '') : [];
    for (const folder of folders) {
      // a Dense module keeps its weights beside its config
      for (const file of ['config.json', 'model.safetensors']) if (await repo.get(`${folder}/${file}`)) found.push(`${folder}/${file}`);
    }
  }
  if (await repo.get('model.safetensors')) return [...found, 'model.safetensors'];
  if (!(await repo.get('model.safetensors.index.json'))) return found;  // load() says what is missing
  const shards = shardFiles(await repo.text('model.safetensors.index.json'), `${name}/model.safetensors.index.json`);
  for (const shard of shards) {
    if (!(await repo.get(shard))) throw new HubError('not-found', `${name}/model.safetensors.index.json lists shard ${shard}, which the repo does not have`);
  }
  return [...found, 'model.safetensors.index.json', ...shards];
}
