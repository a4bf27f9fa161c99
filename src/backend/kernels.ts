// The kernel interface: the only thing a model graph may call. Three backends implement it
// (js.ts: the reference, native.ts, wasm.ts) and every kernel takes its shapes explicitly,
// output first and sizes last, with B batch, T tokens, C channels, NH heads, HS head size.

import { blocksOf, I8_MAX } from './int8.js';

export type BackendName = 'js' | 'native' | 'wasm';

export const BACKEND_NAMES: readonly BackendName[] = ['native', 'wasm', 'js'];

export type Activation = 'none' | 'gelu';

/** sentence-transformers Pooling modes, in the order Pooling concatenates them. */
export type PoolMode = 'cls' | 'max' | 'mean' | 'meanSqrtLen' | 'weightedMean' | 'lastToken';

/**
 * How a backend stores a Linear weight: float32, or int8 with activations quantized per call
 * (the arithmetic is defined in int8.ts).
 */
export type WeightFormat = 'f32' | 'i8';
export const WEIGHT_FORMATS: readonly WeightFormat[] = ['f32', 'i8'];

/**
 * An nn.Linear weight (N,K) that a backend took over at load time, in whatever layout its
 * `linear` reads fastest (the native one packs it into column panels in memory of its own). The
 * graph sees its shape and format only; a backend's `linear` takes only its own weights.
 */
export interface LinearWeight {
  readonly N: number;
  readonly K: number;
  readonly format: WeightFormat;
}

/**
 * `Buf` is flat float32 storage owned by the backend: a Float32Array for js and native,
 * an offset into linear memory for wasm. A graph obtains every Buf from `weight` or `alloc`.
 *
 * Sequences are right-padded to T: token t of sequence b is real iff t < lengths[b], and
 * every lengths[b] is in 1..T. Rows of padded tokens hold unspecified finite values.
 */
export interface Kernels<Buf = unknown> {
  readonly name: BackendName;

  /** Takes a weight tensor once at load time; the backend keeps it for the model's lifetime. */
  weight(data: Float32Array): Buf;
  /**
   * Takes an nn.Linear weight (N,K), PyTorch layout, once at load time, stored as `format`.
   * `data` may be a view of the checkpoint's bytes, valid only during the call.
   */
  linearWeight(data: Float32Array, N: number, K: number, format: WeightFormat): LinearWeight;
  /**
   * Takes an nn.Linear weight (N,K) already quantized as int8.ts quantizeBlocks does: codes (N,K)
   * in -127..127 and scales (N, blocksOf(K)), views valid only during the call. The weight is i8
   * and runs exactly as linearWeight(values, N, K, 'i8') of the values they came from.
   */
  quantizedLinearWeight(codes: Int8Array, scales: Float32Array, N: number, K: number): LinearWeight;
  /** Activation storage of `length` floats; its contents are unspecified until written. */
  alloc(length: number): Buf;
  /** Gives back storage obtained from `alloc`. */
  free(buffer: Buf): void;
  /**
   * Floats [offset, offset + length) of `buffer` (from `alloc`) as a Buf of their own, valid while
   * `buffer` is and never freed itself: scratch whose lifetimes do not overlap shares storage.
   */
  view(buffer: Buf, offset: number, length: number): Buf;
  /** Copies `data` to the start of `buffer`. */
  write(buffer: Buf, data: Float32Array): void;
  /** Copies the first `length` floats of `buffer` out. */
  read(buffer: Buf, length: number): Float32Array;
  /** How many floats `buffer` holds. */
  length(buffer: Buf): number;

  /**
   * out (N,C) = words[ids] + positions[positionIds] + types[typeIds].
   * words is (V,C), positions is (P,C), types is (TV,C); types null means no token-type table.
   * Every id must index inside its table.
   */
  embed(
    out: Buf,
    ids: Int32Array, positionIds: Int32Array, typeIds: Int32Array | null,
    words: Buf, positions: Buf, types: Buf | null,
    N: number, C: number, V: number, P: number, TV: number,
  ): void;

  /**
   * out (M,N) = activation(inp (M,K) · weight (N,K)ᵀ + bias (N)) + residual (M,N).
   * weight comes from this backend's `linearWeight(…, N, K, …)`; residual null adds nothing;
   * out may alias residual.
   */
  linear(
    out: Buf, inp: Buf, weight: LinearWeight, bias: Buf, residual: Buf | null,
    M: number, K: number, N: number, activation: Activation,
  ): void;

  /** out (M,C) = (inp - mean) / sqrt(var + eps) · gamma (C) + beta (C), per row; out may alias inp. */
  layerNorm(out: Buf, inp: Buf, gamma: Buf, beta: Buf, M: number, C: number, eps: number): void;

  /**
   * Self-attention core over B sequences stored back to back without padding: q, k, v and out
   * are (Σ lengths, NH·HS), sequence b's lengths[b] rows follow sequence b-1's, and head h is
   * columns h·HS..(h+1)·HS. Within each sequence out = softmax(q·kᵀ/√HS + positionBias) · v.
   * T bounds every length; positionBias (NH,T,T), if given, is shared by the batch: a sequence
   * of n tokens reads its top-left n×n block.
   */
  attention(
    out: Buf, q: Buf, k: Buf, v: Buf, positionBias: Buf | null, lengths: Int32Array,
    B: number, T: number, NH: number, HS: number,
  ): void;

  /**
   * out (B,C) = one sentence-transformers pooling mode per sequence of hidden (Σ lengths, C),
   * whose B sequences are stored back to back as in `attention`.
   */
  pool(out: Buf, hidden: Buf, lengths: Int32Array, B: number, C: number, mode: PoolMode): void;
}

/** Storage of the backends whose buffers are plain Float32Arrays (js, native). */
export const float32ArrayStorage: Pick<Kernels<Float32Array>, 'weight' | 'alloc' | 'free' | 'view' | 'write' | 'read' | 'length'> = {
  weight: (data) => data,
  alloc: (length) => new Float32Array(length),
  free: () => {},
  view: (buffer, offset, length) => buffer.subarray(offset, offset + length),
  write: (buffer, data) => buffer.set(data),
  read: (buffer, length) => buffer.slice(0, length),
  length: (buffer) => buffer.length,
};

/** `weight` as the backend's own kind of LinearWeight, or an error saying it is not one. */
export function ownWeight<W extends LinearWeight>(backend: BackendName, weight: LinearWeight, kind: abstract new (...args: never[]) => W): W {
  if (!(weight instanceof kind)) {
    throw new KernelShapeError('linear', `weight is not a LinearWeight of the ${backend} backend`);
  }
  return weight;
}

/** A kernel was handed shapes, ids or buffers that do not fit together. */
export class KernelShapeError extends Error {
  constructor(kernel: string, problem: string) {
    super(`sentvec kernel ${kernel}: ${problem}`);
    this.name = 'KernelShapeError';
  }
}

function positiveInts(kernel: string, sizes: Record<string, number>): void {
  for (const [name, value] of Object.entries(sizes)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new KernelShapeError(kernel, `${name} must be a positive integer, got ${value}`);
    }
  }
}

function holds<Buf>(k: Kernels<Buf>, kernel: string, name: string, buffer: Buf, floats: number): void {
  const found = k.length(buffer);
  if (found < floats) throw new KernelShapeError(kernel, `${name} holds ${found} floats, needs ${floats}`);
}

function idsInRange(kernel: string, name: string, ids: Int32Array, count: number, limit: number): void {
  if (ids.length < count) throw new KernelShapeError(kernel, `${name} has ${ids.length} entries, needs ${count}`);
  for (let i = 0; i < count; i++) {
    if (ids[i] < 0 || ids[i] >= limit) {
      throw new KernelShapeError(kernel, `${name}[${i}] = ${ids[i]} is outside 0..${limit - 1}`);
    }
  }
}

/**
 * Wraps a backend so every call is checked against the shapes it is given before any kernel
 * runs: a wrong shape becomes an Error naming the kernel and the operand, never a wrong vector.
 */
export function withShapeChecks<Buf>(k: Kernels<Buf>): Kernels<Buf> {
  return {
    name: k.name,
    weight: (data) => k.weight(data),
    linearWeight: (data, N, K, format) => {
      positiveInts('linearWeight', { N, K });
      if (data.length !== N * K) throw new KernelShapeError('linearWeight', `data holds ${data.length} floats, needs ${N * K}`);
      if (!WEIGHT_FORMATS.includes(format)) {
        throw new KernelShapeError('linearWeight', `unknown format ${String(format)} (${WEIGHT_FORMATS.join(', ')})`);
      }
      return k.linearWeight(data, N, K, format);
    },
    quantizedLinearWeight: (codes, scales, N, K) => {
      positiveInts('quantizedLinearWeight', { N, K });
      if (codes.length !== N * K) throw new KernelShapeError('quantizedLinearWeight', `codes hold ${codes.length} values, needs ${N * K}`);
      if (scales.length !== N * blocksOf(K)) {
        throw new KernelShapeError('quantizedLinearWeight', `scales hold ${scales.length} floats, needs ${N * blocksOf(K)} (N × ${blocksOf(K)} blocks)`);
      }
      // -128 would break the sign trick the SIMD kernels rely on (int8.ts)
      const outside = codes.indexOf(-I8_MAX - 1);
      if (outside >= 0) throw new KernelShapeError('quantizedLinearWeight', `codes[${outside}] is ${-I8_MAX - 1}, outside -${I8_MAX}..${I8_MAX}`);
      return k.quantizedLinearWeight(codes, scales, N, K);
    },
    alloc: (length) => {
      positiveInts('alloc', { length });
      return k.alloc(length);
    },
    free: (buffer) => k.free(buffer),
    view: (buffer, offset, length) => {
      positiveInts('view', { length });
      if (!Number.isSafeInteger(offset) || offset < 0) throw new KernelShapeError('view', `offset must be an integer ≥ 0, got ${offset}`);
      holds(k, 'view', 'buffer', buffer, offset + length);
      return k.view(buffer, offset, length);
    },
    write: (buffer, data) => {
      holds(k, 'write', 'buffer', buffer, data.length);
      k.write(buffer, data);
    },
    read: (buffer, length) => {
      holds(k, 'read', 'buffer', buffer, length);
      return k.read(buffer, length);
    },
    length: (buffer) => k.length(buffer),
    embed: (out, ids, positionIds, typeIds, words, positions, types, N, C, V, P, TV) => {
      positiveInts('embed', { N, C, V, P, TV });
      if ((types === null) !== (typeIds === null)) {
        throw new KernelShapeError('embed', 'typeIds and types must both be given or both be null');
      }
      holds(k, 'embed', 'out', out, N * C);
      holds(k, 'embed', 'words', words, V * C);
      holds(k, 'embed', 'positions', positions, P * C);
      idsInRange('embed', 'ids', ids, N, V);
      idsInRange('embed', 'positionIds', positionIds, N, P);
      if (types !== null && typeIds !== null) {
        holds(k, 'embed', 'types', types, TV * C);
        idsInRange('embed', 'typeIds', typeIds, N, TV);
      }
      k.embed(out, ids, positionIds, typeIds, words, positions, types, N, C, V, P, TV);
    },
    linear: (out, inp, weight, bias, residual, M, K, N, activation) => {
      positiveInts('linear', { M, K, N });
      holds(k, 'linear', 'out', out, M * N);
      holds(k, 'linear', 'inp', inp, M * K);
      if (typeof weight !== 'object' || weight === null || !('format' in weight)) {
        throw new KernelShapeError('linear', 'weight must be a LinearWeight from linearWeight()');
      }
      if (weight.N !== N || weight.K !== K) {
        throw new KernelShapeError('linear', `weight was made for N=${weight.N}, K=${weight.K}, not N=${N}, K=${K}`);
      }
      holds(k, 'linear', 'bias', bias, N);
      if (residual !== null) holds(k, 'linear', 'residual', residual, M * N);
      if (activation !== 'none' && activation !== 'gelu') {
        throw new KernelShapeError('linear', `unknown activation ${String(activation)}`);
      }
      k.linear(out, inp, weight, bias, residual, M, K, N, activation);
    },
    layerNorm: (out, inp, gamma, beta, M, C, eps) => {
      positiveInts('layerNorm', { M, C });
      if (!(eps > 0)) throw new KernelShapeError('layerNorm', `eps must be positive, got ${eps}`);
      holds(k, 'layerNorm', 'out', out, M * C);
      holds(k, 'layerNorm', 'inp', inp, M * C);
      holds(k, 'layerNorm', 'gamma', gamma, C);
      holds(k, 'layerNorm', 'beta', beta, C);
      k.layerNorm(out, inp, gamma, beta, M, C, eps);
    },
    attention: (out, q, k_, v, positionBias, lengths, B, T, NH, HS) => {
      positiveInts('attention', { B, T, NH, HS });
      const size = totalTokens('attention', lengths, B, T) * NH * HS;
      holds(k, 'attention', 'out', out, size);
      holds(k, 'attention', 'q', q, size);
      holds(k, 'attention', 'k', k_, size);
      holds(k, 'attention', 'v', v, size);
      if (positionBias !== null) holds(k, 'attention', 'positionBias', positionBias, NH * T * T);
      k.attention(out, q, k_, v, positionBias, lengths, B, T, NH, HS);
    },
    pool: (out, hidden, lengths, B, C, mode) => {
      positiveInts('pool', { B, C });
      holds(k, 'pool', 'out', out, B * C);
      holds(k, 'pool', 'hidden', hidden, totalTokens('pool', lengths, B, Infinity) * C);
      if (!POOL_MODES.includes(mode)) throw new KernelShapeError('pool', `unknown mode ${String(mode)}`);
      k.pool(out, hidden, lengths, B, C, mode);
    },
  };
}

export const POOL_MODES: readonly PoolMode[] = ['cls', 'max', 'mean', 'meanSqrtLen', 'weightedMean', 'lastToken'];

/** Σ lengths[0..B), each checked to lie in 1..T (T Infinity: no upper bound). */
function totalTokens(kernel: string, lengths: Int32Array, B: number, T: number): number {
  if (lengths.length < B) throw new KernelShapeError(kernel, `lengths has ${lengths.length} entries, needs ${B}`);
  let total = 0;
  for (let b = 0; b < B; b++) {
    if (lengths[b] < 1 || lengths[b] > T) {
      const range = T === Infinity ? 'below 1' : `outside 1..${T}`;
      throw new KernelShapeError(kernel, `lengths[${b}] = ${lengths[b]} is ${range}`);
    }
    total += lengths[b];
  }
  return total;
}
