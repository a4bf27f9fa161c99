// folder / bytes / URL → config, tokenizer, weights, modules → a ready SentenceModel.

import { selectBackend } from './backend/index.js';
import type { WasmModules } from './backend/wasm.js';
import { withShapeChecks, type Kernels, type WeightFormat } from './backend/kernels.js';
import { SentenceModel } from './encoder.js';
import { BertModel, bertConfig } from './models/bert.js';
import { MPNetModel, mpnetConfig } from './models/mpnet.js';
import { configNumber, type Encoder } from './models/transformer.js';
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
  /**
   * 'fp32' (default: $SENTVEC_DTYPE, else fp32) or 'int8': the encoder's Linear layers as int8
   * weights with activations quantized per call, about 4× less weight memory.
   */
  dtype?: Dtype;
  /**
   * The WASM kernels as modules the host compiled, by variant, where compiling from bytes is
   * forbidden (Cloudflare Workers, Vercel's edge): `import simd from 'sentvec/wasm/sentvec-simd.wasm'`.
   */
  wasmModules?: WasmModules;
}

/** The precision of the encoder's Linear layers. */
export type Dtype = 'fp32' | 'int8';
const DTYPES: Record<Dtype, WeightFormat> = { fp32: 'f32', int8: 'i8' };

/** options.dtype, else $SENTVEC_DTYPE, else fp32; anything else is an error listing the choices. */
function dtypeOf(requested: string | undefined): Dtype {
  const dtype = requested ?? (typeof process === 'undefined' ? undefined : process.env.SENTVEC_DTYPE) ?? 'fp32';
  if (!(dtype in DTYPES)) {
    const origin = requested === undefined ? 'SENTVEC_DTYPE' : 'dtype';
    throw new Error(`${origin} '${dtype}' is not a precision sentvec runs (${Object.keys(DTYPES).join(', ')})`);
  }
  return dtype as Dtype;
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
      const fs = await import('node:fs/promises');
      try {
        return await fs.readFile(`${dir}/${path}`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new Error(`${dir}/${path}: cannot be read (${(error as Error).message})`);
      }
    },
  };
}

function urlSource(base: URL): ModelSource {
  const root = base.href.endsWith('/') ? base : new URL(`${base.href}/`);
  return {
    name: root.href.replace(/\/$/, ''),
    async bytes(path) {
      const url = new URL(path, root);
      const response = await fetch(url);
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`${url.href}: HTTP ${response.status} ${response.statusText}`);
      return bodyBytes(response, url);
    },
  };
}

/**
 * The body read into one buffer of Content-Length bytes as it streams in. arrayBuffer() holds every
 * chunk and then their concatenation, twice the checkpoint at its peak, which an edge isolate of
 * 128 MB cannot spare.
 */
async function bodyBytes(response: Response, url: URL): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'));
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  if (!response.body || !Number.isSafeInteger(declared) || declared <= 0 || encoded) return new Uint8Array(await response.arrayBuffer());
  const bytes = new Uint8Array(declared);
  let filled = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (filled + value.length > declared) {
      await reader.cancel();
      throw new Error(`${url.href}: the body runs past its Content-Length of ${declared} bytes`);
    }
    bytes.set(value, filled);
    filled += value.length;
  }
  if (filled !== declared) throw new Error(`${url.href}: the body ended after ${filled} of its ${declared} bytes (Content-Length)`);
  return bytes;
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
export function encoderFor<Buf>(
  kernels: Kernels<Buf>, checkpoint: Checkpoint, config: Record<string, unknown>, file: string, dtype: Dtype,
): Encoder<Buf> {
  switch (config.model_type) {
    case 'bert':
      return new BertModel(kernels, checkpoint, bertConfig(config, file), DTYPES[dtype]);
    case 'mpnet':
      return new MPNetModel(kernels, checkpoint, mpnetConfig(config, file), DTYPES[dtype]);
    default:
      throw new Error(`${file}: model_type "${String(config.model_type)}" is not supported (supported: bert, mpnet)`);
  }
}

async function readConfig(source: ModelSource): Promise<Record<string, unknown>> {
  const file = `${source.name}/config.json`;
  const configText = await text(source, 'config.json');
  if (configText === undefined) throw new Error(`${file}: missing; is ${source.name} a sentence-transformers model folder?`);
  try {
    return JSON.parse(configText);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

async function inlineRunner(
  source: ModelSource, config: Record<string, unknown>, kernels: Kernels, head: HeadModules, dtype: Dtype,
): Promise<InlineRunner<unknown>> {
  return new InlineRunner(kernels, encoderFor(kernels, await checkpointOf(source), config, `${source.name}/config.json`, dtype), head);
}

/** The worker thread's half of load(): the graph over `backend` from a model folder. */
export async function loadInlineRunner(
  dir: string, backend: string, head: HeadModules, dtype: Dtype, map?: FileMapper,
): Promise<InlineRunner<unknown>> {
  const source = folderSource(dir, map);
  return inlineRunner(source, await readConfig(source), withShapeChecks(await selectBackend(backend)), head, dtype);
}

// Node-only (node:worker_threads), so named through a variable that bundlers do not follow: a
// static import of it hoisted into a Workers bundle fails to link there.
const WORKER_RUNNER = './worker-runner.js';

/** Loads a sentence-transformers model (BERT/MiniLM or MPNet) from a folder, URL or files. */
export async function load(input: ModelInput, options: LoadOptions = {}): Promise<SentenceModel> {
  const dtype = dtypeOf(options.dtype);
  const source = await sourceOf(input);
  const config = await readConfig(source);

  const kernels = withShapeChecks(await selectBackend(options.backend, { wasmModules: options.wasmModules }));
  const modules = await sentenceModules(
    { modules: await text(source, 'modules.json'), read: (path) => text(source, path) },
    source.name,
    configNumber(config, 'hidden_size', `${source.name}/config.json`),
  );
  const head: HeadModules = { pooling: modules.pooling, normalize: modules.normalize };
  const inWorker = kernels.name === 'native' && options.worker !== false && typeof input === 'string' && !/^https?:/i.test(input);
  // The worker reads the weights while this thread parses the tokenizer.
  const starting: Promise<BatchRunner> = inWorker
    ? (await import(/* webpackIgnore: true */ /* @vite-ignore */ WORKER_RUNNER) as typeof import('./worker-runner.js')).WorkerRunner.start({ dir: source.name, backend: kernels.name, head, dtype })
    : inlineRunner(source, config, kernels, head, dtype);
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
  if (maxSeqLength > runner.maxTokens) {
    await runner.close();
    throw new Error(`${source.name}/sentence_bert_config.json: max_seq_length ${maxSeqLength} exceeds the ${runner.maxTokens} positions the model has`);
  }
  return new SentenceModel(runner, tokenizer, modules, maxSeqLength, dtype);
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
