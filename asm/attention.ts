// Self-attention core, per sequence and head, one score row at a time, over B sequences stored
// back to back: q, k, v and out are (Σ lengths, NH·HS) with head h in columns h·HS..(h+1)·HS,
// and within a sequence out = softmax(q·kᵀ/√HS + positionBias) · v, positionBias (NH,T,T) read
// in its top-left lengths[b]×lengths[b] block. `scores` holds T floats of scratch. positionBias 0
// adds nothing.

import { axpy, dot, scale } from './vec';

export function attention(
  out: usize, q: usize, k: usize, v: usize, positionBias: usize, lengths: usize, scores: usize,
  B: i32, T: i32, NH: i32, HS: i32,
): void {
  const C = NH * HS;
  const headBytes = <usize>HS << 2;
  const scoreScale: f32 = 1 / Mathf.sqrt(<f32>HS);
  let start = 0;
  for (let b = 0; b < B; b++) {
    const length = load<i32>(lengths + (<usize>b << 2));
    for (let h = 0; h < NH; h++) {
      const head = <usize>(start * C + h * HS) << 2;
      for (let i = 0; i < length; i++) {
        const row = head + (<usize>(i * C) << 2);
        const o = out + row;
        for (let d: usize = 0; d < headBytes; d += 4) store<f32>(o + d, 0);
        const bias = positionBias + (<usize>((h * T + i) * T) << 2);
        let maxScore: f32 = -Infinity;
        for (let j = 0; j < length; j++) {
          let score = dot(q + row, k + head + (<usize>(j * C) << 2), HS) * scoreScale;
          if (positionBias) score += load<f32>(bias + (<usize>j << 2));
          store<f32>(scores + (<usize>j << 2), score);
          maxScore = max<f32>(maxScore, score);
        }
        let total: f32 = 0;
        for (let j = 0; j < length; j++) {
          const weight = Mathf.exp(load<f32>(scores + (<usize>j << 2)) - maxScore);
          store<f32>(scores + (<usize>j << 2), weight);
          total += weight;
        }
        for (let j = 0; j < length; j++) {
          axpy(o, load<f32>(scores + (<usize>j << 2)), v + head + (<usize>(j * C) << 2), HS);
        }
        scale(o, 1 / total, HS);
      }
    }
    start += length;
  }
}
