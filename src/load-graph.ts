// The graph half of load(), all a worker thread needs: a source's config and weights → the encoder
// and head on a backend, at the precision asked for. The tokenizer and the rest of the model are
// load.ts's; keeping them out of this module's imports keeps them out of the worker's memory.

import { selectBackend } from './backend/index.js';
import { withShapeChecks, type Kernels, type WeightFormat } from './backend/kernels.js';
import { loadHeadWeights, type Head } from './heads.js';
import { parseJsonText } from './json.js';
import { encoderFor } from './models/index.js';
import { backendLinearWeights } from './models/transformer.js';
import { isQuantized } from './quantized-checkpoint.js';
import { InlineRunner } from './runner.js';
import { Checkpoint, parseSafetensors, shardFiles, type SafetensorsFile } from './safetensors.js';
import { openSource, sourceText, type ModelSource, type SourceSpec } from './sources/source.js';

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

/** The safetensors weights of a source: model.safetensors, or the shards its index lists. */
export async function checkpointOf(source: ModelSource): Promise<Checkpoint> {
  const single = await source.bytes('model.safetensors');
  if (single !== undefined) return new Checkpoint([parseSafetensors(single, `${source.name}/model.safetensors`)], undefined, source.copied);
  const indexFile = `${source.name}/model.safetensors.index.json`;
  const index = await sourceText(source, 'model.safetensors.index.json');
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
  const configText = await sourceText(source, 'config.json');
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

/**
 * inlineRunner with a folder's safetensors files mapped rather than read on the native backend
 * (Node only). Through source.mapped, not openSource: a bundle for the browser or an edge runtime
 * that reached the folder source would pull in its node:fs import.
 */
export async function mappedInlineRunner(
  source: ModelSource, config: Record<string, unknown>, kernels: Kernels, head: Head, dtype: Dtype | undefined,
): Promise<InlineRunner<unknown>> {
  if (kernels.name !== 'native' || !source.mapped) return inlineRunner(source, config, kernels, head, dtype);
  const { safetensorsMapper } = await import(/* webpackIgnore: true */ /* @vite-ignore */ './backend/native.js');
  const mapper = await safetensorsMapper();
  try {
    return await inlineRunner(source.mapped(mapper), config, kernels, head, dtype);
  } finally {
    mapper.unmapAll();
  }
}

/** The worker thread's half of load(): the graph over `backend` from the same source. */
export async function loadInlineRunner(spec: SourceSpec, backend: string, head: Head, dtype: Dtype | undefined): Promise<InlineRunner<unknown>> {
  const source = openSource(spec);
  return mappedInlineRunner(source, await readConfig(source), withShapeChecks(await selectBackend(backend)), head, dtype);
}
