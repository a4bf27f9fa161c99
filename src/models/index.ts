// The model registry: config.json model_type → the graph that runs it. A new architecture is one
// file beside bert.ts, mpnet.ts and xlm-roberta.ts and one entry here.

import type { Kernels } from '../backend/kernels.js';
import type { Checkpoint } from '../safetensors.js';
import { BertModel, bertConfig } from './bert.js';
import { MPNetModel, mpnetConfig } from './mpnet.js';
import { XLMRobertaModel, xlmRobertaConfig } from './xlm-roberta.js';
import type { Encoder, LinearWeightSource } from './transformer.js';

type GraphBuilder = <Buf>(
  kernels: Kernels<Buf>, checkpoint: Checkpoint, config: Record<string, unknown>, file: string, linearWeights: LinearWeightSource,
) => Encoder<Buf>;

const GRAPHS: Record<string, GraphBuilder> = {
  bert: (kernels, checkpoint, config, file, linearWeights) => new BertModel(kernels, checkpoint, bertConfig(config, file), linearWeights),
  mpnet: (kernels, checkpoint, config, file, linearWeights) => new MPNetModel(kernels, checkpoint, mpnetConfig(config, file), linearWeights),
  'xlm-roberta': (kernels, checkpoint, config, file, linearWeights) =>
    new XLMRobertaModel(kernels, checkpoint, xlmRobertaConfig(config, file), linearWeights),
};

/**
 * The graph for config.model_type over `kernels`, its Linear weights made by `linearWeights`;
 * `file` names config.json in errors.
 */
export function encoderFor<Buf>(
  kernels: Kernels<Buf>, checkpoint: Checkpoint, config: Record<string, unknown>, file: string, linearWeights: LinearWeightSource,
): Encoder<Buf> {
  const type = config.model_type;
  if (typeof type !== 'string' || !Object.hasOwn(GRAPHS, type)) {
    throw new Error(`${file}: model_type "${String(type)}" is not supported (supported: ${Object.keys(GRAPHS).join(', ')})`);
  }
  return GRAPHS[type](kernels, checkpoint, config, file, linearWeights);
}
