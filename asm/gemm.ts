// Linear layers: out (M,N) = activation(inp (M,K) · weight (N,K)ᵀ + bias (N)) + residual (M,N).
//
// The weight is packed once at load (packLinear) into panels of PANEL columns, each K rows of
// PANEL contiguous floats, zero past column N. The input is packed per call, a block of rows at a
// time, into tiles of TILE_ROWS rows stored k by k. A 4×8 register tile then reads both operands
// as sequential streams at constant offsets from one pointer each, so V8 emits no address
// arithmetic per load: 8 f32x4 accumulators, 2 weight vectors and 1 broadcast stay within x64's
// 16 vector registers. Measured on x64 V8 at the model shapes, against 3×8, 2×8, 4×4, 2×12, 3×12,
// 2×16, 5×8, 6×8, 4×12, a k-unrolled 4×8 (spills) and in-place input rows: 4×8 is fastest without
// FMA (30–36 GFLOP/s where the former dot-product 2×4 kernel on the PyTorch layout ran 20–30),
// and within noise of the best (2×16, 3×12) with relaxed-SIMD FMA (37–47).
// Sums run in blocks of KB products added to the tile, as in the native kernel, so a result
// depends on K only, never on M or the blocking.

import { gelu, geluX4 } from './gelu';
import { madd } from './simd';

export const PANEL: i32 = 8;
export const TILE_ROWS: i32 = 4;
const KB: i32 = 256;
// Loop order: a block of input rows is packed, then for each block of weight panels (kept in L2)
// every input tile (in L1) passes over the block's panels. The input block bounds the scratch.
const INPUT_BLOCK_BYTES: i32 = 512 * 1024;
const WEIGHT_BLOCK_BYTES: i32 = 192 * 1024;

// One tile's sums, TILE_ROWS rows of PANEL floats, handed from the tile kernel to the epilogue.
export const TILE = memory.data(TILE_ROWS * PANEL * 4, 16);

/** Floats a weight (N,K) packed by packLinear takes. */
export function packedLinearFloats(N: i32, K: i32): f64 {
  return <f64>((N + PANEL - 1) / PANEL * PANEL) * <f64>K;
}

function blockRows(K: i32): i32 {
  return max<i32>(TILE_ROWS, INPUT_BLOCK_BYTES / (K << 2) / TILE_ROWS * TILE_ROWS);
}

/** Floats of the scratch `linear` packs its input into for this K. */
export function linearScratchFloats(K: i32): f64 {
  return <f64>blockRows(K) * <f64>K;
}

/** packed (panels of PANEL columns, each K×PANEL) = weight (N,K), zero past column N. */
export function packLinear(packed: usize, weight: usize, N: i32, K: i32): void {
  for (let n0 = 0; n0 < N; n0 += PANEL) {
    const panel = packed + (<usize>n0 * <usize>K << 2);
    let k = 0;
    if (ASC_FEATURE_SIMD) {
      // 4 k at a time, each half panel a 4×4 transpose in registers: a weight as large as MPNet's
      // packs at load in a fraction of the time strided single-float stores take
      for (; k + 4 <= K; k += 4) {
        for (let half = 0; half < PANEL; half += 4) {
          const t0 = weightRow4(weight, n0 + half, N, K, k), t1 = weightRow4(weight, n0 + half + 1, N, K, k);
          const t2 = weightRow4(weight, n0 + half + 2, N, K, k), t3 = weightRow4(weight, n0 + half + 3, N, K, k);
          const lo01 = v128.shuffle<f32>(t0, t1, 0, 4, 1, 5), lo23 = v128.shuffle<f32>(t2, t3, 0, 4, 1, 5);
          const hi01 = v128.shuffle<f32>(t0, t1, 2, 6, 3, 7), hi23 = v128.shuffle<f32>(t2, t3, 2, 6, 3, 7);
          const at = panel + (<usize>(k * PANEL + half) << 2);
          v128.store(at, v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5));
          v128.store(at, v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7), PANEL * 4);
          v128.store(at, v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5), PANEL * 8);
          v128.store(at, v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7), PANEL * 12);
        }
      }
    }
    for (; k < K; k++) {
      for (let j = 0; j < PANEL; j++) {
        const n = n0 + j;
        store<f32>(panel + (<usize>(k * PANEL + j) << 2), n < N ? load<f32>(weight + ((<usize>n * <usize>K + <usize>k) << 2)) : 0);
      }
    }
  }
}

// weight[n][k..k+4], zeros past row N
// @ts-ignore: decorator
@inline function weightRow4(weight: usize, n: i32, N: i32, K: i32, k: i32): v128 {
  return n < N ? v128.load(weight + ((<usize>n * <usize>K + <usize>k) << 2)) : f32x4.splat(0);
}

// tiles (rows rounded up to TILE_ROWS, each K×TILE_ROWS) = inp rows; rows past `rows` repeat the
// last one and are never stored.
function packInput(tiles: usize, inp: usize, rows: i32, K: i32): void {
  for (let t = 0; t < rows; t += TILE_ROWS) {
    const tile = tiles + (<usize>t * <usize>K << 2);
    for (let r = 0; r < TILE_ROWS; r++) {
      const row = inp + (<usize>min<i32>(t + r, rows - 1) * <usize>K << 2);
      const lane = tile + (<usize>r << 2);
      for (let k = 0; k < K; k++) store<f32>(lane + (<usize>(k * TILE_ROWS) << 2), load<f32>(row + (<usize>k << 2)));
    }
  }
}

/**
 * residual 0 adds nothing and may equal out; gelu selects the exact-erf GELU activation; weight
 * comes from packLinear; scratch holds linearScratchFloats(K).
 */
export function linear(
  out: usize, inp: usize, weight: usize, bias: usize, residual: usize,
  M: i32, K: i32, N: i32, useGelu: bool, scratch: usize,
): void {
  const block = blockRows(K);
  const panelBlock = max<i32>(PANEL, WEIGHT_BLOCK_BYTES / (K << 2) / PANEL * PANEL);
  for (let m0 = 0; m0 < M; m0 += block) {
    const rows = min<i32>(block, M - m0);
    packInput(scratch, inp + (<usize>m0 * <usize>K << 2), rows, K);
    for (let n0 = 0; n0 < N; n0 += panelBlock) {
      const n1 = min<i32>(N, n0 + panelBlock);
      for (let t = 0; t < rows; t += TILE_ROWS) {
        for (let n = n0; n < n1; n += PANEL) {
          tileSums(scratch + (<usize>t * <usize>K << 2), weight + (<usize>n * <usize>K << 2), K);
          epilogue(out, bias, residual, m0 + t, n, min<i32>(TILE_ROWS, rows - t), min<i32>(PANEL, N - n), N, useGelu);
        }
      }
    }
  }
}

// TILE (TILE_ROWS, PANEL) = input tile (K×TILE_ROWS)ᵀ · weight panel (K×PANEL)
// @ts-ignore: decorator
@inline function tileSums(tile: usize, panel: usize, K: i32): void {
  for (let k0 = 0; k0 < K; k0 += KB) {
    let a = tile + (<usize>k0 << 4);
    let b = panel + (<usize>k0 << 5);
    const end = a + (<usize>min<i32>(KB, K - k0) << 4);
    if (ASC_FEATURE_SIMD) {
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      for (; a < end; a += 16, b += 32) {
        const w0 = v128.load(b), w1 = v128.load(b, 16);
        let x = v128.load32_splat(a);
        s00 = madd(x, w0, s00); s01 = madd(x, w1, s01);
        x = v128.load32_splat(a, 4);
        s10 = madd(x, w0, s10); s11 = madd(x, w1, s11);
        x = v128.load32_splat(a, 8);
        s20 = madd(x, w0, s20); s21 = madd(x, w1, s21);
        x = v128.load32_splat(a, 12);
        s30 = madd(x, w0, s30); s31 = madd(x, w1, s31);
      }
      if (k0 > 0) {
        s00 = f32x4.add(s00, v128.load(TILE, 0)); s01 = f32x4.add(s01, v128.load(TILE, 16));
        s10 = f32x4.add(s10, v128.load(TILE, 32)); s11 = f32x4.add(s11, v128.load(TILE, 48));
        s20 = f32x4.add(s20, v128.load(TILE, 64)); s21 = f32x4.add(s21, v128.load(TILE, 80));
        s30 = f32x4.add(s30, v128.load(TILE, 96)); s31 = f32x4.add(s31, v128.load(TILE, 112));
      }
      v128.store(TILE, s00, 0); v128.store(TILE, s01, 16);
      v128.store(TILE, s10, 32); v128.store(TILE, s11, 48);
      v128.store(TILE, s20, 64); v128.store(TILE, s21, 80);
      v128.store(TILE, s30, 96); v128.store(TILE, s31, 112);
    } else {
      for (let r = 0; r < TILE_ROWS; r++) {
        let c0: f32 = 0, c1: f32 = 0, c2: f32 = 0, c3: f32 = 0, c4: f32 = 0, c5: f32 = 0, c6: f32 = 0, c7: f32 = 0;
        for (let ka = a + (<usize>r << 2), kb = b; ka < end; ka += 16, kb += 32) {
          const x = load<f32>(ka);
          c0 += x * load<f32>(kb); c1 += x * load<f32>(kb, 4); c2 += x * load<f32>(kb, 8); c3 += x * load<f32>(kb, 12);
          c4 += x * load<f32>(kb, 16); c5 += x * load<f32>(kb, 20); c6 += x * load<f32>(kb, 24); c7 += x * load<f32>(kb, 28);
        }
        const sums = TILE + (<usize>(r * PANEL) << 2);
        if (k0 > 0) {
          c0 += load<f32>(sums); c1 += load<f32>(sums, 4); c2 += load<f32>(sums, 8); c3 += load<f32>(sums, 12);
          c4 += load<f32>(sums, 16); c5 += load<f32>(sums, 20); c6 += load<f32>(sums, 24); c7 += load<f32>(sums, 28);
        }
        store<f32>(sums, c0); store<f32>(sums, c1, 4); store<f32>(sums, c2, 8); store<f32>(sums, c3, 12);
        store<f32>(sums, c4, 16); store<f32>(sums, c5, 20); store<f32>(sums, c6, 24); store<f32>(sums, c7, 28);
      }
    }
  }
}

// out[m..m+rows, n..n+cols] = activation(TILE + bias) + residual; the int8 Linear ends here too
export function epilogue(
  out: usize, bias: usize, residual: usize, m: i32, n: i32, rows: i32, cols: i32, N: i32, useGelu: bool,
): void {
  if (ASC_FEATURE_SIMD) {
    if (cols == PANEL) {
      const bias0 = v128.load(bias + (<usize>n << 2)), bias1 = v128.load(bias + (<usize>n << 2), 16);
      for (let r = 0; r < rows; r++) {
        const at = (<usize>(m + r) * <usize>N + <usize>n) << 2;
        const sums = TILE + (<usize>(r * PANEL) << 2);
        let y0 = f32x4.add(v128.load(sums), bias0), y1 = f32x4.add(v128.load(sums, 16), bias1);
        if (useGelu) {
          y0 = geluX4(y0);
          y1 = geluX4(y1);
        }
        if (residual) {
          y0 = f32x4.add(y0, v128.load(residual + at));
          y1 = f32x4.add(y1, v128.load(residual + at, 16));
        }
        v128.store(out + at, y0);
        v128.store(out + at, y1, 16);
      }
      return;
    }
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const at = (<usize>(m + r) * <usize>N + <usize>(n + c)) << 2;
      let y = load<f32>(TILE + (<usize>(r * PANEL + c) << 2)) + load<f32>(bias + (<usize>(n + c) << 2));
      if (useGelu) y = gelu(y);
      if (residual) y += load<f32>(residual + at);
      store<f32>(out + at, y);
    }
  }
}
