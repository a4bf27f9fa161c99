// BERT / MiniLM forward pass (transformers modeling_bert.py, BertModel without the pooler):
//   x = LN(word[ids] + position[t] + tokenType[type])   BertEmbeddings, absolute positions from 0
//   x = EncoderLayer_l(x) for l in 0..L-1               BertLayer, see transformer.ts

import type { Kernels } from '../backend/kernels.js';
import type { Checkpoint } from '../safetensors.js';
import {
  ActivationStore, configInteger, encoderLayerForward, encoderShape, modulePrefix, WeightLoader,
  type Encoder, type EncoderLayer, type LinearWeightSource, type EncoderShape, type Norm, type PackedBatch,
} from './transformer.js';

export interface BertConfig extends EncoderShape {
  vocabSize: number;
  maxPositions: number;
  typeVocabSize: number;
}

export function bertConfig(config: Record<string, unknown>, file: string): BertConfig {
  const positionType = config.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') {
    throw new Error(`${file}: position_embedding_type "${String(positionType)}" is not supported (only "absolute")`);
  }
  return {
    ...encoderShape(config, file),
    vocabSize: configInteger(config, 'vocab_size', file),
    maxPositions: configInteger(config, 'max_position_embeddings', file),
    typeVocabSize: configInteger(config, 'type_vocab_size', file),
  };
}

/**
 * How a BERT-shaped checkpoint names its weights and numbers its tokens: `bert` from position 0,
 * or (RoBERTa family) `roberta` from the padding index, see xlm-roberta.ts.
 */
export interface BertVariant {
  prefix: string;
  paddingIdx: number | null;
}

const BERT: BertVariant = { prefix: 'bert', paddingIdx: null };

export class BertModel<Buf> implements Encoder<Buf> {
  readonly hiddenSize: number;
  readonly maxTokens: number;
  private readonly words: Buf;
  private readonly positions: Buf;
  private readonly tokenTypes: Buf;
  private readonly embeddingNorm: Norm<Buf>;
  private readonly layers: EncoderLayer<Buf>[] = [];
  private readonly activations: ActivationStore<Buf>;

  constructor(
    private readonly kernels: Kernels<Buf>, checkpoint: Checkpoint, private readonly config: BertConfig, linearWeights: LinearWeightSource,
    private readonly variant = BERT,
  ) {
    const { C, F } = config;
    const root = new WeightLoader(kernels, checkpoint, modulePrefix(checkpoint, 'embeddings.word_embeddings.weight', variant.prefix), linearWeights);
    const embeddings = root.at('embeddings');
    this.words = embeddings.get('word_embeddings.weight', [config.vocabSize, C]);
    this.positions = embeddings.get('position_embeddings.weight', [config.maxPositions, C]);
    this.tokenTypes = embeddings.get('token_type_embeddings.weight', [config.typeVocabSize, C]);
    this.embeddingNorm = embeddings.layerNorm('LayerNorm', C);
    for (let l = 0; l < config.layers; l++) {
      const layer = root.at(`encoder.layer.${l}`);
      this.layers.push({
        query: layer.linear('attention.self.query', C, C),
        key: layer.linear('attention.self.key', C, C),
        value: layer.linear('attention.self.value', C, C),
        attentionOutput: layer.linear('attention.output.dense', C, C),
        attentionNorm: layer.layerNorm('attention.output.LayerNorm', C),
        intermediate: layer.linear('intermediate.dense', C, F),
        output: layer.linear('output.dense', F, C),
        outputNorm: layer.layerNorm('output.LayerNorm', C),
      });
    }
    this.hiddenSize = C;
    this.activations = new ActivationStore(kernels, config);
    this.maxTokens = config.maxPositions - (variant.paddingIdx === null ? 0 : variant.paddingIdx + 1);
  }

  forward(batch: PackedBatch): Buf {
    const k = this.kernels;
    const { config } = this;
    const { ids, typeIds, lengths, M } = batch;
    const positionIds = new Int32Array(M);
    const { paddingIdx } = this.variant;
    for (let b = 0, at = 0; b < lengths.length; b++) {
      // create_position_ids_from_input_ids: padding_idx + the count of non-pad tokens so far; a
      // pad token itself (one the text spelled out) sits at padding_idx.
      for (let t = 0, counted = 0; t < lengths[b]; t++, at++) {
        if (paddingIdx === null) positionIds[at] = t;
        else positionIds[at] = ids[at] === paddingIdx ? paddingIdx : paddingIdx + ++counted;
      }
    }
    return this.activations.run(M, (act) => {
      k.embed(act.hidden, ids, positionIds, typeIds, this.words, this.positions, this.tokenTypes,
        M, config.C, config.vocabSize, config.maxPositions, config.typeVocabSize);
      k.layerNorm(act.hidden, act.hidden, this.embeddingNorm.gamma, this.embeddingNorm.beta, M, config.C, config.eps);
      for (const layer of this.layers) encoderLayerForward(k, layer, act, null, batch, config);
    });
  }
}
