// sentence-transformers modules after the Transformer: Pooling, Normalize, and the similarity
// function scores are computed with (sentence_transformers/models/Pooling.py, Normalize.py,
// similarity_functions.py).

import { POOL_MODES, type PoolMode } from './backend/kernels.js';
import { parseJsonText } from './json.js';
import { isPlainFileName } from './safetensors.js';

export type SimilarityName = 'cosine' | 'dot' | 'euclidean' | 'manhattan';
const SIMILARITIES: readonly SimilarityName[] = ['cosine', 'dot', 'euclidean', 'manhattan'];

export interface SentenceModules {
  /** Pooling modes in the order their outputs are concatenated. */
  pooling: PoolMode[];
  normalize: boolean;
  similarity: SimilarityName;
  maxSeqLength?: number;
  /** sentence_bert_config.json do_lower_case: texts are lowercased before tokenizing. */
  lowercase: boolean;
}

/** Pooling config keys, in Pooling.forward's concatenation order. */
const POOLING_KEYS: Record<string, PoolMode> = {
  pooling_mode_cls_token: 'cls',
  pooling_mode_max_tokens: 'max',
  pooling_mode_mean_tokens: 'mean',
  pooling_mode_mean_sqrt_len_tokens: 'meanSqrtLen',
  pooling_mode_weightedmean_tokens: 'weightedMean',
  pooling_mode_lasttoken: 'lastToken',
};

const KNOWN_MODULES = new Set([
  'sentence_transformers.models.Transformer',
  'sentence_transformers.models.Pooling',
  'sentence_transformers.models.Normalize',
]);


function object(value: unknown, file: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${file}: expected a JSON object`);
  return value as Record<string, unknown>;
}

export function poolingModes(text: string, file: string, hiddenSize: number): PoolMode[] {
  const config = object(parseJsonText(text, file), file);
  const dimension = config.word_embedding_dimension;
  if (dimension !== undefined && dimension !== hiddenSize) {
    throw new Error(`${file}: word_embedding_dimension ${String(dimension)} does not match the model's hidden size ${hiddenSize}`);
  }
  const modes = POOL_MODES.filter((mode) => Object.entries(POOLING_KEYS).some(([key, m]) => m === mode && config[key] === true));
  if (modes.length === 0) {
    // Pooling(pooling_mode=None) with every flag false has no output; refuse it rather than guess
    throw new Error(`${file}: no pooling mode is enabled`);
  }
  return modes;
}

export interface ModuleFiles {
  /** modules.json, or undefined when the folder has none (a plain transformers checkpoint). */
  modules?: string;
  /** Reads a file of the folder by relative path, undefined if absent. */
  read(path: string): Promise<string | undefined>;
}

/**
 * Reads modules.json and what it points to. A folder without modules.json is what
 * sentence-transformers builds for a plain transformers checkpoint: mean pooling, no Normalize.
 */
async function readObject(files: ModuleFiles, path: string, source: string): Promise<Record<string, unknown> | undefined> {
  const text = await files.read(path);
  return text === undefined ? undefined : object(parseJsonText(text, `${source}/${path}`), `${source}/${path}`);
}

/**
 * Reads modules.json and what it points to. A folder without modules.json is what
 * sentence-transformers builds for a plain transformers checkpoint: mean pooling, no Normalize.
 */
export async function sentenceModules(files: ModuleFiles, source: string, hiddenSize: number): Promise<SentenceModules> {
  const settings = (await readObject(files, 'config_sentence_transformers.json', source)) ?? {};
  const similarity = (settings.similarity_fn_name ?? 'cosine') as SimilarityName;
  if (!SIMILARITIES.includes(similarity)) {
    throw new Error(`${source}/config_sentence_transformers.json: similarity_fn_name "${String(similarity)}" is not one of ${SIMILARITIES.join(', ')}`);
  }
  const bertConfig = (await readObject(files, 'sentence_bert_config.json', source)) ?? {};
  const maxSeqLength = bertConfig.max_seq_length ?? undefined;
  if (maxSeqLength !== undefined && (typeof maxSeqLength !== 'number' || !Number.isInteger(maxSeqLength) || maxSeqLength < 2)) {
    throw new Error(`${source}/sentence_bert_config.json: max_seq_length must be an integer ≥ 2, found ${JSON.stringify(maxSeqLength)}`);
  }
  const base = { similarity, maxSeqLength: maxSeqLength as number | undefined, lowercase: bertConfig.do_lower_case === true };
  if (files.modules === undefined) return { ...base, pooling: ['mean'], normalize: false };

  const file = `${source}/modules.json`;
  const list = parseJsonText(files.modules, file);
  if (!Array.isArray(list)) throw new Error(`${file}: expected a JSON array of modules`);
  let pooling: PoolMode[] | undefined;
  let normalize = false;
  for (const entry of list.map((item) => object(item, file))) {
    const type = String(entry.type);
    if (!KNOWN_MODULES.has(type)) {
      throw new Error(`${file}: module "${type}" is not supported (supported: ${[...KNOWN_MODULES].join(', ')})`);
    }
    if (type.endsWith('.Pooling')) {
      // joined onto the folder or URL, so held to the rule shard names follow: it must stay inside
      if (entry.path !== undefined && entry.path !== '' && !isPlainFileName(entry.path)) {
        throw new Error(`${file}: module path ${JSON.stringify(entry.path).slice(0, 200)} must be a plain folder name ` +
          'inside the model folder (no "/", "\\", ":" or "..")');
      }
      const path = [entry.path, 'config.json'].filter(Boolean).join('/');
      const text = await files.read(path);
      if (text === undefined) throw new Error(`${source}/${path}: missing, but modules.json lists a Pooling module there`);
      pooling = poolingModes(text, `${source}/${path}`, hiddenSize);
    }
    if (type.endsWith('.Normalize')) normalize = true;
  }
  if (pooling === undefined) throw new Error(`${file}: no Pooling module; sentvec needs one to make sentence vectors`);
  return { ...base, pooling, normalize };
}

/** torch.nn.functional.normalize(p=2, eps=1e-12), in place. */
export function normalizeL2(vector: Float32Array): void {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i] * vector[i];
  const norm = Math.max(Math.sqrt(sum), 1e-12);
  for (let i = 0; i < vector.length; i++) vector[i] /= norm;
}

/** sentence-transformers similarity functions (cosine over F.normalize, eps 1e-12); euclidean and manhattan are negated distances. */
export function similarity(name: SimilarityName, a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`similarity: vectors have different lengths (${a.length} and ${b.length})`);
  let dot = 0;
  let aa = 0;
  let bb = 0;
  let l1 = 0;
  let l2 = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
    l1 += Math.abs(a[i] - b[i]);
    l2 += (a[i] - b[i]) ** 2;
  }
  switch (name) {
    case 'cosine':
      return dot / (Math.max(Math.sqrt(aa), 1e-12) * Math.max(Math.sqrt(bb), 1e-12));
    case 'dot':
      return dot;
    case 'euclidean':
      return -Math.sqrt(l2);
    case 'manhattan':
      return -l1;
  }
}
