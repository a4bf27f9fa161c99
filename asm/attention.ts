// Self-attention core over B sequences stored back to back: q, k, v and out are (Σ lengths, NH·HS)
// with head h in columns h·HS..(h+1)·HS, and within a sequence out = softmax(q·kᵀ/√HS +
// positionBias) · v, positionBias (NH,T,T) read in its top-left lengths[b]×lengths[b] block;
// positionBias 0 adds nothing. As the native kernel (native/attention.cpp), a block of ROWS query
// rows keeps its scores transposed, scores[j][r], so every step is vertical over the block's rows;
// each row's arithmetic does not depend on the rows that share its block.

import { madd } from './simd';
import { exp, expX4 } from './exp';

const ROWS = 16;  // query rows per block: four f32x4 vectors
const ROW_BYTES: usize = ROWS << 2;

/** Floats of scratch `attention` needs: transposed queries (HS, ROWS), scores (T, ROWS), inverses (ROWS). */
export function attentionScratchFloats(T: i32, HS: i32): i32 {
  return (HS + T + 1) * ROWS;
}

export function attention(
  out: usize, q: usize, k: usize, v: usize, positionBias: usize, lengths: usize, scratch: usize,
  B: i32, T: i32, NH: i32, HS: i32,
): void {
  const C = NH * HS;
  const rowStride = <usize>C << 2;
  const scale: f32 = 1 / Mathf.sqrt(<f32>HS);
  const queries = scratch;
  const scores = queries + <usize>HS * ROW_BYTES;
  const inverse = scores + <usize>T * ROW_BYTES;
  let start = 0;
  for (let b = 0; b < B; b++) {
    const length = load<i32>(lengths + (<usize>b << 2));
    for (let h = 0; h < NH; h++) {
      const head = <usize>(start * C + h * HS) << 2;
      for (let first = 0; first < length; first += ROWS) {
        const rows = min(length - first, ROWS);
        // the columns of rows past the sequence's end score 0 and are never written out
        const firstQuery = q + head + <usize>first * rowStride;
        for (let d = 0; d < HS; d++) {
          for (let r = 0; r < ROWS; r++) {
            const value: f32 = r < rows ? load<f32>(firstQuery + <usize>r * rowStride + (<usize>d << 2)) : 0;
            store<f32>(queries + <usize>d * ROW_BYTES + (<usize>r << 2), value);
          }
        }
        for (let j = 0; j < length; j++) scoreKey(scores + <usize>j * ROW_BYTES, queries, k + head + <usize>j * rowStride, HS, scale);
        if (positionBias) {
          for (let r = 0; r < rows; r++) {
            const bias = positionBias + (<usize>((h * T + first + r) * T) << 2);
            for (let j = 0; j < length; j++) {
              const at = scores + <usize>j * ROW_BYTES + (<usize>r << 2);
              store<f32>(at, load<f32>(at) + load<f32>(bias + (<usize>j << 2)));
            }
          }
        }
        softmaxColumns(scores, inverse, length);
        for (let r = 0; r < rows; r++) {
          weighValues(out + head + <usize>(first + r) * rowStride, scores + (<usize>r << 2), v + head, rowStride,
            load<f32>(inverse + (<usize>r << 2)), length, HS);
        }
      }
    }
    start += length;
  }
}

// row (ROWS) = scale · Σ_d key[d] · queries[d][·]
// @ts-ignore: decorator
@inline function scoreKey(row: usize, queries: usize, key: usize, HS: i32, scale: f32): void {
  if (ASC_FEATURE_SIMD) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let d = 0; d < HS; d++) {
      const kd = f32x4.splat(load<f32>(key + (<usize>d << 2)));
      const column = queries + <usize>d * ROW_BYTES;
      s0 = madd(kd, v128.load(column), s0);
      s1 = madd(kd, v128.load(column, 16), s1);
      s2 = madd(kd, v128.load(column, 32), s2);
      s3 = madd(kd, v128.load(column, 48), s3);
    }
    const scaleV = f32x4.splat(scale);
    v128.store(row, f32x4.mul(s0, scaleV));
    v128.store(row, f32x4.mul(s1, scaleV), 16);
    v128.store(row, f32x4.mul(s2, scaleV), 32);
    v128.store(row, f32x4.mul(s3, scaleV), 48);
    return;
  }
  for (let r = 0; r < ROWS; r++) {
    let sum: f32 = 0;
    for (let d = 0; d < HS; d++) sum += load<f32>(key + (<usize>d << 2)) * load<f32>(queries + <usize>d * ROW_BYTES + (<usize>r << 2));
    store<f32>(row + (<usize>r << 2), sum * scale);
  }
}

// Each column of scores (length, ROWS) becomes exp(score − its max); inverse (ROWS) gets 1 / the column's sum.
function softmaxColumns(scores: usize, inverse: usize, length: i32): void {
  let r: usize = 0;
  if (ASC_FEATURE_SIMD) {
    for (; r < <usize>ROW_BYTES; r += 16) {
      let maxV = f32x4.splat(-Infinity);
      for (let j = 0; j < length; j++) maxV = f32x4.max(maxV, v128.load(scores + <usize>j * ROW_BYTES + r));
      let total = f32x4.splat(0);
      for (let j = 0; j < length; j++) {
        const at = scores + <usize>j * ROW_BYTES + r;
        const e = expX4(f32x4.sub(v128.load(at), maxV));
        v128.store(at, e);
        total = f32x4.add(total, e);
      }
      v128.store(inverse + r, f32x4.div(f32x4.splat(1), total));
    }
  }
  for (; r < <usize>ROW_BYTES; r += 4) {
    let maxScore: f32 = -Infinity;
    for (let j = 0; j < length; j++) maxScore = max<f32>(maxScore, load<f32>(scores + <usize>j * ROW_BYTES + r));
    let total: f32 = 0;
    for (let j = 0; j < length; j++) {
      const at = scores + <usize>j * ROW_BYTES + r;
      const e = exp(load<f32>(at) - maxScore);
      store<f32>(at, e);
      total += e;
    }
    store<f32>(inverse + r, 1 / total);
  }
}

// out (HS) = inverse · Σ_j p[j] · values[j], p[j] every ROW_BYTES and value rows every rowStride
function weighValues(out: usize, p: usize, values: usize, rowStride: usize, inverse: f32, length: i32, HS: i32): void {
  const bytes = <usize>HS << 2;
  let d: usize = 0;
  if (ASC_FEATURE_SIMD) {
    const inverseV = f32x4.splat(inverse);
    for (; d + 64 <= bytes; d += 64) {
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      for (let j = 0; j < length; j++) {
        const pj = f32x4.splat(load<f32>(p + <usize>j * ROW_BYTES));
        const value = values + <usize>j * rowStride + d;
        s0 = madd(pj, v128.load(value), s0);
        s1 = madd(pj, v128.load(value, 16), s1);
        s2 = madd(pj, v128.load(value, 32), s2);
        s3 = madd(pj, v128.load(value, 48), s3);
      }
      v128.store(out + d, f32x4.mul(s0, inverseV));
      v128.store(out + d, f32x4.mul(s1, inverseV), 16);
      v128.store(out + d, f32x4.mul(s2, inverseV), 32);
      v128.store(out + d, f32x4.mul(s3, inverseV), 48);
    }
    for (; d + 16 <= bytes; d += 16) {
      let s = f32x4.splat(0);
      for (let j = 0; j < length; j++) s = madd(f32x4.splat(load<f32>(p + <usize>j * ROW_BYTES)), v128.load(values + <usize>j * rowStride + d), s);
      v128.store(out + d, f32x4.mul(s, inverseV));
    }
  }
  for (; d < bytes; d += 4) {
    let sum: f32 = 0;
    for (let j = 0; j < length; j++) sum += load<f32>(p + <usize>j * ROW_BYTES) * load<f32>(values + <usize>j * rowStride + d);
    store<f32>(out + d, sum * inverse);
  }
}
