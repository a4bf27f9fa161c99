// The int8 Linear, defined once: every backend computes exactly these integers (the reference in
// js.ts with these functions, native/ and asm/ with their own loops, tested against these).
//
// llama.cpp's q8_0 layout on both operands: along K, every block of I8_BLOCK weights of an output
// channel, and every block of I8_BLOCK activations of a row, is scaled to symmetric int8 codes
// (-127..127) by its own max |x| / 127, q = roundEven(x · 127 / max|x|). With
// acc_b = Σ_k∈b q_a·q_w, exact in int32 (|acc_b| ≤ 32·127²):
//   out[m,n] = Σ_b aScale[m,b] · wScale[n,b] · acc_b
// Codes never take -128, so SIMD kernels may move a sign between operands (|a| · sign(a)·w, as
// AVX2's u8×s8 vpmaddubsw needs) and no pair sum reaches 2¹⁵. Every float step is float32
// (Math.fround here), rounding ties to even as SIMD conversions do.

/** Weights and activations share a scale over this many consecutive K. */
export const I8_BLOCK = 32;
/** Codes run -I8_MAX..I8_MAX. */
export const I8_MAX = 127;

const f32 = Math.fround;

/** Round half to even, as cvtps2dq, f32x4.nearest and nearbyintf do. */
export function roundEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function blocksOf(K: number): number {
  return Math.ceil(K / I8_BLOCK);
}

/** (rows, K) values as codes, with one scale per row and block; PyTorch layout. */
export interface Quantized {
  /** (rows, K) codes in -127..127. */
  codes: Int8Array;
  /** (rows, blocks) */
  scales: Float32Array;
}

/** (rows, K) floats, weights or activations alike, as int8 codes per block of I8_BLOCK. */
export function quantizeBlocks(values: Float32Array, rows: number, K: number): Quantized {
  const blocks = blocksOf(K);
  const codes = new Int8Array(rows * K);
  const scales = new Float32Array(rows * blocks);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < blocks; b++) {
      const begin = r * K + b * I8_BLOCK;
      const end = r * K + Math.min(K, (b + 1) * I8_BLOCK);
      let max = 0;
      for (let i = begin; i < end; i++) max = Math.max(max, Math.abs(values[i]));
      if (max === 0) continue;  // all zeros: codes and scale stay 0
      const inverse = f32(I8_MAX / max);
      scales[r * blocks + b] = f32(max / I8_MAX);
      for (let i = begin; i < end; i++) codes[i] = Math.max(-I8_MAX, Math.min(I8_MAX, roundEven(f32(values[i] * inverse))));
    }
  }
  return { codes, scales };
}

/** out[m,n] before bias, activation and residual: the formula above, summed in float64. */
export function int8Dot(rows: Quantized, weight: Quantized, m: number, n: number, K: number): number {
  const blocks = blocksOf(K);
  let sum = 0;
  for (let b = 0; b < blocks; b++) {
    let acc = 0;
    for (let k = b * I8_BLOCK; k < Math.min(K, (b + 1) * I8_BLOCK); k++) acc += rows.codes[m * K + k] * weight.codes[n * K + k];
    sum += rows.scales[m * blocks + b] * weight.scales[n * blocks + b] * acc;
  }
  return sum;
}
