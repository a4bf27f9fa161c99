// int8 Linear, as src/backend/int8.ts defines it: along K, every block of BLOCK weights of an
// output channel and every block of BLOCK activations of a row become codes in -127..127 with
// scale max|x| / 127 (ties rounded to even), and out = Σ_b aScale·wScale·Σ_k∈b codes·codes, each
// block's sum exact in i32. A weight is packed once at load (packLinearI8) in panels of PANEL
// columns; each call quantizes its rows into tiles of TILE_ROWS rows, then fills the float32
// kernel's TILE one tile and panel at a time and ends in its epilogue.
//
// Panels and tiles store K two codes at a time, the pair of each of their columns (rows) side by
// side: one 16-byte step holds a k pair of 8 int8 weight columns, or of 4 int16 activation rows.
// Widening 4 columns (v128.load8x8_s) and splatting one row's pair then feeds i32x4.dot_i16x8_s,
// whose lane j sums column j's two products, so a 4×8 tile of i32 block sums needs no horizontal
// add, as the float32 kernel's 4×8 f32 tile. relaxed_dot_i8x16_i7x16 is not used: it is exact when
// its second operand is 0..127, which |a| is with a's sign moved onto w (native AVX2's way), but
// the move costs an xor and a sub per product vector beside the dot, and on x86 without VNNI the
// dot itself is vpmaddubsw + vpmaddwd + add: no fewer operations than this body's. Node 20's V8
// (11.3, --experimental-wasm-relaxed-simd) does not even run it as specified: a lane of
// 4·1 + 3·1 + 2·1 + 1·1 plus an accumulator of 0 or of 100 comes out 20 both times.

import { epilogue, PANEL, TILE, TILE_ROWS } from './gemm';

const BLOCK: i32 = 32;
const CODE_MAX: f32 = 127;
// bytes of one k pair of a panel (PANEL int8 pairs) and of a tile (TILE_ROWS int16 pairs)
const PAIR_BYTES: i32 = 16;
// every tile passes over a block of panels this large (in L1 beside the tile) before the next block
const WEIGHT_BLOCK_BYTES: i32 = 32 * 1024;

// @ts-ignore: decorator
@inline function paddedK(K: i32): i32 {
  return (K + BLOCK - 1) / BLOCK * BLOCK;
}

// @ts-ignore: decorator
@inline function roundUp(count: i32, group: i32): i32 {
  return (count + group - 1) / group * group;
}

// Where code (r, k) sits when rows are interleaved in groups of `group` (PANEL, TILE_ROWS), codes
// of codeBytes each; a group's scales are its blocks one after the other, `group` floats each.
// @ts-ignore: decorator
@inline function codeAt(r: i32, k: i32, group: i32, padded: i32, codeBytes: i32): usize {
  const inGroup = <usize>((k >> 1) * group + r % group) * 2 + <usize>(k & 1);
  return (<usize>(r / group) * <usize>group * <usize>padded + inGroup) * <usize>codeBytes;
}

// @ts-ignore: decorator
@inline function scaleAt(r: i32, b: i32, group: i32, blocks: i32): usize {
  return (<usize>(r / group) * <usize>group * <usize>blocks + <usize>(b * group + r % group)) << 2;
}

/** Bytes a weight (N,K) packed by packLinearI8 takes. */
export function packedLinearI8Bytes(N: i32, K: i32): f64 {
  return <f64>roundUp(N, PANEL) * <f64>(paddedK(K) + (paddedK(K) / BLOCK << 2));
}

/** Bytes of the scratch linearI8 quantizes M rows of K activations into. */
export function quantizedRowsBytes(M: i32, K: i32): f64 {
  return <f64>roundUp(M, TILE_ROWS) * <f64>((paddedK(K) << 1) + (paddedK(K) / BLOCK << 2));
}

// codes and scales = values (rows, K) in blocks of BLOCK, in groups of `group` rows with codes of
// codeBytes (1: int8, 2: int16); the rows up to a whole group get zero codes and scales. Inlined,
// so that group and codeBytes are constants at each caller.
// @ts-ignore: decorator
@inline function quantizeBlocks(codes: usize, scales: usize, values: usize, rows: i32, K: i32, group: i32, codeBytes: i32): void {
  const padded = paddedK(K);
  const blocks = padded / BLOCK;
  const padRows = roundUp(rows, group);
  memory.fill(codes, 0, <usize>padRows * <usize>padded * <usize>codeBytes);
  memory.fill(scales, 0, <usize>padRows * <usize>blocks << 2);
  for (let r = 0; r < rows; r++) {
    for (let b = 0; b < blocks; b++) {
      const begin = values + ((<usize>r * <usize>K + <usize>(b * BLOCK)) << 2);
      const count = min<i32>(BLOCK, K - b * BLOCK);
      const max = blockMax(begin, count);
      if (max == 0) continue;
      const inverse: f32 = CODE_MAX / max;
      store<f32>(scales + scaleAt(r, b, group, blocks), max / CODE_MAX);
      let i = 0;
      // a max or an inverse that is not finite leaves codes to the scalar loop's clamps
      if (ASC_FEATURE_SIMD && codeBytes == 2 && max <= F32.MAX_VALUE && inverse <= F32.MAX_VALUE) {
        // 8 int16 codes are 4 pairs of the row, one to each PAIR_BYTES step of its tile
        for (; i + 8 <= count; i += 8) {
          const low = codesX4(v128.load(begin + (<usize>i << 2)), inverse);
          const high = codesX4(v128.load(begin + (<usize>i << 2), 16), inverse);
          const pairs = i16x8.narrow_i32x4_s(low, high);
          const at = codes + codeAt(r, b * BLOCK + i, group, padded, codeBytes);
          v128.store32_lane(at, pairs, 0);
          v128.store32_lane(at, pairs, 1, PAIR_BYTES);
          v128.store32_lane(at, pairs, 2, PAIR_BYTES * 2);
          v128.store32_lane(at, pairs, 3, PAIR_BYTES * 3);
        }
      }
      for (; i < count; i++) {
        const code = Mathf.min(Mathf.max(nearest<f32>(load<f32>(begin + (<usize>i << 2)) * inverse), -CODE_MAX), CODE_MAX);
        const at = codes + codeAt(r, b * BLOCK + i, group, padded, codeBytes);
        if (codeBytes == 1) store<i8>(at, <i8>code);
        else store<i16>(at, <i16>code);
      }
    }
  }
}

// max |x| of count floats at begin
// @ts-ignore: decorator
@inline function blockMax(begin: usize, count: i32): f32 {
  let max: f32 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    // |x| compared as integers orders as floats do, NaN above infinity: one pmaxsd where f32x4.max
    // takes seven instructions for its NaN and signed-zero rules
    let maxes = i32x4.splat(0);
    for (; i + 4 <= count; i += 4) maxes = i32x4.max_s(maxes, f32x4.abs(v128.load(begin + (<usize>i << 2))));
    maxes = i32x4.max_s(maxes, v128.shuffle<i32>(maxes, maxes, 2, 3, 0, 1));
    maxes = i32x4.max_s(maxes, v128.shuffle<i32>(maxes, maxes, 1, 0, 3, 2));
    max = reinterpret<f32>(i32x4.extract_lane(maxes, 0));
  }
  for (; i < count; i++) max = Mathf.max(max, Mathf.abs(load<f32>(begin + (<usize>i << 2))));
  return max;
}

// 1.5·2²³: a float of magnitude below 2²² added to it is rounded to an integer, ties to even, that
// the low bits of the sum hold
const ROUNDER: f32 = 12582912;
const ROUNDER_BITS: i32 = 0x4b400000;

// the codes of 4 values of a block whose max and inverse are finite, as the scalar loop rounds
// and clamps them: |x · inverse| is then at most 127·(1 + 2⁻²⁴), which rounds to 127 at most, so
// nothing needs clamping and rounding is one add (V8 makes about 20 instructions of nearest, max,
// min and trunc_sat)
// @ts-ignore: decorator
@inline function codesX4(values: v128, inverse: f32): v128 {
  return i32x4.sub(f32x4.add(f32x4.mul(values, f32x4.splat(inverse)), f32x4.splat(ROUNDER)), i32x4.splat(ROUNDER_BITS));
}

/** packed (packedLinearI8Bytes(N, K)) = weight (N,K) as int8 codes then scales, zero past row N. */
export function packLinearI8(packed: usize, weight: usize, N: i32, K: i32): void {
  quantizeBlocks(packed, packed + <usize>roundUp(N, PANEL) * <usize>paddedK(K), weight, N, K, PANEL, 1);
}

/**
 * packed (packedLinearI8Bytes(N, K)) = codes (N,K) and scales (N, blocks) that quantizeBlocks
 * made earlier (a sentvec quantize checkpoint), laid out as packLinearI8 lays them, zero past row N.
 */
export function packQuantizedI8(packed: usize, codes: usize, scales: usize, N: i32, K: i32): void {
  const columns = roundUp(N, PANEL);
  const padded = paddedK(K);
  const blocks = padded / BLOCK;
  const packedScales = packed + <usize>columns * <usize>padded;
  memory.fill(packed, 0, <usize>columns * <usize>padded);
  memory.fill(packedScales, 0, <usize>columns * <usize>blocks << 2);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) store<i8>(packed + codeAt(n, k, PANEL, padded, 1), load<i8>(codes + <usize>n * <usize>K + <usize>k));
    for (let b = 0; b < blocks; b++) {
      store<f32>(packedScales + scaleAt(n, b, PANEL, blocks), load<f32>(scales + ((<usize>n * <usize>blocks + <usize>b) << 2)));
    }
  }
}

/**
 * out (M,N) = activation(inp (M,K) · weight (N,K)ᵀ + bias) + residual, weight from packLinearI8,
 * scratch of quantizedRowsBytes(M, K); residual 0 adds nothing and may equal out.
 */
export function linearI8(
  out: usize, inp: usize, weight: usize, bias: usize, residual: usize,
  M: i32, K: i32, N: i32, useGelu: bool, scratch: usize,
): void {
  const padded = paddedK(K);
  const blocks = padded / BLOCK;
  const rowScales = scratch + (<usize>roundUp(M, TILE_ROWS) * <usize>padded << 1);
  const weightScales = weight + <usize>roundUp(N, PANEL) * <usize>padded;
  quantizeBlocks(scratch, rowScales, inp, M, K, TILE_ROWS, 2);
  const panelBlock = max<i32>(PANEL, WEIGHT_BLOCK_BYTES / padded / PANEL * PANEL);
  for (let n0 = 0; n0 < N; n0 += panelBlock) {
    const n1 = min<i32>(N, n0 + panelBlock);
    for (let m = 0; m < M; m += TILE_ROWS) {
      const tile = scratch + (<usize>m * <usize>padded << 1);
      const tileScales = rowScales + (<usize>m * <usize>blocks << 2);
      for (let n = n0; n < n1; n += PANEL) {
        tileSums(tile, tileScales, weight + <usize>n * <usize>padded, weightScales + (<usize>n * <usize>blocks << 2), blocks);
        epilogue(out, bias, residual, m, n, min<i32>(TILE_ROWS, M - m), min<i32>(PANEL, N - n), N, useGelu);
      }
    }
  }
}

// TILE (TILE_ROWS, PANEL) = Σ_b f32(i32 block sum) · (row scale · column scale), b in order, the
// i32 sums of tile (int16 codes) · panel (int8 codes); a scale pointer holds a group's blocks.
// @ts-ignore: decorator
@inline function tileSums(tile: usize, tileScales: usize, panel: usize, panelScales: usize, blocks: i32): void {
  if (ASC_FEATURE_SIMD) {
    // stores, not memory.fill: V8 makes that an out-of-line call, and this runs per tile and panel
    for (let at: usize = 0; at < <usize>(TILE_ROWS * PANEL * 4); at += 16) v128.store(TILE + at, i32x4.splat(0));
  } else {
    memory.fill(TILE, 0, TILE_ROWS * PANEL * 4);
  }
  const blockBytes = <usize>(BLOCK / 2 * PAIR_BYTES);
  for (let b = 0; b < blocks; b++) {
    const a = tile + <usize>b * blockBytes;
    const w = panel + <usize>b * blockBytes;
    const rowScale = tileScales + (<usize>(b * TILE_ROWS) << 2);
    const columnScale = panelScales + (<usize>(b * PANEL) << 2);
    if (ASC_FEATURE_SIMD) {
      let s00 = i32x4.splat(0), s01 = i32x4.splat(0), s10 = i32x4.splat(0), s11 = i32x4.splat(0);
      let s20 = i32x4.splat(0), s21 = i32x4.splat(0), s30 = i32x4.splat(0), s31 = i32x4.splat(0);
      for (let ka = a, kw = w, end = a + blockBytes; ka < end; ka += PAIR_BYTES, kw += PAIR_BYTES) {
        const w0 = v128.load8x8_s(kw), w1 = v128.load8x8_s(kw, 8);
        let x = v128.load32_splat(ka);
        s00 = i32x4.add(s00, i32x4.dot_i16x8_s(x, w0)); s01 = i32x4.add(s01, i32x4.dot_i16x8_s(x, w1));
        x = v128.load32_splat(ka, 4);
        s10 = i32x4.add(s10, i32x4.dot_i16x8_s(x, w0)); s11 = i32x4.add(s11, i32x4.dot_i16x8_s(x, w1));
        x = v128.load32_splat(ka, 8);
        s20 = i32x4.add(s20, i32x4.dot_i16x8_s(x, w0)); s21 = i32x4.add(s21, i32x4.dot_i16x8_s(x, w1));
        x = v128.load32_splat(ka, 12);
        s30 = i32x4.add(s30, i32x4.dot_i16x8_s(x, w0)); s31 = i32x4.add(s31, i32x4.dot_i16x8_s(x, w1));
      }
      const scale0 = v128.load(columnScale), scale1 = v128.load(columnScale, 16);
      addScaled(TILE, s00, s01, load<f32>(rowScale), scale0, scale1);
      addScaled(TILE + (<usize>PANEL << 2), s10, s11, load<f32>(rowScale, 4), scale0, scale1);
      addScaled(TILE + (<usize>PANEL << 3), s20, s21, load<f32>(rowScale, 8), scale0, scale1);
      addScaled(TILE + (<usize>PANEL * 12), s30, s31, load<f32>(rowScale, 12), scale0, scale1);
    } else {
      for (let r = 0; r < TILE_ROWS; r++) {
        for (let c = 0; c < PANEL; c++) {
          let acc: i32 = 0;
          for (let ka = a + (<usize>r << 2), kw = w + (<usize>c << 1), end = a + blockBytes; ka < end; ka += PAIR_BYTES, kw += PAIR_BYTES) {
            acc += <i32>load<i16>(ka) * <i32>load<i8>(kw) + <i32>load<i16>(ka, 2) * <i32>load<i8>(kw, 1);
          }
          const sum = TILE + (<usize>(r * PANEL + c) << 2);
          store<f32>(sum, load<f32>(sum) + <f32>acc * (load<f32>(rowScale + (<usize>r << 2)) * load<f32>(columnScale + (<usize>c << 2))));
        }
      }
    }
  }
}

// sums[0..PANEL) += f32(block sums) · (row scale · column scales), lane by lane as the scalar twin
// @ts-ignore: decorator
@inline function addScaled(sums: usize, acc0: v128, acc1: v128, rowScale: f32, scale0: v128, scale1: v128): void {
  const row = f32x4.splat(rowScale);
  v128.store(sums, f32x4.add(v128.load(sums), f32x4.mul(f32x4.convert_i32x4_s(acc0), f32x4.mul(row, scale0))));
  v128.store(sums, f32x4.add(v128.load(sums, 16), f32x4.mul(f32x4.convert_i32x4_s(acc1), f32x4.mul(row, scale1))), 16);
}
