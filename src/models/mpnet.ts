// MPNet forward pass (transformers modeling_mpnet.py, MPNetModel without the pooler):
//   x    = LN(word[ids] + position[positionIds])       MPNetEmbeddings: no token types
//   bias = relativeAttentionBias[bucket(j - i)]        MPNetEncoder.compute_position_bias, once
//   x    = EncoderLayer_l(x, bias) for l in 0..L-1     MPNetLayer, see transformer.ts

import type { Kernels } from '../backend/kernels.js';
import type { Checkpoint } from '../safetensors.js';
import {
  ActivationStore, configInteger, encoderLayerForward, encoderShape, modulePrefix, WeightLoader,
  type Encoder, type EncoderLayer, type LinearWeightSource, type EncoderShape, type Norm, type PackedBatch,
} from './transformer.js';

export interface MPNetConfig extends EncoderShape {
  vocabSize: number;
  maxPositions: number;
  padId: number;
  numBuckets: number;
}

export function mpnetConfig(config: Record<string, unknown>, file: string): MPNetConfig {
  const maxPositions = configInteger(config, 'max_position_embeddings', file, undefined, 3);
  return {
    ...encoderShape(config, file),
    vocabSize: configInteger(config, 'vocab_size', file),
    maxPositions,
    // positions start after the pad id, and at least two tokens need one
    padId: configInteger(config, 'pad_token_id', file, 1, 0, maxPositions - 3),
    // half the buckets per direction, half of those exact: fewer than 4 leaves no exact bucket
    numBuckets: configInteger(config, 'relative_attention_num_buckets', file, 32, 4),
  };
}

const f32 = Math.fround;

/**
 * MPNetEncoder.relative_position_bucket for relative = key - query, with max_distance 128.
 * The logarithmic branch is evaluated in float32 step by step, as torch does on a float tensor,
 * so buckets at the log boundaries (n = 16, 32, 64, …) fall where PyTorch puts them.
 */
export function relativePositionBucket(relative: number, numBuckets: number, maxDistance = 128): number {
  const half = Math.floor(numBuckets / 2);
  let bucket = 0;
  let n = -relative;
  if (n < 0) bucket += half;
  n = Math.abs(n);
  const maxExact = Math.floor(half / 2);
  if (n < maxExact) return bucket + n;
  const logRatio = f32(Math.log(f32(n / maxExact)));
  const scaled = f32(f32(logRatio / f32(Math.log(maxDistance / maxExact))) * (half - maxExact));
  return bucket + Math.min(maxExact + Math.trunc(scaled), half - 1);
}

/**
 * create_position_ids_from_input_ids: real tokens count from padId + 1, and any token whose id
 * is the pad id (padding, or a literal pad token in the text) sits at padId.
 */
export function mpnetPositionIds(ids: Int32Array, lengths: Int32Array, padId: number): Int32Array {
  const positions = new Int32Array(ids.length);
  for (let b = 0, at = 0; b < lengths.length; b++) {
    let count = 0;
    for (let t = 0; t < lengths[b]; t++, at++) {
      const real = ids[at] !== padId;
      if (real) count++;
      positions[at] = real ? count + padId : padId;
    }
  }
  return positions;
}

export class MPNetModel<Buf> implements Encoder<Buf> {
  readonly hiddenSize: number;
  readonly maxTokens: number;
  private readonly words: Buf;
  private readonly positions: Buf;
  private readonly embeddingNorm: Norm<Buf>;
  /** (numBuckets, NH), kept on the host: the bias is expanded from it once per forward. */
  private readonly relativeAttentionBias: Float32Array;
  private readonly activations: ActivationStore<Buf>;
  private readonly layers: EncoderLayer<Buf>[] = [];

  constructor(private readonly kernels: Kernels<Buf>, checkpoint: Checkpoint, private readonly config: MPNetConfig, linearWeights: LinearWeightSource) {
    const { C, F, NH } = config;
    const prefix = modulePrefix(checkpoint, 'embeddings.word_embeddings.weight', 'mpnet');
    const root = new WeightLoader(kernels, checkpoint, prefix, linearWeights);
    const embeddings = root.at('embeddings');
    this.words = embeddings.get('word_embeddings.weight', [config.vocabSize, C]);
    this.positions = embeddings.get('position_embeddings.weight', [config.maxPositions, C]);
    this.embeddingNorm = embeddings.layerNorm('LayerNorm', C);
    this.relativeAttentionBias = checkpoint.float32(`${prefix}encoder.relative_attention_bias.weight`, [config.numBuckets, NH]);
    for (let l = 0; l < config.layers; l++) {
      const layer = root.at(`encoder.layer.${l}`);
      this.layers.push({
        query: layer.linear('attention.attn.q', C, C),
        key: layer.linear('attention.attn.k', C, C),
        value: layer.linear('attention.attn.v', C, C),
        attentionOutput: layer.linear('attention.attn.o', C, C),
        attentionNorm: layer.layerNorm('attention.LayerNorm', C),
        intermediate: layer.linear('intermediate.dense', C, F),
        output: layer.linear('output.dense', F, C),
        outputNorm: layer.layerNorm('output.LayerNorm', C),
      });
    }
    this.hiddenSize = C;
    this.activations = new ActivationStore(kernels, config);
    // positions start after the pad id, so the table holds padId + 1 fewer real positions
    this.maxTokens = config.maxPositions - config.padId - 1;
  }

  /** (NH,T,T): bias[h][i][j] = relativeAttentionBias[bucket(j - i)][h], shared by the batch. */
  private positionBias(T: number): Float32Array {
    const { NH, numBuckets } = this.config;
    const bias = new Float32Array(NH * T * T);
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < T; j++) {
        const row = relativePositionBucket(j - i, numBuckets) * NH;
        for (let h = 0; h < NH; h++) bias[(h * T + i) * T + j] = this.relativeAttentionBias[row + h];
      }
    }
    return bias;
  }

  forward(batch: PackedBatch): Buf {
    const k = this.kernels;
    const { config } = this;
    const { ids, M } = batch;
    const positionIds = mpnetPositionIds(ids, batch.lengths, config.padId);
    const bias = this.positionBias(batch.T);
    const positionBias = k.alloc(bias.length);
    try {
      k.write(positionBias, bias);
      return this.activations.run(M, (act) => {
        k.embed(act.hidden, ids, positionIds, null, this.words, this.positions, null,
          M, config.C, config.vocabSize, config.maxPositions, 1);
        k.layerNorm(act.hidden, act.hidden, this.embeddingNorm.gamma, this.embeddingNorm.beta, M, config.C, config.eps);
        for (const layer of this.layers) encoderLayerForward(k, layer, act, positionBias, batch, config);
      });
    } finally {
      k.free(positionBias);
    }
  }
}
