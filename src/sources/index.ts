// What load() was given, as a source: an http(s) URL, an object of files, a folder that exists,
// else a Hugging Face repo id fetched into the hub cache and read as a folder.

import type { HubOptions } from './repo.js';
import { filesSource, folderSource, urlSource, type ModelInput, type ModelSource } from './source.js';
import { HubError, notRepoIdReason, repoIdOf } from './repo.js';

export async function sourceOf(input: ModelInput, options: HubOptions): Promise<ModelSource> {
  if (input instanceof URL) return urlSource(input);
  if (typeof input === 'string') {
    if (/^https?:\/\//i.test(input)) return urlSource(new URL(input));
    const fs = await import('node:fs/promises');
    const stat = await fs.stat(input).catch(() => undefined);
    if (stat?.isDirectory()) return folderSource(input.replace(/\/+$/, ''));
    const repo = repoIdOf(input);
    if (repo === undefined) {
      throw new Error(`model folder ${input} does not exist or is not a folder, and '${input}' is not a Hugging Face repo id either (${notRepoIdReason})`);
    }
    const { hubSnapshot } = await import('./hub.js');
    try {
      return folderSource((await hubSnapshot(repo, options)).dir);
    } catch (error) {
      // 'models/minilm' may have been meant as a folder
      if (error instanceof HubError && error.code === 'not-found' && !input.startsWith('hf:')) {
        throw new HubError('not-found', `${error.message}; nor is there a folder ${input}`, { cause: error });
      }
      throw error;
    }
  }
  if (typeof input === 'object' && input !== null) return filesSource(input);
  throw new TypeError('load(model): model must be a folder path, a repo id, a URL, or an object of files');
}
