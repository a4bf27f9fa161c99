// What runs after the encoder's last hidden states, as plain data (it crosses to the worker
// thread) and as the weights a backend holds for it:
//   sentence head     Pooling → Dense… → Normalize, in modules.json order
//                     (sentence_transformers Pooling, Dense, Normalize modules)
//   classifier head   logits = out(tanh(dense(hidden[token 0])))
//                     (transformers BertForSequenceClassification: BertPooler + classifier;
//                     MPNet/RoBERTa ClassificationHead: classifier.dense + classifier.out_proj)
// Dropout is the identity at inference and is left out. tanh is applied here, on the few (B,N)
// values a head gives, not by a kernel: adding it to all three backends for a handful of floats
// per text would buy nothing, and Math.tanh is exact in double precision on every backend alike.

import type { Kernels, PoolMode } from './backend/kernels.js';
import { backendLinearWeights, WeightLoader, type Linear, type PackedBatch } from './models/transformer.js';
import { normalizeL2 } from './pooling.js';
import { Checkpoint, parseSafetensors } from './safetensors.js';

/** An activation a head applies elementwise (torch.nn.Tanh, torch.nn.Identity). */
export type HeadActivation = 'identity' | 'tanh';

/** A sentence_transformers Dense module: y = activation(W x + b), W (outFeatures, inFeatures). */
export interface DenseModule {
  type: 'dense';
  /** The module's folder inside the model folder ('2_Dense'). */
  path: string;
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
  activation: HeadActivation;
}

export type SentenceStep = DenseModule | { type: 'normalize' };

export interface SentenceHead {
  kind: 'sentence';
  /** Pooling modes in the order their outputs are concatenated. */
  pooling: PoolMode[];
  /** Pooling include_prompt: false leaves a prompt's tokens out of the pooled vector. */
  includePrompt: boolean;
  /** The modules after Pooling, in order. */
  steps: SentenceStep[];
}

export interface ClassifierHead {
  kind: 'classifier';
  /** Checkpoint names of the two Linear layers: 'bert.pooler.dense' and 'classifier' for BERT. */
  dense: string;
  out: string;
  numLabels: number;
}

/** Plain data, so it crosses to the worker thread. */
export type Head = SentenceHead | ClassifierHead;

/** Per-batch inputs beyond the token ids. */
export interface RunOptions {
  /** Token type ids of each sequence (segment A 0, B 1), when not all 0. */
  typeIds?: Int32Array[];
  /** Leading tokens every sequence's prompt takes, left out of pooling when includePrompt is false. */
  promptLength?: number;
}

/** The width of what a head gives per sequence. */
export function headDimension(head: Head, hiddenSize: number): number {
  if (head.kind === 'classifier') return head.numLabels;
  const dense = head.steps.filter((step): step is DenseModule => step.type === 'dense');
  return dense.length > 0 ? dense[dense.length - 1].outFeatures : hiddenSize * head.pooling.length;
}

/** A head with its weights held by a backend. */
export interface HeadWeights<Buf> {
  head: Head;
  /** One per Dense module, in order. */
  dense: Linear<Buf>[];
  classifier?: { dense: Linear<Buf>; out: Linear<Buf> };
}

/**
 * Takes the head's weights: a classifier's from the encoder's checkpoint, each Dense module's from
 * `<path>/model.safetensors` read by `read`. They stay float32 whatever the encoder's dtype.
 */
export async function loadHeadWeights<Buf>(
  kernels: Kernels<Buf>, head: Head, checkpoint: Checkpoint, hiddenSize: number,
  read: (path: string) => Promise<Uint8Array | undefined>, source: string,
): Promise<HeadWeights<Buf>> {
  if (head.kind === 'classifier') {
    const root = new WeightLoader(kernels, checkpoint, '', backendLinearWeights(kernels, checkpoint, 'f32'));
    return {
      head,
      dense: [],
      classifier: { dense: root.linear(head.dense, hiddenSize, hiddenSize), out: root.linear(head.out, hiddenSize, head.numLabels) },
    };
  }
  const dense: Linear<Buf>[] = [];
  for (const step of head.steps) {
    if (step.type !== 'dense') continue;
    const file = `${step.path}/model.safetensors`;
    const bytes = await read(file);
    if (bytes === undefined) {
      const legacy = (await read(`${step.path}/pytorch_model.bin`)) !== undefined;
      throw new Error(`${source}/${file}: missing, but modules.json lists a Dense module there` +
        (legacy ? ' (only pytorch_model.bin, which sentvec does not read: save the model with safe_serialization=True)' : ''));
    }
    const weights = new Checkpoint([parseSafetensors(bytes, `${source}/${file}`)]);
    const linearWeights = backendLinearWeights(kernels, weights, 'f32');
    const { inFeatures: K, outFeatures: N } = step;
    // kernels.linear always adds a bias: a zero one stands for bias=False
    dense.push(step.bias
      ? new WeightLoader(kernels, weights, '', linearWeights).linear('linear', K, N)
      : { weight: linearWeights('linear.weight', N, K), bias: kernels.weight(new Float32Array(N)) });
  }
  return { head, dense };
}

/**
 * The head over hidden (batch.M, C): one vector (a sentence head) or one row of logits (a
 * classifier head) per sequence, in batch order.
 */
export function runHead<Buf>(k: Kernels<Buf>, weights: HeadWeights<Buf>, hidden: Buf, batch: PackedBatch, C: number, options: RunOptions): Float32Array[] {
  const { head } = weights;
  const B = batch.lengths.length;
  if (head.kind === 'classifier') {
    const { dense, out } = weights.classifier!;
    const first = pooledRows(k, hidden, batch.lengths, B, C, 'cls');
    const pooled = linearRows(k, first, dense, B, C, C, 'tanh');
    return split(linearRows(k, pooled, out, B, C, head.numLabels, 'identity'), B);
  }
  const skip = head.includePrompt ? 0 : options.promptLength ?? 0;
  let vectors = skip > 0 ? poolAfterPrompt(k, hidden, batch, C, head.pooling, skip) : poolAll(k, hidden, batch.lengths, C, head.pooling);
  let dense = 0;
  for (const step of head.steps) {
    if (step.type === 'normalize') {
      const D = vectors.length / B;
      for (let b = 0; b < B; b++) normalizeL2(vectors.subarray(b * D, (b + 1) * D));
    } else {
      vectors = linearRows(k, vectors, weights.dense[dense++], B, step.inFeatures, step.outFeatures, step.activation);
    }
  }
  return split(vectors, B);
}

/** (B, n) rows as B arrays of their own (each is handed over alone, to a caller or another thread). */
function split(rows: Float32Array, B: number): Float32Array[] {
  const width = rows.length / B;
  return Array.from({ length: B }, (_, b) => rows.slice(b * width, (b + 1) * width));
}

/** out (B,N) = activation(rows (B,K) · Wᵀ + b), through the backend's linear. */
function linearRows<Buf>(k: Kernels<Buf>, rows: Float32Array, layer: Linear<Buf>, B: number, K: number, N: number, activation: HeadActivation): Float32Array {
  const inp = k.alloc(B * K);
  const out = k.alloc(B * N);
  try {
    k.write(inp, rows);
    k.linear(out, inp, layer.weight, layer.bias, null, B, K, N, 'none');
    const values = k.read(out, B * N);
    if (activation === 'tanh') for (let i = 0; i < values.length; i++) values[i] = Math.tanh(values[i]);
    return values;
  } finally {
    k.free(inp);
    k.free(out);
  }
}

/** (B,C) of one pooling mode. */
function pooledRows<Buf>(k: Kernels<Buf>, hidden: Buf, lengths: Int32Array, B: number, C: number, mode: PoolMode): Float32Array {
  const pooled = k.alloc(B * C);
  try {
    k.pool(pooled, hidden, lengths, B, C, mode);
    return k.read(pooled, B * C);
  } finally {
    k.free(pooled);
  }
}

/** (B, C·modes): every mode's (B,C) side by side, as Pooling concatenates them. */
function poolAll<Buf>(k: Kernels<Buf>, hidden: Buf, lengths: Int32Array, C: number, modes: readonly PoolMode[]): Float32Array {
  const B = lengths.length;
  const D = C * modes.length;
  const vectors = new Float32Array(B * D);
  modes.forEach((mode, m) => {
    const rows = pooledRows(k, hidden, lengths, B, C, mode);
    for (let b = 0; b < B; b++) vectors.set(rows.subarray(b * C, (b + 1) * C), b * D + m * C);
  });
  return vectors;
}

/**
 * Pooling with include_prompt false: the first `skip` tokens of every sequence are masked out
 * (Pooling._exclude_prompt_from_mask), so each mode pools the tokens after them, packed anew.
 * weightedmean keeps each token's weight from its position in the whole sequence (p+1, p+2, …):
 * Σ(p+j)h_j / Σ(p+j) = (W·weighted + p·n·mean) / (W + p·n) with W = n(n+1)/2 over the n kept tokens.
 */
function poolAfterPrompt<Buf>(k: Kernels<Buf>, hidden: Buf, batch: PackedBatch, C: number, modes: readonly PoolMode[], skip: number): Float32Array {
  const { lengths, M } = batch;
  const B = lengths.length;
  const kept = lengths.map((length) => length - skip);
  const short = kept.findIndex((n) => n < 1);
  if (short >= 0) {
    throw new Error(`a text of ${lengths[short]} tokens has nothing left to pool after its prompt's ${skip} tokens ` +
      '(Pooling include_prompt is false): use a shorter prompt or text');
  }
  const all = k.read(hidden, M * C);
  const rest = new Float32Array((M - skip * B) * C);
  for (let b = 0, from = 0, to = 0; b < B; from += lengths[b], to += kept[b], b++) {
    rest.set(all.subarray((from + skip) * C, (from + lengths[b]) * C), to * C);
  }
  const restHidden = k.alloc(rest.length);
  try {
    k.write(restHidden, rest);
    const plain = modes.map((mode) => (mode === 'weightedMean' ? 'mean' : mode));
    const vectors = poolAll(k, restHidden, kept, C, plain);
    const w = modes.indexOf('weightedMean');
    if (w < 0) return vectors;
    const weighted = pooledRows(k, restHidden, kept, B, C, 'weightedMean');
    const D = C * modes.length;
    for (let b = 0; b < B; b++) {
      const n = kept[b];
      const W = (n * (n + 1)) / 2;
      const row = vectors.subarray(b * D + w * C, b * D + (w + 1) * C);  // holds the mean here
      for (let c = 0; c < C; c++) row[c] = (W * weighted[b * C + c] + skip * n * row[c]) / (W + skip * n);
    }
    return vectors;
  } finally {
    k.free(restHidden);
  }
}
