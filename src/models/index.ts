// The model registry: config.json model_type → the graph that runs it. A new architecture is one
// file beside bert.ts and mpnet.ts and one entry here.

import type { Kernels, WeightFormat } from '../backend/kernels.js';
import type { Checkpoint } from '../safetensors.js';
import { BertModel, bertConfig } from './bert.js';
import { MPNetModel, mpnetConfig } from './mpnet.js';
import type { Encoder } from './transformer.js';

type GraphBuilder = <Buf>(
  kernels: Kernels<Buf>, checkpoint: Checkpoint, config: Record<string, unknown>, file: string, linearFormat: WeightFormat,
) => Encoder<Buf>;

const GRAPHS: Record<string, GraphBuilder> = {
  bert: (kernels, checkpoint, config, file, linearFormat) => new BertModel(kernels, checkpoint, bertConfig(config, file), linearFormat),
  mpnet: (kernels, checkpoint, config, file, linearFormat) => new MPNetModel(kernels, checkpoint, mpnetConfig(config, file), linearFormat),
};

/**
 * The graph for config.model_type over `kernels`, its Linear weights stored as `linearFormat`;
 * `file` names config.json in errors.
 */
export function encoderFor<Buf>(
  kernels: Kernels<Buf>, checkpoint: Checkpoint, config: Record<string, unknown>, file: string, linearFormat: WeightFormat,
): Encoder<Buf> {
  const type = config.model_type;
  if (typeof type !== 'string' || !Object.hasOwn(GRAPHS, type)) {
    throw new Error(`${file}: model_type "${String(type)}" is not supported (supported: ${Object.keys(GRAPHS).join(', ')})`);
  }
  return GRAPHS[type](kernels, checkpoint, config, file, linearFormat);
}
