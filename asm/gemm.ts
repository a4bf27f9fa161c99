// Linear layers: out (M,N) = activation(inp (M,K) · weight (N,K)ᵀ + bias (N)) + residual (M,N),
// weight in PyTorch Linear layout. Both operands are contiguous along K, so each output is a
// dot product; a 2×4 register tile (2 rows of inp × 4 rows of weight, 8 f32x4 accumulators)
// reuses every loaded inp vector four times and every weight vector twice. Measured on x64 V8
// (bench/wasm-gemm.ts) against 4×4, 4×3, 3×4, 3×3, 3×2, 4×2, 5×2, K-unrolled tiles and packed
// weight panels: 2×4 and 4×2 were fastest without FMA and within noise of the best (3×3) with
// relaxed-SIMD FMA; the larger tiles need more than x64's 16 vector registers and spill inside
// the K loop.

import { gelu, geluX4 } from './gelu';
import { hsum4, madd } from './simd';

// One tile's 2×4 dot products, row after row, handed from the tile kernel to the epilogue.
const SUMS = memory.data(32, 16);

// Weight rows are taken in blocks of about this many bytes, so a block stays in L2 while every
// row tile of inp streams past it.
const WEIGHT_BLOCK_BYTES: i32 = 256 * 1024;

/** residual 0 adds nothing and may equal out; gelu selects the exact-erf GELU activation. */
export function linear(
  out: usize, inp: usize, weight: usize, bias: usize, residual: usize,
  M: i32, K: i32, N: i32, useGelu: bool,
): void {
  const rowBytes = <usize>K << 2;
  const blockRows = max<i32>(4, (WEIGHT_BLOCK_BYTES / (K << 2)) & ~3);
  for (let n0 = 0; n0 < N; n0 += blockRows) {
    const n1 = min<i32>(N, n0 + blockRows);
    for (let m = 0; m < M; m += 2) {
      // A row past M repeats the last row (and columns past N the last column): their results
      // are computed and dropped, which keeps a single tile kernel for every edge.
      const x0 = inp + <usize>m * rowBytes;
      const x1 = inp + <usize>min<i32>(m + 1, M - 1) * rowBytes;
      for (let n = n0; n < n1; n += 4) {
        const w0 = weight + <usize>n * rowBytes;
        const w1 = weight + <usize>min<i32>(n + 1, N - 1) * rowBytes;
        const w2 = weight + <usize>min<i32>(n + 2, N - 1) * rowBytes;
        const w3 = weight + <usize>min<i32>(n + 3, N - 1) * rowBytes;
        dot2x4(x0, x1, w0, w1, w2, w3, K);
        epilogue(out, bias, residual, m, n, min<i32>(2, M - m), min<i32>(4, N - n), N, useGelu);
      }
    }
  }
}

// SUMS (2,4) = [x0, x1] (2,K) · [w0..w3] (4,K)ᵀ
// @ts-ignore: decorator
@inline function dot2x4(x0: usize, x1: usize, w0: usize, w1: usize, w2: usize, w3: usize, K: i32): void {
  if (ASC_FEATURE_SIMD) {
    let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
    let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0), a13 = f32x4.splat(0);
    const vectorBytes = <usize>(K & ~3) << 2;
    for (let k: usize = 0; k < vectorBytes; k += 16) {
      const wv0 = v128.load(w0 + k), wv1 = v128.load(w1 + k), wv2 = v128.load(w2 + k), wv3 = v128.load(w3 + k);
      let xv = v128.load(x0 + k);
      a00 = madd(xv, wv0, a00); a01 = madd(xv, wv1, a01); a02 = madd(xv, wv2, a02); a03 = madd(xv, wv3, a03);
      xv = v128.load(x1 + k);
      a10 = madd(xv, wv0, a10); a11 = madd(xv, wv1, a11); a12 = madd(xv, wv2, a12); a13 = madd(xv, wv3, a13);
    }
    let s0 = hsum4(a00, a01, a02, a03), s1 = hsum4(a10, a11, a12, a13);
    // K % 4 leftovers: one weight column across the four weight rows of the tile at a time
    for (let k = vectorBytes; k < (<usize>K << 2); k += 4) {
      let wv = f32x4.splat(load<f32>(w0 + k));
      wv = f32x4.replace_lane(wv, 1, load<f32>(w1 + k));
      wv = f32x4.replace_lane(wv, 2, load<f32>(w2 + k));
      wv = f32x4.replace_lane(wv, 3, load<f32>(w3 + k));
      s0 = madd(f32x4.splat(load<f32>(x0 + k)), wv, s0);
      s1 = madd(f32x4.splat(load<f32>(x1 + k)), wv, s1);
    }
    v128.store(SUMS, s0, 0);
    v128.store(SUMS, s1, 16);
  } else {
    let a00: f32 = 0, a01: f32 = 0, a02: f32 = 0, a03: f32 = 0;
    let a10: f32 = 0, a11: f32 = 0, a12: f32 = 0, a13: f32 = 0;
    const bytes = <usize>K << 2;
    for (let k: usize = 0; k < bytes; k += 4) {
      const wv0 = load<f32>(w0 + k), wv1 = load<f32>(w1 + k), wv2 = load<f32>(w2 + k), wv3 = load<f32>(w3 + k);
      let xv = load<f32>(x0 + k);
      a00 += xv * wv0; a01 += xv * wv1; a02 += xv * wv2; a03 += xv * wv3;
      xv = load<f32>(x1 + k);
      a10 += xv * wv0; a11 += xv * wv1; a12 += xv * wv2; a13 += xv * wv3;
    }
    store<f32>(SUMS, a00, 0); store<f32>(SUMS, a01, 4); store<f32>(SUMS, a02, 8); store<f32>(SUMS, a03, 12);
    store<f32>(SUMS, a10, 16); store<f32>(SUMS, a11, 20); store<f32>(SUMS, a12, 24); store<f32>(SUMS, a13, 28);
  }
}

// out[m..m+rows, n..n+cols] = activation(SUMS + bias) + residual
// @ts-ignore: decorator
@inline function epilogue(
  out: usize, bias: usize, residual: usize, m: i32, n: i32, rows: i32, cols: i32, N: i32, useGelu: bool,
): void {
  if (ASC_FEATURE_SIMD) {
    if (cols == 4) {
      const biasV = v128.load(bias + (<usize>n << 2));
      for (let r = 0; r < rows; r++) {
        const at = (<usize>(m + r) * <usize>N + <usize>n) << 2;
        let y = f32x4.add(v128.load(SUMS + (<usize>r << 4)), biasV);
        if (useGelu) y = geluX4(y);
        if (residual) y = f32x4.add(y, v128.load(residual + at));
        v128.store(out + at, y);
      }
      return;
    }
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const at = (<usize>(m + r) * <usize>N + <usize>(n + c)) << 2;
      let y = load<f32>(SUMS + (<usize>(r * 4 + c) << 2)) + load<f32>(bias + (<usize>(n + c) << 2));
      if (useGelu) y = gelu(y);
      if (residual) y += load<f32>(residual + at);
      store<f32>(out + at, y);
    }
  }
}
