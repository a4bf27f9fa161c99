// Plain TypeScript reference backend: the oracle every other backend is tested against.
// Loops are the textbook formulas with float64 accumulation, written for clarity, not speed.

import { int8Dot, quantizeBlocks, type Quantized } from './int8.js';
import { float32ArrayStorage, ownWeight, type Activation, type Kernels, type LinearWeight, type PoolMode, type WeightFormat } from './kernels.js';

// Complementary error function with fractional error below 1.2e-7 everywhere
// (Numerical Recipes, erfcc: Chebyshev fit), which is below float32 resolution for GELU.
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
    + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
    + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** Exact GELU, as torch.nn.functional.gelu with approximate='none': x·Φ(x). */
export function gelu(x: number): number {
  return 0.5 * x * erfc(-x / Math.SQRT2);
}

/**
 * The reference keeps a Linear weight in PyTorch layout (N,K): a copy of it (what it is given may
 * be a view of the checkpoint's bytes), or its int8 codes.
 */
class JsLinearWeight implements LinearWeight {
  readonly data: Float32Array;
  readonly quantized: Quantized | undefined;
  readonly format: WeightFormat;
  constructor(values: Float32Array | Quantized, readonly N: number, readonly K: number) {
    this.quantized = values instanceof Float32Array ? undefined : values;
    this.data = values instanceof Float32Array ? values.slice() : new Float32Array(0);
    this.format = this.quantized ? 'i8' : 'f32';
  }
}

export const jsKernels: Kernels<Float32Array> = {
  name: 'js',
  ...float32ArrayStorage,
  linearWeight: (data, N, K, format) => new JsLinearWeight(format === 'i8' ? quantizeBlocks(data, N, K) : data, N, K),
  quantizedLinearWeight: (codes, scales, N, K) => new JsLinearWeight({ codes: codes.slice(), scales: scales.slice() }, N, K),

  embed(out, ids, positionIds, typeIds, words, positions, types, N, C) {
    for (let n = 0; n < N; n++) {
      const word = ids[n] * C;
      const position = positionIds[n] * C;
      const type = types && typeIds ? typeIds[n] * C : -1;
      for (let c = 0; c < C; c++) {
        let sum = words[word + c] + positions[position + c];
        if (types) sum += types[type + c];
        out[n * C + c] = sum;
      }
    }
  },

  linear(out, inp, linearWeight, bias, residual, M, K, N, activation: Activation) {
    const { data: weight, quantized } = ownWeight('js', linearWeight, JsLinearWeight);
    const rows = quantized && quantizeBlocks(inp, M, K);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let sum = 0;
        if (rows && quantized) sum = int8Dot(rows, quantized, m, n, K);
        else for (let k = 0; k < K; k++) sum += inp[m * K + k] * weight[n * K + k];
        let y = sum + bias[n];
        if (activation === 'gelu') y = gelu(y);
        if (residual) y += residual[m * N + n];
        out[m * N + n] = y;
      }
    }
  },

  layerNorm(out, inp, gamma, beta, M, C, eps) {
    for (let m = 0; m < M; m++) {
      const row = m * C;
      let mean = 0;
      for (let c = 0; c < C; c++) mean += inp[row + c];
      mean /= C;
      let variance = 0;
      for (let c = 0; c < C; c++) variance += (inp[row + c] - mean) ** 2;
      variance /= C;
      const scale = 1 / Math.sqrt(variance + eps);
      for (let c = 0; c < C; c++) out[row + c] = (inp[row + c] - mean) * scale * gamma[c] + beta[c];
    }
  },

  attention(out, q, k, v, positionBias, lengths, B, T, NH, HS) {
    const C = NH * HS;
    const scale = 1 / Math.sqrt(HS);
    const scores = new Float64Array(T);
    for (let b = 0, start = 0; b < B; start += lengths[b], b++) {
      const length = lengths[b];
      for (let h = 0; h < NH; h++) {
        for (let i = 0; i < length; i++) {
          const query = (start + i) * C + h * HS;
          let max = -Infinity;
          for (let j = 0; j < length; j++) {
            const key = (start + j) * C + h * HS;
            let dot = 0;
            for (let d = 0; d < HS; d++) dot += q[query + d] * k[key + d];
            scores[j] = dot * scale + (positionBias ? positionBias[(h * T + i) * T + j] : 0);
            if (scores[j] > max) max = scores[j];
          }
          let total = 0;
          for (let j = 0; j < length; j++) {
            scores[j] = Math.exp(scores[j] - max);
            total += scores[j];
          }
          for (let d = 0; d < HS; d++) {
            let sum = 0;
            for (let j = 0; j < length; j++) sum += scores[j] * v[(start + j) * C + h * HS + d];
            out[query + d] = sum / total;
          }
        }
      }
    }
  },

  pool(out, hidden, lengths, B, C, mode: PoolMode) {
    for (let b = 0, start = 0; b < B; start += lengths[b], b++) {
      const length = lengths[b];
      const token = (t: number, c: number) => hidden[(start + t) * C + c];
      for (let c = 0; c < C; c++) {
        let value: number;
        switch (mode) {
          case 'cls':
            value = token(0, c);
            break;
          case 'lastToken':
            value = token(length - 1, c);
            break;
          case 'max':
            value = -Infinity;
            for (let t = 0; t < length; t++) value = Math.max(value, token(t, c));
            break;
          case 'mean':
          case 'meanSqrtLen': {
            let sum = 0;
            for (let t = 0; t < length; t++) sum += token(t, c);
            value = sum / (mode === 'mean' ? length : Math.sqrt(length));
            break;
          }
          case 'weightedMean': {
            // sentence-transformers weights token t by its position t + 1
            let sum = 0;
            for (let t = 0; t < length; t++) sum += (t + 1) * token(t, c);
            value = sum / ((length * (length + 1)) / 2);
            break;
          }
        }
        out[b * C + c] = value;
      }
    }
  },
};
