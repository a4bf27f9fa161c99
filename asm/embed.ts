// Embedding gather-sum and sentence pooling. Both are a vanishing share of a forward pass, so
// they stay scalar in every build and add in float64 as the reference does: their results are
// the reference's bit for bit.

/**
 * out (N,C) = words[ids] + positions[positionIds] + types[typeIds], words (V,C), positions (P,C),
 * types (TV,C); ids, positionIds and typeIds are N int32 each. types 0 means no token-type table.
 */
export function embed(
  out: usize, ids: usize, positionIds: usize, typeIds: usize, words: usize, positions: usize, types: usize,
  N: i32, C: i32,
): void {
  const rowBytes = <usize>C << 2;
  for (let n = 0; n < N; n++) {
    const at = <usize>n << 2;
    const word = words + <usize>load<i32>(ids + at) * rowBytes;
    const position = positions + <usize>load<i32>(positionIds + at) * rowBytes;
    const type = types ? types + <usize>load<i32>(typeIds + at) * rowBytes : 0;
    const y = out + <usize>n * rowBytes;
    for (let c: usize = 0; c < rowBytes; c += 4) {
      let sum = <f64>load<f32>(word + c) + <f64>load<f32>(position + c);
      if (types) sum += <f64>load<f32>(type + c);
      store<f32>(y + c, <f32>sum);
    }
  }
}

// Pooling modes, numbered as POOL_MODES in src/backend/kernels.ts.
const CLS = 0;
const MAX = 1;
const MEAN = 2;
const MEAN_SQRT_LEN = 3;
const WEIGHTED_MEAN = 4;
const LAST_TOKEN = 5;

/** out (B,C) = one sentence-transformers pooling mode per sequence of hidden (Σ lengths, C). */
export function pool(out: usize, hidden: usize, lengths: usize, B: i32, C: i32, mode: i32): void {
  const rowBytes = <usize>C << 2;
  let sequence = hidden;
  for (let b = 0; b < B; b++) {
    const length = load<i32>(lengths + (<usize>b << 2));
    for (let c: usize = 0; c < rowBytes; c += 4) {
      let value: f64 = 0;
      if (mode == CLS) {
        value = load<f32>(sequence + c);
      } else if (mode == LAST_TOKEN) {
        value = load<f32>(sequence + <usize>(length - 1) * rowBytes + c);
      } else if (mode == MAX) {
        value = -Infinity;
        for (let t = 0; t < length; t++) value = max<f64>(value, load<f32>(sequence + <usize>t * rowBytes + c));
      } else {
        // sentence-transformers weights token t by its position t + 1 in weightedMean
        for (let t = 0; t < length; t++) {
          value += (mode == WEIGHTED_MEAN ? <f64>(t + 1) : 1) * <f64>load<f32>(sequence + <usize>t * rowBytes + c);
        }
        if (mode == MEAN) value /= length;
        else if (mode == MEAN_SQRT_LEN) value /= Math.sqrt(length);
        else if (mode == WEIGHTED_MEAN) value /= <f64>length * <f64>(length + 1) / 2;
      }
      store<f32>(out + <usize>b * rowBytes + c, <f32>value);
    }
    sequence += <usize>length * rowBytes;
  }
}
