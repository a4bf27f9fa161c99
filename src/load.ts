// A model source (sources/) → config, tokenizer, weights, modules → a ready SentenceModel.

import { selectBackend } from './backend/index.js';
import type { WasmModules } from './backend/wasm.js';
import { withShapeChecks, type Kernels, type WeightFormat } from './backend/kernels.js';
import { crossEncoderConfig, CrossEncoder } from './cross-encoder.js';
import { SentenceModel } from './encoder.js';
import { parseJsonText } from './json.js';
import { encoderFor } from './models/index.js';
import { backendLinearWeights, configInteger } from './models/transformer.js';
import { readObject, sentenceModules, transformerSettings } from './pooling.js';
import { isQuantized } from './quantized-checkpoint.js';
import { InlineRunner, type BatchRunner } from './runner.js';
import { loadHeadWeights, type Head } from './heads.js';
import { Checkpoint, parseSafetensors, shardFiles, type SafetensorsFile } from './safetensors.js';
import { openSource, type ModelSource, type SourceSpec } from './sources/source.js';
import type { HubOptions } from './sources/repo.js';
import { Tokenizer, type TokenizerFiles } from './tokenizer/index.js';

export interface LoadOptions extends HubOptions {
  /** 'native', 'wasm' or 'js'; default: $SENTVEC_BACKEND, else the fastest that loads. */
  backend?: string;
  /**
   * Run the native backend in a worker thread (default true under Node, whatever the source), so
   * encode() never blocks the event loop; false runs it on the calling thread.
   */
  worker?: boolean;
  /**
   * 'fp32' (default: $SENTVEC_DTYPE, else fp32) or 'int8': the encoder's Linear layers as int8
   * weights with activations quantized per call, about 4× less weight memory. A folder written by
   * `sentvec quantize` runs int8 by default and cannot run fp32.
   */
  dtype?: Dtype;
  /**
   * The WASM kernels as modules the host compiled, by variant, where compiling from bytes is
   * forbidden (Cloudflare Workers, Vercel's edge): `import simd from 'sentvec/wasm/sentvec-simd.wasm'`.
   */
  wasmModules?: WasmModules;
  /**
   * Keep only the first truncateDim values of every vector (Matryoshka models), as
   * sentence-transformers' truncate_dim does: after the model's own Normalize, so a truncated
   * vector is unit length only if encode() is asked to normalize. Default: config_sentence_transformers.json truncate_dim.
   */
  truncateDim?: number;
}

/** The precision of the encoder's Linear layers. */
export type Dtype = 'fp32' | 'int8';
const DTYPES: Record<Dtype, WeightFormat> = { fp32: 'f32', int8: 'i8' };

/**
 * options.dtype, else $SENTVEC_DTYPE, else undefined (the checkpoint decides: dtypeFor); anything
 * else is an error listing the choices.
 */
export function requestedDtype(requested: string | undefined): Dtype | undefined {
  const dtype = requested ?? (typeof process === 'undefined' ? undefined : process.env.SENTVEC_DTYPE);
  if (dtype !== undefined && !(dtype in DTYPES)) {
    const origin = requested === undefined ? 'SENTVEC_DTYPE' : 'dtype';
    throw new Error(`${origin} '${dtype}' is not a precision sentvec runs (${Object.keys(DTYPES).join(', ')})`);
  }
  return dtype as Dtype | undefined;
}

/** The precision the checkpoint runs at: int8 for a sentvec quantize folder, else as requested (fp32 by default). */
function dtypeFor(checkpoint: Checkpoint, requested: Dtype | undefined, name: string): Dtype {
  if (!isQuantized(checkpoint)) return requested ?? 'fp32';
  if (requested === 'fp32') {
    throw new Error(`${name}: dtype fp32 was requested, but this folder was written by sentvec quantize and holds its ` +
      'Linear weights as int8 codes only; load the float checkpoint it was made from to run fp32');
  }
  return 'int8';
}

const decoder = new TextDecoder();

async function text(source: ModelSource, path: string): Promise<string | undefined> {
  const bytes = await source.bytes(path);
  return bytes === undefined ? undefined : decoder.decode(bytes);
}

/** The safetensors weights of a source: model.safetensors, or the shards its index lists. */
export async function checkpointOf(source: ModelSource): Promise<Checkpoint> {
  const single = await source.bytes('model.safetensors');
  if (single !== undefined) return new Checkpoint([parseSafetensors(single, `${source.name}/model.safetensors`)], undefined, source.copied);
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
  return new Checkpoint(shards, { json: index, file: indexFile }, source.copied);
}

export async function readConfig(source: ModelSource): Promise<Record<string, unknown>> {
  const file = `${source.name}/config.json`;
  const configText = await text(source, 'config.json');
  if (configText === undefined) throw new Error(`${file}: missing; is ${source.name} a sentence-transformers model folder?`);
  const config = parseJsonText(configText, file);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new Error(`${file}: must be a JSON object, found ${Array.isArray(config) ? 'an array' : String(config)}`);
  }
  return config as Record<string, unknown>;
}

async function inlineRunner(
  source: ModelSource, config: Record<string, unknown>, kernels: Kernels, head: Head, requested: Dtype | undefined,
): Promise<InlineRunner<unknown>> {
  const checkpoint = await checkpointOf(source);
  const file = `${source.name}/config.json`;
  const dtype = dtypeFor(checkpoint, requested, source.name);
  const encoder = encoderFor(kernels, checkpoint, config, file, backendLinearWeights(kernels, checkpoint, DTYPES[dtype]));
  const headWeights = await loadHeadWeights(kernels, head, checkpoint, encoder.hiddenSize, (path) => source.bytes(path), source.name);
  return new InlineRunner(kernels, encoder, headWeights, dtype, checkpoint.fileList());
}

/** inlineRunner with a folder's safetensors files mapped rather than read on the native backend (Node only). */
async function mappedInlineRunner(
  source: ModelSource, config: Record<string, unknown>, kernels: Kernels, head: Head, dtype: Dtype | undefined,
): Promise<InlineRunner<unknown>> {
  if (kernels.name !== 'native' || source.spec.kind !== 'folder') return inlineRunner(source, config, kernels, head, dtype);
  const { safetensorsMapper } = await import(/* webpackIgnore: true */ /* @vite-ignore */ './backend/native.js');
  const mapper = await safetensorsMapper();
  try {
    return await inlineRunner(openSource(source.spec, mapper), config, kernels, head, dtype);
  } finally {
    mapper.unmapAll();
  }
}

/** The worker thread's half of load(): the graph over `backend` from the same source. */
export async function loadInlineRunner(spec: SourceSpec, backend: string, head: Head, dtype: Dtype | undefined): Promise<InlineRunner<unknown>> {
  const source = openSource(spec);
  return mappedInlineRunner(source, await readConfig(source), withShapeChecks(await selectBackend(backend)), head, dtype);
}

// Node-only (node:worker_threads), so named through a variable that bundlers do not follow: a
// static import of it hoisted into a Workers bundle fails to link there.
const WORKER_RUNNER = './worker-runner.js';

/** Loads a sentence-transformers model (BERT/MiniLM or MPNet) from any source. */
export async function loadSource(source: ModelSource, options: LoadOptions = {}): Promise<SentenceModel> {
  const dtype = requestedDtype(options.dtype);
  const config = await readConfig(source);
  const configFile = `${source.name}/config.json`;
  const architectures = Array.isArray(config.architectures) ? config.architectures.map(String) : [];
  const modulesJson = await text(source, 'modules.json');
  if (modulesJson === undefined && architectures.some((name) => name.endsWith('ForSequenceClassification'))) {
    throw new Error(`${configFile}: a ${architectures.join(', ')} checkpoint is a cross-encoder; load it with loadCrossEncoder()`);
  }
  const kernels = withShapeChecks(await selectBackend(options.backend, { wasmModules: options.wasmModules }));
  const modules = await sentenceModules(
    { modules: modulesJson, read: (path) => text(source, path) }, source.name, configInteger(config, 'hidden_size', configFile),
  );
  const parts = await startRunner(source, config, kernels, modules.head, dtype, options.worker, modules.maxSeqLength);
  return new SentenceModel(parts.runner, parts.tokenizer, modules, parts.maxSeqLength, parts.runner.dtype, options.truncateDim);
}

/** Loads a cross-encoder (a *ForSequenceClassification checkpoint) from any source. */
export async function loadCrossEncoderSource(source: ModelSource, options: LoadOptions = {}): Promise<CrossEncoder> {
  const dtype = requestedDtype(options.dtype);
  const config = await readConfig(source);
  const files = { read: (path: string) => text(source, path) };
  const settings = (await readObject(files, 'config_sentence_transformers.json', source.name)) ?? {};
  if (settings.model_type !== undefined && settings.model_type !== 'CrossEncoder') {
    throw new Error(`${source.name}/config_sentence_transformers.json: model_type ${JSON.stringify(settings.model_type)} is not a cross-encoder; load it with load()`);
  }
  const crossEncoder = crossEncoderConfig(config, settings, source.name);
  const { maxSeqLength } = await transformerSettings(files, source.name);
  const kernels = withShapeChecks(await selectBackend(options.backend, { wasmModules: options.wasmModules }));
  const parts = await startRunner(source, config, kernels, crossEncoder.head, dtype, options.worker, maxSeqLength);
  return new CrossEncoder(parts.runner, parts.tokenizer, crossEncoder, parts.maxSeqLength, parts.runner.dtype);
}

/** What every kind of model is built from: the runner over the graph and its head, and the tokenizer. */
export interface ModelParts {
  runner: BatchRunner;
  tokenizer: Tokenizer;
  /** Word pieces per input, special tokens included. */
  maxSeqLength: number;
}

/**
 * Starts the runner of `head` over the source's graph (in a worker thread for the native backend
 * unless `worker` is false) and reads the tokenizer meanwhile.
 */
export async function startRunner(
  source: ModelSource, config: Record<string, unknown>, kernels: Kernels, head: Head, dtype: Dtype | undefined,
  worker: boolean | undefined, configuredLength: number | undefined,
): Promise<ModelParts> {
  const inWorker = kernels.name === 'native' && worker !== false;
  // The worker reads the weights while this thread parses the tokenizer.
  const starting: Promise<BatchRunner> = inWorker
    ? (await import(/* webpackIgnore: true */ /* @vite-ignore */ WORKER_RUNNER) as typeof import('./worker-runner.js')).WorkerRunner.start({ source: source.spec, backend: kernels.name, head, dtype })
    : mappedInlineRunner(source, config, kernels, head, dtype);
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
  const maxSeqLength = configuredLength ?? Math.min(runner.maxTokens, tokenizerMaxLength(tokenizerFiles) ?? Infinity);
  const lengthFile = `${source.name}/${configuredLength === undefined ? 'tokenizer_config.json' : 'sentence_bert_config.json'}`;
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
  return { runner, tokenizer, maxSeqLength };
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
