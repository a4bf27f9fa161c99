// A model source (sources/) → config, tokenizer, weights, modules → a ready SentenceModel.

import { selectBackend } from './backend/index.js';
import type { WasmModules } from './backend/wasm.js';
import { withShapeChecks, type Kernels } from './backend/kernels.js';
import { crossEncoderConfig, CrossEncoder } from './cross-encoder.js';
import { SentenceModel } from './encoder.js';
import type { Head } from './heads.js';
import { mappedInlineRunner, readConfig, requestedDtype, type Dtype } from './load-graph.js';
import { configInteger } from './models/transformer.js';
import { readObject, sentenceModules, transformerSettings } from './pooling.js';
import type { BatchRunner } from './runner.js';
import { sourceText, type ModelSource } from './sources/source.js';
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

// Node-only (node:worker_threads), so named through a variable that bundlers do not follow: a
// static import of it hoisted into a Workers bundle fails to link there.
const WORKER_RUNNER = './worker-runner.js';

/** Loads a sentence-transformers model (BERT/MiniLM or MPNet) from any source. */
export async function loadSource(source: ModelSource, options: LoadOptions = {}): Promise<SentenceModel> {
  const dtype = requestedDtype(options.dtype);
  const config = await readConfig(source);
  const configFile = `${source.name}/config.json`;
  const architectures = Array.isArray(config.architectures) ? config.architectures.map(String) : [];
  const modulesJson = await sourceText(source, 'modules.json');
  if (modulesJson === undefined && architectures.some((name) => name.endsWith('ForSequenceClassification'))) {
    throw new Error(`${configFile}: a ${architectures.join(', ')} checkpoint is a cross-encoder; load it with loadCrossEncoder()`);
  }
  const kernels = withShapeChecks(await selectBackend(options.backend, { wasmModules: options.wasmModules }));
  const modules = await sentenceModules(
    { modules: modulesJson, read: (path) => sourceText(source, path) }, source.name, configInteger(config, 'hidden_size', configFile),
  );
  const parts = await startRunner(source, config, kernels, modules.head, dtype, options.worker, modules.maxSeqLength);
  return new SentenceModel(parts.runner, parts.tokenizer, modules, parts.maxSeqLength, parts.runner.dtype, options.truncateDim);
}

/** Loads a cross-encoder (a *ForSequenceClassification checkpoint) from any source. */
export async function loadCrossEncoderSource(source: ModelSource, options: LoadOptions = {}): Promise<CrossEncoder> {
  const dtype = requestedDtype(options.dtype);
  const config = await readConfig(source);
  const files = { read: (path: string) => sourceText(source, path) };
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
      const content = await sourceText(source, name);
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
