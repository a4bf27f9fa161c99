// folder / bytes / URL → config, tokenizer, weights, modules → a ready SentenceModel.

import { selectBackend } from './backend/index.js';
import { withShapeChecks, type Kernels } from './backend/kernels.js';
import { SentenceModel } from './encoder.js';
import { BertModel, bertConfig } from './models/bert.js';
import { MPNetModel, mpnetConfig } from './models/mpnet.js';
import { configInteger, type Encoder } from './models/transformer.js';
import { parseJsonText } from './json.js';
import { sentenceModules } from './pooling.js';
import { InlineRunner, type BatchRunner, type HeadModules } from './runner.js';
import { Checkpoint, parseSafetensors, shardFiles, type SafetensorsFile } from './safetensors.js';
import { Tokenizer, type TokenizerFiles } from './tokenizer/index.js';

/** The model's files by relative path ('config.json', '1_Pooling/config.json', …). */
export type ModelFileMap = Record<string, string | Uint8Array | ArrayBuffer>;

/** A folder path, an http(s) base URL, or the files themselves. */
export type ModelInput = string | URL | ModelFileMap;

export interface LoadOptions {
  /** 'native', 'wasm' or 'js'; default: $SENTVEC_BACKEND, else the fastest that loads. */
  backend?: string;
  /**
   * Run the native backend in a worker thread (default true under Node for a model folder), so
   * encode() never blocks the event loop; false runs it on the calling thread.
   */
  worker?: boolean;
}

interface ModelSource {
  name: string;
  bytes(path: string): Promise<Uint8Array | undefined>;
}

/** Maps a whole file into memory, or returns undefined where it cannot (the file is then read). */
export type FileMapper = (file: string) => Uint8Array | undefined;

function folderSource(dir: string, map?: FileMapper): ModelSource {
  return {
    name: dir,
    async bytes(path) {
      const mapped = map?.(`${dir}/${path}`);
      if (mapped) return mapped;
      return (await import('./model-file.js')).readModelFile(`${dir}/${path}`);
    },
  };
}

function urlSource(base: URL): ModelSource {
  const root = base.href.endsWith('/') ? base : new URL(`${base.href}/`);
  return {
    name: root.href.replace(/\/$/, ''),
    async bytes(path) {
      const url = new URL(path, root);
      // the callers validate paths; this guards the rule that nothing is fetched from outside root
      if (!url.href.startsWith(root.href)) throw new Error(`${root.href}: refusing to fetch ${url.href}, outside the model's URL`);
      const response = await fetch(url);
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`${url.href}: HTTP ${response.status} ${response.statusText}`);
      return new Uint8Array(await response.arrayBuffer());
    },
  };
}

function mapSource(files: ModelFileMap): ModelSource {
  const encoder = new TextEncoder();
  return {
    name: '(files)',
    async bytes(path) {
      const value = files[path];
      if (value === undefined) return undefined;
      if (typeof value === 'string') return encoder.encode(value);
      return value instanceof Uint8Array ? value : new Uint8Array(value);
    },
  };
}

async function sourceOf(input: ModelInput): Promise<ModelSource> {
  if (input instanceof URL) return urlSource(input);
  if (typeof input === 'string') {
    if (/^https?:\/\//i.test(input)) return urlSource(new URL(input));
    const fs = await import('node:fs/promises');
    const stat = await fs.stat(input).catch(() => undefined);
    if (!stat?.isDirectory()) throw new Error(`model folder ${input} does not exist or is not a folder`);
    return folderSource(input.replace(/\/+$/, ''));
  }
  if (typeof input === 'object' && input !== null) return mapSource(input);
  throw new TypeError('load(model): model must be a folder path, a URL, or an object of files');
}

const decoder = new TextDecoder();

async function text(source: ModelSource, path: string): Promise<string | undefined> {
  const bytes = await source.bytes(path);
  return bytes === undefined ? undefined : decoder.decode(bytes);
}

async function checkpointOf(source: ModelSource): Promise<Checkpoint> {
  const single = await source.bytes('model.safetensors');
  if (single !== undefined) return new Checkpoint([parseSafetensors(single, `${source.name}/model.safetensors`)]);
  const indexFile = `${source.name}/model.safetensors.index.json`;
  const index = await text(source, 'model.safetensors.index.json');
  if (index === undefined) {
    const legacy = (await source.bytes('pytorch_model.bin')) !== undefined;
    throw new Error(`${source.name}: no model.safetensors${legacy ? ' (only pytorch_model.bin, which sentvec does not read: save the model with safe_serialization=True)' : ''}`);
  }
  const shards: SafetensorsFile[] = [];
  for (const name of shardFiles(index, indexFile)) {
    const bytes = await source.bytes(name);
    if (bytes === undefined) throw new Error(`${indexFile} lists shard ${name}, which is missing`);
    shards.push(parseSafetensors(bytes, `${source.name}/${name}`));
  }
  return new Checkpoint(shards, { json: index, file: indexFile });
}

/** The graph for config.model_type over `kernels`. */
export function encoderFor<Buf>(kernels: Kernels<Buf>, checkpoint: Checkpoint, config: Record<string, unknown>, file: string): Encoder<Buf> {
  switch (config.model_type) {
    case 'bert':
      return new BertModel(kernels, checkpoint, bertConfig(config, file));
    case 'mpnet':
      return new MPNetModel(kernels, checkpoint, mpnetConfig(config, file));
    default:
      throw new Error(`${file}: model_type "${String(config.model_type)}" is not supported (supported: bert, mpnet)`);
  }
}

async function readConfig(source: ModelSource): Promise<Record<string, unknown>> {
  const file = `${source.name}/config.json`;
  const configText = await text(source, 'config.json');
  if (configText === undefined) throw new Error(`${file}: missing; is ${source.name} a sentence-transformers model folder?`);
  const config = parseJsonText(configText, file);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new Error(`${file}: must be a JSON object, found ${Array.isArray(config) ? 'an array' : String(config)}`);
  }
  return config as Record<string, unknown>;
}

async function inlineRunner(source: ModelSource, config: Record<string, unknown>, kernels: Kernels, head: HeadModules): Promise<InlineRunner<unknown>> {
  const checkpoint = await checkpointOf(source);
  return new InlineRunner(kernels, encoderFor(kernels, checkpoint, config, `${source.name}/config.json`), head, checkpoint.fileList());
}

/** The worker thread's half of load(): the graph over `backend` from a model folder. */
export async function loadInlineRunner(dir: string, backend: string, head: HeadModules, map?: FileMapper): Promise<InlineRunner<unknown>> {
  const source = folderSource(dir, map);
  return inlineRunner(source, await readConfig(source), withShapeChecks(await selectBackend(backend)), head);
}

/** Loads a sentence-transformers model (BERT/MiniLM or MPNet) from a folder, URL or files. */
export async function load(input: ModelInput, options: LoadOptions = {}): Promise<SentenceModel> {
  const source = await sourceOf(input);
  const config = await readConfig(source);

  const kernels = withShapeChecks(await selectBackend(options.backend));
  const modules = await sentenceModules(
    { modules: await text(source, 'modules.json'), read: (path) => text(source, path) },
    source.name,
    configInteger(config, 'hidden_size', `${source.name}/config.json`),
  );
  const head: HeadModules = { pooling: modules.pooling, normalize: modules.normalize };
  const inWorker = kernels.name === 'native' && options.worker !== false && typeof input === 'string' && !/^https?:/i.test(input);
  // The worker reads the weights while this thread parses the tokenizer.
  const starting: Promise<BatchRunner> = inWorker
    ? (await import('./worker-runner.js')).WorkerRunner.start({ dir: source.name, backend: kernels.name, head })
    : inlineRunner(source, config, kernels, head);
  starting.catch(() => {});  // awaited below; until then a failure must not count as unhandled

  let tokenizer: Tokenizer;
  const tokenizerFiles: TokenizerFiles = {};
  try {
    for (const name of ['tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json'] as const) {
      const content = await text(source, name);
      if (content !== undefined) tokenizerFiles[name] = content;
    }
    tokenizer = Tokenizer.fromFiles(tokenizerFiles, source.name);
  } catch (error) {
    await starting.then((runner) => runner.close(), () => {});
    throw error;
  }
  const runner = await starting;
  const maxSeqLength = modules.maxSeqLength ?? Math.min(runner.maxTokens, tokenizerMaxLength(tokenizerFiles) ?? Infinity);
  const lengthFile = `${source.name}/${modules.maxSeqLength === undefined ? 'tokenizer_config.json' : 'sentence_bert_config.json'}`;
  try {
    if (maxSeqLength > runner.maxTokens) {
      throw new Error(`${lengthFile}: max_seq_length ${maxSeqLength} exceeds the ${runner.maxTokens} positions the model has`);
    }
    const configFile = `${source.name}/config.json`;
    tokenizer.checkFits(configInteger(config, 'vocab_size', configFile), maxSeqLength, configFile, lengthFile);
  } catch (error) {
    await runner.close();
    throw error;
  }
  return new SentenceModel(runner, tokenizer, modules, maxSeqLength);
}

/** tokenizer_config.json model_max_length, which sentence-transformers falls back to. */
function tokenizerMaxLength(files: TokenizerFiles): number | undefined {
  if (files['tokenizer_config.json'] === undefined) return undefined;
  try {
    const value = JSON.parse(files['tokenizer_config.json']).model_max_length;
    return typeof value === 'number' && Number.isInteger(value) && value > 1 ? value : undefined;
  } catch {
    return undefined;
  }
}
