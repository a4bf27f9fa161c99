// XLM-RoBERTa forward pass (transformers modeling_xlm_roberta.py, XLMRobertaModel without the
// pooler): BERT's graph (bert.ts) under the `roberta` prefix, with RoBERTa's position ids
//   position[t] = padding_idx + (non-pad tokens up to t), padding_idx for a pad token
// (create_position_ids_from_input_ids), so max_position_embeddings - padding_idx - 1 tokens fit.

import type { Kernels } from '../backend/kernels.js';
import type { Checkpoint } from '../safetensors.js';
import { type BertConfig, BertModel, bertConfig } from './bert.js';
import { configInteger, type LinearWeightSource } from './transformer.js';

export interface XLMRobertaConfig extends BertConfig {
  paddingIdx: number;
}

export function xlmRobertaConfig(config: Record<string, unknown>, file: string): XLMRobertaConfig {
  const bert = bertConfig(config, file);
  const paddingIdx = configInteger(config, 'pad_token_id', file, 1, 0, bert.vocabSize - 1);
  if (paddingIdx + 1 >= bert.maxPositions) {
    throw new Error(`${file}: max_position_embeddings ${bert.maxPositions} leaves no position after pad_token_id ${paddingIdx}`);
  }
  return { ...bert, paddingIdx };
}

export class XLMRobertaModel<Buf> extends BertModel<Buf> {
  constructor(kernels: Kernels<Buf>, checkpoint: Checkpoint, config: XLMRobertaConfig, linearWeights: LinearWeightSource) {
    super(kernels, checkpoint, config, linearWeights, { prefix: 'roberta', paddingIdx: config.paddingIdx });
  }
}
