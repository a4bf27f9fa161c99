// sentence-transformers modules after the Transformer read from their config files: Pooling,
// Dense, Normalize (run by heads.ts), prompts, and the similarity function scores are computed with
// (sentence_transformers Pooling, Dense, Normalize modules; util/similarity.py).

import { POOL_MODES, type PoolMode } from './backend/kernels.js';
import type { DenseModule, HeadActivation, SentenceHead, SentenceStep } from './heads.js';
import { parseJsonText } from './json.js';
import { configInteger } from './models/transformer.js';
import { isPlainFileName } from './safetensors.js';

export type SimilarityName = 'cosine' | 'dot' | 'euclidean' | 'manhattan';
const SIMILARITIES: readonly SimilarityName[] = ['cosine', 'dot', 'euclidean', 'manhattan'];

export interface SentenceModules {
  head: SentenceHead;
  similarity: SimilarityName;
  maxSeqLength?: number;
  /** sentence_bert_config.json do_lower_case: texts are lowercased before tokenizing. */
  lowercase: boolean;
  /** config_sentence_transformers.json prompts, by name. */
  prompts: Record<string, string>;
  /** The prompt encode() uses when given none. */
  defaultPromptName?: string;
  /** config_sentence_transformers.json truncate_dim. */
  truncateDim?: number;
}

/** Pooling config keys before sentence-transformers 6, in Pooling.forward's concatenation order. */
const LEGACY_POOLING_KEYS: Record<string, PoolMode> = {
  pooling_mode_cls_token: 'cls',
  pooling_mode_max_tokens: 'max',
  pooling_mode_mean_tokens: 'mean',
  pooling_mode_mean_sqrt_len_tokens: 'meanSqrtLen',
  pooling_mode_weightedmean_tokens: 'weightedMean',
  pooling_mode_lasttoken: 'lastToken',
};

/** Pooling config pooling_mode names (sentence-transformers 6). */
const POOLING_NAMES: Record<string, PoolMode> = {
  cls: 'cls',
  max: 'max',
  mean: 'mean',
  mean_sqrt_len_tokens: 'meanSqrtLen',
  weightedmean: 'weightedMean',
  lasttoken: 'lastToken',
};

/**
 * modules.json types are sentence_transformers.models.<Class> before version 6 and the class's
 * module path after (sentence_transformers.base.modules.dense.Dense); the class names these.
 */
const KNOWN_MODULES = ['Transformer', 'Pooling', 'Dense', 'Normalize'];
function moduleClass(type: string): string | undefined {
  const name = type.slice(type.lastIndexOf('.') + 1);
  return type.startsWith('sentence_transformers.') && KNOWN_MODULES.includes(name) ? name : undefined;
}

/** torch activation class paths a Dense module may name. */
const ACTIVATIONS: Record<string, HeadActivation> = {
  'torch.nn.modules.activation.Tanh': 'tanh',
  'torch.nn.modules.linear.Identity': 'identity',
};

function object(value: unknown, file: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${file}: expected a JSON object`);
  return value as Record<string, unknown>;
}

export interface PoolingConfig {
  modes: PoolMode[];
  includePrompt: boolean;
}

export function poolingConfig(text: string, file: string, hiddenSize: number): PoolingConfig {
  const config = object(parseJsonText(text, file), file);
  // word_embedding_dimension before sentence-transformers 6
  const key = config.embedding_dimension === undefined ? 'word_embedding_dimension' : 'embedding_dimension';
  if (config[key] !== undefined && config[key] !== hiddenSize) {
    throw new Error(`${file}: ${key} ${String(config[key])} does not match the model's hidden size ${hiddenSize}`);
  }
  let modes: PoolMode[];
  if (config.pooling_mode !== undefined) {
    const names = Array.isArray(config.pooling_mode) ? config.pooling_mode : [config.pooling_mode];
    modes = names.map((name) => {
      if (typeof name !== 'string' || !Object.hasOwn(POOLING_NAMES, name)) {
        throw new Error(`${file}: pooling_mode ${JSON.stringify(name)} is not one of ${Object.keys(POOLING_NAMES).join(', ')}`);
      }
      return POOLING_NAMES[name];
    });
  } else {
    modes = POOL_MODES.filter((mode) => Object.entries(LEGACY_POOLING_KEYS).some(([key, m]) => m === mode && config[key] === true));
  }
  if (modes.length === 0) {
    // Pooling(pooling_mode=None) with every flag false has no output; refuse it rather than guess
    throw new Error(`${file}: no pooling mode is enabled`);
  }
  return { modes, includePrompt: config.include_prompt !== false };
}

/** A Dense module's config.json, checked against the width of what comes into it. */
function denseModule(text: string, file: string, path: string, inWidth: number): DenseModule {
  const config = object(parseJsonText(text, file), file);
  const inFeatures = configInteger(config, 'in_features', file);
  const outFeatures = configInteger(config, 'out_features', file);
  if (inFeatures !== inWidth) {
    throw new Error(`${file}: in_features ${inFeatures} does not match the ${inWidth} values the module before it gives`);
  }
  const activationName = config.activation_function ?? 'torch.nn.modules.activation.Tanh';
  if (typeof activationName !== 'string' || !Object.hasOwn(ACTIVATIONS, activationName)) {
    throw new Error(`${file}: activation_function ${JSON.stringify(activationName)} is not supported ` +
      `(supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
  }
  return { type: 'dense', path, inFeatures, outFeatures, bias: config.bias !== false, activation: ACTIVATIONS[activationName] };
}

export interface ModuleFiles {
  /** modules.json, or undefined when the folder has none (a plain transformers checkpoint). */
  modules?: string;
  /** Reads a file of the folder by relative path, undefined if absent. */
  read(path: string): Promise<string | undefined>;
}

export async function readObject(files: Pick<ModuleFiles, 'read'>, path: string, source: string): Promise<Record<string, unknown> | undefined> {
  const text = await files.read(path);
  return text === undefined ? undefined : object(parseJsonText(text, `${source}/${path}`), `${source}/${path}`);
}

/** sentence_bert_config.json: the Transformer module's max_seq_length and do_lower_case. */
export async function transformerSettings(files: Pick<ModuleFiles, 'read'>, source: string): Promise<{ maxSeqLength?: number; lowercase: boolean }> {
  const bertConfig = (await readObject(files, 'sentence_bert_config.json', source)) ?? {};
  const maxSeqLength = bertConfig.max_seq_length ?? undefined;
  if (maxSeqLength !== undefined && (typeof maxSeqLength !== 'number' || !Number.isInteger(maxSeqLength) || maxSeqLength < 2)) {
    throw new Error(`${source}/sentence_bert_config.json: max_seq_length must be an integer ≥ 2, found ${JSON.stringify(maxSeqLength)}`);
  }
  return { maxSeqLength: maxSeqLength as number | undefined, lowercase: bertConfig.do_lower_case === true };
}

/** config_sentence_transformers.json prompts and default_prompt_name, checked. */
function promptSettings(settings: Record<string, unknown>, file: string): Pick<SentenceModules, 'prompts' | 'defaultPromptName'> {
  const prompts = object(settings.prompts ?? {}, `${file} prompts`);
  for (const [name, prompt] of Object.entries(prompts)) {
    if (typeof prompt !== 'string' && prompt !== null) throw new Error(`${file}: prompts.${name} must be a string, found ${JSON.stringify(prompt)}`);
  }
  // SentenceTransformer always has "query" and "document" prompts, empty unless configured, so
  // encode_query and encode_document never fall back to the default prompt
  const all: Record<string, string> = { query: '', document: '' };
  for (const [name, prompt] of Object.entries(prompts)) all[name] = (prompt as string | null) ?? '';
  const defaultPromptName = settings.default_prompt_name ?? undefined;
  if (defaultPromptName !== undefined && (typeof defaultPromptName !== 'string' || !Object.hasOwn(all, defaultPromptName))) {
    throw new Error(`${file}: default_prompt_name ${JSON.stringify(defaultPromptName)} is not one of the prompts ` +
      `(${Object.keys(all).join(', ')})`);
  }
  return { prompts: all, defaultPromptName };
}

/** A module folder named in modules.json: joined onto the folder or URL, so it must stay inside. */
function modulePath(entry: Record<string, unknown>, file: string): string {
  if (entry.path !== undefined && entry.path !== '' && !isPlainFileName(entry.path)) {
    throw new Error(`${file}: module path ${JSON.stringify(entry.path).slice(0, 200)} must be a plain folder name ` +
      'inside the model folder (no "/", "\\", ":" or "..")');
  }
  return typeof entry.path === 'string' ? entry.path : '';
}

/**
 * Reads modules.json and what it points to. A folder without modules.json is what
 * sentence-transformers builds for a plain transformers checkpoint: mean pooling, no Normalize.
 */
export async function sentenceModules(files: ModuleFiles, source: string, hiddenSize: number): Promise<SentenceModules> {
  const settingsFile = `${source}/config_sentence_transformers.json`;
  const settings = (await readObject(files, 'config_sentence_transformers.json', source)) ?? {};
  if (settings.model_type === 'CrossEncoder') {
    throw new Error(`${settingsFile}: this is a cross-encoder (model_type CrossEncoder); load it with loadCrossEncoder()`);
  }
  const similarity = (settings.similarity_fn_name ?? 'cosine') as SimilarityName;
  if (!SIMILARITIES.includes(similarity)) {
    throw new Error(`${settingsFile}: similarity_fn_name "${String(similarity)}" is not one of ${SIMILARITIES.join(', ')}`);
  }
  const truncateDim = settings.truncate_dim ?? undefined;
  if (truncateDim !== undefined) configInteger(settings, 'truncate_dim', settingsFile);
  const base = {
    similarity, ...(await transformerSettings(files, source)), truncateDim: truncateDim as number | undefined, ...promptSettings(settings, settingsFile),
  };
  if (files.modules === undefined) return { ...base, head: { kind: 'sentence', pooling: ['mean'], includePrompt: true, steps: [] } };

  const file = `${source}/modules.json`;
  const list = parseJsonText(files.modules, file);
  if (!Array.isArray(list)) throw new Error(`${file}: expected a JSON array of modules`);
  let pooling: PoolingConfig | undefined;
  const steps: SentenceStep[] = [];
  let width = hiddenSize;
  for (const entry of list.map((item) => object(item, file))) {
    const type = String(entry.type);
    const name = moduleClass(type);
    if (name === undefined) {
      throw new Error(`${file}: module "${type}" is not supported (supported: sentence_transformers ${KNOWN_MODULES.join(', ')})`);
    }
    if (name === 'Transformer') continue;
    if (pooling === undefined && name !== 'Pooling') {
      throw new Error(`${file}: module "${type}" comes before any Pooling module; sentvec runs ${name} on sentence vectors only`);
    }
    const path = modulePath(entry, file);
    const configPath = [path, 'config.json'].filter(Boolean).join('/');
    if (name === 'Normalize') {
      steps.push({ type: 'normalize' });
      continue;
    }
    const text = await files.read(configPath);
    if (text === undefined) throw new Error(`${source}/${configPath}: missing, but modules.json lists a ${name} module there`);
    if (name === 'Pooling') {
      if (pooling !== undefined) throw new Error(`${file}: more than one Pooling module`);
      pooling = poolingConfig(text, `${source}/${configPath}`, hiddenSize);
      width = hiddenSize * pooling.modes.length;
    } else {
      const dense = denseModule(text, `${source}/${configPath}`, path, width);
      steps.push(dense);
      width = dense.outFeatures;
    }
  }
  if (pooling === undefined) throw new Error(`${file}: no Pooling module; sentvec needs one to make sentence vectors`);
  return { ...base, head: { kind: 'sentence', pooling: pooling.modes, includePrompt: pooling.includePrompt, steps } };
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
