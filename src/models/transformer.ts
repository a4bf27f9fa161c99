// What BERT and MPNet share: a post-LayerNorm encoder layer and the weight loading around it.
//   h   = LN(x + O·Attention(Q·x, K·x, V·x) )
//   out = LN(h + W2·GELU(W1·h))
// (transformers modeling_bert.py BertLayer; modeling_mpnet.py MPNetLayer computes the same with
// other module names and a relative position bias inside the attention.)

import { blocksOf } from '../backend/int8.js';
import type { Kernels, LinearWeight, WeightFormat } from '../backend/kernels.js';
import { scaleName } from '../quantized-checkpoint.js';
import type { Checkpoint } from '../safetensors.js';

/** A config.json real number, checked: a missing or mistyped field is an error naming the file. */
export function configNumber(config: Record<string, unknown>, key: string, file: string, fallback?: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`${file}: "${key}" must be a positive number, found ${JSON.stringify(config[key])}`);
  }
  return value;
}

// Far above any sentence encoder's sizes, and low enough that products of two stay exact integers.
const MAX_CONFIG_SIZE = 1 << 24;

/** A config.json integer in min..max (a size, by default): a fraction or an absurd size is an error naming the file. */
export function configInteger(config: Record<string, unknown>, key: string, file: string, fallback?: number,
  min = 1, max = MAX_CONFIG_SIZE): number {
  const value = config[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${file}: "${key}" must be an integer in ${min}..${max}, found ${JSON.stringify(config[key])}`);
  }
  return value;
}

/** The sizes every encoder layer needs; names follow llm.c (C channels, NH heads, HS head size). */
export interface EncoderShape {
  C: number;
  NH: number;
  HS: number;
  F: number;
  layers: number;
  eps: number;
}

export function encoderShape(config: Record<string, unknown>, file: string): EncoderShape {
  const C = configInteger(config, 'hidden_size', file);
  const NH = configInteger(config, 'num_attention_heads', file);
  if (C % NH !== 0) throw new Error(`${file}: hidden_size ${C} is not a multiple of num_attention_heads ${NH}`);
  const act = config.hidden_act ?? 'gelu';
  if (act !== 'gelu') throw new Error(`${file}: hidden_act "${String(act)}" is not supported (only exact "gelu")`);
  return {
    C,
    NH,
    HS: C / NH,
    F: configInteger(config, 'intermediate_size', file),
    layers: configInteger(config, 'num_hidden_layers', file),
    eps: configNumber(config, 'layer_norm_eps', file),
  };
}

/** Makes the encoder's nn.Linear weight (N,K) stored in the checkpoint as `name`. */
export type LinearWeightSource = (name: string, N: number, K: number) => LinearWeight;

/**
 * The backend's Linear weights from the checkpoint, as `format`; I8 tensors (a sentvec quantize
 * checkpoint, whose format is then i8) are handed over as codes and scales, never as floats.
 */
export function backendLinearWeights(kernels: Kernels<unknown>, checkpoint: Checkpoint, format: WeightFormat): LinearWeightSource {
  return (name, N, K) => checkpoint.info(name)?.tensor.dtype === 'I8'
    ? kernels.quantizedLinearWeight(checkpoint.int8Transient(name, [N, K]), checkpoint.float32Transient(scaleName(name), [N, blocksOf(K)]), N, K)
    : kernels.linearWeight(checkpoint.float32Transient(name, [N, K]), N, K, format);
}

/**
 * Hands tensors to the backend by their checkpoint name under one module prefix, so a missing
 * or mis-shaped tensor is reported by its real name (the checkpoint checks the shape).
 */
export class WeightLoader<Buf> {
  constructor(
    private readonly kernels: Kernels<Buf>,
    private readonly checkpoint: Checkpoint,
    private readonly prefix: string,
    /** The encoder's Linear weights (the rest stays float32). */
    private readonly linearWeights: LinearWeightSource,
  ) {}

  at(path: string): WeightLoader<Buf> {
    return new WeightLoader(this.kernels, this.checkpoint, `${this.prefix}${path}.`, this.linearWeights);
  }

  get(name: string, shape: readonly number[]): Buf {
    return this.kernels.weight(this.checkpoint.float32(`${this.prefix}${name}`, shape));
  }

  /** (weight, bias) of an nn.Linear from `inFeatures` to `outFeatures`. */
  linear(path: string, inFeatures: number, outFeatures: number): Linear<Buf> {
    return {
      weight: this.linearWeights(`${this.prefix}${path}.weight`, outFeatures, inFeatures),
      bias: this.at(path).get('bias', [outFeatures]),
    };
  }

  layerNorm(path: string, C: number): Norm<Buf> {
    const module = this.at(path);
    return { gamma: module.get('weight', [C]), beta: module.get('bias', [C]) };
  }
}

/**
 * The prefix under which a checkpoint keeps the encoder: sentence-transformers saves the bare
 * model (`embeddings.…`); task checkpoints nest it (`bert.embeddings.…`, `mpnet.embeddings.…`).
 */
export function modulePrefix(checkpoint: Checkpoint, probe: string, nested: string): string {
  if (checkpoint.has(probe)) return '';
  if (checkpoint.has(`${nested}.${probe}`)) return `${nested}.`;
  throw new Error(`checkpoint has neither ${probe} nor ${nested}.${probe}: not a ${nested} model`);
}

export interface Linear<Buf> {
  weight: LinearWeight;
  bias: Buf;
}

export interface Norm<Buf> {
  gamma: Buf;
  beta: Buf;
}

export interface EncoderLayer<Buf> {
  query: Linear<Buf>;
  key: Linear<Buf>;
  value: Linear<Buf>;
  attentionOutput: Linear<Buf>;
  attentionNorm: Norm<Buf>;
  intermediate: Linear<Buf>;
  output: Linear<Buf>;
  outputNorm: Norm<Buf>;
}

/** Activation storage for forward passes of up to `rows` tokens, reused by every layer. */
export class Activations<Buf> {
  /** (M,C) hidden states of the pass in flight, owned by whoever runs it. */
  hidden!: Buf;
  readonly q: Buf;
  readonly k: Buf;
  readonly v: Buf;
  readonly context: Buf;
  readonly residual: Buf;
  readonly intermediate: Buf;
  // q, k, v and context are dead once the attention output is in `residual`, and the intermediate
  // is dead before the next layer writes q: one block holds both, the larger of 4·C and F per row
  private readonly shared: Buf;

  constructor(
    private readonly kernels: Kernels<Buf>,
    readonly rows: number,
    shape: EncoderShape,
  ) {
    const floats = rows * shape.C;
    this.shared = kernels.alloc(rows * Math.max(4 * shape.C, shape.F));
    [this.q, this.k, this.v, this.context] = [0, 1, 2, 3].map((index) => kernels.view(this.shared, index * floats, floats));
    this.intermediate = kernels.view(this.shared, 0, rows * shape.F);
    this.residual = kernels.alloc(floats);
  }

  free(): void {
    this.kernels.free(this.shared);
    this.kernels.free(this.residual);
  }
}

/** Scratch is kept for the next pass only up to this many rows (a quarter of TOKENS_PER_BATCH)… */
const KEPT_ROWS_LIMIT = 2048;
/** …and only until the model has been idle this long, so memory returns to what loading took. */
export const IDLE_RELEASE_MS = 1000;
/**
 * Kept scratch grows to the next power of this, not to the exact rows of the pass that outgrew it:
 * batches that grow a little at a time (texts sorted by length) would each leave a whole set of
 * buffers behind for the collector. Encoding the STS-B test set at batch 32 with int8
 * all-mpnet-base-v2 in-process reallocated 14 times and peaked at 361–374 MiB; growing by 1.5,
 * 3 times and 313–349 MiB.
 */
const SCRATCH_GROWTH = 1.5;

/** Rows of scratch for a pass of M tokens: kept passes round up (SCRATCH_GROWTH), larger ones are exact. */
export function scratchRows(M: number): number {
  if (M > KEPT_ROWS_LIMIT) return M;
  const stepped = Math.ceil(SCRATCH_GROWTH ** Math.ceil(Math.log(M) / Math.log(SCRATCH_GROWTH)));
  return Math.max(M, Math.min(KEPT_ROWS_LIMIT, stepped));
}

/**
 * Keeps one pass's scratch activations for the next: a stream of batches of similar size then
 * allocates only their hidden states. Scratch of a large pass, or of the last pass once the model
 * has been idle IDLE_RELEASE_MS, is freed.
 */
export class ActivationStore<Buf> {
  private kept: Activations<Buf> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly kernels: Kernels<Buf>, private readonly shape: EncoderShape) {}

  /**
   * Runs `body` over activations for M tokens and returns `hidden`, which the caller pools and
   * frees (it is freed here if `body` throws). Scratch kept from an earlier pass serves if it
   * holds M rows and not over 4× that many.
   */
  run(M: number, body: (act: Activations<Buf>) => void): Buf {
    const k = this.kernels;
    const hidden = k.alloc(M * this.shape.C);
    let act = this.kept;
    this.kept = null;
    if (act && (act.rows < M || act.rows > 4 * M)) {
      act.free();
      act = null;
    }
    try {
      act ??= new Activations(k, scratchRows(M), this.shape);
      act.hidden = hidden;
      body(act);
    } catch (error) {
      k.free(hidden);
      act?.free();
      throw error;
    }
    if (act.rows > KEPT_ROWS_LIMIT) {
      act.free();
    } else {
      this.kept = act;
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => this.release(), IDLE_RELEASE_MS);
      // an idle model must not keep the process alive (unref exists under Node only)
      (this.idleTimer as { unref?: () => void }).unref?.();
    }
    return hidden;
  }

  /** Frees the kept scratch now. */
  release(): void {
    clearTimeout(this.idleTimer);
    this.kept?.free();
    this.kept = null;
  }
}

/** The batch a forward pass runs: sequences back to back, without padding. */
export interface PackedBatch {
  /** Token ids of every sequence, one after another. */
  ids: Int32Array;
  /** Token type id of every token (segment A 0, segment B 1), laid out as ids. */
  typeIds: Int32Array;
  /** Tokens of each sequence. */
  lengths: Int32Array;
  /** Σ lengths: rows of every activation. */
  M: number;
  /** The longest length. */
  T: number;
}

/** Packs the sequences; `typeIds`, one array per sequence of its length, default to all 0. */
export function packedBatch(sequences: readonly Int32Array[], typeIds?: readonly Int32Array[]): PackedBatch {
  const lengths = Int32Array.from(sequences, (sequence) => sequence.length);
  const M = lengths.reduce((sum, length) => sum + length, 0);
  if (typeIds !== undefined && typeIds.length !== sequences.length) {
    throw new RangeError(`typeIds holds ${typeIds.length} sequences, the batch ${sequences.length}`);
  }
  const ids = new Int32Array(M);
  const types = new Int32Array(M);
  let at = 0;
  sequences.forEach((sequence, b) => {
    ids.set(sequence, at);
    if (typeIds !== undefined) {
      if (typeIds[b].length !== sequence.length) {
        throw new RangeError(`typeIds[${b}] holds ${typeIds[b].length} ids, its sequence ${sequence.length} tokens`);
      }
      types.set(typeIds[b], at);
    }
    at += sequence.length;
  });
  // a loop, not Math.max(...lengths): spreading a large batch overflows the call stack
  return { ids, typeIds: types, lengths, M, T: lengths.reduce((longest, length) => Math.max(longest, length), 0) };
}

/** One encoder layer over act.hidden (M,C), in place. */
export function encoderLayerForward<Buf>(
  k: Kernels<Buf>, layer: EncoderLayer<Buf>, act: Activations<Buf>, positionBias: Buf | null,
  batch: PackedBatch, shape: EncoderShape,
): void {
  const { C, NH, HS, F, eps } = shape;
  const { M, T, lengths } = batch;
  k.linear(act.q, act.hidden, layer.query.weight, layer.query.bias, null, M, C, C, 'none');
  k.linear(act.k, act.hidden, layer.key.weight, layer.key.bias, null, M, C, C, 'none');
  k.linear(act.v, act.hidden, layer.value.weight, layer.value.bias, null, M, C, C, 'none');
  k.attention(act.context, act.q, act.k, act.v, positionBias, lengths, lengths.length, T, NH, HS);
  k.linear(act.residual, act.context, layer.attentionOutput.weight, layer.attentionOutput.bias, act.hidden, M, C, C, 'none');
  k.layerNorm(act.hidden, act.residual, layer.attentionNorm.gamma, layer.attentionNorm.beta, M, C, eps);
  k.linear(act.intermediate, act.hidden, layer.intermediate.weight, layer.intermediate.bias, null, M, C, F, 'gelu');
  k.linear(act.residual, act.intermediate, layer.output.weight, layer.output.bias, act.hidden, M, F, C, 'none');
  k.layerNorm(act.hidden, act.residual, layer.outputNorm.gamma, layer.outputNorm.beta, M, C, eps);
}

/** The graph a model file exposes to the encoder: token ids in, last hidden states out. */
export interface Encoder<Buf> {
  readonly hiddenSize: number;
  /** Highest token count a sequence may have, from the position table. */
  readonly maxTokens: number;
  /** Returns hidden (batch.M, C), owned by the caller (kernels.free). */
  forward(batch: PackedBatch): Buf;
}
